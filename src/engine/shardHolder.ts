import { SegkitError } from '../util/errors.js';
import { Heap } from '../kernels/heap.js';
import { columnStride } from '../kernels/layout.js';
import { BYTES, Scratch, type AnyTypedArray, type DType, type KernelMemory, type RowBuffer, type Shard } from '../kernels/shard.js';
import { instantiateKernels } from '../kernels/wasm.js';
import { rowSpecs, runOp } from './heapExecutor.js';
import { kernelsFor, scratchNeed, type RowSpec, type ShardOp } from './shardOp.js';

/** What a holder knows of a handle: its shape, sent once with its first shard. */
export interface HeldLayout {
  readonly n: number;
  readonly d: number;
  readonly dtype: 'f32' | 'f64';
  readonly shardRows: number;
  readonly replicate: boolean;
}

/** One shard as a holder keeps it: its own copy of its rows (or a view of the whole copy), its own per-row buffers. */
interface HeldShard {
  readonly start: number;
  readonly rows: number;
  readonly x: number;
  readonly stride: number;
  readonly row0: number;
  readonly buffers: Map<string, RowBuffer>;
}

interface HeldHandle extends HeldLayout {
  readonly shards: Map<number, HeldShard>;
  all?: { x: number; stride: number; rows: number };
  /** A replicated handle's per-row buffers: they cover every row, and all its shards share them. */
  readonly shared: Map<string, RowBuffer>;
}

const typed = (type: DType, buf: ArrayBufferLike, ptr: number, length: number): AnyTypedArray =>
  type === 'f32' ? new Float32Array(buf, ptr, length) : type === 'f64' ? new Float64Array(buf, ptr, length) : new Int32Array(buf, ptr, length);
export const typeOfRows = (a: AnyTypedArray): DType => (a instanceof Float32Array ? 'f32' : a instanceof Float64Array ? 'f64' : 'i32');

/**
 * The holder side of a remote executor: shards received once (their rows, column-major), per-row buffers kept
 * between passes, ops run on request, all in one plain wasm memory of its own. The loopback executor keeps one
 * in the calling thread; each Web Worker of an executor without shared memory keeps one.
 */
export class ShardHolder {
  private local: Promise<{ heap: Heap; mem: KernelMemory }> | undefined;
  private readonly handles = new Map<number, HeldHandle>();

  private memory(): Promise<{ heap: Heap; mem: KernelMemory }> {
    return (this.local ??= (async () => {
      const heap = new Heap(false);
      return { heap, mem: { kernels: await instantiateKernels(heap.memory, false), memory: heap.memory } };
    })());
  }

  private handle(id: number): HeldHandle {
    const h = this.handles.get(id);
    if (!h) throw new SegkitError('E_CLOSED', 'the data was released, or its holder restarted');
    return h;
  }

  private open(id: number, layout: HeldLayout): HeldHandle {
    let h = this.handles.get(id);
    if (!h) {
      h = { ...layout, shards: new Map(), shared: new Map() };
      this.handles.set(id, h);
    }
    return h;
  }

  /** Copies `rows` rows of d columns (column-major, `rows` values each) into a fresh padded block. */
  private async copyIn(layout: HeldLayout, columns: readonly AnyTypedArray[], rows: number): Promise<{ x: number; stride: number }> {
    const { heap } = await this.memory();
    const b = BYTES[layout.dtype];
    const stride = columnStride(rows, b);
    const x = heap.alloc(b * stride * layout.d);
    columns.forEach((c, j) => {
      // only the padding is zeroed: a fresh block's first write is what costs (the pages are touched once)
      const col = typed(layout.dtype, heap.memory.buffer, x + b * j * stride, stride);
      col.set(c);
      col.fill(0, rows);
    });
    return { x, stride };
  }

  /** Receives shard `s` (rows [start, start + rows)) of handle `id`, with its per-row inputs. */
  async receiveShard(id: number, layout: HeldLayout, s: number, columns: readonly AnyTypedArray[], inputs: Readonly<Record<string, AnyTypedArray>>): Promise<void> {
    const h = this.open(id, layout);
    await this.releaseShard(id, s);
    const start = s * layout.shardRows;
    const rows = Math.min(layout.n, start + layout.shardRows) - start;
    const { x, stride } = await this.copyIn(layout, columns, rows);
    const shard: HeldShard = { start, rows, x, stride, row0: 0, buffers: new Map() };
    h.shards.set(s, shard);
    const { heap } = await this.memory();
    for (const [name, a] of Object.entries(inputs)) this.buffer(heap, h, shard, name, { type: typeOfRows(a) }).set(a);
  }

  /** Receives every row of a replicated handle, to run shards `shards` over it. */
  async receiveAll(id: number, layout: HeldLayout, shards: readonly number[], columns: readonly AnyTypedArray[], inputs: Readonly<Record<string, AnyTypedArray>>): Promise<void> {
    const h = this.open(id, layout);
    const { x, stride } = await this.copyIn(layout, columns, layout.n);
    h.all = { x, stride, rows: layout.n };
    for (const s of shards) {
      const start = s * layout.shardRows;
      h.shards.set(s, { start, rows: Math.min(layout.n, start + layout.shardRows) - start, x, stride, row0: start, buffers: h.shared });
    }
    const { heap } = await this.memory();
    for (const [name, a] of Object.entries(inputs)) this.setShared(heap, h, name, a);
  }

  private setShared(heap: Heap, h: HeldHandle, name: string, values: AnyTypedArray): void {
    this.sharedBuffer(heap, h, name, { type: typeOfRows(values) }).set(values);
  }

  /** A replicated handle's buffer of that name over all rows (created, filled, on first use). */
  private sharedBuffer(heap: Heap, h: HeldHandle, name: string, spec: RowSpec): AnyTypedArray {
    const width = spec.width ?? 1;
    const stride = h.all!.stride;
    let buf = h.shared.get(name);
    if (!buf || buf.type !== spec.type || buf.width !== width) {
      if (buf) heap.release(buf.ptr);
      buf = { ptr: heap.alloc(BYTES[spec.type] * stride * width), type: spec.type, width };
      typed(spec.type, heap.memory.buffer, buf.ptr, stride * width).fill(spec.fill ?? 0);
      h.shared.set(name, buf);
    }
    return typed(buf.type, heap.memory.buffer, buf.ptr, h.n * width);
  }

  /** The shard's buffer of that name (created and filled on first use), as a view of its rows. */
  private buffer(heap: Heap, h: HeldHandle, s: HeldShard, name: string, spec: RowSpec): AnyTypedArray {
    if (h.replicate) {
      const width = spec.width ?? 1;
      return this.sharedBuffer(heap, h, name, spec).subarray(s.start * width, (s.start + s.rows) * width);
    }
    const width = spec.width ?? 1;
    let buf = s.buffers.get(name);
    if (!buf || buf.type !== spec.type || buf.width !== width) {
      if (buf) heap.release(buf.ptr);
      buf = { ptr: heap.alloc(BYTES[spec.type] * s.stride * width), type: spec.type, width };
      typed(spec.type, heap.memory.buffer, buf.ptr, s.stride * width).fill(spec.fill ?? 0);
      s.buffers.set(name, buf);
    }
    return typed(buf.type, heap.memory.buffer, buf.ptr, s.rows * width);
  }

  /**
   * Runs `op` on each listed shard with the state `stateOf()` gives (a fresh decoding per shard, as separate
   * machines would see it), calling `done` with each partial. `pause` is awaited between shards: the caller's
   * chance to yield to its event loop and to stop.
   */
  async run<S, P>(
    op: ShardOp<S, P>, id: number, shards: readonly number[], stateOf: () => S,
    done: (s: number, partial: P) => void, pause: () => Promise<void>,
  ): Promise<void> {
    const h = this.handle(id);
    const { heap, mem } = await this.memory();
    await kernelsFor(op, mem);
    let scratch: Scratch | undefined;
    try {
      for (const s of shards) {
        const held = h.shards.get(s);
        if (!held) throw new SegkitError('E_EXECUTOR', `this holder has no shard ${s} of the data`);
        const state = stateOf();
        const specs = rowSpecs(op, state, h.d);
        if (specs) for (const [name, spec] of Object.entries(specs)) this.buffer(heap, h, held, name, spec);
        const need = scratchNeed(op, state, h.d, h.shardRows);
        if (!scratch || scratch.bytes < need) {
          if (scratch) heap.release(scratch.ptr);
          scratch = new Scratch(heap.alloc(need), need);
        }
        scratch.reset();
        const shard: Shard = {
          index: s, start: held.start, rows: held.rows, d: h.d, n: h.n, dtype: h.dtype, mem,
          x: held.x, stride: held.stride, row0: held.row0, all: h.all, buffers: held.buffers, scratch,
        };
        done(s, runOp(op, shard, state));
        await pause();
        if (!this.handles.has(id)) throw new SegkitError('E_CLOSED', 'the executor was closed while an operation was running');
      }
    } finally {
      if (scratch) heap.release(scratch.ptr);
    }
  }

  /** A copy of shard s's rows of a per-row buffer. */
  async readRows(id: number, name: string, s: number): Promise<AnyTypedArray> {
    const h = this.handle(id);
    const held = h.shards.get(s);
    const b = held?.buffers.get(name);
    if (!held || !b) throw new SegkitError('E_EXECUTOR', `the data has no per-row buffer "${name}"`);
    const { heap } = await this.memory();
    return typed(b.type, heap.memory.buffer, b.ptr + BYTES[b.type] * held.row0 * b.width, held.rows * b.width).slice();
  }

  /** Sets shard s's rows of a per-row buffer (width 1, the array's type). */
  async writeRows(id: number, name: string, s: number, values: AnyTypedArray): Promise<void> {
    const h = this.handle(id);
    const held = h.shards.get(s);
    if (!held) throw new SegkitError('E_EXECUTOR', `this holder has no shard ${s} of the data`);
    const { heap } = await this.memory();
    this.buffer(heap, h, held, name, { type: typeOfRows(values) }).set(values);
  }

  /** Sets a replicated handle's per-row buffer for every row. */
  async writeAll(id: number, name: string, values: AnyTypedArray): Promise<void> {
    const h = this.handle(id);
    const { heap } = await this.memory();
    this.setShared(heap, h, name, values);
  }

  /** Whether shard s of handle `id` is held here. */
  has(id: number, s: number): boolean {
    return !!this.handles.get(id)?.shards.has(s);
  }

  /** Frees one shard of a handle that is not replicated (a holder that must receive it again). */
  async releaseShard(id: number, s: number): Promise<void> {
    const h = this.handles.get(id);
    const held = h?.shards.get(s);
    if (!h || !held || h.replicate) return;
    h.shards.delete(s);
    const { heap } = await this.memory();
    heap.release(held.x);
    for (const b of held.buffers.values()) heap.release(b.ptr);
  }

  async release(id: number): Promise<void> {
    const h = this.handles.get(id);
    if (!h) return;
    this.handles.delete(id);
    const { heap } = await this.memory();
    const ptrs = new Set<number>();
    for (const s of h.shards.values()) {
      ptrs.add(s.x);
      for (const b of s.buffers.values()) ptrs.add(b.ptr);
    }
    for (const b of h.shared.values()) ptrs.add(b.ptr);
    for (const p of ptrs) heap.release(p);
  }

  /** Forgets every handle and the memory that held them. */
  clear(): void {
    this.handles.clear();
    this.local = undefined;
  }
}
