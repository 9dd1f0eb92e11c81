import { badOption } from '../util/errors.js';
import { checkOptions, RUN_OPTIONS, orDefault } from '../util/options.js';
import type { DataInput } from '../data/dataset.js';
import { datasetFor } from '../core/modelData.js';
import { readColumn, type TableInput } from '../prep/frame.js';
import { kmeans } from '../core/kmeans.js';
import { KMeansModel } from '../core/kmeansModel.js';
import { miniBatchKMeans } from '../core/miniBatchKMeans.js';
import { MiniBatchKMeansModel, type MiniBatchKMeansModelJSON } from '../core/miniBatchKMeansModel.js';
import { Imputer } from '../prep/imputer.js';
import { float64Values } from '../prep/float64Values.js';
import type { Dataset } from '../data/dataset.js';
import { linearSumAssignment } from '../core/linearSumAssignment.js';
import type { RunOptions } from '../core/model.js';
import { SegmentModel, type SegmentSummary } from './segmentModel.js';
import { isolate } from '../util/bidiText.js';
import { freshName } from '../util/labels.js';

export interface RefitOptions extends RunOptions {
  /** Segments of the new fit (default: the model's k). */
  k?: number;
  seed?: number;
  /** k-means restarts (default 4; a mini-batch model's starts, each on its init rows). */
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
 * Refits a k-means or mini-batch k-means model on new data and keeps segment identities: the new centres are matched
 * to the old ones by the Hungarian method on squared centre distance, and renumbered so that segment 2 after the
 * refit is the segment that was 2 before (with a smaller k, a segment whose id is past it takes the id of one that
 * vanished). Reports which segments split, merged, appeared or vanished. A mini-batch
 * model is fitted anew by mini-batch k-means with its batch size and reassignment ratio, and comes back as one, its
 * counts renumbered with its centres, so `partialFit` continues from it. A SegmentModel keeps its pipeline (data are
 * raw customer rows, matched in the pipeline's output, where its model lives) and the names of matched segments; its
 * summaries describe the rows as its pipeline prepared them, before scaling (imputed values included). For small
 * steady updates between refits, mini-batch `partialFit` moves the centres without renumbering anything.
 * @example
 * const { model: next, matches, split, merged, text } = await refit(model, thisMonth);
 */
export async function refit<M extends KMeansModel | MiniBatchKMeansModel | SegmentModel>(model: M, data: DataInput | TableInput, options: RefitOptions = {}): Promise<RefitResult<M>> {
  checkOptions(options, OPTIONS, 'refit');
  const segmentModel = model instanceof SegmentModel ? model : undefined;
  const old = (segmentModel ? segmentModel.model : model) as KMeansModel | MiniBatchKMeansModel;
  if (!(old instanceof KMeansModel) && !(old instanceof MiniBatchKMeansModel)) {
    throw badOption('model', model, 'a k-means or mini-batch k-means model (kmeans(...), miniBatchKMeans(...)) or a SegmentModel holding one');
  }
  const k = options.k ?? old.k;
  if (!Number.isInteger(k) || k < 1) throw badOption('k', k, 'a positive integer');
  const overlap = orDefault(options.overlap, 0.25);
  if (typeof overlap !== 'number' || !(overlap > 0 && overlap <= 0.5)) throw badOption('overlap', overlap, 'a number in (0, 0.5]');
  const run = { executor: options.executor, threads: options.threads, signal: options.signal };
  const prepared = segmentModel ? segmentModel.pipeline.transform(data as TableInput) : undefined;
  const ds = prepared ? prepared.dataset : datasetFor(data as DataInput, old.featureNames);
  const oldLabels = await old.predict(ds, run);
  const fit = { k, seed: orDefault(options.seed, 0), nInit: orDefault(options.nInit, 4), maxIter: options.maxIter, tol: options.tol, ...run };
  const fresh = old instanceof MiniBatchKMeansModel
    ? await miniBatchKMeans(ds, { ...fit, batchSize: old.batchSize, reassignmentRatio: old.reassignmentRatio })
    : await kmeans(ds, fit);

  const d = old.d;
  // read once: a mini-batch model's centroidData is a getter that builds a fresh k x d array on every read
  const oldCentres = old.centroidData;
  const freshCentroids = fresh.centroidData;
  const cost = Array.from({ length: old.k }, (_, i) => Array.from({ length: k }, (_, j) => {
    let s = 0;
    for (let q = 0; q < d; q++) s += (oldCentres[i * d + q] - freshCentroids[j * d + q]) ** 2;
    return s;
  }));
  const { rows, cols } = linearSumAssignment(cost);
  // new segment j -> id: the matched old id, else the next free id after the old ones
  const idOf = new Int32Array(k).fill(-1);
  rows.forEach((i, q) => { idOf[cols[q]] = i; });
  let next = old.k;
  for (let j = 0; j < k; j++) if (idOf[j] < 0) idOf[j] = next++;
  // ids must be 0..k-1: when k shrank, an old id below k is kept, and old ids of k and above take the ids of
  // segments that vanished, the lowest free id to the lowest old id
  const finalId = new Int32Array(k).fill(-1);
  const taken = new Uint8Array(k);
  for (let j = 0; j < k; j++) if (idOf[j] < k) taken[(finalId[j] = idOf[j])] = 1;
  let free = 0;
  for (const j of Array.from({ length: k }, (_, q) => q).filter((q) => finalId[q] < 0).sort((a, b) => idOf[a] - idOf[b])) {
    while (taken[free]) free++;
    taken[(finalId[j] = free)] = 1;
  }
  const previousOf: (number | null)[] = new Array(k).fill(null);
  for (let j = 0; j < k; j++) previousOf[finalId[j]] = idOf[j] < old.k ? idOf[j] : null;
  const centroids = new Float64Array(k * d);
  for (let j = 0; j < k; j++) centroids.set(freshCentroids.subarray(j * d, (j + 1) * d), finalId[j] * d);
  const labels = Int32Array.from(fresh.labels, (l) => finalId[l]);
  const relabelled = renumbered(fresh, finalId, centroids, labels);

  const counts = Array.from({ length: old.k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < labels.length; i++) counts[oldLabels[i]][labels[i]]++;
  const matches: SegmentMatch[] = previousOf.map((p, id) => {
    if (p === null) return { id, previous: null, shift: NaN };
    let s = 0;
    for (let q = 0; q < d; q++) s += (oldCentres[p * d + q] - centroids[id * d + q]) ** 2;
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
  const moved = matches.filter((m) => m.previous !== null && m.previous !== m.id);

  // a segment's name stands isolated: right-to-left text or an override in it cannot reorder the ids and words after it
  const name = (id: number) => (segmentModel && previousOf[id] !== null ? `${id} (${isolate(segmentModel.names[previousOf[id]!])})` : String(id));
  const parts: string[] = [];
  parts.push(`${matches.length - appeared.length} of ${k} segments continue an old segment (Hungarian matching on centre distance)`);
  if (moved.length) parts.push(`renumbered because old segments vanished: ${moved.map((m) => `${m.previous} -> ${m.id}`).join(', ')}`);
  if (split.length) parts.push(`split: ${split.map((s) => `${s.previous} into ${s.into.map(name).join(' and ')}`).join('; ')}`);
  if (merged.length) parts.push(`merged: ${merged.map((m) => `${m.from.join(' and ')} into ${name(m.id)}`).join('; ')}`);
  if (appeared.length) parts.push(`appeared: ${appeared.join(', ')}`);
  if (vanished.length) parts.push(`vanished: ${vanished.join(', ')}`);
  const text = parts.join('; ') + '.';

  let out: KMeansModel | MiniBatchKMeansModel | SegmentModel = relabelled;
  if (segmentModel) out = new SegmentModel({ pipeline: segmentModel.pipeline, model: relabelled, segments: summaries(segmentModel, data as TableInput, relabelled, previousOf, prepared!.rowIndex) });
  return { model: out as M, matches, split, merged, appeared, vanished, counts, text };
}

/** The fresh model with its segment j numbered finalId[j]: centroids and labels already renumbered, a mini-batch model's state too. */
function renumbered(fresh: KMeansModel | MiniBatchKMeansModel, finalId: Int32Array, centroids: Float64Array, labels: Int32Array): KMeansModel | MiniBatchKMeansModel {
  const { k, d } = fresh;
  const json = fresh.toJSON();
  const offset = Float64Array.from(json.offset);
  const featureNames = [...fresh.featureNames];
  const { inertia, iterations, converged, nSamples } = fresh;
  if (fresh instanceof KMeansModel) return new KMeansModel({ k, featureNames, centroids, offset, labels, inertia, iterations, converged, nSamples });
  const mb = json as MiniBatchKMeansModelJSON;
  const centres = new Float64Array(k * d), counts = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    centres.set(fresh.centres.subarray(j * d, (j + 1) * d), finalId[j] * d);
    counts[finalId[j]] = fresh.counts[j];
  }
  return new MiniBatchKMeansModel({
    k, featureNames, centres, counts, offset, batchSize: fresh.batchSize, reassignmentRatio: fresh.reassignmentRatio, seed: fresh.seed,
    nSteps: fresh.nSteps, nSinceLastReassign: mb.nSinceLastReassign, labels, inertia, iterations, converged, nSamples, rowsSeen: fresh.rowsSeen,
  });
}

/**
 * The pipeline's output before scaling, as the fit's summaries describe segments: the same rows, outlier rule,
 * imputation and encoding, in the customers' units. A feature that is a numeric column of the table the preparation
 * at most imputed is read in float64 (its value, or the imputer's fill), where that rounds to the float32 value row
 * for row; float32 keeps about 7 significant digits, which would move the mean of a column near 1e9.
 */
function unscaledFeatures(old: SegmentModel, table: TableInput, rowIndex: Int32Array): (Float32Array | Float64Array)[] {
  const ds: Dataset = old.pipeline.unscaled().transform(table).dataset;
  const imputer = old.pipeline.steps.find((s): s is Imputer => s instanceof Imputer);
  return ds.columns.map((c, j) => {
    const name = ds.names[j];
    let raw: Float64Array;
    try {
      raw = readColumn(table, name, 'numeric').values as Float64Array;
    } catch {
      return c;
    }
    return float64Values(c, raw, rowIndex, name, imputer);
  });
}

/** Segment summaries after a refit: matched segments keep their names; sizes, and means of the unscaled features. */
function summaries(old: SegmentModel, table: TableInput, model: KMeansModel | MiniBatchKMeansModel, previousOf: (number | null)[], rowIndex: Int32Array): SegmentSummary[] {
  const keys = [...old.pipeline.featureNames];
  const cols = unscaledFeatures(old, table, rowIndex);
  const k = model.k;
  const size = new Array<number>(k).fill(0);
  const sums = keys.map(() => new Float64Array(k));
  model.labels.forEach((l, r) => {
    size[l]++;
    for (let q = 0; q < keys.length; q++) sums[q][l] += cols[q][r];
  });
  const n = model.labels.length;
  // a new segment's name is not one a kept segment has (an earlier refit's "New segment 3", renumbered): names tell
  // segments apart in the migration and the movers' file, as segkit segment's are all different
  const taken = new Set(previousOf.flatMap((p) => (p === null ? [] : [old.segments[p].name])));
  return Array.from({ length: k }, (_, id) => ({
    id,
    name: previousOf[id] !== null ? old.segments[previousOf[id]!].name : freshName(`New segment ${id}`, taken),
    size: size[id],
    share: n ? size[id] / n : 0,
    means: Object.fromEntries(keys.map((key, q) => [key, size[id] ? sums[q][id] / size[id] : NaN])),
  }));
}
