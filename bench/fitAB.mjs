// k-means fits of this build against another build's, in one process on the same data and the same initial centres
// (the engine benchmark's: k distinct random rows), the two in turn (which runs first swaps every round), medians:
// the whole fit, and the time up to each iteration's end split into bounded passes and plain ones (the pass that
// starts the bounds counts as plain, the first pass with the load before it; the last pass after the last iteration
// falls in neither), with each side's inertia, iterations and a hash of its labels, which must agree.
// Usage: npm run build && node bench/fitAB.mjs [OTHER_DIST|-] [n=250000] [d=64] [k=8] [rounds=7] [blobs|skewed] [threads=2]
// (OTHER_DIST: another checkout's dist directory; '-': this build twice; threads 0: the inline executor)
import { fileURLToPath, pathToFileURL } from 'node:url';
import { blobs } from './blobs.mjs';
import { skewed } from './skewed.mjs';

const here = fileURLToPath(new URL('../dist', import.meta.url));
const [other = '-', n = '250000', d = '64', k = '8', rounds = '7', kind = 'blobs', threads = '2'] = process.argv.slice(2);
const N = Number(n), D = Number(d), K = Number(k), T = Number(threads);
const dists = [other === '-' ? here : other, here];
const libs = await Promise.all(dists.map((p) => import(pathToFileURL(`${p}/index.node.js`).href)));
const data = kind === 'skewed' ? skewed(N, D, 0) : blobs(N, D, K, 0);
const columns = data.columns.map((c) => Float32Array.from(c));
const rng = libs[1].createRandom(0);
const rows = new Set();
while (rows.size < K) rows.add(rng.int(N));
const init = [...rows].map((r) => columns.map((c) => c[r]));
const runOn = libs.map((L) => (T === 0 ? { executor: L.inlineExecutor() } : { threads: T }));
const times = [[], []];
const seen = ['', ''];
for (let r = 0; r < Number(rounds); r++) {
  // the order swaps every round: a build run second in one process ran a few percent slower or faster here
  for (const s of r % 2 ? [1, 0] : [0, 1]) {
    const L = libs[s];
    let bounded = 0, plain = 0, last = performance.now();
    const t0 = last;
    const m = await L.kmeans(L.fromColumns({ columns }), {
      k: K, init, tol: 1e-4, ...runOn[s],
      onProgress: (p) => { const now = performance.now(); if ((p.computed ?? 1) < 1) bounded += now - last; else plain += now - last; last = now; },
    });
    times[s].push([performance.now() - t0, bounded, plain]);
    let h = 0;
    for (let i = 0; i < m.labels.length; i++) h = (h * 31 + m.labels[i] + 1) % 1_000_000_007;
    seen[s] = `inertia ${m.inertia}, ${m.iterations} iterations, labels hash ${h}`;
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(`${kind} ${N} x ${D}, k = ${K}, ${T === 0 ? 'inline' : `${T} thread(s)`}, ${rounds} alternating rounds, medians (ms):`);
['other', 'this'].forEach((name, s) => {
  const col = (q) => median(times[s].map((t) => t[q])).toFixed(1);
  console.log(`  ${name.padEnd(5)} whole fit ${col(0)}, bounded passes ${col(1)}, plain passes ${col(2)} | ${seen[s]}`);
});
if (seen[0] !== seen[1]) { console.log('  the two builds disagree'); process.exitCode = 1; }
await Promise.all(runOn.map((o) => o.executor?.close()));
await Promise.all(libs.map((L) => L.close()));
