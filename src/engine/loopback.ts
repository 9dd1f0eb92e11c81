import { SegkitError, throwIfAborted } from '../util/errors.js';
import type { AnyTypedArray } from '../kernels/shard.js';
import { decodeValue, encodeValue } from './codec.js';
import { checkRowValues, mapShards, readInto, type Executor, type Handle, type LoadOptions, type MapOptions, type ReadOptions, type ShardSource } from './executor.js';
import { checkSource, now, YIELD_MS } from './heapExecutor.js';
import { yieldToEventLoop } from '../util/eventLoop.js';
import { concatInShardOrder } from './merge.js';
import { ShardHolder } from './shardHolder.js';
import { decodePartial, decodeState, encodePartial, encodeState, type ShardOp } from './shardOp.js';

class LoopbackHandle implements Handle {
  readonly shards: number;
  released = false;
  constructor(readonly id: number, readonly n: number, readonly d: number, readonly dtype: 'f32' | 'f64', readonly shardRows: number, readonly replicate: boolean) {
    this.shards = Math.ceil(n / shardRows);
  }
  rowsOf(s: number): [number, number] {
    const start = s * this.shardRows;
    return [start, Math.min(this.n, start + this.shardRows)];
  }
}

let nextHandle = 1;

/** A value as the other side of a wire sees it: encoded to bytes and decoded again. */
const overTheWire = <T>(v: T): T => decodeValue(encodeValue(v)) as T;

/**
 * Runs every shard on the calling thread as a holder on another machine would: each shard is loaded from its own
 * encoded copy, and every state and partial goes through its byte encoding and back. An op that gives the same
 * bytes here as inline runs unchanged in Web Workers, on other processes and on other machines.
 */
class LoopbackExecutor implements Executor {
  readonly kind = 'loopback';
  readonly threads = 1;
  private readonly holder = new ShardHolder();
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
    const layout = { n, d, dtype, shardRows, replicate: h.replicate };
    // what travels: the rows of one shard (or, replicated, of all), as bytes
    const send = (r0: number, r1: number) => overTheWire({
      columns: source.columns.map((c) => c.slice(r0, r1)),
      inputs: Object.fromEntries(Object.entries(source.rows ?? {}).map(([k, a]) => [k, a.slice(r0, r1)])),
    }) as { columns: AnyTypedArray[]; inputs: Record<string, AnyTypedArray> };
    const live = () => {
      if (h.released) throw new SegkitError('E_CLOSED', 'the executor was closed while data was being loaded', 'close() only after every load, fit and scan has finished');
    };
    try {
      if (h.replicate) {
        const whole = send(0, n);
        await this.holder.receiveAll(h.id, layout, mapShards(h), whole.columns, whole.inputs);
        live();
      } else {
        for (let s = 0; s < h.shards; s++) {
          live();
          const got = send(...h.rowsOf(s));
          await this.holder.receiveShard(h.id, layout, s, got.columns, got.inputs);
        }
        live();
      }
    } catch (e) {
      await this.release(h);
      // closed meanwhile, the holder took the rest of the rows into its new memory: they go too
      await this.holder.release(h.id);
      throw e;
    }
    return h;
  }

  async map<S, P>(op: ShardOp<S, P>, handle: Handle, state: S, options: MapOptions = {}): Promise<P[]> {
    const h = this.check(handle);
    throwIfAborted(options.signal);
    const list = mapShards(h, options.shards);
    const sent = encodeState(op, state);
    const out: P[] = [];
    let last = now();
    await this.holder.run(op, h.id, list, () => decodeState(op, sent), (_, partial) => out.push(decodePartial(op, encodePartial(op, partial))), async () => {
      if (now() - last < YIELD_MS) return;
      await yieldToEventLoop();
      if (h.released) throw new SegkitError('E_CLOSED', 'the executor was closed while an operation was running');
      throwIfAborted(options.signal);
      last = now();
    });
    return out;
  }

  async readRows(handle: Handle, name: string, options: ReadOptions = {}): Promise<AnyTypedArray> {
    const h = this.check(handle);
    const parts: AnyTypedArray[] = [];
    for (let s = 0; s < h.shards; s++) parts.push(overTheWire(await this.holder.readRows(h.id, name, s)));
    return readInto(concatInShardOrder(parts as Float32Array[]), options.into, name);
  }

  async writeRows(handle: Handle, name: string, values: AnyTypedArray): Promise<void> {
    const h = this.check(handle);
    checkRowValues(name, values, h.n);
    if (h.replicate) return this.holder.writeAll(h.id, name, overTheWire(values.slice()));
    for (let s = 0; s < h.shards; s++) await this.holder.writeRows(h.id, name, s, overTheWire(values.slice(...h.rowsOf(s))));
  }

  async release(handle: Handle): Promise<void> {
    if (!(handle instanceof LoopbackHandle) || !this.handles.has(handle)) return;
    this.handles.delete(handle);
    handle.released = true;
    await this.holder.release(handle.id);
  }

  async close(): Promise<void> {
    for (const h of this.handles) h.released = true;
    this.handles.clear();
    this.holder.clear();
  }
}

/** Proves the seam remote-ready: every shard from its own encoded copy, every state and partial through bytes. */
export function loopbackExecutor(): Executor {
  return new LoopbackExecutor();
}
