// One segkit workload of the density benchmark in a fresh process: reads N x D float32 rows (row-major) from a
// file, fits, and prints wall and CPU seconds of the fit alone, peak RSS sampled every 2 ms during it, and the RSS
// before it.
// Usage: node bench/densityRun.mjs WORKLOAD FILE N D PARAMS_JSON   (WORKLOAD: dbscan | hdbscan | ward | single)
import { readFileSync } from 'node:fs';
import { agglomerative, close, dbscan, fromColumns, hdbscan } from '../dist/index.node.js';

const [workload, file, nArg, dArg, paramsArg] = process.argv.slice(2);
const n = Number(nArg), d = Number(dArg), params = JSON.parse(paramsArg ?? '{}');
const flat = new Float32Array(readFileSync(file).buffer.slice(0));
const columns = Array.from({ length: d }, (_, j) => Float32Array.from({ length: n }, (_, i) => flat[i * d + j]));
const ds = fromColumns({ columns });
const threads = params.threads;
const run = threads ? { threads } : {};
// compile the kernels and start the pool on a tiny fit, so fixed start-up costs are not counted as the fit's
const tiny = fromColumns({ columns: columns.map((c) => c.slice(0, 64)) });
if (workload === 'dbscan') await dbscan(tiny, { eps: params.eps, ...run });
else if (workload === 'hdbscan') await hdbscan(tiny, { minClusterSize: 5, ...run });
else await agglomerative(tiny, { k: 2, linkage: workload, ...run });
globalThis.gc?.();
const base = process.memoryUsage().rss;
let peak = base;
const sample = () => { peak = Math.max(peak, process.memoryUsage().rss); };
const timer = setInterval(sample, 2);
const t = performance.now();
const cpu0 = process.cpuUsage();
let result;
if (workload === 'dbscan') {
  const m = await dbscan(ds, { eps: params.eps, minSamples: params.min_samples, ...run });
  result = { clusters: m.k, noise: m.counts().noise, core: m.coreSampleIndices.length };
} else if (workload === 'hdbscan') {
  const r = await hdbscan(ds, { minClusterSize: params.min_cluster_size, minSamples: params.min_samples, ...run });
  result = { clusters: r.k, noise: r.labels.filter((l) => l < 0).length };
} else {
  const m = await agglomerative(ds, { k: 2, linkage: workload, ...run });
  let sum = 0;
  for (const h of m.heights) sum += h;
  result = { heights_sum: sum, last_height: m.heights[m.heights.length - 1] };
}
const seconds = (performance.now() - t) / 1000;
// CPU seconds of every thread of the process (the pool's workers included)
const used = process.cpuUsage(cpu0);
const cpuSeconds = (used.user + used.system) / 1e6;
sample();
clearInterval(timer);
await close();
console.log(JSON.stringify({ workload, n, d, threads: threads ?? 'all', seconds, cpuSeconds, peakMB: peak / 2 ** 20, beforeMB: base / 2 ** 20, result }));
