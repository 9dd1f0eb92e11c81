import { SegkitError } from '../util/errors.js';
import { scratchCopy, scratchF64, type Shard } from './shard.js';

/**
 * The block paired with block i at offset t of `blocks` blocks, or -1: offset 0 pairs each block with itself, and
 * offsets 1 to floor(blocks / 2) pair every two blocks once, each offset giving every block one partner (at the
 * middle offset of an even count, only the first half of the blocks take one).
 */
export function silhouettePartner(i: number, t: number, blocks: number): number {
  if (t === 0) return i;
  if (2 * t < blocks) return (i + t) % blocks;
  if (2 * t === blocks) return i < t ? i + t : -1;
  return -1;
}

/** The clusters whose segments hold rows of [r0, r1): the first, and how many (segments in cluster order). */
export function blockClusters(seg: Int32Array, k: number, r0: number, r1: number): { c0: number; w: number } {
  let c0 = -1, last = -1;
  for (let c = 0; c < k; c++) {
    if (Math.max(seg[c], r0) < Math.min(seg[k + c], r1)) {
      if (c0 < 0) c0 = c;
      last = c;
    }
  }
  return c0 < 0 ? { c0: 0, w: 0 } : { c0, w: last - c0 + 1 };
}

/** The state of one wave of the silhouette's pairs: the segments, the block size, and offsets [t0, t1). */
export interface SilhouettePairsArgs {
  /** k int32 segment starts, then k ends, of the cluster-grouped matrix. */
  seg: Int32Array;
  k: number;
  block: number;
  t0: number;
  t1: number;
}

/** Rows of the whole grouped matrix a block of the pairs holds, block `j` of `block` rows. */
export function blockRows(j: number, block: number, rows: number): number {
  return Math.min(block, rows - j * block);
}

/** Bytes of scratch a shard of `rows` rows needs for a wave (partners' sums by the most clusters a block holds). */
export function silhouettePairsScratch(s: SilhouettePairsArgs, rows: number): number {
  const n = s.seg[2 * s.k - 1];
  let w = 1;
  for (let r0 = 0; r0 < n; r0 += s.block) w = Math.max(w, blockClusters(s.seg, s.k, r0, Math.min(n, r0 + s.block)).w);
  return 8 * rows * s.k + (s.t1 - s.t0) * 8 * s.block * w + 4 * w * s.block + 8 * s.k + 256;
}

/**
 * One block (this shard) against its partners at offsets [t0, t1): its rows' distance sums over every partner's
 * clusters (rows x k float64, the diagonal's included when t0 is 0), then for each offset with a partner, the
 * partner's rows' sums over this block's clusters (partner rows x w, from cluster c0 of `blockClusters`).
 */
export function silhouettePairsShard(sh: Shard, s: SilhouettePairsArgs): Float64Array {
  const all = sh.all;
  if (!all) throw new SegkitError('E_EXECUTOR', 'the silhouette needs a replicated handle (every row beside every shard)');
  const { k, block } = s;
  if (sh.start !== sh.index * block || sh.rows !== blockRows(sh.index, block, all.rows)) {
    throw new SegkitError('E_EXECUTOR', `the silhouette's shards are blocks of ${block} rows; shard ${sh.index} starts at row ${sh.start} with ${sh.rows}`);
  }
  const blocks = Math.ceil(all.rows / block);
  const seg = scratchCopy(sh, s.seg);
  const a0 = sh.start, a1 = sh.start + sh.rows;
  const { c0, w } = blockClusters(s.seg, k, a0, a1);
  // this block's sums, then each partner's, in one zeroed region read back once
  const partners: number[] = [];
  let length = sh.rows * k;
  for (let t = s.t0; t < s.t1; t++) {
    const j = silhouettePartner(sh.index, t, blocks);
    partners.push(j);
    if (j >= 0 && t > 0) length += blockRows(j, block, all.rows) * w;
  }
  const out = scratchF64(sh, length);
  const acc = sh.scratch.alloc(4 * Math.max(1, w * block));
  let at = out.ptr + 8 * sh.rows * k;
  for (let t = s.t0; t < s.t1; t++) {
    const j = partners[t - s.t0];
    if (j < 0) continue;
    const b0 = j * block, b1 = b0 + blockRows(j, block, all.rows);
    const outB = t === 0 ? 0 : at;
    sh.mem.kernels.silhouettePairs(all.x, all.stride, sh.d, a0, a1, b0, b1, seg, seg + 4 * k, k, c0, w, out.ptr, outB, acc);
    if (t > 0) at += 8 * (b1 - b0) * w;
  }
  return out.read();
}
