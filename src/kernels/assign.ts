import type { KernelCall } from '../parallel/executor.js';
import { shardRanges, type HeapMatrix } from './layout.js';

/** Pointers an assignment pass reads and writes; 0 disables an output. */
export interface AssignBuffers {
  cent: number;
  cnorm: number;
  k: number;
  labels: number;
  dist?: number;
  /** Per-shard partials, each k*d sums + k weights (float64), zeroed by the caller. */
  partials?: number;
  upper?: number;
  lower?: number;
  /** Hamerly bounds: per-centroid drift and half-separation, largest and second-largest drift. */
  drift?: number;
  halfSep?: number;
  pmax?: number;
  pmax2?: number;
  pmaxIdx?: number;
}

export const partialSize = (k: number, d: number): number => k * d + k;

/** One `assign` call per shard; each returns how many labels changed in its shard. */
export function assignCalls(m: HeapMatrix, b: AssignBuffers, rows?: [number, number][]): KernelCall[] {
  const ps = partialSize(b.k, m.d) * 8;
  return (rows ?? shardRanges(m.n)).map(([r0, r1], s) => ({
    kernel: 'assign',
    args: [
      m.ptr, m.stride, m.d, r0, r1, b.cent, b.cnorm, b.k, b.labels, b.dist ?? 0, m.weights,
      b.partials ? b.partials + s * ps : 0,
      b.upper ?? 0, b.lower ?? 0, b.drift ?? 0, b.halfSep ?? 0, b.pmax ?? 0, b.pmax2 ?? 0, b.pmaxIdx ?? -1,
    ],
  }));
}
