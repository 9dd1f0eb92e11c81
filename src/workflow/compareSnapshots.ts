import { SegkitError, badOption, baseMessage, throwIfAborted } from '../util/errors.js';
import { checkOptions, RUN_OPTIONS, orDefault } from '../util/options.js';
import { formatShare as pct, psiFigure } from '../util/shareText.js';
import { fromColumns } from '../data/dataset.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import { loadThenMap, type Executor, type Handle, type RunOptions, type ShardSource } from '../engine/executor.js';
import { yieldToEventLoop } from '../util/eventLoop.js';
import type { ShardOp } from '../engine/shardOp.js';
import type { TableInput } from '../prep/frame.js';
import type { PipelineResult } from '../prep/pipeline.js';
import { driftScanOp, type ScanPartial, type ScanState } from '../metrics/driftOps.js';
import { driftLabelScanOp } from './driftLabelScanOp.js';
import type { KsMethod } from '../metrics/ksTwoSample.js';
import { emptySegmentTotals, handleSnapshot, planGuide, twoSampleDrift, type DriftSnapshot, type FeatureDrift, type SegmentTotals } from '../metrics/twoSampleDrift.js';
import { isSegmentationModel } from '../core/loadModel.js';
import type { SegmentationModel } from '../core/model.js';
import { SegmentModel } from './segmentModel.js';
import { KMeansModel } from '../core/kmeansModel.js';
import { rangeScale } from '../engine/matrix.js';
import { sumNumbers } from '../engine/merge.js';
import type { AnyTypedArray } from '../kernels/shard.js';
import { checkIdKinds, checkUniqueIds, float32Column, float64Column, IdIndex, readIds, requireColumns, uniqueInt32Range, type Ids } from './snapshotColumns.js';
import { isolate } from '../util/bidiText.js';

/** Thresholds behind the recommendation: conventions, not laws; every one can be changed. */
export interface DriftThresholds {
  /** PSI from which a feature has shifted moderately (industry convention: 0.1). */
  psiModerate: number;
  /** PSI from which a feature has shifted significantly (industry convention: 0.25). */
  psiSignificant: number;
  /** KS statistic from which a difference counts as material (with p < ksAlpha). */
  ksStatistic: number;
  ksAlpha: number;
  /** Relative rise of the mean distance to the assigned centre that calls for a refit. */
  distanceRise: number;
  /** Share of returning customers that changed segment from which the segments are called unstable. */
  movedShare: number;
  /** Rise in a feature's share of missing values (after less before) that is named as a data problem. */
  missingRise: number;
}

export const driftThresholdDefaults: Readonly<DriftThresholds> = Object.freeze({
  psiModerate: 0.1, psiSignificant: 0.25, ksStatistic: 0.1, ksAlpha: 0.01, distanceRise: 0.1, movedShare: 0.25, missingRise: 0.1,
});

export interface CompareSnapshotsOptions extends RunOptions {
  /** The customer id column, present in both snapshots. */
  id: string;
  /** A column of customer value (revenue, margin): its total per segment before and after. */
  value?: string;
  /** 'auto' (SciPy's rule: exact up to 10,000 values per snapshot), 'exact' or 'asymp'. */
  ksMethod?: KsMethod;
  thresholds?: Partial<DriftThresholds>;
}

export type DriftLevel = 'stable' | 'moderate' | 'significant';

export interface FeatureDriftReport extends FeatureDrift {
  /** From PSI by the thresholds (0.1 / 0.25 by convention): 'stable', 'moderate' or 'significant'. */
  level: DriftLevel | null;
}

export interface SegmentChange {
  segment: number;
  name: string;
  before: number;
  after: number;
  change: number;
  /** after / before - 1 (Infinity for a segment that was empty). */
  growth: number;
  /** The segment's customers over all the snapshot's rows, those in no segment included (`migration.unscoredBefore`). */
  shareBefore: number;
  shareAfter: number;
  /** Mean distance of the segment's customers to its centre (centroid models only; NaN otherwise). */
  distanceBefore: number;
  distanceAfter: number;
  /** Total of the value column over the segment's customers, and per customer (when `value` is given). */
  valueBefore?: number;
  valueAfter?: number;
  valuePerCustomerBefore?: number;
  valuePerCustomerAfter?: number;
}

export interface Migration {
  segments: string[];
  /** counts[from][to]: customers in segment `from` before and `to` after (k x k). */
  counts: number[][];
  /**
   * counts[from][to] / customers of `from` who are still there after, those now without a segment included (row
   * shares: a row sums to less than 1 by the share that went to no segment).
   */
  shares: number[][];
  /** Per segment after: customers not in the before snapshot. */
  new: number[];
  /** Per segment before: customers not in the after snapshot. */
  gone: number[];
  /**
   * Customers in both snapshots; of them, those in a different segment after, counting a move into or out of no
   * segment (a density model's unassigned rows, an outlier rule's dropped ones).
   */
  returning: number;
  moved: number;
  /** Per segment before: returning customers left without a segment after. */
  toUnassigned: number[];
  /** Per segment after: returning customers that had no segment before. */
  fromUnassigned: number[];
  /** Returning customers with no segment before or after (the unassigned row and column's cell). */
  unassignedBoth: number;
  /** Customers with no segment before that are not in the after snapshot (the unassigned row's "gone"). */
  unassignedGone: number;
  /** Rows left without a segment (an outlier rule dropped them) in each snapshot. */
  unscoredBefore: number;
  unscoredAfter: number;
}

export interface Movers {
  id: (string | number)[];
  /** Segments before and after; -1 for no segment (unassigned). */
  from: Int32Array;
  to: Int32Array;
}

export interface Recommendation {
  action: 'keep' | 'monitor' | 'refit';
  reasons: string[];
  text: string;
}

export interface CompareSnapshotsResult {
  k: number;
  rowsBefore: number;
  rowsAfter: number;
  migration: Migration;
  segments: SegmentChange[];
  movers: Movers;
  drift: FeatureDriftReport[];
  thresholds: DriftThresholds;
  recommendation: Recommendation;
  /** How the statistics are defined, in words (for reports and JSON readers). */
  conventions: string[];
  /**
   * Passes the exact statistics took: pass 1 (the first histograms, counted even when a k-means model's snapshots
   * got them while they were loaded and labelled) and the refining passes over the feature data.
   */
  passes: number;
}

/**
 * Rows per shard of the drift passes: each pass returns thousands of counters per feature per shard, so larger
 * shards than the engine's default keep the partials the caller merges few (the counts are exact either way).
 */
const DRIFT_SHARD_ROWS = 1 << 18;
/** Rows of a window when a snapshot is read a window at a time (a multiple of DRIFT_SHARD_ROWS). */
const WINDOW_ROWS = 1 << 22;
/**
 * From this many rows in each snapshot, pass 1 also counts the ranges a sample of both points to (`planGuide`), so
 * the next pass can collect values: smaller snapshots' first refining pass collects most of what it needs anyway.
 */
const GUIDE_FROM = 1 << 20;

/** Rows per shard of the drift passes, and the most rows of a snapshot held whole on the executor. */
export interface DriftLayout {
  shardRows: number;
  /** A multiple of shardRows (or Infinity), so the windows' shards are the whole snapshot's. */
  windowRows: number;
  /** Snapshots of at least this many rows each have pass 1 count the ranges a sample points to (default 2^20). */
  guideFrom?: number;
}

/** The drift passes' layout on `ex`: windows on executors whose loads overlap their op (`loadAndMap`). */
export function driftLayout(ex: Executor): DriftLayout {
  return { shardRows: DRIFT_SHARD_ROWS, windowRows: ex.loadAndMap ? WINDOW_ROWS : Infinity };
}

/** Segment labels (-1: none) of a snapshot's rows, in the narrowest signed type that holds k - 1. */
type Labels = Int8Array | Int16Array | Int32Array;

/**
 * An array for n labels below k: narrow labels keep the snapshots' label arrays small (a fresh large array costs a
 * page fault per 4 KiB on its first write).
 */
export const labelArray = (k: number, n: number): Labels => (k <= 0x80 ? new Int8Array(n) : k <= 0x8000 ? new Int16Array(n) : new Int32Array(n));

interface LoadedSnapshot<P> {
  snapshot: DriftSnapshot;
  /** The load op's partials, per shard in shard order. */
  partials: P[];
  labels?: Labels;
  release(): Promise<void>;
}

/** Rows [a, b) of a source. */
function windowOf(src: ShardSource, a: number, b: number): ShardSource {
  return {
    columns: src.columns.map((c) => c.subarray(a, b)),
    rows: src.rows && Object.fromEntries(Object.entries(src.rows).map(([name, v]) => [name, v.subarray(a, b)])),
  };
}

/**
 * Loads a snapshot and runs `op` over every shard as its rows come in (pass 1 of the drift statistics, labelling
 * first or not), reading the `labels` the op left when `labelled` gives their number of segments. A snapshot of more
 * than `windowRows` rows is not held: every pass loads it again a window at a time, each window let go before the
 * next, so the passes keep one window's memory instead of both snapshots' (the first write to a fresh page costs more
 * than the copy, which the op overlaps on executors with `loadAndMap`). Windows are whole shards, so the partials are
 * the same either way.
 */
async function loadSnapshot<S, P>(ex: Executor, source: ShardSource, op: ShardOp<S, P>, state: S, layout: DriftLayout, labelled: number | undefined, signal?: AbortSignal): Promise<LoadedSnapshot<P>> {
  const n = source.columns[0].length;
  const options = { dtype: 'f32', shardRows: layout.shardRows, signal } as const;
  if (n <= layout.windowRows) {
    const { handle, partials } = await loadThenMap(ex, source, op, state, options);
    try {
      const labels = labelled !== undefined ? (await ex.readRows(handle, 'labels', { signal })) as Int32Array : undefined;
      return { snapshot: handleSnapshot(ex, handle, signal), partials, labels, release: () => ex.release(handle) };
    } catch (e) {
      await ex.release(handle);
      throw e;
    }
  }
  const pass = async <S2, P2>(src: ShardSource, op2: ShardOp<S2, P2>, state2: S2, each?: (h: Handle, a: number) => Promise<void>): Promise<P2[]> => {
    const out: P2[] = [];
    for (let a = 0; a < n; a += layout.windowRows) {
      const { handle, partials } = await loadThenMap(ex, windowOf(src, a, Math.min(n, a + layout.windowRows)), op2, state2, options);
      try {
        if (each) await each(handle, a);
      } finally {
        await ex.release(handle);
      }
      for (const p of partials) out.push(p);
    }
    return out;
  };
  const labels = labelled !== undefined ? labelArray(labelled, n) : undefined;
  const partials = await pass(source, op, state, labels && (async (h, a) => { labels.set((await ex.readRows(h, 'labels', { signal })) as Int32Array, a); }));
  // the refining passes read the features only
  const features: ShardSource = { columns: source.columns };
  return { snapshot: { n, map: (op2, state2) => pass(features, op2, state2) }, partials, labels, release: async () => undefined };
}

const OPTIONS = ['id', 'value', 'ksMethod', 'thresholds', ...RUN_OPTIONS];
/** Thresholds that are shares or probabilities (KS D and its p-value are at most 1). */
const SHARE_THRESHOLDS = ['ksStatistic', 'ksAlpha', 'movedShare', 'missingRise'];

function centresOf(model: SegmentationModel): Float64Array | undefined {
  const c = (model as { centroids?: unknown }).centroids;
  if (!Array.isArray(c) || c.length !== model.k) return undefined;
  const d = model.featureNames.length;
  const out = new Float64Array(model.k * d);
  for (let t = 0; t < model.k; t++) {
    const row = c[t] as unknown;
    if (!Array.isArray(row) || row.length !== d) return undefined;
    for (let j = 0; j < d; j++) out[t * d + j] = row[j] as number;
  }
  return out;
}

function withSnapshot<T>(snapshot: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    // the hint stays a hint (the message reads as before)
    if (e instanceof SegkitError && !e.message.startsWith('snapshot ')) throw new SegkitError(e.code, `snapshot "${snapshot}": ${baseMessage(e)}`, e.hint, { cause: e });
    throw e;
  }
}

async function withSnapshotAsync<T>(snapshot: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof SegkitError && !e.message.startsWith('snapshot ') && e.code !== 'E_ABORTED') throw new SegkitError(e.code, `snapshot "${snapshot}": ${baseMessage(e)}`, e.hint, { cause: e });
    throw e;
  }
}

/** Per segment totals of model-space distances for a SegmentModel: its pipeline's output and that output's labels. */
async function modelSpaceDistances(ex: Executor, k: number, prepared: PipelineResult | null, labels: Int32Array, centres: Float64Array, signal?: AbortSignal): Promise<SegmentTotals> {
  const t = emptySegmentTotals(k);
  if (!prepared) return t;
  const h = await ex.load({ columns: prepared.dataset.columns, rows: { labels } }, { signal });
  try {
    const parts = await ex.map(driftScanOp, h, { k, value: false, centres }, { signal });
    for (const p of parts) for (let c = 0; c <= k; c++) { t.distance[c] += p.segDist[c]; t.distance2[c] += p.segDist2[c]; t.measured[c] += p.segMeasured[c]; }
    return t;
  } finally {
    await ex.release(h);
  }
}

/** A PSI of 0 (the same decile shares) is no shift, whatever the thresholds: at 0 they flag any shift, never none. */
function levelOf(psi: number, t: DriftThresholds): DriftLevel {
  return !(psi > 0) ? 'stable' : psi >= t.psiSignificant ? 'significant' : psi >= t.psiModerate ? 'moderate' : 'stable';
}

function recommend(r: Omit<CompareSnapshotsResult, 'recommendation' | 'conventions' | 'passes'>): Recommendation {
  const t = r.thresholds;
  const reasons: string[] = [];
  let action = 'keep' as Recommendation['action'];
  const raise = (a: Recommendation['action']) => { if (a === 'refit' || (a === 'monitor' && action === 'keep')) action = a; };
  // a feature gone missing is a data problem first: named before the shifts and distances it causes
  const share = (missing: number, present: number) => (missing + present > 0 ? missing / (missing + present) : 0);
  // a rise of exactly missingRise counts (30% - 20% is 0.0999... in floating point); no rise never does
  const gaps = r.drift.filter((f) => {
    const rise = share(f.missingAfter, f.nAfter) - share(f.missingBefore, f.nBefore);
    return rise > 0 && rise >= t.missingRise - 1e-9;
  });
  if (gaps.length) {
    raise('monitor');
    reasons.push(`${gaps.map((f) => `${isolate(f.feature)} (${pct(share(f.missingAfter, f.nAfter))} missing after, ${pct(share(f.missingBefore, f.nBefore))} before)`).join(', ')} went missing: check the data before reading its drift`);
  }
  // a snapshot without a value of a feature gives it no PSI or KS: said, so its silence is not read as no drift
  const unmeasured = r.drift.filter((f) => !f.psi && !gaps.includes(f));
  if (unmeasured.length) {
    raise('monitor');
    const where = (f: FeatureDriftReport) => (f.nBefore === 0 && f.nAfter === 0 ? 'either snapshot' : f.nBefore === 0 ? 'the earlier snapshot' : 'the later snapshot');
    reasons.push(`${unmeasured.map((f) => `${isolate(f.feature)} (no value in ${where(f)})`).join(', ')} ${unmeasured.length === 1 ? 'has' : 'have'} no drift figure: check the data`);
  }
  const sig = r.drift.filter((f) => f.level === 'significant');
  const psiText = (f: FeatureDriftReport) => psiFigure(f.psi!.value, t);
  const mod = r.drift.filter((f) => f.level === 'moderate');
  if (sig.length) {
    raise('refit');
    reasons.push(`${sig.map((f) => `${isolate(f.feature)} (PSI ${psiText(f)})`).join(', ')} shifted past the significant-shift convention (PSI >= ${t.psiSignificant})`);
  }
  if (mod.length) {
    raise('monitor');
    reasons.push(`${mod.map((f) => `${isolate(f.feature)} (PSI ${psiText(f)})`).join(', ')} shifted moderately (PSI ${t.psiModerate} to ${t.psiSignificant})`);
  }
  const ksMaterial = r.drift.filter((f) => f.ks && f.ks.pvalue < t.ksAlpha && f.ks.statistic >= t.ksStatistic && f.level === 'stable');
  if (ksMaterial.length) {
    raise('monitor');
    reasons.push(`${ksMaterial.map((f) => `${isolate(f.feature)} (KS D = ${f.ks!.statistic.toFixed(3)})`).join(', ')} changed shape by the KS test though its decile shares held`);
  }
  // as with missing values, a rise of 0 (the same distances) never counts, nor no mover, when a threshold is 0; a
  // rise of exactly distanceRise counts to the float32 precision of the distances (3 to 3.3 reads as 3.2999999523)
  const rising = r.segments.filter((s) => s.distanceBefore > 0 && s.distanceAfter > s.distanceBefore && s.distanceAfter / s.distanceBefore - 1 >= t.distanceRise - 1e-6);
  if (rising.length) {
    raise('refit');
    reasons.push(`customers sit farther from their centres in ${rising.map((s) => `${isolate(s.name)} (+${pct(s.distanceAfter / s.distanceBefore - 1)})`).join(', ')}: the centres no longer describe them`);
  }
  const m = r.migration;
  if (m.moved > 0 && m.moved / m.returning >= t.movedShare) {
    raise('monitor');
    reasons.push(`${pct(m.moved / m.returning)} of returning customers changed segment`);
  }
  const empty = r.segments.filter((s) => s.before > 0 && s.after === 0);
  if (empty.length) {
    raise('refit');
    reasons.push(`${empty.map((s) => isolate(s.name)).join(', ')} lost every customer`);
  }
  const head = action === 'refit'
    ? 'Refit the model: '
    : action === 'monitor'
      ? 'Keep the model for now and watch it: '
      : 'Keep the model: ';
  const text = reasons.length
    ? head + reasons.join('; ') + '.'
    // models without centres (mixtures, density models, classifiers) measure no distances: nothing is said of them
    : `Keep the model: ${r.drift.length ? `no feature moved past PSI ${t.psiModerate}` : 'the model has no numeric feature to measure drift on'}${r.segments.some((s) => Number.isFinite(s.distanceBefore)) ? ', and customers sit as close to their centres as before' : ''}.`;
  return { action, reasons, text };
}

/** What `migrate` counts: see there. */
interface MigrationCounts {
  flat: Float64Array;
  fresh: number[];
  /** Per segment before: its customers some after-row matched (the others are gone). */
  matched: Float64Array;
  returning: number;
  moved: number;
  toUnassigned: number[];
  fromUnassigned: number[];
  unassignedBoth: number;
  /** The movers' after-rows and segments before (-1: none), in pairs. */
  movers: number[];
}

/** A table of match codes for customers there before: the segment plus 2, or 1 without a segment (0: not there). */
type MatchCodes = Uint8Array | Uint16Array | Int32Array;
const matchCodes = (k: number, n: number): MatchCodes => (k < 254 ? new Uint8Array(n) : k < 65534 ? new Uint16Array(n) : new Int32Array(n));
/** The match code of a customer there before with this label. */
const matchCode = (label: number): number => (label >= 0 ? label + 2 : 1);

/**
 * The migration counts of returning customers (flat k x k, before by after; into and out of no segment apart), the
 * new customers per segment after, the matched ones per segment before, and the movers. After-row j's customer has match code table[key[j] - offset]
 * (0 outside the table): its segment before plus 2, 1 for a customer there without a segment, 0 for one not there
 * before. One loop with the lookup in it (a lookup function per row, or a separate array of codes, measured slower).
 */
function migrate(labelsA: Labels, k: number, key: Int32Array, offset: number, table: MatchCodes): MigrationCounts {
  const flat = new Float64Array(k * k), matched = new Float64Array(k);
  const fresh = new Array<number>(k).fill(0), toUnassigned = new Array<number>(k).fill(0), fromUnassigned = new Array<number>(k).fill(0);
  const movers: number[] = [];
  const size = table.length, n = labelsA.length;
  let returning = 0, moved = 0, unassignedBoth = 0;
  for (let j = 0; j < n; j++) {
    const s = key[j] - offset, la = labelsA[j];
    const m = s >= 0 && s < size ? table[s] : 0;
    if (m === 0) { if (la >= 0) fresh[la]++; continue; }
    const lb = m - 2;
    returning++;
    if (lb < 0) {
      if (la >= 0) { fromUnassigned[la]++; moved++; movers.push(j, -1); } else unassignedBoth++;
      continue;
    }
    matched[lb]++;
    if (la < 0) { toUnassigned[lb]++; moved++; movers.push(j, lb); continue; }
    flat[lb * k + la]++;
    if (la !== lb) { moved++; movers.push(j, lb); }
  }
  return { flat, fresh, matched, returning, moved, toUnassigned, fromUnassigned, unassignedBoth, movers };
}

/**
 * The value column, every cell a number: a missing one would count as 0 in its segment's total and lower the value
 * per customer unseen, so it is named by its row.
 */
function valueColumn(table: TableInput, name: string, snapshot: string): Float64Array {
  const v = float64Column(table, name, snapshot);
  for (let i = 0; i < v.length; i++) {
    if (v[i] - v[i] !== 0) {
      throw new SegkitError('E_NAN_INPUT', `snapshot "${snapshot}", row ${i}: the value column "${name}" holds ${Number.isNaN(v[i]) ? 'no value' : v[i]}`,
        'fill the missing values (0 where a customer truly had none), or compare without the value column');
    }
  }
  return v;
}

/**
 * Pass 1's partials (per shard of `shardRows` rows) of a snapshot without numeric features: rows and the value column
 * per segment, nothing per feature.
 */
function segmentsOnly(labels: Int32Array, values: Float64Array | undefined, k: number, shardRows: number): ScanPartial[] {
  const out: ScanPartial[] = [];
  for (let a = 0; a < labels.length; a += shardRows) {
    const segRows = new Float64Array(k + 1), segValue = new Float64Array(k + 1);
    for (let i = a; i < Math.min(labels.length, a + shardRows); i++) {
      const c = labels[i] >= 0 && labels[i] < k ? labels[i] : k;
      segRows[c]++;
      if (values) segValue[c] += values[i];
    }
    const none = new Float64Array(0);
    out.push({ hist: new Uint32Array(0), sums: none, missing: none, segRows, segValue, segDist: new Float64Array(k + 1), segDist2: new Float64Array(k + 1), segMeasured: new Float64Array(k + 1) });
  }
  return out;
}

/** `migrate` by int32 ids in [min, max] before: a table by id - min. */
function migrateByTable(idsB: Int32Array, idsA: Int32Array, [min, max]: [number, number], labelsB: Labels, labelsA: Labels, k: number): MigrationCounts {
  const table = matchCodes(k, max - min + 1);
  for (let i = 0; i < idsB.length; i++) table[idsB[i] - min] = matchCode(labelsB[i]);
  return migrate(labelsA, k, idsA, min, table);
}

/** `migrate` by an index of the ids before: a table by row before. */
function migrateByIndex(indexB: IdIndex, idsA: Ids, labelsB: Labels, labelsA: Labels, k: number): MigrationCounts {
  const table = matchCodes(k, labelsB.length);
  for (let i = 0; i < labelsB.length; i++) table[i] = matchCode(labelsB[i]);
  return migrate(labelsA, k, indexB.findAll(idsA), 0, table);
}

/**
 * Compares two snapshots of the same customers under one model: who moved between segments (a migration matrix
 * with new and gone customers), how each segment grew or shrank, per-feature drift (PSI at the baseline's deciles
 * and the exact two-sample Kolmogorov-Smirnov test), the change in value per segment, and a recommendation in
 * words. Both snapshots are scored by the model through the engine; every scan is a shard op.
 * @example
 * const r = await compareSnapshots(model, january, february, { id: 'customer_id', value: 'revenue' });
 * r.migration.counts[2][0]; // customers who moved from segment 2 to segment 0
 * r.recommendation.text;
 */
export async function compareSnapshots(model: SegmentationModel | SegmentModel, before: TableInput, after: TableInput, options: CompareSnapshotsOptions): Promise<CompareSnapshotsResult> {
  return compareSnapshotsLaidOut(model, before, after, options);
}

/**
 * compareSnapshots with the drift passes' shards and windows chosen (tests); by default, shards of 2^18 rows, and
 * snapshots over 2^22 rows read a window at a time on executors with `loadAndMap`, held whole elsewhere.
 */
export async function compareSnapshotsLaidOut(model: SegmentationModel | SegmentModel, before: TableInput, after: TableInput, options: CompareSnapshotsOptions, layout?: DriftLayout): Promise<CompareSnapshotsResult> {
  if (!options || typeof options !== 'object') throw badOption('options', options, 'an object with at least { id }');
  checkOptions(options, OPTIONS, 'compareSnapshots');
  const { id, value, signal } = options;
  if (typeof id !== 'string' || id === '') throw badOption('id', id, 'the name of the customer id column');
  if (value !== undefined && (typeof value !== 'string' || value === '')) throw badOption('value', value, 'the name of a numeric column');
  // the ids summed as money: a slip
  if (value === id) throw badOption('value', value, 'a column other than option "id"\'s');
  const ksMethod = orDefault(options.ksMethod, 'auto');
  if (!['auto', 'exact', 'asymp'].includes(ksMethod)) throw badOption('ksMethod', ksMethod, '"auto", "exact" or "asymp"');
  const thresholds: DriftThresholds = { ...driftThresholdDefaults };
  if (options.thresholds !== undefined) {
    checkOptions(options.thresholds, Object.keys(driftThresholdDefaults), 'compareSnapshots thresholds');
    for (const [key, v] of Object.entries(options.thresholds)) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw badOption(`thresholds.${key}`, v, 'a finite number >= 0');
      // a share or a significance level given in percent (5 for 0.05) would make its rule fire always or never
      if (SHARE_THRESHOLDS.includes(key) && v > 1) throw badOption(`thresholds.${key}`, v, 'a share from 0 to 1 (e.g. 0.05 for 5%)');
      (thresholds as unknown as Record<string, number>)[key] = v;
    }
    if (thresholds.psiModerate > thresholds.psiSignificant) {
      throw badOption('thresholds.psiModerate', thresholds.psiModerate, `at most thresholds.psiSignificant (${thresholds.psiSignificant})`);
    }
  }
  const segmentModel = model instanceof SegmentModel ? model : undefined;
  const inner: SegmentationModel = segmentModel ? segmentModel.model : (model as SegmentationModel);
  if (!segmentModel && !isSegmentationModel(model)) throw badOption('model', model, 'a fitted model (kmeans(...), loadModel(...)) or a SegmentModel');
  const k = inner.k;
  const features = segmentModel ? segmentModel.pipeline.inputs.filter((c) => c.kind === 'numeric').map((c) => c.name) : [...inner.featureNames];
  // a classifier fitted on text labels names its segments by them, as its rules and the command line do
  const classNames = (inner as { classNames?: readonly string[] }).classNames;
  const names = segmentModel ? [...segmentModel.names] : Array.from({ length: k }, (_, c) => classNames?.[c] ?? `segment ${c}`);
  const ex = resolveExecutor(options);

  const snapshots = [['before', before], ['after', after]] as const;
  for (const [label, table] of snapshots) {
    requireColumns(table, [id], label, 'id');
    requireColumns(table, segmentModel ? segmentModel.pipeline.inputs.map((c) => c.name) : features, label, 'feature');
    if (value !== undefined) requireColumns(table, [value], label, 'value');
  }
  const idsB = readIds(before, id, 'before'), idsA = readIds(after, id, 'after');
  checkIdKinds(idsB, idsA, id);
  const lay = layout ?? driftLayout(ex);
  if (Number.isFinite(lay.windowRows) && !(lay.windowRows > 0 && lay.windowRows % lay.shardRows === 0)) throw badOption('windowRows', lay.windowRows, `a positive multiple of shardRows (${lay.shardRows}) or Infinity`);
  throwIfAborted(signal);
  // int32 ids after, and int32 ids before in a narrow range, are matched by a table of segments by id, built once the
  // segments are known; other ids by an index (both check the ids before are unique). The checks run on this thread
  // at the next turn of the event loop, while the first snapshot is read, scored and loaded (the pool's threads take
  // its shards meanwhile); the first snapshot is let go when they fail. A cancelled call drops them.
  let cancelled = false;
  const matching = yieldToEventLoop().then(() => {
    if (cancelled) return undefined;
    const rangeB = idsA.kind === 'number' && idsA.values instanceof Int32Array ? uniqueInt32Range(idsB, 'before', id) : undefined;
    const indexB = rangeB ? undefined : new IdIndex(idsB, 'before', id);
    checkUniqueIds(idsA, 'after', id);
    return { rangeB, indexB };
  });
  // settled below, or left when the call was cancelled
  matching.catch(() => undefined);
  /**
   * Runs a step before the id checks are in: whatever stops it gives way to a repeated id, reported first as when the
   * ids were checked before anything else; a cancelled call does not wait for the checks.
   */
  const idsFirst = async <T>(step: () => T | Promise<T>): Promise<T> => {
    try {
      return await step();
    } catch (e) {
      if (e instanceof SegkitError && e.code === 'E_ABORTED') {
        cancelled = true;
        throw e;
      }
      throw (await matching.then(() => undefined, (idError: unknown) => idError)) ?? e;
    }
  };

  const colsB = await idsFirst(() => features.map((f) => float32Column(before, f, 'before')));
  const colsA = await idsFirst(() => features.map((f) => float32Column(after, f, 'after')));
  const run = { executor: ex, signal };
  const centres = centresOf(inner);
  // a SegmentModel's distances to its centres are measured on the pipeline's output its predict made
  const inModelSpace: SegmentTotals[] = [];
  const score = (table: TableInput, cols: Float32Array[], label: string): Promise<Int32Array> => withSnapshotAsync(label, async () => {
    if (!segmentModel) return inner.predict(withSnapshot(label, () => fromColumns({ columns: cols, names: features })), run);
    const r = await segmentModel.predictPrepared(table, run);
    if (centres) inModelSpace.push(await modelSpaceDistances(ex, k, r.prepared, r.preparedLabels, centres, signal));
    return r.labels;
  });
  // a k-means model labels the rows the drift passes read, in place (one load per snapshot held whole, one a pass for
  // a snapshot read in windows); other models, and rows whose range predict would have to scale, are scored first and
  // loaded with their labels
  const direct = !segmentModel && inner instanceof KMeansModel ? inner.scoringState() : undefined;
  // the drift passes' state, whether pass 1 runs while loading or on its own: centres in the loaded units (a
  // SegmentModel's distances are measured in its pipeline's output instead)
  const guideFrom = lay.guideFrom ?? GUIDE_FROM;
  const guide = Math.min(colsB[0]?.length ?? 0, colsA[0]?.length ?? 0) >= guideFrom ? planGuide(colsB, colsA) : undefined;
  const scanState: ScanState = { k, value: value !== undefined, centres: !segmentModel && centres ? centres : new Float64Array(0), ...(guide ? { guide } : {}) };
  const loadScored = async (table: TableInput, cols: Float32Array[], label: string): Promise<{ loaded: LoadedSnapshot<ScanPartial>; labels: Labels }> => {
    const rows: Record<string, AnyTypedArray> = value !== undefined ? { value: valueColumn(table, value, label) } : {};
    if (direct && cols[0].length > 0) {
      // each shard labelled as soon as its rows are in, on executors that overlap the copy with a pass, and its
      // histograms made while its rows are at hand (pass 1 of the drift statistics)
      const { offset, cent, norms, far } = direct;
      const loaded = await withSnapshotAsync(label, () => loadSnapshot(ex, { columns: cols, rows }, driftLabelScanOp, { label: { offset, cent, norms, k }, scan: scanState }, lay, k, signal));
      let keep = false;
      try {
        // the load's range check (its sums of squares add up in another order, which moves a decision only at the
        // threshold itself, where scaling by a power of two changes no label either)
        const sumSquares = sumNumbers(loaded.partials.map((p) => p.sumSquares));
        if (Number.isFinite(sumSquares) && rangeScale(Math.max(sumSquares, far), cols[0].length) === 1) {
          keep = true;
          return { loaded: { ...loaded, partials: loaded.partials.map((p) => p.scan) }, labels: loaded.labels! };
        }
      } finally {
        if (!keep) await loaded.release();
      }
    }
    const labels = await score(table, cols, label);
    // a model of encoded categories only has no numeric column to load: its segments are counted here, and an empty
    // snapshot is refused as the load refuses one of numeric columns (its shares were 0 / 0, its segments "lost")
    if (cols.length === 0 && labels.length === 0) throw new SegkitError('E_EMPTY_DATA', `snapshot "${label}": there are no rows to load`);
    if (cols.length === 0) return { loaded: { snapshot: { n: labels.length, map: async () => [] }, partials: segmentsOnly(labels, rows.value as Float64Array | undefined, k, lay.shardRows), release: async () => undefined }, labels };
    const loaded = await withSnapshotAsync(label, () => loadSnapshot(ex, { columns: cols, rows: { labels, ...rows } }, driftScanOp, scanState, lay, undefined, signal));
    return { loaded, labels };
  };
  const { loaded: loadedB, labels: labelsB } = await idsFirst(() => loadScored(before, colsB, 'before'));
  let rangeB: [number, number] | undefined, indexB: IdIndex | undefined;
  try {
    // not cancelled: the checks ran
    ({ rangeB, indexB } = (await matching)!);
  } catch (e) {
    await loadedB.release();
    throw e;
  }
  let loadedA: LoadedSnapshot<ScanPartial> | undefined;
  let labelsA: Labels = new Int32Array(0);
  let drift;
  let moves: Promise<MigrationCounts | undefined> | undefined;
  let failed = false;
  try {
    ({ loaded: loadedA, labels: labelsA } = await loadScored(after, colsA, 'after'));
    // the migration by id runs on this thread at the drift passes' first turn of the event loop, while the pool's
    // threads take the pass's shards (not once the passes have failed)
    const la = labelsA;
    moves = yieldToEventLoop().then(() => {
      if (failed) return undefined;
      return rangeB ? migrateByTable(idsB.values as Int32Array, idsA.values as Int32Array, rangeB, labelsB, la, k) : migrateByIndex(indexB!, idsA, labelsB, la, k);
    });
    // settled below, or left when the passes fail
    moves.catch(() => undefined);
    drift = await twoSampleDrift(ex, {
      before: loadedB.snapshot, after: loadedA.snapshot, names: features, k, value: value !== undefined,
      centres: scanState.centres, ksMethod, signal, guide,
      scanned: { before: loadedB.partials, after: loadedA.partials },
    });
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    await loadedB.release();
    if (loadedA) await loadedA.release();
  }
  const [distB, distA] = inModelSpace.length === 2 ? inModelSpace : [drift.before, drift.after];

  const { flat, fresh, matched, returning, moved, toUnassigned, fromUnassigned, unassignedBoth, movers: moverPairs } = (await moves!)!;
  // the customers of each segment before that no after-row matched
  const gone = Array.from(matched, (c, s) => drift.before.rows[s] - c);
  const counts = Array.from({ length: k }, (_, c) => Array.from(flat.subarray(c * k, (c + 1) * k)));
  const movers: Movers = { id: new Array(moverPairs.length / 2), from: new Int32Array(moverPairs.length / 2), to: new Int32Array(moverPairs.length / 2) };
  for (let q = 0; q < moverPairs.length; q += 2) {
    const j = moverPairs[q];
    movers.id[q / 2] = (idsA as Ids).values[j];
    movers.from[q / 2] = moverPairs[q + 1];
    movers.to[q / 2] = labelsA[j];
  }
  const migration: Migration = {
    segments: names, counts,
    // over every customer of the segment still there after, those now without a segment included
    shares: counts.map((row, i) => { const s = row.reduce((a, b) => a + b, 0) + toUnassigned[i]; return row.map((c) => (s ? c / s : 0)); }),
    new: fresh, gone, returning, moved, toUnassigned, fromUnassigned, unassignedBoth,
    unassignedGone: drift.before.rows[k] - unassignedBoth - fromUnassigned.reduce((a, b) => a + b, 0),
    unscoredBefore: drift.before.rows[k], unscoredAfter: drift.after.rows[k],
  };
  const segments: SegmentChange[] = names.map((name, c) => {
    const b = drift.before.rows[c], a = drift.after.rows[c];
    const seg: SegmentChange = {
      segment: c, name, before: b, after: a, change: a - b, growth: b ? a / b - 1 : a ? Infinity : 0,
      // of every row of the snapshot, as segment's shares are: with rows in no segment they add up to less than 1
      shareBefore: b / labelsB.length, shareAfter: a / labelsA.length,
      distanceBefore: distB.measured[c] ? distB.distance[c] / distB.measured[c] : NaN,
      distanceAfter: distA.measured[c] ? distA.distance[c] / distA.measured[c] : NaN,
    };
    if (value !== undefined) {
      seg.valueBefore = drift.before.value[c];
      seg.valueAfter = drift.after.value[c];
      seg.valuePerCustomerBefore = b ? drift.before.value[c] / b : NaN;
      seg.valuePerCustomerAfter = a ? drift.after.value[c] / a : NaN;
    }
    return seg;
  });
  const driftReport: FeatureDriftReport[] = drift.features.map((f) => ({ ...f, level: f.psi ? levelOf(f.psi.value, thresholds) : null }));
  const partial = { k, rowsBefore: labelsB.length, rowsAfter: labelsA.length, migration, segments, movers, drift: driftReport, thresholds };
  return {
    ...partial,
    recommendation: recommend(partial),
    conventions: [
      `PSI: 10 bins at the baseline's deciles (numpy's linear quantile), right-closed; an empty bin's share counts as ${1e-4}; PSI = sum (p_after - p_before) ln(p_after / p_before).`,
      `PSI below ${thresholds.psiModerate} is read as stable, ${thresholds.psiModerate} to ${thresholds.psiSignificant} as a moderate shift, ${thresholds.psiSignificant} and above as a significant shift${thresholds.psiModerate === 0 ? ' (a PSI of 0, no shift, as stable)' : ''}: industry conventions, not statistical tests.`,
      'KS: the two-sided two-sample Kolmogorov-Smirnov statistic on the float32 feature values (exact), with SciPy 1.10\'s p-value (exact up to 10,000 values per snapshot, else the asymptotic distribution); with many customers even a tiny shift has a small p-value, so read the statistic D as the size of the change.',
      'Missing feature values are left out of that feature\'s statistics and counted. Distances are Euclidean in the model\'s feature space.',
    ],
    passes: drift.passes,
  };
}
