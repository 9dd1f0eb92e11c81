// Distributed benchmark: k-means fits and batch scoring through the BullMQ executor on 1, 2 and 3 `segkit worker`
// processes (a real redis-server, a file store), side by side with the inline and piscina executors and
// scikit-learn in the same run; the per-pass overhead against loopback; the cores' load; and an estimate for
// 100M customers on 16 workers from the measured per-shard cost and per-pass overhead.
// Usage: npm run build && node bench/distributed.bench.mjs [--n 1000000] [--score-n 5000000] [--workers 1,2,3]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Float32, makeData, tableToIPC } from 'apache-arrow';
import { bullmqExecutor, close, createRandom, fromColumns, inlineExecutor, kmeans, loopbackExecutor, piscinaExecutor } from '../dist/index.node.js';
import { tableFromColumns } from '../dist/data/arrowTable.js';
import { columnSumsOp, loadMatrix } from '../dist/engine/matrix.js';
import { assignOp } from '../dist/core/kmeansOps.js';
import { centresF32 } from '../dist/kernels/shard.js';
import { blobs } from './blobs.mjs';
import { sklearn, sklearnAvailable } from './anchors.mjs';

const { values } = parseArgs({ options: { n: { type: 'string', default: '1000000' }, 'score-n': { type: 'string', default: '5000000' }, workers: { type: 'string', default: '1,2,3' }, iters: { type: 'string', default: '20' } } });
const n = Number(values.n), scoreN = Number(values['score-n']), d = 16, k = 8, ITERS = Number(values.iters);
const WORKERS = values.workers.split(',').map(Number);
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const REDIS = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => spawnSync(p, ['--version']).status === 0);
if (!REDIS) {
  console.log('redis-server not found (apt-get install redis-server): nothing to measure');
  process.exit(0);
}
const step = (what) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${what}\n`);
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
console.log(`data: ${n} x ${d} float32 blobs, k = ${k}, ${ITERS} Lloyd iterations (tol 0); scoring ${scoreN} rows; load average ${load()}`);

// ---- processes: redis-server, workers, CPU and memory accounting from /proc ----
const freePort = () => new Promise((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ticks = (pid) => { try { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return Number(f[11]) + Number(f[12]); } catch { return 0; } };
const hwm = (pid) => { try { return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024; } catch { return 0; } };
const machine = () => { const c = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number); return { busy: c[0] + c[1] + c[2] + c[5] + c[6] + c[7], all: c.reduce((a, b) => a + b, 0) }; };
const HZ = 100;

/** CPU seconds used by the given pids and by the whole machine over `run`, and its wall time. */
async function measured(pids, run) {
  const m0 = machine(), p0 = pids().map(ticks), self0 = process.cpuUsage(), t0 = performance.now();
  const out = await run();
  const wall = (performance.now() - t0) / 1000, m1 = machine(), p1 = pids().map(ticks), self1 = process.cpuUsage(self0);
  const ours = p1.reduce((a, v, i) => a + v - p0[i], 0) / HZ + (self1.user + self1.system) / 1e6;
  return { out, wall, cores: ours / wall, machineBusy: (m1.busy - m0.busy) / (m1.all - m0.all) };
}

const port = await freePort();
const redis = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
const url = `redis://127.0.0.1:${port}`;
const dir = mkdtempSync(path.join(tmpdir(), 'segkit-dist-bench-'));
const store = pathToFileURL(path.join(dir, 'store')).href;
await sleep(500);

function startWorker() {
  const p = spawn(process.execPath, [CLI, 'worker', '--redis', url, '--store', store, '-q'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (b) => (out += b));
  return { p, ready: (async () => { while (!out.includes('serving')) await sleep(50); })() };
}
const stop = (p) => new Promise((r) => { if (p.exitCode !== null) return r(); p.once('exit', r); process.kill(p.pid, 'SIGTERM'); });

// ---- data and the local anchors ----
const data = blobs(n, d, k, 0);
const ds = fromColumns(data);
const pick = createRandom(0);
const rows = new Set();
while (rows.size < k) rows.add(pick.int(n));
const init = [...rows].map((i) => Array.from({ length: d }, (_, j) => data.columns[j][i]));
const FIT = { k, init, tol: 0, maxIter: ITERS };
const key = (m) => Buffer.concat([Buffer.from(m.labels.buffer), Buffer.from(m.centroidData.buffer), Buffer.from(Float64Array.of(m.inertia).buffer)]).toString('base64');

step('anchors: inline, piscina, scikit-learn');
let t = performance.now();
const inline = await kmeans(ds, { ...FIT, executor: inlineExecutor() });
const inlineS = (performance.now() - t) / 1000;
const pool = piscinaExecutor({ threads: 2 });
await kmeans(ds, { ...FIT, executor: pool });
t = performance.now();
await kmeans(ds, { ...FIT, executor: pool });
const piscinaS = (performance.now() - t) / 1000;
await pool.close();
const py = sklearnAvailable ? { iter: sklearn('kmeans-iter', { n, d, k, threads: 2, iters: ITERS }), predict: sklearn('predict', { n, d, k, threads: 2 }) } : {};

/** An executor that counts passes. */
function counting(ex) {
  const c = { maps: 0 };
  return Object.assign(c, {
    kind: ex.kind, threads: ex.threads,
    load: (...a) => ex.load(...a), map: (...a) => (c.maps++, ex.map(...a)), readRows: (...a) => (c.maps++, ex.readRows(...a)),
    writeRows: (...a) => ex.writeRows(...a), release: (...a) => ex.release(...a), close: () => ex.close(),
  });
}

/** Milliseconds per pass of `op` over a handle: the best of `reps` (on a shared machine the others wait for a core). */
async function perPass(ex, h, op, state, reps) {
  for (let i = 0; i < 3; i++) await ex.map(op, h, state);
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await ex.map(op, h, state);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** Pass times: a no-op pass over 16 and 96 tiny shards (overhead), loading the data and its first pass, a full assignment pass. */
async function passTimes(ex) {
  let t0 = performance.now();
  const h = await ex.load({ columns: ds.columns });
  const loadMs = performance.now() - t0;
  t0 = performance.now();
  await ex.map(columnSumsOp, h, null);
  const firstMs = performance.now() - t0;
  const steadyMs = await perPass(ex, h, columnSumsOp, null, 7);
  await ex.release(h);
  const tiny1 = await ex.load({ columns: [new Float32Array(16)] }, { shardRows: 16 });
  const tiny16 = await ex.load({ columns: [new Float32Array(16 * 16)] }, { shardRows: 16 });
  const tiny96 = await ex.load({ columns: [new Float32Array(96 * 16)] }, { shardRows: 16 });
  const m = await loadMatrix(ex, ds);
  const centers = new Float64Array(k * d);
  init.forEach((row, q) => row.forEach((v, j) => (centers[q * d + j] = v - m.offset[j])));
  const { cent, norms } = centresF32(centers, k, d);
  const state = { cent, norms, k, reset: false, sums: false, track: false, dist: false };
  const out = {
    noop1: await perPass(ex, tiny1, columnSumsOp, null, 30),
    noop16: await perPass(ex, tiny16, columnSumsOp, null, 30),
    noop96: await perPass(ex, tiny96, columnSumsOp, null, 15),
    assign: await perPass(ex, m.handle, assignOp, state, 7),
    shards: m.handle.shards, loadMs, firstMs, steadyMs,
  };
  await ex.release(tiny1);
  await ex.release(tiny16);
  await ex.release(tiny96);
  await m.release();
  return out;
}

step('loopback passes');
const loop = loopbackExecutor();
const loopPass = await passTimes(loop);
await loop.close();

// ---- the scoring input: a model fitted on a sample, and scoreN rows as an Arrow IPC file ----
step('scoring input');
const scoreData = blobs(scoreN, d, k, 1);
const bigFile = path.join(dir, 'big.arrow');
writeFileSync(bigFile, tableToIPC(tableFromColumns(scoreData.names, scoreData.columns.map((c) => makeData({ type: new Float32(), length: c.length, data: c }))), 'file'));
const sample = path.join(dir, 'sample.csv');
writeFileSync(sample, [scoreData.names.join(','), ...Array.from({ length: 50_000 }, (_, i) => scoreData.columns.map((c) => c[i]).join(','))].join('\n') + '\n');
scoreData.columns.length = 0;
const model = path.join(dir, 'model.json');
execFileSync(process.execPath, [CLI, 'segment', sample, '--k', String(k), '--seed', '1', '--model', model, '--out', path.join(dir, 'seg.csv'), '-q']);

/** Runs the CLI, polling its peak RSS and CPU time (the last sample before it exits). */
async function score(args) {
  const p = spawn(process.execPath, [CLI, 'score', bigFile, '--model', model, '-q', ...args], { stdio: 'inherit' });
  let peak = 0, cpu = 0;
  const poll = setInterval(() => { peak = Math.max(peak, hwm(p.pid)); cpu = Math.max(cpu, ticks(p.pid) / HZ); }, 50);
  const code = await new Promise((r) => p.once('exit', r));
  clearInterval(poll);
  if (code !== 0) throw new Error(`segkit score exited with ${code}`);
  return { peak, cpu };
}
step('local scoring');
const localScore = await measured(() => [], () => score(['--out', path.join(dir, 'local.arrow')]));
const localBytes = readFileSync(path.join(dir, 'local.arrow'));

// ---- 1, 2, 3 workers ----
const rowsOut = [];
for (const w of WORKERS) {
  step(`${w} worker(s)`);
  const workers = Array.from({ length: w }, startWorker);
  await Promise.all(workers.map((x) => x.ready));
  const pids = () => [redis.pid, ...workers.map((x) => x.p.pid)];
  const ex = bullmqExecutor({ connection: url, store });
  await kmeans(fromColumns({ columns: data.columns.map((c) => c.subarray(0, 70_000)) }), { k, seed: 1, maxIter: 3, executor: ex });
  const counted = counting(ex);
  const fit = await measured(pids, () => kmeans(ds, { ...FIT, executor: counted }));
  const same = key(fit.out) === key(inline);
  const passes = await passTimes(ex);
  const distOut = path.join(dir, `dist${w}.arrow`);
  const sc = await measured(pids, () => score(['--out', distOut, '--executor', url, '--store', store]));
  const sameScore = readFileSync(distOut).equals(localBytes);
  rmSync(distOut);
  await ex.close();
  const workerPeak = workers.map((x) => hwm(x.p.pid));
  await Promise.all(workers.map((x) => stop(x.p)));
  rowsOut.push({ w, fit, same, passes: counted.maps, iters: fit.out.iterations, pass: passes, score: sc, sameScore, workerPeak });
  console.log(`  ${w} worker(s) done; load average ${load()}`);
}
await stop(redis);
await close();
rmSync(dir, { recursive: true, force: true });

// ---- report ----
const ms = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1)) + ' ms';
const pct = (x) => (100 * x).toFixed(0) + '%';
console.log(`\nanchors (same data, same run):`);
console.log(`  inline executor fit: ${inlineS.toFixed(2)} s (${inline.iterations} iterations); piscina 2 threads: ${piscinaS.toFixed(2)} s`);
if (py.iter) console.log(`  scikit-learn 2T: ${(py.iter.seconds * 1000).toFixed(1)} ms per Lloyd iteration; predict ${(n / py.predict.seconds / 1e6).toFixed(1)} M rows/s`);
console.log(`  loopback (one thread, every value through bytes; pass times are the best of several): no-op pass ${ms(loopPass.noop1)} / ${ms(loopPass.noop16)} / ${ms(loopPass.noop96)} (1 / 16 / 96 shards); assignment pass ${ms(loopPass.assign)} over ${loopPass.shards} shards = ${(loopPass.assign / loopPass.shards).toFixed(2)} ms per shard`);
console.log(`  local scoring (segkit score, 2 threads): ${(scoreN / localScore.wall / 1e6).toFixed(2)} M rows/s, ${localScore.wall.toFixed(1)} s, peak RSS ${localScore.out.peak.toFixed(0)} MB`);
console.log('\nbullmqExecutor:');
console.log('  workers | fit s | vs inline | passes | ms/pass | same bytes | CPU used (cores) | machine busy | no-op pass 1 / 16 / 96 shards | assign pass | overhead vs loopback | score M rows/s | score = local | peak RSS caller / workers');
for (const r of rowsOut) {
  const over = r.pass.assign - loopPass.assign;
  console.log(`  ${r.w} | ${r.fit.wall.toFixed(2)} | ${(inlineS / r.fit.wall).toFixed(2)}x | ${r.passes} | ${ms(r.fit.wall * 1000 / r.passes)} | ${r.same} | ${r.fit.cores.toFixed(2)} | ${pct(r.fit.machineBusy)} | ${ms(r.pass.noop1)} / ${ms(r.pass.noop16)} / ${ms(r.pass.noop96)} | ${ms(r.pass.assign)} | ${over >= 0 ? '+' : ''}${ms(over)} | ${(scoreN / r.score.wall / 1e6).toFixed(2)} (${r.score.wall.toFixed(1)} s, CPU ${(r.score.cores + r.score.out.cpu / r.score.wall).toFixed(2)} cores) | ${r.sameScore} | ${r.score.out.peak.toFixed(0)} MB / ${r.workerPeak.map((x) => x.toFixed(0)).join(', ')} MB`);
}

// ---- estimate: 100M customers, 16 workers (one per core, 16 cores), from this run's measured parts ----
const last = rowsOut[rowsOut.length - 1];
const S = Math.ceil(100e6 / 65_536), W = 16, scale = 100e6 / n;
const perShard = loopPass.assign / loopPass.shards;
// per-pass overhead: a fixed part plus a part per shard job (the caller adds one job per shard, the workers take them)
const perJob = Math.max(0, (last.pass.noop96 - last.pass.noop16) / 80);
const fixed = last.pass.noop1;
// the caller writes the shards to the store; each worker reads its shards once
const writeMs = last.pass.loadMs * scale;
const readPerShard = Math.max(0, (last.pass.firstMs - last.pass.steadyMs) * last.w / last.pass.shards);
const passMs = fixed + S * perJob + (S / W) * perShard;
const fitMs = writeMs + (S / W) * readPerShard + last.passes * passMs;
console.log(`\nestimate, 100M customers x ${d} features, k = ${k}, ${W} workers on 16 cores (${S} shards of 65,536 rows), from the parts measured here:`);
console.log(`  compute ${perShard.toFixed(2)} ms per shard per assignment pass (loopback); pass overhead ${fixed.toFixed(1)} ms + ${perJob.toFixed(2)} ms per shard job (${last.w} workers; an upper bound for 16, whose workers share the jobs); the caller writes ${n} rows to the store in ${ms(last.pass.loadMs)}; a worker reads a shard in ${ms(readPerShard)}`);
console.log(`  one assignment pass ~ ${fixed.toFixed(0)} + ${S} x ${perJob.toFixed(2)} + ${Math.ceil(S / W)} x ${perShard.toFixed(2)} ms = ${(passMs / 1000).toFixed(2)} s (${(100 * S * perJob / passMs).toFixed(0)}% of it the per-job overhead)`);
console.log(`  fit: store ${(writeMs / 1000).toFixed(0)} s + shard reads ${((S / W) * readPerShard / 1000).toFixed(0)} s + ${last.passes} passes ${(last.passes * passMs / 1000).toFixed(0)} s = ${(fitMs / 60000).toFixed(1)} min`);
const scoreMs = writeMs + (S / W) * readPerShard + 3 * passMs;
console.log(`  scoring (centre, assign, read back): store ${(writeMs / 1000).toFixed(0)} s + reads ${((S / W) * readPerShard / 1000).toFixed(0)} s + 3 passes ${(3 * passMs / 1000).toFixed(0)} s = ${(scoreMs / 60000).toFixed(1)} min, plus reading the input and writing the output on the caller (here: local scoring runs at ${(scoreN / localScore.wall / 1e6).toFixed(2)} M rows/s, ${(100e6 / (scoreN / localScore.wall) / 60).toFixed(0)} min for 100M)`);
console.log(`\nload average at the end: ${load()} (2 cores: above 2 the cores are saturated and every figure here is inflated)`);
