// k-means engine benchmark: segkit (2 threads, 1 thread, pure JS) side by side with scikit-learn, ml-kmeans and
// skmeans on the same machine in one run. Prints per-unit times and ratios; absolute times are noisy here.
// Usage: npm run build && node bench/kmeans.bench.mjs [--n 1000000] [--d 16] [--k 8]
import { Bench } from 'tinybench';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { kmeans as mlKMeans } from 'ml-kmeans';
import skmeans from 'skmeans';
import { kmeans, close, fromColumns, createRandom } from '../dist/index.node.js';
import { executorFor } from '../dist/engine/defaultExecutor.js';
import { loadMatrix } from '../dist/engine/matrix.js';
import { centresF32 } from '../dist/kernels/shard.js';
import { assignOp } from '../dist/core/kmeansOps.js';
import { blobs } from './blobs.mjs';
import { sklearn, sklearnAvailable } from './anchors.mjs';
import { lloydPassTs } from './pureTs.mjs';

const { values } = parseArgs({ options: { n: { type: 'string', default: '1000000' }, d: { type: 'string', default: '16' }, k: { type: 'string', default: '8' }, quick: { type: 'boolean', default: false } } });
const n = Number(values.n), d = Number(values.d), k = Number(values.k);
const ITERS = 20;
console.log(`data: ${n} x ${d} float32 blobs, k = ${k}; scikit-learn ${sklearnAvailable ? 'found' : 'not found (column skipped)'}`);

const data = blobs(n, d, k, 0);
const ds = fromColumns(data);
// initial centres: k distinct random rows, as scikit-learn's anchor draws them (its own rows, with its own generator)
const pick = createRandom(0);
const rowsPicked = new Set();
while (rowsPicked.size < k) rowsPicked.add(pick.int(n));
const init = [...rowsPicked].map((i) => Array.from({ length: d }, (_, j) => data.columns[j][i]));
const results = {};
const record = (name, ms) => (results[name] = ms);

async function perIteration(threads) {
  const t = performance.now();
  const m = await kmeans(ds, { k, init, tol: 0, maxIter: ITERS, threads });
  return { overriddenDuration: (performance.now() - t) / m.iterations, iterations: m.iterations };
}

// one full assignment pass over pre-loaded data (no bounds), for GFLOP/s: 2 n k d flops per pass
async function fullPass(threads) {
  const ex = executorFor(threads);
  const m = await loadMatrix(ex, ds);
  const centers = new Float64Array(k * d);
  init.forEach((row, t) => row.forEach((v, j) => (centers[t * d + j] = v - m.offset[j])));
  const { cent, norms } = centresF32(centers, k, d);
  const state = { cent, norms, k, reset: false, sums: false, dist: false };
  return { run: () => ex.map(assignOp, m.handle, state), free: () => m.release() };
}

const bench = new Bench({ iterations: values.quick ? 2 : 5, time: 0, warmupIterations: 1 });
let fitIters = {};
for (const threads of [2, 1]) {
  bench.add(`segkit wasm ${threads}T: Lloyd iteration (fit / iterations)`, async () => {
    const r = await perIteration(threads);
    fitIters[threads] = r.iterations;
    return { overriddenDuration: r.overriddenDuration };
  });
}
const passes = { 2: await fullPass(2), 1: await fullPass(1) };
for (const threads of [2, 1]) bench.add(`segkit wasm ${threads}T: full assignment pass`, async () => { await passes[threads].run(); });
for (const threads of [2, 1]) bench.add(`segkit wasm ${threads}T: k-means++ init + 1 iteration`, async () => { await kmeans(ds, { k, seed: 1, maxIter: 1, tol: 0, threads }); });
const model = await kmeans(ds, { k, init, maxIter: 5, threads: 2 });
for (const threads of [2, 1]) bench.add(`segkit wasm ${threads}T: predict`, async () => { await model.predict(ds, { threads }); });
await bench.run();
for (const p of Object.values(passes)) await p.free();
for (const t of bench.tasks) record(t.name, t.result.latency.p50);

// the peers run a few iterations only: they are orders of magnitude slower
const flatCenters = Float64Array.from(init.flat());
let t0 = performance.now();
lloydPassTs(data.columns, n, flatCenters, k);
record('pure JS: Lloyd iteration', performance.now() - t0);
const rows = Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, j) => data.columns[j][i]));
const PEER_ITERS = 2;
t0 = performance.now();
const ml = mlKMeans(rows, k, { initialization: init.map((r) => [...r]), maxIterations: PEER_ITERS, tolerance: 0 });
record('ml-kmeans: Lloyd iteration', (performance.now() - t0) / Math.max(1, ml.iterations ?? PEER_ITERS));
t0 = performance.now();
const sk = skmeans(rows, k, init.map((r) => [...r]), PEER_ITERS);
record('skmeans: Lloyd iteration', (performance.now() - t0) / Math.max(1, sk.it ?? PEER_ITERS));

const py = {};
if (sklearnAvailable) {
  py.iter = sklearn('kmeans-iter', { n, d, k, threads: 2, iters: ITERS });
  py.init = sklearn('kmeans-init', { n, d, k, threads: 2 });
  py.predict = sklearn('predict', { n, d, k, threads: 2 });
  py.iter1 = sklearn('kmeans-iter', { n, d, k, threads: 1, iters: ITERS });
}

// peak memory of a 2-thread fit, in a fresh process, beyond the input it was given
const mem = JSON.parse(execFileSync(process.execPath, ['--expose-gc', fileURLToPath(new URL('./kmeansMemory.mjs', import.meta.url)), String(n), String(d), String(k)], { encoding: 'utf8' }));

await close();
const f = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(2)) + ' ms';
const ratio = (a, b) => (a && b ? (b / a).toFixed(2) + 'x' : 'n/a');
const it2 = results['segkit wasm 2T: Lloyd iteration (fit / iterations)'];
const pass2 = results['segkit wasm 2T: full assignment pass'];
const pass1 = results['segkit wasm 1T: full assignment pass'];
const init2 = results['segkit wasm 2T: k-means++ init + 1 iteration'];
const pred2 = results['segkit wasm 2T: predict'];
const skIter = py.iter && py.iter.seconds * 1000, skInit = py.init && py.init.seconds * 1000, skPred = py.predict && py.predict.seconds * 1000;
console.log('\nmedian times (tinybench p50 for segkit):');
for (const [name, ms] of Object.entries(results)) console.log(`  ${name.padEnd(58)} ${f(ms)}`);
if (sklearnAvailable) {
  console.log(`  ${'scikit-learn 2T: Lloyd iteration'.padEnd(58)} ${f(skIter)} (${py.iter.result.n_iter} iterations)`);
  console.log(`  ${'scikit-learn 1T: Lloyd iteration'.padEnd(58)} ${f(py.iter1.seconds * 1000)}`);
  console.log(`  ${'scikit-learn 2T: k-means++ init + 1 iteration'.padEnd(58)} ${f(skInit)}`);
  console.log(`  ${'scikit-learn 2T: predict'.padEnd(58)} ${f(skPred)}`);
}
console.log(`\nsegkit fit iterations: ${fitIters[2]} (2T), ${fitIters[1]} (1T) of at most ${ITERS}, tol 0`);
console.log('\nratios (how many times faster segkit 2T is):');
console.log(`  Lloyd iteration vs scikit-learn 2T (fit / iterations):  ${ratio(it2, skIter)}   [target >= 4x]`);
console.log(`  full assignment pass vs scikit-learn 2T iteration:      ${ratio(pass2, skIter)}`);
console.log(`  Lloyd iteration vs ml-kmeans:                           ${ratio(it2, results['ml-kmeans: Lloyd iteration'])}   [target >= 30x]`);
console.log(`  Lloyd iteration vs skmeans:                             ${ratio(it2, results['skmeans: Lloyd iteration'])}`);
console.log(`  Lloyd iteration vs pure JS:                             ${ratio(it2, results['pure JS: Lloyd iteration'])}`);
console.log(`  k-means++ init vs scikit-learn 2T:                      ${ratio(init2, skInit)}   [target >= 3x]`);
console.log(`  predict rows/s: segkit ${(n / pred2 / 1000).toFixed(1)} M/s, scikit-learn ${skPred ? (n / skPred / 1000).toFixed(1) + ' M/s' : 'n/a'}: ${ratio(pred2, skPred)}   [target >= 2x]`);
const gflop = (ms) => ((2 * n * k * d) / (ms / 1000) / 1e9).toFixed(1);
console.log(`  achieved GFLOP/s (2 n k d per full pass): ${gflop(pass2)} (2T), ${gflop(pass1)} (1T)`);
console.log(`  memory: a 2-thread fit added ${mem.addedMB.toFixed(1)} MB peak RSS beyond its input (${(mem.addedMB / mem.dataMB).toFixed(2)}x the ${mem.dataMB.toFixed(0)} MB of float32 data) [target <= 1.5x + fixed]`);
