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

/**
 * The clusters block i's own rows are summed over in the wave of offsets [t0, t1): its own clusters (first, in
 * order), then those of each partner not yet listed, in the order of the offsets. Only these columns of the block's
 * rows x k sums can change in the wave.
 */
export function waveClusters(seg: Int32Array, k: number, block: number, rows: number, i: number, t0: number, t1: number): Int32Array {
  const out = new Set<number>();
  // t0 - 1 stands for the own block (offset 0 pairs it with itself)
  for (let t = Math.max(1, t0) - 1, j = i; t < t1; j = silhouettePartner(i, ++t, Math.ceil(rows / block))) {
    if (j >= 0) for (let { c0, w } = blockClusters(seg, k, j * block, j * block + blockRows(j, block, rows)), c = c0; c < c0 + w; c++) out.add(c);
  }
  return Int32Array.from(out);
}

/**
 * Bytes of scratch a shard of `rows` rows needs for a wave: its rows' sums over the own and the partners' clusters,
 * and the partners' sums over its own. A block holds at most block / 4 + 1 clusters (each segment starts at a
 * multiple of 4).
 */
export function silhouettePairsScratch(s: SilhouettePairsArgs, rows: number): number {
  const w = Math.min(s.k, s.block / 4 + 1);
  const cols = Math.min(s.k, (s.t1 - Math.max(1, s.t0) + 1) * w);
  return 8 * rows * cols + (s.t1 - s.t0) * 8 * s.block * w + 4 * w * s.block + 8 * cols + 256;
}

/**
 * One block (this shard) against its partners at offsets [t0, t1): its rows' distance sums over the wave's clusters
 * (rows x the clusters of `waveClusters`, float64, the diagonal's included when t0 is 0), then for each offset with a
 * partner, the partner's rows' sums over this block's clusters (partner rows x w, from cluster c0 of `blockClusters`).
 */
export function silhouettePairsShard(sh: Shard, s: SilhouettePairsArgs): Float64Array {
  const all = sh.all;
  if (!all) throw new SegkitError('E_EXECUTOR', 'the silhouette needs a replicated handle (every row beside every shard)');
  const { k, block } = s;
  if (sh.start !== sh.index * block || sh.rows !== blockRows(sh.index, block, all.rows)) {
    throw new SegkitError('E_EXECUTOR', `the silhouette's shards are blocks of ${block} rows; shard ${sh.index} starts at row ${sh.start} with ${sh.rows}`);
  }
  const blocks = Math.ceil(all.rows / block);
  const a0 = sh.start, a1 = sh.start + sh.rows;
  const { w } = blockClusters(s.seg, k, a0, a1);
  // the kernel sees only the wave's clusters, the own ones first (so they start at 0): their starts, then their ends
  const cols = waveClusters(s.seg, k, block, all.rows, sh.index, s.t0, s.t1);
  const kw = cols.length;
  const seg = scratchCopy(sh, Int32Array.from([...cols, ...cols], (c, q) => s.seg[q < kw ? c : k + c]));
  // this block's sums, then each partner's, in one zeroed region read back once
  const partners: number[] = [];
  let length = sh.rows * kw;
  for (let t = s.t0; t < s.t1; t++) {
    const j = silhouettePartner(sh.index, t, blocks);
    partners.push(j);
    if (j >= 0 && t > 0) length += blockRows(j, block, all.rows) * w;
  }
  const out = scratchF64(sh, length);
  const acc = sh.scratch.alloc(4 * Math.max(1, w * block));
  let at = out.ptr + 8 * sh.rows * kw;
  for (let t = s.t0; t < s.t1; t++) {
    const j = partners[t - s.t0];
    if (j < 0) continue;
    const b0 = j * block, b1 = b0 + blockRows(j, block, all.rows);
    const outB = t === 0 ? 0 : at;
    sh.mem.kernels.silhouettePairs(all.x, all.stride, sh.d, a0, a1, b0, b1, seg, seg + 4 * kw, kw, 0, w, out.ptr, outB, acc);
    if (t > 0) at += 8 * (b1 - b0) * w;
  }
  return out.read();
}
