// Run SQL queries through DuckDB and print each result as one JSON line:
//   node duckquery.mjs "SELECT ..." ["SELECT ..." ...]
// Each line is {"rows": [[...], ...]} or {"error": "message"}; big integers
// are printed as numbers. The record tests use it as an independent reader.
import { DuckDBInstance } from '@duckdb/node-api';

const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run(`SET TimeZone = 'UTC'`);
await con.run(`SET threads = 1`);
for (const sql of process.argv.slice(2)) {
	try {
		const r = await con.runAndReadAll(sql);
		const rows = r.getRows().map((row) => row.map((v) =>
			typeof v === 'bigint' ? Number(v) : v === null || typeof v !== 'object' ? v : String(v)));
		console.log(JSON.stringify({ rows }));
	} catch (e) {
		console.log(JSON.stringify({ error: String(e.message || e) }));
	}
}
