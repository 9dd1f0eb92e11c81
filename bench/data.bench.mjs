// Data benchmark: a 1,000,000 x 16 numeric CSV to a Dataset (read in parts on every core, and on one thread), side by
// side with plain csv-parse and papaparse parses of the same file; the table written back as CSV, side by side with
// csv-stringify and papaparse's unparse; and RFM over 10,000,000 transactions (time and peak memory, in a fresh
// process).
// Usage: npm run build && node bench/data.bench.mjs [--rows 1000000] [--transactions 10000000]
import { Bench } from 'tinybench';
import { parseArgs } from 'node:util';
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import Papa from 'papaparse';
import { fromArrow, createRandom, writeCsv } from '../dist/index.node.js';
import { readTable } from '../dist/data/readTable.node.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, transactions: { type: 'string', default: '10000000' } } });
const rows = Number(values.rows), d = 16;
const dir = join(tmpdir(), `segkit-bench-${process.pid}`);
mkdirSync(dir, { recursive: true });
const file = join(dir, 'customers.csv');

// write the CSV in chunks, honouring back-pressure
await new Promise((resolve, reject) => {
  const out = createWriteStream(file);
  out.on('error', reject);
  const rng = createRandom(1);
  let i = 0;
  out.write(['customer_id', ...Array.from({ length: d }, (_, j) => `f${j}`)].join(',') + '\n');
  const pump = () => {
    while (i < rows) {
      let chunk = '';
      for (let r = 0; r < 5000 && i < rows; r++, i++) chunk += `c${i},` + Array.from({ length: d }, () => (rng.normal() * 100).toFixed(3)).join(',') + '\n';
      if (!out.write(chunk)) return out.once('drain', pump);
    }
    out.end(resolve);
  };
  pump();
});

const columns = Array.from({ length: d }, (_, j) => `f${j}`);
const read = new Bench({ iterations: 3, time: 0, warmupIterations: 1 });
read.add('segkit readTable + fromArrow (CSV -> Dataset)', async () => {
  const t = await readTable(file);
  fromArrow(t, { columns });
});
read.add('segkit readTable + fromArrow, threads: 1', async () => {
  const t = await readTable(file, { threads: 1 });
  fromArrow(t, { columns });
});
read.add('csv-parse, plain parse to arrays (no types, no columns)', async () => {
  let n = 0;
  for await (const rec of createReadStream(file).pipe(parse({ from_line: 2 }))) n += rec.length > 0;
  if (n !== rows) throw new Error(`parsed ${n} rows`);
});
read.add('csv-parse with cast: true', async () => {
  let n = 0;
  for await (const rec of createReadStream(file).pipe(parse({ from_line: 2, cast: true }))) n += rec.length > 0;
  if (n !== rows) throw new Error(`parsed ${n} rows`);
});
read.add('papaparse, plain parse to arrays (no types, no columns)', () =>
  new Promise((resolve, reject) => {
    let n = 0;
    Papa.parse(createReadStream(file, { encoding: 'utf8' }), {
      skipEmptyLines: true,
      chunk: (result) => (n += result.data.length),
      complete: () => (n === rows + 1 ? resolve() : reject(new Error(`parsed ${n - 1} rows`))),
      error: reject,
    });
  }),
);
await read.run();

// the same table written back: segkit from Arrow columns, csv-stringify from row arrays made beforehand
const table = await readTable(file);
const records = [table.schema.fields.map((f) => f.name), ...Array.from({ length: rows }, (_, i) => table.schema.fields.map((_, j) => table.getChildAt(j).get(i)))];
const write = new Bench({ iterations: 3, time: 0, warmupIterations: 1 });
write.add('segkit writeCsv (Arrow table -> CSV text)', () => {
  if (writeCsv(table).length < rows) throw new Error('short output');
});
write.add('csv-stringify, row arrays -> CSV text (no formatting)', () => {
  if (stringify(records).length < rows) throw new Error('short output');
});
write.add('papaparse unparse, row arrays -> CSV text (no formatting)', () => {
  if (Papa.unparse(records, { newline: '\n' }).length < rows) throw new Error('short output');
});
await write.run();
rmSync(dir, { recursive: true, force: true });

const report = (title, bench) => {
  console.log(title);
  const ours = bench.tasks[0].result.latency.p50;
  for (const t of bench.tasks) {
    const ms = t.result.latency.p50;
    console.log(`  ${t.name.padEnd(58)} ${(ms / 1000).toFixed(2)} s  ${(rows / ms / 1000).toFixed(2)} M rows/s  (${(ms / ours).toFixed(2)}x segkit's time)`);
  }
};
report(`\nCSV of ${rows} rows x ${d} numeric columns (+ an id column), read:`, read);
report('written back:', write);
const rfm = JSON.parse(execFileSync(process.execPath, ['--max-old-space-size=8192', fileURLToPath(new URL('./rfmRun.mjs', import.meta.url)), values.transactions], { encoding: 'utf8' }));
console.log(`\nRFM over ${rfm.transactions} transactions (${rfm.customers} customers): ${(rfm.ms / 1000).toFixed(2)} s, peak RSS ${rfm.peakMB.toFixed(0)} MB (the log itself: ${rfm.logMB.toFixed(0)} MB of typed arrays)`);
