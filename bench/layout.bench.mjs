// The column stride's effect on the assignment kernel: the same rows and centres at the stride the engine used before
// (rows rounded up to 16) and at `columnStride` (each column 1 KiB past the previous one modulo 4 KiB), one thread,
// the kernel alone on memory already written. Shapes include 2^k rows and the 4,096-row block labelled in scratch.
// Usage: npm run build && node bench/layout.bench.mjs [--repeats 9]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { instantiateKernels } from '../dist/kernels/wasm.js';
import { columnStride, padRows } from '../dist/kernels/layout.js';
import { createRandom } from '../dist/index.js';

const { values } = parseArgs({ options: { repeats: { type: 'string', default: '9' } } });
const repeats = Number(values.repeats);
const memory = new WebAssembly.Memory({ initial: 16384, maximum: 65536 });
const K = await instantiateKernels(memory, false);
const rng = createRandom(3);
const k = 8;

// rows, features
const shapes = [[4096, 16], [4096, 64], [1 << 16, 64], [1 << 18, 64], [1 << 20, 16], [1 << 20, 24], [250_000, 64], [1_000_000, 16]];

function time(rows, d, stride) {
  const x = 1 << 20, cent = x + 4 * stride * d + 4096, norms = cent + 4 * k * d, labels = norms + 4 * k + 64;
  const f = new Float32Array(memory.buffer);
  for (let j = 0; j < d; j++) for (let i = 0; i < rows; i++) f[(x >> 2) + j * stride + i] = rng.normal();
  for (let q = 0; q < k * d; q++) f[(cent >> 2) + q] = rng.normal();
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let j = 0; j < d; j++) s = Math.fround(s + Math.fround(f[(cent >> 2) + c * d + j] ** 2));
    f[(norms >> 2) + c] = s;
  }
  // about 2M rows per timing, so small blocks are timed over many calls
  const calls = Math.max(1, Math.round(2e6 / rows));
  const per = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    for (let q = 0; q < calls; q++) K.assign(x, stride, d, 0, rows, cent, norms, k, labels, 0, 0, 0);
    per.push(((performance.now() - t) / calls / rows) * 1e6);
  }
  per.sort((a, b) => a - b);
  return per[repeats >> 1];
}

console.log(`assign kernel, k = ${k}, 1 thread, median of ${repeats}; load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
console.log('rows x features | stride before (mod 1024) | ns/row | columnStride | ns/row | before / after');
for (const [rows, d] of shapes) {
  const before = padRows(rows), after = columnStride(rows, 4);
  // alternate the two, twice, and keep each one's better median: the machine's noise moves both
  const a1 = time(rows, d, before), b1 = time(rows, d, after), a2 = time(rows, d, before), b2 = time(rows, d, after);
  const a = Math.min(a1, a2), b = Math.min(b1, b2);
  console.log(`${rows} x ${d} | ${before} (${before % 1024}) | ${a.toFixed(1)} | ${after} | ${b.toFixed(1)} | ${(a / b).toFixed(2)}x`);
}
