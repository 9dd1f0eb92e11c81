// k-means++ initialisation of two builds side by side in one process, on the same blobs, alternating (2 threads):
// medians, and a check that both chose the same centres in every round.
// Usage: npm run build && node bench/seedingAB.mjs [OTHER_DIST] [n=250000] [d=64] [k=8] [rounds=11]
//        (OTHER_DIST: another build's dist folder, e.g. a worktree of an older commit after `npm run build`; without
//        it, or with "-", this build against itself: the spread the machine alone gives)
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { blobs } from './blobs.mjs';

const [other = '-', n = 250_000, d = 64, k = 8, rounds = 11] = process.argv.slice(2).map((v, i) => (i === 0 ? v : Number(v)));
const mine = fileURLToPath(new URL('../dist', import.meta.url));
const builds = [];
for (const [name, root] of [['other', other === '-' ? mine : resolve(other)], ['this', mine]]) {
  const at = (p) => import(`${root}/${p}`);
  builds.push({ name, idx: await at('index.node.js'), ex: await at('engine/defaultExecutor.js'), mx: await at('engine/matrix.js'), init: await at('core/initCentroids.js') });
}
const data = blobs(n, d, k, 0);
for (const b of builds) {
  b.m = await b.mx.loadMatrix(b.ex.executorFor(2), b.idx.fromColumns(data));
  await b.init.kmeansPlusPlus(b.m, k, b.idx.createRandom(99));
}
const times = { other: [], this: [] };
let same = true;
for (let r = 0; r < rounds; r++) {
  const got = {};
  for (const b of r % 2 ? [...builds].reverse() : builds) {
    const t = performance.now();
    got[b.name] = await b.init.kmeansPlusPlus(b.m, k, b.idx.createRandom(r));
    times[b.name].push(+(performance.now() - t).toFixed(1));
  }
  if (got.other.some((v, i) => v !== got.this[i])) same = false;
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(JSON.stringify({ n, d, k, rounds, times, median: { other: median(times.other), this: median(times.this) }, sameCentres: same }));
for (const b of builds) await b.idx.close();
