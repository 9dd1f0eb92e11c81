// k-means|| then Lloyd on n x d blobs in a fresh process: the time of each and the peak resident memory (sampled
// every few milliseconds and at every iteration), beside the size of the data.
import { kmeans, close, fromColumns } from '../dist/index.node.js';
import { blobs } from './blobs.mjs';

const [n, d, k, threads] = process.argv.slice(2).map(Number);
await kmeans([[0, 0], [1, 1], [5, 5]], { k: 2, threads });
const ds = fromColumns(blobs(n, d, k, 0));
globalThis.gc?.();
const base = process.memoryUsage().rss;
let peak = base;
const sample = () => { peak = Math.max(peak, process.memoryUsage().rss); };
const timer = setInterval(sample, 5);
let initDone = 0;
const t0 = performance.now();
const m = await kmeans(ds, { k, seed: 1, init: 'k-means||', threads, onProgress: (p) => { sample(); if (p.iteration === 1 && !initDone) initDone = performance.now(); } });
const t1 = performance.now();
sample();
clearInterval(timer);
await close();
// the first progress call comes after the first Lloyd iteration: the init time is bounded by it
console.log(JSON.stringify({
  n, d, k, threads, initSeconds: (initDone - t0) / 1000, fitSeconds: (t1 - t0) / 1000, iterations: m.iterations, inertia: m.inertia,
  dataMB: (n * d * 4) / 2 ** 20, baseMB: base / 2 ** 20, peakMB: peak / 2 ** 20, addedMB: (peak - base) / 2 ** 20,
}));
