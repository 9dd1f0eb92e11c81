// The k-means engine against scikit-learn on the same bytes, in one run: fits from the same fixed initial centres
// (tol 1e-4, Lloyd), k-means++ fits (seeds 0 to 9 on both sides, summed), predict on rows not yet in wasm memory, a
// small k-means++ fit (seeds as well), and the GFLOP/s of a full assignment pass. Every case runs in a fresh process
// (segkit: bench/engineCase.mjs; scikit-learn: bench/sklearn_engine.py with /usr/bin/python3, 2 threads through
// threadpoolctl), so its peak memory is its own.
// Prints times (median of the repeats), iterations of both sides, labels that differ, peak RSS added, ratios.
// Usage: npm run build && node bench/engine.bench.mjs [--scale 1] [--repeats 3] [--seeds 10] [--only fit,pp,predict,small,pass]
//        [--dist dist]  (--dist points at another build, e.g. an older commit's, to compare before and after)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRandom } from '../dist/index.js';
import { blobs } from './blobs.mjs';
import { skewed } from './skewed.mjs';

const { values } = parseArgs({ options: {
  scale: { type: 'string', default: '1' }, repeats: { type: 'string', default: '3' },
  only: { type: 'string', default: 'fit,pp,predict,small,pass' }, dist: { type: 'string', default: fileURLToPath(new URL('../dist', import.meta.url)) },
  threads: { type: 'string', default: '2' }, seeds: { type: 'string', default: '10' },
} });
const scale = Number(values.scale), repeats = Number(values.repeats), threads = Number(values.threads), seeds = Number(values.seeds);
const only = new Set(values.only.split(','));
const dist = resolve(values.dist);
const python = '/usr/bin/python3';
const pyScript = fileURLToPath(new URL('./sklearn_engine.py', import.meta.url));
const caseScript = fileURLToPath(new URL('./engineCase.mjs', import.meta.url));
const haveSklearn = existsSync(python) && (() => { try { execFileSync(python, ['-c', 'import sklearn, threadpoolctl'], { stdio: 'ignore' }); return true; } catch { return false; } })();
const dir = mkdtempSync(join(tmpdir(), 'segkit-engine-'));
const loadBefore = loadavg();

const shapes = {
  'blobs 1M x 16, k=8': { n: 1_000_000, d: 16, k: 8, kind: 'blobs' },
  'blobs 1M x 16, k=32': { n: 1_000_000, d: 16, k: 32, kind: 'blobs' },
  'blobs 250k x 64, k=8': { n: 250_000, d: 64, k: 8, kind: 'blobs' },
  'skewed 1M x 16, k=8': { n: 1_000_000, d: 16, k: 8, kind: 'skewed' },
  'blobs 20k x 8, k=5': { n: 20_000, d: 8, k: 5, kind: 'blobs', fixed: true },
};

// writes the case's bytes once: n x d float32 row-major, and k distinct random rows as float64 centres
const files = new Map();
function write(name) {
  if (files.has(name)) return files.get(name);
  const s = shapes[name];
  const n = s.fixed ? s.n : Math.max(1000, Math.round(s.n * scale));
  const data = s.kind === 'skewed' ? skewed(n, s.d, 0) : blobs(n, s.d, s.k, 0);
  const X = new Float32Array(n * s.d);
  for (let j = 0; j < s.d; j++) { const c = data.columns[j]; for (let i = 0; i < n; i++) X[i * s.d + j] = c[i]; }
  const rng = createRandom(0);
  const rows = new Set();
  while (rows.size < s.k) rows.add(rng.int(n));
  const C = new Float64Array(s.k * s.d);
  [...rows].forEach((r, t) => { for (let j = 0; j < s.d; j++) C[t * s.d + j] = X[r * s.d + j]; });
  const f = { n, d: s.d, k: s.k, data: join(dir, `${files.size}.f32`), centres: join(dir, `${files.size}.f64`) };
  writeFileSync(f.data, X);
  writeFileSync(f.centres, C);
  files.set(name, f);
  return f;
}

function sk(workload, f, extra = []) {
  if (!haveSklearn) return null;
  const out = execFileSync(python, [pyScript, workload, '--data', f.data, '--n', String(f.n), '--d', String(f.d), '--k', String(f.k),
    '--centres', f.centres, '--threads', String(threads), '--repeats', String(repeats), ...extra], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop());
}
function sg(what, name, f, extra = {}) {
  const cfg = { name, what, dist, threads, repeats, n: f.n, d: f.d, k: f.k, data: f.data, centres: f.centres, ...extra };
  const out = execFileSync(process.execPath, ['--expose-gc', caseScript, JSON.stringify(cfg)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop());
}

const rows = [];
const pruning = [];
const ms = (v) => (v == null ? 'n/a' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const mb = (v) => (v == null ? 'n/a' : v.toFixed(0));
function row(label, target, s, p, extra = '') {
  const ratio = p ? (p.seconds * 1000) / s.ms : null;
  rows.push([label, `${ms(s.ms)}${s.iterations ? ` (${s.iterations} it)` : ''}`, p ? `${ms(p.seconds * 1000)}${p.n_iter ? ` (${p.n_iter} it)` : ''}` : 'n/a',
    ratio ? `${ratio.toFixed(2)}x` : 'n/a', target, extra, `${mb(s.addedMB)} / ${mb(p?.addedMB)}`, `${(s.dataMB ?? 0).toFixed(0)}`]);
}

console.log(`segkit build: ${dist}; scikit-learn: ${haveSklearn ? 'found' : 'not found (its columns are n/a)'}; ${threads} threads each; load average ${loadBefore.map((v) => v.toFixed(2)).join(' ')}`);
if (only.has('fit')) {
  for (const name of ['blobs 1M x 16, k=8', 'blobs 1M x 16, k=32', 'blobs 250k x 64, k=8', 'skewed 1M x 16, k=8']) {
    const f = write(name);
    const labels = join(dir, 'labels.i32');
    const p = sk('fit', f, ['--labels', labels]);
    const s = sg('fit', name, f, p ? { labels } : {});
    row(`fit from fixed centres: ${name}`, name.startsWith('skewed') ? '>= 2.5x' : '>= 4x', s, p, s.labelsDiffer != null ? `${s.labelsDiffer} labels differ` : '');
    pruning.push([name, s.computed]);
  }
}
// k-means++ fits: each side draws its own centres (other random streams), so one seed's fit can run three times the
// iterations of the other's (on 1M x 16 blobs, k = 8, seeds 0 to 99: 868 iterations against 750, and 29 fits against 31
// ending in a worse optimum, by bench/seedQuality.mjs); seeds 0 to seeds - 1 on both sides, one fit each (with
// several seeds), summed, compare the same work on average
function ppRow(name, target) {
  const f = write(name);
  const s = { ms: 0, iterations: 0, addedMB: 0, dataMB: 0 }, p = haveSklearn ? { seconds: 0, n_iter: 0, addedMB: 0 } : null;
  const once = seeds > 1 ? 1 : repeats;
  for (let seed = 0; seed < seeds; seed++) {
    const a = sg('fit-pp', name, f, { seed, repeats: once });
    s.ms += a.ms; s.iterations += a.iterations; s.addedMB = Math.max(s.addedMB, a.addedMB); s.dataMB = a.dataMB;
    if (!p) continue;
    const b = sk('fit-pp', f, ['--seed', String(seed), '--repeats', String(once)]);
    p.seconds += b.seconds; p.n_iter += b.n_iter; p.addedMB = Math.max(p.addedMB, b.addedMB);
  }
  row(`k-means++ fit: ${name}${seeds > 1 ? `, seeds 0-${seeds - 1} summed` : ''}`, target, s, p);
}
if (only.has('pp')) {
  for (const name of ['blobs 1M x 16, k=8', 'blobs 1M x 16, k=32', 'blobs 250k x 64, k=8']) ppRow(name, '>= 4x');
}
if (only.has('predict')) {
  for (const name of ['blobs 1M x 16, k=8', 'blobs 250k x 64, k=8']) {
    const f = write(name);
    const s = sg('predict', name, f);
    const p = sk('predict', f);
    row(`predict (rows not in wasm memory): ${name}`, '>= 2x', s, p, `${(f.n / s.ms / 1000).toFixed(1)} vs ${p ? (f.n / p.seconds / 1e6).toFixed(1) : 'n/a'} M rows/s`);
    // the same rows in SharedArrayBuffers (segkit's Arrow reader gives them so): nothing copied, against the same run
    const shared = sg('predict-shared', name, f);
    row(`predict, rows in shared memory: ${name}`, '-', shared, p, `${(f.n / shared.ms / 1000).toFixed(1)} vs ${p ? (f.n / p.seconds / 1e6).toFixed(1) : 'n/a'} M rows/s`);
  }
}
if (only.has('small')) ppRow('blobs 20k x 8, k=5', '>= 10x');
const passes = [];
if (only.has('pass')) {
  for (const name of ['blobs 1M x 16, k=8', 'blobs 1M x 16, k=32', 'blobs 250k x 64, k=8']) {
    const f = write(name);
    const s = sg('pass', name, f);
    passes.push(`${name}: ${ms(s.ms)} ms, ${s.gflops.toFixed(1)} GFLOP/s`);
  }
}
rmSync(dir, { recursive: true, force: true });

const head = ['case', 'segkit ms', 'scikit-learn ms', 'ratio', 'target', 'notes', 'peak RSS added MB (segkit / sklearn)', 'data MB'];
const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c]).length)));
console.log(`\n${head.map((h, c) => h.padEnd(widths[c])).join(' | ')}`);
for (const r of rows) console.log(r.map((v, c) => String(v).padEnd(widths[c])).join(' | '));
if (pruning.length) {
  console.log('\nshare of row-centre distances computed per iteration (bounds skip the rest; 100 = plain pass):');
  for (const [name, c] of pruning) {
    const mean = c.reduce((a, b) => a + b, 0) / c.length;
    console.log(`  ${name.padEnd(22)} mean ${(100 * mean).toFixed(1)}% | ${c.slice(0, 16).map((v) => (100 * v).toFixed(0)).join(' ')}${c.length > 16 ? ' ...' : ''}`);
  }
}
if (passes.length) console.log(`\nfull assignment pass (every centre for every row, data loaded, ${threads} threads):\n  ${passes.join('\n  ')}`);
console.log(`\nload average before ${loadBefore.map((v) => v.toFixed(2)).join(' ')}, after ${loadavg().map((v) => v.toFixed(2)).join(' ')} (2 cores shared; ratios compare both sides in the same run)`);
