// The dashboard benchmark, DuckDB's side (see bench/dashboard.sh): the same
// min/max buckets the dashboard's /api/series computes, for one entity and
// one metric of a trace over a time window, with one DuckDB thread reading
// the Parquet file directly (a plain range on `time` lets it skip row groups
// by their statistics, as vitals does). Each window is timed best of
// --rounds.
//
// Usage: node bench/dashboard_duckdb.mjs --file F --kind K --id I --metric M
//                                        --windows FROM:TO,... --points N [--rounds 3]
// Prints per window:
//   bench=duckdb_series from=F to=T seconds=S buckets=B max=X

import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(new URL('../tests/js/package.json', import.meta.url));
const { DuckDBInstance } = require('@duckdb/node-api');

const o = { rounds: 3, points: 1000 };
for (let i = 2; i < process.argv.length; i += 2)
	o[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const q = (s) => `'${String(s).replace(/'/g, "''")}'`;

const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run('SET threads = 1');
await con.run(`SET TimeZone = 'UTC'`);
for (const w of o.windows.split(',')) {
	const [from, to] = w.split(':').map(Number);
	const bucket = Math.max(1, Math.ceil((to - from + 1) / Number(o.points)));
	const sql = `SELECT (epoch_us(time) - ${from}) // ${bucket} AS b, min(time), min(${o.metric}),
	                    max(${o.metric}), avg(${o.metric}), count(*)
	             FROM read_parquet(${q(o.file)})
	             WHERE kind = ${q(o.kind)} AND id = ${q(o.id)}
	               AND time >= to_timestamp(${Math.floor(from / 1e6)})
	               AND time <= to_timestamp(${Math.ceil(to / 1e6)})
	               AND epoch_us(time) BETWEEN ${from} AND ${to}
	             GROUP BY b ORDER BY b`;
	let best = Infinity, rows = [];
	for (let r = 0; r < Number(o.rounds); r++) {
		const t0 = performance.now();
		rows = (await con.runAndReadAll(sql)).getRows();
		best = Math.min(best, (performance.now() - t0) / 1000);
	}
	const max = rows.reduce((m, r) => Math.max(m, Number(r[3])), -Infinity);
	console.log(`bench=duckdb_series from=${from} to=${to} seconds=${best.toFixed(4)} buckets=${rows.length} max=${max}`);
}
