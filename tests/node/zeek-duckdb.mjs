// SPDX-License-Identifier: BSD-2-Clause
// Read finrst's Zeek logs the way a user's DuckDB would, unchanged:
// node zeek-duckdb.mjs CONN.JSON CONN.TSV prints one JSON object,
// {"json": {STATE: COUNT, ...}, "tsv": {...}, "rows": {"json": N, ...}},
// the connections per conn_state by DuckDB's JSON reader and by its CSV
// reader (tab-separated, '#' lines skipped, '-' read as NULL, the column
// names taken from the log's own #fields line).
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const [jsonPath, tsvPath] = process.argv.slice(2);
if (!jsonPath || !tsvPath) {
	console.error('usage: node zeek-duckdb.mjs CONN.JSON CONN.TSV');
	process.exit(2);
}

const quote = (s) => "'" + s.replaceAll("'", "''") + "'";
const fieldsLine = readFileSync(tsvPath, 'utf8').split('\n')
	.find((l) => l.startsWith('#fields\t'));
if (!fieldsLine) {
	console.error(`${tsvPath}: no #fields line`);
	process.exit(1);
}
const names = fieldsLine.split('\t').slice(1);

const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();

async function counts(from) {
	const r = await conn.runAndReadAll(
		`SELECT conn_state, count(*)::INTEGER AS n FROM ${from} ` +
		'GROUP BY conn_state ORDER BY conn_state');
	const out = {};
	for (const row of r.getRowObjects())
		out[row.conn_state] = row.n;
	return out;
}

async function rows(from) {
	const r = await conn.runAndReadAll(
		`SELECT count(*)::INTEGER AS n, ` +
		`count(DISTINCT uid)::INTEGER AS uids, ` +
		`sum("orig_ip_bytes")::BIGINT AS ob FROM ${from}`);
	const o = r.getRowObjects()[0];
	return { n: o.n, uids: o.uids, orig_ip_bytes: Number(o.ob ?? 0) };
}

const jsonFrom = `read_json_auto(${quote(jsonPath)}, format='newline_delimited')`;
const tsvFrom = `read_csv(${quote(tsvPath)}, delim='\t', header=false, ` +
	`comment='#', nullstr='-', ` +
	`names=[${names.map(quote).join(', ')}])`;

const result = {
	json: await counts(jsonFrom),
	tsv: await counts(tsvFrom),
	rows: { json: await rows(jsonFrom), tsv: await rows(tsvFrom) },
};
console.log(JSON.stringify(result));
