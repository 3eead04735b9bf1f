/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for flow_out: the connection object's writers, real numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_main.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "flow.h"
#include "flow_out.h"
#include "flow_json_check.h"
#include "timeline.h"

static void
test_json_text_reals(void **state)
{
	static const int64_t durations[] = { 0, 1, 5, 10, 30, 99, 100, 150,
	    1910, 999999, 999999999999999LL, 1000000000000000LL,
	    1000000, 3000000, 1234567891, 86400000000LL * 400 };
	struct flow_result r;
	size_t i;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.family = AF_INET6;
	r.orig_addr[15] = 1;
	r.resp_addr[0] = 0xfe;
	r.resp_addr[1] = 0x80;
	r.teardown = FLOW_VANISHED;
	r.closed_by = FLOW_SIDE_RESP;
	r.waiter = FLOW_SIDE_RESP;
	r.notes = ~0u >> (32 - FLOW_NOTE_COUNT);
	r.partial = true;
	r.ts_us = -1;	/* before the epoch: still a valid time */
	r.orig.packets = UINT64_MAX >> 1;
	for (i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		r.last_ts_us = r.ts_us + durations[i];
		check_json_text(&r);
	}
}

/*
 * Members are written with a leading comma that becomes the object's '{'
 * once written: right at every buffer size, down to none at all.
 */
static void
test_json_text_short_buffers(void **state)
{
	struct flow_result r;
	char full[2048], buf[2048];
	int n;
	size_t len;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.teardown = FLOW_FIN;
	r.notes = FLOW_NOTE_KEEPALIVE | FLOW_NOTE_GAP;
	n = flow_result_json_text(&r, full, sizeof(full));
	assert_true(n > 0 && (size_t)n < sizeof(full));
	assert_int_equal(full[0], '{');
	for (len = 0; len <= (size_t)n + 1; len++) {
		memset(buf, 'x', sizeof(buf));
		assert_int_equal(flow_result_json_text(&r, buf, len), n);
		if (len == 0) {
			assert_int_equal(buf[0], 'x');
			continue;
		}
		assert_memory_equal(buf, full, len - 1);
		assert_int_equal(buf[len - 1], '\0');
	}
}

/*
 * Seconds carry at most 6 decimals, whichever writer prints them: 4886 us
 * is 0.004886 (jansson's default 17 digits would give
 * 0.0048859999999999997), in finrst's fast writer, in jsonl_write (what
 * tcpfault prints a "wire" object with) and in the Zeek logs.
 */
static void
test_six_decimals(void **state)
{
	struct flow_result r;
	char buf[2048], *text = NULL;
	size_t len = 0;
	FILE *mem;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.ts_us = 1362692526869344LL;
	r.last_ts_us = r.ts_us + 4886;
	flow_result_json_text(&r, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"duration\":0.004886,"));
	mem = open_memstream(&text, &len);
	assert_non_null(mem);
	assert_int_equal(jsonl_write(mem, flow_result_json(&r)), 0);
	fclose(mem);
	assert_non_null(strstr(text, "\"duration\":0.004886,"));
	assert_null(strstr(text, "0.00488599"));
	free(text);
	flow_zeeklog_line(&r, true, buf, sizeof(buf));
	assert_non_null(strstr(buf, "{\"ts\":1362692526.869344,"));
	assert_non_null(strstr(buf, ",\"duration\":0.004886,"));
	flow_zeeklog_line(&r, false, buf, sizeof(buf));
	assert_memory_equal(buf, "1362692526.869344\t", 18);
	assert_non_null(strstr(buf, "\t0.004886\t"));
	/* whole seconds: "3.0" in JSON, "3.000000" in TSV */
	r.ts_us = 1000000;
	r.last_ts_us = 4000000;
	flow_zeeklog_line(&r, true, buf, sizeof(buf));
	assert_non_null(strstr(buf, "{\"ts\":1.0,"));
	assert_non_null(strstr(buf, ",\"duration\":3.0,"));
	flow_zeeklog_line(&r, false, buf, sizeof(buf));
	assert_non_null(strstr(buf, "1.000000\t"));
	assert_non_null(strstr(buf, "\t3.000000\t"));
}

/* Zeek's unset and empty rules, the header, short buffers, the uid. */
static void
test_zeeklog(void **state)
{
	struct flow_result r;
	char buf[2048], full[2048], uid[FLOW_ZEEKLOG_UID_LEN], uid2[19];
	char *f, *fields, *types;
	int n, nf = 1, nt = 1;
	size_t len;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", r.orig_addr);
	inet_pton(AF_INET6, "2001:db8::2", r.resp_addr);
	r.orig_port = 40000;
	r.resp_port = 443;
	r.ts_us = r.last_ts_us = 1700000000000001LL;	/* one packet */
	r.conn_state = FLOW_S0;
	r.teardown = FLOW_NO_ANSWER;
	r.orig.packets = 1;
	r.orig.ip_bytes = 80;
	r.orig.missed = 3;
	r.resp.missed = 4;
	flow_zeeklog_uid(&r, uid);
	/* no duration: duration and byte counts unset; empty history */
	n = flow_zeeklog_line(&r, false, full, sizeof(full));
	assert_true(n > 0 && (size_t)n < sizeof(full));
	snprintf(buf, sizeof(buf), "1700000000.000001\t%s\t2001:db8::1\t40000"
	    "\t2001:db8::2\t443\ttcp\t-\t-\t-\t-\tS0\t-\t-\t7\t(empty)\t1\t80"
	    "\t0\t0\t-\tno-answer\t-\t0\t0", uid);
	assert_string_equal(full, buf);
	n = flow_zeeklog_line(&r, true, full, sizeof(full));
	snprintf(buf, sizeof(buf), "{\"ts\":1700000000.000001,\"uid\":\"%s\","
	    "\"id.orig_h\":\"2001:db8::1\",\"id.orig_p\":40000,"
	    "\"id.resp_h\":\"2001:db8::2\",\"id.resp_p\":443,"
	    "\"proto\":\"tcp\",\"conn_state\":\"S0\",\"missed_bytes\":7,"
	    "\"history\":\"\",\"orig_pkts\":1,\"orig_ip_bytes\":80,"
	    "\"resp_pkts\":0,\"resp_ip_bytes\":0,\"teardown\":\"no-answer\","
	    "\"orig_unacked\":0,\"resp_unacked\":0}", uid);
	assert_string_equal(full, buf);
	/* snprintf-style at every size */
	for (len = 1; len <= (size_t)n + 1; len++) {
		assert_int_equal(flow_zeeklog_line(&r, true, buf, len), n);
		assert_memory_equal(buf, full, len - 1);
		assert_int_equal(buf[len - 1], '\0');
	}
	/* the uid: 'C' and 17 base62, the same again, another for a port */
	assert_int_equal(strlen(uid), 18);
	assert_int_equal(uid[0], 'C');
	assert_int_equal(strspn(uid + 1, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz"), 17);
	flow_zeeklog_uid(&r, uid2);
	assert_string_equal(uid, uid2);
	r.orig_port++;
	flow_zeeklog_uid(&r, uid2);
	assert_string_not_equal(uid, uid2);
	/* the header: as many #types as #fields, Zeek's first and last */
	n = flow_zeeklog_header(0, full, sizeof(full));
	assert_true(n > 0 && (size_t)n < sizeof(full));
	assert_memory_equal(full, "#separator \\x09\n#set_separator\t,\n"
	    "#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
	    "#open\t1970-01-01-00-00-00\n#fields\tts\tuid\tid.orig_h\t", 120);
	fields = strstr(full, "#fields");
	types = strstr(full, "#types");
	assert_non_null(fields);
	assert_non_null(types);
	for (f = fields; *f != '\n'; f++)
		nf += *f == '\t';
	for (f = types; *f != '\n'; f++)
		nt += *f == '\t';
	assert_int_equal(nf, 26);	/* the tag, 21 of Zeek's, 4 of ours */
	assert_int_equal(nt, nf);
	assert_non_null(strstr(fields, "\tresp_ip_bytes\ttunnel_parents\t"
	    "teardown\tclosed_by\torig_unacked\tresp_unacked\n"));
	assert_non_null(strstr(types, "\tcount\tset[string]\tstring\tstring"
	    "\tcount\tcount\n"));
	n = flow_zeeklog_footer(86400000000LL, full, sizeof(full));
	assert_string_equal(full, "#close\t1970-01-02-00-00-00\n");
}

TEST_MAIN(
	cmocka_unit_test(test_json_text_reals),
	cmocka_unit_test(test_json_text_short_buffers),
	cmocka_unit_test(test_six_decimals),
	cmocka_unit_test(test_zeeklog),
)
