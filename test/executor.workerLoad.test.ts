// piscina loads a pool's worker file with require() first and falls back to import() when that throws. On Node 20.19
// and later require() loads an ES module graph synchronously unless the graph holds a top-level await: then it throws,
// and the fallback loads the same graph a second time through the other loader. The worker file keeps its graph free
// of top-level await, so the first, synchronous load is the only one.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

const requireModule = (process.features as { require_module?: boolean }).require_module === true;
if (!requireModule) console.warn('notice: this Node cannot require() ES modules; the worker file load check is skipped');

describe('the pool worker file', () => {
  it.skipIf(!requireModule)('loads after a plain require(), as piscina first loads it, and runs a kernel on its first task', async () => {
    const file = fileURLToPath(new URL('../dist/engine/worker.js', import.meta.url));
    const common = fileURLToPath(new URL('../node_modules/piscina/dist/common.js', import.meta.url));
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
    // a gather of source rows 3, 1 and 2 of one float32 column, above the kernels' own low memory
    const src = 1 << 20, rows = src + 4096, dst = src + 8192;
    new Float32Array(memory.buffer, src, 4).set([10, 11, 12, 13]);
    new Int32Array(memory.buffer, rows, 3).set([3, 1, 2]);
    const gather = { gather: { n: 3, rows, d: 1, bytes: 4, srcX: src, srcStride: 4, dstX: dst, dstStride: 3, buffers: [] }, range: [0, 3] };
    // what piscina's own worker start-up sets before it loads the file
    const code = `const { parentPort, workerData } = require('node:worker_threads');
      require(${JSON.stringify(common)}).commonState.workerData = workerData;
      try {
        const m = require(${JSON.stringify(file)});
        Promise.resolve(m.default(${JSON.stringify(gather)})).then((r) => parentPort.postMessage(JSON.stringify(r)), (e) => parentPort.postMessage(String(e)));
      } catch (e) { parentPort.postMessage(String(e.code || e.message)); }`;
    const w = new Worker(code, { eval: true, workerData: { memory } });
    try {
      expect(await new Promise((resolve) => w.once('message', resolve))).toBe('{"partials":[]}');
      expect(Array.from(new Float32Array(memory.buffer, dst, 3))).toEqual([13, 11, 12]);
    } finally {
      await w.terminate();
    }
  });
});
