// The independent side of tests/integration/test_parquet_interop.sh:
// DuckDB and hyparquet make test tables and read vitals' files, and check
// what vitals wrote or read.
//
// Making files:
//   gen DIR ROWS                 DIR/ref.parquet (DuckDB) and DIR/table.csv of the test table
//   duck-variants DIR ROWS       DIR/duck_*.parquet: the table in several DuckDB configurations
//   hy-write DIR ROWS            DIR/hy_*.parquet: the table through hyparquet-writer
//   prepare DIR ROWS             the three above
//   window PARQUET               print FROM TO (RFC 3339) of a slice across row groups
//
// Checks (each prints what it found wrong and exits 1, or exits 0 quietly):
//   check-read PARQUET CSV [--ref REF] [--readers duck,hy]
//                                DuckDB and hyparquet read PARQUET and agree with CSV
//                                (vitals' export of it) and with REF on every value
//   check-stats PARQUET          statistics of every row group and column match the data
//   check-filter PARQUET         DuckDB's pushed-down time filters = a full scan filtered here
//   check-slice SRC OUT [--from T] [--to T] [--columns a,b]
//                                OUT (vitals export SRC --from/--to/--columns) holds
//                                exactly DuckDB's answer for the same slice
//   check-layout PARQUET [--codec C] [--rg-rows N]
//                                every column chunk has codec C; row groups of N rows
//                                but the last
//   check-meta PARQUET KEY=VALUE...
//                                the file's key/value metadata holds these pairs
//   check-inspect PARQUET JSON   JSON (vitals inspect --json PARQUET) tells what DuckDB's
//                                parquet_metadata() does: rows, row groups, sizes,
//                                codecs, value and null counts, min/max, time span
//   wrong-stats-caught IN OUT    OUT = IN with the max time statistic of the first row
//                                group moved 10 s back; check-stats and check-filter
//                                must both find it
//
//   run-checks PLAN              run the checks of PLAN (lines "WHAT<TAB>CHECK<TAB>ARG...")
//                                in one process, printing "ok: WHAT" or "FAIL: WHAT"

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import {
	compareTables, describe, duckOpen, duckQuery, duckReadFile, duckSchema, formatCsv,
	formatTimestamp, hyMetadata, hyReadFile, normalize, parseDouble, parseTimestamp,
	quoteIdent, readCsvTyped, sameValue, selectRows, sqlString,
} from './lib.mjs';

const TIME = 'time';
const BASE_US = 1772323200000000n; // 2026-03-01T00:00:00Z

// Strings a trace holds and a CSV writer must quote or keep: quotes,
// commas, line breaks, non-ASCII, empty, spaces at the ends, a long one,
// words other tools read as null or numbers.
const NAMES = [
	'systemd', 'kworker/0:1-events', 'say "hi"', 'a,b,c', 'line\nbreak', 'cr\r\nlf',
	'größe', '日本語のプロセス', '🙂 emoji', '', ' lead and trail ', 'tab\there',
	'abc'.repeat(100), "it's", 'back\\slash', '=1+2', 'NULL', 'null', 'NaN', '0', '-',
];

function tableSql(rows) {
	const names = `[${NAMES.map(sqlString).join(', ')}]`;
	return `
CREATE OR REPLACE TABLE t AS
WITH b AS (
  SELECT range AS i, hash(range) AS h1, hash(range + 1000003) AS h2, hash(range + 2000006) AS h3
  FROM range(${rows}))
SELECT
  make_timestamp((${BASE_US} + (i // 50) * 1000000 +
    CASE WHEN (i // 50) % 10 = 0 THEN 0 ELSE ((i // 50) % 7) * 123457 + 1 END)::BIGINT) AS time,
  ['process', 'system', 'cpu', 'disk', 'net', 'psi'][1 + (h1 % 6)::INTEGER] AS kind,
  (CASE h2 % 1000 WHEN 0 THEN 9223372036854775807 WHEN 1 THEN (-9223372036854775807 - 1)
     WHEN 2 THEN NULL ELSE (h2 % 100000)::BIGINT - 5000 END)::BIGINT AS id,
  CASE WHEN h3 % 23 = 0 THEN NULL
       WHEN h3 % 4 = 0 THEN ${names}[1 + ((h3 // 4) % ${NAMES.length})::INTEGER]
       ELSE 'proc-' || ((h3 // 8) % 300)::VARCHAR END AS name,
  (CASE h2 % 97 WHEN 0 THEN 'nan'::DOUBLE WHEN 1 THEN 'inf'::DOUBLE WHEN 2 THEN '-inf'::DOUBLE
     WHEN 3 THEN -0.0::DOUBLE WHEN 4 THEN 1e300::DOUBLE WHEN 5 THEN 5e-324::DOUBLE
     WHEN 6 THEN NULL WHEN 7 THEN -1.5e-300::DOUBLE
     ELSE round((h1 % 10000)::DOUBLE / 100.0, 2) END)::DOUBLE AS cpu,
  (h3 >> 11)::DOUBLE / 9007199254740992.0 * 1000.0 - 500.0 AS ratio,
  (100000000 + i * 4096 + (h1 % 4096)::BIGINT * 4096)::BIGINT AS rss,
  (CASE WHEN h2 % 50 = 7 THEN NULL WHEN h3 % 500 = 0 THEN 2147483647
     WHEN h3 % 500 = 1 THEN -2147483648 ELSE (h3 % 64)::INTEGER + 1 END)::INTEGER AS threads,
  CASE WHEN h1 % 7 = 0 THEN NULL ELSE h2 % 2 = 0 END AS ok,
  CASE WHEN (i // 1000) % 3 = 1 THEN NULL ELSE 'tag' || ((i // 1000) % 5)::VARCHAR END AS tag,
  (i * 1000 + (h1 % 1000)::BIGINT)::BIGINT AS counter,
  (CASE WHEN (i // 777) % 2 = 1 THEN NULL ELSE 40.0 + (h2 % 600)::DOUBLE / 10.0 END)::DOUBLE
    AS temp
FROM b ORDER BY i`;
}

function fail(lines) {
	for (const l of [].concat(lines))
		console.log(l);
	process.exit(1);
}

function parseArgs(argv) {
	const pos = [], opt = {};
	for (let i = 0; i < argv.length; i++) {
		if (argv[i].startsWith('--')) {
			opt[argv[i].slice(2)] = argv[i + 1];
			i++;
		} else {
			pos.push(argv[i]);
		}
	}
	return { pos, opt };
}

async function gen(dir, rows) {
	const { con } = await duckOpen();
	await con.run(tableSql(rows));
	await con.run(`COPY t TO ${sqlString(`${dir}/ref.parquet`)} (FORMAT parquet)`);
	const t = await duckQuery(con, 'SELECT * FROM t');
	writeFileSync(`${dir}/table.csv`, formatCsv(t));
}

// The table as DuckDB writes it: each codec, dictionary off, format v2,
// small row groups, and extra timestamp units and an all-null column.
async function duckVariants(dir, rows) {
	const { con } = await duckOpen();
	await con.run(tableSql(rows));
	const variants = {
		zstd: 'COMPRESSION zstd',
		snappy: 'COMPRESSION snappy',
		gzip: 'COMPRESSION gzip',
		none: 'COMPRESSION uncompressed',
		lz4: 'COMPRESSION lz4_raw',
		nodict: 'COMPRESSION zstd, DICTIONARY_SIZE_LIMIT 0',
		v2: 'COMPRESSION zstd, PARQUET_VERSION V2',
		v2_nodict: 'COMPRESSION snappy, PARQUET_VERSION V2, DICTIONARY_SIZE_LIMIT 0',
		rowgroups: 'COMPRESSION zstd, ROW_GROUP_SIZE 2048',
	};
	for (const [name, opts] of Object.entries(variants))
		await con.run(`COPY t TO ${sqlString(`${dir}/duck_${name}.parquet`)} (FORMAT parquet, ${
			opts})`);
	await con.run(`COPY (SELECT time, name,
	    make_timestamp_ns(epoch_ns(time) + (counter % 1000)) AS time_ns,
	    epoch_ms(epoch_ms(time))::TIMESTAMP_MS AS time_ms,
	    time::TIMESTAMPTZ AS time_tz,
	    NULL::VARCHAR AS nothing, NULL::BIGINT AS nothing_i,
	    CASE WHEN counter % 3 = 0 THEN NULL ELSE cpu END AS cpu
	  FROM t) TO ${sqlString(`${dir}/duck_types.parquet`)}
	  (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 4096)`);
}

// The table through hyparquet-writer: data pages v2, the DELTA and
// BYTE_STREAM_SPLIT encodings, REQUIRED columns, legacy converted types.
async function hyWrite(dir, rows) {
	const { con } = await duckOpen();
	await con.run(tableSql(rows));
	const t = await duckQuery(con, 'SELECT * FROM t');
	const col = (n) => t.cols[t.names.indexOf(n)];
	const opt = (v) => (v === null ? null : v);
	const columnData = [
		{ name: 'time', data: col('time'), encoding: 'DELTA_BINARY_PACKED' },
		{ name: 'time_ms', data: col('time').map((v) => v / 1000n), encoding: 'PLAIN' },
		{ name: 'kind', data: col('kind'), encoding: 'RLE_DICTIONARY' },
		{ name: 'id', data: col('id').map(opt), encoding: 'DELTA_BINARY_PACKED' },
		{ name: 'name', data: col('name'), encoding: 'DELTA_BYTE_ARRAY' },
		{ name: 'tag', data: col('tag'), encoding: 'DELTA_LENGTH_BYTE_ARRAY' },
		{ name: 'cpu', data: col('cpu'), encoding: 'BYTE_STREAM_SPLIT' },
		{ name: 'ratio', data: col('ratio'), encoding: 'PLAIN' },
		{ name: 'rss', data: col('rss'), encoding: 'PLAIN' },
		{
			name: 'threads',
			data: col('threads').map((v) => (v === null ? null : Number(v))),
			encoding: 'DELTA_BINARY_PACKED',
		},
		{ name: 'ok', data: col('ok'), encoding: 'RLE' },
		{ name: 'counter', data: col('counter'), encoding: 'DELTA_BINARY_PACKED' },
	];
	const schema = [
		{ name: 'root', num_children: columnData.length },
		{
			name: 'time', type: 'INT64', repetition_type: 'REQUIRED',
			converted_type: 'TIMESTAMP_MICROS',
			logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
		},
		{
			name: 'time_ms', type: 'INT64', repetition_type: 'REQUIRED',
			converted_type: 'TIMESTAMP_MILLIS',
		},
		{ name: 'kind', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED', converted_type: 'UTF8' },
		{ name: 'id', type: 'INT64', repetition_type: 'OPTIONAL' },
		{
			name: 'name', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL', converted_type: 'UTF8',
			logical_type: { type: 'STRING' },
		},
		{ name: 'tag', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL', converted_type: 'UTF8' },
		{ name: 'cpu', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
		{ name: 'ratio', type: 'DOUBLE', repetition_type: 'REQUIRED' },
		{ name: 'rss', type: 'INT64', repetition_type: 'REQUIRED' },
		{ name: 'threads', type: 'INT32', repetition_type: 'OPTIONAL' },
		{ name: 'ok', type: 'BOOLEAN', repetition_type: 'OPTIONAL' },
		{ name: 'counter', type: 'INT64', repetition_type: 'REQUIRED' },
	];
	const configs = {
		snappy: { codec: 'SNAPPY', rowGroupSize: [1000, 4000] },
		gzip: { codec: 'GZIP', compressors: { GZIP: (b) => gzipSync(b) }, rowGroupSize: 3000 },
		none: { codec: 'UNCOMPRESSED', rowGroupSize: 100000, pageSize: 4096 },
	};
	for (const [name, c] of Object.entries(configs)) {
		const buf = parquetWriteBuffer({
			columnData, schema, ...c,
			kvMetadata: [{ key: 'writer', value: 'hyparquet-writer' }],
		});
		writeFileSync(`${dir}/hy_${name}.parquet`, new Uint8Array(buf));
	}
}

async function checkRead(con, file, csv, opt) {
	const readers = (opt.readers || 'duck,hy').split(',');
	const problems = [];
	const duck = await duckReadFile(con, file);
	if (readers.includes('hy')) {
		const hy = await hyReadFile(file);
		for (const p of compareTables(duck, 'DuckDB', hy, 'hyparquet'))
			problems.push(`${file}: ${p}`);
	}
	const text = readCsvTyped(csv, duck);
	for (const p of compareTables(duck, `DuckDB (${file})`, text, `vitals CSV (${csv})`))
		problems.push(p);
	if (opt.ref) {
		const ref = await duckReadFile(con, opt.ref);
		for (const p of compareTables(ref, `source (${opt.ref})`, duck, `DuckDB (${file})`))
			problems.push(p);
	}
	return problems;
}

// Row groups of FILE: [{ id, lo, hi }] with rows [lo, hi).
async function rowGroups(con, file) {
	const r = await duckQuery(con, `SELECT DISTINCT row_group_id, row_group_num_rows FROM
	    parquet_metadata(${sqlString(file)}) ORDER BY row_group_id`);
	const out = [];
	let lo = 0n;
	for (let i = 0; i < r.rows; i++) {
		const n = r.cols[1][i];
		out.push({ id: r.cols[0][i], lo, hi: lo + n });
		lo += n;
	}
	return out;
}

// Compare one reader's view of the statistics of a column chunk (VIEW:
// nulls, min, max, present, minExact, maxExact) with the data (D: nulls,
// min and max of the non-NaN values). Leaving out min/max is allowed
// only where ALLOW_ABSENT says the reader could not show them.
function compareStats(at, kind, view, d, allowAbsent) {
	const problems = [];
	if (view.nulls === null || view.nulls === undefined)
		problems.push(`${at}: no null count`);
	else if (BigInt(view.nulls) !== d.nulls)
		problems.push(`${at}: null count ${view.nulls}, the data has ${d.nulls}`);
	if (d.min === null) {
		// Only nulls (or NaN): a min/max, if any, must not be a value.
		if (view.present && kind === 'double' && !Number.isNaN(view.min))
			problems.push(`${at}: min ${describe(view.min)} of no value`);
		return problems;
	}
	if (!view.present) {
		if (!allowAbsent)
			problems.push(`${at}: no min/max statistics`);
		return problems;
	}
	const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
	// Doubles compare as numbers: -0 and +0 are one value here.
	if (view.minExact ? view.min !== d.min : cmp(view.min, d.min) > 0)
		problems.push(`${at}: min ${describe(view.min)}${
			view.minExact ? '' : ' (inexact)'}, the data's min is ${describe(d.min)}`);
	if (view.maxExact ? view.max !== d.max : cmp(view.max, d.max) < 0)
		problems.push(`${at}: max ${describe(view.max)}${
			view.maxExact ? '' : ' (inexact)'}, the data's max is ${describe(d.max)}`);
	if (kind === 'double' && (Number.isNaN(view.min) || Number.isNaN(view.max)))
		problems.push(`${at}: NaN in min/max statistics`);
	return problems;
}

// The statistics of every row group and column, as DuckDB's
// parquet_metadata() and as hyparquet's footer parser read them, against
// min, max and null count computed by DuckDB over the rows of each group.
async function checkStats(con, file) {
	const schema = await duckSchema(con, file);
	const rgs = await rowGroups(con, file);
	const hy = hyMetadata(file);
	const problems = [];
	const q = sqlString(file);
	await con.run(`CREATE OR REPLACE TEMP TABLE rg AS SELECT * FROM (VALUES ${
		rgs.map((g) => `(${g.id}, ${g.lo}, ${g.hi})`).join(', ')}) v(id, lo, hi)`);
	let checked = 0;
	if (hy.row_groups.length !== rgs.length)
		problems.push(`hyparquet reads ${hy.row_groups.length} row groups, DuckDB ${rgs.length}`);
	for (let c = 0; c < schema.names.length; c++) {
		const name = schema.names[c], type = schema.duckTypes[c], kind = schema.kinds[c];
		const v = `d.${quoteIdent(name)}`;
		const real = kind === 'double' ? `FILTER (WHERE NOT isnan(${v}))` : '';
		const sql = `
WITH d AS (SELECT *, file_row_number AS n_ FROM read_parquet(${q}, file_row_number = true)),
data AS (
  SELECT rg.id, count(d.n_) AS rows, count(d.n_) - count(${v}) AS nulls,
         min(${v}) ${real} AS dmin, max(${v}) ${real} AS dmax,
         ${kind === 'double' ? `count(*) FILTER (WHERE isnan(${v}))` : '0'} AS nans
  FROM rg LEFT JOIN d ON d.n_ >= rg.lo AND d.n_ < rg.hi GROUP BY rg.id),
md AS (
  SELECT row_group_id AS id, row_group_num_rows AS rows, stats_null_count AS snulls,
         stats_min_value AS smin_text, stats_max_value AS smax_text,
         TRY_CAST(stats_min_value AS ${type}) AS smin, TRY_CAST(stats_max_value AS ${type}) AS smax,
         coalesce(min_is_exact, true) AS min_exact, coalesce(max_is_exact, true) AS max_exact
  FROM parquet_metadata(${q}) WHERE path_in_schema = ${sqlString(name)})
SELECT md.id, md.rows, data.rows, md.snulls, data.nulls, md.smin, data.dmin, md.smax, data.dmax,
       md.smin_text, md.smax_text, md.min_exact, md.max_exact, data.nans
FROM md JOIN data ON md.id = data.id ORDER BY md.id`;
		const rows = (await con.runAndReadAll(sql)).getRows();
		if (rows.length !== rgs.length)
			problems.push(`column ${name}: statistics for ${rows.length} of ${
				rgs.length} row groups`);
		for (const row of rows) {
			const big = (x) => (x === null ? null : BigInt(x));
			const id = Number(row[0]);
			const d = {
				nulls: big(row[4]), min: normalize(kind, row[6]), max: normalize(kind, row[8]),
			};
			const nans = BigInt(row[13]);
			const at = `row group ${id}, column ${name}`;
			checked++;
			if (big(row[1]) !== big(row[2]))
				problems.push(`${at}: footer says ${row[1]} rows, ${row[2]} read`);

			// DuckDB's view. It shows no infinite min/max at all.
			const [sminText, smaxText] = [row[9], row[10]];
			const duck = {
				nulls: row[3], min: normalize(kind, row[5]), max: normalize(kind, row[7]),
				present: sminText !== null && smaxText !== null,
				minExact: row[11], maxExact: row[12],
			};
			if (duck.present && (duck.min === null || duck.max === null)) {
				problems.push(`${at}: DuckDB's statistics ${JSON.stringify(sminText)}/${
					JSON.stringify(smaxText)} do not read as ${type}`);
			} else {
				const inf = kind === 'double' &&
					(d.min === -Infinity || d.max === Infinity);
				for (const p of compareStats(`${at} (DuckDB)`, kind, duck, d, nans > 0n || inf))
					problems.push(p);
			}

			// hyparquet's view.
			const st = hy.row_groups[id]?.columns[c]?.meta_data?.statistics;
			const hmin = st?.min_value ?? st?.min, hmax = st?.max_value ?? st?.max;
			const hv = {
				nulls: st?.null_count,
				min: hmin === undefined ? null : normalize(kind, hmin),
				max: hmax === undefined ? null : normalize(kind, hmax),
				present: hmin !== undefined && hmax !== undefined,
				minExact: st?.is_min_value_exact ?? true,
				maxExact: st?.is_max_value_exact ?? true,
			};
			for (const p of compareStats(`${at} (hyparquet)`, kind, hv, d, nans > 0n))
				problems.push(p);
		}
	}
	if (checked === 0)
		problems.push(`${file}: no statistics checked`);
	return problems;
}

// Time windows [lo, hi] (null: unbounded) that test pruning: inside a row
// group, across a boundary, one group exactly, a point on a boundary,
// before and after the data, a gap between groups, open ends.
function windows(times, rgs) {
	const n = times.length;
	const sorted = times.filter((x) => x !== null).slice().sort((a, b) => (a < b ? -1 : 1));
	const min = sorted[0], max = sorted[sorted.length - 1];
	const at = (i) => times[Math.max(0, Math.min(n - 1, i))];
	const w = [
		[at(Math.floor(n * 0.10)), at(Math.floor(n * 0.15))],
		[min, max],
		[min - 10000000n, min - 1n],
		[max + 1n, max + 10000000n],
		[null, at(Math.floor(n / 3))],
		[at(Math.floor((2 * n) / 3)), null],
		[at(Math.floor(n / 2)), at(Math.floor(n / 2))],
	];
	if (rgs.length > 1) {
		const b = Number(rgs[1].lo);
		const g = (lo, hi) => {
			let mn = null, mx = null;
			for (let i = lo; i < hi; i++) {
				const x = times[i];
				if (x === null)
					continue;
				if (mn === null || x < mn)
					mn = x;
				if (mx === null || x > mx)
					mx = x;
			}
			return [mn, mx];
		};
		const g0 = g(Number(rgs[0].lo), Number(rgs[0].hi));
		const g1 = g(Number(rgs[1].lo), Number(rgs[1].hi));
		w.push([at(b - 3), at(b + 3)]);
		w.push(g1);
		w.push([at(b), at(b)]);
		w.push([at(b - 1), at(b - 1)]);
		if (g1[0] > g0[1] + 1n)
			w.push([g0[1] + 1n, g1[0] - 1n]);
		w.push([g0[1], g1[0]]);
	}
	return w;
}

function tsLiteral(us, type) {
	return `CAST(make_timestamp(${us}::BIGINT) AS ${type})`;
}

async function checkFilter(con, file) {
	const schema = await duckSchema(con, file);
	const tc = schema.names.indexOf(TIME);
	if (tc < 0)
		return [`${file}: no column ${TIME}`];
	const type = schema.duckTypes[tc];
	const full = await hyReadFile(file);
	const rgs = await rowGroups(con, file);
	const times = full.cols[full.names.indexOf(TIME)];
	const problems = [];
	// (A bound at the file's min would be proven true from the statistics and dropped.)
	const mid = times[Math.floor(times.length / 2)];
	const explain = await con.runAndReadAll(`EXPLAIN SELECT * FROM read_parquet(${
		sqlString(file)}) WHERE ${TIME} >= ${tsLiteral(mid, type)}`);
	const plan = explain.getRows().map((r) => r.join('\n')).join('\n');
	if (!/READ_PARQUET|PARQUET_SCAN/.test(plan) || !/Filters:[\s\S]*time/.test(plan))
		problems.push(`DuckDB does not push the time filter into the scan:\n${plan}`);
	for (const [lo, hi] of windows(times, rgs)) {
		const cond = [];
		if (lo !== null)
			cond.push(`${TIME} >= ${tsLiteral(lo, type)}`);
		if (hi !== null)
			cond.push(`${TIME} <= ${tsLiteral(hi, type)}`);
		const got = await duckReadFile(con, file, null, `WHERE ${cond.join(' AND ')}`);
		const want = selectRows(full, (r) => times[r] !== null &&
			(lo === null || times[r] >= lo) && (hi === null || times[r] <= hi));
		const what = `[${lo === null ? '-inf' : formatTimestamp(lo)}, ${
			hi === null ? '+inf' : formatTimestamp(hi)}]`;
		for (const p of compareTables(want, 'full scan', got, 'DuckDB filter', 3))
			problems.push(`${file} ${what}: ${p}`);
	}
	return problems;
}

// A slice that starts inside the second row group and ends inside the
// next to last, on timestamps that exist.
async function window(con, file) {
	const rgs = await rowGroups(con, file);
	const t = await duckReadFile(con, file, [TIME]);
	const n = t.rows;
	let a = Math.floor(n * 0.3), b = Math.floor(n * 0.6);
	if (rgs.length > 3) {
		a = Number(rgs[1].lo) + 7;
		b = Number(rgs[rgs.length - 2].lo) + 11;
	}
	console.log(`${formatTimestamp(t.cols[0][a])} ${formatTimestamp(t.cols[0][b])}`);
}

async function checkSlice(con, src, out, opt) {
	const schema = await duckSchema(con, src);
	const type = schema.duckTypes[schema.names.indexOf(TIME)];
	const cond = [];
	if (opt.from)
		cond.push(`${TIME} >= ${tsLiteral(parseTimestamp(opt.from), type)}`);
	if (opt.to)
		cond.push(`${TIME} <= ${tsLiteral(parseTimestamp(opt.to), type)}`);
	const columns = opt.columns ? opt.columns.split(',') : null;
	const want = await duckReadFile(con, src, columns,
					cond.length ? `WHERE ${cond.join(' AND ')}` : '');
	if (want.rows === 0)
		return [`${src}: the slice is empty; choose a wider one`];
	let got;
	if (out.endsWith('.csv'))
		got = readCsvTyped(out, want);
	else
		got = await duckReadFile(con, out);
	return compareTables(want, 'DuckDB slice', got, `vitals (${out})`);
}

async function checkMeta(con, file, pairs) {
	const r = await con.runAndReadAll(`SELECT decode(key)::VARCHAR, decode(value)::VARCHAR
	    FROM parquet_kv_metadata(${sqlString(file)})`);
	const kv = new Map(r.getRows());
	const problems = [];
	for (const p of pairs) {
		const i = p.indexOf('=');
		const k = p.slice(0, i), v = p.slice(i + 1);
		if (kv.get(k) !== v)
			problems.push(`${file}: key ${k} is ${JSON.stringify(kv.get(k))}, expected ${
				JSON.stringify(v)}`);
	}
	return problems;
}

const CODEC_NAMES = {
	UNCOMPRESSED: 'none', SNAPPY: 'snappy', GZIP: 'gzip', ZSTD: 'zstd', LZ4_RAW: 'lz4_raw',
};

// A min/max of vitals inspect (text) as a value of KIND, or undefined when
// the kind has no exact text form to compare.
function inspectValue(kind, text) {
	if (text === null || text === undefined)
		return null;
	switch (kind) {
	case 'ts':
		return parseTimestamp(text);
	case 'int':
		return BigInt(text);
	case 'double':
		return parseDouble(text);
	case 'bool':
		return text === 'true';
	}
	return undefined;
}

async function checkInspect(con, file, jsonFile) {
	const info = JSON.parse(readFileSync(jsonFile, 'utf8'));
	const schema = await duckSchema(con, file);
	const q = sqlString(file);
	const problems = [];
	const expect = (what, got, want) => {
		if (String(got) !== String(want))
			problems.push(`${what}: inspect says ${JSON.stringify(got)}, DuckDB ${
				JSON.stringify(String(want))}`);
	};
	const md = (await con.runAndReadAll(`SELECT row_group_id, row_group_num_rows, column_id,
	    path_in_schema, compression, num_values, total_compressed_size, total_uncompressed_size,
	    stats_null_count, stats_min_value, stats_max_value, type
	  FROM parquet_metadata(${q}) ORDER BY row_group_id, column_id`)).getRowObjects();
	const nrg = new Set(md.map((r) => r.row_group_id)).size;
	expect('format', info.format, 'parquet');
	expect('file_bytes', info.file_bytes, statSync(file).size);
	expect('columns', JSON.stringify((info.columns || []).map((c) => c.name)),
	       JSON.stringify(schema.names));
	expect('row groups', (info.row_groups || []).length, nrg);
	let rows = 0n;
	const seen = new Set();
	for (const r of md) {
		const g = Number(r.row_group_id), c = Number(r.column_id);
		const rg = info.row_groups?.[g];
		if (!seen.has(g)) {
			seen.add(g);
			rows += BigInt(r.row_group_num_rows);
			expect(`row group ${g} rows`, rg?.rows, r.row_group_num_rows);
		}
		const ci = rg?.columns?.[c];
		const at = `row group ${g}, column ${r.path_in_schema}`;
		if (!ci) {
			problems.push(`${at}: not in inspect's output`);
			continue;
		}
		expect(`${at} codec`, ci.codec, CODEC_NAMES[r.compression] ?? r.compression);
		expect(`${at} values`, ci.values, r.num_values);
		expect(`${at} compressed bytes`, ci.compressed_bytes, r.total_compressed_size);
		expect(`${at} uncompressed bytes`, ci.uncompressed_bytes, r.total_uncompressed_size);
		if (r.stats_null_count !== null)
			expect(`${at} null count`, ci.null_count, r.stats_null_count);
		const kind = schema.kinds[c];
		for (const [k, v] of [['min', r.stats_min_value], ['max', r.stats_max_value]]) {
			if (v === null || kind === 'string')
				continue;
			const want = (await duckQuery(con, `SELECT TRY_CAST(${sqlString(v)} AS ${
				schema.duckTypes[c]})`)).cols[0][0];
			let got;
			try {
				got = inspectValue(kind, ci[k]);
			} catch (e) {
				problems.push(`${at} ${k}: ${e.message}`);
				continue;
			}
			if (got !== undefined && want !== null && !sameValue(kind, got, want) &&
			    !(kind === 'double' && got === want))
				problems.push(`${at} ${k}: inspect says ${JSON.stringify(ci[k])}, DuckDB ${
					describe(want)}`);
		}
	}
	expect('rows', info.rows, rows);
	const tc = schema.names.indexOf(TIME);
	if (tc >= 0 && rows > 0n) {
		const t = await duckQuery(con, `SELECT min(epoch_us(${TIME})), max(epoch_us(${
			TIME})) FROM read_parquet(${q})`);
		expect('time.min_us', info.time?.min_us, t.cols[0][0]);
		expect('time.max_us', info.time?.max_us, t.cols[1][0]);
	}
	const kv = (await con.runAndReadAll(`SELECT decode(key)::VARCHAR, decode(value)::VARCHAR
	    FROM parquet_kv_metadata(${q})`)).getRows();
	for (const [k, v] of kv)
		expect(`metadata ${k}`, info.metadata?.[k], v);
	return problems;
}

// FILE is compressed with CODEC (--codec, vitals' name) in every column
// chunk, and its row groups hold --rg-rows rows each but the last.
async function checkLayout(con, file, opt) {
	const md = (await con.runAndReadAll(`SELECT row_group_id, row_group_num_rows, path_in_schema,
	    compression FROM parquet_metadata(${sqlString(file)}) ORDER BY row_group_id, column_id`))
			   .getRowObjects();
	const problems = [];
	const groups = new Map();
	for (const r of md) {
		groups.set(Number(r.row_group_id), Number(r.row_group_num_rows));
		const codec = CODEC_NAMES[r.compression] ?? r.compression;
		if (opt.codec && codec !== opt.codec)
			problems.push(`row group ${r.row_group_id}, column ${r.path_in_schema}: codec ${
				codec}, expected ${opt.codec}`);
	}
	if (opt['rg-rows']) {
		const want = Number(opt['rg-rows']);
		const sizes = [...groups.values()];
		sizes.forEach((n, i) => {
			if (i < sizes.length - 1 ? n !== want : n < 1 || n > want)
				problems.push(`row group ${i} has ${n} rows (groups of ${want} asked)`);
		});
		if (sizes.length < 2)
			problems.push(`${sizes.length} row group(s); the test wants several`);
	}
	return problems.slice(0, 12);
}

// Write OUT: IN with the max time statistic of its first row group moved
// 10 s back. check-stats and check-filter must both find it.
async function checkWrongStatsCaught(con, inFile, outFile) {
	const rgs = await rowGroups(con, inFile);
	const r = await duckQuery(con, `SELECT max(epoch_us(${TIME})) FROM read_parquet(${
		sqlString(inFile)}, file_row_number = true) WHERE file_row_number < ${rgs[0].hi}`);
	const max = r.cols[0][0];
	const b = Buffer.from(readFileSync(inFile));
	const footer = b.length - 8 - b.readUInt32LE(b.length - 8);
	const pat = Buffer.alloc(8), repl = Buffer.alloc(8);
	pat.writeBigInt64LE(max);
	repl.writeBigInt64LE(max - 10000000n);
	let n = 0;
	for (let i = b.indexOf(pat, footer); i >= 0; i = b.indexOf(pat, i + 8), n++)
		repl.copy(b, i);
	if (n === 0)
		return [`${inFile}: the max time ${max} of row group 0 is not in the footer`];
	writeFileSync(outFile, b);
	const problems = [];
	if ((await checkStats(con, outFile)).length === 0)
		problems.push(`check-stats finds nothing wrong in ${outFile}`);
	if ((await checkFilter(con, outFile)).length === 0)
		problems.push(`check-filter finds nothing wrong in ${outFile}`);
	return problems;
}

// Checks by name: each takes (con, positional args, options) and returns
// its problems, none when all is well.
const CHECKS = {
	'check-read': (con, pos, opt) => checkRead(con, pos[0], pos[1], opt),
	'check-stats': (con, pos) => checkStats(con, pos[0]),
	'check-filter': (con, pos) => checkFilter(con, pos[0]),
	'check-slice': (con, pos, opt) => checkSlice(con, pos[0], pos[1], opt),
	'check-meta': (con, pos) => checkMeta(con, pos[0], pos.slice(1)),
	'check-layout': (con, pos, opt) => checkLayout(con, pos[0], opt),
	'check-inspect': (con, pos) => checkInspect(con, pos[0], pos[1]),
	'wrong-stats-caught': (con, pos) => checkWrongStatsCaught(con, pos[0], pos[1]),
};

async function runCheck(con, argv) {
	const { pos, opt } = parseArgs(argv);
	const name = pos.shift();
	if (!CHECKS[name])
		return [`unknown check ${name}`];
	try {
		return await CHECKS[name](con, pos, opt);
	} catch (e) {
		return [`${name}: ${e.stack || e}`];
	}
}

// Run every check of PLAN, a file of lines "WHAT<TAB>CHECK<TAB>ARG...", in
// one process; print "ok: WHAT" or "FAIL: WHAT" with the problems.
async function runChecks(plan) {
	const { con } = await duckOpen();
	let failed = 0;
	for (const line of readFileSync(plan, 'utf8').split('\n')) {
		if (!line.trim())
			continue;
		const [what, ...argv] = line.split('\t').filter((f) => f !== '');
		const problems = await runCheck(con, argv);
		if (problems.length === 0) {
			console.log(`ok: ${what}`);
			continue;
		}
		failed++;
		console.log(`FAIL: ${what}`);
		for (const p of problems.slice(0, 12))
			console.log(`    ${p.replaceAll('\n', '\n    ')}`);
		if (problems.length > 12)
			console.log(`    ... ${problems.length} problems in all`);
	}
	return failed;
}

const argv = process.argv.slice(2);
const cmd = argv[0];
try {
	if (cmd === 'gen') {
		await gen(argv[1], Number(argv[2]));
	} else if (cmd === 'duck-variants') {
		await duckVariants(argv[1], Number(argv[2]));
	} else if (cmd === 'hy-write') {
		await hyWrite(argv[1], Number(argv[2]));
	} else if (cmd === 'prepare') {
		await gen(argv[1], Number(argv[2]));
		await duckVariants(argv[1], Number(argv[2]));
		await hyWrite(argv[1], Number(argv[2]));
	} else if (cmd === 'window') {
		const { con } = await duckOpen();
		await window(con, argv[1]);
	} else if (cmd === 'run-checks') {
		process.exit((await runChecks(argv[1])) ? 1 : 0);
	} else if (CHECKS[cmd]) {
		const { con } = await duckOpen();
		const problems = await runCheck(con, argv);
		if (problems.length)
			fail(problems);
	} else {
		fail(`interop.mjs: unknown command ${cmd}`);
	}
} catch (e) {
	fail(`interop.mjs ${cmd}: ${e.stack || e}`);
}
process.exit(0);
