// Reads a stackae dataset folder with DuckDB, as an outside user would, and
// prints what the Go test compares against the manifest.
import { DuckDBInstance } from '@duckdb/node-api';
const [dir, size] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const q = async (sql) => (await c.runAndReadAll(sql)).getRowObjectsJson();
const src = `read_parquet('${dir}/part-*.parquet')`;
const [count] = await q(`select count(*)::INT as rows, count(distinct id)::INT as ids,
  min(len(features))::INT as minlen, max(len(features))::INT as maxlen,
  count(label)::INT as labeled from ${src}`);
const kv = Object.fromEntries((await q(`select decode(key) as k, decode(value) as v
  from parquet_kv_metadata('${dir}/part-*.parquet')`)).map(r => [r.k, r.v]));
const [first] = await q(`select id, features[1:8]::DOUBLE[] as head, features::FLOAT[${size}] as fixed
  from ${src} order by id limit 1`);
console.log(JSON.stringify({ ...count, kv, firstId: first.id, head: first.head.map(Number), fixedLen: first.fixed.length }));
