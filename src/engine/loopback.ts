import { SegkitError, throwIfAborted } from '../util/errors.js';
import type { AnyTypedArray } from '../kernels/shard.js';
import { decodeValue, encodeValue } from './codec.js';
import { mapShards, type Executor, type Handle, type LoadOptions, type MapOptions, type ShardSource } from './executor.js';
import { checkSource, now, yieldToEventLoop, YIELD_MS } from './heapExecutor.js';
import { ShardHolder } from './holder.js';
import { concatInShardOrder } from './merge.js';
import { decodePartial, decodeState, encodePartial, encodeState, scratchNeed, type ShardOp } from './shardOp.js';

class LoopbackHandle implements Handle {
  readonly shards: number;
  readonly key: string;
  released = false;
  constructor(readonly id: number, readonly n: number, readonly d: number, readonly dtype: 'f32' | 'f64', readonly shardRows: number, readonly replicate: boolean) {
    this.shards = Math.ceil(n / shardRows);
    this.key = String(id);
  }
}

let nextHandle = 1;

/** What travels to a holder: values through their byte encoding and back. */
const travel = <T>(v: T): T => decodeValue(encodeValue(v)) as T;

/**
 * Runs every shard on the calling thread as a holder on another machine would: each shard is loaded from its own
 * encoded copy into a `ShardHolder`, and every state and partial goes through its byte encoding and back. An op
 * that gives the same bytes here as inline runs unchanged in Web Workers, on other processes and on other machines.
 */
class LoopbackExecutor implements Executor {
  readonly kind = 'loopback';
  readonly threads = 1;
  private holder = new ShardHolder();
  private handles = new Set<LoopbackHandle>();

  private check(h: Handle): LoopbackHandle {
    if (!(h instanceof LoopbackHandle) || !this.handles.has(h)) throw new SegkitError('E_CLOSED', 'the data was released, its executor closed, or it belongs to another executor');
    return h;
  }

  async load(source: ShardSource, options: LoadOptions = {}): Promise<Handle> {
    throwIfAborted(options.signal);
    const { n, d, dtype, shardRows } = checkSource(source, options);
    const h = new LoopbackHandle(nextHandle++, n, d, dtype, shardRows, !!options.replicate);
    this.handles.add(h);
    // what travels: the rows of one shard (or, replicated, of all), as bytes
    const receive = (r0: number, r1: number) => travel({
      columns: source.columns.map((c) => c.slice(r0, r1)) as AnyTypedArray[],
      inputs: Object.fromEntries(Object.entries(source.rows ?? {}).map(([k, a]) => [k, a.slice(r0, r1)])) as Record<string, AnyTypedArray>,
    });
    try {
      if (h.replicate) {
        const whole = receive(0, n);
        await this.holder.holdAll(h.key, h, whole.columns, whole.inputs);
      } else {
        for (let s = 0; s < h.shards; s++) {
          const got = receive(s * shardRows, Math.min(n, (s + 1) * shardRows));
          await this.holder.hold(h.key, h, s, got.columns, got.inputs);
        }
      }
    } catch (e) {
      await this.release(h);
      throw e;
    }
    return h;
  }

  async map<S, P>(op: ShardOp<S, P>, handle: Handle, state: S, options: MapOptions = {}): Promise<P[]> {
    const h = this.check(handle);
    throwIfAborted(options.signal);
    const list = mapShards(h, options.shards);
    await this.holder.kernels();
    const sent = encodeState(op, state);
    const scratch = this.holder.scratch(scratchNeed(op, state, h.d, h.shardRows));
    const out: P[] = [];
    let last = now();
    try {
      for (const s of list) {
        const partial = this.holder.run(h.key, s, op, decodeState(op, sent), scratch);
        out.push(decodePartial(op, encodePartial(op, partial)));
        if (now() - last >= YIELD_MS) {
          await yieldToEventLoop();
          if (h.released) throw new SegkitError('E_CLOSED', 'the executor was closed while an operation was running');
          throwIfAborted(options.signal);
          last = now();
        }
      }
    } finally {
      if (!h.released) this.holder.freeScratch(scratch);
    }
    return out;
  }

  async readRows(handle: Handle, name: string): Promise<AnyTypedArray> {
    const h = this.check(handle);
    await this.holder.kernels();
    const parts = Array.from({ length: h.shards }, (_, s) => travel(this.holder.read(h.key, s, name)));
    return concatInShardOrder(parts as Float32Array[]);
  }

  async writeRows(handle: Handle, name: string, values: AnyTypedArray): Promise<void> {
    const h = this.check(handle);
    if (values.length !== h.n) throw new SegkitError('E_SHAPE_MISMATCH', `per-row values "${name}" has ${values.length} values for ${h.n} rows`);
    await this.holder.kernels();
    for (let s = 0; s < h.shards; s++) {
      const r0 = s * h.shardRows;
      this.holder.write(h.key, s, name, travel(values.slice(r0, Math.min(h.n, r0 + h.shardRows))));
    }
  }

  async release(handle: Handle): Promise<void> {
    if (!(handle instanceof LoopbackHandle) || !this.handles.has(handle)) return;
    this.handles.delete(handle);
    handle.released = true;
    this.holder.drop(handle.key);
  }

  async close(): Promise<void> {
    for (const h of this.handles) h.released = true;
    this.handles.clear();
    this.holder.reset();
  }
}

/** Proves the seam remote-ready: every shard from its own encoded copy, every state and partial through bytes. */
export function loopbackExecutor(): Executor {
  return new LoopbackExecutor();
}
