import { describe, expect, it, vi } from 'vitest';

// the extra module's bytes are damaged on the first read only, as a chunk that failed to download once would be
let reads = 0;
vi.mock('../src/kernels/wasmExtraBytes.generated.js', async (original) => {
  const real = (await original()) as { plainWasm: string; sharedWasm: string; sharedPatch: readonly number[] };
  return {
    get plainWasm() { return reads++ === 0 ? 'AAAA' : real.plainWasm; },
    sharedWasm: real.sharedWasm,
    sharedPatch: real.sharedPatch,
  };
});

import { fromColumns } from '../src/data/dataset.js';
import { inlineExecutor } from '../src/engine/inline.js';
import { gaussianMixture } from '../src/core/gaussianMixture.js';
import { compiledKernelModules, loadExtraKernels } from '../src/kernels/wasm.js';

describe('a failed load of the extra wasm module', () => {
  it('is E_EXECUTOR naming the module, and the next op that needs it loads it again', async () => {
    const ds = fromColumns({ columns: [Float32Array.from({ length: 200 }, (_, i) => (i % 2) * 10 + Math.sin(i))], names: ['a'] });
    const executor = inlineExecutor();
    try {
      await expect(gaussianMixture(ds, { k: 2, seed: 1, executor })).rejects.toMatchObject({
        name: 'SegkitError', code: 'E_EXECUTOR', message: expect.stringContaining('the extra wasm module (mixtures, hierarchies, the exact silhouette) could not be loaded'),
      });
      expect(compiledKernelModules()).toEqual(['core:false']);
      const m = await gaussianMixture(ds, { k: 2, seed: 1, executor });
      expect(m.means.map((row) => Math.round(row[0]))).toEqual([0, 10]);
      expect(compiledKernelModules()).toEqual(['core:false', 'extra:false']);
      expect(reads).toBe(2);
    } finally {
      await executor.close();
    }
  });

  it('a kernel table not made by instantiateKernels is refused', async () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    await expect(async () => loadExtraKernels({ kernels: {} as never, memory })).rejects.toMatchObject({ code: 'E_EXECUTOR' });
  });
});
