/* SPDX-License-Identifier: BSD-2-Clause */
/* finrst --expect: assertions over the connections of a capture, for CI. */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "expect.h"

/*
 * Grammar (words are case-sensitive, like the names they match):
 *
 *   list      := assertion { ";" assertion }
 *   assertion := quantifier condition
 *   quantifier:= all | every | none | no | any | some
 *              | exactly N | at-least N | at-most N
 *   condition := conj { or conj }
 *   conj      := unary { and unary }
 *   unary     := not unary | "(" condition ")" | atom
 *   atom      := WORD | FIELD OP VALUE
 *
 * A bare WORD is a teardown class (fin, rst, ...), a Zeek conn_state (SF,
 * REJ, ...), a note name (rst-after-fin, ...), "partial" or "half-close".
 */

enum quant { Q_ALL, Q_NONE, Q_ANY, Q_EXACTLY, Q_AT_LEAST, Q_AT_MOST };

enum field {
	F_TEARDOWN, F_CLOSED_BY, F_HALF_CLOSE, F_WAITER, F_CONN_STATE,
	F_HISTORY, F_NOTE, F_ORIG_H, F_RESP_H, F_ORIG_P, F_RESP_P,
	F_ORIG_BYTES, F_RESP_BYTES, F_ORIG_UNACKED, F_RESP_UNACKED,
	F_DURATION, F_WAIT_TRIES, F_ID, F_PARTIAL
};

enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

enum node_kind { N_ATOM, N_NOT, N_AND, N_OR };

struct node {
	enum node_kind kind;
	int a, b;		/* children, by index */
	enum field field;
	enum op op;
	double num;		/* numeric fields; durations in seconds */
	int ival;		/* enum values */
	char str[128];		/* history, addresses */
};

#define MAX_NODES	64
#define MAX_IDS		8

/* Failing connections named per assertion; the rest are counted. */
#define EXPECT_NAMED	10

struct assertion {
	char text[256];
	enum quant quant;
	uint64_t n;
	struct node nodes[MAX_NODES];
	int nnodes, root;
	uint64_t seen, matched;
	bool broken;		/* decided false already (all / none) */
	char why[384];		/* the connection that broke it */
	uint64_t failing;	/* connections that broke it */
	char named[EXPECT_NAMED - 1][320];	/* the next ones after why */
};

struct expect {
	struct assertion *a;
	size_t n;
	bool finished;
	bool *ok;
};

/* What a field's values are: numbers, free text, or names of its own. */
enum kind { K_NUMBER, K_TEXT, K_NAME };

static const struct {
	const char *name;
	enum field f;
	enum kind kind;
} fields[] = {
	{ "teardown", F_TEARDOWN, K_NAME },
	{ "closed_by", F_CLOSED_BY, K_NAME },
	{ "half_close", F_HALF_CLOSE, K_NAME },
	{ "waiter", F_WAITER, K_NAME },
	{ "conn_state", F_CONN_STATE, K_NAME },
	{ "history", F_HISTORY, K_TEXT },
	{ "note", F_NOTE, K_NAME },
	{ "orig_h", F_ORIG_H, K_TEXT },
	{ "resp_h", F_RESP_H, K_TEXT },
	{ "orig_p", F_ORIG_P, K_NUMBER },
	{ "resp_p", F_RESP_P, K_NUMBER },
	{ "orig_bytes", F_ORIG_BYTES, K_NUMBER },
	{ "resp_bytes", F_RESP_BYTES, K_NUMBER },
	{ "orig_unacked", F_ORIG_UNACKED, K_NUMBER },
	{ "resp_unacked", F_RESP_UNACKED, K_NUMBER },
	{ "duration", F_DURATION, K_NUMBER },
	{ "wait_tries", F_WAIT_TRIES, K_NUMBER },
	{ "id", F_ID, K_NUMBER },
};

/* ------------------------------------------------------------------ */
/* the tokenizer */

enum tok { T_END, T_WORD, T_NUM, T_STR, T_OP, T_LP, T_RP, T_SEMI, T_BAD };

struct parser {
	const char *s;		/* the whole argument */
	size_t pos;		/* next unread byte */
	size_t tpos;		/* where the current token began */
	enum tok tok;
	char text[128];
	enum op op;
	double num;
	char *err;
	size_t errlen;
	bool failed;
};

static void __attribute__((format(printf, 2, 3)))
perr(struct parser *p, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "column %zu: %s", p->tpos + 1, msg);
}

static bool
word_char(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.' || c == ':' ||
	    c == '^';
}

static void
next(struct parser *p)
{
	const char *s = p->s;
	size_t n = 0;

	while (isspace((unsigned char)s[p->pos]))
		p->pos++;
	p->tpos = p->pos;
	p->text[0] = '\0';
	switch (s[p->pos]) {
	case '\0':
		p->tok = T_END;
		return;
	case '(':
	case ')':
	case ';':
		p->tok = s[p->pos] == '(' ? T_LP :
		    s[p->pos] == ')' ? T_RP : T_SEMI;
		p->pos++;
		return;
	case '=':
		p->pos += s[p->pos + 1] == '=' ? 2 : 1;
		p->tok = T_OP;
		p->op = OP_EQ;
		return;
	case '!':
		if (s[p->pos + 1] == '=') {
			p->pos += 2;
			p->tok = T_OP;
			p->op = OP_NE;
			return;
		}
		break;
	case '<':
	case '>':
		p->tok = T_OP;
		if (s[p->pos + 1] == '=') {
			p->op = s[p->pos] == '<' ? OP_LE : OP_GE;
			p->pos += 2;
		} else {
			p->op = s[p->pos] == '<' ? OP_LT : OP_GT;
			p->pos++;
		}
		return;
	case '"':
	case '\'': {
		char q = s[p->pos++];

		while (s[p->pos] && s[p->pos] != q) {
			if (n + 1 < sizeof(p->text))
				p->text[n++] = s[p->pos];
			p->pos++;
		}
		p->text[n] = '\0';
		if (s[p->pos] != q) {
			p->tok = T_BAD;
			perr(p, "unterminated string");
			return;
		}
		p->pos++;
		p->tok = T_STR;
		return;
	}
	default:
		break;
	}
	if (!word_char((unsigned char)s[p->pos])) {
		p->tok = T_BAD;
		perr(p, "unexpected '%c'", s[p->pos]);
		return;
	}
	while (word_char((unsigned char)s[p->pos])) {
		if (n + 1 < sizeof(p->text))
			p->text[n++] = s[p->pos];
		p->pos++;
	}
	p->text[n] = '\0';
	{
		char *end;

		p->num = strtod(p->text, &end);
		p->tok = (*end == '\0' && isdigit((unsigned char)p->text[0])) ?
		    T_NUM : T_WORD;
	}
}

/* ------------------------------------------------------------------ */
/* the parser */

static int parse_cond(struct parser *p, struct assertion *a);

static int
new_node(struct parser *p, struct assertion *a, enum node_kind k)
{
	struct node *n;

	if (a->nnodes == MAX_NODES) {
		perr(p, "expression too long");
		return -1;
	}
	n = &a->nodes[a->nnodes];
	memset(n, 0, sizeof(*n));
	n->kind = k;
	n->a = n->b = -1;
	return a->nnodes++;
}

static bool
is_keyword(const char *w)
{
	static const char *const kw[] = { "and", "or", "not", NULL };
	int i;

	for (i = 0; kw[i]; i++)
		if (strcmp(w, kw[i]) == 0)
			return true;
	return false;
}

/* A bare word: class, conn_state, note, partial, half-close. */
static int
bare_atom(struct parser *p, struct assertion *a, const char *w)
{
	int i = new_node(p, a, N_ATOM);
	struct node *n;
	enum flow_class c;
	enum flow_state s;
	enum flow_note nt;

	if (i < 0)
		return -1;
	n = &a->nodes[i];
	n->op = OP_EQ;
	if (flow_class_parse(w, &c) == 0) {
		n->field = F_TEARDOWN;
		n->ival = c;
	} else if (flow_state_parse(w, &s) == 0) {
		n->field = F_CONN_STATE;
		n->ival = s;
	} else if (flow_note_parse(w, &nt) == 0) {
		n->field = F_NOTE;
		n->ival = (int)nt;
	} else if (strcmp(w, "partial") == 0) {
		n->field = F_PARTIAL;
	} else if (strcmp(w, "half-close") == 0) {
		n->field = F_HALF_CLOSE;
		n->op = OP_NE;
		n->ival = FLOW_SIDE_NONE;
	} else {
		perr(p, "unknown word '%s' (a teardown class, conn_state,"
		    " note, field name, 'partial' or 'half-close')", w);
		return -1;
	}
	return i;
}

static int
side_value(const char *v)
{
	if (strcmp(v, "orig") == 0)
		return FLOW_SIDE_ORIG;
	if (strcmp(v, "resp") == 0)
		return FLOW_SIDE_RESP;
	if (strcmp(v, "none") == 0)
		return FLOW_SIDE_NONE;
	return -1;
}

/*
 * The value a K_NAME field has for name, or -1 with *unknown set to how the
 * message for a name it does not know begins.
 */
static int
name_value(enum field f, const char *name, const char **unknown)
{
	enum flow_class c;
	enum flow_state s;
	enum flow_note nt;

	switch (f) {
	case F_TEARDOWN:
		*unknown = "unknown teardown class";
		return flow_class_parse(name, &c) < 0 ? -1 : (int)c;
	case F_CONN_STATE:
		*unknown = "unknown conn_state";
		return flow_state_parse(name, &s) < 0 ? -1 : (int)s;
	case F_NOTE:
		*unknown = "unknown note";
		return flow_note_parse(name, &nt) < 0 ? -1 : (int)nt;
	default:	/* closed_by, half_close, waiter */
		*unknown = "expected orig, resp or none, not";
		return side_value(name);
	}
}

static int
parse_atom(struct parser *p, struct assertion *a)
{
	char w[128];
	const char *unknown;
	size_t k, wpos;
	int i;
	struct node *n;

	if (p->tok != T_WORD) {
		perr(p, p->tok == T_END ? "condition missing at the end" :
		    "expected a condition");
		return -1;
	}
	if (is_keyword(p->text)) {
		perr(p, "expected a condition before '%s'", p->text);
		return -1;
	}
	snprintf(w, sizeof(w), "%s", p->text);
	wpos = p->tpos;
	next(p);
	for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
		if (strcmp(w, fields[k].name) == 0)
			break;
	if (k == sizeof(fields) / sizeof(fields[0])) {
		size_t after = p->tpos;

		p->tpos = wpos;	/* errors point at the word */
		i = bare_atom(p, a, w);
		p->tpos = after;
		return i;
	}
	if (p->tok != T_OP) {
		perr(p, "expected an operator (== != < <= > >=) after '%s'",
		    w);
		return -1;
	}
	if ((i = new_node(p, a, N_ATOM)) < 0)
		return -1;
	n = &a->nodes[i];
	n->field = fields[k].f;
	n->op = p->op;
	if (fields[k].kind != K_NUMBER && n->op != OP_EQ && n->op != OP_NE) {
		perr(p, "'%s' compares only with == or !=", w);
		return -1;
	}
	next(p);
	if (fields[k].kind == K_NUMBER) {
		if (p->tok != T_NUM) {
			perr(p, "expected a number after '%s'", w);
			return -1;
		}
		n->num = p->num;
		next(p);
		return i;
	}
	if (p->tok != T_WORD && p->tok != T_STR && p->tok != T_NUM) {
		perr(p, "expected a value after '%s'", w);
		return -1;
	}
	if (fields[k].kind == K_TEXT) {
		snprintf(n->str, sizeof(n->str), "%s", p->text);
	} else if ((n->ival = name_value(n->field, p->text, &unknown)) < 0) {
		perr(p, "%s '%s'", unknown, p->text);
		return -1;
	}
	next(p);
	return i;
}

static int
parse_unary(struct parser *p, struct assertion *a)
{
	int i, c;

	if (p->tok == T_WORD && strcmp(p->text, "not") == 0) {
		next(p);
		if ((c = parse_unary(p, a)) < 0)
			return -1;
		if ((i = new_node(p, a, N_NOT)) < 0)
			return -1;
		a->nodes[i].a = c;
		return i;
	}
	if (p->tok == T_LP) {
		next(p);
		if ((c = parse_cond(p, a)) < 0)
			return -1;
		if (p->tok != T_RP) {
			perr(p, "expected ')'");
			return -1;
		}
		next(p);
		return c;
	}
	return parse_atom(p, a);
}

/* LEFT (WORD RIGHT)*, left-associative, both sides parsed by sub. */
static int
parse_binary(struct parser *p, struct assertion *a, const char *word,
    enum node_kind op, int (*sub)(struct parser *, struct assertion *))
{
	int l = sub(p, a), r, i;

	while (l >= 0 && p->tok == T_WORD && strcmp(p->text, word) == 0) {
		next(p);
		if ((r = sub(p, a)) < 0 || (i = new_node(p, a, op)) < 0)
			return -1;
		a->nodes[i].a = l;
		a->nodes[i].b = r;
		l = i;
	}
	return l;
}

static int
parse_conj(struct parser *p, struct assertion *a)
{
	return parse_binary(p, a, "and", N_AND, parse_unary);
}

static int
parse_cond(struct parser *p, struct assertion *a)
{
	return parse_binary(p, a, "or", N_OR, parse_conj);
}

static int
parse_assertion(struct parser *p, struct assertion *a)
{
	size_t start = p->tpos, end;
	const char *q = p->text;

	memset(a, 0, sizeof(*a));
	if (p->tok != T_WORD) {
		perr(p, "expected all, none, any, exactly N, at-least N or"
		    " at-most N");
		return -1;
	}
	if (strcmp(q, "all") == 0 || strcmp(q, "every") == 0) {
		a->quant = Q_ALL;
	} else if (strcmp(q, "none") == 0 || strcmp(q, "no") == 0) {
		a->quant = Q_NONE;
	} else if (strcmp(q, "any") == 0 || strcmp(q, "some") == 0) {
		a->quant = Q_ANY;
	} else if (strcmp(q, "exactly") == 0 || strcmp(q, "at-least") == 0 ||
	    strcmp(q, "at-most") == 0) {
		a->quant = q[0] == 'e' ? Q_EXACTLY : q[3] == 'l' ? Q_AT_LEAST :
		    Q_AT_MOST;
		next(p);
		if (p->tok != T_NUM || p->num < 0 || p->num > 1e15 ||
		    p->num != (double)(uint64_t)p->num) {
			perr(p, "expected a count (0, 1, 2, ...)");
			return -1;
		}
		a->n = (uint64_t)p->num;
	} else {
		perr(p, "expected all, none, any, exactly N, at-least N or"
		    " at-most N, not '%s'", q);
		return -1;
	}
	next(p);
	if ((a->root = parse_cond(p, a)) < 0)
		return -1;
	if (p->tok != T_END && p->tok != T_SEMI) {
		perr(p, "expected 'and', 'or', ';' or the end");
		return -1;
	}
	end = p->tok == T_END ? p->pos : p->tpos;
	while (end > start && isspace((unsigned char)p->s[end - 1]))
		end--;
	snprintf(a->text, sizeof(a->text), "%.*s", (int)(end - start),
	    p->s + start);
	return 0;
}

struct expect *
expect_parse(const char *text, char *err, size_t errlen)
{
	struct parser p = { .s = text, .err = err, .errlen = errlen };
	struct expect *e = calloc(1, sizeof(*e));

	if (e == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	next(&p);
	for (;;) {
		struct assertion *na;

		na = realloc(e->a, (e->n + 1) * sizeof(*e->a));
		if (na == NULL) {
			snprintf(err, errlen, "out of memory");
			expect_free(e);
			return NULL;
		}
		e->a = na;
		if (p.failed || parse_assertion(&p, &e->a[e->n]) < 0) {
			if (!p.failed)
				perr(&p, "syntax error");
			expect_free(e);
			return NULL;
		}
		e->n++;
		if (p.tok == T_END)
			break;
		next(&p);	/* past ';' */
		if (p.tok == T_END)
			break;	/* a trailing ';' is fine */
	}
	return e;
}

/* ------------------------------------------------------------------ */
/* evaluation */

static bool
cmp_num(double v, enum op op, double want)
{
	switch (op) {
	case OP_EQ:
		return v == want;
	case OP_NE:
		return v != want;
	case OP_LT:
		return v < want;
	case OP_LE:
		return v <= want;
	case OP_GT:
		return v > want;
	default:
		return v >= want;
	}
}

static bool
cmp_eq(bool eq, enum op op)
{
	return op == OP_NE ? !eq : eq;
}

static bool
addr_eq(const struct flow_result *r, const uint8_t *a, const char *want)
{
	char buf[INET6_ADDRSTRLEN];

	if (inet_ntop(r->family == AF_INET6 ? AF_INET6 : AF_INET, a, buf,
	    sizeof(buf)) == NULL)
		return false;
	return strcmp(buf, want) == 0;
}

static bool
eval(const struct assertion *a, int i, const struct flow_result *r)
{
	const struct node *n = &a->nodes[i];

	switch (n->kind) {
	case N_NOT:
		return !eval(a, n->a, r);
	case N_AND:
		return eval(a, n->a, r) && eval(a, n->b, r);
	case N_OR:
		return eval(a, n->a, r) || eval(a, n->b, r);
	default:
		break;
	}
	switch (n->field) {
	case F_TEARDOWN:
		return cmp_eq((int)r->teardown == n->ival, n->op);
	case F_CLOSED_BY:
		return cmp_eq((int)r->closed_by == n->ival, n->op);
	case F_HALF_CLOSE:
		return cmp_eq((int)r->half_close == n->ival, n->op);
	case F_WAITER:
		return cmp_eq((int)r->waiter == n->ival, n->op);
	case F_CONN_STATE:
		return cmp_eq((int)r->conn_state == n->ival, n->op);
	case F_NOTE:
		return cmp_eq((r->notes & (uint32_t)n->ival) != 0, n->op);
	case F_PARTIAL:
		return r->partial;
	case F_HISTORY:
		return cmp_eq(strcmp(r->history[0] ? r->history : "-",
		    n->str) == 0, n->op);
	case F_ORIG_H:
		return cmp_eq(addr_eq(r, r->orig_addr, n->str), n->op);
	case F_RESP_H:
		return cmp_eq(addr_eq(r, r->resp_addr, n->str), n->op);
	case F_ORIG_P:
		return cmp_num(r->orig_port, n->op, n->num);
	case F_RESP_P:
		return cmp_num(r->resp_port, n->op, n->num);
	case F_ORIG_BYTES:
		return cmp_num((double)r->orig.bytes, n->op, n->num);
	case F_RESP_BYTES:
		return cmp_num((double)r->resp.bytes, n->op, n->num);
	case F_ORIG_UNACKED:
		return cmp_num((double)r->orig.unacked, n->op, n->num);
	case F_RESP_UNACKED:
		return cmp_num((double)r->resp.unacked, n->op, n->num);
	case F_DURATION:
		return cmp_num((double)(r->last_ts_us - r->ts_us) / 1e6,
		    n->op, n->num);
	case F_WAIT_TRIES:
		return cmp_num(r->wait_tries, n->op, n->num);
	case F_ID:
		return cmp_num((double)r->id, n->op, n->num);
	}
	return false;
}

static void
describe(const struct flow_result *r, char *buf, size_t len)
{
	char oh[INET6_ADDRSTRLEN], rh[INET6_ADDRSTRLEN];
	int af = r->family == AF_INET6 ? AF_INET6 : AF_INET;

	inet_ntop(af, r->orig_addr, oh, sizeof(oh));
	inet_ntop(af, r->resp_addr, rh, sizeof(rh));
	snprintf(buf, len, "connection %" PRIu64 " (%s%s%s:%u -> %s%s%s:%u)"
	    " ended %s%s%s (%s %s)", r->id,
	    af == AF_INET6 ? "[" : "", oh, af == AF_INET6 ? "]" : "",
	    r->orig_port,
	    af == AF_INET6 ? "[" : "", rh, af == AF_INET6 ? "]" : "",
	    r->resp_port, flow_class_name(r->teardown),
	    r->closed_by != FLOW_SIDE_NONE ? ", closed by " : "",
	    flow_side_name(r->closed_by), flow_state_name(r->conn_state),
	    r->history[0] ? r->history : "-");
}

/* r broke a: the first EXPECT_NAMED such connections are named. */
static void
name_failing(struct assertion *a, const struct flow_result *r)
{
	char d[300];

	a->failing++;
	if (a->failing > EXPECT_NAMED)
		return;
	describe(r, d, sizeof(d));
	if (a->failing > 1)
		snprintf(a->named[a->failing - 2], sizeof(a->named[0]),
		    "%s", d);
	else if (a->quant == Q_EXACTLY || a->quant == Q_AT_MOST)
		snprintf(a->why, sizeof(a->why), "%s, match %" PRIu64
		    " where at most %" PRIu64 " may match", d, a->matched,
		    a->n);
	else
		snprintf(a->why, sizeof(a->why), "%s", d);
	a->broken = true;
}

void
expect_feed(struct expect *e, const struct flow_result *r)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		struct assertion *a = &e->a[i];
		bool m = eval(a, a->root, r);
		bool fails;

		a->seen++;
		if (m)
			a->matched++;
		switch (a->quant) {
		case Q_ALL:
			fails = !m;
			break;
		case Q_NONE:
			fails = m;
			break;
		case Q_EXACTLY:
		case Q_AT_MOST:
			fails = m && a->matched > a->n;
			break;
		default:
			fails = false;
			break;
		}
		if (fails)
			name_failing(a, r);
	}
}

/* Append n bytes of line to the report (dropped when out of memory). */
static void
report_add(char **out, size_t *len, const char *line, int n)
{
	char *no;

	if (n <= 0)
		return;
	no = realloc(*out, *len + (size_t)n + 1);
	if (no == NULL)
		return;
	*out = no;
	memcpy(no + *len, line, (size_t)n + 1);
	*len += (size_t)n;
}

bool
expect_finish(struct expect *e, char **report)
{
	size_t i, len = 0, k;
	bool all_ok = true;
	char *out = NULL;

	free(e->ok);
	e->ok = calloc(e->n ? e->n : 1, sizeof(*e->ok));
	for (i = 0; i < e->n; i++) {
		struct assertion *a = &e->a[i];
		bool ok;
		char line[800];
		int n;

		switch (a->quant) {
		case Q_ALL:
		case Q_NONE:
			ok = !a->broken;
			break;
		case Q_ANY:
			ok = a->matched > 0;
			if (!ok)
				snprintf(a->why, sizeof(a->why), "none of %"
				    PRIu64 " connections matched", a->seen);
			break;
		case Q_EXACTLY:
			ok = a->matched == a->n;
			if (!ok && a->matched < a->n)
				snprintf(a->why, sizeof(a->why), "%" PRIu64
				    " of %" PRIu64 " connections matched,"
				    " expected exactly %" PRIu64, a->matched,
				    a->seen, a->n);
			break;
		case Q_AT_LEAST:
			ok = a->matched >= a->n;
			if (!ok)
				snprintf(a->why, sizeof(a->why), "%" PRIu64
				    " of %" PRIu64 " connections matched,"
				    " expected at least %" PRIu64, a->matched,
				    a->seen, a->n);
			break;
		default:
			ok = a->matched <= a->n;
			break;
		}
		if (e->ok)
			e->ok[i] = ok;
		if (ok)
			continue;
		all_ok = false;
		n = snprintf(line, sizeof(line), "expect '%s' failed: %s\n",
		    a->text, a->why);
		report_add(&out, &len, line, n);
		for (k = 0; k + 1 < a->failing && k + 1 < EXPECT_NAMED; k++) {
			n = snprintf(line, sizeof(line), "expect '%s' failed:"
			    " %s\n", a->text, a->named[k]);
			report_add(&out, &len, line, n);
		}
		if (a->failing > EXPECT_NAMED) {
			n = snprintf(line, sizeof(line), "expect '%s' failed:"
			    " %" PRIu64 " more connections (the first %d are"
			    " named)\n", a->text, a->failing - EXPECT_NAMED,
			    EXPECT_NAMED);
			report_add(&out, &len, line, n);
		}
	}
	e->finished = true;
	if (report)
		*report = out;
	else
		free(out);
	return all_ok;
}

json_t *
expect_json(const struct expect *e)
{
	json_t *arr = json_array();
	size_t i;

	if (arr == NULL)
		return NULL;
	for (i = 0; i < e->n; i++) {
		bool ok = e->ok ? e->ok[i] : false;
		json_t *o = json_pack("{s:s, s:b, s:I}", "expect",
		    e->a[i].text, "ok", ok, "matched",
		    (json_int_t)e->a[i].matched);

		if (o && !ok) {
			const struct assertion *a = &e->a[i];
			json_t *more = json_array();
			size_t k;

			json_object_set_new(o, "reason", json_string(a->why));
			for (k = 0; more && k + 1 < a->failing &&
			    k + 1 < EXPECT_NAMED; k++)
				json_array_append_new(more,
				    json_string(a->named[k]));
			if (a->failing > 0) {
				json_object_set_new(o, "failing",
				    json_integer((json_int_t)a->failing));
				json_object_set_new(o, "also", more);
			} else {
				json_decref(more);
			}
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

void
expect_free(struct expect *e)
{
	if (e == NULL)
		return;
	free(e->a);
	free(e->ok);
	free(e);
}
