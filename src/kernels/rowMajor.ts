// The row-major copy of a loaded matrix that gathers read drawn rows from (`Executor.gather`): one cache line a
// drawn row instead of one a value, for fits that draw many scattered rows (mini-batch k-means).
import { BYTES, rowBuffer, rowRegion, type Shard } from './shard.js';

/** The per-row buffer holding each row's d float32 values in a row (written whole by `writeRowMajor`). */
export const GATHER_ROWS = 'gatherRows';

/** Writes the shard's rows into its rows of the GATHER_ROWS buffer (an op declaring `extraKernels`); false without one. */
export function writeRowMajor(sh: Shard): boolean {
  if (!rowBuffer(sh, GATHER_ROWS) || sh.dtype !== 'f32') return false;
  const out = rowRegion(sh, GATHER_ROWS, 'f32', sh.d);
  sh.mem.kernels.toRowMajor(sh.x + BYTES.f32 * sh.row0, sh.stride, sh.d, 0, sh.rows, out);
  return true;
}
