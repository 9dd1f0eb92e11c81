import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Piscina } from 'piscina';
import { close, createRandom, fromColumns, kmeans, piscinaExecutor, SegkitError, inlineExecutor, loopbackExecutor } from '../src/index.node.js';
import { executorFor } from '../src/engine/defaultExecutor.js';
import { freshOrNone, loadThenMap, scanThenMap, type Executor } from '../src/engine/executor.js';
import { encodeValue, decodeValue } from '../src/engine/codec.js';
import { expectBlobsFound, threeBlobs, type FitResult } from './helpers/neutralBundle.js';
import { bytes, failure } from './helpers.js';
// @ts-expect-error plain JavaScript ops over the built package (pool workers import them by URL)
import { allSumOp, busyOp, clusterMaxOp, growViewsOp, markRowsOp, patternMissOp, trapOp, viewsOp, whereRanOp } from './helpers/testOps.mjs';

afterAll(close);

const poolOf = (ex: Executor): Piscina | undefined => (ex as unknown as { pool?: Piscina }).pool;
const threadIds = (ex: Executor): number[] => poolOf(ex)!.threads.map((w) => w.threadId).sort((a, b) => a - b);

// Two shards and a bit, integer-valued features: per-cluster maxima are exact whatever the order.
const K = 3;
const n = 2 * 65_536 + 1_001;
const columns = [0, 1, 2].map((j) => Float32Array.from({ length: n }, (_, i) => ((i * (7 + j)) % 23) - 11 + j));
const labels = Int32Array.from({ length: n }, (_, i) => (i * 5 + (i >> 4)) % K);

function maxTwin(): Float64Array {
  const out = new Float64Array(K * 3).fill(-Infinity);
  for (let i = 0; i < n; i++) for (let j = 0; j < 3; j++) out[labels[i] * 3 + j] = Math.max(out[labels[i] * 3 + j], columns[j][i]);
  return out;
}

/** A shard op defined outside segkit runs on the executor; merged in shard order it equals the plain computation. */
async function clusterMaxOn(ex: Executor): Promise<Float64Array> {
  const h = await ex.load({ columns, rows: { labels } });
  try {
    const parts: Float64Array[] = await ex.map(clusterMaxOp, h, { k: K });
    expect(parts).toHaveLength(3);
    const out = new Float64Array(K * 3).fill(-Infinity);
    for (const p of parts) for (let q = 0; q < out.length; q++) out[q] = Math.max(out[q], p[q]);
    return out;
  } finally {
    await ex.release(h);
  }
}

describe('a new shard op runs on every executor without touching executor code', () => {
  const want = Array.from(maxTwin());
  it.each([
    ['inline', () => inlineExecutor()],
    ['loopback', () => loopbackExecutor()],
    ['piscina, 2 threads', () => piscinaExecutor({ threads: 2 })],
    ['piscina, 4 threads', () => piscinaExecutor({ threads: 4 })],
  ])('%s', async (_name, make) => {
    const ex = make();
    try {
      expect(Array.from(await clusterMaxOn(ex))).toEqual(want);
    } finally {
      await ex.close();
    }
  });
});

describe('a partial holding views of the shard\'s memory (shardColumn, rowValues)', () => {
  it.each([
    ['inline', () => inlineExecutor()],
    ['loopback', () => loopbackExecutor()],
    ['piscina, 1 thread', () => piscinaExecutor({ threads: 1 })],
    ['piscina, 2 threads', () => piscinaExecutor({ threads: 2 })],
  ])('%s: keeps its values after the data is released and other data loaded into that memory, and after it grows', async (_name, make) => {
    const ex = make();
    try {
      const h = await ex.load({ columns: [columns[0]] });
      const parts = await ex.map(viewsOp, h, null) as { col: Float32Array; rows: [Float64Array, number] }[];
      await ex.release(h);
      await ex.release(await ex.load({ columns: [columns[0].map((v) => -v)] }));
      await ex.release(await ex.load({ columns: [new Float32Array(1 << 23)] }));
      expect(parts.map((p) => p.rows[1])).toEqual([0, 1, 2]);
      for (const [s, p] of parts.entries()) {
        const want = columns[0].subarray(s * 65_536, (s + 1) * 65_536);
        expect(p.col).toEqual(want);
        expect(p.rows[0]).toEqual(Float64Array.from(want, (v) => 2 * v));
      }
    } finally {
      await ex.close();
    }
  });
});

describe('a partial viewing shared memory that the op grew', () => {
  it.each([1, 2])('piscina, %i thread(s): keeps its values after the data is released and other data loaded', async (threads) => {
    const ex = piscinaExecutor({ threads });
    try {
      const h = await ex.load({ columns: [columns[0]] });
      const parts = await ex.map(growViewsOp, h, null) as { col: Float32Array }[];
      await ex.release(h);
      await ex.release(await ex.load({ columns: [columns[0].map((v) => -v)] }));
      for (const [s, p] of parts.entries()) expect(p.col).toEqual(columns[0].subarray(s * 65_536, (s + 1) * 65_536));
    } finally {
      await ex.close();
    }
  });
});

describe('what an executor is handed is checked the same way on every executor', () => {
  const cols = [Float32Array.of(1, 2, 3, 4)];
  it.each([
    ['inline', () => inlineExecutor()],
    ['loopback', () => loopbackExecutor()],
    ['piscina, 2 threads', () => piscinaExecutor({ threads: 2 })],
  ])('%s: per-row values of another typed array, a bad shard list and an unknown dtype are SegkitErrors naming them', async (_name, make) => {
    const ex = make();
    try {
      // a Uint8Array would reach a holder as other bits (BullMQ read its bytes as int32 words): refused
      for (const tag of [Uint8Array.of(1, 2, 200, 4), Uint32Array.of(1, 2, 3e9, 4), Int16Array.of(-1, 2, 3, 4)]) {
        const e = await failure(() => ex.load({ columns: cols, rows: { tag: tag as unknown as Int32Array } }));
        expect([e.code, e.message]).toEqual(['E_EXECUTOR', `per-row values "tag" are a ${tag.constructor.name}: they must be a Float32Array, Float64Array or Int32Array`]);
      }
      expect((await failure(() => ex.load({ columns: cols }, { dtype: 'f16' as 'f32' }))).message).toBe('option "dtype" must be "f32" or "f64", got "f16"');
      // no columns array, or a column that is not one: refused, never a TypeError
      for (const [source, got] of [[null, 'null'], [{}, 'Object with columns undefined'], [{ columns: cols[0] }, 'Object with columns Float32Array']] as const) {
        const e = await failure(() => ex.load(source as never));
        expect([e.code, e.message]).toEqual(['E_EXECUTOR', `the data to load must be { columns: [...] }, got ${got}`]);
      }
      expect(await failure(() => ex.load({ columns: [cols[0], null as never] }))).toMatchObject({ code: 'E_EXECUTOR', message: 'columns to load must be Float32Array' });
      const h = await ex.load({ columns: cols, rows: { tag: Int32Array.of(-1, 2, 3e9 | 0, 4), labels: new Int32Array(4) } });
      expect(Array.from(await ex.readRows(h, 'tag'))).toEqual([-1, 2, 3e9 | 0, 4]);
      const w = await failure(() => ex.writeRows(h, 'w', Uint8Array.of(1, 2, 3, 4) as unknown as Int32Array));
      expect([w.code, w.message]).toEqual(['E_EXECUTOR', 'per-row values "w" are a Uint8Array: they must be a Float32Array, Float64Array or Int32Array']);
      expect((await failure(() => ex.writeRows(h, 'w', Int32Array.of(1)))).code).toBe('E_SHAPE_MISMATCH');
      for (const [shards, at] of [[[1], '1 at index 0'], [[0, 0], '0 at index 1'], [[0.5], '0.5 at index 0']] as const) {
        const e = await failure(() => ex.map(clusterMaxOp, h, { k: 1 }, { shards }));
        expect([e.code, e.message]).toEqual(['E_BAD_OPTION', `option "shards" must hold ascending shard numbers below 1, got ${at}`]);
      }
      // the handle still works after every refusal
      const [max] = await ex.map(clusterMaxOp, h, { k: 1 }, { shards: [0] }) as Float64Array[];
      expect(Array.from(max)).toEqual([4]);
    } finally {
      await ex.close();
    }
  });
});

describe('loopback executor', () => {
  it('close() during a load rejects it with E_CLOSED and keeps none of its rows; the next load and pass work', async () => {
    const ex = loopbackExecutor();
    const holder = (ex as unknown as { holder: { handles: Map<number, unknown> } }).holder;
    for (const replicate of [false, true]) {
      const loading = ex.load({ columns: [Float32Array.from({ length: 40 * 16 }, (_, i) => i)] }, { shardRows: 16, replicate });
      await ex.close();
      const e = await failure(() => loading);
      expect([e.code, e.message]).toEqual(['E_CLOSED', 'the executor was closed while data was being loaded (close() only after every load, fit and scan has finished)']);
      expect(holder.handles.size).toBe(0);
    }
    const h = await ex.load({ columns: [Float32Array.of(1, 5, 2)], rows: { labels: new Int32Array(3) } });
    const [max] = await ex.map(clusterMaxOp, h, { k: 1 }) as Float64Array[];
    expect(Array.from(max)).toEqual([5]);
    expect(holder.handles.size).toBe(1);
    await ex.close();
  });
});

describe('the byte encoding of states and partials', () => {
  it('round-trips numbers, strings, typed arrays, arrays and objects exactly', () => {
    const v = { a: 1.5, b: -0, c: NaN, s: 'Müller', t: Float32Array.of(1, 2.5, -3), u: Int32Array.of(-1, 7), f: Float64Array.of(Math.PI), l: [1, 'x', null, true, false, { z: Uint8Array.of(1, 2) }], und: undefined };
    const back = decodeValue(encodeValue(v)) as typeof v;
    expect(back).toEqual(v);
    expect(Object.is(back.b, -0)).toBe(true);
    expect(back.t).toBeInstanceOf(Float32Array);
  });

  it('refuses corrupt bytes and values it cannot carry, naming the problem', () => {
    const good = encodeValue({ x: Float64Array.of(1, 2) });
    expect(() => decodeValue(good.subarray(0, good.length - 3))).toThrow(/corrupt shard-op value/);
    expect(() => decodeValue(Uint8Array.of(6, 1, 0, 0, 0, 4, 9, 0, 0, 0, ...new TextEncoder().encode('__proto__'), 0))).toThrow(SegkitError);
    expect(() => encodeValue({ f: () => 1 })).toThrow(/cannot encode function/);
    expect(() => encodeValue(new Map())).toThrow(/cannot encode Map/);
  });

  it('keeps a leading U+FEFF of a string or key, and refuses bytes that are not UTF-8 as corrupt (E_EXECUTOR)', () => {
    const s = '\uFEFFid';
    const back = decodeValue(encodeValue({ [s]: [s, '\uFEFF'] })) as Record<string, string[]>;
    expect(Object.keys(back)).toEqual([s]);
    expect(back[s]).toEqual([s, '\uFEFF']);
    const bytes = encodeValue(['ab']);
    bytes[10] = 0xff;
    let error: unknown;
    try {
      decodeValue(bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ name: 'SegkitError', code: 'E_EXECUTOR', message: 'corrupt shard-op value at byte 10 of 12' });
  });
});

describe('piscina executor', () => {
  it('starts no worker before the first pass, then keeps the same workers across passes', async () => {
    const ex = piscinaExecutor({ threads: 2 });
    try {
      expect(poolOf(ex)).toBeUndefined();
      await clusterMaxOn(ex);
      const pool = poolOf(ex)!;
      expect(pool.threads).toHaveLength(1); // two threads: the caller and one worker
      const ids = threadIds(ex);
      await clusterMaxOn(ex);
      expect(poolOf(ex)).toBe(pool);
      expect(threadIds(ex)).toEqual(ids);
    } finally {
      await ex.close();
    }
    expect(poolOf(ex)).toBeUndefined();
  });

  it('a load of more than 64 MiB into never-written memory has the workers share its first touches; values and passes stay exact', async () => {
    const ex = piscinaExecutor({ threads: 2 });
    try {
      const rows = 1_100_000;
      const cols = Array.from({ length: 16 }, (_, j) => Float32Array.from({ length: rows }, (_, i) => ((i * (3 + j)) % 101) - 50 + j));
      const lab = Int32Array.from({ length: rows }, (_, i) => (i * 7) % K);
      const h = await ex.load({ columns: cols, rows: { labels: lab } });
      try {
        // no pass has run: the pool's worker was started to touch its share of the pages
        expect(poolOf(ex)!.threads).toHaveLength(1);
        const parts: Float64Array[] = await ex.map(clusterMaxOp, h, { k: K });
        const got = new Float64Array(K * 16).fill(-Infinity);
        for (const p of parts) for (let q = 0; q < got.length; q++) got[q] = Math.max(got[q], p[q]);
        const want = new Float64Array(K * 16).fill(-Infinity);
        for (let i = 0; i < rows; i++) for (let j = 0; j < 16; j++) want[lab[i] * 16 + j] = Math.max(want[lab[i] * 16 + j], cols[j][i]);
        expect(Array.from(got)).toEqual(Array.from(want));
        expect(bytes(await ex.readRows(h, 'labels')).equals(bytes(lab))).toBe(true);
      } finally {
        await ex.release(h);
      }
    } finally {
      await ex.close();
    }
  });

  it('close() during a large load rejects it with E_CLOSED; the next load and pass use the new memory and are exact', async () => {
    const ex = piscinaExecutor({ threads: 2 });
    try {
      const rows = 1_100_000;
      const cols = Array.from({ length: 16 }, (_, j) => Float32Array.from({ length: rows }, (_, i) => ((i * (5 + j)) % 97) - 40 + j));
      const loading = ex.load({ columns: cols });
      await ex.close();
      expect((await failure(() => loading)).code).toBe('E_CLOSED');
      // a pool made for the let-go memory would read the wrong bytes here
      const got = await clusterMaxOn(ex);
      expect(Array.from(got)).toEqual(Array.from(maxTwin()));
    } finally {
      await ex.close();
    }
  });

  it('reaps idle workers after idleTimeout and starts them again on the next pass', async () => {
    const ex = piscinaExecutor({ threads: 2, idleTimeout: 100 });
    try {
      await clusterMaxOn(ex);
      expect(poolOf(ex)!.threads).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 600));
      expect(poolOf(ex)!.threads).toHaveLength(0);
      expect(Array.from(await clusterMaxOn(ex))).toEqual(Array.from(maxTwin()));
    } finally {
      await ex.close();
    }
  });

  it('an idleTimeout past the largest timer (2^31 - 1 ms) keeps idle workers, with no timer warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const pools = [piscinaExecutor({ threads: 2, idleTimeout: 2 ** 31 }), piscinaExecutor({ threads: 2, idleTimeout: 1e12 })];
    try {
      for (const ex of pools) {
        expect(Array.from(await clusterMaxOn(ex))).toEqual(Array.from(maxTwin()));
        expect(poolOf(ex)!.threads).toHaveLength(1);
      }
      const before = pools.map(threadIds);
      await new Promise((r) => setTimeout(r, 300));
      expect(pools.map((ex) => poolOf(ex)!.threads.length)).toEqual([1, 1]);
      for (const ex of pools) expect(Array.from(await clusterMaxOn(ex))).toEqual(Array.from(maxTwin()));
      expect(pools.map(threadIds)).toEqual(before);
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      process.off('warning', onWarning);
      await Promise.all(pools.map((ex) => ex.close()));
    }
  });

  it('loadAndMap runs each shard as its rows come in: the same partials, per-row outputs and rows as load then map', async () => {
    // 1,024-row shards: 129 of them, so the workers run shards while later ones are still being copied
    const source = { columns, rows: { labels } };
    const want = Array.from(maxTwin());
    const ref = inlineExecutor();
    const refHandle = await ref.load(source, { shardRows: 1024 });
    const refParts: Float64Array[] = await ref.map(clusterMaxOp, refHandle, { k: K });
    await ref.close();
    for (const threads of [2, 4]) {
      const ex = piscinaExecutor({ threads });
      try {
        // workers already running, so they take shards while the rows are still being copied
        await clusterMaxOn(ex);
        const { handle, partials } = await loadThenMap(ex, source, clusterMaxOp, { k: K }, { shardRows: 1024 });
        expect(handle.shards).toBe(Math.ceil(n / 1024));
        expect(partials.map((p) => Array.from(p as Float64Array))).toEqual(refParts.map((p) => Array.from(p)));
        // every row arrived: a second pass over the handle merges to the plain computation
        const again: Float64Array[] = await ex.map(clusterMaxOp, handle, { k: K });
        const out = new Float64Array(K * 3).fill(-Infinity);
        for (const p of again) for (let q = 0; q < out.length; q++) out[q] = Math.max(out[q], p[q]);
        expect(Array.from(out)).toEqual(want);
        expect(Array.from(await ex.readRows(handle, 'labels'))).toEqual(Array.from(labels));
        await ex.release(handle);
        // a failing op lets the handle go and leaves the workers able to run the next pass
        const e = await failure(() => loadThenMap(ex, source, trapOp, null, { shardRows: 1024 }));
        expect(e.code).toBe('E_WORKER');
        expect(Array.from(await clusterMaxOn(ex))).toEqual(want);
      } finally {
        await ex.close();
      }
    }
  });

  it('loadAndMap: running workers never start a shard before its rows are in', async () => {
    // 8M rows in 123 shards into a fresh memory: the op reads one value a shard, so a worker that did not wait would
    // soon run ahead of the copy and find zeros
    const big = Float32Array.from({ length: 8_000_000 }, (_, i) => (i % 1000) + 1);
    const ex = piscinaExecutor({ threads: 2 });
    try {
      await clusterMaxOn(ex);
      const { handle, partials } = await loadThenMap(ex, { columns: [big] }, patternMissOp, null);
      expect(partials).toHaveLength(123);
      expect(partials.reduce((a: number, b) => a + (b as number), 0)).toBe(0);
      await ex.release(handle);
    } finally {
      await ex.close();
    }
  });

  it('scanAndMap: the calling thread runs shards from the back straight from the source while the workers take the rest; each shard runs once, on its own rows', async () => {
    const big = Float32Array.from({ length: 40 * 8192 }, (_, i) => i + 0.5);
    for (const threads of [2, 3]) {
      const ex = piscinaExecutor({ threads });
      try {
        await clusterMaxOn(ex);
        // workers slowed to 3 ms a shard: the calling thread, two shards ahead of each, runs the back ones itself
        const { handle, partials } = await scanThenMap(ex, { columns: [big] }, whereRanOp, { ms: 3 }, { shardRows: 8192 });
        const got = partials as [number, number, number][];
        expect(got.map((p) => p[0])).toEqual(Array.from({ length: 40 }, (_, s) => s));
        expect(got.map((p) => p[2])).toEqual(Array.from({ length: 40 }, (_, s) => s * 8192 + 0.5));
        // the source's shards are a run at the back, the copied ones a run at the front
        const from = got.map((p) => p[1]);
        const first = from.indexOf(1);
        expect(first).toBeGreaterThan(0);
        expect(from.slice(first).every((f) => f === 1)).toBe(true);
        // the handle holds no rows: a pass over it is refused
        const e = await failure(() => ex.map(patternMissOp, handle, null));
        expect([e.code, e.message]).toEqual(['E_EXECUTOR', 'the data was scanned once, not loaded: only its per-row outputs can be read']);
        await ex.release(handle);
      } finally {
        await ex.close();
      }
    }
    // one thread: every shard from the source
    const one = inlineExecutor();
    const { handle, partials } = await scanThenMap(one, { columns: [big] }, whereRanOp, { ms: 0 }, { shardRows: 8192 });
    expect((partials as [number, number, number][]).every((p, s) => p[0] === s && p[1] === 1 && p[2] === s * 8192 + 0.5)).toBe(true);
    expect((await failure(() => one.map(patternMissOp, handle, null))).message).toBe('the data was scanned once, not loaded: only its per-row outputs can be read');
    await one.release(handle);
  });

  it('scanAndMap of replicated data: every shard sees every row in shard.all, as after a load (the rows are copied in)', async () => {
    const col = Float32Array.from({ length: 64 }, (_, i) => i + 1);
    for (const [name, ex] of [['inline', inlineExecutor()], ['piscina, 1 thread', piscinaExecutor({ threads: 1 })], ['piscina, 2 threads', piscinaExecutor({ threads: 2 })]] as const) {
      try {
        for (const shardRows of [16, 64]) {
          const { handle, partials } = await scanThenMap(ex, { columns: [col] }, allSumOp, null, { shardRows, replicate: true });
          // 1 + 2 + ... + 64, on each shard, each run on the loaded rows
          expect(partials, `${name}, shards of ${shardRows}`).toEqual(Array.from({ length: 64 / shardRows }, () => [0, 2080]));
          await ex.release(handle);
        }
      } finally {
        await ex.close();
      }
    }
  });

  it('scanAndMap over columns on shared memory: every thread runs its shards from the source, nothing copied in; meanwhile runs once, beside the pass', async () => {
    const m = 40 * 8192;
    // at an offset into the shared buffer
    const shared = new Float32Array(new SharedArrayBuffer(4 * (m + 8)), 16, m);
    for (let i = 0; i < m; i++) shared[i] = i + 0.5;
    for (const threads of [2, 3]) {
      const ex = piscinaExecutor({ threads });
      try {
        await clusterMaxOn(ex);
        let calls = 0, settled = false;
        const pass = scanThenMap(ex, { columns: [shared] }, whereRanOp, { ms: 3, fromMs: 1 }, { shardRows: 8192, meanwhile: () => void (calls += settled ? 100 : 1) });
        const { handle, partials } = await pass.finally(() => (settled = true));
        const got = partials as [number, number, number][];
        expect(got.map((p) => p[0])).toEqual(Array.from({ length: 40 }, (_, s) => s));
        expect(got.every((p) => p[1] === 1)).toBe(true);
        expect(got.map((p) => p[2])).toEqual(Array.from({ length: 40 }, (_, s) => s * 8192 + 0.5));
        expect(calls).toBe(1);
        await ex.release(handle);
        // a plain array: the front shards are copied in for the workers, as before
        const plain = await scanThenMap(ex, { columns: [Float32Array.from(shared)] }, whereRanOp, { ms: 3 }, { shardRows: 8192 });
        expect((plain.partials as [number, number, number][]).some((p) => p[1] === 0)).toBe(true);
        await ex.release(plain.handle);
        // loadAndMap calls it once too, once the rows are in
        let loaded = 0;
        const l = await loadThenMap(ex, { columns: [shared] }, whereRanOp, { ms: 0 }, { shardRows: 8192, meanwhile: () => void loaded++ });
        expect(loaded).toBe(1);
        expect((l.partials as [number, number, number][]).map((p) => p[2])).toEqual(got.map((p) => p[2]));
        await ex.release(l.handle);
      } finally {
        await ex.close();
      }
    }
  });

  it('an abort during scanAndMap rejects it with E_ABORTED soon, while the calling thread still has shards of its own to run', async () => {
    const ex = piscinaExecutor({ threads: 2 });
    try {
      await clusterMaxOn(ex);
      const big = Float32Array.from({ length: 400 * 1024 }, (_, i) => i);
      const ctl = new AbortController();
      setTimeout(() => ctl.abort(), 20);
      const t = performance.now();
      // 400 shards of 5 ms each wherever they run: about a second of work on two threads
      const e = await failure(() => scanThenMap(ex, { columns: [big] }, whereRanOp, { ms: 5, fromMs: 5 }, { shardRows: 1024, signal: ctl.signal }));
      expect(e.code).toBe('E_ABORTED');
      expect(performance.now() - t).toBeLessThan(500);
      expect(Array.from(await clusterMaxOn(ex))).toEqual(Array.from(maxTwin()));
    } finally {
      await ex.close();
    }
  });

  it('an abort during loadAndMap rejects it with E_ABORTED; the executor then runs a real pass', async () => {
    const ex = piscinaExecutor({ threads: 2 });
    try {
      await clusterMaxOn(ex);
      const ctl = new AbortController();
      setTimeout(() => ctl.abort(), 40);
      const e = await failure(() => loadThenMap(ex, { columns }, busyOp, { ms: 15 }, { shardRows: 8192, signal: ctl.signal }));
      expect(e.code).toBe('E_ABORTED');
      expect(Array.from(await clusterMaxOn(ex))).toEqual(Array.from(maxTwin()));
    } finally {
      await ex.close();
    }
  });

  it('a trapping op rejects with E_WORKER carrying the wasm error; the same workers then run a real pass', async () => {
    const ex = piscinaExecutor({ threads: 2 });
    try {
      await clusterMaxOn(ex);
      const ids = threadIds(ex);
      const h = await ex.load({ columns });
      const e = await failure(() => ex.map(trapOp, h, null));
      expect(e.code).toBe('E_WORKER');
      expect(e.message).toMatch(/memory access out of bounds/);
      await ex.release(h);
      await clusterMaxOn(ex);
      expect(threadIds(ex)).toEqual(ids);
    } finally {
      await ex.close();
    }
  });

  it('close() during a pass rejects it with E_CLOSED (not E_WORKER), and the executor works again afterwards', async () => {
    const ex = piscinaExecutor({ threads: 2 });
    try {
      const h = await ex.load({ columns });
      const pass = failure(() => ex.map(busyOp, h, { ms: 150 }));
      await new Promise((r) => setTimeout(r, 50));
      await ex.close();
      const e = await pass;
      expect(e.code).toBe('E_CLOSED');
      expect(e.message).toMatch(/closed/);
      await expect(ex.map(busyOp, h, { ms: 1 })).rejects.toMatchObject({ code: 'E_CLOSED' });
      expect(Array.from(await clusterMaxOn(ex))).toEqual(Array.from(maxTwin()));
    } finally {
      await ex.close();
    }
  });

  it('close() during a k-means fit rejects the fit with E_CLOSED', async () => {
    const ex = piscinaExecutor({ threads: 2 });
    const rng = createRandom(4);
    const big = fromColumns({ columns: Array.from({ length: 8 }, () => Float32Array.from({ length: 300_000 }, () => rng.normal())) });
    let closing: Promise<void> | undefined;
    const e = await failure(() => kmeans(big, { k: 16, seed: 1, tol: 0, maxIter: 300, executor: ex, onProgress: (p) => { if (p.iteration === 2) closing = ex.close(); } }));
    await closing;
    expect(e.code).toBe('E_CLOSED');
    await ex.close();
  });
});

describe('inline executor', () => {
  it('a trapping op rejects with E_WORKER; the executor then runs a real pass', async () => {
    const ex = inlineExecutor();
    const h = await ex.load({ columns });
    const e = await failure(() => ex.map(trapOp, h, null));
    expect(e.code).toBe('E_WORKER');
    expect(e.message).toMatch(/memory access out of bounds/);
    expect(e.cause).toBeInstanceOf(WebAssembly.RuntimeError);
    expect(Array.from(await clusterMaxOn(ex))).toEqual(Array.from(maxTwin()));
    await ex.close();
  });

  it('lets timers run during a long pass (it yields at least every 20 ms)', async () => {
    const ex = inlineExecutor();
    const h = await ex.load({ columns });
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 5);
    try {
      // three shards of 60 ms each: a thread that never yields would let no timer fire until the end
      const seen: number[] = [];
      const pass = ex.map(busyOp, h, { ms: 60 });
      const probe = setInterval(() => seen.push(ticks), 10);
      await pass;
      clearInterval(probe);
      expect(seen.length).toBeGreaterThan(0);
    } finally {
      clearInterval(timer);
      await ex.close();
    }
  });

  it('lets timers run during many short passes too: the 20 ms are counted across passes, on one thread and with a pool', async () => {
    for (const ex of [inlineExecutor(), piscinaExecutor({ threads: 2 })]) {
      const h = await ex.load({ columns });
      let ticks = 0;
      const timer = setInterval(() => { ticks++; }, 2);
      try {
        // 30 passes of one 4 ms shard: no pass lasts 20 ms, and each resolves without waiting for a macrotask
        let during = 0;
        for (let pass = 0; pass < 30; pass++) {
          await ex.map(busyOp, h, { ms: 4 }, { shards: [0] });
          if (pass === 28) during = ticks;
        }
        expect(during).toBeGreaterThanOrEqual(2);
        // and a signal that fires meanwhile stops the next passes
        const ac = new AbortController();
        setTimeout(() => ac.abort(), 10);
        const e = await failure(async () => {
          for (let pass = 0; pass < 200; pass++) await ex.map(busyOp, h, { ms: 4 }, { shards: [0], signal: ac.signal });
        });
        expect(e.code).toBe('E_ABORTED');
      } finally {
        clearInterval(timer);
        await ex.close();
      }
    }
  });

  it('a one-thread fit on a million rows rejects with E_ABORTED soon after its signal fires', async () => {
    const rng = createRandom(9);
    const rows = 1_000_000, d = 8;
    const ds = fromColumns({ columns: Array.from({ length: d }, () => Float32Array.from({ length: rows }, () => rng.normal())) });
    const ex = inlineExecutor();
    const ac = new AbortController();
    let iterationAtAbort = -1, last = 0;
    const fit = kmeans(ds, {
      k: 64, seed: 1, tol: 0, maxIter: 300, executor: ex, signal: ac.signal,
      onProgress: (p) => {
        last = p.iteration;
        if (p.iteration === 1) setTimeout(() => { iterationAtAbort = last; ac.abort(); }, 0);
      },
    });
    const e = await failure(() => fit);
    expect(e.code).toBe('E_ABORTED');
    // the abort was seen within the iteration that was running when it fired: at most one more completed
    expect(iterationAtAbort).toBeGreaterThanOrEqual(1);
    expect(last - iterationAtAbort).toBeLessThanOrEqual(1);
    expect(last).toBeLessThan(300);
    await ex.close();
  });
});

describe('the shared pools behind kmeans({ threads })', () => {
  // two shards, so passes are split over the pool's workers
  const blobs = threeBlobs(22_000);
  const fitBlobs = async (threads: number): Promise<FitResult> => {
    const m = await kmeans(blobs.rows, { k: 3, seed: 1, threads });
    return { labels: Array.from(m.labels), centroids: m.centroids, inertia: m.inertia, predicted: Array.from(await m.predict(blobs.centres, { threads })) };
  };

  it('the pool is created on the first fit and reused by the next; one thread gives the same bytes', async () => {
    await close();
    const ex = executorFor(2);
    expect(ex.kind).toBe('piscina');
    expect(poolOf(ex)).toBeUndefined();
    const two = await fitBlobs(2);
    expectBlobsFound(two, blobs);
    const pool = poolOf(ex)!;
    expect(pool.threads).toHaveLength(1);
    expect(await fitBlobs(2)).toEqual(two);
    expect(executorFor(2)).toBe(ex);
    expect(poolOf(ex)).toBe(pool);
    expect(await fitBlobs(1)).toEqual(two);
  });

  it('close() stops the pool\'s workers; the next fit starts a new pool', async () => {
    await fitBlobs(2);
    const ex = executorFor(2);
    const pool = poolOf(ex)!;
    await close();
    expect(pool.threads).toHaveLength(0);
    expectBlobsFound(await fitBlobs(2), blobs);
    expect(executorFor(2)).not.toBe(ex);
  });

  it('close() lets a process that fitted on two threads exit by itself with code 0', async () => {
    const url = (file: string) => JSON.stringify(pathToFileURL(fileURLToPath(new URL(file, import.meta.url))).href);
    const script = `
      import { kmeans, close } from ${url('../dist/index.node.js')};
      let text = '';
      for await (const chunk of process.stdin) text += chunk;
      const m = await kmeans(JSON.parse(text), { k: 3, seed: 1, threads: 2 });
      await close();
      console.log(JSON.stringify({ labels: Array.from(m.labels), centroids: m.centroids, inertia: m.inertia }));
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
    const one = await fitBlobs(1);
    expect({ labels: r.labels, centroids: r.centroids, inertia: r.inertia }).toEqual({ labels: one.labels, centroids: one.centroids, inertia: one.inertia });
  });

  it('an abort during a two-thread fit rejects with E_ABORTED before another iteration completes, and the next fit succeeds', async () => {
    const rng = createRandom(11);
    const d = 4, rows = 3 * 65_536;
    const centres = Array.from({ length: 6 }, () => Array.from({ length: d }, () => rng.normal() * 2));
    const cols = Array.from({ length: d }, () => new Float32Array(rows));
    for (let i = 0; i < rows; i++) for (let j = 0; j < d; j++) cols[j][i] = centres[i % 6][j] + rng.normal() * 1.5;
    const ds = fromColumns({ columns: cols });
    const ac = new AbortController();
    let abortedAt = 0;
    let iterations = 0, iterationsAtAbort = -1;
    const fit = kmeans(ds, {
      k: 8, seed: 1, tol: 0, maxIter: 300, threads: 2, signal: ac.signal,
      onProgress: (p) => {
        iterations = p.iteration;
        if (p.iteration === 1) setTimeout(() => { abortedAt = performance.now(); iterationsAtAbort = iterations; ac.abort(); }, 0);
      },
    });
    const e = await failure(() => fit);
    expect(e.code).toBe('E_ABORTED');
    expect(abortedAt).toBeGreaterThan(0);
    expect(iterations).toBe(iterationsAtAbort);
    const two = await kmeans(ds, { k: 8, seed: 1, maxIter: 3, threads: 2 });
    const one = await kmeans(ds, { k: 8, seed: 1, maxIter: 3, threads: 1 });
    expect(bytes(two.labels).equals(bytes(one.labels))).toBe(true);
    expect(bytes(two.centroidData).equals(bytes(one.centroidData))).toBe(true);
  });
});

describe('per-row buffers start at their fill value, in reused memory as in memory never written', () => {
  it.each([
    ['inline', () => inlineExecutor()],
    ['piscina, 2 threads', () => piscinaExecutor({ threads: 2 })],
  ])('%s', async (_name, make) => {
    const ex = make();
    try {
      // a first handle marks every row; released, its memory (columns and marks) is handed out again: a smaller
      // handle's buffer lies in written memory, a larger one's partly in written memory and partly beyond it
      const count = async (rows: number, v: number): Promise<number> => {
        const h = await ex.load({ columns: [Float32Array.from({ length: rows }, (_, i) => i + 1)] });
        try {
          const parts: number[] = await ex.map(markRowsOp, h, { v });
          const nonZero = parts.reduce((x, y) => x + y, 0);
          expect(Array.from(new Set(await ex.readRows(h, 'mark')))).toEqual([v]);
          return nonZero;
        } finally {
          await ex.release(h);
        }
      };
      expect(await count(300_000, 7)).toBe(0);
      expect(await count(70_000, 5)).toBe(0);
      expect(await count(2_000_000, 3)).toBe(0);
    } finally {
      await ex.close();
    }
  });
});

describe('readRows into a given array, and freshArray', () => {
  it.each([
    ['inline', () => inlineExecutor()],
    ['piscina, 2 threads', () => piscinaExecutor({ threads: 2 })],
    ['loopback', () => loopbackExecutor()],
  ])('%s: the values land in the given array, which is returned; a wrong type or length is E_EXECUTOR', async (_name, make) => {
    const ex = make();
    try {
      const handle = await ex.load({ columns });
      await ex.writeRows(handle, 'given', labels);
      const into = new Int32Array(n).fill(-5);
      const got = await ex.readRows(handle, 'given', { into });
      expect(got).toBe(into);
      expect(bytes(into).equals(bytes(labels))).toBe(true);
      for (const wrong of [new Int32Array(n - 1), new Float32Array(n)]) {
        const e = await failure(() => ex.readRows(handle, 'given', { into: wrong }));
        expect(e.code).toBe('E_EXECUTOR');
        expect(e.message).toContain('"given"');
      }
      await ex.release(handle);
    } finally {
      await ex.close();
    }
  });

  it('piscina: a pool worker makes the array (zeros, the asked type and length) and hands it over; one thread makes it here', async () => {
    const ex = piscinaExecutor({ threads: 2 });
    const one = piscinaExecutor({ threads: 1 });
    try {
      for (const [type, C] of [['i32', Int32Array], ['f32', Float32Array], ['f64', Float64Array]] as const) {
        for (const e of [ex, one]) {
          const a = await e.freshArray!(type, 300_001);
          expect(a).toBeInstanceOf(C);
          expect(a.length).toBe(300_001);
          expect(a.every((v) => v === 0)).toBe(true);
        }
      }
      expect(poolOf(ex)!.threads.length).toBe(1);
      expect(poolOf(one)).toBeUndefined();
      expect(inlineExecutor().freshArray).toBeUndefined();
      // under a MiB the round trip would cost more than the faults: made here, no worker started
      const small = piscinaExecutor({ threads: 2 });
      expect(await small.freshArray!('i32', 1000)).toEqual(new Int32Array(1000));
      expect(poolOf(small)).toBeUndefined();
      await small.close();
    } finally {
      await ex.close();
      await one.close();
    }
  });

  it('close() while a worker makes an array rejects it with E_CLOSED; freshOrNone turns any failure into none', async () => {
    const ex = piscinaExecutor({ threads: 2 });
    const making = ex.freshArray!('f64', 1 << 23).then(() => undefined, (e: SegkitError) => e);
    await new Promise((r) => setTimeout(r, 30));
    await ex.close();
    expect((await making)?.code).toBe('E_CLOSED');
    const throwing = { freshArray: () => { throw new Error('no'); } } as unknown as Executor;
    expect(await freshOrNone(throwing, 'i32', 10)).toBeUndefined();
    expect(await freshOrNone(inlineExecutor(), 'i32', 10)).toBeUndefined();
  });
});
