import { SegkitError, describe } from '../util/errors.js';
import { modelValue } from '../util/modelJson.js';
import { AgglomerativeModel } from './agglomerativeModel.js';
import { DBSCANModel } from './dbscanModel.js';
import { KMeansModel } from './kmeansModel.js';
import type { SegmentationModel } from './model.js';

/** Readers by model kind: a new algorithm adds its line here. */
const READERS: Readonly<Record<string, (json: unknown) => SegmentationModel>> = Object.freeze({
  kmeans: (j: unknown) => KMeansModel.fromJSON(j),
  dbscan: (j: unknown) => DBSCANModel.fromJSON(j),
  agglomerative: (j: unknown) => AgglomerativeModel.fromJSON(j),
});

/** The kinds `loadModel` reads. */
export const MODEL_KINDS = Object.freeze(Object.keys(READERS));

/**
 * Reads any fitted model saved with `toJSON` (an object or its JSON text), dispatching on its `kind`; every
 * field is checked and a bad one is E_BAD_MODEL naming its path.
 * @example
 * const model = loadModel(await readFile('model.json', 'utf8'));
 * const labels = await model.predict(rows);
 */
export function loadModel(json: unknown): SegmentationModel {
  const o = modelValue(json);
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new SegkitError('E_BAD_MODEL', `the model must be a JSON object, got ${describe(o)}`);
  const r = o as { kind?: unknown; format?: unknown; version?: unknown };
  // k-means files written before models carried a kind
  const kind = r.kind === undefined && r.format === 'segkit.kmeans' && r.version === 1 ? 'kmeans' : r.kind;
  if (typeof kind !== 'string' || !Object.hasOwn(READERS, kind)) {
    throw new SegkitError('E_BAD_MODEL', `model field "kind" must be one of ${MODEL_KINDS.map((k) => JSON.stringify(k)).join(', ')}, got ${describe(kind)}`);
  }
  return READERS[kind](o);
}

/** True for anything that implements the model interface. */
export function isSegmentationModel(x: unknown): x is SegmentationModel {
  const m = x as SegmentationModel;
  return !!m && typeof m === 'object' && typeof m.kind === 'string' && Number.isInteger(m.k) && typeof m.predict === 'function' && typeof m.toJSON === 'function' && Array.isArray(m.featureNames);
}
