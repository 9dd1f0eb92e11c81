import { SegkitError, describe } from '../util/errors.js';
import type { Dataset } from '../data/dataset.js';
import type { Executor } from '../parallel/executor.js';
import type { Heap } from './heap.js';

/** Rows per shard: fixed, so partial sums (merged in shard order) never depend on the thread count. */
export const SHARD_ROWS = 65536;

/** A dataset copied into a heap: column j starts at ptr + 4 * j * stride; values are x - offset (float32). */
export interface HeapMatrix {
  readonly heap: Heap;
  readonly n: number;
  readonly d: number;
  readonly stride: number;
  readonly ptr: number;
  /** The per-column value subtracted on the way in (the mean, for precision of the distance expansion). */
  readonly offset: Float64Array;
  /** Pointer to float32 row weights, or 0 for unit weights. */
  readonly weights: number;
  /** Sum of w * |x - offset|^2 over all rows, in float64; NaN when a zero offset was given and no centring pass ran. */
  readonly sumSquares: number;
  readonly totalWeight: number;
  release(): void;
}

export function shardRanges(n: number, rows = SHARD_ROWS): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += rows) out.push([s, Math.min(n, s + rows)]);
  return out;
}

export const padRows = (n: number): number => Math.ceil(n / 16) * 16;

/** Checks sample weights: one finite, non-negative number per row, not all zero. */
export function checkWeights(weights: ArrayLike<number> | undefined, n: number, option = 'sampleWeight'): Float32Array | undefined {
  if (weights === undefined) return undefined;
  if (!weights || typeof weights.length !== 'number') throw new SegkitError('E_BAD_OPTION', `option "${option}" must be an array of numbers, got ${describe(weights)}`);
  if (weights.length !== n) throw new SegkitError('E_SHAPE_MISMATCH', `option "${option}" has ${weights.length} values for ${n} rows`);
  const out = new Float32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new SegkitError('E_BAD_OPTION', `option "${option}" at row ${i} is ${describe(w)}; weights must be finite and non-negative`);
    }
    out[i] = w;
    sum += w;
  }
  if (!(sum > 0)) throw new SegkitError('E_BAD_OPTION', `option "${option}" sums to 0; at least one row needs a positive weight`);
  return out;
}

/**
 * Copies a dataset into the executor's heap (the caller's arrays are never touched) and centres it there:
 * by `offset` when given (a fitted model's), else by the column means, computed per shard and merged in shard order.
 */
export async function loadMatrix(
  ex: Executor, ds: Dataset, options: { offset?: Float64Array; weights?: Float32Array; signal?: AbortSignal } = {},
): Promise<HeapMatrix> {
  const { heap } = ex;
  const { weights } = options;
  const n = ds.n, d = ds.d, stride = padRows(n);
  const ptr = heap.alloc(4 * stride * d);
  const wptr = weights ? heap.alloc(4 * stride) : 0;
  const scratch = heap.alloc(8 * d * (shardRanges(n).length + 1));
  const release = () => {
    heap.release(ptr);
    if (wptr) heap.release(wptr);
  };
  try {
    let totalWeight = n;
    if (weights) {
      heap.f32(wptr, stride).fill(0).set(weights);
      totalWeight = 0;
      for (let i = 0; i < n; i++) totalWeight += weights[i];
    }
    for (let j = 0; j < d; j++) heap.f32(ptr + 4 * j * stride, stride).fill(0, n).set(ds.columns[j]);
    const shards = shardRanges(n);
    let offset = options.offset;
    if (!offset) {
      heap.f64(scratch, d * shards.length).fill(0);
      await ex.run(shards.map(([r0, r1], s) => ({ kernel: 'columnSums', args: [ptr, stride, d, r0, r1, 0, scratch + 8 * d * s] })), options.signal);
      const parts = heap.f64(scratch, d * shards.length);
      offset = new Float64Array(d);
      for (let s = 0; s < shards.length; s++) for (let j = 0; j < d; j++) offset[j] += parts[s * d + j];
      for (let j = 0; j < d; j++) offset[j] /= n;
    }
    // the float32 mean is what is subtracted, in fit and predict alike (the caller's array is left as it was)
    offset = Float64Array.from(offset, Math.fround);
    let sumSquares = NaN;
    // a given zero offset (the metrics load raw values) needs no centring pass; a fit always gets its sum of squares
    if (!options.offset || offset.some((o) => o !== 0)) {
      const offPtr = scratch + 8 * d * shards.length;
      heap.f32(offPtr, d).set(offset);
      const ss = await ex.run(shards.map(([r0, r1]) => ({ kernel: 'centerColumns', args: [ptr, stride, d, r0, r1, offPtr, wptr] })), options.signal);
      sumSquares = ss.reduce((a, b) => a + b, 0);
    }
    return { heap, n, d, stride, ptr, offset, weights: wptr, sumSquares, totalWeight, release };
  } catch (e) {
    release();
    throw e;
  } finally {
    heap.release(scratch);
  }
}

/** Row i of a heap matrix as float64 (with the offset still subtracted). */
export function heapRow(m: HeapMatrix, i: number, out = new Float64Array(m.d)): Float64Array {
  const view = m.heap.f32(m.ptr, m.stride * m.d);
  for (let j = 0; j < m.d; j++) out[j] = view[j * m.stride + i];
  return out;
}

/** Writes centroids (k x d float64, offset space) as float32 rows and their squared norms. */
export function writeCentroids(heap: Heap, centPtr: number, normPtr: number, centers: Float64Array, k: number, d: number): void {
  const c = heap.f32(centPtr, k * d);
  c.set(centers);
  if (normPtr) {
    const nrm = heap.f32(normPtr, k);
    for (let t = 0; t < k; t++) {
      let s = 0;
      for (let j = 0; j < d; j++) s = Math.fround(s + Math.fround(c[t * d + j] * c[t * d + j]));
      nrm[t] = s;
    }
  }
}
