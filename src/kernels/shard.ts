import { SegkitError } from '../util/errors.js';
import type { KernelExports } from './wasm.js';

/** Element types of shard data and per-row buffers. */
export type DType = 'f32' | 'f64' | 'i32';
export type TypedArrayOf<T extends DType> = T extends 'f32' ? Float32Array : T extends 'f64' ? Float64Array : Int32Array;
export type AnyTypedArray = Float32Array | Float64Array | Int32Array;

export const BYTES: Readonly<Record<DType, number>> = Object.freeze({ f32: 4, f64: 8, i32: 4 });

/** A kernels instance and the memory it works in, as seen by one thread. */
export interface KernelMemory {
  readonly kernels: KernelExports;
  readonly memory: WebAssembly.Memory;
}

/**
 * A per-row buffer a shard op keeps between passes (labels, bounds, distances): `width` values per row, row-major
 * (a kernel may lay out its own buffer otherwise within each shard's rows x width values: k-means++'s kept
 * distances are `width` columns of the shard's rows).
 */
export interface RowBuffer {
  readonly ptr: number;
  readonly type: DType;
  readonly width: number;
}

/**
 * Bump allocation in a region reserved for one thread while it runs one shard: room for an op's centroids and
 * partial sums. It never grows, so a thread sharing its memory with others never moves anyone's data.
 */
export class Scratch {
  private top: number;
  constructor(readonly ptr: number, readonly bytes: number) {
    this.top = ptr;
  }
  reset(): void {
    this.top = this.ptr;
  }
  alloc(bytes: number): number {
    const p = this.top;
    const end = p + Math.ceil(bytes / 64) * 64;
    if (end > this.ptr + this.bytes) {
      throw new SegkitError('E_MEMORY', `a shard op needs more than its ${this.bytes}-byte scratch region`, 'declare scratchBytes on the op');
    }
    this.top = end;
    return p;
  }
}

/**
 * One shard of a loaded dataset as a shard op sees it: rows [row0, row0 + rows) of a column-major matrix whose
 * column j starts at `x + j * stride * bytes`. Per-row buffers use the same row numbering. Only kernels/ reads
 * these fields; ops go through the typed wrappers.
 */
export interface Shard {
  /** Shard number, 0-based, in row order. */
  readonly index: number;
  /** Row number of this shard's first row in the whole dataset. */
  readonly start: number;
  readonly rows: number;
  readonly d: number;
  /** Rows of the whole dataset (for ops that divide by n, or that see every row: replicated handles). */
  readonly n: number;
  readonly dtype: 'f32' | 'f64';
  readonly mem: KernelMemory;
  readonly x: number;
  readonly stride: number;
  readonly row0: number;
  /** The whole matrix, for handles loaded with `replicate`: every shard's holder holds every row. */
  readonly all?: { readonly x: number; readonly stride: number; readonly rows: number };
  readonly buffers: ReadonlyMap<string, RowBuffer>;
  readonly scratch: Scratch;
}

/** A typed view of kernel memory. */
export function view<T extends DType>(mem: KernelMemory, type: T, ptr: number, length: number): TypedArrayOf<T> {
  const buf = mem.memory.buffer;
  if (type === 'f32') return new Float32Array(buf, ptr, length) as TypedArrayOf<T>;
  if (type === 'f64') return new Float64Array(buf, ptr, length) as TypedArrayOf<T>;
  return new Int32Array(buf, ptr, length) as TypedArrayOf<T>;
}

/** This shard's values of column j (a view: writes go to the shard). */
export function shardColumn(sh: Shard, j: number): Float32Array | Float64Array {
  const b = BYTES[sh.dtype];
  return view(sh.mem, sh.dtype, sh.x + b * (j * sh.stride + sh.row0), sh.rows);
}

/** Column j of the whole matrix of a replicated handle (`shard.all`), every row of the dataset (a view). */
export function allColumn(sh: Shard, j: number): Float32Array | Float64Array {
  if (!sh.all) throw new SegkitError('E_EXECUTOR', 'this op needs every row: load the data with { replicate: true }');
  const b = BYTES[sh.dtype];
  return view(sh.mem, sh.dtype, sh.all.x + b * j * sh.all.stride, sh.all.rows);
}

/** The named per-row buffer, or undefined. */
export function rowBuffer(sh: Shard, name: string): RowBuffer | undefined {
  return sh.buffers.get(name);
}

/** This shard's rows of a per-row buffer (a view of rows * width values). */
export function rowValues<T extends DType>(sh: Shard, name: string, type: T): TypedArrayOf<T> {
  const b = sh.buffers.get(name);
  if (!b) throw new SegkitError('E_EXECUTOR', `the shard has no per-row buffer "${name}"`);
  if (b.type !== type) throw new SegkitError('E_EXECUTOR', `per-row buffer "${name}" holds ${b.type}, not ${type}`);
  return view(sh.mem, type, b.ptr + BYTES[type] * sh.row0 * b.width, sh.rows * b.width);
}

/**
 * Pointer to this shard's rows of a per-row buffer of `width` values of `type` a row (rows x width values, laid out
 * as the kernel that owns it likes); E_EXECUTOR when the shard has no such buffer.
 */
export function rowRegion(sh: Shard, name: string, type: DType, width: number): number {
  const b = sh.buffers.get(name);
  if (!b || b.type !== type || b.width !== width) throw new SegkitError('E_EXECUTOR', `the shard has no ${type} per-row buffer "${name}" of width ${width}`);
  return b.ptr + BYTES[type] * sh.row0 * width;
}

/** Pointer of a per-row buffer (0 when absent, which kernels read as "no such input"). */
export function rowPtr(sh: Shard, name: string): number {
  return sh.buffers.get(name)?.ptr ?? 0;
}

/** Copies values into the shard's scratch region and returns their pointer. */
export function scratchCopy(sh: Shard, values: AnyTypedArray): number {
  const p = sh.scratch.alloc(values.byteLength);
  new Uint8Array(sh.mem.memory.buffer, p, values.byteLength).set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return p;
}

/** A zeroed float64 array of `length` in scratch: its pointer and a function reading it back as a fresh array. */
export function scratchF64(sh: Shard, length: number): { ptr: number; read: () => Float64Array } {
  const ptr = sh.scratch.alloc(8 * Math.max(1, length));
  view(sh.mem, 'f64', ptr, length).fill(0);
  return { ptr, read: () => Float64Array.from(view(sh.mem, 'f64', ptr, length)) };
}

/** Float32 copy of k x d centres (offset space) and their squared norms, summed in float32 as the kernels do. */
export function centresF32(centres: ArrayLike<number>, k: number, d: number): { cent: Float32Array; norms: Float32Array } {
  const cent = Float32Array.from(centres as ArrayLike<number>);
  return { cent, norms: normsF32(cent, k, d, new Float32Array(k)) };
}

/** The float32 squared norm of each of the k float32 centres (k x d), summed in float32 as the kernels do, into `out`. */
export function normsF32(cent: Float32Array, k: number, d: number, out: Float32Array): Float32Array {
  for (let t = 0; t < k; t++) {
    let s = 0;
    for (let j = 0; j < d; j++) s = Math.fround(s + Math.fround(cent[t * d + j] * cent[t * d + j]));
    out[t] = s;
  }
  return out;
}
