// Peak resident memory a 2-thread k-means fit adds beyond its input, measured in a fresh process.
import { kmeans, close, fromColumns } from '../dist/index.node.js';
import { blobs } from './blobs.mjs';

const [n, d, k] = process.argv.slice(2).map(Number);
// start the pool and compile the kernels on a tiny fit, so the fixed overhead is counted as fixed
await kmeans([[0, 0], [1, 1], [5, 5]], { k: 2, threads: 2 });
const ds = fromColumns(blobs(n, d, k, 0));
const base = process.memoryUsage().rss;
const before = process.resourceUsage().maxRSS * 1024;
await kmeans(ds, { k, seed: 1, maxIter: 20, tol: 0, threads: 2 });
const peak = process.resourceUsage().maxRSS * 1024;
await close();
console.log(JSON.stringify({ dataMB: (n * d * 4) / 2 ** 20, addedMB: (Math.max(peak, base) - Math.max(base, before)) / 2 ** 20, baseMB: base / 2 ** 20, peakMB: peak / 2 ** 20 }));
