// Density and hierarchy benchmark: segkit beside scikit-learn's DBSCAN and fastcluster's linkage_vector on the
// very same rows (written to a file both read), each fit in a fresh process, with peak RSS. Prints ratios; on a
// shared machine absolute times are noisy, ratios within one run are what count.
// Usage: npm run build && node --expose-gc bench/density.bench.mjs [--quick] [--only dbscan,dbscan1m,ward,single,hdbscan,hdbscandup]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRandom } from '../dist/index.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, repeats: { type: 'string', default: '1' } } });
const quick = values.quick;
const only = values.only ? new Set(values.only.split(',')) : null;
const repeats = Number(values.repeats);
const python = '/usr/bin/python3';
const anchor = fileURLToPath(new URL('./densityAnchor.py', import.meta.url));
const runner = fileURLToPath(new URL('./densityRun.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'segkit-density-bench-'));

/** Gaussian blobs (centres uniform in [-5, 5], std `std`) plus a share of uniform noise, row-major float32. */
function blobs(n, d, k, std, noiseShare, seed) {
  const rng = createRandom(seed);
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => -5 + 10 * rng.next()));
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const noise = rng.next() < noiseShare;
    for (let j = 0; j < d; j++) out[i * d + j] = noise ? -6 + 12 * rng.next() : centres[i % k][j] + std * rng.normal();
  }
  return out;
}

function best(cmd, args) {
  const runs = [];
  for (let r = 0; r < repeats; r++) runs.push(JSON.parse(execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 24 }).trim().split('\n').pop()));
  return runs.sort((a, b) => a.seconds - b.seconds)[0];
}
const ours = (work, file, n, d, params) => best(process.execPath, ['--expose-gc', runner, work, file, String(n), String(d), JSON.stringify(params)]);
const threadCounts = [1, 2];
const theirs = (work, file, n, d, params) => {
  try {
    return best(python, [anchor, work, file, String(n), String(d), JSON.stringify(params)]);
  } catch (e) {
    return { error: String(e.message).split('\n')[0] };
  }
};

const rows = [];
/** One line per segkit thread count, the anchor's line, and the ratios of wall and of CPU seconds. */
function report(name, run, b, anchorName, threadList = threadCounts) {
  const fmt = (r) => (r && !r.error ? `${r.seconds.toFixed(3)} s wall, ${r.cpuSeconds.toFixed(3)} s CPU, peak RSS ${r.peakMB.toFixed(0)} MB (${(r.peakMB - r.beforeMB).toFixed(0)} MB over the start)` : r?.error ?? 'not run');
  console.log(name);
  for (const threads of threadList) {
    const a = run(threads);
    rows.push({ name, threads, a, b, anchorName });
    const ratio = b && !b.error ? `  ratio ${(b.seconds / a.seconds).toFixed(2)}x wall, ${(b.cpuSeconds / a.cpuSeconds).toFixed(2)}x CPU` : '';
    console.log(`  segkit ${threads} thread${threads > 1 ? 's' : ''}: ${fmt(a)}  ${JSON.stringify(a.result)}${ratio}`);
  }
  console.log(`  ${anchorName}: ${fmt(b)}  ${b && !b.error ? JSON.stringify(b.result) : ''}`);
}

const want = (key) => !only || only.has(key);
console.log(`load: ${(await import('node:os')).loadavg().map((v) => v.toFixed(1)).join(' ')} (1, 5, 15 min); ${quick ? 'quick sizes' : 'full sizes'}`);

if (want('dbscan')) {
  const n = quick ? 20_000 : 100_000;
  const file = join(dir, 'dbscan.f32');
  writeFileSync(file, blobs(n, 2, 8, 0.5, 0.05, 1));
  const params = { eps: 0.05, min_samples: 10 };
  report(`DBSCAN ${n} x 2 (eps ${params.eps}, minSamples ${params.min_samples})`, (threads) => ours('dbscan', file, n, 2, { ...params, threads }), theirs('dbscan', file, n, 2, params), 'scikit-learn');
}
if (want('dbscan1m')) {
  const n = quick ? 200_000 : 1_000_000;
  const file = join(dir, 'dbscan1m.f32');
  writeFileSync(file, blobs(n, 2, 8, 0.5, 0.05, 2));
  const params = { eps: 0.02, min_samples: 10 };
  report(`DBSCAN ${n} x 2 (eps ${params.eps}, minSamples ${params.min_samples})`, (threads) => ours('dbscan', file, n, 2, { ...params, threads }), theirs('dbscan', file, n, 2, params), 'scikit-learn');
}
for (const method of ['ward', 'single']) {
  if (!want(method)) continue;
  const n = quick ? 5_000 : 20_000;
  const file = join(dir, `${method}.f32`);
  writeFileSync(file, blobs(n, 16, 8, 2, 0, 3));
  report(`${method} linkage ${n} x 16`, (threads) => ours(method, file, n, 16, { threads }), theirs(method, file, n, 16, {}), 'fastcluster linkage_vector', [1]);
}
if (want('hdbscan')) {
  const n = quick ? 20_000 : 100_000;
  const file = join(dir, 'hdbscan.f32');
  writeFileSync(file, blobs(n, 8, 8, 1, 0.05, 4));
  report(`HDBSCAN ${n} x 8 (minClusterSize 50, minSamples 10)`, (threads) => ours('hdbscan', file, n, 8, { min_cluster_size: 50, min_samples: 10, threads }), null, 'no anchor on this machine');
}
if (want('hdbscandup')) {
  // customer-like repeats: 60% of the rows take one of 6 profiles exactly (one purchase of the usual amount), the rest
  // are blobs; identical rows at core distance 0 are joined before the spanning-tree rounds
  const n = quick ? 20_000 : 100_000;
  const file = join(dir, 'hdbscandup.f32');
  const x = blobs(n, 8, 8, 1, 0.05, 5);
  const rng = createRandom(6);
  const profiles = Array.from({ length: 6 }, () => Array.from({ length: 8 }, () => Math.fround(-5 + 10 * rng.next())));
  for (let i = 0; i < n; i++) if (rng.next() < 0.6) x.set(profiles[i % 6], i * 8);
  writeFileSync(file, x);
  report(`HDBSCAN ${n} x 8, 60% of rows one of 6 repeated profiles (minClusterSize 50, minSamples 10)`, (threads) => ours('hdbscan', file, n, 8, { min_cluster_size: 50, min_samples: 10, threads }), null, 'no anchor on this machine');
}
rmSync(dir, { recursive: true, force: true });
