import { SegkitError, describe } from '../errors.js';
import type { Dataset } from '../data/dataset.js';
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
  /** Sum of w * |x - offset|^2 over all rows, in float64. */
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

/** Column means in float64 (weighted when weights are given). */
export function columnMeans(ds: Dataset, weights?: ArrayLike<number>): Float64Array {
  const mean = new Float64Array(ds.d);
  let wsum = 0;
  if (weights) for (let i = 0; i < ds.n; i++) wsum += weights[i];
  for (let j = 0; j < ds.d; j++) {
    const col = ds.columns[j];
    let s = 0;
    if (weights) for (let i = 0; i < ds.n; i++) s += weights[i] * col[i];
    else for (let i = 0; i < ds.n; i++) s += col[i];
    mean[j] = s / (weights ? wsum : ds.n);
  }
  return mean;
}

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

/** Copies a dataset into the heap (the caller's arrays are never touched), subtracting `offset` per column. */
export function toHeap(heap: Heap, ds: Dataset, offset: Float64Array, weights?: Float32Array): HeapMatrix {
  const n = ds.n, d = ds.d, stride = padRows(n);
  const ptr = heap.alloc(4 * stride * d);
  const wptr = weights ? heap.alloc(4 * stride) : 0;
  let sumSquares = 0, totalWeight = n;
  try {
    if (weights) {
      heap.f32(wptr, stride).fill(0).set(weights);
      totalWeight = 0;
      for (let i = 0; i < n; i++) totalWeight += weights[i];
    }
    for (let j = 0; j < d; j++) {
      const dst = heap.f32(ptr + 4 * j * stride, stride);
      const src = ds.columns[j];
      const o = offset[j];
      for (let i = 0; i < n; i++) {
        const v = Math.fround(src[i] - o);
        dst[i] = v;
        sumSquares += weights ? weights[i] * v * v : v * v;
      }
      dst.fill(0, n);
    }
  } catch (e) {
    heap.release(ptr);
    if (wptr) heap.release(wptr);
    throw e;
  }
  return {
    heap, n, d, stride, ptr, offset, weights: wptr, sumSquares, totalWeight,
    release() {
      heap.release(ptr);
      if (wptr) heap.release(wptr);
    },
  };
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
