// The shard op of Gaussian mixtures: one E-step (or a given assignment) and the sufficient statistics of the M-step,
// per shard; per-row outputs (responsibilities, labels, log-likelihoods) stay with whoever holds each shard.
import { gmmScratchBytes, gmmShard, type GmmLayout } from '../kernels/gmm.js';
import { defineOp, type RowSpec } from '../engine/shardOp.js';
import type { Matrix } from '../engine/matrix.js';
import { sumInShardOrder, sumNumbers } from '../engine/merge.js';
import { kernelArgs, type GmmParams } from './gmmParams.js';
import { hashUniform } from '../util/random.js';
import { SHARD_ROWS } from '../kernels/layout.js';

/**
 * Rows per shard for mixtures: a fixed function of n (so results never depend on the executor) that makes a
 * power-of-two number of equal shards, at least 8 while shards keep 1,024 rows, so 2, 4 or 8 threads share each
 * pass evenly (E-steps cost the same per row).
 */
export function mixtureShardRows(n: number): number {
  let shards = 8;
  while (Math.ceil(n / shards) > SHARD_ROWS) shards *= 2;
  return Math.max(1024, Math.ceil(n / shards / 16) * 16);
}

export interface GmmPassState {
  k: number;
  layout: GmmLayout;
  means: Float64Array;
  prec: Float64Array;
  consts: Float64Array;
  /** E-step, one-hot from the per-row `labels`, seeded uniform responsibilities per row (normalised), or 1 (k = 1). */
  source: 'estep' | 'labels' | 'random' | 'ones';
  seed: number;
  stats: boolean;
  /** Per-row outputs to write: `resp` (f64 x k), `labels` (i32), `score` (f64), `maxProba` (f64). */
  keep: readonly ('resp' | 'labels' | 'score' | 'maxProba')[];
}

export interface GmmPassPartial {
  /** Sum of the rows' log-sum-exp (the E-step's log-likelihood). */
  total: number;
  stats?: Float64Array;
}

const F64: RowSpec = { type: 'f64' };
const LABELS: RowSpec = { type: 'i32', fill: -1 };

export const gmmPassOp = defineOp<GmmPassState, GmmPassPartial>({
  name: 'gmm.pass',
  extraKernels: true,
  rows(s) {
    const out: Record<string, RowSpec> = {};
    if (s.source === 'labels' || s.keep.includes('labels')) out.labels = LABELS;
    if (s.keep.includes('resp')) out.resp = { type: 'f64', width: s.k };
    if (s.keep.includes('score')) out.score = F64;
    if (s.keep.includes('maxProba')) out.maxProba = F64;
    return out;
  },
  scratchBytes: (s, d, shardRows) => gmmScratchBytes(d, s.k, s.layout) + (s.source === 'random' ? 8 * shardRows * s.k + 64 : 0),
  run(sh, s) {
    let source: Parameters<typeof gmmShard>[1]['source'] = s.source === 'labels' ? { labels: 'labels' } : s.source === 'ones' ? 'ones' : 'estep';
    if (s.source === 'random') {
      // scikit-learn's init_params='random': uniform responsibilities per row, normalised; drawn from the row's index
      const resp = new Float64Array(sh.rows * s.k);
      for (let i = 0; i < sh.rows; i++) {
        let sum = 0;
        for (let c = 0; c < s.k; c++) sum += resp[i * s.k + c] = hashUniform(s.seed, c, sh.start + i);
        for (let c = 0; c < s.k; c++) resp[i * s.k + c] /= sum;
      }
      source = { resp };
    }
    const has = (name: GmmPassState['keep'][number]) => (s.keep.includes(name) ? name : undefined);
    const r = gmmShard(sh, {
      k: s.k, layout: s.layout, means: s.means, prec: s.prec, consts: s.consts, source, stats: s.stats,
      resp: has('resp'), labels: has('labels'), score: has('score'), maxProba: has('maxProba'),
    });
    return r.stats ? { total: r.total, stats: r.stats } : { total: r.total };
  },
}, import.meta.url);

type PassSpec = Pick<GmmPassState, 'k' | 'source' | 'stats' | 'keep'> & { seed?: number } & (
  { params: GmmParams } | { layout: GmmPassState['layout']; shift: Float64Array }
);

/** One pass of the mixture op over every shard, partials merged in shard order. */
export async function gmmPass(m: Matrix, s: PassSpec, signal?: AbortSignal): Promise<{ total: number; stats?: Float64Array }> {
  const args = 'params' in s ? kernelArgs(s.params) : { layout: s.layout, means: s.shift, prec: new Float64Array(1), consts: new Float64Array(s.k) };
  const state: GmmPassState = { ...args, k: s.k, source: s.source, seed: s.seed ?? 0, stats: s.stats, keep: s.keep };
  const parts = await m.ex.map(gmmPassOp, m.handle, state, { signal });
  return {
    total: sumNumbers(parts.map((q) => q.total)),
    ...(s.stats ? { stats: sumInShardOrder(parts.map((q) => q.stats!)) } : {}),
  };
}
