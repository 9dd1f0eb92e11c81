import { spawn } from 'node:child_process';
import type { Worker } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Piscina } from 'piscina';
import { close, createRandom, fromColumns, kmeans, PiscinaExecutor, SegkitError } from '../src/index.node.js';
import { InlineExecutor } from '../src/parallel/inline.js';
import { executorFor } from '../src/parallel/defaultExecutor.js';
import type { Executor, KernelCall } from '../src/parallel/executor.js';
import { loadMatrix, shardRanges } from '../src/kernels/layout.js';
import { accumulateCalls } from '../src/kernels/accumulate.js';
import { accumulateTwin } from './twins/kernels.js';
import { expectBlobsFound, threeBlobs, type FitResult } from './helpers/neutralBundle.js';
import { bytes } from './helpers.js';

afterAll(close);

// Every pointer far past the end of the (few MiB) memory: the first load traps with "memory access out of bounds".
const BAD = 0xfffffff0;
const trap: KernelCall = { kernel: 'accumulate', args: [BAD, 16, 1, 0, 1, BAD, 0, 1, BAD] };
// one call per worker, so the traps happen inside the pool rather than on the calling thread
const traps = [trap, trap];

// Two shards of integer-valued features, so per-cluster sums are exact in float64 whatever the summation order.
const K = 3;
const n = 65_536 + 1_001;
const data = fromColumns({
  columns: [0, 1, 2].map((j) => Float32Array.from({ length: n }, (_, i) => ((i * (7 + j)) % 23) - 11)),
});
const labels = Int32Array.from({ length: n }, (_, i) => (i * 5 + (i >> 4)) % K);

/** A real scan on the executor: per-shard accumulate partials, merged in shard order, must equal the scalar twin. */
async function accumulateMatchesTwin(ex: Executor): Promise<void> {
  const { heap } = ex;
  const m = await loadMatrix(ex, data, { offset: new Float64Array(data.d) });
  const nS = shardRanges(n).length;
  const ps = K * data.d + K;
  const lab = heap.alloc(4 * m.stride), parts = heap.alloc(8 * ps * nS);
  try {
    heap.i32(lab, n).set(labels);
    heap.f64(parts, ps * nS).fill(0);
    const calls = accumulateCalls(m, lab, K, parts);
    expect(calls).toHaveLength(2);
    await ex.run(calls);
    const p = heap.f64(parts, ps * nS);
    const got = new Float64Array(ps);
    for (let s = 0; s < nS; s++) for (let q = 0; q < ps; q++) got[q] += p[s * ps + q];
    expect(Array.from(got)).toEqual(Array.from(accumulateTwin(data.columns as Float32Array[], n, labels, K)));
  } finally {
    heap.release(parts);
    heap.release(lab);
    m.release();
  }
}

async function rejection(p: Promise<unknown>): Promise<SegkitError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(SegkitError);
  return e as SegkitError;
}

const poolOf = (ex: Executor): Piscina | undefined => (ex as PiscinaExecutor)['pool'];
const threadIds = (ex: Executor): number[] => poolOf(ex)!.threads.map((w) => w.threadId).sort((a, b) => a - b);

describe('PiscinaExecutor', () => {
  it('starts no worker before the first run, then keeps the same workers across runs', async () => {
    const ex = new PiscinaExecutor(2);
    try {
      expect(poolOf(ex)).toBeUndefined();
      await accumulateMatchesTwin(ex);
      const pool = poolOf(ex)!;
      expect(pool.threads).toHaveLength(1); // two threads: the caller and one worker
      const ids = threadIds(ex);
      await accumulateMatchesTwin(ex);
      expect(poolOf(ex)).toBe(pool);
      expect(threadIds(ex)).toEqual(ids);
    } finally {
      await ex.close();
    }
    expect(poolOf(ex)).toBeUndefined();
  });

  it('trapping kernels reject with E_WORKER carrying the workers\' error; the same workers then run a real scan', async () => {
    const ex = new PiscinaExecutor(2);
    try {
      await accumulateMatchesTwin(ex);
      const ids = threadIds(ex);
      const e = await rejection(ex.run(traps));
      expect(e.code).toBe('E_WORKER');
      expect(e.message).toMatch(/memory access out of bounds/);
      expect(e.cause).toBeInstanceOf(Error);
      expect((e.cause as Error).message).toMatch(/memory access out of bounds/);
      await accumulateMatchesTwin(ex);
      expect(threadIds(ex)).toEqual(ids);
    } finally {
      await ex.close();
    }
  });

  it('a single trapping call also rejects with E_WORKER, and the executor keeps working', async () => {
    const ex = new PiscinaExecutor(2);
    try {
      const e = await rejection(ex.run([trap]));
      expect(e.code).toBe('E_WORKER');
      expect(e.message).toMatch(/memory access out of bounds/);
      await accumulateMatchesTwin(ex);
    } finally {
      await ex.close();
    }
  });
});

describe('InlineExecutor', () => {
  it('a trapping kernel rejects with E_WORKER carrying the wasm error; the executor then runs a real scan', async () => {
    const ex = new InlineExecutor();
    await accumulateMatchesTwin(ex);
    const e = await rejection(ex.run([trap]));
    expect(e.code).toBe('E_WORKER');
    expect(e.message).toMatch(/memory access out of bounds/);
    expect(e.cause).toBeInstanceOf(WebAssembly.RuntimeError);
    await accumulateMatchesTwin(ex);
  });
});

describe('the default pools behind kmeans({ threads })', () => {
  // two shards, so passes are split over the pool's workers
  const blobs = threeBlobs(22_000);
  const fitBlobs = async (threads: number): Promise<FitResult> => {
    const m = await kmeans(blobs.rows, { k: 3, seed: 1, threads });
    return { labels: Array.from(m.labels), centroids: m.centroids, inertia: m.inertia, predicted: Array.from(await m.predict(blobs.centres)) };
  };

  it('the pool is created on the first fit and reused by the next', async () => {
    await close();
    const ex = executorFor(2);
    expect(ex).toBeInstanceOf(PiscinaExecutor);
    expect(poolOf(ex)).toBeUndefined();
    expectBlobsFound(await fitBlobs(2), blobs);
    const pool = poolOf(ex)!;
    expect(pool.threads).toHaveLength(1); // two threads: the caller and one worker
    const ids = threadIds(ex);
    expectBlobsFound(await fitBlobs(2), blobs);
    expect(executorFor(2)).toBe(ex);
    expect(poolOf(ex)).toBe(pool);
    expect(threadIds(ex)).toEqual(ids);
  });

  it('a trap on the shared pool leaves it able to fit, with the same result as one thread', async () => {
    const ex = executorFor(2);
    const e = await rejection(ex.run(traps));
    expect(e.code).toBe('E_WORKER');
    expect(e.message).toMatch(/memory access out of bounds/);
    const two = await fitBlobs(2);
    expectBlobsFound(two, blobs);
    expect(two).toEqual(await fitBlobs(1));
    expect(executorFor(2)).toBe(ex);
  });

  it('close() stops the pool\'s workers; the next fit starts a new pool', async () => {
    await fitBlobs(2);
    const ex = executorFor(2);
    const pool = poolOf(ex)!;
    expect(pool.threads).toHaveLength(1); // two threads: the caller and one worker
    await close();
    expect(pool.threads).toHaveLength(0);
    expect(poolOf(ex)).toBeUndefined();
    expectBlobsFound(await fitBlobs(2), blobs);
    expect(executorFor(2)).not.toBe(ex);
  });

  // Idle piscina workers are unref'd, so this guards close() against hanging, failing or leaving workers behind.
  it('close() lets a process that fitted on two threads exit by itself with code 0', async () => {
    const url = (file: string) => JSON.stringify(pathToFileURL(fileURLToPath(new URL(file, import.meta.url))).href);
    const script = `
      import { kmeans, close } from ${url('../dist/index.node.js')};
      import { executorFor } from ${url('../dist/parallel/defaultExecutor.js')};
      let text = '';
      for await (const chunk of process.stdin) text += chunk;
      const m = await kmeans(JSON.parse(text), { k: 3, seed: 1, threads: 2 });
      const pool = executorFor(2).pool;
      const workersBefore = pool.threads.length;
      await close();
      console.log(JSON.stringify({ workersBefore, workersAfter: pool.threads.length, labels: Array.from(m.labels), centroids: m.centroids, inertia: m.inertia }));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (b: Buffer) => { out += b; });
    child.stderr.on('data', (b: Buffer) => { err += b; });
    child.stdin.end(JSON.stringify(blobs.rows));
    let timer: NodeJS.Timeout | undefined;
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), 10_000); });
    const outcome = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
    expect(outcome, `child stderr: ${err}`).toBe(0);
    const r = JSON.parse(out);
    expect(r.workersBefore).toBe(1);
    expect(r.workersAfter).toBe(0);
    const one = await fitBlobs(1);
    expect({ labels: r.labels, centroids: r.centroids, inertia: r.inertia }).toEqual({ labels: one.labels, centroids: one.centroids, inertia: one.inertia });
  });

  it('an abort during a two-thread fit rejects with E_ABORTED before another iteration completes, and the next fit succeeds', async () => {
    // six overlapping clusters over three shards: with tol 0 the fit runs many iterations
    const rng = createRandom(11);
    const d = 4, rows = 3 * 65_536;
    const centres = Array.from({ length: 6 }, () => Array.from({ length: d }, () => rng.normal() * 2));
    const columns = Array.from({ length: d }, () => new Float32Array(rows));
    for (let i = 0; i < rows; i++) for (let j = 0; j < d; j++) columns[j][i] = centres[i % 6][j] + rng.normal() * 1.5;
    const ds = fromColumns({ columns });

    const ac = new AbortController();
    let abortedAt = 0;
    let iterations = 0, iterationsAtAbort = -1;
    let workers: Worker[] = [];
    const fit = kmeans(ds, {
      k: 8, seed: 1, tol: 0, maxIter: 300, threads: 2, signal: ac.signal,
      onProgress: (p) => {
        iterations = p.iteration;
        workers = poolOf(executorFor(2))!.threads;
        // abort from a timer, so it lands while the workers run the next pass rather than between passes
        if (p.iteration === 1) setTimeout(() => { abortedAt = performance.now(); iterationsAtAbort = iterations; ac.abort(); }, 0);
      },
    });
    const e = await rejection(fit);
    expect(e.code).toBe('E_ABORTED');
    expect(abortedAt).toBeGreaterThan(0);
    // no iteration completes once the signal has fired
    expect(iterations).toBe(iterationsAtAbort);
    // cancellation stops the workers between calls instead of terminating them: the same workers carry on
    expect(poolOf(executorFor(2))!.threads).toEqual(workers);

    // and give the same bits as the inline executor
    const two = await kmeans(ds, { k: 8, seed: 1, maxIter: 3, threads: 2 });
    const one = await kmeans(ds, { k: 8, seed: 1, maxIter: 3, threads: 1 });
    expect(bytes(two.labels).equals(bytes(one.labels))).toBe(true);
    expect(bytes(two.centroidData).equals(bytes(one.centroidData))).toBe(true);
    expect(poolOf(executorFor(2))!.threads).toHaveLength(1);
  });
});
