import { badOption } from '../util/errors.js';
import { checkOptions, RUN_OPTIONS } from '../util/options.js';
import type { DataInput } from '../data/dataset.js';
import { datasetFor } from '../core/modelData.js';
import { readColumn, type TableInput } from '../prep/frame.js';
import { kmeans } from '../core/kmeans.js';
import { KMeansModel } from '../core/kmeansModel.js';
import { linearSumAssignment } from '../core/linearSumAssignment.js';
import type { RunOptions } from '../core/model.js';
import { SegmentModel, type SegmentSummary } from './segmentModel.js';

export interface RefitOptions extends RunOptions {
  /** Segments of the new fit (default: the model's k). */
  k?: number;
  seed?: number;
  /** k-means restarts (default 4). */
  nInit?: number;
  maxIter?: number;
  tol?: number;
  /** Share of a segment's customers that counts as a real part of a split or a merge (default 0.25). */
  overlap?: number;
}

export interface SegmentMatch {
  /** Id of the segment in the refitted model. */
  id: number;
  /** The old segment it continues (same id when matched), or null for a segment that appeared. */
  previous: number | null;
  /** Distance its centre moved (model space); NaN for a segment that appeared. */
  shift: number;
}

export interface RefitResult<M> {
  /** The refitted model, its segments numbered so that each continues the old segment with the same id. */
  model: M;
  matches: SegmentMatch[];
  /** Old segments whose customers now fill two or more segments (each with at least `overlap` of them). */
  split: { previous: number; into: number[] }[];
  /** New segments that take at least `overlap` of their customers from each of two or more old segments. */
  merged: { id: number; from: number[] }[];
  /** Ids of segments with no old counterpart (when k grew). */
  appeared: number[];
  /** Old ids with no new counterpart (when k shrank). */
  vanished: number[];
  /** counts[old][new] of the customers in `data` (old model's segment by new model's segment). */
  counts: number[][];
  text: string;
}

const OPTIONS = ['k', 'seed', 'nInit', 'maxIter', 'tol', 'overlap', ...RUN_OPTIONS];


/**
 * Refits a k-means model on new data and keeps segment identities: the new centres are matched to the old ones by
 * the Hungarian method on squared centre distance, and renumbered so that segment 2 after the refit is the segment
 * that was 2 before. Reports which segments split, merged, appeared or vanished. A SegmentModel keeps its pipeline
 * (data are raw customer rows) and the names of matched segments. For small steady updates between refits,
 * mini-batch `partialFit` moves the centres without renumbering anything.
 * @example
 * const { model: next, matches, split, merged, text } = await refit(model, thisMonth);
 */
export async function refit<M extends KMeansModel | SegmentModel>(model: M, data: DataInput | TableInput, options: RefitOptions = {}): Promise<RefitResult<M>> {
  checkOptions(options, OPTIONS, 'refit');
  const segmentModel = model instanceof SegmentModel ? model : undefined;
  const old = (segmentModel ? segmentModel.model : model) as KMeansModel;
  if (!(old instanceof KMeansModel)) throw badOption('model', model, 'a k-means model (kmeans(...)) or a SegmentModel holding one');
  const k = options.k ?? old.k;
  if (!Number.isInteger(k) || k < 1) throw badOption('k', k, 'a positive integer');
  const overlap = options.overlap ?? 0.25;
  if (typeof overlap !== 'number' || !(overlap > 0 && overlap <= 0.5)) throw badOption('overlap', overlap, 'a number in (0, 0.5]');
  const run = { executor: options.executor, threads: options.threads, signal: options.signal };
  const prepared = segmentModel ? segmentModel.pipeline.transform(data as TableInput) : undefined;
  const ds = prepared ? prepared.dataset : datasetFor(data as DataInput, old.featureNames);
  const oldLabels = await old.predict(ds, run);
  const fresh = await kmeans(ds, { k, seed: options.seed ?? 0, nInit: options.nInit ?? 4, maxIter: options.maxIter, tol: options.tol, ...run });

  const d = old.d;
  const cost = Array.from({ length: old.k }, (_, i) => Array.from({ length: k }, (_, j) => {
    let s = 0;
    for (let q = 0; q < d; q++) s += (old.centroidData[i * d + q] - fresh.centroidData[j * d + q]) ** 2;
    return s;
  }));
  const { rows, cols } = linearSumAssignment(cost);
  // new segment j -> id: the matched old id, else the next free id after the old ones
  const idOf = new Int32Array(k).fill(-1);
  rows.forEach((i, q) => { idOf[cols[q]] = i; });
  let next = old.k;
  for (let j = 0; j < k; j++) if (idOf[j] < 0) idOf[j] = next++;
  // ids must be 0..k-1: when k shrank, old ids above k - 1 cannot be kept; compact them in order
  const order = Array.from({ length: k }, (_, j) => j).sort((a, b) => idOf[a] - idOf[b]);
  const finalId = new Int32Array(k);
  const previousOf: (number | null)[] = new Array(k).fill(null);
  order.forEach((j, id) => { finalId[j] = id; previousOf[id] = idOf[j] < old.k ? idOf[j] : null; });
  const json = fresh.toJSON();
  const centroids = new Float64Array(k * d);
  for (let j = 0; j < k; j++) centroids.set(fresh.centroidData.subarray(j * d, (j + 1) * d), finalId[j] * d);
  const labels = Int32Array.from(fresh.labels, (l) => finalId[l]);
  const relabelled = new KMeansModel({
    k, featureNames: [...old.featureNames], centroids, offset: Float64Array.from(json.offset), labels,
    inertia: fresh.inertia, iterations: fresh.iterations, converged: fresh.converged, nSamples: fresh.nSamples,
  });

  const counts = Array.from({ length: old.k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < labels.length; i++) counts[oldLabels[i]][labels[i]]++;
  const matches: SegmentMatch[] = previousOf.map((p, id) => {
    if (p === null) return { id, previous: null, shift: NaN };
    let s = 0;
    for (let q = 0; q < d; q++) s += (old.centroidData[p * d + q] - centroids[id * d + q]) ** 2;
    return { id, previous: p, shift: Math.sqrt(s) };
  });
  const split = counts.flatMap((row, o) => {
    const total = row.reduce((a, b) => a + b, 0);
    const into = row.flatMap((c, id) => (total && c / total >= overlap ? [id] : []));
    return into.length >= 2 ? [{ previous: o, into }] : [];
  });
  const merged = Array.from({ length: k }, (_, id) => {
    const total = counts.reduce((a, row) => a + row[id], 0);
    const from = counts.flatMap((row, o) => (total && row[id] / total >= overlap ? [o] : []));
    return { id, from };
  }).filter((m) => m.from.length >= 2);
  const appeared = matches.filter((m) => m.previous === null).map((m) => m.id);
  const kept = new Set(matches.flatMap((m) => (m.previous === null ? [] : [m.previous])));
  const vanished = Array.from({ length: old.k }, (_, o) => o).filter((o) => !kept.has(o));
  const renumbered = matches.filter((m) => m.previous !== null && m.previous !== m.id);

  const name = (id: number) => (segmentModel && previousOf[id] !== null ? `${id} (${segmentModel.names[previousOf[id]!]})` : String(id));
  const parts: string[] = [];
  parts.push(`${matches.length - appeared.length} of ${k} segments continue an old segment (Hungarian matching on centre distance)`);
  if (renumbered.length) parts.push(`renumbered because old segments vanished: ${renumbered.map((m) => `${m.previous} -> ${m.id}`).join(', ')}`);
  if (split.length) parts.push(`split: ${split.map((s) => `${s.previous} into ${s.into.map(name).join(' and ')}`).join('; ')}`);
  if (merged.length) parts.push(`merged: ${merged.map((m) => `${m.from.join(' and ')} into ${name(m.id)}`).join('; ')}`);
  if (appeared.length) parts.push(`appeared: ${appeared.join(', ')}`);
  if (vanished.length) parts.push(`vanished: ${vanished.join(', ')}`);
  const text = parts.join('; ') + '.';

  let out: KMeansModel | SegmentModel = relabelled;
  if (segmentModel) out = new SegmentModel({ pipeline: segmentModel.pipeline, model: relabelled, segments: summaries(segmentModel, data as TableInput, relabelled, previousOf, prepared!.rowIndex) });
  return { model: out as M, matches, split, merged, appeared, vanished, counts, text };
}

/** Segment summaries after a refit: matched segments keep their names; sizes and means from the data's raw columns. */
function summaries(old: SegmentModel, table: TableInput, model: KMeansModel, previousOf: (number | null)[], rowIndex: Int32Array): SegmentSummary[] {
  const keys = Object.keys(old.segments[0]?.means ?? {});
  const cols = new Map<string, Float64Array>();
  for (const key of keys) {
    try { cols.set(key, readColumn(table, key, 'numeric').values as Float64Array); } catch { /* a mean the data cannot give stays NaN */ }
  }
  const k = model.k;
  const size = new Array<number>(k).fill(0);
  const sums = keys.map(() => new Float64Array(k)), present = keys.map(() => new Float64Array(k));
  model.labels.forEach((l, r) => {
    size[l]++;
    const row = rowIndex[r];
    keys.forEach((key, q) => {
      const v = cols.get(key)?.[row];
      if (v !== undefined && v === v) { sums[q][l] += v; present[q][l]++; }
    });
  });
  const n = model.labels.length;
  return Array.from({ length: k }, (_, id) => ({
    id,
    name: previousOf[id] !== null ? old.segments[previousOf[id]!].name : `New segment ${id}`,
    size: size[id],
    share: n ? size[id] / n : 0,
    means: Object.fromEntries(keys.map((key, q) => [key, present[q][id] ? sums[q][id] / present[q][id] : NaN])),
  }));
}
