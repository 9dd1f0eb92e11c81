import { BYTES, rowBuffer, rowPtr, rowRegion, scratchCopy, scratchF64, type Shard } from './shard.js';

/**
 * Centres laid out for the bounded kernel and the bounds' tables for one pass (see `assembly/assignBounded.ts`).
 * Slots hold centres in units of 4 (unit g, feature j at (g * d + j) * 4); padding slots have an infinite norm.
 */
export interface BoundedArgs {
  k: number;
  /** Features (the width of the row-major copy). */
  d: number;
  /**
   * Read rows from a row-major copy in the per-row buffer `rowMajor` (d values a row) when it exists, written by each
   * `force` pass; the op asks for the buffer on those passes only, and the executor may leave it out.
   */
  rowMajor: boolean;
  units: number;
  /** Centres per lower bound: 1 (Elkan), 2, 4 (one unit), 8, ... (several units). */
  setSize: number;
  /** Lower bounds per row: units * 4 / setSize. */
  sets: number;
  cu: Float32Array;
  norms: Float32Array;
  orig: Int32Array;
  slotOf: Int32Array;
  /** [displacement of a, largest displacement of any other centre] per (stamp - base, centre a). */
  pr: Float32Array;
  /** Largest displacement in each set, per (stamp - base, set). */
  qt: Float32Array;
  half: Float32Array;
  base: number;
  now: number;
  /** Settled rows stamped before this take this pass's stamp (their stamps would leave the tables). */
  refresh: number;
  /** Compute every unit for every row (the first pass, and after labels were changed from outside). */
  force: boolean;
  /** Rounding slack of squared distances relative to ||x||^2 + max ||c||^2. */
  slack: number;
  sums: boolean;
}

/** The per-row buffer of the bounded kernel's row-major copy of the rows (d float32 values a row). */
export const ROW_MAJOR_ROWS = 'rowMajor';

/**
 * Per-row buffers of the bounded kernel: labels (i32), tau (i32), upper, lower (f32), bounds (f32, `sets` per row,
 * kept set by set within each shard: private to the kernel, never read as rows) and, with `rowMajor`, the rows' copy.
 */
export function assignBoundedShard(sh: Shard, a: BoundedArgs): { changed: number; touched: number; units: number; deltas?: Float64Array } {
  const bnd = rowRegion(sh, 'bounds', 'f32', a.sets);
  const k = a.k, d = sh.d;
  // the copy exists only if a pass that starts the bounds made it, and that pass wrote it whole; the kernel addresses
  // it by the row's number in the memory, as the columns
  const xr = a.rowMajor && rowBuffer(sh, ROW_MAJOR_ROWS) ? rowRegion(sh, ROW_MAJOR_ROWS, 'f32', d) - BYTES.f32 * sh.row0 * d : 0;
  const cu = scratchCopy(sh, a.cu), norms = scratchCopy(sh, a.norms), orig = scratchCopy(sh, a.orig), slotOf = scratchCopy(sh, a.slotOf);
  const pr = scratchCopy(sh, a.pr), qt = scratchCopy(sh, a.qt), half = scratchCopy(sh, a.half);
  const tmp = sh.scratch.alloc(tmpBytes(a.units, a.sets));
  const stats = sh.scratch.alloc(8);
  new Int32Array(sh.mem.memory.buffer, stats, 2).fill(0);
  const sums = a.sums ? scratchF64(sh, k * d + k) : undefined;
  const changed = sh.mem.kernels.assignBounded(
    sh.x, sh.stride, d, sh.row0, sh.row0 + sh.rows,
    cu, norms, orig, slotOf, a.units, k,
    rowPtr(sh, 'labels'), rowPtr(sh, 'tau'), rowPtr(sh, 'upper'), rowPtr(sh, 'lower'), bnd, a.sets, a.setSize,
    pr, qt, half, a.base, a.now, a.refresh, a.force ? 1 : 0, a.slack,
    rowPtr(sh, 'weights'), sums ? sums.ptr : 0, tmp, stats, xr,
  );
  const counts = new Int32Array(sh.mem.memory.buffer, stats, 2);
  return { changed, touched: counts[0], units: counts[1], deltas: sums?.read() };
}

/** The kernel's working memory for a batch of up to CH = 128 touched rows (see the layout in the kernel). */
const CH = 128;
const tmpBytes = (units: number, sets: number): number => {
  const slots = CH + 4;
  return 4 * slots + 4 * sets * slots + 4 * units * slots + 4 * units + 8 * slots + 16 + 64 * units + 32 * sets + 16 + units + 4 + 4 * units + 256;
};

/** Bytes of scratch the bounded kernel needs beyond its copied inputs. */
export const boundedScratch = (k: number, d: number, units: number, sets: number): number => 8 * (k * d + k) + tmpBytes(units, sets) + 256;
