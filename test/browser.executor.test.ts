// webWorkerExecutor in headless Chromium: with a shared memory (cross-origin isolated page) and without (shards
// transferred to each worker once), on several thread counts, every result is the same bytes as Node's.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import * as node from '../src/index.node.js';
import { CHROMIUM, launchChromium } from './helpers.js';
import { serveStatic, type StaticServer } from './helpers/staticServer.js';

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`browser.executor.test: skipped, ${CHROMIUM} not found (install Debian's chromium package to run it)`);

const dist = (p: string) => fileURLToPath(new URL(`../dist/${p}`, import.meta.url));

type Segkit = typeof node;

/**
 * Every kind of scan, as one self-contained function (it is sent to the page as source): k-means with both inits and
 * weights, predict and transform, every internal metric (the exact silhouette on a replicated handle), chooseK and a
 * preparation pipeline. Returns every bit of every result as base64 text.
 */
async function workload(segkit: Segkit, executor: unknown): Promise<unknown> {
  const print = (v: unknown): unknown => {
    if (ArrayBuffer.isView(v)) {
      const b = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      let s = '';
      for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
      return btoa(s);
    }
    if (typeof v === 'number') return print(Float64Array.of(v));
    if (Array.isArray(v)) return v.map(print);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, print(x)]));
    return v;
  };
  const run = { executor: executor as never };
  const rng = segkit.createRandom(21);
  const n = 2 * 65_536 + 7_777, d = 5;
  const centres = Array.from({ length: 6 }, () => Array.from({ length: d }, () => rng.normal() * 3));
  const big = segkit.fromColumns({ columns: Array.from({ length: d }, (_, j) => Float32Array.from({ length: n }, (_, i) => centres[i % 6][j] + rng.normal() * 1.2)) });
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7 + (i >> 3)) % 5);
  const small = segkit.fromColumns({ columns: big.columns.map((c) => c.slice(0, 2_100)), names: big.names });
  const weights = Float32Array.from({ length: n }, (_, i) => 0.5 + (i % 4));
  const m = await segkit.kmeans(big, { k: 7, seed: 3, maxIter: 40, ...run });
  const r = await segkit.kmeans(big, { k: 4, seed: 5, init: 'random', nInit: 2, sampleWeight: weights, maxIter: 20, ...run });
  const rows = Array.from({ length: 65_536 + 301 }, (_, i) => ({
    id: `c${i}`,
    income: i % 97 === 0 ? null : Math.round(rng.normal() * 20_000 + 60_000) / 7,
    visits: i % 13 === 0 ? null : Math.floor(rng.next() * 20),
    spend: rng.normal() * 100 + (i % 5) * 10,
  }));
  const prep = segkit.pipeline({ id: 'id', impute: 'median', scale: 'robust', outliers: { method: 'iqr', action: 'clip' } });
  const prepared = await prep.fitTransform(rows, run);
  const sweep = await segkit.chooseK(small, { kRange: [2, 5], seed: 1, ...run });
  // the extra wasm module (mixtures, hierarchies), loaded by whoever runs their ops
  const mix = await segkit.gaussianMixture(small, { k: 3, covarianceType: 'diag', seed: 2, maxIter: 10, ...run });
  const ward = await segkit.agglomerative(small, { k: 4, linkage: 'ward', ...run });
  // logarithms and exponentials computed outside the kernels (a full mixture's log-determinants and weights, a
  // mini-batch model's decay, log1p scaling): engines differ in Math.log's and Math.exp's last bits
  const g = segkit.createRandom(7);
  const blobs = segkit.fromColumns({ columns: Array.from({ length: 4 }, () => Float32Array.from({ length: 200 }, (_, i) => (i % 3) * 4 + g.normal())) });
  const full = await segkit.gaussianMixture(blobs, { k: 3, seed: 1, maxIter: 20, ...run });
  const stream = await segkit.miniBatchKMeans(small, { k: 4, seed: 1, batchSize: 256, ...run });
  await stream.partialFit(big, { halfLife: 3, ...run });
  // a half-life in rows: counts decay by decay^rows each step (Chromium's decay ** 256 differs at halfLife 500)
  const perRow = await segkit.miniBatchKMeans(small, { k: 4, seed: 1, batchSize: 256, ...run });
  await perRow.partialFit(big, { halfLife: 500, halfLifeUnit: 'rows', ...run });
  // haversine distances (sin, cos, asin) and normal draws (log, sin, cos), in float64
  const normals = Float64Array.from({ length: 2_000 }, () => g.normal());
  const pts = Array.from({ length: 600 }, (_, i) => [48 + (i % 5) * 0.3 + normals[i] * 0.05, 2 + (i % 3) * 0.4 + normals[i + 600] * 0.05]);
  const geo = await segkit.dbscan(pts, { eps: 3, minSamples: 5, metric: 'haversine', ...run });
  const logPrep = segkit.pipeline({ id: 'id', impute: 'median', scale: 'log1p' });
  const logged = await logPrep.fitTransform(rows.slice(0, 3_000).map((r) => ({ id: r.id, visits: r.visits, spend: Math.abs(r.spend) })), run);
  return print({
    mixture: [mix.means, mix.weights, mix.lowerBound, mix.labels],
    geo: [normals, geo.labels, await geo.predict(pts.slice(0, 50).map(([a, b]) => [a + 0.01, b - 0.01]), run), await segkit.kDistances(pts, { k: 4, metric: 'haversine', ...run })],
    full: [full.means, full.weights, full.lowerBound, await full.predictProba(blobs, run), await full.bic(blobs, run)],
    stream: [stream.centroidData, stream.counts],
    perRow: [perRow.centroidData, perRow.counts],
    logged: [JSON.stringify(logPrep.toJSON()), logged.dataset.columns],
    ward: ward.labels,
    fit: [m.labels, m.centroidData, m.inertia, m.iterations],
    weighted: [r.labels, r.centroidData, r.inertia],
    predicted: await m.predict(big, run),
    transformed: await m.transform(small, run),
    ch: await segkit.calinskiHarabaszScore(big, labels, run),
    db: await segkit.daviesBouldinScore(big, labels, run),
    stats: await segkit.clusterStats(big, labels, run),
    simplified: await segkit.simplifiedSilhouetteScore(big, labels, run),
    sampled: await segkit.silhouetteScore(big, labels, { ...run, sampleSize: 1_500, seed: 2 }),
    exact: await segkit.silhouetteSamples(small, labels.subarray(0, small.n), run),
    prep: [JSON.stringify(prep.toJSON()), prepared.dataset.columns],
    sweep: [JSON.stringify(sweep.table), sweep.recommendedK],
  });
}

describe.skipIf(!hasChromium)('webWorkerExecutor in Chromium', () => {
  let browser: Browser;
  let server: StaticServer;
  let reference: unknown;

  beforeAll(async () => {
    server = await serveStatic({
      '/blank.html': { text: '<!doctype html><meta charset="utf-8"><title>segkit</title>' },
      '/segkit.js': dist('browser/segkit.js'),
      '/segkit.worker.js': dist('browser/segkit.worker.js'),
      // an op defined outside segkit, importing the browser build by URL as a page's own module would
      '/ops.js': {
        text: `import { defineOp, shardColumn } from './segkit.js';
export const colMaxOp = defineOp({ name: 'page.colMax', run(shard) {
  const out = new Float64Array(shard.d).fill(-Infinity);
  for (let j = 0; j < shard.d; j++) { const c = shardColumn(shard, j); for (let i = 0; i < shard.rows; i++) if (c[i] > out[j]) out[j] = c[i]; }
  return out;
} }, import.meta.url);`,
      },
      // an op whose module takes a second to load (in the page and in each worker), then 100 ms a shard
      '/slowops.js': {
        text: `import { defineOp } from './segkit.js';
await new Promise((resolve) => setTimeout(resolve, 1000));
export const slowBusyOp = defineOp({ name: 'page.slowBusy', run(shard, state) {
  const end = performance.now() + state.ms;
  while (performance.now() < end);
  return shard.index;
} }, import.meta.url);`,
      },
    });
    browser = await launchChromium();
    reference = await workload(node, node.inlineExecutor());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await node.close();
  });

  async function open(isolated: boolean): Promise<Page> {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${server.url}${isolated ? '/isolated' : ''}/blank.html`);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(isolated);
    expect(problems).toEqual([]);
    return page;
  }

  /** Runs `workload` in the page on webWorkerExecutor(options); returns its result and what the executor said of itself. */
  async function inPage(page: Page, options: Record<string, unknown>): Promise<{ result: unknown; kind: string; threads: number; sharedMemory: boolean }> {
    // a string, not a function: the test runner rewrites import() inside functions it compiles
    const got = await page.evaluate<{ result: unknown; kind: string; threads: number; sharedMemory: boolean }>(`(async () => {
      const segkit = await import('./segkit.js');
      const executor = globalThis.executor = segkit.webWorkerExecutor(${JSON.stringify(options)});
      const result = await (${workload.toString()})(segkit, executor);
      return { result, kind: executor.kind, threads: executor.threads, sharedMemory: executor.sharedMemory };
    })()`);
    // the workers are the page's dedicated workers, one per thread, until close()
    expect(page.workers()).toHaveLength(got.threads);
    await page.evaluate('globalThis.executor.close()');
    await expect.poll(() => page.workers().length).toBe(0);
    return got;
  }

  for (const [isolated, threads] of [[true, 1], [true, 2], [true, 4], [false, 1], [false, 2], [false, 3]] as const) {
    it(`${isolated ? 'shared memory (isolated page)' : 'shards held by each worker (page not isolated)'}, ${threads} worker${threads > 1 ? 's' : ''}: the same bytes as Node`, async () => {
      const page = await open(isolated);
      try {
        const got = await inPage(page, { threads });
        expect({ kind: got.kind, threads: got.threads, sharedMemory: got.sharedMemory }).toEqual({ kind: 'web-workers', threads, sharedMemory: isolated });
        expect(got.result).toEqual(reference);
      } finally {
        await page.close();
      }
    }, 180_000);
  }

  /** Evaluates an async expression in the page with `segkit` (the browser build) in scope. */
  const run = <T>(page: Page, body: string): Promise<T> => page.evaluate<T>(`(async () => { const segkit = await import('./segkit.js'); ${body} })()`);

  for (const isolated of [true, false]) {
    const mode = isolated ? 'shared memory' : 'held shards';
    it(`${mode}: an op defined outside segkit is loaded by its module URL in every worker and gives the inline result`, async () => {
      const page = await open(isolated);
      try {
        const got = await run<string[]>(page, `
          const { colMaxOp } = await import('./ops.js');
          const cols = [0, 1, 2].map((j) => Float32Array.from({ length: 200_000 }, (_, i) => Math.sin(i * (j + 1)) * (i % 1000)));
          const out = [];
          for (const ex of [segkit.inlineExecutor(), segkit.webWorkerExecutor({ threads: 3 })]) {
            const h = await ex.load({ columns: cols }, { shardRows: 4096 });
            const parts = await ex.map(colMaxOp, h, null);
            out.push(JSON.stringify(parts.map((p) => Array.from(p))));
            await ex.close();
          }
          return out;`);
        expect(JSON.parse(got[0])).toHaveLength(49);
        expect(got[1]).toBe(got[0]);
      } finally {
        await page.close();
      }
    });

    it(`${mode}: an abort stops a pass with E_ABORTED, close() during one gives E_CLOSED, and the executor works again`, async () => {
      const page = await open(isolated);
      try {
        const got = await run<string[]>(page, `
          const ex = segkit.webWorkerExecutor({ threads: 2 });
          const rows = Array.from({ length: 400_000 }, (_, i) => [i % 7, (i * 13) % 11, Math.sin(i)]);
          const out = [];
          const ac = new AbortController();
          const fit = segkit.kmeans(rows, { k: 50, seed: 1, maxIter: 300, tol: 0, executor: ex, signal: ac.signal, onProgress: (p) => { if (p.iteration === 2) ac.abort(); } });
          out.push(await fit.then(() => 'finished', (e) => e.code));
          const closing = segkit.kmeans(rows, { k: 50, seed: 1, maxIter: 300, tol: 0, executor: ex, onProgress: (p) => { if (p.iteration === 2) ex.close(); } });
          out.push(await closing.then(() => 'finished', (e) => e.code));
          const m = await segkit.kmeans(rows.slice(0, 5000), { k: 3, seed: 1, executor: ex });
          const ref = await segkit.kmeans(rows.slice(0, 5000), { k: 3, seed: 1, threads: 1 });
          out.push(String(m.inertia === ref.inertia && m.labels.length === ref.labels.length && m.labels.every((l, i) => l === ref.labels[i])));
          await ex.close();
          return out;`);
        expect(got).toEqual(['E_ABORTED', 'E_CLOSED', 'true']);
      } finally {
        await page.close();
      }
    });

    it(`${mode}: close() while start() is under way: start() rejects with E_CLOSED, and the next fit starts new workers and gives the inline bytes`, async () => {
      const page = await open(isolated);
      try {
        const got = await run<string[]>(page, `
          const rows = Array.from({ length: 100_000 }, (_, i) => [i % 7, (i * 13) % 11, Math.sin(i)]);
          const ex = segkit.webWorkerExecutor({ threads: 2 });
          const started = ex.start();
          await ex.close();
          const out = [await started.then(() => 'started', (e) => e.code)];
          try {
            const m = await segkit.kmeans(rows, { k: 4, seed: 1, executor: ex });
            const ref = await segkit.kmeans(rows, { k: 4, seed: 1, threads: 1 });
            out.push(String(m.inertia === ref.inertia && m.labels.every((l, i) => l === ref.labels[i])));
          } catch (e) {
            out.push(String(e.code) + ' ' + e.message);
          } finally {
            await ex.close();
          }
          return out;`);
        expect(got).toEqual(['E_CLOSED', 'true']);
      } finally {
        await page.close();
      }
    });

    it(`${mode}: a fit started right after close(), while start() is still under way, runs on new workers and gives the inline bytes`, async () => {
      const page = await open(isolated);
      try {
        const got = await run<string[]>(page, `
          const rows = Array.from({ length: 100_000 }, (_, i) => [i % 7, (i * 13) % 11, Math.sin(i)]);
          const ex = segkit.webWorkerExecutor({ threads: 2 });
          const started = ex.start().then(() => 'started', (e) => e.code);
          void ex.close();
          const out = [];
          try {
            const m = await segkit.kmeans(rows, { k: 4, seed: 1, executor: ex });
            const ref = await segkit.kmeans(rows, { k: 4, seed: 1, threads: 1 });
            out.push(String(m.inertia === ref.inertia && m.labels.every((l, i) => l === ref.labels[i])));
          } catch (e) {
            out.push(String(e.code) + ' ' + e.message);
          } finally {
            out.push(await started);
            await ex.close();
          }
          return out;`);
        expect(got).toEqual(['true', 'E_CLOSED']);
      } finally {
        await page.close();
      }
    });

    it(`${mode}: a worker script that cannot be loaded gives E_WORKER naming it`, async () => {
      const page = await open(isolated);
      try {
        const got = await run<{ code: string; message: string; hint: string }>(page, `
          const ex = segkit.webWorkerExecutor({ threads: 2, workerUrl: new URL('./missing.worker.js', location.href) });
          try {
            await segkit.kmeans([[0, 1], [1, 0], [5, 5], [6, 5]], { k: 2, seed: 1, executor: ex });
            return { code: 'none' };
          } catch (e) {
            return { code: e.code, message: e.message, hint: e.hint };
          } finally {
            await ex.close();
          }`);
        expect(got.code).toBe('E_WORKER');
        expect(`${got.message} ${got.hint}`).toContain('missing.worker.js');
      } finally {
        await page.close();
      }
    });
  }

  it('held shards: an abort while the workers still load an op\'s module stops the pass when they have it, not after it', async () => {
    const page = await open(false);
    try {
      const got = await run<{ code: string; ms: number }>(page, `
        const { slowBusyOp } = await import('./slowops.js');
        const ex = segkit.webWorkerExecutor({ threads: 2 });
        try {
          const h = await ex.load({ columns: [new Float32Array(16 * 40)] }, { shardRows: 16 });
          const ac = new AbortController();
          const t0 = performance.now();
          setTimeout(() => ac.abort(), 300);
          const code = await ex.map(slowBusyOp, h, { ms: 100 }, { signal: ac.signal }).then(() => 'finished', (e) => e.code);
          return { code, ms: performance.now() - t0 };
        } finally {
          await ex.close();
        }`);
      // each worker loads the module for 1 s, then has 20 shards of 100 ms: the whole pass (3 s) ran when the stop was lost
      expect(got.code).toBe('E_ABORTED');
      expect(got.ms).toBeGreaterThan(900);
      expect(got.ms).toBeLessThan(2000);
    } finally {
      await page.close();
    }
  });

  it('the default executor in a browser is Web Workers, navigator.hardwareConcurrency of them; threads: 1 stays on the page', async () => {
    const page = await open(true);
    try {
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      await run(page, `await segkit.kmeans([[0, 1], [1, 0], [5, 5], [6, 5]], { k: 2, seed: 1, threads: 1 });`);
      expect(page.workers()).toHaveLength(0);
      const labels = await run<number[]>(page, `
        const rows = Array.from({ length: 70_000 }, (_, i) => [i % 3, (i * 7) % 5]);
        return Array.from((await segkit.kmeans(rows, { k: 3, seed: 1 })).labels.slice(0, 20));`);
      expect(page.workers()).toHaveLength(cores > 1 ? cores : 0);
      const rows = Array.from({ length: 70_000 }, (_, i) => [i % 3, (i * 7) % 5]);
      expect(labels).toEqual(Array.from((await node.kmeans(rows, { k: 3, seed: 1, threads: 1 })).labels.slice(0, 20)));
      await run(page, 'await segkit.close();');
      await expect.poll(() => page.workers().length).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('without shared memory the caller keeps its arrays: shards are copied once and the copies transferred', async () => {
    const page = await open(false);
    try {
      const got = await run<number[]>(page, `
        const ex = segkit.webWorkerExecutor({ threads: 2 });
        const cols = [Float32Array.from({ length: 100_000 }, (_, i) => i), Float32Array.from({ length: 100_000 }, (_, i) => -i)];
        const h = await ex.load({ columns: cols, rows: { w: new Float32Array(100_000).fill(2) } });
        await ex.writeRows(h, 'tag', Int32Array.from({ length: 100_000 }, (_, i) => i * 3));
        const tag = await ex.readRows(h, 'tag');
        await ex.close();
        return [cols[0].length, cols[1][99_999], tag.length, tag[99_999], tag[65_536]];`);
      expect(got).toEqual([100_000, -99_999, 100_000, 299_997, 196_608]);
    } finally {
      await page.close();
    }
  });

  it('shared memory needs an isolated page: asking for it elsewhere is E_BAD_OPTION naming the two headers', async () => {
    const page = await open(false);
    try {
      const got = await run<string>(page, `try { segkit.webWorkerExecutor({ sharedMemory: true }); return 'none'; } catch (e) { return e.code + ' ' + e.message + ' ' + e.hint; }`);
      expect(got).toMatch(/^E_BAD_OPTION .*"sharedMemory".*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/);
      const unknown = await run<string>(page, `try { segkit.webWorkerExecutor({ thread: 2 }); return 'none'; } catch (e) { return e.code + ' ' + e.message; }`);
      expect(unknown).toMatch(/^E_BAD_OPTION .*"thread".*threads/);
    } finally {
      await page.close();
    }
  });
});
