import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { kmeans } from '../src/core/kmeans.js';
import { gaussianMixture } from '../src/core/gaussianMixture.js';
import { decisionTree } from '../src/core/treeModel.js';
import { SegmentModel, type SegmentModelJSON, type SegmentSummary } from '../src/workflow/segmentModel.js';
import { SegkitError } from '../src/util/errors.js';
import { close } from '../src/engine/defaultExecutor.js';
import { pipeline, type Pipeline } from '../src/prep/pipeline.js';
import { normal, rng } from './helpers/reportFixture.js';
import { holed } from './helpers.js';

afterAll(() => close());

type Row = { customer_id: string; recency: number; frequency: number; monetary: number | null; plan: string };

const CENTRES = [
  [10, 20, 900],
  [200, 2, 80],
  [60, 8, 300],
];

/** Three well separated customer groups of 40, with a few missing monetary values in the middle group. */
function customers(seed: number, perGroup = 40): { rows: Row[]; truth: number[] } {
  const rand = rng(seed);
  const rows: Row[] = [];
  const truth: number[] = [];
  CENTRES.forEach(([r, f, m], g) => {
    for (let i = 0; i < perGroup; i++) {
      rows.push({
        customer_id: `c${rows.length}`,
        recency: Math.max(0, Math.round(r + 0.08 * r * normal(rand))),
        frequency: Math.max(0, Math.round(f + 0.1 * f * normal(rand))),
        monetary: g === 2 && i % 10 === 3 ? null : Math.round(m * (1 + 0.06 * normal(rand)) * 100) / 100,
        plan: ['gold', 'free', 'silver'][g],
      });
      truth.push(g);
    }
  });
  return { rows, truth };
}

/** Squared Euclidean distance in float64 to each centroid; the index of the nearest. */
function nearest(point: number[], centroids: number[][]): number {
  let best = -1;
  let bestD = Infinity;
  centroids.forEach((c, t) => {
    const d = c.reduce((s, v, j) => s + (point[j] - v) ** 2, 0);
    if (d < bestD) {
      bestD = d;
      best = t;
    }
  });
  return best;
}

function summaries(prep: Pipeline, rows: Row[], labels: Int32Array, k: number): SegmentSummary[] {
  const names = prep.featureNames;
  return Array.from({ length: k }, (_, c) => {
    const members = rows.filter((_, i) => labels[i] === c);
    const means = Object.fromEntries(names.map((f) => [f, members.reduce((s, r) => s + ((r as Record<string, unknown>)[f] as number ?? 0), 0) / members.length]));
    return { id: c, name: `segment ${c}`, size: members.length, share: members.length / rows.length, means };
  });
}

async function fitted(options: Parameters<typeof pipeline>[0] = { impute: 'median', scale: 'standard' }) {
  const { rows, truth } = customers(7);
  const prep = pipeline(options);
  const { dataset } = await prep.fitTransform(rows);
  const model = await kmeans(dataset, { k: 3, seed: 3, threads: 1 });
  const segments = summaries(prep, rows, model.labels, 3);
  return { rows, truth, prep, dataset, model, segments, segmentModel: new SegmentModel({ pipeline: prep, model, segments }) };
}

function badModel(json: unknown): SegkitError {
  try {
    SegmentModel.fromJSON(json);
  } catch (e) {
    if (e instanceof SegkitError) return e;
    throw e;
  }
  throw new Error('fromJSON accepted the model');
}

const clone = (m: SegmentModel): SegmentModelJSON & Record<string, unknown> => JSON.parse(JSON.stringify(m.toJSON()));

/** Each damaged copy of a model document is E_BAD_MODEL, its message matching (a RegExp) or containing (text) the third entry. */
function expectRefused(doc: () => Record<string, any>, cases: [string, (j: Record<string, any>) => void, RegExp | string][]): void {
  for (const [label, damage, want] of cases) {
    const j = doc();
    damage(j);
    const e = badModel(JSON.stringify(j));
    expect(e.code, label).toBe('E_BAD_MODEL');
    if (typeof want === 'string') expect(e.message, label).toContain(want);
    else expect(e.message, label).toMatch(want);
  }
}

/** The model as a version-1 file wrote it: k-means under "kmeans", in k-means format version 1 (no kind). */
function v1Document(m: SegmentModel): Record<string, any> {
  const { format, pipeline, model, segments } = clone(m);
  const { kind: _kind, ...kmeansFields } = model as unknown as Record<string, unknown>;
  return { format, version: 1, pipeline, kmeans: { ...kmeansFields, version: 1 }, segments };
}

describe('SegmentModel', () => {
  it('predicts each raw row to the nearest centroid of its prepared features, and recovers the three groups', async () => {
    const { rows, truth, dataset, model, segmentModel } = await fitted();
    const labels = await segmentModel.predict(rows, { threads: 1 });
    expect(labels.length).toBe(rows.length);
    const centroids = model.centroids;
    for (let i = 0; i < rows.length; i++) {
      expect(labels[i]).toBe(nearest(dataset.columns.map((c) => c[i]), centroids));
    }
    // The training labels are the final assignment, so scoring the training rows reproduces them.
    expect(Array.from(labels)).toEqual(Array.from(model.labels));
    // One segment per group: the partition equals the true one up to renaming.
    const map = new Map<number, number>();
    truth.forEach((g, i) => {
      if (!map.has(g)) map.set(g, labels[i]);
      expect(labels[i]).toBe(map.get(g));
    });
    expect(new Set(map.values()).size).toBe(3);
  });

  it('gives the same segments on 1 and 2 threads and in any row order', async () => {
    const { rows, segmentModel } = await fitted();
    const one = await segmentModel.predict(rows, { threads: 1 });
    const two = await segmentModel.predict(rows, { threads: 2 });
    expect(Array.from(two)).toEqual(Array.from(one));
    const reversed = [...rows].reverse();
    const back = await segmentModel.predict(reversed, { threads: 1 });
    expect(Array.from(back).reverse()).toEqual(Array.from(one));
  });

  it('round-trips through JSON text: same document, same predictions', async () => {
    const { rows, segmentModel } = await fitted({ impute: 'median', scale: 'robust', encode: ['plan'] });
    const text = JSON.stringify(segmentModel.toJSON());
    const loaded = SegmentModel.fromJSON(text);
    expect(loaded.toJSON()).toEqual(JSON.parse(text));
    expect(loaded.k).toBe(3);
    expect(loaded.names).toEqual(['segment 0', 'segment 1', 'segment 2']);
    expect(loaded.pipeline.featureNames).toEqual(['recency', 'frequency', 'monetary', 'plan=free', 'plan=gold', 'plan=silver']);
    expect(Array.from(await loaded.predict(rows, { threads: 1 }))).toEqual(Array.from(await segmentModel.predict(rows, { threads: 1 })));
    const json = segmentModel.toJSON();
    expect(json.format).toBe('segkit.model');
    expect(json.version).toBe(2);
    expect(Object.keys(json)).toEqual(['format', 'version', 'pipeline', 'model', 'segments']);
    expect(json.model.kind).toBe('kmeans');
    expect(json.model.version).toBe(2);
    expect(loaded.model.kind).toBe('kmeans');
  });

  it('still reads a version-1 file (k-means under "kmeans", without a kind): same model, same predictions', async () => {
    const { rows, segmentModel } = await fitted({ impute: 'median', scale: 'robust', encode: ['plan'] });
    const v1 = v1Document(segmentModel);
    expect(Object.keys(v1)).toEqual(['format', 'version', 'pipeline', 'kmeans', 'segments']);
    const loaded = SegmentModel.fromJSON(JSON.stringify(v1));
    expect(loaded.k).toBe(3);
    expect(loaded.kind).toBe('kmeans');
    expect(loaded.names).toEqual(['segment 0', 'segment 1', 'segment 2']);
    // read as version 1, written back as version 2: the same document a fresh model writes
    expect(loaded.toJSON()).toEqual(segmentModel.toJSON());
    expect(Array.from(await loaded.predict(rows, { threads: 1 }))).toEqual(Array.from(await segmentModel.predict(rows, { threads: 1 })));
  });

  it('gives -1 to rows an outlier drop rule removes, and all -1 when it removes them all', async () => {
    const { rows, segmentModel, prep } = await fitted({ outliers: { method: 'zscore', threshold: 3, action: 'drop' }, impute: 'median', scale: 'standard' });
    const loaded = SegmentModel.fromJSON(JSON.stringify(segmentModel.toJSON()));
    // Bounds of the fitted rule, checked independently: mean +- 3 population sd of the training column.
    const rec = rows.map((r) => r.recency);
    const mean = rec.reduce((a, b) => a + b, 0) / rec.length;
    const sd = Math.sqrt(rec.reduce((a, b) => a + (b - mean) ** 2, 0) / rec.length);
    const scoring = [
      { ...rows[0], recency: mean + 3.5 * sd },
      rows[1],
      { ...rows[2], recency: mean - 3.5 * sd },
      rows[100],
    ];
    const labels = await loaded.predict(scoring, { threads: 1 });
    const inner = await loaded.predict([rows[1], rows[100]], { threads: 1 });
    expect(Array.from(labels)).toEqual([-1, inner[0], -1, inner[1]]);
    expect(inner[0]).toBeGreaterThanOrEqual(0);
    expect(Array.from(await loaded.predict([scoring[0], scoring[2]], { threads: 1 }))).toEqual([-1, -1]);
    expect(prep.steps[0].kind).toBe('outliers');
  });

  it('predictWithProba gives predict and predictProba from one transform, -1 and NaN where the outlier rule drops a row', async () => {
    const { rows } = customers(7);
    const prep = pipeline({ outliers: { method: 'zscore', threshold: 3, action: 'drop' }, impute: 'median', scale: 'standard' });
    const { dataset } = await prep.fitTransform(rows);
    const model = await gaussianMixture(dataset, { k: 3, seed: 3, covarianceType: 'diag', threads: 1 });
    const labels0 = await model.predict(dataset, { threads: 1 });
    const sm = new SegmentModel({ pipeline: prep, model, segments: summaries(prep, rows, labels0, 3) });
    const rec = rows.map((r) => r.recency);
    const mean = rec.reduce((a, b) => a + b, 0) / rec.length;
    const sd = Math.sqrt(rec.reduce((a, b) => a + (b - mean) ** 2, 0) / rec.length);
    const scoring = [rows[5], { ...rows[0], recency: mean + 3.5 * sd }, rows[60], rows[110]];
    const both = await sm.predictWithProba(scoring, { threads: 1 });
    expect(Array.from(both.labels)).toEqual(Array.from(await sm.predict(scoring, { threads: 1 })));
    expect(Array.from(both.proba)).toEqual(Array.from(await sm.predictProba(scoring, { threads: 1 })));
    expect(both.labels[1]).toBe(-1);
    expect(Array.from(both.proba.subarray(3, 6)).every(Number.isNaN)).toBe(true);
    for (const i of [0, 2, 3]) {
      const p = Array.from(both.proba.subarray(3 * i, 3 * i + 3));
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(p.indexOf(Math.max(...p))).toBe(both.labels[i]);
    }
    // the transform's report: rows in, and rows out after the outlier rule
    expect([both.report?.rowsIn, both.report?.rowsOut]).toEqual([4, 3]);
    await expect(sm.predictWithProba([])).resolves.toEqual({ labels: new Int32Array(0), proba: new Float64Array(0), report: null });
    const hard = (await fitted()).segmentModel;
    await expect(hard.predictWithProba(rows.slice(0, 2))).rejects.toThrow('gives no membership probabilities');
  });

  it('returns an empty array for an empty table and fails naming the missing column', async () => {
    const { segmentModel, rows } = await fitted();
    expect((await segmentModel.predict([])).length).toBe(0);
    const withoutRecency = rows.slice(0, 3).map(({ recency: _r, ...rest }) => rest);
    await expect(segmentModel.predict(withoutRecency)).rejects.toMatchObject({ code: 'E_MISSING_COLUMN', message: expect.stringContaining('"recency"') });
  });

  it('copies and freezes the segment summaries it is given', async () => {
    const { prep, model, segments } = await fitted();
    const given = segments.map((s) => ({ ...s, means: { ...s.means } }));
    const m = new SegmentModel({ pipeline: prep, model, segments: given });
    given[0].name = 'changed';
    (given[1].means as Record<string, number>).recency = -1;
    expect(m.segments[0].name).toBe('segment 0');
    expect(m.segments[1].means.recency).toBe(segments[1].means.recency);
    expect(Object.isFrozen(m.segments[0])).toBe(true);
  });

  it('checks its parts', async () => {
    const { prep, model, segments } = await fitted();
    const err = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e as SegkitError;
      }
      throw new Error('accepted');
    };
    expect(err(() => new SegmentModel({ pipeline: pipeline({}), model, segments })).message).toMatch(/unfitted/);
    expect(err(() => new SegmentModel({ pipeline: prep, model, segments: segments.slice(0, 2) }))).toMatchObject({ code: 'E_BAD_OPTION', message: expect.stringContaining('"segments"') });
    const other = pipeline({ columns: ['recency', 'frequency'] });
    await other.fit(customers(1).rows);
    expect(err(() => new SegmentModel({ pipeline: other, model, segments }))).toMatchObject({ code: 'E_BAD_OPTION', message: expect.stringContaining('"model"') });
  });

  it('refuses a hole in the segment summaries (an object built in code), naming it, where it loaded as a segment without a name', async () => {
    const { prep, model, segments, segmentModel } = await fitted();
    // segment 1's customers counted in segment 0: the sizes still add up to the rows, and segment 1 is empty
    const whole = segments.map((s) => ({ ...s, means: { ...s.means } }));
    whole[0].size += whole[1].size;
    whole[0].share = whole[0].size / 120;
    const merged = holed(whole, 1);
    expect(1 in merged).toBe(false);
    expect(() => new SegmentModel({ pipeline: prep, model, segments: merged })).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining('"segments[1]"') }));
    const doc = { ...segmentModel.toJSON(), segments: merged };
    expect(badModel(doc)).toMatchObject({ code: 'E_BAD_MODEL', message: expect.stringContaining('"segments[1]"') });
  });

  it('rejects a damaged model with E_BAD_MODEL naming the field', async () => {
    const { segmentModel } = await fitted();
    const cases: [string, (j: Record<string, any>) => void, RegExp][] = [
      ['format', (j) => (j.format = 'segkit.kmeans'), /"format"/],
      ['version', (j) => (j.version = 3), /"version"/],
      ['unknown key', (j) => (j.extra = 1), /"extra" is not a known field/],
      ['missing segments', (j) => delete j.segments, /"segments" is missing/],
      ['pipeline field', (j) => (j.pipeline.steps[0].values = ['x']), /pipeline\.steps\[0\]\.values/],
      ['model field', (j) => (j.model.centroids[1] = [0]), /"model\.centroids\[1\]"/],
      ['model k', (j) => (j.model.k = 0), /"model\.k"/],
      ['model kind', (j) => (j.model.kind = 'spectral'), /"model\.kind"/],
      ['model not an object', (j) => (j.model = 5), /model field "model" must be a JSON object/],
      ['model forbidden key', (j) => (j.model = JSON.parse('{"__proto__": 1}')), /forbidden key "__proto__" in model/],
      ['model features', (j) => (j.model.featureNames = ['a', 'b', 'c']), /"model\.featureNames"/],
      ['kmeans in a version-2 file', (j) => ((j.kmeans = j.model), delete j.model), /"kmeans" is not a known field/],
      ['segment count', (j) => j.segments.pop(), /"segments" must be an array of 3/],
      ['segment id', (j) => (j.segments[1].id = 5), /"segments\[1\]\.id"/],
      ['segment size', (j) => (j.segments[2].size = -1), /"segments\[2\]\.size"/],
      ['segment share', (j) => (j.segments[0].share = 1.5), /"segments\[0\]\.share"/],
      ['segment name', (j) => (j.segments[0].name = 7), /"segments\[0\]\.name"/],
      ['segment names repeated', (j) => (j.segments[2].name = j.segments[0].name), /"segments\[2\]\.name" must differ from segment 0's name/],
      ['segment means keys', (j) => (j.segments[1].means = { recency: 1 }), /"segments\[1\]\.means"/],
      ['segment mean value', (j) => (j.segments[2].means.frequency = 'x'), /"segments\[2\]\.means\.frequency"/],
      ['segment extra key', (j) => (j.segments[0].colour = 'red'), /"segments\[0\]\.colour" is not a known field/],
    ];
    expectRefused(() => clone(segmentModel) as Record<string, any>, cases);
    // version 1 files name the k-means fields under "kmeans"
    const v1Cases: [string, (j: Record<string, any>) => void, RegExp][] = [
      ['kmeans field', (j) => (j.kmeans.centroids[1] = [0]), /"kmeans\.centroids\[1\]"/],
      ['kmeans k', (j) => (j.kmeans.k = 0), /"kmeans\.k"/],
      ['kmeans not an object', (j) => (j.kmeans = 5), /model field "kmeans" must be a JSON object/],
      ['kmeans forbidden key', (j) => (j.kmeans = JSON.parse('{"__proto__": 1}')), /forbidden key "__proto__" in kmeans/],
      ['kmeans features', (j) => (j.kmeans.featureNames = ['a', 'b', 'c']), /"kmeans\.featureNames"/],
      ['model in a version-1 file', (j) => ((j.model = j.kmeans), delete j.kmeans), /"model" is not a known field/],
    ];
    expectRefused(() => v1Document(segmentModel), v1Cases);
    expect(badModel('{"format": ').message).toMatch(/not valid JSON/);
    expect(badModel('[]').code).toBe('E_BAD_MODEL');
    expect(badModel('{"__proto__": {}, "format": "segkit.model"}').message).toMatch(/forbidden key "__proto__"/);
  });

  it('refuses tampered values that overflow float32, summaries that do not match the features or the row count, and a huge k', async () => {
    const { segmentModel } = await fitted();
    expect(segmentModel.pipeline.steps.map((s) => s.kind)).toEqual(['imputer', 'scaler']);
    const n = segmentModel.model.nSamples;
    expect(n).toBe(120);
    const cases: [string, (j: Record<string, any>) => void, string][] = [
      ['centroid 1e39', (j) => (j.model.centroids[0][1] = 1e39), 'model field "model.centroids[0][1]" must be a finite number within the float32 range (|x| <= 3.4e38), got 1e+39'],
      ['offset 1e39', (j) => (j.model.offset[2] = -1e39), 'model field "model.offset[2]" must be a finite number within the float32 range'],
      ['centroid beyond float32 once the offset is taken off', (j) => {
        j.model.offset[0] = -3e38;
        j.model.centroids[1][0] = 3e38;
      }, 'model field "model.centroids[1][0]" must be within the float32 range of offset[0]'],
      ['scale 1e39', (j) => (j.pipeline.steps[1].scales[0] = 1e39), 'model field "pipeline.steps[1].scales[0]" must be within the float32 range (|x| <= 3.4e38), got 1e+39'],
      ['scale below float32', (j) => (j.pipeline.steps[1].scales[1] = 1e-50), 'model field "pipeline.steps[1].scales[1]" must be a float32 greater than 0'],
      ['centre 1e39', (j) => (j.pipeline.steps[1].centers[2] = 1e39), 'model field "pipeline.steps[1].centers[2]" must be within the float32 range'],
      ['imputed value 1e39', (j) => (j.pipeline.steps[0].values[2] = 1e39), 'model field "pipeline.steps[0].values[2]" must be within the float32 range'],
      ['means of other features', (j) => {
        for (const seg of j.segments) seg.means = { age: 1, frequency: 2, monetary: 3 };
      }, 'model field "segments[0].means" must hold the mean of each of the model\'s features (recency, frequency, monetary), got age, frequency, monetary'],
      ['sizes against nSamples', (j) => (j.segments[0].size += 1000), `model field "segments" has sizes adding up to ${n + 1000}, but the model was fitted on ${n} rows (nSamples)`],
      ['share against size', (j) => (j.segments[1].share = 0.9), 'model field "segments[1].share" must be size / nSamples'],
      ['k 1e10 before allocating', (j) => (j.model.k = 1e10), 'model field "model.centroids" must be 10000000000 rows, got an array of length 3'],
    ];
    expectRefused(() => clone(segmentModel) as Record<string, any>, cases);
    // the untouched model still loads
    expect(SegmentModel.fromJSON(JSON.stringify(clone(segmentModel))).k).toBe(3);
  });

  it('refuses a classifier file whose segment names are not its class names (renamed or swapped)', async () => {
    const { rows, truth } = customers(7);
    const prep = pipeline({ impute: 'median' });
    const { dataset } = await prep.fitTransform(rows);
    const plans = ['free', 'gold', 'silver'];
    const tree = await decisionTree(dataset, truth.map((g) => plans[g]), { maxDepth: 3, threads: 1 });
    expect(tree.classNames).toEqual(plans);
    const ids = Int32Array.from(truth, (g) => plans.indexOf(['gold', 'free', 'silver'][g]));
    const segments = summaries(prep, rows, ids, 3).map((seg) => ({ ...seg, name: plans[seg.id] }));
    const saved = new SegmentModel({ pipeline: prep, model: tree, segments });
    expect(SegmentModel.fromJSON(JSON.stringify(saved.toJSON())).names).toEqual(plans);
    const cases: [string, (j: Record<string, any>) => void, string][] = [
      ['renamed', (j) => (j.segments[1].name = 'platinum'), 'model field "segments[1].name" must be the model\'s class name "gold", got "platinum"'],
      ['swapped', (j) => ([j.segments[0].name, j.segments[2].name] = [j.segments[2].name, j.segments[0].name]), 'model field "segments[0].name" must be the model\'s class name "free", got "silver"'],
    ];
    expectRefused(() => clone(saved) as Record<string, any>, cases);
  });

  it('imports nothing from node:* (it belongs to the neutral entry)', () => {
    const source = readFileSync(new URL('../src/workflow/segmentModel.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/from ['"]node:/);
  });
});
