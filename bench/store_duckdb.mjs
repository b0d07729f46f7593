// The trace-file benchmark, DuckDB's side (see bench/store.c and
// bench/run_store.sh). Loads the table that bench/store wrote as CSV into
// an in-memory DuckDB table (not timed), then with one thread:
//
//   write: COPY tbl TO 'duck.parquet' (FORMAT parquet, COMPRESSION zstd),
//          DuckDB's defaults otherwise (row groups of 122880 rows);
//   read:  an aggregate over every column of the file: count(*), then
//          sum() of every number (epoch_us() of the time) and sum(length())
//          of every string, so each value of each column is decoded.
//          DuckDB answers it from its vectors without building a result
//          table, which is the least DuckDB can do to look at every value.
//
// Each is timed best of --rounds, in wall-clock and in CPU time (user +
// system of the whole process: DuckDB's one thread and node's own). With
// --check FILE it also runs the read aggregate over FILE (vitals' Parquet)
// and fails unless both files hold the same values, so the sizes compare
// the same data.
//
// Usage: node bench/store_duckdb.mjs --csv table.csv --out duck.parquet
//                                   [--rounds 3] [--codec zstd] [--check vitals.parquet]
// Prints:
//   bench=duckdb_write rows=N seconds=S cpu_seconds=S bytes=B codec=C
//   bench=duckdb_read rows=N seconds=S cpu_seconds=S

import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(new URL('../tests/js/package.json', import.meta.url));
const { DuckDBInstance } = require('@duckdb/node-api');

// The table of bench/store.c, by name and DuckDB type.
const COLUMNS = {
	time: 'TIMESTAMPTZ',
	kind: 'VARCHAR',
	id: 'BIGINT',
	name: 'VARCHAR',
	cpu_percent: 'DOUBLE',
	mem_percent: 'DOUBLE',
	rss_bytes: 'BIGINT',
	vms_bytes: 'BIGINT',
	read_bytes: 'BIGINT',
	write_bytes: 'BIGINT',
	cpu_seconds: 'DOUBLE',
	threads: 'INTEGER',
	fds: 'INTEGER',
	ctx_switches: 'BIGINT',
};

function args(argv) {
	const o = { rounds: 3, codec: 'zstd' };
	for (let i = 0; i < argv.length; i += 2) {
		const k = argv[i].replace(/^--/, '');
		if (!(k in { csv: 1, out: 1, rounds: 1, codec: 1, check: 1 }) || i + 1 >= argv.length)
			throw new Error('usage: store_duckdb.mjs --csv CSV --out PARQUET [--rounds N] ' +
					'[--codec C] [--check FILE]');
		o[k] = argv[i + 1];
	}
	if (!o.csv || !o.out)
		throw new Error('store_duckdb.mjs: --csv and --out are needed');
	o.rounds = Number(o.rounds);
	return o;
}

const q = (s) => `'${String(s).replaceAll("'", "''")}'`;

function readSql(file) {
	const parts = ['count(*)'];
	for (const [name, type] of Object.entries(COLUMNS)) {
		if (type === 'VARCHAR')
			parts.push(`sum(length(${name}))`);
		else if (type === 'TIMESTAMPTZ')
			parts.push(`sum(epoch_us(${name}))`);
		else
			parts.push(`sum(${name})`);
		parts.push(`count(${name})`);
	}
	return `SELECT ${parts.join(', ')} FROM read_parquet(${q(file)})`;
}

async function main() {
	const o = args(process.argv.slice(2));
	const db = await DuckDBInstance.create(':memory:');
	const con = await db.connect();
	await con.run('SET threads = 1');
	await con.run(`SET TimeZone = 'UTC'`);
	const cols = Object.entries(COLUMNS).map(([n, t]) => `${q(n)}: ${q(t)}`).join(', ');
	await con.run(`CREATE TABLE tbl AS SELECT * FROM read_csv(${q(o.csv)}, header = true,
	    auto_detect = false, delim = ',', quote = '"', escape = '"', columns = {${cols}})`);
	const rows = Number((await con.runAndReadAll('SELECT count(*) FROM tbl')).getRows()[0][0]);

	const cpu = () => {
		const u = process.cpuUsage();
		return (u.user + u.system) / 1000;
	};
	let bestW = Infinity, bestR = Infinity, cpuW = Infinity, cpuR = Infinity, result = null;
	for (let k = 0; k < o.rounds; k++) {
		let t0 = performance.now(), c0 = cpu();
		await con.run(`COPY tbl TO ${q(o.out)} (FORMAT parquet, COMPRESSION ${o.codec})`);
		bestW = Math.min(bestW, performance.now() - t0);
		cpuW = Math.min(cpuW, cpu() - c0);
	}
	for (let k = 0; k < o.rounds; k++) {
		const t0 = performance.now(), c0 = cpu();
		const r = await con.runAndReadAll(readSql(o.out));
		bestR = Math.min(bestR, performance.now() - t0);
		cpuR = Math.min(cpuR, cpu() - c0);
		result = r.getRows()[0].map(String);
	}
	if (Number(result[0]) !== rows)
		throw new Error(`${o.out}: read ${result[0]} rows of ${rows}`);
	if (o.check) {
		const r = (await con.runAndReadAll(readSql(o.check))).getRows()[0].map(String);
		if (JSON.stringify(r) !== JSON.stringify(result))
			throw new Error(`${o.check} and ${o.out} hold different values:\n${
				JSON.stringify(r)}\n${JSON.stringify(result)}`);
	}
	const bytes = statSync(o.out).size;
	const sec = (ms) => (ms / 1000).toFixed(4);
	console.log(`bench=duckdb_write rows=${rows} seconds=${sec(bestW)} cpu_seconds=${
		sec(cpuW)} bytes=${bytes} codec=${o.codec}`);
	console.log(`bench=duckdb_read rows=${rows} seconds=${sec(bestR)} cpu_seconds=${sec(cpuR)}`);
}

main().catch((e) => {
	console.error(`store_duckdb: ${e.message}`);
	process.exit(1);
});
