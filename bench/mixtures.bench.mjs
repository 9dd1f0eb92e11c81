// Gaussian mixtures, mini-batch k-means and k-means|| side by side with scikit-learn in one run: per-unit times,
// ratios, the inertia checks, and (with --big) k-means|| + fit on 10M x 16 with its peak RSS in a fresh process.
// Usage: npm run build && node bench/mixtures.bench.mjs [--scale 0.1] [--big] [--threads 2]
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { close, fromColumns, gaussianMixture, kmeans, miniBatchKMeans, createRandom } from '../dist/index.node.js';
import { executorFor } from '../dist/engine/defaultExecutor.js';
import { loadMatrix } from '../dist/engine/matrix.js';
import { kmeansPlusPlus } from '../dist/core/initCentroids.js';
import { kmeansParallel } from '../dist/core/kmeansParallel.js';
import { blobs } from './blobs.mjs';

const { values } = parseArgs({ options: { scale: { type: 'string', default: '1' }, big: { type: 'boolean', default: false }, threads: { type: 'string', default: '2' }, repeats: { type: 'string', default: '3' } } });
const scale = Number(values.scale), threads = Number(values.threads), repeats = Number(values.repeats);
const python = '/usr/bin/python3';
const anchor = fileURLToPath(new URL('./sklearn_mixtures.py', import.meta.url));
const haveSklearn = existsSync(python) && (() => { try { execFileSync(python, ['-c', 'import sklearn'], { stdio: 'ignore' }); return true; } catch { return false; } })();
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const ms = (s) => `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`;
const rows = [];
const report = (what, ours, theirs, note = '') => {
  const t = typeof theirs === 'object' && theirs ? theirs : { seconds: theirs };
  const sk = t.seconds;
  if (t.threads) note = `${note ? `${note}; ` : ''}scikit-learn on ${t.threads} thread(s)`;
  rows.push({ what, segkit: ours, sklearn: sk, ratio: sk ? `${(sk / ours).toFixed(1)}x` : '', note });
  console.log(`${what}: segkit ${ms(ours)}${sk ? `, reference ${ms(sk)}, ${(sk / ours).toFixed(1)}x` : ''}${note ? ` (${note})` : ''}`);
};
// scikit-learn on 1 and on `threads` threads, the faster median kept: its OpenMP and BLAS threads can lose badly on a
// busy machine, and the comparison should not profit from that
function sklearn(workload, args) {
  if (!haveSklearn) return null;
  let best = null;
  for (const t of [...new Set([1, threads])]) {
    const runs = [];
    for (let r = 0; r < repeats; r++) {
      const out = execFileSync(python, [anchor, workload, ...Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)]), '--threads', String(t)], { encoding: 'utf8', maxBuffer: 1 << 20 });
      runs.push(JSON.parse(out.trim().split('\n').pop()));
    }
    runs.sort((a, b) => a.seconds - b.seconds);
    const med = runs[Math.floor(runs.length / 2)];
    if (!best || med.seconds < best.seconds) best = med;
  }
  return best;
}
console.log(`load average ${loadavg().map((v) => v.toFixed(2)).join(' ')} on ${threads} threads; scikit-learn ${haveSklearn ? 'found' : 'not found (column skipped)'}`);

// ---- Gaussian mixtures: 100k x 16, k = 8, per EM iteration ---------------------------------------------------------
{
  const n = Math.round(100_000 * scale), d = 16, k = 8, iters = 10;
  const data = blobs(n, d, k, 0);
  const ds = fromColumns(data);
  for (const covarianceType of ['full', 'diag']) {
    for (const t of [threads, 1]) {
      const per = [];
      for (let r = 0; r < repeats; r++) {
        const stamps = [];
        await gaussianMixture(ds, { k, covarianceType, init: { means: data.centers }, maxIter: iters + 1, tol: 0, threads: t, onProgress: () => stamps.push(performance.now()) });
        per.push((stamps[stamps.length - 1] - stamps[0]) / (stamps.length - 1) / 1000);
      }
      const sk = t === threads ? sklearn(`gmm-${covarianceType}`, { n, d, k, iters }) : null;
      report(`GMM ${covarianceType}, ${n} x ${d}, k = ${k}, per EM iteration, ${t} thread(s)`, median(per), sk);
    }
  }
}

// ---- mini-batch k-means: 1M x 16, k = 32, batch 1024, the same steps -------------------------------------------------
{
  const n = Math.round(1_000_000 * scale), d = 16, k = 32, batchSize = 1024;
  const data = blobs(n, d, k, 0);
  const ds = fromColumns(data);
  const pick = createRandom(0);
  const init = [];
  const seen = new Set();
  while (init.length < k) {
    const i = pick.int(n);
    if (seen.has(i)) continue;
    seen.add(i);
    init.push(Array.from({ length: d }, (_, j) => data.columns[j][i]));
  }
  const per = [];
  let steps = 0;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const m = await miniBatchKMeans(ds, { k, init, batchSize, maxIter: 1, maxNoImprovement: null, threads });
    steps = m.nSteps;
    per.push((performance.now() - t0) / 1000 / m.nSteps);
  }
  const sk = sklearn('minibatch', { n, d, k, batch: batchSize });
  report(`mini-batch k-means, ${n} x ${d}, k = ${k}, batch ${batchSize}, ${steps} steps with final labels, per step`, median(per), sk);
  // quality: from one start (k-means|| then a Lloyd step), mini-batch (default early stop) against Lloyd to convergence;
  // one start is one basin, and on overlapping blobs the two can settle in different ones: three starts
  let gaps = 0;
  for (const seed of [1, 2, 3]) {
    const start = (await kmeans(ds, { k, seed, init: 'k-means||', maxIter: 1, tol: 0, threads })).centroids;
    const full = await kmeans(ds, { k, init: start, threads });
    const mb = await miniBatchKMeans(ds, { k, init: start, seed, batchSize, threads });
    const gap = mb.inertia / full.inertia - 1;
    gaps += gap;
    console.log(`  start ${seed}: inertia, mini-batch ${mb.inertia.toExponential(6)} (${mb.nSteps} steps) vs k-means ${full.inertia.toExponential(6)} (${full.iterations} iterations): ${(100 * gap).toFixed(3)}%`);
  }
  rows.push({ what: 'mini-batch inertia / full k-means inertia - 1, same start (mean of 3)', value: `${(100 * gaps / 3).toFixed(3)}%` });
  console.log(`  mean: ${(100 * gaps / 3).toFixed(3)}%`);
}

// ---- k-means|| against k-means++: 1M x 16, k = 32 -------------------------------------------------------------------
{
  const n = Math.round(1_000_000 * scale), d = 16, k = 32;
  const ds = fromColumns(blobs(n, d, k, 0));
  const ex = executorFor(threads);
  const m = await loadMatrix(ex, ds);
  await kmeansParallel(m, k, createRandom(9));
  await kmeansPlusPlus(m, k, createRandom(9));
  const par = [], pp = [];
  for (let r = 0; r < repeats; r++) {
    let t0 = performance.now();
    await kmeansParallel(m, k, createRandom(r));
    par.push((performance.now() - t0) / 1000);
    t0 = performance.now();
    await kmeansPlusPlus(m, k, createRandom(r));
    pp.push((performance.now() - t0) / 1000);
  }
  await m.release();
  const sk = sklearn('kmeans-plusplus', { n, d, k });
  report(`k-means++ initialisation, ${n} x ${d}, k = ${k}`, median(pp), sk, 'segkit greedy k-means++ against scikit-learn\'s');
  report(`k-means|| initialisation, ${n} x ${d}, k = ${k}`, median(par), median(pp), 'the reference column is segkit\'s k-means++');
  // one seed is one local optimum (on overlapping blobs they differ by a few per cent either way): the mean of three
  let sa = 0, sb = 0;
  for (const seed of [1, 2, 3]) {
    const a = await kmeans(ds, { k, seed, init: 'k-means||', threads });
    const b = await kmeans(ds, { k, seed, init: 'k-means++', threads });
    console.log(`  seed ${seed}: inertia after the fit, k-means|| ${a.inertia.toExponential(6)} (${a.iterations} it.), k-means++ ${b.inertia.toExponential(6)} (${b.iterations} it.)`);
    sa += a.inertia; sb += b.inertia;
  }
  console.log(`  mean inertia, k-means|| against k-means++: ${(100 * (sa / sb - 1)).toFixed(3)}%`);
  rows.push({ what: 'k-means|| inertia / k-means++ inertia - 1 (mean of 3 seeds)', value: `${(100 * (sa / sb - 1)).toFixed(3)}%` });
}
await close();

// ---- 10M x 16, k = 32: k-means|| + fit, time and peak RSS in a fresh process ------------------------------------------
if (values.big) {
  const out = execFileSync(process.execPath, ['--expose-gc', fileURLToPath(new URL('./kmeansParallelBig.mjs', import.meta.url)), String(Math.round(10_000_000 * scale)), '16', '32', String(threads)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const r = JSON.parse(out.trim().split('\n').pop());
  console.log(`k-means|| + fit, ${r.n} x 16, k = 32: init ${r.initSeconds.toFixed(2)} s, fit ${r.fitSeconds.toFixed(2)} s (${r.iterations} iterations), peak RSS ${r.peakMB.toFixed(0)} MB (data ${r.dataMB.toFixed(0)} MB, process before the fit ${r.baseMB.toFixed(0)} MB)`);
  rows.push({ what: `k-means|| + fit ${r.n} x 16 k=32`, value: r });
}
console.log(JSON.stringify({ load: loadavg(), rows }));
