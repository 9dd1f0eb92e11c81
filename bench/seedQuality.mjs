// k-means++ fits over many seeds, segkit and scikit-learn on the same blobs (each side its own random stream): total
// iterations, and how many fits end in a worse optimum than the best either side found (inertia above it by 0.1%).
// Usage: npm run build && node bench/seedQuality.mjs [n=1000000] [d=16] [k=8] [seeds=100] [first=0]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { close, fromColumns, kmeans } from '../dist/index.node.js';
import { blobs } from './blobs.mjs';

const [n = 1_000_000, d = 16, k = 8, seeds = 100, first = 0] = process.argv.slice(2).map(Number);
const data = blobs(n, d, k, 0);
const dir = mkdtempSync(join(tmpdir(), 'segkit-seeds-'));
try {
  const X = new Float32Array(n * d);
  for (let j = 0; j < d; j++) for (let i = 0; i < n; i++) X[i * d + j] = data.columns[j][i];
  writeFileSync(join(dir, 'x.f32'), X);
  const ds = fromColumns(data);
  const ours = [];
  for (let s = first; s < first + seeds; s++) {
    const m = await kmeans(ds, { k, seed: s, tol: 1e-4, threads: 2 });
    ours.push([m.iterations, m.inertia]);
  }
  await close();
  const py = `
import json, numpy as np
from sklearn.cluster import KMeans
X = np.fromfile(${JSON.stringify(join(dir, 'x.f32'))}, dtype=np.float32).reshape(${n}, ${d})
out = []
for s in range(${first}, ${first + seeds}):
    m = KMeans(${k}, init='k-means++', n_init=1, tol=1e-4, random_state=s, algorithm='lloyd').fit(X)
    out.append([int(m.n_iter_), float(m.inertia_)])
print(json.dumps(out))`;
  const theirs = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8', maxBuffer: 1 << 24 }));
  const best = Math.min(...ours.map((r) => r[1]), ...theirs.map((r) => r[1]));
  const summary = (runs) => ({ iterations: runs.reduce((a, r) => a + r[0], 0), worseOptimum: runs.filter((r) => r[1] > best * 1.001).length });
  console.log(JSON.stringify({ n, d, k, seeds: [first, first + seeds - 1], segkit: summary(ours), sklearn: summary(theirs) }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
