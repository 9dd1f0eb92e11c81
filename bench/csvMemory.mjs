// Reads a generated 1,000,000 x 16 numeric CSV through readCsv and reports peak live memory against the
// size of the columns and of the text. Run after `npm run build` with: node --expose-gc bench/csvMemory.mjs [rows]
import { readCsv } from '../dist/data/readCsv.js';

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc bench/csvMemory.mjs');
  process.exit(1);
}
const ROWS = Number(process.argv[2] ?? 1_000_000);
const COLS = 16;
const BLOCK = 5000;
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const live = () => {
  globalThis.gc();
  globalThis.gc(); // array buffers are swept after the collection that finds them dead
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const cell = (i, j) => (((i * 7919 + j * 104729) % 100000) / 100).toFixed(2);

let textBytes = 0;
let peak = 0;
const base = live();
async function* source() {
  yield Array.from({ length: COLS }, (_, j) => `f${j}`).join(',') + '\n';
  for (let start = 0; start < ROWS; start += BLOCK) {
    const lines = [];
    for (let i = start; i < Math.min(ROWS, start + BLOCK); i++) lines.push(Array.from({ length: COLS }, (_, j) => cell(i, j)).join(','));
    const text = lines.join('\n') + '\n';
    textBytes += text.length;
    yield text;
    if ((start / BLOCK) % 20 === 19) peak = Math.max(peak, live() - base);
  }
}

const t0 = performance.now();
const table = await readCsv(source());
const seconds = (performance.now() - t0) / 1000;
peak = Math.max(peak, live() - base);
for (const i of [0, Math.floor(ROWS / 2), ROWS - 1]) {
  if (table.getChild('f3').get(i) !== Number(cell(i, 3))) throw new Error(`row ${i} read back wrong`);
}
const columns = ROWS * COLS * 8;
console.log(`${ROWS} rows x ${COLS} columns, ${mb(textBytes)} of CSV text, read in ${seconds.toFixed(1)} s`);
console.log(`peak live memory ${mb(peak)} for ${mb(columns)} of Float64 columns (${(peak / columns).toFixed(2)}x); the text alone is ${(textBytes / columns).toFixed(2)}x`);
