// Scoring with the preparation done in the pass (float64 columns loaded as they are, converted, centred and labelled
// shard by shard on every thread): the labels and imputer counts of the column-by-column transform then predict,
// on every executor and shard size, and no answer at all where that path must raise or cannot apply.
import { afterAll, describe, expect, it } from 'vitest';
import { Float64, Int32, makeData, type Data } from 'apache-arrow';
import { tableFromColumns } from '../src/data/arrowTable.js';
import { pipeline, type PipelineOptions } from '../src/prep/pipeline.js';
import { kmeans } from '../src/core/kmeans.js';
import { SegmentModel, type SegmentSummary } from '../src/workflow/segmentModel.js';
import { transformLabel } from '../src/cli/transformLabel.js';
import { transformLabelOp } from '../src/core/transformLabelOp.js';
import { scanThenMap } from '../src/engine/executor.js';
import { inlineExecutor } from '../src/engine/inline.js';
import { piscinaExecutor } from '../src/engine/piscina.node.js';
import { loopbackExecutor } from '../src/engine/loopback.js';
import { close } from '../src/engine/defaultExecutor.js';
import { createRandom } from '../src/util/random.js';
import { SegkitError } from '../src/util/errors.js';

const pool = piscinaExecutor({ threads: 2 });
afterAll(async () => {
  await pool.close();
  await close();
});

const n = 9_001;
const r = createRandom(5);
const f64 = (v: Float64Array, bits?: { bits: Uint8Array; nulls: number }): Data =>
  makeData({ type: new Float64(), length: v.length, nullCount: bits?.nulls ?? 0, nullBitmap: bits?.bits, data: v } as never);

const names = ['id', 'spend', 'visits', 'rate', 'tenure'];
function columns(m: number, seed: number): Float64Array[] {
  const g = createRandom(seed);
  return [
    Float64Array.from({ length: m }, (_, i) => i),
    // log-normal spend with missing values (NaN, no null bitmap: as CSV batches hold them)
    Float64Array.from({ length: m }, (_, i) => (i % 53 === 7 ? NaN : Math.exp(3 + g.normal()))),
    Float64Array.from({ length: m }, () => Math.floor(g.next() * 30)),
    Float64Array.from({ length: m }, (_, i) => (i % 71 === 0 ? NaN : g.next())),
    Float64Array.from({ length: m }, () => g.next() * 3000 + 1e5),
  ];
}
const table = tableFromColumns(names, columns(n, 1).map((c) => f64(c)));

/** Copies of the columns in one SharedArrayBuffer, each at an offset into it. */
function onShared(cols: Float64Array[]): Float64Array[] {
  const sab = new SharedArrayBuffer(cols.reduce((a, c) => a + 8 * (c.length + 3), 0));
  let at = 24;
  return cols.map((c) => {
    const v = new Float64Array(sab, at, c.length);
    v.set(c);
    at += 8 * (c.length + 3);
    return v;
  });
}

async function fitted(options: PipelineOptions, k = 6): Promise<SegmentModel> {
  const prep = pipeline(options);
  const { dataset } = await prep.fitTransform(table, { threads: 1 });
  const model = await kmeans(dataset, { k, seed: 2, threads: 1 });
  const means = Object.fromEntries(prep.featureNames.map((f) => [f, 0]));
  const segments: SegmentSummary[] = Array.from({ length: k }, (_, c) => {
    const size = model.labels.filter((l) => l === c).length;
    return { id: c, name: `s${c}`, size, share: size / n, means };
  });
  return new SegmentModel({ pipeline: prep, model, segments });
}

/** What scoring gave before: the step-by-step transform, then the model's predict on its rows. */
async function reference(model: SegmentModel, t: ReturnType<typeof tableFromColumns>) {
  const prepared = model.pipeline.transform(t);
  const labels = await model.model.predict(prepared.dataset, { threads: 1 });
  return { labels: Array.from(labels), steps: prepared.report.steps };
}

describe('scoring with the preparation in the pass', () => {
  const cases: PipelineOptions[] = [
    { id: 'id', impute: 'median', scale: 'standard' },
    { id: 'id', impute: 'mean', scale: 'robust' },
    { id: 'id', impute: { strategy: 'median', byColumn: { visits: 0 } }, scale: { method: 'minmax', byColumn: { spend: 'log1p', rate: 'none' } } },
    { id: 'id', impute: 'median', scale: { method: 'log1p' } },
    { id: 'id', impute: 'median', scale: false },
  ];
  for (const options of cases) {
    it(`gives predict's labels and the imputer's counts: ${JSON.stringify(options)}`, async () => {
      const model = await fitted(options);
      const want = await reference(model, table);
      // the spend and rate columns had values to fill
      expect(want.steps.find((s) => s.kind === 'imputer')).toBeDefined();
      for (const run of [{ threads: 1 }, { threads: 2 }]) {
        const got = await transformLabel(model, table, run);
        expect(got).toBeDefined();
        expect(Array.from(got!.labels)).toEqual(want.labels);
        expect(got!.steps).toEqual(want.steps);
      }
      // every label used, so a wrong conversion would show
      expect(new Set(want.labels).size).toBe(6);
    });
  }

  it('is the same on every executor and shard size, odd lengths included', async () => {
    const model = await fitted({ id: 'id', impute: 'median', scale: { method: 'standard', byColumn: { spend: 'log1p' } } });
    const want = await reference(model, table);
    const km = model.model as unknown as { scoringState(): { offset: Float32Array; cent: Float32Array; norms: Float32Array }; k: number };
    const st = km.scoringState();
    const { valueSteps } = await import('../src/prep/fastTransform.js');
    const plan = valueSteps(model.pipeline.steps, model.pipeline.inputs, model.pipeline.featureNames)!;
    const cols = model.pipeline.featureNames.map((name) => table.getChild(name)!.data[0].values as Float64Array);
    for (const ex of [inlineExecutor(), pool, loopbackExecutor()]) {
      for (const shardRows of [16, 1_008, 4_096, 65_536]) {
        const h = await ex.load({ columns: cols, rows: {} }, { dtype: 'f64', shardRows });
        try {
          const parts = await ex.map(transformLabelOp, h, { steps: plan.steps, nulls: [], offset: st.offset, cent: st.cent, norms: st.norms, k: km.k });
          expect(parts.every((p) => p.ok)).toBe(true);
          expect(Array.from((await ex.readRows(h, 'labels')) as Int32Array)).toEqual(want.labels);
        } finally {
          await ex.release(h);
        }
        // rows read once: the shards the calling thread runs convert straight from the columns, never copied in; on
        // shared memory (at an offset into it), every thread's shards do
        const state = { steps: plan.steps, nulls: [], offset: st.offset, cent: st.cent, norms: st.norms, k: km.k };
        for (const source of [cols, onShared(cols)]) {
          const scanned = await scanThenMap(ex, { columns: source, rows: {} }, transformLabelOp, state, { dtype: 'f64', shardRows });
          try {
            expect(scanned.partials.every((p) => p.ok)).toBe(true);
            expect(Array.from((await ex.readRows(scanned.handle, 'labels')) as Int32Array)).toEqual(want.labels);
          } finally {
            await ex.release(scanned.handle);
          }
        }
      }
      if (ex !== pool) await ex.close();
    }
    // and on slices whose lengths are not multiples of four
    for (const [start, length] of [[0, 1], [3, 2], [5, 7], [100, 1_023]]) {
      const part = table.slice(start, start + length);
      const got = await transformLabel(model, part, { threads: 2 });
      expect(Array.from(got!.labels)).toEqual(want.labels.slice(start, start + length));
    }
  });

  it('takes nulls as missing values, sliced tables too: the imputer fills them, and a null no imputer fills is left to predict', async () => {
    const model = await fitted({ id: 'id', impute: { strategy: 'median', byColumn: { visits: 0 } }, scale: { method: 'standard', byColumn: { spend: 'log1p' } } });
    const m = 2_003;
    const cols = columns(m, 3);
    // nulls over values that are not NaN (Arrow leaves a null's slot as any value), every seventh row of spend and visits
    const bits = new Uint8Array(Math.ceil(m / 8)).fill(255);
    let nulls = 0;
    for (let i = 0; i < m; i += 7) { bits[i >> 3] &= ~(1 << (i & 7)); nulls++; }
    const withNulls = tableFromColumns(names, cols.map((c, j) => (j === 1 || j === 2 ? f64(Float64Array.from(c, (v) => (Number.isNaN(v) ? 5 : v)), { bits, nulls }) : f64(c))));
    for (const t of [withNulls, withNulls.slice(3, 1_990), withNulls.slice(1_000)]) {
      expect(t.getChild('spend')!.data[0].nullCount).toBeGreaterThan(0);
      const want = await reference(model, t);
      const got = await transformLabel(model, t, { threads: 2 });
      expect(got).toBeDefined();
      expect(Array.from(got!.labels)).toEqual(want.labels);
      expect(got!.steps).toEqual(want.steps);
      // the nulls were filled: spend's count includes them
      const spend = (want.steps.find((x) => x.kind === 'imputer') as unknown as { columns: { column: string; filled: number }[] }).columns.find((c) => c.column === 'spend')!;
      expect(spend.filled).toBeGreaterThanOrEqual(t.getChild('spend')!.data[0].nullCount);
    }
    // the caller's columns are untouched (the nulls' slots keep their values)
    expect(Array.from(withNulls.getChild('visits')!.data[0].values as Float64Array)).toEqual(Array.from(cols[2], (v) => (Number.isNaN(v) ? 5 : v)));
    // a null in a column no imputer fills: predict refuses it, and this path gives no answer
    const unfilled = await fitted({ id: 'id', impute: { strategy: 'median', columns: ['spend', 'rate'] }, scale: 'standard' });
    const t = tableFromColumns(names, cols.map((c, j) => (j === 4 ? f64(Float64Array.from(c), { bits, nulls }) : f64(c))));
    expect(await transformLabel(unfilled, t, { threads: 2 })).toBeUndefined();
    expect(await unfilled.predict(t, { threads: 1 }).then(() => null, (x) => x)).toBeInstanceOf(SegkitError);
  });

  it('gives no answer where predict would raise or the path does not apply (the caller\'s path then runs)', async () => {
    const model = await fitted({ id: 'id', impute: { strategy: 'median', byColumn: { visits: 0 } }, scale: { method: 'standard', byColumn: { rate: 'log1p' } } });
    const cols = columns(300, 2);
    const swap = (j: number, data: Data) => tableFromColumns(names, cols.map((c, q) => (q === j ? data : f64(c))));
    const bad = (j: number, at: number, value: number) => {
      const v = Float64Array.from(cols[j]);
      v[at] = value;
      return swap(j, f64(v));
    };
    // the model scores the batch as it is
    expect(await transformLabel(model, swap(0, f64(cols[0])), { threads: 2 })).toBeDefined();
    const raising = [
      bad(4, 17, Infinity), // an infinite value
      bad(3, 18, -1), // log1p of -1
      bad(4, 19, 3e38 * 3000), // a value whose scaled result overflows float32 (or is infinite)
    ];
    for (const t of raising) {
      expect(await transformLabel(model, t, { threads: 2 })).toBeUndefined();
      const e = await model.predict(t, { threads: 1 }).then(() => null, (x) => x);
      expect(e).toBeInstanceOf(SegkitError);
    }
    // a missing value in a column no imputer fills (when every column is imputed, none is left)
    // an integer column, a column in two chunks: the column-by-column path takes those
    const notApplicable = [
      swap(2, makeData({ type: new Int32(), length: 300, nullCount: 0, data: Int32Array.from(cols[2]) })),
      tableFromColumns(names, cols.map((c) => f64(c))).slice(0, 100).concat(tableFromColumns(names, cols.map((c) => f64(c))).slice(100)),
    ];
    // a table naming a feature twice (the step-by-step path refuses it; reading by name would take the first)
    notApplicable.push(tableFromColumns([...names, 'visits'], [...cols.map((c) => f64(c)), f64(cols[3])]));
    for (const t of notApplicable) expect(await transformLabel(model, t, { threads: 2 })).toBeUndefined();
    // an explicit executor and a probability-free model other than k-means are left to predict
    expect(await transformLabel(model, swap(0, f64(cols[0])), { executor: pool })).toBeUndefined();
  });
});
