/* SPDX-License-Identifier: BSD-2-Clause */
/* The classifier's stable names: teardown classes, Zeek states, notes. */
#include <stdint.h>

#include "flow.h"
#include "names.h"

static const char *const class_names[FLOW_CLASS_COUNT] = {
	"fin", "fin-rst", "rst", "refused", "no-answer", "vanished", "open"
};

static const char *const state_names[FLOW_STATE_COUNT] = {
	"S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0",
	"RSTRH", "SH", "SHR", "OTH"
};

static const char *const note_names[FLOW_NOTE_COUNT] = {
	"orig-unacked", "resp-unacked", "rst-after-fin", "data-after-fin",
	"rst-answers-data", "fin-retransmitted", "retransmitted", "keepalive",
	"zero-window", "waited", "gap", "syn-retransmitted", "data-after-rst",
	"data-beyond-fin", "idle-evicted", "self-connect", "rst-after-close"
};

NAMES_DEFINE(flow_class_name, flow_class_parse, enum flow_class, class_names,
    FLOW_CLASS_COUNT, "?")

const char *
flow_side_name(enum flow_side s)
{
	switch (s) {
	case FLOW_SIDE_ORIG:
		return "orig";
	case FLOW_SIDE_RESP:
		return "resp";
	default:
		return "";
	}
}

NAMES_DEFINE(flow_state_name, flow_state_parse, enum flow_state, state_names,
    FLOW_STATE_COUNT, "?")

static int
note_index(enum flow_note bit)
{
	int i;

	for (i = 0; i < FLOW_NOTE_COUNT; i++)
		if ((uint32_t)bit == 1u << i)
			return i;
	return -1;
}

const char *
flow_note_name(enum flow_note bit)
{
	int i = note_index(bit);

	return i < 0 ? "?" : note_names[i];
}

int
flow_note_parse(const char *name, enum flow_note *bit)
{
	int i = names_find(note_names, FLOW_NOTE_COUNT, name);

	if (i < 0)
		return -1;
	*bit = (enum flow_note)(1u << i);
	return 0;
}
