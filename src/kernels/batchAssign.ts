import { normsF32, rowBuffer, rowPtr, type Shard } from './shard.js';
import { SegkitError } from '../util/errors.js';

/** Nearest-centre steps over row ranges of one shard, with the centre and sum buffers allocated once. */
export interface BatchAssigner {
  /**
   * Labels rows [r0, r1) of the shard (0-based in the shard) with their nearest centre (labels and squared distances
   * to the per-row buffers), the centres (k x d) rounded to float32 as every kernel reads them, and returns the batch's
   * per-centre weighted sums (k x d) then weights (k), float64: a view that the next run overwrites.
   */
  run(centres: ArrayLike<number>, r0: number, r1: number): Float64Array;
}

export function batchAssigner(sh: Shard, k: number, labels: string, dist: string): BatchAssigner {
  const d = sh.d;
  const lab = rowBuffer(sh, labels), dst = rowBuffer(sh, dist);
  if (!lab || lab.type !== 'i32' || !dst || dst.type !== 'f32') throw new SegkitError('E_EXECUTOR', `batch steps need per-row buffers "${labels}" (i32) and "${dist}" (f32)`);
  const centPtr = sh.scratch.alloc(4 * k * d), normPtr = sh.scratch.alloc(4 * k), sumPtr = sh.scratch.alloc(8 * (k * d + k));
  const weights = rowPtr(sh, 'weights');
  // views made again only when the memory has grown (a step allocates nothing: thousands run in one op)
  let buf: ArrayBufferLike | undefined;
  let cent32: Float32Array, norms32: Float32Array, sums: Float64Array, labelled: Int32Array;
  return {
    run(centres, r0, r1) {
      if (sh.mem.memory.buffer !== buf) {
        buf = sh.mem.memory.buffer;
        cent32 = new Float32Array(buf, centPtr, k * d);
        norms32 = new Float32Array(buf, normPtr, k);
        sums = new Float64Array(buf, sumPtr, k * d + k);
        labelled = new Int32Array(buf, lab.ptr, sh.row0 + sh.rows);
      }
      cent32.set(centres);
      normsF32(cent32, k, d, norms32);
      sums.fill(0);
      // every row of the batch starts unlabelled, so the moved sums are the batch's sums
      labelled.fill(-1, sh.row0 + r0, sh.row0 + r1);
      sh.mem.kernels.assign(
        sh.x, sh.stride, d, sh.row0 + r0, sh.row0 + r1, centPtr, normPtr, k,
        lab.ptr, dst.ptr, weights, sumPtr,
      );
      return sums;
    },
  };
}
