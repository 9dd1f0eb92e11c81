import { SegkitError, badOption, describe } from '../util/errors.js';
import { modelValue } from '../util/modelJson.js';
import { Pipeline, type PipelineJSON, type PipelineReport, type PipelineResult } from '../prep/pipeline.js';
import type { TableInput } from '../prep/frame.js';
import { KMeansModel, record } from '../core/kmeansModel.js';
import { isSegmentationModel, loadModel } from '../core/loadModel.js';
import type { ModelJSON, RunOptions, SegmentationModel } from '../core/model.js';
import type { Dataset } from '../data/dataset.js';

export const SEGMENT_MODEL_FORMAT = 'segkit.model';
/** Version 2 holds any model kind under `model`; version 1 files (k-means under `kmeans`) are still read. */
export const SEGMENT_MODEL_VERSION = 2;

/** What a segment looked like on the training rows: its name, size and the mean of each feature in the customers' units. */
export interface SegmentSummary {
  readonly id: number;
  readonly name: string;
  readonly size: number;
  /** size / rows */
  readonly share: number;
  /** Feature name -> mean over the segment's rows, before scaling. */
  readonly means: Readonly<Record<string, number>>;
}

export interface SegmentModelJSON {
  readonly format: typeof SEGMENT_MODEL_FORMAT;
  readonly version: typeof SEGMENT_MODEL_VERSION;
  readonly pipeline: PipelineJSON;
  readonly model: ModelJSON;
  readonly segments: SegmentSummary[];
}

export interface SegmentModelParts {
  /** A fitted pipeline whose features are the model's features, in the same order. */
  readonly pipeline: Pipeline;
  /** Any fitted segmentation model (k-means, ...). */
  readonly model: SegmentationModel;
  /** One summary per cluster, in cluster order. */
  readonly segments: readonly SegmentSummary[];
}

const TOP_KEYS = ['format', 'version', 'pipeline', 'model', 'segments'];
const TOP_KEYS_V1 = ['format', 'version', 'pipeline', 'kmeans', 'segments'];
const SEGMENT_KEYS = ['id', 'name', 'size', 'share', 'means'];

type Fail = (path: string, message: string) => SegkitError;

const optionFail: Fail = (path, message) => new SegkitError('E_BAD_OPTION', `option "${path}" ${message}`);
const modelFail: Fail = (path, message) => new SegkitError('E_BAD_MODEL', `model field "${path}" ${message}`);

function exactKeys(o: Record<string, unknown>, keys: readonly string[], path: string, fail: Fail): void {
  for (const key of Object.keys(o)) if (!keys.includes(key)) throw fail(`${path}.${key}`, 'is not a known field');
  for (const key of keys) if (!Object.hasOwn(o, key)) throw fail(`${path}.${key}`, 'is missing');
}

/**
 * Checked, frozen copies of the summaries: k of them, ids 0..k-1 in order, of distinct names, each with the mean of
 * every model feature, sizes adding up to the rows the model was fitted on and shares of that count.
 */
function checkSegments(segments: unknown, model: SegmentationModel, rootPath: string, fail: Fail): readonly SegmentSummary[] {
  const k = model.k;
  const features = model.featureNames;
  const classNames = (model as { classNames?: readonly string[] }).classNames;
  if (!Array.isArray(segments) || segments.length !== k) throw fail(rootPath, `must be an array of ${k} segment summaries (one per cluster), got ${describe(segments)}`);
  const checked = Object.freeze(
    // Array.from reads a hole (an array built in code) as undefined, refused below, where map would keep the hole
    Array.from(segments, (raw: unknown, c) => {
      const path = `${rootPath}[${c}]`;
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw fail(path, `must be an object, got ${describe(raw)}`);
      const s = raw as Record<string, unknown>;
      exactKeys(s, SEGMENT_KEYS, path, fail);
      if (s.id !== c) throw fail(`${path}.id`, `must be ${c} (segments are stored in cluster order), got ${describe(s.id)}`);
      if (typeof s.name !== 'string' || s.name === '') throw fail(`${path}.name`, `must be a non-empty string, got ${describe(s.name)}`);
      // a classifier's segments are its class names: another name would label its segment c as some other class
      if (classNames && s.name !== classNames[c]) throw fail(`${path}.name`, `must be the model's class name ${JSON.stringify(classNames[c])}, got ${JSON.stringify(s.name)}`);
      if (!Number.isInteger(s.size) || (s.size as number) < 0) throw fail(`${path}.size`, `must be an integer >= 0, got ${describe(s.size)}`);
      if (typeof s.share !== 'number' || !(s.share >= 0 && s.share <= 1)) throw fail(`${path}.share`, `must be a number from 0 to 1, got ${describe(s.share)}`);
      const m = s.means;
      // Feature names are data here, so the means object is read key by key rather than through record().
      if (m === null || typeof m !== 'object' || Array.isArray(m)) throw fail(`${path}.means`, `must be an object of feature means, got ${describe(m)}`);
      const proto = Object.getPrototypeOf(m);
      if (proto !== Object.prototype && proto !== null) throw fail(`${path}.means`, `must be a plain object, got ${describe(m)}`);
      const keys = Object.keys(m);
      if (keys.length !== features.length || keys.some((key) => !features.includes(key))) {
        throw fail(`${path}.means`, `must hold the mean of each of the model's features (${features.join(', ')}), got ${keys.join(', ') || 'none'}`);
      }
      const entries = keys.map((key): [string, number] => {
        const v = (m as Record<string, unknown>)[key];
        // A segment with no training rows has no mean: NaN in memory, null in JSON.
        if (v === null && s.size === 0) return [key, Number.NaN];
        if (typeof v !== 'number' || (!Number.isFinite(v) && !(s.size === 0 && Number.isNaN(v)))) {
          throw fail(`${path}.means.${key}`, `must be a finite number, got ${describe(v)}`);
        }
        return [key, v];
      });
      return Object.freeze({ id: c, name: s.name, size: s.size as number, share: s.share, means: Object.freeze(Object.fromEntries(entries)) });
    }),
  );
  // an output's name column would hold one name for two segments, merged by anything that groups by it
  const first = new Map<string, number>();
  checked.forEach((s, c) => {
    const at = first.get(s.name);
    if (at !== undefined) throw fail(`${rootPath}[${c}].name`, `must differ from segment ${at}'s name, got ${JSON.stringify(s.name)} for both`);
    first.set(s.name, c);
  });
  const n = model.nSamples;
  // a density model's noise rows are in no segment
  const unassigned = model.nUnassigned ?? 0;
  const total = checked.reduce((sum, s) => sum + s.size, 0);
  if (total + unassigned !== n) {
    throw fail(rootPath, `has sizes adding up to ${total}${unassigned ? ` (and ${unassigned} unassigned)` : ''}, but the model was fitted on ${n} rows (nSamples)`);
  }
  checked.forEach((s, c) => {
    // shares are written from size / n, so they agree to rounding
    if (n > 0 && Math.abs(s.share - s.size / n) > 1e-9) throw fail(`${rootPath}[${c}].share`, `must be size / nSamples = ${s.size / n}, got ${s.share}`);
  });
  return checked;
}

function samePipelineFeatures(pipeline: Pipeline, model: SegmentationModel, fail: Fail, path: string): void {
  const p = pipeline.featureNames;
  const m = model.featureNames;
  if (p.length !== m.length || p.some((name, j) => name !== m[j])) {
    throw fail(path, `must be the pipeline's features (${p.join(', ')}), got ${m.join(', ')}`);
  }
}

/** Re-labels an E_BAD_MODEL error from a nested reader with the field's path in the whole model. */
function nested(error: unknown, prefix: string): unknown {
  if (!(error instanceof SegkitError) || error.code !== 'E_BAD_MODEL') return error;
  const message = error.message
    .replace(/^model field "/, `model field "${prefix}.`)
    .replace(/^the model /, `model field "${prefix}" `);
  return new SegkitError('E_BAD_MODEL', message, undefined, { cause: error });
}

function tableRows(table: TableInput): number {
  const t = table as { numRows?: unknown; getChildAt?: unknown };
  if (t && typeof t.getChildAt === 'function' && typeof t.numRows === 'number') return t.numRows;
  if (Array.isArray(table)) return table.length;
  throw badOption('table', table, 'an Arrow Table or an array of records');
}

/**
 * A fitted segmentation ready to score new customers: the prep pipeline, the k-means model on its features,
 * and what each segment looked like at fit time. Saves as one JSON document.
 *
 * @example
 * const model = new SegmentModel({ pipeline: prep, model: fitted, segments });
 * const labels = await SegmentModel.fromJSON(text).predict(newCustomers);
 * labels[0]; // a segment id, or -1 for a row the outlier rule dropped
 */
export class SegmentModel {
  readonly pipeline: Pipeline;
  readonly model: SegmentationModel;
  readonly segments: readonly SegmentSummary[];

  constructor(parts: SegmentModelParts) {
    if (parts === null || typeof parts !== 'object') throw badOption('parts', parts, 'an object { pipeline, model, segments }');
    const { pipeline, model, segments } = parts;
    if (!(pipeline instanceof Pipeline)) throw badOption('pipeline', pipeline, 'a Pipeline');
    if (!pipeline.fitted) throw badOption('pipeline', 'an unfitted Pipeline', 'a fitted Pipeline');
    if (!isSegmentationModel(model)) throw badOption('model', model, 'a fitted segmentation model (kmeans(...), loadModel(...))');
    samePipelineFeatures(pipeline, model, optionFail, 'model');
    this.pipeline = pipeline;
    this.model = model;
    this.segments = checkSegments(segments, model, 'segments', optionFail);
  }

  get k(): number {
    return this.model.k;
  }

  /** The model's kind ('kmeans', ...). */
  get kind(): string {
    return this.model.kind;
  }

  /** Segment names by segment id. */
  get names(): readonly string[] {
    return this.segments.map((s) => s.name);
  }

  /**
   * The segment of every row of a raw customer table (same columns as at fit time): the pipeline's transform,
   * then the nearest centroid. A row removed by an outlier 'drop' rule gets -1.
   */
  async predict(table: TableInput, options: RunOptions = {}): Promise<Int32Array> {
    return (await this.predictPrepared(table, options)).labels;
  }

  /**
   * `predict`, with the pipeline's output it scored and that output's labels (row i of `prepared` is table row
   * `prepared.rowIndex[i]`), for callers that measure in the model's space without transforming again; `prepared`
   * is null when there are no rows or the outlier rule dropped every row.
   */
  async predictPrepared(table: TableInput, options: RunOptions = {}): Promise<{ labels: Int32Array; prepared: PipelineResult | null; preparedLabels: Int32Array }> {
    const n = tableRows(table);
    const out = new Int32Array(n).fill(-1);
    // a batch in which the outlier rule dropped every row scores as all -1 rather than failing
    const prepared = n === 0 ? null : this.prepare(table);
    if (!prepared) return { labels: out, prepared: null, preparedLabels: new Int32Array(0) };
    const labels = await this.model.predict(prepared.dataset, options);
    const { rowIndex } = prepared;
    for (let i = 0; i < labels.length; i++) out[rowIndex[i]] = labels[i];
    return { labels: out, prepared, preparedLabels: labels };
  }

  /**
   * Membership probabilities of every row of a raw customer table, for models with soft membership (Gaussian
   * mixtures): row-major n x k, NaN for a row the outlier rule dropped.
   */
  async predictProba(table: TableInput, options: RunOptions = {}): Promise<Float64Array> {
    const soft = this.soft();
    const n = tableRows(table);
    // as predict: a batch in which the outlier rule dropped every row has no probabilities
    return this.spread(n, n === 0 ? null : this.prepare(table), soft, options);
  }

  /** `predict` and `predictProba` from one transform of the table, with the transform's report (null without rows). */
  async predictWithProba(table: TableInput, options: RunOptions = {}): Promise<{ labels: Int32Array; proba: Float64Array; report: PipelineReport | null }> {
    const soft = this.soft();
    const r = await this.predictPrepared(table, options);
    return { labels: r.labels, proba: await this.spread(r.labels.length, r.prepared, soft, options), report: r.prepared?.report ?? null };
  }

  private soft(): (data: Dataset, o: RunOptions) => Promise<Float64Array> {
    const m = this.model as SegmentationModel & { predictProba?: (data: Dataset, o: RunOptions) => Promise<Float64Array> };
    if (typeof m.predictProba !== 'function') throw new SegkitError('E_BAD_OPTION', `a ${this.model.kind} model gives no membership probabilities`, 'fit a Gaussian mixture (algorithm "gmm") for soft membership');
    return (data, o) => m.predictProba!(data, o);
  }

  /** Row-major n x k probabilities of the pipeline's output rows at their table rows, NaN for dropped rows. */
  private async spread(n: number, prepared: PipelineResult | null, soft: (data: Dataset, o: RunOptions) => Promise<Float64Array>, options: RunOptions): Promise<Float64Array> {
    const k = this.model.k;
    // the model's probabilities first: a model that refuses them does so before n x k cells are allocated here
    const proba = prepared ? await soft(prepared.dataset, options) : null;
    const out = new Float64Array(n * k).fill(NaN);
    if (!prepared || !proba) return out;
    prepared.rowIndex.forEach((row, i) => out.set(proba.subarray(i * k, (i + 1) * k), row * k));
    return out;
  }

  /** The pipeline's transform of a batch; null when the outlier rule dropped every row of it. */
  private prepare(table: TableInput): ReturnType<Pipeline['transform']> | null {
    try {
      return this.pipeline.transform(table);
    } catch (error) {
      const drops = this.pipeline.steps.some((s) => s.kind === 'outliers' && (s as { action?: string }).action === 'drop');
      if (drops && error instanceof SegkitError && error.code === 'E_EMPTY_DATA') return null;
      throw error;
    }
  }

  toJSON(): SegmentModelJSON {
    return {
      format: SEGMENT_MODEL_FORMAT,
      version: SEGMENT_MODEL_VERSION,
      pipeline: this.pipeline.toJSON(),
      model: this.model.toJSON(),
      segments: this.segments.map((s) => ({ id: s.id, name: s.name, size: s.size, share: s.share, means: { ...s.means } })),
    };
  }

  /** A model saved with `toJSON` (an object or its JSON text); every field is checked and a bad one is E_BAD_MODEL naming its path. */
  static fromJSON(json: unknown): SegmentModel {
    const o = modelValue(json);
    const r = record(o, 'model');
    if (r.format !== SEGMENT_MODEL_FORMAT) {
      const hint = r.format === 'segkit.kmeans' || r.kind === 'segkit.pipeline' ? 'this is a bare k-means model or pipeline; a segment model holds both' : undefined;
      throw new SegkitError('E_BAD_MODEL', `model field "format" must be "${SEGMENT_MODEL_FORMAT}", got ${describe(r.format)}`, hint);
    }
    if (r.version !== SEGMENT_MODEL_VERSION && r.version !== 1) {
      throw modelFail('version', `must be 1 or ${SEGMENT_MODEL_VERSION} (the versions this segkit reads), got ${describe(r.version)}`);
    }
    const v1 = r.version === 1;
    const keys = v1 ? TOP_KEYS_V1 : TOP_KEYS;
    for (const key of Object.keys(r)) if (!keys.includes(key)) throw modelFail(key, 'is not a known field');
    for (const key of keys) if (!Object.hasOwn(r, key)) throw modelFail(key, 'is missing');
    const pipeline = Pipeline.fromJSON(r.pipeline, { path: 'pipeline' });
    const field = v1 ? 'kmeans' : 'model';
    const inner = record(r[field], field);
    let model: SegmentationModel;
    try {
      model = v1 ? KMeansModel.fromJSON(inner) : loadModel(inner);
    } catch (error) {
      throw nested(error, field);
    }
    samePipelineFeatures(pipeline, model, modelFail, `${field}.featureNames`);
    const segments = checkSegments(r.segments, model, 'segments', modelFail);
    return new SegmentModel({ pipeline, model, segments });
  }
}
