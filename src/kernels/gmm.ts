import { SegkitError } from '../util/errors.js';
import { rowRegion, scratchCopy, scratchF64, type DType, type Shard } from './shard.js';

/** Covariance layouts the kernel knows: spherical travels as diag with its one value repeated. */
export const GMM_FULL = 0, GMM_TIED = 1, GMM_DIAG = 2;
export type GmmLayout = typeof GMM_FULL | typeof GMM_TIED | typeof GMM_DIAG;

export interface GmmArgs {
  k: number;
  layout: GmmLayout;
  /** k x d means in the shard's coordinates; also the shift of the statistics. */
  means: Float64Array;
  /** full: k packed lower triangles of P^T; tied: one triangle then k x d values P^T mu; diag: k x d. */
  prec: Float64Array;
  /** Per component: log weight + log det P - d/2 log(2 pi). */
  consts: Float64Array;
  /** Where responsibilities come from: the E-step, one-hot from an int32 per-row buffer, given rows (rows x k), or 1 (k = 1). */
  source: 'estep' | { labels: string } | { resp: Float64Array } | 'ones';
  /** Return the sufficient statistics. */
  stats: boolean;
  /** Per-row outputs, by buffer name: responsibilities (f64, width k), argmax (i32), log-sum-exp (f64), largest responsibility (f64). */
  resp?: string;
  labels?: string;
  score?: string;
  maxProba?: string;
}

/** Values of the statistics per component: N, S1 (d), then S2 (d(d+1)/2 full, d diag, none tied). */
export function gmmStatsWidth(d: number, layout: GmmLayout): number {
  return 1 + d + (layout === GMM_FULL ? (d * (d + 1)) / 2 : layout === GMM_TIED ? 0 : d);
}

const workBytes = (d: number, k: number, layout: GmmLayout): number => 16 * (52 * d + 18 * k + k * gmmStatsWidth(d, layout));

/** Scratch one shard run needs beyond the copied arguments. */
export function gmmScratchBytes(d: number, k: number, layout: GmmLayout): number {
  return workBytes(d, k, layout) + 8 * k * gmmStatsWidth(d, layout) + 256;
}

function outPtr(sh: Shard, name: string | undefined, type: DType, width: number): number {
  return name === undefined ? 0 : rowRegion(sh, name, type, width);
}

/**
 * One E-step (or a given assignment) and its sufficient statistics over the shard's rows, in float64.
 * Returns the sum of the rows' log-sum-exp (0 unless the E-step ran) and the statistics when asked.
 */
export function gmmShard(sh: Shard, a: GmmArgs): { total: number; stats?: Float64Array } {
  const { k, layout } = a;
  const d = sh.d;
  const means = scratchCopy(sh, a.means), prec = scratchCopy(sh, a.prec), consts = scratchCopy(sh, a.consts);
  let src = 0, srcPtr = 0;
  if (a.source === 'ones') src = 3;
  else if (a.source !== 'estep') {
    if ('labels' in a.source) { src = 1; srcPtr = outPtr(sh, a.source.labels, 'i32', 1); }
    else {
      if (a.source.resp.length !== sh.rows * k) throw new SegkitError('E_EXECUTOR', `given responsibilities hold ${a.source.resp.length} values for ${sh.rows} rows x ${k}`);
      src = 2; srcPtr = scratchCopy(sh, a.source.resp);
    }
  }
  const stats = a.stats ? scratchF64(sh, k * gmmStatsWidth(d, layout)) : undefined;
  const work = sh.scratch.alloc(workBytes(d, k, layout));
  const total = sh.mem.kernels.gmm(
    sh.x, sh.stride, d, sh.row0, sh.row0 + sh.rows, k, layout, means, prec, consts, src, srcPtr,
    stats ? stats.ptr : 0, outPtr(sh, a.resp, 'f64', k), outPtr(sh, a.labels, 'i32', 1), outPtr(sh, a.score, 'f64', 1), outPtr(sh, a.maxProba, 'f64', 1), work,
  );
  return stats ? { total, stats: stats.read() } : { total };
}
