// Peak resident memory a 2-thread k-means fit adds beyond its input, measured in a fresh process: RSS is sampled
// every few milliseconds during the fit (the caller's thread yields between slices of work) and at every iteration.
import { kmeans, close, fromColumns } from '../dist/index.node.js';
import { blobs } from './blobs.mjs';

const [n, d, k] = process.argv.slice(2).map(Number);
// start the pool and compile the kernels on a tiny fit, so the fixed overhead is counted as fixed
await kmeans([[0, 0], [1, 1], [5, 5]], { k: 2, threads: 2 });
const ds = fromColumns(blobs(n, d, k, 0));
globalThis.gc?.();
const base = process.memoryUsage().rss;
let peak = base;
const sample = () => { peak = Math.max(peak, process.memoryUsage().rss); };
const timer = setInterval(sample, 2);
await kmeans(ds, { k, seed: 1, maxIter: 20, tol: 0, threads: 2, onProgress: sample });
sample();
clearInterval(timer);
await close();
console.log(JSON.stringify({ dataMB: (n * d * 4) / 2 ** 20, addedMB: (peak - base) / 2 ** 20, baseMB: base / 2 ** 20, peakMB: peak / 2 ** 20 }));
