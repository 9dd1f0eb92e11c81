// End to end, side by side in one run: `segkit segment` and `segkit score` on a seeded customer CSV against a
// pandas + scikit-learn script doing the same job (bench/segment_pandas.py, bench/score_pandas.py), and
// `segkit score` streaming a 10x larger Arrow IPC file. Every command runs in its own process under
// /usr/bin/time -v: wall time and peak resident memory (RSS) are the whole program's, Python's start-up included.
// Usage: npm run build && node bench/endToEnd.bench.mjs [--rows 1000000] [--big 10000000] [--k 8] [--threads 2] [--skip-python]
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Field, Float64, Int32, RecordBatch, RecordBatchStreamWriter, Schema, Struct, Utf8, makeData } from 'apache-arrow';
import { FEATURES, customersFile, writeCustomers } from './customersCsv.mjs';
import { createRandom } from '../dist/util/random.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    big: { type: 'string', default: '10000000' },
    k: { type: 'string', default: '8' },
    threads: { type: 'string', default: String(cpus().length) },
    'skip-python': { type: 'boolean', default: false },
  },
});
const rows = Number(values.rows), bigRows = Number(values.big), k = values.k, threads = values.threads;
const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'cli', 'main.js');
const python = '/usr/bin/python3';
const out = join(here, '.data', `run-${process.pid}`);
mkdirSync(out, { recursive: true });

const pythonOk = !values['skip-python'] && existsSync(python) &&
  spawnSync(python, ['-c', 'import pandas, sklearn, joblib'], { stdio: 'ignore' }).status === 0;
if (!existsSync('/usr/bin/time')) throw new Error('needs /usr/bin/time (Debian package "time") for peak memory');

/**
 * Runs a command under /usr/bin/time -v: wall seconds, peak RSS in bytes, stdout. The files earlier commands wrote
 * are flushed to disk first, so no command waits on another's writeback.
 */
function timed(cmd, args) {
  execFileSync('sync');
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const cpu = /User time \(seconds\): ([\d.]+)[\s\S]*System time \(seconds\): ([\d.]+)/.exec(r.stderr);
  if (r.status !== 0 || !wall || !rss) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const seconds = (wall[1] ? +wall[1] * 3600 : 0) + +wall[2] * 60 + +wall[3];
  return { seconds, rss: +rss[1] * 1024, cpu: +cpu[1] + +cpu[2], stdout: r.stdout };
}

const gb = (b) => `${(b / 2 ** 30).toFixed(2)} GB`;
const s = (x) => `${x.toFixed(2)} s`;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

/** A 10M-row Arrow IPC stream with the same columns, written batch by batch (seed 2). */
async function writeArrowFile(n, file) {
  const fields = [new Field('customer_id', new Utf8(), false), ...FEATURES.map((f) => new Field(f, new Float64(), true))];
  const schema = new Schema(fields);
  const writer = RecordBatchStreamWriter.throughNode();
  const sink = createWriteStream(file);
  const done = new Promise((resolve, reject) => sink.on('finish', resolve).on('error', reject));
  writer.pipe(sink);
  const rng = createRandom(2);
  const BATCH = 1 << 16;
  for (let start = 0; start < n; start += BATCH) {
    const m = Math.min(BATCH, n - start);
    const ids = new TextEncoder().encode(Array.from({ length: m }, (_, i) => `C${String(start + i).padStart(9, '0')}`).join(''));
    const offsets = Int32Array.from({ length: m + 1 }, (_, i) => i * 10);
    const cols = FEATURES.map((_, j) => {
      const v = new Float64Array(m);
      for (let i = 0; i < m; i++) v[i] = j === 2 || j === 3 || j === 15 ? Math.round(Math.exp(3 + rng.normal()) * 100) / 100 : j >= 7 && j <= 11 ? rng.next() : Math.floor(rng.next() * 50);
      return makeData({ type: new Float64(), length: m, nullCount: 0, data: v });
    });
    const data = [makeData({ type: new Utf8(), length: m, nullCount: 0, valueOffsets: offsets, data: ids }), ...cols];
    writer.write(new RecordBatch(schema, makeData({ type: new Struct(fields), length: m, nullCount: 0, children: data })));
    if (start % (BATCH * 16) === 0) await new Promise((r) => setImmediate(r));
  }
  writer.end();
  await done;
}

const csv = customersFile(rows);
if (!existsSync(csv)) await writeCustomers(rows, csv);
console.log(`# end to end: ${rows.toLocaleString('en-US')} rows x ${FEATURES.length} features + id, ${(statSync(csv).size / 1e6).toFixed(0)} MB CSV, k=${k}, ${threads} threads`);
console.log(`load average before: ${load()}  (cores: ${cpus().length})`);
const table = [];
const row = (what, a, b) => table.push({ what, a, b });

// segment
const segArgs = [cli, 'segment', csv, '--k', k, '--seed', '1', '--threads', threads, '--out', join(out, 'segments.csv'), '--model', join(out, 'model.json'), '--quiet', '--json'];
const seg = timed(process.execPath, segArgs);
const pandasSeg = pythonOk ? timed(python, [join(here, 'segment_pandas.py'), csv, join(out, 'pandas-segments.csv'), join(out, 'model.joblib'), k, '1']) : null;
row(`segment ${rows.toLocaleString('en-US')} rows (CSV in, CSV + model out; segkit's default restarts)`, seg, pandasSeg);
console.log(`  segkit segment: ${JSON.parse(seg.stdout).iterations} iterations; load ${load()}`);
// the script fits once (n_init=1); segkit's default above 200,000 rows is 2 restarts: the same work with --n-init 1
const seg1 = timed(process.execPath, [...segArgs, '--n-init', '1']);
row(`segment ${rows.toLocaleString('en-US')} rows with --n-init 1 (one fit, as the script's n_init=1), against the same script run`, seg1, pandasSeg);
console.log(`  segkit segment --n-init 1: ${JSON.parse(seg1.stdout).iterations} iterations; load ${load()}`);

// score, CSV
const score = timed(process.execPath, [cli, 'score', csv, '--model', join(out, 'model.json'), '--out', join(out, 'scored.csv'), '--threads', threads, '--quiet', '--json']);
row(`score ${rows.toLocaleString('en-US')} rows (CSV in, CSV out)`, score, pythonOk ? timed(python, [join(here, 'score_pandas.py'), csv, join(out, 'model.joblib'), join(out, 'pandas-scored.csv')]) : null);
console.log(`  load ${load()}`);

// score, Arrow IPC, small and big: memory stays flat when it streams; the big file also with only the ids kept
for (const [n, keep] of [[rows, false], [bigRows, false], [bigRows, true]]) {
  const file = join(here, '.data', `customers-${n}.arrow`);
  if (!existsSync(file)) await writeArrowFile(n, file);
  // each run writes a new file (replacing the previous run's 1.5 GB output cost the next run its removal)
  const target = join(out, `scored-${n}${keep ? '-keep' : ''}.arrow`);
  const r = timed(process.execPath, [cli, 'score', file, '--model', join(out, 'model.json'), '--out', target, '--threads', threads, '--quiet', '--json', ...(keep ? ['--keep', 'customer_id'] : [])]);
  const j = JSON.parse(r.stdout);
  const written = statSync(target).size;
  rmSync(target);
  row(`score ${n.toLocaleString('en-US')} rows (Arrow IPC in, ${(statSync(file).size / 1e9).toFixed(2)} GB, and out${keep ? ' with --keep customer_id' : ''}, ${(written / 1e9).toFixed(2)} GB): ${(n / r.seconds / 1e6).toFixed(2)}M rows/s wall, ${(j.rowsPerSecond / 1e6).toFixed(2)}M rows/s in-process`, r, null);
  console.log(`  load ${load()}`);
}

console.log('\n| workload | segkit | pandas + scikit-learn 1.2.1 | ratio |');
console.log('|---|---|---|---|');
for (const { what, a, b } of table) {
  const left = `${s(a.seconds)} (cpu ${s(a.cpu)}), ${gb(a.rss)} peak`;
  const right = b ? `${s(b.seconds)} (cpu ${s(b.cpu)}), ${gb(b.rss)} peak` : '-';
  const ratio = b ? `${(b.seconds / a.seconds).toFixed(2)}x time, ${(b.rss / a.rss).toFixed(2)}x memory` : '-';
  console.log(`| ${what} | ${left} | ${right} | ${ratio} |`);
}
console.log(`\nload average after: ${load()}`);
rmSync(out, { recursive: true, force: true });
