import { throwIfAborted } from '../util/errors.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import type { Executor, Handle } from '../engine/executor.js';
import { sumInShardOrder } from '../engine/merge.js';
import type { RunOptions } from '../engine/executor.js';
import { mergeMoments, type Moments } from './fitStats.js';
import { crossProductsOp, DIGIT, momentsOp, selectOp, topMask, valueCountsOp, type DigitCounts, type SelectTarget } from './statsOps.js';

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

const keyBits = new Float64Array(1);
const keyWords = new Uint32Array(keyBits.buffer);

/** The sortable 64-bit key of a float64 as [high word, low word], as the select op computes it. */
function sortKey(v: number): [number, number] {
  keyBits[0] = v;
  const hi = keyWords[1], lo = keyWords[0];
  return hi & 0x80000000 ? [~hi >>> 0, ~lo >>> 0] : [(hi | 0x80000000) >>> 0, lo];
}

/** The shards' sorted values of one bucket, merged and sorted. */
function concatSorted(parts: readonly Float64Array[]): Float64Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Float64Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out.sort();
}

/** The shards' digit counts summed, and their extent. */
function mergeCounts(parts: readonly DigitCounts[]): { counts: Float64Array; min: number; max: number } {
  const counts = new Float64Array(1 << DIGIT);
  let min = Infinity, max = -Infinity;
  for (const p of parts) {
    const c = p.counts;
    for (let b = 0; b < c.length; b++) counts[b] += c[b];
    if (p.min < min) min = p.min;
    if (p.max > max) max = p.max;
  }
  return { counts, min, max };
}

/**
 * Float64 columns loaded into an executor for the statistics the prep steps fit: every scan is a shard op, merged
 * in shard order, so the statistics are the same bytes on every executor. NaN marks a missing value.
 */
export class ColumnStats {
  /** Each column's [lowest, highest], once `moments` has run. */
  private extentsSeen: [number, number][] | undefined;

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
    const extents: [number, number][] = [];
    const moments = Array.from({ length: this.handle.d }, (_, j) => {
      let acc: Moments = { count: 0, mean: 0, m2: 0 };
      let lo = Infinity, hi = -Infinity;
      for (const p of parts) {
        acc = mergeMoments(acc, { count: p[5 * j], mean: p[5 * j + 1], m2: p[5 * j + 2] });
        const a = p[5 * j + 3], b = p[5 * j + 4];
        if (a < lo || (a === 0 && lo === 0 && 1 / a < 0)) lo = a;
        if (b > hi || (b === 0 && hi === 0 && 1 / b > 0)) hi = b;
      }
      extents.push(lo > hi ? [NaN, NaN] : [lo, hi]);
      return acc;
    });
    this.extentsSeen = extents;
    return moments;
  }

  /** Lowest and highest present value of each column; NaN for both when it has none (from the moments pass). */
  async extents(): Promise<[number, number][]> {
    if (!this.extentsSeen) await this.moments();
    return this.extentsSeen!.map(([lo, hi]) => [lo, hi]);
  }

  /** Where column j's search starts: the key prefix its lowest and highest value share (all its values share it). */
  private start(j: number): { depth: number; hi: number; lo: number } {
    const e = this.extentsSeen?.[j];
    if (!e || e[0] !== e[0]) return { depth: 0, hi: 0, lo: 0 };
    const [ahi, alo] = sortKey(e[0]);
    const [bhi, blo] = sortKey(e[1]);
    const depth = ahi !== bhi ? Math.clz32(ahi ^ bhi) : alo !== blo ? 32 + Math.clz32(alo ^ blo) : 64;
    const [mhi, mlo] = topMask(depth);
    return { depth, hi: (ahi & mhi) >>> 0, lo: (alo & mlo) >>> 0 };
  }

  /**
   * The r-th smallest present value (0-based) for each [column, r], exactly, by radix selection on the values'
   * sortable bit patterns: a few passes of per-shard digit counts, then the last small bucket fetched and sorted.
   * A bucket whose values are all equal (ties: 0/1 flags, counts) ends its search without being fetched.
   * `counts[j]` is column j's present values (a bound on the first bucket; Infinity when unknown).
   */
  async orderStatistics(wanted: readonly (readonly [number, number])[], counts: readonly number[]): Promise<number[]> {
    const searches: Search[] = wanted.map(([j, rank]) => {
      const s: Search = { j, rank, ...this.start(j), size: counts[j] ?? Infinity };
      // lowest and highest share every bit: every value is the same
      if (s.depth === 64) s.value = this.extentsSeen![j][0];
      return s;
    });
    while (searches.some((s) => s.value === undefined)) {
      throwIfAborted(this.signal);
      const open = searches.filter((s) => s.value === undefined);
      // searches in the same bucket of the same column share one target
      const keyOf = (s: Search) => `${s.j}:${s.depth}:${s.hi}:${s.lo}`;
      const targets = new Map<string, SelectTarget>();
      for (const s of open) targets.set(keyOf(s), { j: s.j, depth: s.depth, hi: s.hi, lo: s.lo, collect: s.size <= COLLECT || s.depth >= 64, size: s.size });
      const list = [...targets.values()];
      const parts = await this.ex.map(selectOp, this.handle, { targets: list }, { signal: this.signal });
      const index = new Map([...targets.keys()].map((k, q) => [k, q]));
      const merged = new Map<number, { counts: Float64Array; min: number; max: number } | Float64Array>();
      for (const s of open) {
        const q = index.get(keyOf(s))!;
        let m = merged.get(q);
        if (!m) {
          m = list[q].collect ? concatSorted(parts.map((p) => p[q] as Float64Array)) : mergeCounts(parts.map((p) => p[q] as DigitCounts));
          merged.set(q, m);
        }
        if (m instanceof Float64Array) {
          s.value = m[s.rank];
          continue;
        }
        // every value in the bucket is the same: the sign of a zero is the prefix's (both zeros only share depth 0)
        if (m.min === m.max && (m.min !== 0 || s.depth > 0)) {
          s.value = m.min === 0 && s.hi < 0x80000000 ? -0 : m.min;
          continue;
        }
        const c = m.counts;
        let b = 0, below = 0;
        while (below + c[b] <= s.rank) below += c[b++];
        s.rank -= below;
        s.size = c[b];
        withDigit(s, b);
      }
    }
    return searches.map((s) => s.value!);
  }

  /**
   * numpy's linear quantiles (np.nanpercentile's default) of several columns, each with `count` present values, searched
   * together. A p of 'median' is np.nanmedian: the mean of the two middle values, which the 50th percentile's
   * interpolation can miss by an ulp.
   */
  async quantilesOf(asks: readonly { j: number; ps: readonly (number | 'median')[]; count: number }[]): Promise<number[][]> {
    const plans = asks.map(({ j, ps, count }) => {
      const pairs = ps.map((p) => {
        const h = (count - 1) * (p === 'median' ? 0.5 : p);
        const lo = Math.floor(h);
        return { lo, hi: Math.min(lo + 1, count - 1), t: h - lo, mid: p === 'median' };
      });
      const ranks = count === 0 ? [] : [...new Set(pairs.flatMap((q) => [q.lo, q.hi]))].sort((a, b) => a - b);
      return { j, count, pairs, ranks };
    });
    const wanted = plans.flatMap((p) => p.ranks.map((r) => [p.j, r] as const));
    const counts = new Array<number>(this.handle.d).fill(Infinity);
    for (const p of plans) counts[p.j] = p.count;
    const values = wanted.length > 0 ? await this.orderStatistics(wanted, counts) : [];
    let next = 0;
    return plans.map(({ count, pairs, ranks }) => {
      const at = new Map(ranks.map((r) => [r, values[next++]]));
      if (count === 0) return pairs.map(() => NaN);
      // numpy's _lerp, so results match np.nanpercentile to the last bit
      return pairs.map(({ lo, hi, t, mid }) => {
        const a = at.get(lo)!, b = at.get(hi)!, diff = b - a;
        if (mid) return t === 0 ? a : (a + b) / 2;
        return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
      });
    });
  }

  /** np.median of several columns, their searches run together. */
  async medians(asks: readonly { j: number; count: number }[]): Promise<number[]> {
    const wanted: [number, number][] = [];
    const counts = new Array<number>(this.handle.d).fill(Infinity);
    for (const { j, count } of asks) {
      counts[j] = count;
      if (count === 0) continue;
      const mid = count >> 1;
      if (count % 2 === 0) wanted.push([j, mid - 1]);
      wanted.push([j, mid]);
    }
    const values = wanted.length > 0 ? await this.orderStatistics(wanted, counts) : [];
    let next = 0;
    return asks.map(({ count }) => {
      if (count === 0) return NaN;
      if (count % 2 === 1) return values[next++];
      const a = values[next++], b = values[next++];
      return (a + b) / 2;
    });
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
