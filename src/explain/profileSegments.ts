import { SegkitError, badOption, describe } from '../util/errors.js';
import { toDataset, type Dataset } from '../data/dataset.js';
import { checkOptions } from '../util/options.js';
import { uniqueSegmentNames, type FeatureZ } from './nameSegment.js';

export interface TopFeature {
  readonly name: string;
  /** Segment mean minus population mean, in population standard deviations. */
  readonly z: number;
  readonly direction: 'high' | 'low';
}

export interface SegmentProfile {
  readonly id: number;
  readonly size: number;
  /** size / n */
  readonly share: number;
  readonly mean: number[];
  readonly median: number[];
  /** Per feature: (segment mean - population mean) / population std; 0 where the population std is 0. */
  readonly z: number[];
  readonly topFeatures: TopFeature[];
  readonly name: string;
  /**
   * Share of each RFM label inside the segment, largest first, except that labels which read as array indices
   * ("7", "555") come before the others in numeric order, as JavaScript lists such keys: sort `Object.entries` by
   * share for the ranking. Present when `rfmSegments` was given.
   */
  readonly rfmMix?: Record<string, number>;
}

export interface SegmentProfiles {
  readonly features: string[];
  /** Population mean and standard deviation (ddof 0, as StandardScaler) per feature. */
  readonly population: { readonly n: number; readonly mean: number[]; readonly std: number[] };
  readonly segments: SegmentProfile[];
}

export interface ProfileSegmentsOptions {
  /** One RFM label per row (e.g. "Champions"), summarised per segment as `rfmMix`. */
  readonly rfmSegments?: readonly string[] | null;
  /** At most this many top features per segment. */
  readonly maxTopFeatures?: number;
  /** Features with |z| below this are not top features. */
  readonly minAbsZ?: number;
}

const DEFAULTS = Object.freeze({ rfmSegments: null, maxTopFeatures: 3, minAbsZ: 0.25 });
const EPS = 2 ** -52;

/**
 * Floyd-Rivest selection: reorders a[lo..hi] so a[k] holds the value it would have sorted, smaller values before it.
 * Floyd & Rivest, "Algorithm 489: SELECT", CACM 18(3), 1975; same structure as d3-array's quickselect.
 */
function select(a: Float32Array | Float64Array, k: number, lo: number, hi: number): void {
  while (hi > lo) {
    if (hi - lo > 600) {
      // Recurse on a small sample around k so the pivot lands close to the k-th value.
      const n = hi - lo + 1;
      const m = k - lo + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (m - n / 2 < 0 ? -1 : 1);
      const newLo = Math.max(lo, Math.floor(k - (m * s) / n + sd));
      const newHi = Math.min(hi, Math.floor(k + ((n - m) * s) / n + sd));
      select(a, k, newLo, newHi);
    }
    const t = a[k];
    let i = lo;
    let j = hi;
    swap(a, lo, k);
    if (a[hi] > t) swap(a, lo, hi);
    while (i < j) {
      swap(a, i, j);
      i++;
      j--;
      while (a[i] < t) i++;
      while (a[j] > t) j--;
    }
    if (a[lo] === t) swap(a, lo, j);
    else {
      j++;
      swap(a, j, hi);
    }
    if (j <= k) lo = j + 1;
    if (k <= j) hi = j - 1;
  }
}

function swap(a: Float32Array | Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/** Exact median of a[0..m) (average of the two middle values when m is even, as numpy); reorders a. */
function medianInPlace(a: Float32Array | Float64Array, m: number): number {
  const hi = m >> 1;
  select(a, hi, 0, m - 1);
  if (m & 1) return a[hi];
  let lower = a[0];
  for (let i = 1; i < hi; i++) if (a[i] > lower) lower = a[i];
  return (lower + a[hi]) / 2;
}

function checkLabels(labels: ArrayLike<number>, n: number, k: number): void {
  if (!labels || typeof labels.length !== 'number') {
    throw new SegkitError('E_BAD_LABELS', `labels must be an Int32Array, got ${describe(labels)}`);
  }
  if (labels.length !== n) {
    throw new SegkitError('E_SHAPE_MISMATCH', `labels has ${labels.length} entries for ${n} rows`);
  }
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= k) {
      throw new SegkitError('E_BAD_LABELS', `row ${i} has label ${describe(l)}; labels must be integers in [0, ${k})`);
    }
  }
}

/** Columns of float64 values profiled as they are (a Dataset holds float32), or undefined for any other input. */
type ProfileColumns = { readonly n: number; readonly d: number; readonly names: readonly string[]; readonly columns: readonly (Float32Array | Float64Array)[] };

function float64Columns(data: Dataset | ProfileColumns): ProfileColumns | undefined {
  const cols = (data as ProfileColumns | null)?.columns;
  // a column that is no array (null) is toDataset's to refuse, naming it
  if (!Array.isArray(cols) || !cols.some((c) => c instanceof Float64Array) || cols.some((c) => !Array.isArray(c) && !ArrayBuffer.isView(c))) return undefined;
  const n = cols[0].length;
  if (n === 0) throw new SegkitError('E_EMPTY_DATA', 'the data has no rows');
  // the names checked as a Dataset's are, on one row
  const { names } = toDataset({ columns: cols.map(() => Float32Array.of(0)), names: data.names });
  cols.forEach((c, j) => {
    if (c.length !== n) throw new SegkitError('E_RAGGED_ROWS', `column "${names[j]}" has ${c.length} rows, column "${names[0]}" has ${n}`);
    for (let i = 0; i < n; i++) if (!Number.isFinite(c[i])) throw new SegkitError('E_NAN_INPUT', `row ${i}, column "${names[j]}" holds ${describe(c[i])}; features must be finite numbers`);
  });
  return { n, d: cols.length, names, columns: cols };
}

/**
 * Per-segment profile: size, share, mean, exact median and z-score of every feature against the population
 * (`data`: a Dataset, or `{ columns, names }` whose Float64Array columns are profiled in float64, keeping the digits
 * float32 drops from values far from zero),
 * the features that set the segment apart most, and a short readable name.
 *
 * @example
 * const profiles = profileSegments(data, labels, 4);
 * profiles.segments[0].name; // e.g. "High spend, frequent, recent buyers"
 */
export function profileSegments(data: Dataset | ProfileColumns, labels: Int32Array, k: number, options: ProfileSegmentsOptions = {}): SegmentProfiles {
  checkOptions(options, Object.keys(DEFAULTS), 'profileSegments');
  const o = { ...DEFAULTS, ...options };
  if (!Number.isInteger(k) || k < 1) throw badOption('k', k, 'an integer >= 1');
  if (!Number.isInteger(o.maxTopFeatures) || o.maxTopFeatures < 0) throw badOption('maxTopFeatures', o.maxTopFeatures, 'an integer >= 0');
  if (!(o.minAbsZ >= 0) || !Number.isFinite(o.minAbsZ)) throw badOption('minAbsZ', o.minAbsZ, 'a finite number >= 0');
  const ds = float64Columns(data) ?? toDataset(data);
  const { n, d } = ds;
  checkLabels(labels, n, k);
  const rfm = o.rfmSegments ?? null;
  if (rfm !== null) {
    if (!Array.isArray(rfm)) throw badOption('rfmSegments', rfm, 'an array of strings, one per row, or null');
    if (rfm.length !== n) throw new SegkitError('E_SHAPE_MISMATCH', `option "rfmSegments" has ${rfm.length} entries for ${n} rows`);
    for (let i = 0; i < n; i++) {
      if (typeof rfm[i] !== 'string') throw new SegkitError('E_BAD_OPTION', `option "rfmSegments" row ${i} holds ${describe(rfm[i])}, not a string`);
    }
  }

  // Counting sort of row indices by label, so each segment's rows are contiguous in `order`.
  const size = new Int32Array(k);
  for (let i = 0; i < n; i++) size[labels[i]]++;
  const start = new Int32Array(k + 1);
  for (let c = 0; c < k; c++) start[c + 1] = start[c] + size[c];
  const order = new Int32Array(n);
  const fill = start.slice(0, k);
  for (let i = 0; i < n; i++) order[fill[labels[i]]++] = i;

  let maxSize = 0;
  for (let c = 0; c < k; c++) maxSize = Math.max(maxSize, size[c]);
  const scratch = ds.columns.some((c) => c instanceof Float64Array) ? new Float64Array(maxSize) : new Float32Array(maxSize);

  const popMean = new Array<number>(d);
  const popStd = new Array<number>(d);
  const segMean = Array.from({ length: k }, () => new Array<number>(d).fill(Number.NaN));
  const segMedian = Array.from({ length: k }, () => new Array<number>(d).fill(Number.NaN));

  for (let j = 0; j < d; j++) {
    const col = ds.columns[j];
    // Two passes in float64: the mean first, then squared deviations, which stays accurate for large offsets.
    let sum = 0;
    for (let i = 0; i < n; i++) sum += col[i];
    const mu = sum / n;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const dv = col[i] - mu;
      ss += dv * dv;
    }
    popMean[j] = mu;
    // a variance within rounding error of 0 is 0 (StandardScaler's _is_constant_feature): a column of 0.1s sums
    // with rounding, and z against its leftover std would set segments apart by noise
    const v = ss / n;
    popStd[j] = v <= n * EPS * v + (n * mu * EPS) ** 2 ? 0 : Math.sqrt(v);
    for (let c = 0; c < k; c++) {
      const m = size[c];
      if (m === 0) continue;
      const base = start[c];
      let s = 0;
      for (let t = 0; t < m; t++) {
        const v = col[order[base + t]];
        scratch[t] = v;
        s += v;
      }
      segMean[c][j] = s / m;
      segMedian[c][j] = medianInPlace(scratch, m);
    }
  }

  const zs = segMean.map((mean, c) => mean.map((v, j) => (size[c] === 0 || popStd[j] === 0 ? 0 : (v - popMean[j]) / popStd[j])));
  const names = uniqueSegmentNames(
    zs.map((z, c) => (size[c] === 0 ? null : z.map((zj, j): FeatureZ => ({ name: ds.names[j], z: zj })))),
    { minAbsZ: o.minAbsZ, maxTerms: Math.max(1, o.maxTopFeatures) },
  );

  const segments: SegmentProfile[] = [];
  for (let c = 0; c < k; c++) {
    const z = zs[c];
    const topFeatures = z
      .map((zj, j) => ({ j, zj }))
      .filter(({ zj }) => Math.abs(zj) >= o.minAbsZ && zj !== 0)
      .sort((a, b) => Math.abs(b.zj) - Math.abs(a.zj) || a.j - b.j)
      .slice(0, o.maxTopFeatures)
      .map(({ j, zj }): TopFeature => ({ name: ds.names[j], z: zj, direction: zj > 0 ? 'high' : 'low' }));
    const profile: SegmentProfile = {
      id: c,
      size: size[c],
      share: size[c] / n,
      mean: segMean[c],
      median: segMedian[c],
      z,
      topFeatures,
      name: names[c],
      ...(rfm !== null ? { rfmMix: rfmMix(rfm, order, start[c], size[c]) } : {}),
    };
    segments.push(profile);
  }
  return { features: [...ds.names], population: { n, mean: popMean, std: popStd }, segments };
}

/** Label -> share within the segment, largest share first, ties by label; fromEntries keeps keys like "__proto__" as data. */
function rfmMix(rfm: readonly string[], order: Int32Array, base: number, m: number): Record<string, number> {
  const counts = new Map<string, number>();
  for (let t = 0; t < m; t++) {
    const label = rfm[order[base + t]];
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  const entries = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return Object.fromEntries(entries.map(([label, count]) => [label, count / m]));
}
