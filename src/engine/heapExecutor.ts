import { SegkitError, badOption, describe, throwIfAborted } from '../util/errors.js';
import { yieldToEventLoop } from '../util/eventLoop.js';
import { Heap } from '../kernels/heap.js';
import { columnStride, SHARD_ROWS } from '../kernels/layout.js';
import { BYTES, Scratch, type AnyTypedArray, type DType, type KernelMemory, type RowBuffer, type Shard } from '../kernels/shard.js';
import { instantiateKernels } from '../kernels/wasm.js';
import { checkRowValues, mapShards, readInto, type Executor, type GatherOptions, type Handle, type LoadOptions, type MapOptions, type ReadOptions, type ShardSource } from './executor.js';
import { kernelsFor, scratchNeed, type RowSpec, type ShardOp } from './shardOp.js';
import { GATHER_ROWS } from '../kernels/rowMajor.js';
import { copyGathered, type GatherPlan } from './gatherCopy.js';

/** What a thread needs to see a handle's shards in a memory it shares: plain numbers, sent with every task. */
export interface HandleLayout {
  readonly n: number;
  readonly d: number;
  readonly dtype: 'f32' | 'f64';
  readonly shardRows: number;
  readonly replicate: boolean;
  readonly x: number;
  readonly stride: number;
  readonly buffers: readonly (readonly [string, RowBuffer])[];
}

/** The ready count of a pass whose rows are all in memory. */
export const READY_ALL = 0x7fffffff;

/** Raises a pass's stop flag and wakes any thread waiting for rows. */
export function raiseStop(ctl: Int32Array): void {
  Atomics.store(ctl, 1, 1);
  Atomics.store(ctl, 2, READY_ALL);
  Atomics.notify(ctl, 2);
}

/** Shard s of a matrix laid out whole in one memory (every shard is a view: rows [s * shardRows, ...)). */
export function layoutShard(l: HandleLayout, s: number, mem: KernelMemory, scratch: Scratch, buffers: ReadonlyMap<string, RowBuffer>): Shard {
  const start = s * l.shardRows;
  return {
    index: s, start, rows: Math.min(l.n, start + l.shardRows) - start, d: l.d, n: l.n, dtype: l.dtype, mem,
    x: l.x, stride: l.stride, row0: start,
    all: l.replicate ? { x: l.x, stride: l.stride, rows: l.n } : undefined,
    buffers, scratch,
  };
}

export class HeapHandle implements Handle {
  readonly id: number;
  readonly shards: number;
  readonly buffers = new Map<string, RowBuffer>();
  released = false;
  /** Stop flags of the passes running on other threads: released, the handle keeps its memory until they end. */
  readonly passes = new Set<Int32Array>();
  /** Its memory has been let go (once: a block freed twice could be another handle's by then). */
  freed = false;
  /** Made by `scanAndMap`: the rows are not all in memory, only the per-row outputs of its op. */
  rowsAbsent = false;
  /** `stride`: rows allocated per column at `x` (and per per-row buffer), as the rows were laid out. */
  constructor(
    id: number, readonly n: number, readonly d: number, readonly dtype: 'f32' | 'f64',
    readonly shardRows: number, readonly replicate: boolean, readonly x: number, readonly stride: number,
  ) {
    this.id = id;
    this.shards = Math.ceil(n / shardRows);
  }
  layout(): HandleLayout {
    return { n: this.n, d: this.d, dtype: this.dtype, shardRows: this.shardRows, replicate: this.replicate, x: this.x, stride: this.stride, buffers: [...this.buffers] };
  }
}

const typeOf = (a: AnyTypedArray): DType => (a instanceof Float32Array ? 'f32' : a instanceof Float64Array ? 'f64' : 'i32');

/** Checks a load: equal-length columns of the requested type, at least one row, per-row inputs of the same length. */
export function checkSource(source: ShardSource, options: LoadOptions): { n: number; d: number; dtype: 'f32' | 'f64'; shardRows: number } {
  const dtype = options.dtype ?? 'f32';
  if (dtype !== 'f32' && dtype !== 'f64') throw badOption('dtype', dtype, '"f32" or "f64"');
  const shardRows = checkShardRows(options.shardRows);
  const cols = source?.columns;
  if (!Array.isArray(cols)) throw new SegkitError('E_EXECUTOR', `the data to load must be { columns: [...] }, got ${describe(source)}${source ? ` with columns ${describe(cols)}` : ''}`);
  if (!cols.length) throw new SegkitError('E_EMPTY_DATA', 'there are no columns to load');
  const n = cols[0]?.length;
  for (const c of cols) {
    if ((dtype === 'f32') !== c instanceof Float32Array || (dtype === 'f64') !== c instanceof Float64Array) {
      throw new SegkitError('E_EXECUTOR', `columns to load must be ${dtype === 'f32' ? 'Float32Array' : 'Float64Array'}`);
    }
    if (c.length !== n) throw new SegkitError('E_SHAPE_MISMATCH', `columns to load have ${n} and ${c.length} rows`);
  }
  if (n === 0) throw new SegkitError('E_EMPTY_DATA', 'there are no rows to load');
  for (const [name, a] of Object.entries(source.rows ?? {})) checkRowValues(name, a, n);
  return { n, d: cols.length, dtype, shardRows };
}

/** Rows per shard of a load or a gather: a positive multiple of 16 (default 65,536). */
function checkShardRows(shardRows = SHARD_ROWS): number {
  if (!Number.isInteger(shardRows) || shardRows < 16 || shardRows % 16 !== 0) {
    throw new SegkitError('E_BAD_OPTION', `option "shardRows" must be a positive multiple of 16, got ${shardRows}`);
  }
  return shardRows;
}

let nextHandle = 1;

/**
 * An executor whose shards all live in one wasm memory of this process: the inline executor (one thread) and the
 * piscina pool (a shared memory). Loading copies the caller's columns in once; passes copy nothing.
 */
export abstract class HeapExecutor implements Executor {
  abstract readonly kind: string;
  abstract readonly threads: number;
  protected heapAndKernels: Promise<{ heap: Heap; mem: KernelMemory }> | undefined;
  protected handles = new Set<HeapHandle>();
  protected closing = 0;

  constructor(protected readonly shared: boolean) {}

  /**
   * When shards on the calling thread last let the event loop run: kept across passes, because a fit of many short
   * passes (each well under YIELD_MS) that resolve without a macrotask would otherwise never let a timer or an abort in.
   */
  private lastTurn = now();

  /** The memory this executor loads into now (close() lets it go; the next use makes another). */
  protected liveHeap: Heap | undefined;

  protected local(): Promise<{ heap: Heap; mem: KernelMemory }> {
    return (this.heapAndKernels ??= (async () => {
      const heap = new Heap(this.shared);
      this.liveHeap = heap;
      const kernels = await instantiateKernels(heap.memory, this.shared);
      return { heap, mem: { kernels, memory: heap.memory } };
    })());
  }

  /** The memory to load into: closed while it was being made, loading into it would hand out a dead handle. */
  protected async liveLocal(): Promise<{ heap: Heap; mem: KernelMemory }> {
    const local = await this.local();
    if (local.heap !== this.liveHeap) throw new SegkitError('E_CLOSED', 'the executor was closed while data was being loaded', 'close() only after every load, fit and scan has finished');
    return local;
  }

  /** Touches never-written memory [from, to) before a load copies into it (the pool shares the first touches out). */
  protected async prefault(_heap: Heap, _from: number, _to: number): Promise<void> {}

  protected checkHandle(h: Handle): HeapHandle {
    if (!(h instanceof HeapHandle) || !this.handles.has(h)) {
      throw new SegkitError('E_CLOSED', (h as HeapHandle).released ? 'the data was released (or its executor closed)' : 'the handle was loaded by another executor');
    }
    return h;
  }

  /**
   * Checks a load and makes its handle and memory (never-written pages touched first, unless `untouched`; no room
   * for the columns with `none`) with the per-row inputs in it; the columns are copied by `copyRows`. On failure the
   * handle is let go.
   */
  protected async beginLoad(source: ShardSource, options: LoadOptions, columns: 'touched' | 'untouched' | 'none' = 'touched'): Promise<{ h: HeapHandle; heap: Heap }> {
    throwIfAborted(options.signal);
    const { n, d, dtype, shardRows } = checkSource(source, options);
    const { heap } = await this.liveLocal();
    const b = BYTES[dtype];
    const stride = columnStride(n, b);
    const reached = heap.reached;
    // without columns (a scan that reads every row from its source), a token block
    const x = heap.alloc(columns === 'none' ? 16 : b * stride * d);
    const h = new HeapHandle(nextHandle++, n, d, dtype, shardRows, !!options.replicate, x, stride);
    this.handles.add(h);
    try {
      // pages beyond everything handed out before have never been written: their first touch is the costly part
      const end = x + b * stride * d;
      // a scan copies some shards in, each touching its own pages as it goes
      if (columns === 'touched' && end > reached) {
        await this.prefault(heap, Math.max(x, reached), end);
        this.checkRunning(h, options.signal);
      }
      for (const [name, a] of Object.entries(source.rows ?? {})) {
        const buf = this.ensureBuffer(heap, h, name, { type: typeOf(a), width: 1 })!;
        this.view(heap, buf, stride).set(a);
      }
    } catch (e) {
      await this.release(h);
      throw e;
    }
    return { h, heap };
  }

  /** Copies rows [r0, r1) of every column into the handle's memory; the last rows also zero the padding after them. */
  protected copyRows(heap: Heap, h: HeapHandle, source: ShardSource, r0: number, r1: number): void {
    const b = BYTES[h.dtype];
    const end = r1 === h.n ? h.stride : r1;
    for (let j = 0; j < h.d; j++) {
      const at = h.x + b * (j * h.stride + r0);
      const col = h.dtype === 'f32' ? heap.f32(at, end - r0) : heap.f64(at, end - r0);
      const src = source.columns[j];
      col.set(r0 === 0 && r1 === src.length ? src : src.subarray(r0, r1));
      col.fill(0, r1 - r0);
    }
  }

  async load(source: ShardSource, options: LoadOptions = {}): Promise<Handle> {
    const { h, heap } = await this.beginLoad(source, options);
    try {
      this.copyRows(heap, h, source, 0, h.n);
    } catch (e) {
      await this.release(h);
      throw e;
    }
    return h;
  }

  /**
   * Rows drawn from a loaded handle into a new one, copied inside the memory (the caller's thread never holds
   * them): the columns as stored, bit for bit, and the `weights` input.
   */
  async gather(handle: Handle, rows: Int32Array, options: GatherOptions = {}): Promise<Handle> {
    const src = this.withRows(handle);
    throwIfAborted(options.signal);
    const shardRows = checkShardRows(options.shardRows);
    if (!(rows instanceof Int32Array)) throw new SegkitError('E_BAD_OPTION', 'the rows to gather must be an Int32Array of row numbers');
    const n = rows.length;
    if (n === 0) throw new SegkitError('E_EMPTY_DATA', 'there are no rows to gather');
    for (let q = 0; q < n; q++) {
      if (!(rows[q] >= 0 && rows[q] < src.n)) throw new SegkitError('E_EXECUTOR', `row ${rows[q]} to gather is not one of the ${src.n} rows`);
    }
    const local = await this.liveLocal();
    const { heap } = local;
    this.checkRunning(src, options.signal);
    const b = BYTES[src.dtype], stride = columnStride(n, b);
    const reached = heap.reached;
    const x = heap.alloc(b * stride * src.d);
    const h = new HeapHandle(nextHandle++, n, src.d, src.dtype, shardRows, false, x, stride);
    this.handles.add(h);
    let rowsAt = -1;
    try {
      const end = x + b * stride * src.d;
      if (end > reached) await this.prefault(heap, Math.max(x, reached), end);
      this.checkRunning(h, options.signal);
      this.checkRunning(src, options.signal);
      const buffers: [number, number, number][] = [];
      const w = src.buffers.get('weights');
      if (w) {
        const to = this.ensureBuffer(heap, h, 'weights', { type: w.type, width: w.width })!;
        buffers.push([w.ptr, to.ptr, BYTES[w.type] * w.width]);
      }
      rowsAt = heap.alloc(4 * n);
      heap.i32(rowsAt, n).set(rows);
      const plan: GatherPlan = { n, rows: rowsAt, d: src.d, bytes: b as 4 | 8, srcX: src.x, srcStride: src.stride, dstX: x, dstStride: stride, buffers };
      const byRow = src.buffers.get(GATHER_ROWS);
      if (byRow && byRow.type === 'f32' && byRow.width === src.d && src.dtype === 'f32') plan.srcRows = byRow.ptr;
      await this.copyGatheredRows(local, plan, !!options.aside);
      this.checkRunning(h, options.signal);
      this.checkRunning(src, options.signal);
      // the padding after the last row is zero, as a load leaves it
      for (let j = 0; j < src.d; j++) (b === 4 ? heap.f32(x + b * (j * stride + n), stride - n) : heap.f64(x + b * (j * stride + n), stride - n)).fill(0);
    } catch (e) {
      await this.release(h);
      throw e;
    } finally {
      if (rowsAt >= 0 && heap === this.liveHeap) heap.release(rowsAt);
    }
    return h;
  }

  /** The copy of a gather (the pool shares it out among its threads; `aside`: among its workers only). */
  protected async copyGatheredRows(local: { heap: Heap; mem: KernelMemory }, plan: GatherPlan, _aside: boolean): Promise<void> {
    copyGathered(local.heap.memory, local.mem.kernels, plan, 0, plan.n);
  }

  private view(heap: Heap, b: RowBuffer, length: number): AnyTypedArray {
    return b.type === 'f32' ? heap.f32(b.ptr, length) : b.type === 'f64' ? heap.f64(b.ptr, length) : heap.i32(b.ptr, length);
  }

  /** The handle's buffer of that name, made (and filled) when it is missing; none for an optional one without room. */
  private ensureBuffer(heap: Heap, h: HeapHandle, name: string, spec: RowSpec): RowBuffer | undefined {
    const width = spec.width ?? 1;
    const had = h.buffers.get(name);
    if (had && had.type === spec.type && had.width === width) return had;
    this.dropBuffer(heap, h, name);
    const reached = heap.reached;
    const length = h.stride * width;
    const ptr = heap.alloc(BYTES[spec.type] * length, spec.optional);
    if (ptr < 0) return undefined;
    const buf: RowBuffer = { ptr, type: spec.type, width };
    const fill = spec.fill ?? 0;
    // memory past the furthest block ever handed out has never been written, so it is zero already: filling it
    // with zeros would take all its first touches (page faults) here, on one thread, instead of in the shards
    const old = Math.min(length, Math.ceil(Math.max(0, reached - buf.ptr) / BYTES[spec.type]));
    if (!spec.unfilled) {
      if (fill !== 0) this.view(heap, buf, length).fill(fill);
      else if (old > 0) this.view(heap, buf, old).fill(0);
    }
    h.buffers.set(name, buf);
    return buf;
  }

  /** Lets go of the handle's buffer of that name, if it has one. */
  private dropBuffer(heap: Heap, h: HeapHandle, name: string): void {
    const b = h.buffers.get(name);
    if (!b) return;
    h.buffers.delete(name);
    heap.release(b.ptr);
  }

  /** Creates the op's per-row buffers that do not exist yet (before any thread runs it). */
  protected async prepare<S>(op: ShardOp<S, unknown>, h: HeapHandle, state: S): Promise<{ heap: Heap; mem: KernelMemory }> {
    const local = await this.local();
    const specs = rowSpecs(op, state, h.d);
    if (specs) for (const [name, spec] of Object.entries(specs)) this.ensureBuffer(local.heap, h, name, spec);
    return local;
  }

  /**
   * Runs shards on the calling thread, letting the event loop run at least every 20 ms (abort, timers, signals), counted
   * across passes. The op's kernels are made ready here, where its shards run (a page that hands every shard to its
   * workers needs none).
   */
  protected async runHere<S, P>(
    op: ShardOp<S, P>, h: HeapHandle, state: S, list: readonly number[], signal: AbortSignal | undefined,
    local: { heap: Heap; mem: KernelMemory }, take: () => number, out: (P | undefined)[], from?: ShardSource['columns'],
  ): Promise<void> {
    await kernelsFor(op, local.mem);
    const need = scratchNeed(op, state, h.d, h.shardRows);
    const ptr = local.heap.alloc(need);
    const scratch = new Scratch(ptr, need);
    const layout = h.layout();
    const turn = (): Promise<void> => this.turn(h, signal);
    try {
      await turn();
      for (let i = take(); i < list.length; i = take()) {
        scratch.reset();
        out[i] = runOp(op, layoutShard(layout, list[i], local.mem, scratch, h.buffers), state, from);
        await turn();
      }
    } finally {
      local.heap.release(ptr);
    }
  }

  /** Lets the event loop run when the calling thread has held it YIELD_MS (counted across passes), then checks the pass. */
  protected async turn(h: HeapHandle, signal: AbortSignal | undefined): Promise<void> {
    if (now() - this.lastTurn < YIELD_MS) return;
    await yieldToEventLoop();
    this.checkRunning(h, signal);
    this.lastTurn = now();
  }

  /** Stop flags of the passes running on worker threads: close() raises them first. */
  private readonly sharedPasses = new Set<Int32Array>();

  /**
   * A pass's control block (a shard counter, a stop flag, how many shards of the list hold their rows: all of
   * them unless the rows are still being copied in, and the end of the shards the workers take) and one scratch
   * slot per helper thread in the shared heap: the stop flag is raised on abort, and the memory is let go afterwards
   * unless the executor was closed.
   */
  protected async withPassMemory<T>(
    heap: Heap, h: HeapHandle, helpers: number, need: number, signal: AbortSignal | undefined,
    run: (pass: { ctl: number; slots: number[]; stop: () => void }) => Promise<T>,
  ): Promise<T> {
    const ctl = heap.alloc(64);
    const slots = Array.from({ length: helpers }, () => heap.alloc(need));
    const flags = heap.i32(ctl, 3);
    flags.fill(0);
    flags[2] = READY_ALL;
    // the end of the shards the workers take: all of them unless the calling thread takes some from the back
    heap.i32(ctl, 4)[3] = READY_ALL;
    this.sharedPasses.add(flags);
    h.passes.add(flags);
    const stop = () => raiseStop(heap.i32(ctl, 3));
    signal?.addEventListener('abort', stop, { once: true });
    try {
      return await run({ ctl, slots, stop });
    } finally {
      signal?.removeEventListener('abort', stop);
      this.sharedPasses.delete(flags);
      h.passes.delete(flags);
      // every thread of the pass has stopped; a memory close() let go is left to the garbage collector
      if (heap === this.liveHeap) {
        for (const slot of slots) heap.release(slot);
        heap.release(ctl);
        if (h.released && h.passes.size === 0) this.free(heap, h);
      }
    }
  }

  /** Raises the stop flag of every pass running on worker threads, so none writes into memory being let go. */
  protected stopSharedPasses(): void {
    for (const f of this.sharedPasses) raiseStop(f);
  }

  /** `checkHandle` for a pass that reads the rows: a scan's handle has none. */
  protected withRows(handle: Handle): HeapHandle {
    const h = this.checkHandle(handle);
    if (h.rowsAbsent) throw new SegkitError('E_EXECUTOR', 'the data was scanned once, not loaded: only its per-row outputs can be read');
    return h;
  }

  /**
   * `scanAndMap` with every shard on the calling thread: no row is copied in, each shard's run reads the source.
   * Without `op.runFrom`, or for replicated data, the rows are loaded and mapped.
   */
  protected async scanHere<S, P>(source: ShardSource, op: ShardOp<S, P>, state: S, options: LoadOptions): Promise<{ handle: Handle; partials: P[] }> {
    // replicated, every shard reads every row in memory (`shard.all`): the rows are copied in
    const fromSource = !!op.runFrom && !options.replicate;
    const { h } = await this.beginLoad(source, options, fromSource ? 'none' : 'touched');
    try {
      const list = mapShards(h);
      const out: (P | undefined)[] = new Array(list.length);
      if (fromSource) h.rowsAbsent = true;
      else this.copyRows((await this.local()).heap, h, source, 0, h.n);
      let next = 0;
      await this.runHere(op, h, state, list, options.signal, await this.prepare(op, h, state), () => next++, out, fromSource ? source.columns : undefined);
      this.checkRunning(h, options.signal);
      return { handle: h, partials: out as P[] };
    } catch (e) {
      await this.release(h);
      throw e;
    }
  }

  protected checkRunning(h: HeapHandle, signal: AbortSignal | undefined): void {
    if (h.released) throw new SegkitError('E_CLOSED', 'the data was released (or its executor closed) while an operation was running', 'release() or close() only after every fit and scan on the data has finished');
    throwIfAborted(signal);
  }

  async map<S, P>(op: ShardOp<S, P>, handle: Handle, state: S, options: MapOptions = {}): Promise<P[]> {
    const h = this.withRows(handle);
    throwIfAborted(options.signal);
    const list = mapShards(h, options.shards);
    const local = await this.prepare(op, h, state);
    this.checkRunning(h, options.signal);
    const out: (P | undefined)[] = new Array(list.length);
    let next = 0;
    await this.runHere(op, h, state, list, options.signal, local, () => next++, out);
    this.checkRunning(h, options.signal);
    return out as P[];
  }

  async readRows(handle: Handle, name: string, options: ReadOptions = {}): Promise<AnyTypedArray> {
    const h = this.checkHandle(handle);
    const b = h.buffers.get(name);
    if (!b) throw new SegkitError('E_EXECUTOR', `the data has no per-row buffer "${name}"`);
    const { heap } = await this.local();
    const view = this.view(heap, b, h.n * b.width);
    return options.into ? readInto(view, options.into, name) : view.slice();
  }

  async writeRows(handle: Handle, name: string, values: AnyTypedArray): Promise<void> {
    const h = this.checkHandle(handle);
    checkRowValues(name, values, h.n);
    const { heap } = await this.local();
    const buf = this.ensureBuffer(heap, h, name, { type: typeOf(values), width: 1 })!;
    this.view(heap, buf, h.n).set(values);
  }

  async dropRows(handle: Handle, name: string): Promise<void> {
    const h = this.checkHandle(handle);
    if (!h.buffers.has(name)) return;
    this.dropBuffer((await this.local()).heap, h, name);
  }

  async release(handle: Handle): Promise<void> {
    if (!(handle instanceof HeapHandle) || !this.handles.has(handle)) return;
    this.handles.delete(handle);
    handle.released = true;
    for (const f of handle.passes) raiseStop(f);
    const { heap } = await this.local();
    // a pass still running on other threads writes into the handle's memory: the last one to end lets it go
    if (handle.passes.size === 0) this.free(heap, handle);
  }

  /** Lets go of a released handle's rows and per-row buffers. */
  private free(heap: Heap, h: HeapHandle): void {
    if (h.freed) return;
    h.freed = true;
    heap.release(h.x);
    for (const b of h.buffers.values()) heap.release(b.ptr);
    h.buffers.clear();
  }

  async close(): Promise<void> {
    for (const h of this.handles) h.released = true;
    this.handles.clear();
    // a fresh memory on next use: the old one (and every byte loaded into it) is left to the garbage collector
    this.heapAndKernels = undefined;
    this.liveHeap = undefined;
  }
}

export const YIELD_MS = 20;

/** Milliseconds from a monotonic clock where the realm has one (a bare ECMAScript realm has only Date). */
export const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * A partial with its typed arrays that view the kernels' memory (`shardColumn`, `rowValues`) copied out, as a copy
 * through bytes would give: a later load reuses that memory, or grows it and leaves the view empty. Arrays and
 * objects holding one are copied too; nothing is changed in place. `before`: the memory's buffer as the op started.
 */
function ownArrays(v: unknown, memory: ArrayBufferLike, before: ArrayBufferLike): unknown {
  if (ArrayBuffer.isView(v)) {
    if (v.buffer !== memory && v.buffer !== before) return v;
    return v instanceof DataView ? new DataView(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)) : (v as Float32Array).slice();
  }
  if (!v || typeof v !== 'object') return v;
  // arrays by index: a partial may be a long array of numbers, whose keys as strings would cost more than the op
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (!x || typeof x !== 'object') continue;
      const y = ownArrays(x, memory, before);
      if (y !== x) (copy ??= [...v])[i] = y;
    }
    return copy ?? v;
  }
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k], y = ownArrays(x, memory, before);
    if (y !== x) (out ??= { ...v } as Record<string, unknown>)[k] = y;
  }
  return out ?? v;
}

/** Runs one shard, turning a kernel trap into E_WORKER; an op's own SegkitError (bad data found) passes through. */
export function runOp<S, P>(op: ShardOp<S, P>, shard: Shard, state: S, from?: ShardSource['columns']): P {
  try {
    // the buffer before and after: a shared memory grown during the op gives a new buffer object, and views made
    // before still point into it
    const before = shard.mem.memory.buffer;
    return ownArrays(from ? op.runFrom!(shard, state, from) : op.run(shard, state), shard.mem.memory.buffer, before) as P;
  } catch (e) {
    throw opError(op, e, `on shard ${shard.index}`);
  }
}

/** The op's per-row buffers (`op.rows`), its failure turned into a SegkitError as `runOp` turns one of `run`. */
export function rowSpecs<S>(op: ShardOp<S, unknown>, state: S, d: number): Readonly<Record<string, RowSpec>> | undefined {
  try {
    return op.rows?.(state, d);
  } catch (e) {
    throw opError(op, e, 'naming its per-row buffers');
  }
}

/** An op's failure: its SegkitError as it is, another copy of segkit's with its code kept, anything else E_WORKER. */
function opError(op: ShardOp<any, any>, e: unknown, where: string): SegkitError {
  if (e instanceof SegkitError) return e;
  // an op module that imports another copy of segkit throws that copy's class: its code is kept all the same
  const foreign = e as { name?: unknown; code?: unknown; hint?: unknown; message?: unknown };
  if (e instanceof Error && foreign.name === 'SegkitError' && typeof foreign.code === 'string' && /^E_[A-Z_]+$/.test(foreign.code)) {
    const hint = typeof foreign.hint === 'string' ? foreign.hint : undefined;
    const message = hint && e.message.endsWith(` (${hint})`) ? e.message.slice(0, -hint.length - 3) : e.message;
    return new SegkitError(foreign.code as SegkitError['code'], message, hint, { cause: e });
  }
  return new SegkitError('E_WORKER', `shard op "${op.name}" failed ${where}: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e });
}
