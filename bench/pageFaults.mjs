// What fresh memory costs on this machine, and what it does to predict: the first write to each page of a new
// ArrayBuffer (4 MiB: predict's labels at 1M rows; 64 MiB: 1M x 16 float32) against a second write to the same
// pages; numpy's np.full of 4 MiB, fresh and after a freed one (glibc hands the freed pages back); and predict on
// 1M x 16, k = 8, with earlier results still held (each result array fresh memory) and with them dropped and
// collected first.
// Usage: npm run build && node --expose-gc bench/pageFaults.mjs [--repeats 5]
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { close, fromColumns, kmeans } from '../dist/index.node.js';
import { blobs } from './blobs.mjs';

const { values } = parseArgs({ options: { repeats: { type: 'string', default: '5' } } });
const repeats = Number(values.repeats);
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const ms = (v) => `${v.toFixed(2)} ms`;

for (const mib of [4, 64]) {
  const first = [], second = [];
  for (let r = 0; r < repeats; r++) {
    let t = performance.now();
    const a = new Int32Array((mib << 20) / 4);
    a.fill(1);
    first.push(performance.now() - t);
    t = performance.now();
    a.fill(2);
    second.push(performance.now() - t);
  }
  console.log(`new ${mib} MiB Int32Array: first fill ${ms(median(first))}, second fill ${ms(median(second))} (medians of ${repeats})`);
}

const python = '/usr/bin/python3';
if (existsSync(python)) {
  const out = execFileSync(python, ['-c', `
import json, time, numpy as np
fresh, reused, kept = [], [], []
for r in range(${repeats}):
    t = time.perf_counter(); a = np.full(1 << 20, -1, dtype=np.int32); reused.append(time.perf_counter() - t); del a
for r in range(${repeats}):
    t = time.perf_counter(); a = np.full(1 << 20, -1, dtype=np.int32); fresh.append(time.perf_counter() - t); kept.append(a)
print(json.dumps({"freed_first": sorted(reused)[len(reused) // 2], "kept": sorted(fresh)[len(fresh) // 2]}))
`], { encoding: 'utf8' });
  const r = JSON.parse(out.trim());
  console.log(`numpy np.full 4 MiB int32: ${ms(r.freed_first * 1000)} with each array freed before the next, ${ms(r.kept * 1000)} with every one kept (medians of ${repeats})`);
}

const data = blobs(1_000_000, 16, 8, 0);
const model = await kmeans(fromColumns(data), { k: 8, seed: 0, threads: 2, maxIter: 5 });
const inputs = () => Array.from({ length: repeats }, () => fromColumns({ columns: data.columns.map((c) => c.slice()) }));
for (const drop of [false, true]) {
  const held = [], times = [];
  for (const x of inputs()) {
    if (drop) globalThis.gc();
    const t = performance.now();
    const labels = await model.predict(x, { threads: 2 });
    times.push(performance.now() - t);
    if (!drop) held.push(labels);
  }
  console.log(`predict 1M x 16, k = 8, 2 threads, ${drop ? 'earlier results dropped and collected' : 'earlier results held'}: ${times.map((v) => v.toFixed(1)).join(' / ')} ms`);
}
await close();
