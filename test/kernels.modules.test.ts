import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fromColumns } from '../src/data/dataset.js';
import { inlineExecutor } from '../src/engine/inline.js';
import { kmeans } from '../src/core/kmeans.js';
import { gaussianMixture } from '../src/core/gaussianMixture.js';
import { agglomerative } from '../src/core/agglomerative.js';
import { silhouetteScore } from '../src/metrics/silhouetteScore.js';
import { compiledKernelModules } from '../src/kernels/wasm.js';
import { createRandom } from '../src/util/random.js';

// This file runs in its own module registry: the modules compiled are this file's calls' alone.
describe('the two wasm kernel modules', () => {
  const rng = createRandom(3);
  const n = 400, d = 3;
  const columns = Array.from({ length: d }, () => Float32Array.from({ length: n }, (_, i) => (i % 4) * 10 + rng.normal()));
  const ds = fromColumns({ columns, names: ['a', 'b', 'c'] });

  it('k-means and scoring compile only the core module; the exact silhouette, a mixture or Ward then compile the extra one', async () => {
    const executor = inlineExecutor();
    try {
      const model = await kmeans(ds, { k: 4, seed: 1, executor });
      const labels = await model.predict(ds, { executor });
      expect(Array.from(labels)).toEqual(Array.from(model.labels));
      expect(compiledKernelModules()).toEqual(['core:false']);
      expect(await silhouetteScore(ds, model.labels, { executor })).toBeGreaterThan(0.5);
      expect(compiledKernelModules()).toEqual(['core:false', 'extra:false']);
      const gmm = await gaussianMixture(ds, { k: 4, seed: 1, executor });
      expect(compiledKernelModules()).toEqual(['core:false', 'extra:false']);
      // the mixture and Ward find the same four groups as k-means (the labels up to renaming)
      const ward = await agglomerative(ds, { k: 4, linkage: 'ward', executor });
      for (const labels of [gmm.labels, ward.labels]) {
        expect(new Set(labels).size).toBe(4);
        expect(new Set(Array.from(model.labels, (l, i) => `${l}:${labels[i]}`)).size).toBe(4);
      }
    } finally {
      await executor.close();
    }
  });

  it('instantiating the kernels in Node leaves its fetch implementation unloaded (its loading was 15 to 20 ms of each start)', () => {
    // a fresh process on the built package, since this one may have loaded fetch for its own reasons
    const wasm = fileURLToPath(new URL('../dist/kernels/wasm.js', import.meta.url));
    const script = `const m = await import(${JSON.stringify(wasm)});
      const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536 });
      const kernels = await m.instantiateKernels(memory, false);
      await m.loadExtraKernels({ kernels, memory });
      console.log(JSON.stringify({ modules: m.compiledKernelModules(), undici: process.moduleLoadList.filter((s) => s.includes('undici')) }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
    expect(out).toEqual({ modules: ['core:false', 'extra:false'], undici: [] });
  });
});
