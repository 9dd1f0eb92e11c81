// The shard ops of k-means|| (Bahmani et al. 2012). Each pass updates every row's closest squared distance and the
// candidate that owns it, and pre-selects the rows the next round may draw: a row is drawn when its uniform, taken
// from (seed, round, row index), is below l w closest / phi; phi (all shards) is at least this shard's potential,
// so the rows below l w closest / (this shard's potential) are a superset the caller filters with phi.
import { assignShard } from '../kernels/assign.js';
import { mergeClosestShard, preselectShard, PRESELECT_BYTES_PER_ROW, updateClosestShard } from '../kernels/seedDistances.js';
import { rowValues, shardColumn, type Shard } from '../kernels/shard.js';
import { defineOp, type RowSpec } from '../engine/shardOp.js';
import { indexUniforms } from '../util/random.js';

const F32: RowSpec = { type: 'f32' };
const I32: RowSpec = { type: 'i32' };

export interface ParallelPartial {
  /** The shard's potential sum w * closest. */
  pot: number;
  /** Rows that may be drawn next: [row, uniform, w * closest, then d values] each. */
  picks?: Float64Array;
  /** Weight of the rows each candidate owns (candidates so far), when the pass was asked to count. */
  counts?: Float64Array;
}

interface Next {
  /** Pre-select rows for this round (-1: no round follows). */
  round: number;
  seed: number;
  l: number;
  /** Candidates after this pass, for the owners' weights. */
  total: number;
  /** Count the weight each candidate owns: only the last pass's counts are kept. */
  count: boolean;
}

/** Global row numbers the preselection kernel takes (its uniforms are drawn from 32-bit indices). */
const KERNEL_ROWS = 2 ** 31;

/** The weight of the shard's rows each of `total` candidates owns. */
function ownerCounts(sh: Shard, total: number): Float64Array {
  const owner = rowValues(sh, 'owner', 'i32');
  const counts = new Float64Array(total);
  if (sh.buffers.has('weights')) {
    const w = rowValues(sh, 'weights', 'f32');
    for (let i = 0; i < sh.rows; i++) counts[owner[i]] += w[i];
  } else {
    for (let i = 0; i < sh.rows; i++) counts[owner[i]]++;
  }
  return counts;
}

function finish(sh: Shard, pot: number, s: Next): ParallelPartial {
  const closest = rowValues(sh, 'closest', 'f32');
  const w = sh.buffers.has('weights') ? rowValues(sh, 'weights', 'f32') : undefined;
  const counts = s.count ? ownerCounts(sh, s.total) : undefined;
  if (s.round < 0) return { pot, counts };
  const uniform = indexUniforms(s.seed, s.round);
  let chosen: ArrayLike<number>;
  if (sh.start + sh.rows <= KERNEL_ROWS) chosen = preselectShard(sh, 'closest', s.seed, s.round, s.l, pot);
  else {
    const rows: number[] = [];
    for (let i = 0; i < sh.rows; i++) {
      const wc = (w ? w[i] : 1) * closest[i];
      // the same expression the caller applies with phi >= pot, so rounding keeps the superset
      if (wc > 0 && uniform(sh.start + i) < (s.l * wc) / pot) rows.push(i);
    }
    chosen = rows;
  }
  const width = 3 + sh.d;
  const picks = new Float64Array(chosen.length * width);
  const cols = Array.from({ length: sh.d }, (_, j) => shardColumn(sh, j));
  for (let q = 0; q < chosen.length; q++) {
    const i = chosen[q];
    picks[q * width] = sh.start + i;
    picks[q * width + 1] = uniform(sh.start + i);
    picks[q * width + 2] = (w ? w[i] : 1) * closest[i];
    for (let j = 0; j < sh.d; j++) picks[q * width + 3 + j] = cols[j][i];
  }
  return { pot, picks, counts };
}

const preselectBytes = (_s: unknown, _d: number, shardRows: number): number => PRESELECT_BYTES_PER_ROW * shardRows + 64;

/** The first centre: closest = |x - c|^2 (direct form), every row owned by candidate 0. */
export const firstCentreOp = defineOp<Next & { centre: Float32Array }, ParallelPartial>({
  name: 'kmeansParallel.first',
  rows: () => ({ closest: F32, owner: I32 }),
  scratchBytes: preselectBytes,
  run(sh, s) {
    const pot = updateClosestShard(sh, s.centre, 'closest', true);
    rowValues(sh, 'owner', 'i32').fill(0);
    return finish(sh, pot, s);
  },
}, import.meta.url);

/**
 * A round's candidates (m x d float32 and squared norms, numbered from `base`): the assignment kernel finds each
 * row's nearest, and closest and owner follow it where it is nearer than the row's closest so far.
 */
export const candidatesUpdateOp = defineOp<Next & { cent: Float32Array; norms: Float32Array; m: number; base: number }, ParallelPartial>({
  name: 'kmeansParallel.update',
  rows: () => ({ closest: F32, owner: I32, candidate: { type: 'i32', fill: -1 }, candidateDist: F32 }),
  scratchBytes: (s, d, shardRows) => 8 * (s.m * d + s.m) + preselectBytes(s, d, shardRows),
  run(sh, s) {
    assignShard(sh, { cent: s.cent, norms: s.norms, k: s.m, labels: 'candidate', dist: 'candidateDist' });
    let pot = mergeClosestShard(sh, 'closest', 'owner', 'candidate', 'candidateDist', s.base);
    if (sh.buffers.has('weights')) {
      const closest = rowValues(sh, 'closest', 'f32'), w = rowValues(sh, 'weights', 'f32');
      pot = 0;
      for (let i = 0; i < sh.rows; i++) pot += w[i] * closest[i];
    }
    return finish(sh, pot, s);
  },
}, import.meta.url);

/**
 * The weight each of `total` candidates owns, when the rounds ended before the last one counted it (a round drew no
 * row, or no row was left with a positive distance).
 */
export const ownerCountsOp = defineOp<{ total: number }, Float64Array>({
  name: 'kmeansParallel.counts',
  rows: () => ({ owner: I32 }),
  run: (sh, s) => ownerCounts(sh, s.total),
}, import.meta.url);
