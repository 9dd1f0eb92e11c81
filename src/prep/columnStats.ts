import { throwIfAborted } from '../util/errors.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import type { Executor, Handle } from '../engine/executor.js';
import { sumInShardOrder } from '../engine/merge.js';
import type { RunOptions } from '../engine/executor.js';
import { mergeMoments, type Moments } from './fitStats.js';
import { crossProductsOp, DIGIT, extentOp, momentsOp, selectOp, valueCountsOp, type SelectTarget } from './statsOps.js';

/** A bucket this small is fetched whole and sorted, ending the radix search. */
const COLLECT = 16384;

interface Search {
  j: number;
  rank: number;
  depth: number;
  hi: number;
  lo: number;
  size: number;
  value?: number;
}

// Sets the digit below the top `depth` bits of a key prefix.
function withDigit(s: Search, b: number): void {
  const shift = 64 - s.depth - DIGIT;
  if (shift >= 32) s.hi = (s.hi | (b << (shift - 32))) >>> 0;
  else if (shift >= 0) {
    s.hi = (s.hi | (b >>> (32 - shift))) >>> 0;
    s.lo = (s.lo | (b << shift)) >>> 0;
  } else s.lo = (s.lo | (b >>> -shift)) >>> 0;
  s.depth = Math.min(64, s.depth + DIGIT);
}

/**
 * Float64 columns loaded into an executor for the statistics the prep steps fit: every scan is a shard op, merged
 * in shard order, so the statistics are the same bytes on every executor. NaN marks a missing value.
 */
export class ColumnStats {
  private constructor(private readonly ex: Executor, private readonly handle: Handle, private readonly signal?: AbortSignal) {}

  static async load(columns: readonly Float64Array[], options: RunOptions = {}): Promise<ColumnStats> {
    const ex = resolveExecutor(options);
    const handle = await ex.load({ columns }, { dtype: 'f64', signal: options.signal });
    return new ColumnStats(ex, handle, options.signal);
  }

  release(): Promise<void> {
    return this.ex.release(this.handle);
  }

  /** Count, mean and sum of squared deviations of each column (Chan et al.'s pairwise merge, in shard order). */
  async moments(): Promise<Moments[]> {
    const parts = await this.ex.map(momentsOp, this.handle, null, { signal: this.signal });
    return Array.from({ length: this.handle.d }, (_, j) => {
      let acc: Moments = { count: 0, mean: 0, m2: 0 };
      for (const p of parts) acc = mergeMoments(acc, { count: p[3 * j], mean: p[3 * j + 1], m2: p[3 * j + 2] });
      return acc;
    });
  }

  /** Lowest and highest present value of each column; NaN for both when it has none. */
  async extents(): Promise<[number, number][]> {
    const parts = await this.ex.map(extentOp, this.handle, null, { signal: this.signal });
    return Array.from({ length: this.handle.d }, (_, j) => {
      let lo = Infinity, hi = -Infinity;
      for (const p of parts) {
        if (p[2 * j] < lo) lo = p[2 * j];
        if (p[2 * j + 1] > hi) hi = p[2 * j + 1];
      }
      return lo > hi ? [NaN, NaN] : [lo, hi];
    });
  }

  /**
   * The r-th smallest present value (0-based) for each [column, r], exactly, by radix selection on the values'
   * sortable bit patterns: a few passes of per-shard digit counts, then the last small bucket fetched and sorted.
   */
  async orderStatistics(wanted: readonly (readonly [number, number])[], counts: readonly number[]): Promise<number[]> {
    const searches: Search[] = wanted.map(([j, rank]) => ({ j, rank, depth: 0, hi: 0, lo: 0, size: counts[j] }));
    while (searches.some((s) => s.value === undefined)) {
      throwIfAborted(this.signal);
      const open = searches.filter((s) => s.value === undefined);
      // searches in the same bucket of the same column share one target
      const keyOf = (s: Search) => `${s.j}:${s.depth}:${s.hi}:${s.lo}`;
      const targets = new Map<string, SelectTarget>();
      for (const s of open) targets.set(keyOf(s), { j: s.j, depth: s.depth, hi: s.hi, lo: s.lo, collect: s.size <= COLLECT || s.depth >= 64 });
      const list = [...targets.values()];
      const parts = await this.ex.map(selectOp, this.handle, { targets: list }, { signal: this.signal });
      const index = new Map([...targets.keys()].map((k, q) => [k, q]));
      for (const s of open) {
        const q = index.get(keyOf(s))!;
        if (list[q].collect) {
          const values = Float64Array.from(parts.flatMap((p) => Array.from(p[q] as Float64Array))).sort();
          s.value = values[s.rank];
          continue;
        }
        const merged = new Float64Array(1 << DIGIT);
        for (const p of parts) {
          const c = p[q] as Uint32Array;
          for (let b = 0; b < c.length; b++) merged[b] += c[b];
        }
        let b = 0, below = 0;
        while (below + merged[b] <= s.rank) below += merged[b++];
        s.rank -= below;
        s.size = merged[b];
        withDigit(s, b);
      }
    }
    return searches.map((s) => s.value!);
  }

  /** numpy's linear quantile (np.nanpercentile's default) of column j with `count` present values. */
  async quantiles(j: number, ps: readonly number[], count: number): Promise<number[]> {
    if (count === 0) return ps.map(() => NaN);
    const pairs = ps.map((p) => {
      const h = (count - 1) * p;
      const lo = Math.floor(h);
      return { lo, hi: Math.min(lo + 1, count - 1), t: h - lo };
    });
    const ranks = [...new Set(pairs.flatMap((q) => [q.lo, q.hi]))].sort((a, b) => a - b);
    const values = await this.orderStatistics(ranks.map((r) => [j, r] as const), this.countsFor(j, count));
    const at = new Map(ranks.map((r, q) => [r, values[q]]));
    // numpy's _lerp, so results match np.nanpercentile to the last bit
    return pairs.map(({ lo, hi, t }) => {
      const a = at.get(lo)!, b = at.get(hi)!, diff = b - a;
      return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
    });
  }

  /** np.median of column j's `count` present values. */
  async median(j: number, count: number): Promise<number> {
    if (count === 0) return NaN;
    const mid = count >> 1;
    if (count % 2 === 1) return (await this.orderStatistics([[j, mid]], this.countsFor(j, count)))[0];
    const [a, b] = await this.orderStatistics([[j, mid - 1], [j, mid]], this.countsFor(j, count));
    return (a + b) / 2;
  }

  private countsFor(j: number, count: number): number[] {
    const c = new Array<number>(this.handle.d).fill(Infinity);
    c[j] = count;
    return c;
  }

  /** The most frequent present value of column j (ties to the smallest, as SimpleImputer); NaN when none. */
  async mode(j: number): Promise<number> {
    const parts = await this.ex.map(valueCountsOp, this.handle, { j }, { signal: this.signal });
    const counts = new Map<number, number>();
    for (const p of parts) p.values.forEach((v, q) => counts.set(v === 0 ? 0 : v, (counts.get(v === 0 ? 0 : v) ?? 0) + p.counts[q]));
    let best = NaN, bestCount = 0;
    for (const [v, c] of counts) if (c > bestCount || (c === bestCount && v < best)) { best = v; bestCount = c; }
    return best;
  }

  /** Sums of centred cross products of every column pair (d x d), around the given means. */
  async crossProducts(means: Float64Array): Promise<Float64Array> {
    return sumInShardOrder(await this.ex.map(crossProductsOp, this.handle, { means }, { signal: this.signal }));
  }
}

/** Loads the columns, runs `use` on their statistics, and releases them. */
export async function withColumnStats<T>(columns: readonly Float64Array[], options: RunOptions, use: (s: ColumnStats) => Promise<T>): Promise<T> {
  const s = await ColumnStats.load(columns, options);
  try {
    return await use(s);
  } finally {
    await s.release();
  }
}
