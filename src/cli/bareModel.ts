import { Pipeline } from '../prep/pipeline.js';
import { loadModel as loadAnyModel } from '../core/loadModel.js';
import { KMEANS_FORMAT } from '../core/kmeansModel.js';
import { SegmentModel } from '../workflow/segmentModel.js';
import type { RunOptions, SegmentationModel } from '../core/model.js';
import type { DataInput } from '../data/dataset.js';
import { idName } from '../explain/nameSegment.js';
import { SegkitError } from '../util/errors.js';

/** The most segments a bare model file may declare. */
const BARE_MAX_K = 65_536;

/** The library model behind each bare model's view: what explains its assignments (a tree's path, its classes). */
const INNER = new WeakMap<SegmentationModel, SegmentationModel>();

/** The model a bare model file holds, for a model `bareModel` wrapped; the model itself otherwise. */
export function innerModel(model: SegmentationModel): SegmentationModel {
  return INNER.get(model) ?? model;
}

/**
 * A model saved on its own by the library (`model.toJSON()`, parsed: a classifier or k-means, no preparation) as a
 * SegmentModel that reads its feature columns as they are; null for anything else (a segkit.model file).
 */
export function bareModel(o: unknown): SegmentModel | null {
  if (!o || typeof o !== 'object' || Array.isArray(o)) return null;
  // a k-means model's own file carries a format too (segkit.kmeans), and one written before models had a kind only that
  const format = (o as { format?: unknown }).format;
  if (format === undefined ? !('kind' in o) : format !== KMEANS_FORMAT) return null;
  const model = loadAnyModel(o);
  // each segment gets a summary here, so k is all that sizes the work: a classifier's k is its largest class id + 1,
  // which a file of two classes can put at a billion; a centroid model's k is the centroids the file holds
  const classes = (model as { classes?: ArrayLike<number> }).classes;
  if (model.k > BARE_MAX_K && classes !== undefined && classes.length < model.k) {
    throw new SegkitError('E_BAD_MODEL', `model field "k" must be at most ${BARE_MAX_K} in a model file saved without its preparation, got ${model.k}`,
      'segment ids are 0..k-1: renumber the labels the model was trained on, or train on them as text');
  }
  const names = model.featureNames;
  const prep = Pipeline.fromJSON({
    kind: 'segkit.pipeline', version: 1, id: null,
    inputs: names.map((name) => ({ name, type: 'numeric' })), steps: [], featureNames: [...names],
  });
  const classNames = (model as { classNames?: readonly string[] }).classNames;
  const segments = Array.from({ length: model.k }, (_, s) => ({
    id: s, name: classNames?.[s] ?? idName(s), size: 0, share: 0,
    means: Object.fromEntries(names.map((n) => [n, Number.NaN])),
  }));
  // no summaries come with a bare model: it is wrapped as fitted on no rows, so empty summaries fit it
  const view: SegmentationModel = {
    kind: model.kind, k: model.k, labels: new Int32Array(0), featureNames: model.featureNames, nSamples: 0,
    predict: (data, options) => model.predict(data, options), toJSON: () => model.toJSON(),
  };
  // membership probabilities (a mixture's, a tree's or forest's) pass through, for score --proba
  const soft = model as SegmentationModel & { predictProba?: (data: DataInput, options?: RunOptions) => Promise<Float64Array> };
  if (typeof soft.predictProba === 'function') Object.assign(view, { predictProba: soft.predictProba.bind(model) });
  // a centroid model's centres too, for compare's distances to them (and its refit advice when customers drift away)
  const centred = model as SegmentationModel & { centroids?: unknown };
  if (Array.isArray(centred.centroids)) Object.defineProperty(view, 'centroids', { get: () => centred.centroids });
  INNER.set(view, model);
  return new SegmentModel({ pipeline: prep, model: view, segments });
}
