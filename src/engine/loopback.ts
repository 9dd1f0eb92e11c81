import { SegkitError, throwIfAborted } from '../util/errors.js';
import { Heap } from '../kernels/heap.js';
import { padRows } from '../kernels/layout.js';
import { BYTES, Scratch, type AnyTypedArray, type DType, type KernelMemory, type RowBuffer, type Shard } from '../kernels/shard.js';
import { instantiateKernels } from '../kernels/wasm.js';
import { decodeValue, encodeValue } from './codec.js';
import { mapShards, type Executor, type Handle, type LoadOptions, type MapOptions, type ShardSource } from './executor.js';
import { checkSource, now, runOp, yieldToEventLoop, YIELD_MS } from './heapExecutor.js';
import { concatInShardOrder } from './merge.js';
import { decodePartial, decodeState, encodePartial, encodeState, scratchNeed, type RowSpec, type ShardOp } from './shardOp.js';

/** One shard as a remote holder keeps it: its own copy of its rows, its own per-row buffers. */
interface HeldShard {
  readonly start: number;
  readonly rows: number;
  readonly x: number;
  readonly stride: number;
  readonly row0: number;
  readonly buffers: Map<string, RowBuffer>;
}

class LoopbackHandle implements Handle {
  readonly shards: number;
  released = false;
  held: HeldShard[] = [];
  all?: { x: number; stride: number; rows: number };
  constructor(readonly id: number, readonly n: number, readonly d: number, readonly dtype: 'f32' | 'f64', readonly shardRows: number, readonly replicate: boolean) {
    this.shards = Math.ceil(n / shardRows);
  }
}

let nextHandle = 1;

const typed = (type: DType, buf: ArrayBufferLike, ptr: number, length: number): AnyTypedArray =>
  type === 'f32' ? new Float32Array(buf, ptr, length) : type === 'f64' ? new Float64Array(buf, ptr, length) : new Int32Array(buf, ptr, length);
const typeOf = (a: AnyTypedArray): DType => (a instanceof Float32Array ? 'f32' : a instanceof Float64Array ? 'f64' : 'i32');

/**
 * Runs every shard on the calling thread as a holder on another machine would: each shard is loaded from its own
 * encoded copy, and every state and partial goes through its byte encoding and back. An op that gives the same
 * bytes here as inline runs unchanged in Web Workers, on other processes and on other machines.
 */
class LoopbackExecutor implements Executor {
  readonly kind = 'loopback';
  readonly threads = 1;
  private remote: Promise<{ heap: Heap; mem: KernelMemory }> | undefined;
  private handles = new Set<LoopbackHandle>();

  private holder(): Promise<{ heap: Heap; mem: KernelMemory }> {
    return (this.remote ??= (async () => {
      const heap = new Heap(false);
      return { heap, mem: { kernels: await instantiateKernels(heap.memory, false), memory: heap.memory } };
    })());
  }

  private check(h: Handle): LoopbackHandle {
    if (!(h instanceof LoopbackHandle) || !this.handles.has(h)) throw new SegkitError('E_CLOSED', 'the data was released, its executor closed, or it belongs to another executor');
    return h;
  }

  async load(source: ShardSource, options: LoadOptions = {}): Promise<Handle> {
    throwIfAborted(options.signal);
    const { n, d, dtype, shardRows } = checkSource(source, options);
    const { heap } = await this.holder();
    const h = new LoopbackHandle(nextHandle++, n, d, dtype, shardRows, !!options.replicate);
    this.handles.add(h);
    const b = BYTES[dtype];
    // what travels: the rows of one shard (or, replicated, of all), as bytes
    const receive = (r0: number, r1: number): { x: number; stride: number; inputs: Record<string, AnyTypedArray> } => {
      const msg = decodeValue(encodeValue({
        columns: source.columns.map((c) => c.slice(r0, r1)),
        inputs: Object.fromEntries(Object.entries(source.rows ?? {}).map(([k, a]) => [k, a.slice(r0, r1)])),
      })) as { columns: AnyTypedArray[]; inputs: Record<string, AnyTypedArray> };
      const stride = padRows(r1 - r0);
      const x = heap.alloc(b * stride * d);
      msg.columns.forEach((c, j) => typed(dtype, heap.memory.buffer, x + b * j * stride, stride).fill(0).set(c));
      return { x, stride, inputs: msg.inputs };
    };
    try {
      if (h.replicate) {
        const whole = receive(0, n);
        h.all = { x: whole.x, stride: whole.stride, rows: n };
        for (let s = 0; s < h.shards; s++) {
          const start = s * shardRows;
          h.held.push({ start, rows: Math.min(n, start + shardRows) - start, x: whole.x, stride: whole.stride, row0: start, buffers: new Map() });
        }
        this.setInputs(heap, h, whole.inputs);
      } else {
        for (let s = 0; s < h.shards; s++) {
          const start = s * shardRows, end = Math.min(n, start + shardRows);
          const got = receive(start, end);
          const shard: HeldShard = { start, rows: end - start, x: got.x, stride: got.stride, row0: 0, buffers: new Map() };
          h.held.push(shard);
          for (const [name, a] of Object.entries(got.inputs)) this.buffer(heap, shard, name, { type: typeOf(a) }).set(a);
        }
      }
    } catch (e) {
      await this.release(h);
      throw e;
    }
    return h;
  }

  // a replicated handle's buffers cover every row once; all its shards share them
  private setInputs(heap: Heap, h: LoopbackHandle, inputs: Record<string, AnyTypedArray>): void {
    for (const [name, a] of Object.entries(inputs)) {
      const first = h.held[0];
      this.buffer(heap, { ...first, rows: h.n, row0: 0, stride: h.all!.stride }, name, { type: typeOf(a) }).set(a);
      for (const s of h.held) s.buffers.set(name, first.buffers.get(name)!);
    }
  }

  /** The shard's buffer of that name (created and filled on first use), as a view of its rows. */
  private buffer(heap: Heap, s: HeldShard, name: string, spec: RowSpec): AnyTypedArray {
    const width = spec.width ?? 1;
    let buf = s.buffers.get(name);
    if (!buf || buf.type !== spec.type || buf.width !== width) {
      if (buf) heap.release(buf.ptr);
      buf = { ptr: heap.alloc(BYTES[spec.type] * s.stride * width), type: spec.type, width };
      typed(spec.type, heap.memory.buffer, buf.ptr, s.stride * width).fill(spec.fill ?? 0);
      s.buffers.set(name, buf);
    }
    return typed(buf.type, heap.memory.buffer, buf.ptr + BYTES[buf.type] * s.row0 * width, s.rows * width);
  }

  async map<S, P>(op: ShardOp<S, P>, handle: Handle, state: S, options: MapOptions = {}): Promise<P[]> {
    const h = this.check(handle);
    throwIfAborted(options.signal);
    const list = mapShards(h, options.shards);
    const { heap, mem } = await this.holder();
    const sent = encodeState(op, state);
    const need = scratchNeed(op, state, h.d, h.shardRows);
    const ptr = heap.alloc(need);
    const scratch = new Scratch(ptr, need);
    const out: P[] = [];
    let last = now();
    try {
      for (const s of list) {
        const got = decodeState(op, sent);
        const held = h.held[s];
        const specs = op.rows?.(got, h.d);
        if (specs) {
          for (const [name, spec] of Object.entries(specs)) {
            if (h.replicate) {
              if (!held.buffers.has(name)) {
                this.buffer(heap, { ...held, rows: h.n, row0: 0 }, name, spec);
                for (const o of h.held) o.buffers.set(name, held.buffers.get(name)!);
              }
            } else {
              this.buffer(heap, held, name, spec);
            }
          }
        }
        scratch.reset();
        const shard: Shard = {
          index: s, start: held.start, rows: held.rows, d: h.d, n: h.n, dtype: h.dtype, mem,
          x: held.x, stride: held.stride, row0: held.row0, all: h.all, buffers: held.buffers, scratch,
        };
        const partial = runOp(op, shard, got);
        out.push(decodePartial(op, encodePartial(op, partial)));
        if (now() - last >= YIELD_MS) {
          await yieldToEventLoop();
          if (h.released) throw new SegkitError('E_CLOSED', 'the executor was closed while an operation was running');
          throwIfAborted(options.signal);
          last = now();
        }
      }
    } finally {
      if (!h.released) heap.release(ptr);
    }
    return out;
  }

  async readRows(handle: Handle, name: string): Promise<AnyTypedArray> {
    const h = this.check(handle);
    const { heap } = await this.holder();
    const parts = h.held.map((s) => {
      const b = s.buffers.get(name);
      if (!b) throw new SegkitError('E_EXECUTOR', `the data has no per-row buffer "${name}"`);
      const rows = typed(b.type, heap.memory.buffer, b.ptr + BYTES[b.type] * s.row0 * b.width, s.rows * b.width);
      return decodeValue(encodeValue(rows.slice())) as AnyTypedArray;
    });
    return concatInShardOrder(parts as Float32Array[]);
  }

  async writeRows(handle: Handle, name: string, values: AnyTypedArray): Promise<void> {
    const h = this.check(handle);
    if (values.length !== h.n) throw new SegkitError('E_SHAPE_MISMATCH', `per-row values "${name}" has ${values.length} values for ${h.n} rows`);
    const { heap } = await this.holder();
    if (h.replicate) {
      this.setInputs(heap, h, { [name]: decodeValue(encodeValue(values.slice())) as AnyTypedArray });
      return;
    }
    for (const s of h.held) {
      const part = decodeValue(encodeValue(values.slice(s.start, s.start + s.rows))) as AnyTypedArray;
      this.buffer(heap, s, name, { type: typeOf(part) }).set(part);
    }
  }

  async release(handle: Handle): Promise<void> {
    if (!(handle instanceof LoopbackHandle) || !this.handles.has(handle)) return;
    this.handles.delete(handle);
    handle.released = true;
    const { heap } = await this.holder();
    const ptrs = new Set<number>();
    for (const s of handle.held) {
      ptrs.add(s.x);
      for (const b of s.buffers.values()) ptrs.add(b.ptr);
    }
    for (const p of ptrs) heap.release(p);
    handle.held = [];
  }

  async close(): Promise<void> {
    for (const h of this.handles) h.released = true;
    this.handles.clear();
    this.remote = undefined;
  }
}

/** Proves the seam remote-ready: every shard from its own encoded copy, every state and partial through bytes. */
export function loopbackExecutor(): Executor {
  return new LoopbackExecutor();
}
