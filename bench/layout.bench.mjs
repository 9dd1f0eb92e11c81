// The column stride's effect on the assignment kernel: the same rows and centres at the strides the engine used before
// (rows rounded up to 16; then each column 1 KiB past the previous one modulo 4 KiB) and at `columnStride` (1 KiB
// modulo 32 KiB for columns of 512 KiB or more), one thread, the kernel alone on memory already written. Shapes
// include 2^k rows and the 4,096-row block labelled in scratch. Times are the process's CPU time (one thread computes).
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
const shapes = [[4096, 16], [4096, 64], [1 << 16, 64], [1 << 18, 64], [1 << 20, 16], [1 << 20, 24], [200_000, 64], [250_000, 64], [300_000, 64],
  [400_000, 40], [125_000, 128], [500_000, 32], [1_000_000, 16]];

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
    const t = process.cpuUsage();
    for (let q = 0; q < calls; q++) K.assign(x, stride, d, 0, rows, cent, norms, k, labels, 0, 0, 0);
    const used = process.cpuUsage(t);
    per.push(((used.user + used.system) / 1000 / calls / rows) * 1e6);
  }
  per.sort((a, b) => a - b);
  return per[repeats >> 1];
}

console.log(`assign kernel, k = ${k}, 1 thread, CPU time (other processes' load moves it less than wall time), median of ${repeats}; load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
console.log('rows x features | padRows | ns/row | 1 KiB mod 4 KiB | ns/row | columnStride | ns/row | padRows / columnStride | 1 KiB mod 4 KiB / columnStride');
const mod4k = (rows) => { const p = padRows(rows); return p + ((256 - (p % 1024) + 1024) % 1024); };
for (const [rows, d] of shapes) {
  const strides = [padRows(rows), mod4k(rows), columnStride(rows, 4)];
  // alternate the three, twice, and keep each one's better median: the machine's noise moves them all
  const first = strides.map((s) => time(rows, d, s)), second = strides.map((s) => time(rows, d, s));
  const [a, m, b] = first.map((t, q) => Math.min(t, second[q]));
  console.log(`${rows} x ${d} | ${strides[0]} | ${a.toFixed(1)} | ${strides[1]} | ${m.toFixed(1)} | ${strides[2]} | ${b.toFixed(1)} | ${(a / b).toFixed(2)}x | ${(m / b).toFixed(2)}x`);
}
