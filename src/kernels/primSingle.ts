import { SegkitError } from '../util/errors.js';
import { type Shard } from './shard.js';

/** Packed points: a multiple of 8 above n. */
const cap = (n: number): number => (Math.floor(n / 8) + 1) * 8;

/** Scratch bytes `primSingleShard` needs for n rows of d features. */
export const primSingleBytes = (n: number, d: number): number => 8 * cap(n) * d + 12 * cap(n) + 8 * d + 24 * n + 6 * 64;

/**
 * Prim's single-linkage chain over every row of a replicated float64 handle: (n - 1) x 3 float64 rows
 * (previous point, new point, distance) in Prim's order (SciPy's mst_single_linkage before its sort).
 */
export function primSingleShard(sh: Shard): Float64Array {
  if (!sh.all || sh.dtype !== 'f64') throw new SegkitError('E_EXECUTOR', 'single linkage needs a replicated float64 handle');
  const n = sh.all.rows, d = sh.d, c = cap(n);
  const work = sh.scratch.alloc(8 * c * d), pos = sh.scratch.alloc(4 * c), dmin = sh.scratch.alloc(8 * c);
  const cur = sh.scratch.alloc(8 * d), out = sh.scratch.alloc(24 * Math.max(1, n - 1));
  sh.mem.kernels.primSingle(sh.all.x, sh.all.stride, n, d, c, work, pos, dmin, cur, out);
  return new Float64Array(sh.mem.memory.buffer, out, 3 * (n - 1)).slice();
}
