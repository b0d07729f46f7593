// Shared helpers of the interoperability checks: reading a Parquet file
// with DuckDB and with hyparquet into typed columns, parsing vitals' CSV
// with the types of a schema, and comparing tables value by value.
//
// A table here is { names, kinds, cols, rows }: cols[c][r] is a normalized
// value of kind kinds[c]:
//   'ts'     BigInt UTC microseconds
//   'int'    BigInt (INT32 and INT64 alike)
//   'double' Number (NaN, ±Infinity and -0 kept)
//   'bool'   Boolean
//   'string' String
// and null for a missing value.

import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata, parquetRead } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

export async function duckOpen() {
	const db = await DuckDBInstance.create(':memory:');
	const con = await db.connect();
	await con.run(`SET TimeZone = 'UTC'`);
	return { db, con };
}

export function sqlString(s) {
	return `'${String(s).replaceAll("'", "''")}'`;
}

// The kind of a DuckDB type name, or null for a type vitals does not have.
export function kindOfDuckType(t) {
	t = String(t).toUpperCase();
	if (t.startsWith('TIMESTAMP'))
		return 'ts';
	if (['BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT', 'UINTEGER', 'USMALLINT', 'UTINYINT']
		    .includes(t))
		return 'int';
	if (t === 'DOUBLE' || t === 'FLOAT')
		return 'double';
	if (t === 'BOOLEAN')
		return 'bool';
	if (t === 'VARCHAR')
		return 'string';
	return null;
}

export function normalize(kind, v) {
	if (v === null || v === undefined)
		return null;
	switch (kind) {
	case 'ts':
		if (typeof v === 'bigint')
			return v;
		if (typeof v === 'object' && 'micros' in v)
			return BigInt(v.micros);
		if (typeof v === 'object' && 'nanos' in v)
			return floorDiv(BigInt(v.nanos), 1000n);
		if (typeof v === 'object' && 'millis' in v)
			return BigInt(v.millis) * 1000n;
		if (typeof v === 'object' && 'seconds' in v)
			return BigInt(v.seconds) * 1000000n;
		throw new Error(`cannot read a timestamp from ${describe(v)}`);
	case 'int':
		return BigInt(v);
	case 'double':
		return Number(v);
	case 'bool':
		return Boolean(v);
	case 'string':
		return String(v);
	}
	throw new Error(`unknown kind ${kind}`);
}

export function floorDiv(a, b) {
	const q = a / b;
	return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

// The schema of a Parquet file as DuckDB sees it: { names, duckTypes, kinds }.
export async function duckSchema(con, file) {
	const r = await con.runAndReadAll(
	    `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${
		sqlString(file)}))`);
	const names = [], duckTypes = [], kinds = [];
	for (const [name, type] of r.getRows()) {
		names.push(name);
		duckTypes.push(type);
		const k = kindOfDuckType(type);
		if (!k)
			throw new Error(`${file}: column ${name} has type ${type}, which vitals has not`);
		kinds.push(k);
	}
	return { names, duckTypes, kinds };
}

export function quoteIdent(name) {
	return `"${name.replaceAll('"', '""')}"`;
}

// Run SQL and return its result as a table of normalized columns.
export async function duckQuery(con, sql) {
	const r = await con.runAndReadAll(sql);
	const names = r.columnNames();
	const kinds = r.columnTypes().map((t) => {
		const k = kindOfDuckType(t.toString());
		if (!k)
			throw new Error(`query result column has type ${t}: ${sql}`);
		return k;
	});
	const raw = r.getColumns();
	const cols = raw.map((col, c) => col.map((v) => normalize(kinds[c], v)));
	return { names, kinds, cols, rows: r.currentRowCount };
}

// Every row of FILE in file order, through DuckDB (columns: a list of names or null).
export async function duckReadFile(con, file, columns = null, where = '') {
	const sel = columns ? columns.map(quoteIdent).join(', ') : '* EXCLUDE (file_row_number)';
	return duckQuery(con, `SELECT ${sel} FROM read_parquet(${
		sqlString(file)}, file_row_number = true) ${where} ORDER BY file_row_number`);
}

function arrayBufferOf(file) {
	const b = readFileSync(file);
	return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

const HY_PARSERS = {
	timestampFromMilliseconds: (v) => BigInt(v) * 1000n,
	timestampFromMicroseconds: (v) => BigInt(v),
	timestampFromNanoseconds: (v) => floorDiv(BigInt(v), 1000n),
};

function hyKind(el) {
	const lt = el.logical_type?.type;
	const ct = el.converted_type;
	if (lt === 'TIMESTAMP' || ct === 'TIMESTAMP_MICROS' || ct === 'TIMESTAMP_MILLIS' ||
	    el.type === 'INT96')
		return 'ts';
	switch (el.type) {
	case 'BOOLEAN':
		return 'bool';
	case 'INT32':
	case 'INT64':
		return 'int';
	case 'DOUBLE':
	case 'FLOAT':
		return 'double';
	case 'BYTE_ARRAY':
		return 'string';
	}
	throw new Error(`column ${el.name}: physical type ${el.type} is not expected`);
}

// The footer of FILE as hyparquet reads it (timestamps in statistics as
// BigInt microseconds).
export function hyMetadata(file) {
	return parquetMetadata(arrayBufferOf(file), { parsers: HY_PARSERS });
}

// Every row of FILE through hyparquet, with its own decompressors.
export async function hyReadFile(file) {
	const ab = arrayBufferOf(file);
	const metadata = parquetMetadata(ab, { parsers: HY_PARSERS });
	const leaves = metadata.schema.slice(1);
	for (const el of leaves)
		if (el.num_children)
			throw new Error(`${file}: nested column ${el.name}`);
	const names = leaves.map((el) => el.name);
	const kinds = leaves.map(hyKind);
	let rowsOut = null;
	await parquetRead({
		file: ab,
		metadata,
		compressors,
		parsers: HY_PARSERS,
		rowFormat: 'array',
		onComplete: (rows) => {
			rowsOut = rows;
		},
	});
	const cols = names.map(() => new Array(rowsOut.length));
	for (let r = 0; r < rowsOut.length; r++)
		for (let c = 0; c < names.length; c++)
			cols[c][r] = normalize(kinds[c], rowsOut[r][c]);
	return { names, kinds, cols, rows: rowsOut.length, metadata };
}

// ---- CSV ---------------------------------------------------------------

// RFC 4180 fields: rows of { v, q } where q tells whether the field was quoted.
export function parseCsvFields(text) {
	const rows = [];
	let row = [];
	let i = 0;
	const n = text.length;
	if (n === 0)
		return rows;
	for (;;) {
		let v = '', q = false;
		if (text[i] === '"') {
			q = true;
			i++;
			for (;;) {
				if (i >= n)
					throw new Error('CSV: a quoted field is not closed');
				const j = text.indexOf('"', i);
				if (j < 0)
					throw new Error('CSV: a quoted field is not closed');
				v += text.slice(i, j);
				if (text[j + 1] === '"') {
					v += '"';
					i = j + 2;
				} else {
					i = j + 1;
					break;
				}
			}
		} else {
			let j = i;
			while (j < n && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r')
				j++;
			v = text.slice(i, j);
			if (v.includes('"'))
				throw new Error(`CSV: a quote inside an unquoted field: ${v}`);
			i = j;
		}
		row.push({ v, q });
		if (i >= n) {
			rows.push(row);
			break;
		}
		if (text[i] === ',') {
			i++;
			continue;
		}
		if (text[i] === '\r' && text[i + 1] === '\n')
			i += 2;
		else if (text[i] === '\n' || text[i] === '\r')
			i++;
		else
			throw new Error(`CSV: unexpected character after a field: ${JSON.stringify(text[i])}`);
		rows.push(row);
		row = [];
		if (i >= n)
			break;
	}
	return rows;
}

const TS_RE =
    /^(-?\d{4,})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d(?::?\d\d)?)?$/;

export function parseTimestamp(s) {
	if (/^[+-]?\d+$/.test(s))
		return BigInt(s);
	const m = TS_RE.exec(s);
	if (!m)
		throw new Error(`not a timestamp: ${JSON.stringify(s)}`);
	const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]),
			    Number(m[5]), Number(m[6]));
	const d = new Date(ms);
	if (d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3]))
		throw new Error(`not a date: ${JSON.stringify(s)}`);
	let us = BigInt(ms) * 1000n;
	if (m[7]) {
		const frac = (m[7] + '000000000').slice(0, 9);
		us += BigInt(frac.slice(0, 6));
	}
	if (m[8] && m[8] !== 'Z') {
		const sign = m[8][0] === '-' ? -1n : 1n;
		const hh = BigInt(m[8].slice(1, 3));
		const mm = BigInt(m[8].slice(-2) === m[8].slice(1, 3) ? '0' : m[8].slice(-2));
		us -= sign * (hh * 3600n + mm * 60n) * 1000000n;
	}
	return us;
}

export function parseDouble(s) {
	const t = s.toLowerCase();
	if (t === 'nan' || t === '+nan' || t === '-nan')
		return NaN;
	if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity')
		return Infinity;
	if (t === '-inf' || t === '-infinity')
		return -Infinity;
	if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t))
		throw new Error(`not a number: ${JSON.stringify(s)}`);
	return Number(t);
}

function parseTyped(kind, f) {
	if (!f.q && f.v === '')
		return null;
	if (kind === 'string')
		return f.v;
	const s = f.v;
	switch (kind) {
	case 'ts':
		return parseTimestamp(s);
	case 'int':
		if (!/^[+-]?\d+$/.test(s))
			throw new Error(`not an integer: ${JSON.stringify(s)}`);
		return BigInt(s);
	case 'double':
		return parseDouble(s);
	case 'bool': {
		const t = s.toLowerCase();
		if (t === 'true' || t === '1')
			return true;
		if (t === 'false' || t === '0')
			return false;
		throw new Error(`not a boolean: ${JSON.stringify(s)}`);
	}
	}
	throw new Error(`unknown kind ${kind}`);
}

// vitals' CSV output read with the types of SCHEMA ({ names, kinds }): the
// header must name the schema's columns in order; an unquoted empty field
// is null, "" is the empty string.
export function readCsvTyped(file, schema) {
	const text = readFileSync(file, 'utf8');
	const rows = parseCsvFields(text);
	if (rows.length === 0)
		throw new Error(`${file}: no header line`);
	const header = rows[0].map((f) => f.v);
	if (JSON.stringify(header) !== JSON.stringify(schema.names))
		throw new Error(`${file}: header ${JSON.stringify(header)}, expected ${
			JSON.stringify(schema.names)}`);
	const n = rows.length - 1;
	const cols = schema.names.map(() => new Array(n));
	for (let r = 0; r < n; r++) {
		const row = rows[r + 1];
		if (row.length !== schema.names.length)
			throw new Error(`${file}: line of row ${r} has ${row.length} fields, expected ${
				schema.names.length}`);
		for (let c = 0; c < row.length; c++) {
			try {
				cols[c][r] = parseTyped(schema.kinds[c], row[c]);
			} catch (e) {
				throw new Error(`${file}: row ${r}, column ${schema.names[c]}: ${
					e.message}`);
			}
		}
	}
	return { names: schema.names.slice(), kinds: schema.kinds.slice(), cols, rows: n };
}

// CSV text of a table, the way a person's tool would write it (used to
// feed vitals' CSV reader): RFC 3339 timestamps, shortest round-trip
// doubles that always look like doubles, quotes only where needed, "" for
// the empty string and nothing for null.
export function formatCsv(t) {
	const lines = [t.names.map(csvQuote).join(',')];
	for (let r = 0; r < t.rows; r++) {
		const f = new Array(t.names.length);
		for (let c = 0; c < t.names.length; c++)
			f[c] = csvField(t.kinds[c], t.cols[c][r]);
		lines.push(f.join(','));
	}
	return lines.join('\n') + '\n';
}

function csvQuote(s) {
	if (s === '' || /[",\r\n]/.test(s) || s.trim() !== s)
		return '"' + s.replaceAll('"', '""') + '"';
	return s;
}

export function formatDouble(x) {
	if (Number.isNaN(x))
		return 'nan';
	if (x === Infinity)
		return 'inf';
	if (x === -Infinity)
		return '-inf';
	if (Object.is(x, -0))
		return '-0.0';
	const s = String(x);
	return /[.e]/.test(s) ? s : s + '.0';
}

export function formatTimestamp(us, sep = 'T', zone = 'Z') {
	const sec = floorDiv(us, 1000000n);
	const frac = us - sec * 1000000n;
	const d = new Date(Number(sec) * 1000);
	const iso = d.toISOString().slice(0, 19).replace('T', sep);
	return iso + (frac ? '.' + String(frac).padStart(6, '0') : '') + zone;
}

function csvField(kind, v) {
	if (v === null)
		return '';
	switch (kind) {
	case 'ts':
		return formatTimestamp(v);
	case 'int':
		return String(v);
	case 'double':
		return formatDouble(v);
	case 'bool':
		return v ? 'true' : 'false';
	case 'string':
		return csvQuote(v);
	}
	throw new Error(`unknown kind ${kind}`);
}

// ---- comparing ---------------------------------------------------------

export function describe(v) {
	if (v === null)
		return 'NULL';
	if (typeof v === 'bigint')
		return `${v}n`;
	if (typeof v === 'number')
		return Object.is(v, -0) ? '-0' : String(v);
	if (typeof v === 'string')
		return JSON.stringify(v.length > 80 ? v.slice(0, 80) + '...' : v);
	return String(v);
}

export function sameValue(kind, a, b) {
	if (a === null || b === null)
		return a === b;
	if (kind === 'double')
		return Object.is(a, b);
	return a === b;
}

// Compare table A (called NA) with B (NB) column by column. Returns a list
// of problems, empty when they agree on names, kinds, row count and every
// value.
export function compareTables(a, na, b, nb, max = 8) {
	const out = [];
	if (JSON.stringify(a.names) !== JSON.stringify(b.names)) {
		out.push(`columns differ: ${na} ${JSON.stringify(a.names)}, ${nb} ${
			JSON.stringify(b.names)}`);
		return out;
	}
	for (let c = 0; c < a.names.length; c++)
		if (a.kinds[c] !== b.kinds[c])
			out.push(`column ${a.names[c]}: ${na} reads ${a.kinds[c]}, ${nb} reads ${
				b.kinds[c]}`);
	if (a.rows !== b.rows)
		out.push(`${na} has ${a.rows} rows, ${nb} has ${b.rows}`);
	if (out.length)
		return out;
	let bad = 0;
	for (let c = 0; c < a.names.length; c++) {
		const ca = a.cols[c], cb = b.cols[c], k = a.kinds[c];
		for (let r = 0; r < a.rows; r++) {
			if (!sameValue(k, ca[r], cb[r])) {
				if (bad < max)
					out.push(`row ${r}, column ${a.names[c]}: ${na} ${
						describe(ca[r])}, ${nb} ${describe(cb[r])}`);
				bad++;
			}
		}
	}
	if (bad > max)
		out.push(`... ${bad} values differ in all`);
	return out;
}

// Keep only COLUMNS (names) of T, in that order.
export function project(t, columns) {
	const idx = columns.map((n) => {
		const i = t.names.indexOf(n);
		if (i < 0)
			throw new Error(`no column ${n}`);
		return i;
	});
	return {
		names: idx.map((i) => t.names[i]),
		kinds: idx.map((i) => t.kinds[i]),
		cols: idx.map((i) => t.cols[i]),
		rows: t.rows,
	};
}

// Keep the rows whose KEEP(r) is true.
export function selectRows(t, keep) {
	const rows = [];
	for (let r = 0; r < t.rows; r++)
		if (keep(r))
			rows.push(r);
	return {
		names: t.names.slice(),
		kinds: t.kinds.slice(),
		cols: t.cols.map((col) => rows.map((r) => col[r])),
		rows: rows.length,
	};
}
