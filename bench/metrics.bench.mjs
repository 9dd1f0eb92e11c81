// Metrics benchmark: exact silhouette, Calinski-Harabasz, Davies-Bouldin side by side with scikit-learn,
// and a chooseK sweep. Usage: npm run build && node bench/metrics.bench.mjs [--quick]
import { Bench } from 'tinybench';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { silhouetteScore, calinskiHarabaszScore, daviesBouldinScore, chooseK, close, fromColumns } from '../dist/index.node.js';
import { blobs } from './blobs.mjs';
import { sklearn, sklearnAvailable } from './anchors.mjs';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const d = 16, k = 8;
const nSil = values.quick ? 10_000 : 30_000, nBig = values.quick ? 200_000 : 1_000_000, nSilBig = values.quick ? 30_000 : 100_000;
console.log(`scikit-learn ${sklearnAvailable ? 'found' : 'not found (column skipped)'}`);
const sil = blobs(nSil, d, k, 0);
const big = blobs(nBig, d, k, 0);
const dsSil = fromColumns(sil), dsBig = fromColumns(big);

const bench = new Bench({ iterations: values.quick ? 2 : 3, time: 0, warmupIterations: 1 });
bench.add(`segkit 2T: exact silhouette ${nSil} x ${d}`, async () => { await silhouetteScore(dsSil, sil.truth, { threads: 2 }); });
bench.add(`segkit 2T: Calinski-Harabasz ${nBig} x ${d}`, async () => { await calinskiHarabaszScore(dsBig, big.truth, { threads: 2 }); });
bench.add(`segkit 2T: Davies-Bouldin ${nBig} x ${d}`, async () => { await daviesBouldinScore(dsBig, big.truth, { threads: 2 }); });
await bench.run();
const ms = Object.fromEntries(bench.tasks.map((t) => [t.name.split(':')[1].trim().split(' ')[0] + (t.name.includes('silhouette') ? ' silhouette' : ''), t.result.latency.p50]));

const once = async (fn) => { const t = performance.now(); const r = await fn(); return [performance.now() - t, r]; };
const silBig = blobs(nSilBig, d, k, 1);
const [tSilBig] = await once(() => silhouetteScore(fromColumns(silBig), silBig.truth, { threads: 2 }));
const [tChoose, choice] = await once(() => chooseK(dsBig, { kRange: [2, 10], seed: 1, threads: 2, silhouetteSampleSize: 10_000 }));
const mem = JSON.parse(execFileSync(process.execPath, [fileURLToPath(new URL('./silhouetteMemory.mjs', import.meta.url)), String(nSil), String(d), String(k)], { encoding: 'utf8' }));
await close();

const sk = sklearnAvailable ? {
  silhouette: sklearn('silhouette', { n: nSil, d, k, threads: 2, repeats: 1 }),
  calinski: sklearn('calinski', { n: nBig, d, k, threads: 2 }),
  davies: sklearn('davies', { n: nBig, d, k, threads: 2 }),
} : {};
const f = (v) => (v >= 100 ? v.toFixed(0) : v.toFixed(2)) + ' ms';
const ratio = (a, b) => (a && b ? (b / a).toFixed(2) + 'x' : 'n/a');
const rows = [
  ['exact silhouette', `${nSil} x ${d}`, ms['exact silhouette'], sk.silhouette?.seconds * 1000, '>= 5x'],
  ['Calinski-Harabasz', `${nBig} x ${d}`, ms['Calinski-Harabasz'], sk.calinski?.seconds * 1000, '>= 3x'],
  ['Davies-Bouldin', `${nBig} x ${d}`, ms['Davies-Bouldin'], sk.davies?.seconds * 1000, '>= 3x'],
];
console.log('\nmetric               data            segkit 2T     scikit-learn 2T   segkit faster by   target');
for (const [name, shape, a, b, target] of rows) console.log(`${name.padEnd(20)} ${shape.padEnd(15)} ${f(a).padStart(10)}   ${(b ? f(b) : 'n/a').padStart(14)}   ${ratio(a, b).padStart(16)}   ${target}`);
console.log(`\nexact silhouette ${nSilBig} x ${d} (segkit 2T): ${(tSilBig / 1000).toFixed(1)} s`);
console.log(`exact silhouette ${nSil} x ${d}: peak RSS ${mem.peakMB.toFixed(0)} MB for the whole process (${mem.addedMB.toFixed(1)} MB added by the computation)`);
console.log(`chooseK k = 2..10 on ${nBig} x ${d} (sampled silhouette, 10,000 rows), 2T: ${(tChoose / 1000).toFixed(1)} s; recommended k = ${choice.recommendedK} (${choice.evidence})`);
