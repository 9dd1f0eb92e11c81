import { SegkitError } from '../util/errors.js';
import { Heap } from '../kernels/heap.js';
import { padRows } from '../kernels/layout.js';
import { BYTES, Scratch, type AnyTypedArray, type DType, type KernelMemory, type RowBuffer, type Shard } from '../kernels/shard.js';
import { instantiateKernels } from '../kernels/wasm.js';
import { runOp } from './heapExecutor.js';
import type { RowSpec, ShardOp } from './shardOp.js';

/** What a holder needs to know of a loaded handle. */
export interface HeldShape {
  readonly n: number;
  readonly d: number;
  readonly dtype: 'f32' | 'f64';
  readonly shardRows: number;
  readonly replicate: boolean;
}

/** One shard as its holder keeps it: its own copy of its rows (or a view of all rows, replicated), its per-row buffers. */
interface HeldShard {
  readonly start: number;
  readonly rows: number;
  readonly x: number;
  readonly stride: number;
  readonly row0: number;
  readonly buffers: Map<string, RowBuffer>;
}

interface HeldData {
  readonly shape: HeldShape;
  readonly shards: (HeldShard | undefined)[];
  all?: { x: number; stride: number; rows: number };
}

const typed = (type: DType, buf: ArrayBufferLike, ptr: number, length: number): AnyTypedArray =>
  type === 'f32' ? new Float32Array(buf, ptr, length) : type === 'f64' ? new Float64Array(buf, ptr, length) : new Int32Array(buf, ptr, length);
export const typeOf = (a: AnyTypedArray): DType => (a instanceof Float32Array ? 'f32' : a instanceof Float64Array ? 'f64' : 'i32');

/**
 * Keeps shards in a wasm memory of its own, as a machine that holds part of a dataset does: each shard's rows and
 * its per-row buffers (labels, bounds, ...) between passes, and runs registered shard ops on them. The loopback
 * executor holds its shards here on the calling thread; a BullMQ worker is the same holder in another process.
 */
export class ShardHolder {
  private ready: Promise<{ heap: Heap; mem: KernelMemory }> | undefined;
  private memory: { heap: Heap; mem: KernelMemory } | undefined;
  private readonly data = new Map<string, HeldData>();

  /** The holder's memory and kernels (created on first use). */
  kernels(): Promise<{ heap: Heap; mem: KernelMemory }> {
    return (this.ready ??= (async () => {
      const heap = new Heap(false);
      this.memory = { heap, mem: { kernels: await instantiateKernels(heap.memory, false), memory: heap.memory } };
      return this.memory;
    })());
  }

  private now(): { heap: Heap; mem: KernelMemory } {
    if (!this.memory) throw new SegkitError('E_CLOSED', 'the shard holder has no memory yet (await kernels() first)');
    return this.memory;
  }

  /** Bytes held for data and per-row buffers. */
  get bytes(): number {
    return this.memory?.heap.used ?? 0;
  }

  has(key: string, s: number): boolean {
    return !!this.data.get(key)?.shards[s];
  }

  /** Takes one shard's rows (float columns and per-row inputs, `rows` values each), copying them into this memory. */
  async hold(key: string, shape: HeldShape, s: number, columns: readonly AnyTypedArray[], inputs: Readonly<Record<string, AnyTypedArray>>): Promise<void> {
    if (shape.replicate) throw new SegkitError('E_EXECUTOR', 'a replicated handle is held whole (holdAll)');
    const { heap } = await this.kernels();
    const start = s * shape.shardRows, end = Math.min(shape.n, start + shape.shardRows);
    const held = this.entry(key, shape);
    this.dropShard(key, s);
    const { x, stride } = this.copyColumns(heap, shape, columns, end - start);
    const shard: HeldShard = { start, rows: end - start, x, stride, row0: 0, buffers: new Map() };
    held.shards[s] = shard;
    for (const [name, a] of Object.entries(inputs)) this.buffer(heap, shard, name, { type: typeOf(a) }).set(a);
  }

  /** Takes every row of a replicated handle: each shard is a view of them, and per-row buffers cover every row. */
  async holdAll(key: string, shape: HeldShape, columns: readonly AnyTypedArray[], inputs: Readonly<Record<string, AnyTypedArray>>): Promise<void> {
    const { heap } = await this.kernels();
    this.drop(key);
    const held = this.entry(key, shape);
    const { x, stride } = this.copyColumns(heap, shape, columns, shape.n);
    held.all = { x, stride, rows: shape.n };
    const shared = new Map<string, RowBuffer>();
    const count = Math.ceil(shape.n / shape.shardRows);
    for (let s = 0; s < count; s++) {
      const start = s * shape.shardRows;
      held.shards[s] = { start, rows: Math.min(shape.n, start + shape.shardRows) - start, x, stride, row0: start, buffers: shared };
    }
    const whole: HeldShard = { start: 0, rows: shape.n, x, stride, row0: 0, buffers: shared };
    for (const [name, a] of Object.entries(inputs)) this.buffer(heap, whole, name, { type: typeOf(a) }).set(a);
  }

  private entry(key: string, shape: HeldShape): HeldData {
    let held = this.data.get(key);
    if (!held) {
      held = { shape, shards: [] };
      this.data.set(key, held);
    }
    return held;
  }

  private copyColumns(heap: Heap, shape: HeldShape, columns: readonly AnyTypedArray[], rows: number): { x: number; stride: number } {
    const b = BYTES[shape.dtype];
    const stride = padRows(rows);
    const x = heap.alloc(b * stride * shape.d);
    columns.forEach((c, j) => {
      if (c.length !== rows || typeOf(c) !== shape.dtype) throw new SegkitError('E_EXECUTOR', `column ${j} of a shard has ${c.length} ${typeOf(c)} values, expected ${rows} ${shape.dtype}`);
      const col = typed(shape.dtype, heap.memory.buffer, x + b * j * stride, stride);
      col.set(c);
      col.fill(0, rows);
    });
    return { x, stride };
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

  private shard(key: string, s: number): { held: HeldData; shard: HeldShard } {
    const held = this.data.get(key);
    const shard = held?.shards[s];
    if (!held || !shard) throw new SegkitError('E_EXECUTOR', `shard ${s} is not held here`);
    return { held, shard };
  }

  /** Scratch memory for shard runs (released with `freeScratch`). */
  scratch(bytes: number): Scratch {
    return new Scratch(this.now().heap.alloc(bytes), bytes);
  }

  freeScratch(scratch: Scratch): void {
    this.memory?.heap.release(scratch.ptr);
  }

  /** Runs a registered op on one held shard, creating the per-row buffers it declares. */
  run<S, P>(key: string, s: number, op: ShardOp<S, P>, state: S, scratch: Scratch): P {
    const { heap, mem } = this.now();
    const { held, shard } = this.shard(key, s);
    const { shape } = held;
    const specs = op.rows?.(state, shape.d);
    if (specs) {
      for (const [name, spec] of Object.entries(specs)) {
        if (shape.replicate) {
          // one buffer over every row, shared by the handle's shards
          if (!shard.buffers.has(name)) this.buffer(heap, { ...shard, rows: shape.n, row0: 0, stride: held.all!.stride }, name, spec);
        } else {
          this.buffer(heap, shard, name, spec);
        }
      }
    }
    scratch.reset();
    const view: Shard = {
      index: s, start: shard.start, rows: shard.rows, d: shape.d, n: shape.n, dtype: shape.dtype, mem,
      x: shard.x, stride: shard.stride, row0: shard.row0, all: held.all, buffers: shard.buffers, scratch,
    };
    return runOp(op, view, state);
  }

  /** A copy of the shard's rows of a per-row buffer (width values per row). */
  read(key: string, s: number, name: string): AnyTypedArray {
    const { heap } = this.now();
    const { shard } = this.shard(key, s);
    const b = shard.buffers.get(name);
    if (!b) throw new SegkitError('E_EXECUTOR', `the data has no per-row buffer "${name}"`);
    return typed(b.type, heap.memory.buffer, b.ptr + BYTES[b.type] * shard.row0 * b.width, shard.rows * b.width).slice();
  }

  /** Sets the shard's rows of a per-row buffer (width 1, the values' type) from one value per row of the shard. */
  write(key: string, s: number, name: string, values: AnyTypedArray): void {
    const { heap } = this.now();
    const { held, shard } = this.shard(key, s);
    if (values.length !== shard.rows) throw new SegkitError('E_SHAPE_MISMATCH', `per-row values "${name}" has ${values.length} values for the ${shard.rows} rows of shard ${s}`);
    if (held.shape.replicate) {
      const whole = { ...shard, rows: held.shape.n, row0: 0 };
      this.buffer(heap, whole, name, { type: typeOf(values) }).set(values, shard.start);
    } else {
      this.buffer(heap, shard, name, { type: typeOf(values) }).set(values);
    }
  }

  /** Frees one shard of a handle that is not replicated. */
  dropShard(key: string, s: number): void {
    const held = this.data.get(key);
    const shard = held?.shards[s];
    if (!held || !shard || held.shape.replicate) return;
    const heap = this.memory?.heap;
    heap?.release(shard.x);
    for (const b of shard.buffers.values()) heap?.release(b.ptr);
    held.shards[s] = undefined;
  }

  /** Frees everything held for a handle. */
  drop(key: string): void {
    const held = this.data.get(key);
    if (!held) return;
    this.data.delete(key);
    const heap = this.memory?.heap;
    if (!heap) return;
    const ptrs = new Set<number>();
    if (held.all) ptrs.add(held.all.x);
    for (const s of held.shards) {
      if (!s) continue;
      ptrs.add(s.x);
      for (const b of s.buffers.values()) ptrs.add(b.ptr);
    }
    for (const p of ptrs) heap.release(p);
  }

  /** Keys of the handles held. */
  keys(): string[] {
    return [...this.data.keys()];
  }

  /** Forgets everything; the next use starts a fresh memory (the old one is left to the garbage collector). */
  reset(): void {
    this.data.clear();
    this.ready = undefined;
    this.memory = undefined;
  }
}
