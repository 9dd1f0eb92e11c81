import { rowPtr, scratchCopy, scratchF64, type Shard } from './shard.js';
import { columnStride } from './layout.js';

export interface AssignArgs {
  /** k x d float32 centres in the shard's coordinates, and their squared norms. */
  cent: Float32Array;
  norms: Float32Array;
  k: number;
  /** Per-row buffer names: labels (i32, required); squared distances (f32) are written when `dist` is given. */
  labels: string;
  dist?: string;
  /** Return the changed rows' moves between cluster sums: k*d sums + k weights, float64. */
  sums?: boolean;
}

/** Labels the shard's rows with their nearest centre (every centre measured); returns how many labels changed and the sum deltas. */
export function assignShard(sh: Shard, a: AssignArgs): { changed: number; deltas?: Float64Array } {
  const k = a.k, d = sh.d;
  const cent = scratchCopy(sh, a.cent), cnorm = scratchCopy(sh, a.norms);
  const sums = a.sums ? scratchF64(sh, k * d + k) : undefined;
  const changed = sh.mem.kernels.assign(
    sh.x, sh.stride, d, sh.row0, sh.row0 + sh.rows, cent, cnorm, k,
    rowPtr(sh, a.labels), a.dist ? rowPtr(sh, a.dist) : 0, rowPtr(sh, 'weights'), sums ? sums.ptr : 0,
  );
  return { changed, deltas: sums?.read() };
}

/** Rows per block `centreAssignCopyShard` centres in scratch: a multiple of 8 near 256 KiB of float32 values. */
export const copyBlockRows = (d: number): number => Math.max(8, Math.floor((1 << 16) / d / 8) * 8);

/**
 * Column stride of that block, by the rule of loaded columns (`columnStride`): its rows are 2^k for d = 2^j <= 64, and
 * columns a multiple of 4 KiB apart share cache sets (the kernel reads d of them at once).
 */
export const copyBlockStride = (d: number): number => columnStride(copyBlockRows(d), 4);

/**
 * `assignShard` on rows held uncentred (float32), left as they are: each block of rows is copied to scratch and
 * centred there by the float32 offset (the `centreCopy` kernel: the same values a load's `centerColumns` gives), then
 * labelled, so every label is the one predict gives. No weights, distances or sums. Returns the shard's sum of squares
 * after centring (not finite if a value is not; summed in another order than a load's), for the range and
 * finiteness checks a load makes. `fill` writes column j of the block of rows
 * [r, r + b) at mem[at...] in place of the copy (rows held otherwise); false stops the shard there.
 */
export function centreAssignCopyShard(
  sh: Shard, a: AssignArgs, offset: Float32Array, fill?: (mem: Float32Array, at: number, j: number, r: number, b: number) => boolean,
): number {
  const k = a.k, d = sh.d, B = copyBlockRows(d), S = copyBlockStride(d);
  const cent = scratchCopy(sh, a.cent), cnorm = scratchCopy(sh, a.norms), off = scratchCopy(sh, offset);
  const block = sh.scratch.alloc(4 * d * S);
  const labels = rowPtr(sh, a.labels);
  const kern = sh.mem.kernels;
  let sum = 0;
  for (let r = 0; r < sh.rows; r += B) {
    const b = Math.min(B, sh.rows - r);
    if (fill) {
      const mem = new Float32Array(sh.mem.memory.buffer);
      for (let j = 0; j < d; j++) if (!fill(mem, (block >>> 2) + j * S, j, r, b)) return sum;
      sum += kern.centreCopy(block, S, block, S, d, b, off);
    } else {
      // copied and centred in one pass
      sum += kern.centreCopy(sh.x + 4 * (sh.row0 + r), sh.stride, block, S, d, b, off);
    }
    const at = 4 * (sh.row0 + r);
    kern.assign(block, S, d, 0, b, cent, cnorm, k, labels + at, 0, 0, 0);
  }
  return sum;
}
