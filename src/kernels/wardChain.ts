import { SegkitError } from '../util/errors.js';
import { type Shard } from './shard.js';

/** Packed clusters: a multiple of 8 above n. */
const cap = (n: number): number => (Math.floor(n / 8) + 1) * 8;
const c0 = cap;

/** Scratch bytes `wardChainShard` needs for n rows of d features. */
export const wardChainBytes = (n: number, d: number): number => 8 * cap(n) * d + 12 * cap(n) + 12 * c0(n) + 8 * n + 8 * d + 64 + 24 * n + 10 * 64;

/**
 * The Ward nearest-neighbour chain over every row of a replicated float64 handle: (n - 1) x 3 float64 rows
 * (slot, slot, squared Ward distance) in merge order (SciPy's nn_chain before its sort).
 */
export function wardChainShard(sh: Shard): Float64Array {
  if (!sh.all || sh.dtype !== 'f64') throw new SegkitError('E_EXECUTOR', 'Ward linkage needs a replicated float64 handle');
  const n = sh.all.rows, d = sh.d, c = cap(n);
  const work = sh.scratch.alloc(8 * c * d), size = sh.scratch.alloc(8 * c), slot = sh.scratch.alloc(4 * c);
  const at = sh.scratch.alloc(4 * n), chain = sh.scratch.alloc(4 * n), cur = sh.scratch.alloc(8 * d), wbuf = sh.scratch.alloc(64);
  const nnSlot = sh.scratch.alloc(4 * c), nnDist = sh.scratch.alloc(8 * c);
  const out = sh.scratch.alloc(24 * Math.max(1, n - 1));
  sh.mem.kernels.wardChain(sh.all.x, sh.all.stride, n, d, c, work, size, slot, at, chain, cur, wbuf, nnSlot, nnDist, out);
  return new Float64Array(sh.mem.memory.buffer, out, 3 * (n - 1)).slice();
}
