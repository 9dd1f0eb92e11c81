// Peak resident memory of an exact silhouette, measured in a fresh process.
import { silhouetteScore, close, fromColumns } from '../dist/index.node.js';
import { blobs } from './blobs.mjs';

const [n, d, k] = process.argv.slice(2).map(Number);
const b = blobs(n, d, k, 0);
const ds = fromColumns(b);
const base = process.memoryUsage().rss;
await silhouetteScore(ds, b.truth, { threads: 2 });
const peak = process.resourceUsage().maxRSS * 1024;
await close();
console.log(JSON.stringify({ peakMB: peak / 2 ** 20, addedMB: (peak - base) / 2 ** 20 }));
