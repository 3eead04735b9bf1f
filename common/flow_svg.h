/* SPDX-License-Identifier: BSD-2-Clause */
/* A time-sequence diagram of one connection's teardown, in SVG. */
#ifndef TEARDOWN_FLOW_SVG_H
#define TEARDOWN_FLOW_SVG_H

#include "buf.h"
#include "flow.h"

/*
 * The packets a diagram draws come from the ladder's record (r->steps):
 * the handshake (FLOW_LADDER_HEAD packets), then the last packets. A
 * table that feeds diagrams asks for flow_config.ladder = FLOW_SVG_STEPS;
 * the packets left out between the two parts are marked on the diagram.
 */
#define FLOW_SVG_STEPS		256

/* flow_svg_write() flags */
#define FLOW_SVG_STANDALONE	0x01	/* a file: XML prolog, style, legend */

/*
 * The geometry, in SVG user units (pixels at 100%): two panels, one per
 * direction (orig's sequence space on top, resp's below), sharing a time
 * axis that runs from r's first to its last packet.
 */
#define FLOW_SVG_WIDTH		960
#define FLOW_SVG_LEFT		64	/* plot area starts here */
#define FLOW_SVG_PLOT_W		880
#define FLOW_SVG_TOP		30	/* first panel's top edge */
#define FLOW_SVG_PANEL_H	150
#define FLOW_SVG_PANEL_GAP	20
#define FLOW_SVG_HEIGHT		386	/* without the legend */

/*
 * Append r's time-sequence diagram to b, Stevens/xplot style: relative
 * sequence number (y) against time (x) for each direction; data segments
 * as vertical bars (retransmissions and probes in their own colours), the
 * peer's ACK line and advertised window (scaled when both SYNs carried the
 * option) as steps, SYN, FIN and RST marked, the bytes the classifier found
 * unacknowledged at the end shaded, and the packets the record left out
 * marked. Without FLOW_SVG_STANDALONE it is an <svg> element for an HTML
 * page whose style sheet holds flow_svg_css(); with it, a complete SVG
 * file with its own style and legend. All text is escaped. Returns 0, or
 * -1 on ENOMEM (b then holds part of a diagram).
 */
int flow_svg_write(struct buf *b, const struct flow_result *r, int flags);

/*
 * The legend alone, as an <svg> element for a page that shows many
 * diagrams. Returns 0, or -1 on ENOMEM.
 */
int flow_svg_legend(struct buf *b);

/* The CSS the diagrams' classes need (a static string). */
const char *flow_svg_css(void);

/*
 * Append s to b with &, <, >, " and ' escaped, safe in XML and HTML text
 * and quoted attributes. Returns 0, or -1 on ENOMEM.
 */
int flow_svg_escape(struct buf *b, const char *s);

#endif
