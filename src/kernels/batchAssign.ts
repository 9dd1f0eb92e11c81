import { BYTES, rowBuffer, rowPtr, type Shard } from './shard.js';
import { SegkitError } from '../util/errors.js';

/** Nearest-centre steps over row ranges of one shard, with the centre and sum buffers allocated once. */
export interface BatchAssigner {
  /**
   * Labels rows [r0, r1) of the shard (0-based in the shard) with their nearest centre (labels and squared distances
   * to the per-row buffers) and returns the batch's per-centre weighted sums (k x d) then weights (k), float64.
   */
  run(cent: Float32Array, norms: Float32Array, r0: number, r1: number): Float64Array;
}

export function batchAssigner(sh: Shard, k: number, labels: string, dist: string): BatchAssigner {
  const d = sh.d;
  const lab = rowBuffer(sh, labels), dst = rowBuffer(sh, dist);
  if (!lab || lab.type !== 'i32' || !dst || dst.type !== 'f32') throw new SegkitError('E_EXECUTOR', `batch steps need per-row buffers "${labels}" (i32) and "${dist}" (f32)`);
  const centPtr = sh.scratch.alloc(4 * k * d), normPtr = sh.scratch.alloc(4 * k), sumPtr = sh.scratch.alloc(8 * (k * d + k));
  const weights = rowPtr(sh, 'weights');
  return {
    run(cent, norms, r0, r1) {
      const buf = sh.mem.memory.buffer;
      new Float32Array(buf, centPtr, k * d).set(cent);
      new Float32Array(buf, normPtr, k).set(norms);
      const sums = new Float64Array(buf, sumPtr, k * d + k);
      sums.fill(0);
      // every row of the batch starts unlabelled, so the moved sums are the batch's sums
      new Int32Array(buf, lab.ptr + BYTES.i32 * (sh.row0 + r0), r1 - r0).fill(-1);
      sh.mem.kernels.assign(
        sh.x, sh.stride, d, sh.row0 + r0, sh.row0 + r1, centPtr, normPtr, k,
        lab.ptr, dst.ptr, weights, sumPtr,
      );
      return Float64Array.from(new Float64Array(sh.mem.memory.buffer, sumPtr, k * d + k));
    },
  };
}
