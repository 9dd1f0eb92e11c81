// Executors under misuse and failure: a handle released while a pass still runs on other threads, ops that fail on
// one shard, values of every kind through the wire.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { close, inlineExecutor, loopbackExecutor, piscinaExecutor, SegkitError, type Executor } from '../src/index.node.js';
import { decodeValue, encodeValue } from '../src/engine/codec.js';
import { serveWebWorker } from '../src/engine/webWorker.js';
import type { FromWorker, ToWorker } from '../src/engine/webWorkerProtocol.js';
import { failure } from './helpers.js';
// @ts-expect-error plain JavaScript ops over the built package (pool workers import them by URL)
import { failOnShardOp, rowsFailOp, slowMarkOp } from './helpers/faultOps.mjs';
// @ts-expect-error plain JavaScript ops over the built package (pool workers import them by URL)
import { columnBitsOp } from './helpers/testOps.mjs';

afterAll(close);

/** Bytes the executor's memory has handed out now. */
const heapUsed = (ex: Executor): number => (ex as unknown as { liveHeap: { used: number } }).liveHeap.used;

/** Each loaded value of the handle as a float32, in row order per column. */
async function loaded(ex: Executor, h: Awaited<ReturnType<Executor['load']>>): Promise<number[][]> {
  const parts = (await ex.map(columnBitsOp, h, null)) as Int32Array[][];
  return Array.from({ length: h.d }, (_, j) => parts.flatMap((cols) => Array.from(new Float32Array(cols[j].slice().buffer))));
}

describe('a handle released while a pass still runs on a pool worker', () => {
  it('keeps its memory until the pass ends: data loaded meanwhile stays exact, and nothing stays allocated', async () => {
    const ex = piscinaExecutor({ threads: 2 });
    try {
      const n = 8192;
      const a = [Float32Array.from({ length: n }, (_, i) => i)];
      const h = await ex.load({ columns: a }, { shardRows: 512 });
      // the pool's worker is started, and the pass's per-row buffer made
      await ex.map(slowMarkOp, h, { ms: 0, v: 0 });
      const before = heapUsed(ex);
      // the calling thread's shards are short and the worker's long: the caller is done and waits for the worker
      const pass = failure(() => ex.map(slowMarkOp, h, { ms: 300, mainMs: 5, v: 1e300 }));
      await new Promise((r) => setTimeout(r, 150));
      await ex.release(h);
      // a load made now must not be given memory the worker still writes into
      const b = [0, 1].map((j) => Float32Array.from({ length: n }, (_, i) => i + j));
      const hb = await ex.load({ columns: b }, { shardRows: 512 });
      // the executor is open: the error names the release
      expect(await pass).toMatchObject({ code: 'E_CLOSED', message: expect.stringMatching(/^the data was released/) });
      expect(await loaded(ex, hb)).toEqual(b.map((c) => Array.from(c)));
      await ex.release(hb);
      // the pass's control block and scratch went with it
      expect(heapUsed(ex)).toBe(before - 4 * (8448 + 2 * 8448));
    } finally {
      await ex.close();
    }
  });
});

describe('an op that fails on one shard', () => {
  const n = 5 * 1024 + 3;
  const columns = [0, 1].map((j) => Float32Array.from({ length: n }, (_, i) => (i % 17) + j));
  it.each([
    ['inline', () => inlineExecutor()],
    ['loopback', () => loopbackExecutor()],
    ['piscina, 2 threads', () => piscinaExecutor({ threads: 2 })],
  ])('%s: rejects with the op\'s own code whichever shard and thread it fails on; the next pass is whole', async (_name, make) => {
    const ex = make();
    try {
      const h = await ex.load({ columns }, { shardRows: 1024 });
      for (const bad of [0, 3, 5]) {
        const e = await failure(() => ex.map(failOnShardOp, h, { bad }));
        expect([e.code, e.message]).toEqual(['E_NAN_INPUT', `bad value on shard ${bad} (drop the row)`]);
        expect(e.hint).toBe('drop the row');
      }
      expect(await ex.map(failOnShardOp, h, { bad: -1 })).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      await ex.close();
    }
  });
});

/** A Web Worker's serving loop on this thread, and a function sending it a message and resolving with its reply. */
function servedHere(): (m: Record<string, unknown>) => Promise<FromWorker> {
  const replies = new Map<number, (m: FromWorker) => void>();
  const scope: { onmessage: ((event: MessageEvent<ToWorker>) => void) | null; postMessage(m: FromWorker): void } = { onmessage: null, postMessage: (m) => replies.get(m.id)?.(m) };
  let id = 0;
  serveWebWorker(scope);
  return (m) => new Promise((resolve) => {
    replies.set(++id, resolve);
    scope.onmessage!({ data: { ...m, id } } as MessageEvent<ToWorker>);
  });
}

describe('a Web Worker serving shards (no shared memory), driven from here', () => {
  it('sends an op\'s error back with its code, its message and its hint apart (the executor joins them once)', async () => {
    const ask = servedHere();
    const layout = { n: 32, d: 1, dtype: 'f32', shardRows: 16, replicate: false };
    for (const shard of [0, 1]) {
      expect((await ask({ t: 'shard', handle: 1, layout, shard, columns: [new Float32Array(16).fill(shard)], inputs: {} })).error).toBeUndefined();
    }
    const got = await ask({ t: 'map', handle: 1, op: failOnShardOp.name, state: encodeValue({ bad: 1 }), shards: [0, 1] });
    expect(got.error).toEqual({ code: 'E_NAN_INPUT', message: 'bad value on shard 1', hint: 'drop the row' });
  });
});

describe('an op whose rows() fails', () => {
  const columns = [Float32Array.from({ length: 64 }, (_, i) => i)];
  it.each([
    ['inline', () => inlineExecutor()],
    ['loopback', () => loopbackExecutor()],
    ['piscina, 2 threads', () => piscinaExecutor({ threads: 2 })],
  ])('%s: a plain error is E_WORKER naming the op, another segkit copy\'s SegkitError keeps its code; the next pass runs', async (_name, make) => {
    const ex = make();
    try {
      const h = await ex.load({ columns }, { shardRows: 16 });
      const plain = await failure(() => ex.map(rowsFailOp, h, { how: 'plain' }));
      expect(plain).toBeInstanceOf(SegkitError);
      expect([plain.code, plain.message]).toEqual(['E_WORKER', 'shard op "test.rowsFail" failed naming its per-row buffers: no buffer for this state']);
      const other = await failure(() => ex.map(rowsFailOp, h, { how: 'other' }));
      expect(other).toBeInstanceOf(SegkitError);
      expect([other.code, other.message, other.hint]).toEqual(['E_NAN_INPUT', 'row 7 is NaN (drop the row)', 'drop the row']);
      expect(await ex.map(rowsFailOp, h, { how: 'none' })).toEqual([0, 1, 2, 3]);
    } finally {
      await ex.close();
    }
  });

  it('a Web Worker holding shards sends either back with its code', async () => {
    const ask = servedHere();
    const layout = { n: 32, d: 1, dtype: 'f32', shardRows: 16, replicate: false };
    for (const shard of [0, 1]) await ask({ t: 'shard', handle: 1, layout, shard, columns: [new Float32Array(16)], inputs: {} });
    const pass = (how: string) => ask({ t: 'map', handle: 1, op: rowsFailOp.name, state: encodeValue({ how }), shards: [0, 1] });
    expect((await pass('plain')).error).toEqual({ code: 'E_WORKER', message: 'shard op "test.rowsFail" failed naming its per-row buffers: no buffer for this state' });
    expect((await pass('other')).error).toEqual({ code: 'E_NAN_INPUT', message: 'row 7 is NaN', hint: 'drop the row' });
    expect((await pass('none')).value).toHaveLength(2);
  });
});

describe('a Web Worker serving shards: an op module that failed to load', () => {
  it('is loaded again by the next pass that names it, not failed from then on', async () => {
    const ask = servedHere();
    const layout = { n: 8, d: 1, dtype: 'f32', shardRows: 4, replicate: false };
    for (const shard of [0, 1]) {
      expect((await ask({ t: 'shard', handle: 1, layout, shard, columns: [Float32Array.of(1, 2, 3, 4).map((v) => v + 4 * shard)], inputs: {} })).error).toBeUndefined();
    }
    const dir = mkdtempSync(join(tmpdir(), 'segkit-opmodule-'));
    try {
      const file = join(dir, 'lateOp.mjs');
      const module = pathToFileURL(file).href;
      const pass = { t: 'map', handle: 1, op: 'test.lateSum', module, state: encodeValue({}), shards: [0, 1] };
      // the module is not there yet: the pass fails
      const first = await ask(pass);
      expect(first.error).toBeDefined();
      expect(first.error!.message).toContain('lateOp.mjs');
      // once it is, the same worker loads it and runs the op
      const built = (f: string) => JSON.stringify(new URL(`../dist/${f}`, import.meta.url).href);
      writeFileSync(file, `import { defineOp } from ${built('engine/shardOp.js')};\nimport { shardColumn } from ${built('kernels/shard.js')};\n`
        + `export const lateSum = defineOp({ name: 'test.lateSum', run: (shard) => shardColumn(shard, 0).reduce((a, v) => a + v, 0) }, import.meta.url);\n`);
      const second = await ask(pass);
      expect(second.error).toBeUndefined();
      expect((second as { value: [number, Uint8Array][] }).value.map(([s, b]) => [s, decodeValue(b)])).toEqual([[0, 10], [1, 26]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the byte encoding of a string that is not well-formed UTF-16', () => {
  it('refuses it (naming it) rather than carrying another string across', () => {
    for (const s of ['a\uD800b', '\uDC00', 'x\uDBFF']) {
      expect(() => encodeValue({ name: s })).toThrow(/lone surrogate/);
    }
    // a pair is one character, and crosses as it is
    expect(decodeValue(encodeValue(['\uD83D\uDE00', 'Müller']))).toEqual(['\uD83D\uDE00', 'Müller']);
  });
});

describe('the byte encoding of lengths past its 32-bit length fields', () => {
  it('refuses a typed array of 4 GiB or more rather than writing its length modulo 2^32', () => {
    // a view that reports the size of a 4 GiB + 8 byte array (the 8 bytes it holds are never reached)
    class Huge extends Float64Array {
      override get byteLength(): number { return 2 ** 32 + 8; }
    }
    for (const v of [new Huge(1), { partial: [1, new Huge(1)] }]) {
      let error: unknown;
      try {
        encodeValue(v);
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ name: 'SegkitError', code: 'E_EXECUTOR', message: 'cannot encode a Float64Array of 4294967304 bytes in a shard-op value: a length field holds at most 4294967295 (split the data into more shards)' });
    }
    // the largest length a field holds is read as it was written; a header claiming more bytes than follow is corrupt
    const bytes = encodeValue(new Uint8Array(3));
    expect(decodeValue(bytes)).toEqual(new Uint8Array(3));
    new DataView(bytes.buffer).setUint32(2, 0xffffffff, true);
    expect(() => decodeValue(bytes)).toThrow(/corrupt shard-op value/);
  });
});
