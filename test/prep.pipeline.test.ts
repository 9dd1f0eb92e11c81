import { describe, expect, it } from 'vitest';
import { Bool, DateMillisecond, Decimal, Dictionary, Float32, Float64, Int32, Int64, Table, TimestampMicrosecond, TimestampMillisecond, TimestampNanosecond, TimestampSecond, makeData, Utf8, makeVector, Null, vectorFromArray } from 'apache-arrow';
import { Pipeline, pipeline, type PipelineJSON } from '../src/prep/pipeline.js';
import { Imputer } from '../src/prep/imputer.js';
import { OneHotEncoder } from '../src/prep/oneHotEncoder.js';
import { Scaler } from '../src/prep/scaler.js';
import { Outliers } from '../src/prep/outliers.js';
import { FeatureFilter } from '../src/prep/featureFilter.js';
import { fastTransform } from '../src/prep/fastTransform.js';
import { SegkitError, baseMessage } from '../src/util/errors.js';
import { failure } from './helpers.js';
import { X } from './helpers/prepFrames.js';

function error(fn: () => unknown): SegkitError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SegkitError) return e;
    throw e;
  }
  throw new Error('no error');
}

/** Dataset bytes, column by column, for exact comparisons. */
const bytes = (ds: { columns: readonly Float32Array[] }) => ds.columns.map((c) => Array.from(new Uint8Array(c.buffer, c.byteOffset, c.byteLength)));

interface Customers {
  customer_id: number[];
  age: (number | null)[];
  visits: bigint[];
  spend: (number | null)[];
  member: boolean[];
  plan: (string | null)[];
  city: string[];
}

const train: Customers = {
  customer_id: [101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112],
  age: [34, 45, null, 23, 52, 41, 38, null, 29, 61, 33, 47],
  visits: [3n, 10n, 1n, 7n, 2n, 15n, 4n, 6n, 8n, 1n, 5n, 9n],
  spend: [120.5, 880, 15, 430.25, 60, 1500, 210, 330, 610, 20, 150, 720],
  member: [true, true, false, true, false, true, false, true, true, false, false, true],
  plan: ['gold', 'gold', 'free', 'silver', 'free', 'gold', null, 'silver', 'gold', 'free', 'silver', 'gold'],
  city: ['Oslo', 'Lima', 'Pune', 'Kyiv', 'Nice', 'Bonn', 'Cork', 'Doha', 'Graz', 'Hue', 'Ipoh', 'Jena'],
};

function arrow(cols: Customers): Table {
  return new Table({
    customer_id: vectorFromArray(cols.customer_id, new Int32()),
    age: vectorFromArray(cols.age, new Float64()),
    visits: vectorFromArray(cols.visits, new Int64()),
    spend: vectorFromArray(cols.spend, new Float64()),
    member: vectorFromArray(cols.member, new Bool()),
    plan: vectorFromArray(cols.plan, new Dictionary(new Utf8(), new Int32())),
    city: vectorFromArray(cols.city, new Utf8()),
  });
}

function records(cols: Customers): Record<string, unknown>[] {
  return cols.customer_id.map((_, i) => Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, (v as unknown[])[i]])));
}

const scoring: Customers = {
  customer_id: [201, 202, 203, 204],
  age: [null, 30, 70, 44],
  visits: [2n, 30n, 5n, 1n],
  spend: [99, 5000, null, 45],
  member: [false, true, true, false],
  plan: ['platinum', 'free', null, 'gold'],
  city: ['Rome', 'Oslo', 'Lima', 'Pune'],
};

const options = { impute: 'median', scale: 'robust', encode: ['plan'] } as const;

describe('Pipeline', () => {
  it('selects numeric columns except the id, encodes the listed categoricals, and reads Bool/Int64/Dictionary columns', async () => {
    const prep = await pipeline(options).fit(arrow(train));
    expect(prep.id).toBe('customer_id');
    expect(prep.inputs).toEqual([
      { name: 'age', kind: 'numeric' },
      { name: 'visits', kind: 'numeric' },
      { name: 'spend', kind: 'numeric' },
      { name: 'member', kind: 'numeric' },
      { name: 'plan', kind: 'categorical' },
    ]);
    expect(prep.featureNames).toEqual(['age', 'visits', 'spend', 'member', 'plan=free', 'plan=gold', 'plan=silver', 'plan=(missing)']);
  });

  it('matches a scikit-learn pipeline of SimpleImputer(median) and RobustScaler to the float32 bit', async () => {
    // Python (scikit-learn 1.2.1), X as in helpers/prepFrames.ts:
    //   p = make_pipeline(SimpleImputer(strategy='median'), RobustScaler()).fit(X)
    //   p.transform(X).astype(np.float32); p.transform(np.array([[nan, 35, 0.5]])).astype(np.float32)
    const expected = [
      [-1.0, -1.0, -0.8275862336158752], [-0.6000000238418579, -0.7777777910232544, -0.9655172228813171],
      [0.0, -0.5555555820465088, -0.5517241358757019], [1.0, -0.3333333432674408, 6.206896781921387],
      [77.80000305175781, -0.1111111119389534, 0.0], [0.6000000238418579, 0.1111111119389534, 0.0],
      [-0.20000000298023224, 0.3333333432674408, 0.5517241358757019], [0.0, 0.5555555820465088, -0.4137931168079376],
      [0.20000000298023224, 0.7777777910232544, 0.27586206793785095], [-0.6000000238418579, 21.0, 2.068965435028076],
    ];
    const rows = X.x1.map((_, i) => ({ x1: X.x1[i], x2: X.x2[i], x3: X.x3[i] }));
    const prep = pipeline({ impute: 'median', scale: 'robust' });
    const { dataset } = await prep.fitTransform(rows);
    expect(dataset.columns.map((c) => Array.from(c))).toEqual([0, 1, 2].map((j) => expected.map((r) => r[j])));
    const one = prep.transform([{ x1: null, x2: 35, x3: 0.5 }]).dataset;
    expect(one.columns.map((c) => c[0])).toEqual([0.0, -0.4444444477558136, -0.27586206793785095]);
  });

  it('toJSON -> JSON text -> fromJSON transforms new rows to the same Float32 bytes', async () => {
    const prep = pipeline({ ...options, outliers: { method: 'iqr', action: 'clip' }, dropLowVariance: true, dropCorrelated: 0.99 });
    await prep.fit(arrow(train));
    const text = JSON.stringify(prep.toJSON());
    const back = Pipeline.fromJSON(JSON.parse(text));
    const a = prep.transform(arrow(scoring));
    const b = back.transform(arrow(scoring));
    expect(back.featureNames).toEqual(prep.featureNames);
    expect(bytes(b.dataset)).toEqual(bytes(a.dataset));
    expect(b.report).toEqual(a.report);
    expect(JSON.stringify(back.toJSON())).toBe(text);
    // The JSON text form is accepted too.
    expect(bytes(Pipeline.fromJSON(text).transform(arrow(scoring)).dataset)).toEqual(bytes(a.dataset));
  });

  it('an array of records gives the same bytes as the Arrow table', async () => {
    const fromArrow = await pipeline(options).fitTransform(arrow(train));
    const fromRecords = await pipeline(options).fitTransform(records(train));
    expect(fromRecords.dataset.names).toEqual(fromArrow.dataset.names);
    expect(bytes(fromRecords.dataset)).toEqual(bytes(fromArrow.dataset));
  });

  it('NaN in records is a missing value wherever it stands, a text column included (as pandas gives them)', async () => {
    // pd.read_csv(io.StringIO('x,plan\n1,a\n2,\n3,b\n')).to_dict('records')
    //   -> [{'x': 1, 'plan': 'a'}, {'x': 2, 'plan': nan}, {'x': 3, 'plan': 'b'}]
    const withNaN = records(train).map((r) => ({ ...r, plan: r.plan ?? NaN, blank: NaN }));
    const withNull = records(train).map((r) => ({ ...r, blank: null }));
    expect(withNaN.filter((r) => Number.isNaN(r.plan))).toHaveLength(1);
    for (const opts of [{ impute: 'median' }, { impute: 'median', encode: 'auto' }, options] as const) {
      const a = await pipeline(opts).fitTransform(withNaN);
      const b = await pipeline(opts).fitTransform(withNull);
      expect(a.dataset.names).toEqual(b.dataset.names);
      expect(bytes(a.dataset)).toEqual(bytes(b.dataset));
    }
    // a text column with NaN is left out by default, as with null; 'auto' encodes it with its missing category
    expect((await pipeline({ impute: 'median' }).fit(withNaN)).featureNames).toEqual(['age', 'visits', 'spend', 'member']);
    const auto = await pipeline({ impute: 'median', encode: { columns: 'auto', maxCategories: 5 } }).fit(withNaN);
    expect(auto.featureNames).toEqual(['age', 'visits', 'spend', 'member', 'plan=free', 'plan=gold', 'plan=silver', 'plan=(missing)']);
    // a column of NaN alone has no type, as one of null alone: never picked by default, refused when named
    expect((await failure(() => pipeline({ impute: 'median', columns: ['age', 'blank'] }).fit(withNaN))).code).toBe('E_NON_NUMERIC');
  });

  it('a float32 column listed in encode has the categories its values are written as, which float64 columns and records give too', async () => {
    const z = [0.1, 0.2, 0.1, 2.5, null, 16777216, 1e-7, 0.2];
    const spend = [1, 2, 3, 4, 5, 6, 7, 8];
    const t32 = new Table({ z: vectorFromArray(z, new Float32()), spend: vectorFromArray(spend, new Float64()) });
    const prep = await pipeline({ encode: ['z'], scale: false }).fit(t32);
    // scikit-learn 1.2.1, OneHotEncoder().fit(np.array([[0.1], [0.2], [2.5], [16777216], [1e-7]], dtype=np.float32))
    //   .get_feature_names_out(['z']) -> ['z_1e-07', 'z_0.1', 'z_0.2', 'z_2.5', 'z_16777216.0']: the shortest decimals
    //   that read back as the float32 values (segkit writes numbers as JavaScript does: 1e-7, 16777216)
    expect(prep.featureNames).toEqual(['z=0.1', 'z=0.2', 'z=16777216', 'z=1e-7', 'z=2.5', 'z=(missing)', 'spend']);
    const own = prep.transform(t32);
    expect(own.report.steps[0]).toEqual({ kind: 'oneHotEncoder', columns: [{ column: 'z', unknown: 0, missing: 1 }] });
    // the same values as float64 (an Arrow table, records) are the same categories, not unknown ones encoded as zeros
    const t64 = new Table({ z: vectorFromArray(z, new Float64()), spend: vectorFromArray(spend, new Float64()) });
    const recs = z.map((v, i) => ({ z: v, spend: spend[i] }));
    for (const other of [prep.transform(t64), prep.transform(recs)]) {
      expect(other.report.steps[0]).toEqual(own.report.steps[0]);
      expect(bytes(other.dataset)).toEqual(bytes(own.dataset));
    }
  });

  it('a Decimal column listed in encode has the categories of its numbers, which float64 columns and records give too', async () => {
    // decimal(5, 2) 1.50, 2.00, 1.50, -0.25, null, 123.45, 2.00 (unscaled 150, 200, ...; 128-bit little-endian words,
    // two's complement); and decimal(38, 0) 12345678901234567890, more digits than a float64 holds, kept exact
    const dec = (values: (bigint | null)[], precision: number, scale: number) => {
      const words = new Uint32Array(4 * values.length);
      const valid = new Uint8Array(Math.ceil(values.length / 8));
      values.forEach((v, i) => {
        if (v === null) return;
        valid[i >> 3] |= 1 << (i & 7);
        const u = BigInt.asUintN(128, v);
        for (let w = 0; w < 4; w++) words[4 * i + w] = Number((u >> BigInt(32 * w)) & 0xffffffffn);
      });
      const nullCount = values.filter((v) => v === null).length;
      return makeVector(makeData({ type: new Decimal(scale, precision, 128), length: values.length, nullCount, nullBitmap: nullCount ? valid : null, data: words }));
    };
    const unscaled = [150n, 200n, 150n, -25n, null, 12345n, 200n];
    const spend = [1, 2, 3, 4, 5, 6, 7];
    const t = new Table({ z: dec(unscaled, 5, 2), big: dec([12345678901234567890n, 1n, 1n, 1n, 1n, 1n, 1n], 38, 0), spend: vectorFromArray(spend, new Float64()) });
    const prep = await pipeline({ encode: ['z', 'big'], scale: false }).fit(t);
    // pandas 1.5.3: pd.get_dummies(pd.Series([1.5, 2.0, 1.5, -0.25, None, 123.45, 2.0]).map(str)).columns ->
    //   ['-0.25', '1.5', '123.45', '2.0', 'nan']: the numbers, as a float64 column of them gives them here (JavaScript
    //   writes 2.0 as 2); not the unscaled words (before, the fit refused the column as "not a category")
    expect(prep.featureNames).toEqual(['z=-0.25', 'z=1.5', 'z=123.45', 'z=2', 'z=(missing)', 'big=1', 'big=12345678901234567890', 'spend']);
    const own = prep.transform(t);
    expect(own.report.steps[0]).toEqual({ kind: 'oneHotEncoder', columns: [{ column: 'z', unknown: 0, missing: 1 }, { column: 'big', unknown: 0, missing: 0 }] });
    expect(Array.from(own.dataset.columns[3])).toEqual([0, 1, 0, 0, 0, 0, 1]);
    // the same values as float64 (an Arrow table, records) are the same categories, not unknown ones encoded as zeros
    const z = [1.5, 2, 1.5, -0.25, null, 123.45, 2];
    const big = ['12345678901234567890', '1', '1', '1', '1', '1', '1'];
    const t64 = new Table({ z: vectorFromArray(z, new Float64()), big: vectorFromArray(big, new Utf8()), spend: vectorFromArray(spend, new Float64()) });
    const recs = z.map((v, i) => ({ z: v, big: big[i], spend: spend[i] }));
    for (const other of [prep.transform(t64), prep.transform(recs)]) {
      expect(other.report.steps[0]).toEqual(own.report.steps[0]);
      expect(bytes(other.dataset)).toEqual(bytes(own.dataset));
    }
  });

  it('fitTransform gives what fit then transform gives', async () => {
    const a = await pipeline({ ...options, outliers: { action: 'drop' } }).fitTransform(arrow(train));
    const p = await pipeline({ ...options, outliers: { action: 'drop' } }).fit(arrow(train));
    const b = p.transform(arrow(train));
    expect(bytes(b.dataset)).toEqual(bytes(a.dataset));
    expect(Array.from(b.rowIndex)).toEqual(Array.from(a.rowIndex));
  });

  it('scores unknown categories as all zeros and imputes missing numbers with the training statistic', async () => {
    const prep = await pipeline({ impute: 'mean', scale: 'minmax', encode: ['plan'] }).fit(records(train));
    const { dataset, report } = prep.transform(records(scoring));
    const j = (name: string) => dataset.names.indexOf(name);
    // Row 0: plan "platinum" was never seen: every plan column is 0.
    expect(['plan=free', 'plan=gold', 'plan=silver', 'plan=(missing)'].map((n) => dataset.columns[j(n)][0])).toEqual([0, 0, 0, 0]);
    // Row 2: plan missing -> the (missing) column.
    expect(dataset.columns[j('plan=(missing)')][2]).toBe(1);
    // Row 0: age missing -> the training mean of age, then min-max scaled with the training min and range.
    const ages = train.age.filter((a): a is number => a !== null);
    const mean = ages.reduce((s, v) => s + v, 0) / ages.length;
    const lo = Math.min(...ages, mean);
    const hi = Math.max(...ages, mean);
    expect(dataset.columns[j('age')][0]).toBe(Math.fround((mean - lo) / (hi - lo)));
    // Row 2: spend missing -> training mean of spend.
    const spendMean = train.spend.reduce((s: number, v) => s + v!, 0) / train.spend.length;
    expect(dataset.columns[j('spend')][2]).toBe(Math.fround((spendMean - 15) / (1500 - 15)));
    expect(report.steps).toContainEqual({ kind: 'oneHotEncoder', columns: [{ column: 'plan', unknown: 1, missing: 1 }] });
    expect(report.steps).toContainEqual({ kind: 'imputer', columns: [{ column: 'age', filled: 1 }, { column: 'visits', filled: 0 }, { column: 'spend', filled: 1 }, { column: 'member', filled: 0 }] });
  });

  it("handleUnknown 'error' rejects a new category, naming row and column", async () => {
    const prep = await pipeline({ ...options, encode: { columns: ['plan'], handleUnknown: 'error' } }).fit(arrow(train));
    const err = error(() => prep.transform(arrow({ ...scoring, plan: ['gold', 'free', 'vip', 'gold'] })));
    expect(err.code).toBe('E_UNKNOWN_CATEGORY');
    expect(err.message).toMatch(/row 2, column "plan" holds the category "vip"/);
  });

  it('without an imputer a missing value is E_NAN_INPUT naming row and column, at fit and at scoring time', async () => {
    const atFit = await failure(() => pipeline({ encode: ['plan'] }).fit(arrow(train)));
    expect(atFit.code).toBe('E_NAN_INPUT');
    expect(atFit.message).toMatch(/row 2, column "age" is missing/);
    const complete = { ...train, age: train.age.map((a) => a ?? 40) };
    const prep = await pipeline({ encode: ['plan'] }).fit(arrow(complete));
    const atScoring = error(() => prep.transform(arrow(scoring)));
    expect(atScoring.code).toBe('E_NAN_INPUT');
    expect(atScoring.message).toMatch(/row 0, column "age" is missing/);
  });

  it("scores a numeric column of nulls alone typed as Arrow's null type as missing values: the imputer fills them", async () => {
    const prep = await pipeline({ impute: 'median', scale: 'standard' }).fit([{ a: 1, b: 2 }, { a: 3, b: null }, { a: 5, b: 4 }, { a: 6, b: 9 }]);
    const typed = new Table({ a: vectorFromArray([1, 2], new Float64()), b: vectorFromArray([null, null], new Null()) });
    const asFloat = new Table({ a: vectorFromArray([1, 2], new Float64()), b: vectorFromArray([null, null], new Float64()) });
    const got = prep.transform(typed);
    expect(bytes(got.dataset)).toEqual(bytes(prep.transform(asFloat).dataset));
    expect(got.report.steps[0]).toEqual({ kind: 'imputer', columns: [{ column: 'a', filled: 0 }, { column: 'b', filled: 2 }] });
    // the column-by-column path the command line scores with gives the same bytes
    expect(bytes(fastTransform(prep, typed).dataset)).toEqual(bytes(got.dataset));
    // without an imputer, they are missing values named by row
    const bare = await pipeline({ scale: false }).fit([{ a: 1, b: 2 }, { a: 3, b: 4 }]);
    expect(error(() => bare.transform(typed)).message).toMatch(/^row 0, column "b" is missing/);
  });

  it('a column seen at fit time but absent at scoring time is E_MISSING_COLUMN', async () => {
    const prep = await pipeline(options).fit(arrow(train));
    const rows = records(scoring).map(({ spend, ...rest }) => rest);
    const err = error(() => prep.transform(rows));
    expect(err.code).toBe('E_MISSING_COLUMN');
    expect(err.message).toMatch(/"spend"/);
    // The id and the unused city column are not needed for scoring.
    const slim = records(scoring).map(({ customer_id, city, ...rest }) => rest);
    expect(prep.transform(slim).dataset.n).toBe(4);
  });

  it("encode 'auto' takes low-cardinality string columns only, and needs only those at scoring time", async () => {
    const prep = await pipeline({ impute: 'median', encode: { columns: 'auto', maxCategories: 5 } }).fit(records(train));
    expect(prep.inputs.map((c) => c.name)).toEqual(['age', 'visits', 'spend', 'member', 'plan']);
    expect(prep.featureNames.filter((n) => n.startsWith('city'))).toEqual([]);
  });

  it('a categorical column listed in `columns` must be encoded', async () => {
    const err = await failure(() => pipeline({ impute: 'median', columns: ['age', 'city'] }).fit(records(train)));
    expect(err.code).toBe('E_NON_NUMERIC');
    expect(err.message).toMatch(/"city"/);
    const ok = await pipeline({ impute: 'median', columns: ['spend', 'age', 'city'], encode: { columns: ['city'], maxCategories: 3 } }).fit(records(train));
    expect(ok.featureNames).toEqual(['spend', 'age', 'city=Bonn', 'city=Cork', 'city=other']);
  });

  it('drops outlier rows and reports which input rows were kept', async () => {
    const prep = pipeline({ ...options, outliers: { method: 'zscore', threshold: 2, action: 'drop', columns: ['spend'] } });
    const { dataset, rowIndex, report } = await prep.fitTransform(arrow(train));
    // np.mean(spend) + 2 * np.std(spend) = 1271.48...; only 1500 (row 5) is beyond it, and nothing is below the mean - 2 sd.
    expect(Array.from(rowIndex)).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
    expect(dataset.n).toBe(11);
    expect(report).toMatchObject({ rowsIn: 12, rowsOut: 11 });
    expect(report.steps[0]).toMatchObject({ kind: 'outliers', rowsDropped: 1 });
  });

  it('never changes the table it is given', async () => {
    const rows = records(scoring);
    const before = structuredClone(rows);
    const table = arrow(scoring);
    const snapshot = () => table.schema.fields.map((f) => JSON.stringify(Array.from(table.getChild(f.name)!.toArray() as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? String(v) : v))));
    const tableBefore = snapshot();
    const prep = await pipeline({ ...options, outliers: 'iqr' }).fit(arrow(train));
    prep.transform(rows);
    prep.transform(table);
    expect(rows).toEqual(before);
    expect(snapshot()).toEqual(tableBefore);
    expect(table.getChild('age')!.nullCount).toBe(1);
  });

  it('reads a sliced Arrow table from its own offset', async () => {
    const full = arrow(train);
    const prep = await pipeline(options).fit(full);
    const part = prep.transform(full.slice(4, 9)).dataset;
    const whole = prep.transform(full).dataset;
    expect(part.columns.map((c) => Array.from(c))).toEqual(whole.columns.map((c) => Array.from(c.subarray(4, 9))));
  });

  it('steps can be composed by hand', async () => {
    const prep = new Pipeline([new Imputer({ strategy: 'median' }), new Scaler({ method: 'standard', byColumn: { spend: 'log1p' } }), new OneHotEncoder({ columns: ['plan'] })], { id: 'customer_id', exclude: ['member'] });
    const { dataset } = await prep.fitTransform(arrow(train));
    expect(dataset.names).toEqual(['age', 'visits', 'spend', 'plan=free', 'plan=gold', 'plan=silver', 'plan=(missing)']);
    const spend = Array.from(dataset.columns[2]);
    expect(spend.reduce((s, v) => s + v, 0) / spend.length).toBeCloseTo(0, 6);
  });

  it('unscaled() keeps the fitted steps in the customers\' units, and refuses a step fitted after the scaler on a scaled column', async () => {
    const rows = [{ a: 10, b: 1 }, { a: 20, b: null }, { a: null, b: 3 }, { a: 30, b: 5 }];
    // the usual order: the imputer's fill (the mean, 20) is in the column's units
    const usual = await new Pipeline([new Imputer({ strategy: 'mean' }), new Scaler()]).fit(rows);
    expect(Array.from(usual.unscaled().transform(rows).dataset.columns[0])).toEqual([10, 20, 20, 30]);
    // imputed after scaling, its fill is the scaled mean (0), which unscaled values would take as 0
    const late = await new Pipeline([new Scaler(), new Imputer({ strategy: 'mean' })]).fit(rows);
    expect(Array.from(late.transform(rows).dataset.columns[0])).toEqual([Math.fround(-Math.sqrt(1.5)), 0, 0, Math.fround(Math.sqrt(1.5))]);
    const err = error(() => late.unscaled());
    expect(err.code).toBe('E_BAD_MODEL');
    expect(baseMessage(err)).toBe('the imputer step follows the scaler and was fitted on column "a" scaled: it has no unscaled form');
    // so do outlier bounds, and a loaded pipeline says the same
    const clipped = await new Pipeline([new Scaler({ columns: ['b'] }), new Outliers({ method: 'zscore', threshold: 1 })]).fit([{ a: 1, b: 1 }, { a: 2, b: 2 }, { a: 3, b: 9 }]);
    expect(baseMessage(error(() => Pipeline.fromJSON(JSON.stringify(clipped.toJSON())).unscaled()))).toBe('the outliers step follows the scaler and was fitted on column "b" scaled: it has no unscaled form');
    // a step after the scaler on columns it leaves as they are ('none' too), an encoder and a filter keep their meaning
    const apart = await new Pipeline([new Scaler({ byColumn: { b: 'none' } }), new Imputer({ strategy: 'mean', columns: ['b'] }), new FeatureFilter()]).fit(rows.map((r) => ({ ...r, a: r.a ?? 0 })));
    expect(Array.from(apart.unscaled().transform(rows.map((r) => ({ ...r, a: r.a ?? 0 }))).dataset.columns[1])).toEqual([1, 3, 3, 5]);
  });

  it("writes the imputer's and scaler's results over its own copies only: the same bytes as the steps by hand, whose frames stay as they were", async () => {
    const steps = () => [new Imputer({ strategy: 'median' }), new Scaler({ method: 'standard', byColumn: { spend: 'log1p', visits: 'robust' } })];
    const cols = ['age', 'visits', 'spend'];
    const prep = new Pipeline(steps(), { columns: cols });
    const { dataset } = await prep.fitTransform(arrow(train));
    // the same steps on a frame of the caller's, and on the frame the first step returns
    const n = train.age.length;
    const frame = {
      n, rows: Int32Array.from({ length: n }, (_, i) => i),
      columns: cols.map((name) => ({ kind: 'numeric' as const, name, values: Float64Array.from((train as unknown as Record<string, (number | bigint | null)[]>)[name], (v) => (v === null ? NaN : Number(v))) })),
    };
    const copy = (f: typeof frame) => f.columns.map((c) => Array.from(c.values));
    const before = copy(frame);
    const [imputer, scaler] = steps();
    await imputer.fit(frame);
    const imputed = imputer.transform(frame).frame as typeof frame;
    const imputedBefore = copy(imputed);
    await scaler.fit(imputed);
    const scaled = scaler.transform(imputed).frame as typeof frame;
    expect(copy(frame)).toEqual(before);
    expect(copy(imputed)).toEqual(imputedBefore);
    expect(imputedBefore[0]).not.toEqual(before[0]);
    expect(bytes(dataset)).toEqual(bytes({ columns: scaled.columns.map((c) => Float32Array.from(c.values)) }));
    // a second transform by the fitted pipeline, from new copies of the table, gives the same bytes again
    expect(bytes(prep.transform(arrow(train)).dataset)).toEqual(bytes(dataset));
    expect(bytes(prep.transform(records(train)).dataset)).toEqual(bytes(dataset));
  });

  it("never writes over a column a step of the caller's was given, which it may keep", async () => {
    const kept: Float64Array[] = [];
    const keeper = {
      kind: 'keeper', columns: [] as string[],
      fit: async (frame: { columns: readonly { values: unknown }[] }) => { kept.push(frame.columns[0].values as Float64Array); },
      transform: (frame: unknown) => ({ frame, report: { kind: 'keeper' } }),
      outputSchema: (input: unknown) => input, toJSON: () => ({ kind: 'keeper' }),
    };
    const prep = new Pipeline([keeper as never, new Imputer({ strategy: 'median' }), new Scaler({ method: 'standard' })], { columns: ['age', 'spend'] });
    await prep.fitTransform(arrow(train));
    expect(Array.from(kept[0]).map((v) => (Number.isNaN(v) ? null : v))).toEqual(train.age);
  });

  it('a step given a table where it takes a frame says so, naming the step, rather than failing with a TypeError', async () => {
    const table = records(train);
    const steps = [new Imputer(), new Scaler(), new OneHotEncoder(), new Outliers(), new FeatureFilter()];
    for (const step of steps) {
      const err = await failure(() => step.fit(table as never));
      expect(err).toBeInstanceOf(SegkitError);
      expect([err.code, baseMessage(err)]).toEqual(['E_BAD_OPTION', `the ${step.kind} step takes a frame ({ n, rows, columns }), got an array of length 12`]);
    }
    const fitted = await new Imputer().fit({ n: 2, rows: Int32Array.of(0, 1), columns: [{ kind: 'numeric', name: 'a', values: Float64Array.of(1, NaN) }] });
    for (const bad of [table, null, { columns: [] }]) expect(error(() => fitted.transform(bad as never)).code).toBe('E_BAD_OPTION');
  });

  it('names bad options', async () => {
    expect(error(() => pipeline({ scale: 'zscore' as never })).message).toMatch(/"scale\.method"/);
    expect(error(() => pipeline({ imputer: 'mean' } as never)).message).toMatch(/"imputer"/);
    expect(error(() => pipeline({ dropCorrelated: 1.5 })).message).toMatch(/"dropCorrelated"/);
    expect(error(() => pipeline({ encode: 'all' as never })).message).toMatch(/"encode"/);
    // a column both listed and excluded was dropped in silence
    const both = await failure(() => pipeline({ columns: ['spend', 'visits'], exclude: ['visits'] }).fit(arrow(train)));
    expect(both.code).toBe('E_BAD_OPTION');
    expect(both.message).toContain('option "exclude" must be not a column listed in columns, got "visits"');
    // null is not "off" (false is) nor the default: `scale: null` scaled with the default method
    for (const key of ['outliers', 'impute', 'scale', 'encode', 'dropLowVariance', 'dropCorrelated'] as const) {
      const err = error(() => pipeline({ [key]: null } as never));
      expect(err.code).toBe('E_BAD_OPTION');
      expect(err.message).toContain(`"${key}"`);
      expect(err.message).toContain('got null');
    }
    expect((await failure(() => pipeline({ id: 'nope' }).fit(arrow(train)))).code).toBe('E_MISSING_COLUMN');
    expect(error(() => new Pipeline([{} as never])).message).toMatch(/"steps\[0\]"/);
    expect(error(() => pipeline().transform(arrow(train))).code).toBe('E_BAD_MODEL');
  });

  describe('fromJSON rejects a corrupt model with E_BAD_MODEL naming the field', () => {
    const good = async (): Promise<PipelineJSON> => JSON.parse(JSON.stringify((await pipeline({ ...options, outliers: 'iqr', dropLowVariance: true }).fit(arrow(train))).toJSON()));
    const stepIndex = (json: PipelineJSON, kind: string) => json.steps.findIndex((s) => s.kind === kind);
    const bad = async (mutate: (json: any) => unknown, path: string, text?: (json: PipelineJSON) => string) => {
      const json = await good();
      mutate(json);
      const err = error(() => Pipeline.fromJSON(text ? text(json) : JSON.parse(JSON.stringify(json))));
      expect(err.code).toBe('E_BAD_MODEL');
      expect(err.message).toContain(`"${path}"`);
    };

    it('the good model itself loads', async () => {
      expect(Pipeline.fromJSON(await good()).featureNames.length).toBeGreaterThan(4);
    });
    it('wrong kind or version', async () => {
      await bad((j) => (j.version = 2), 'version');
      await bad((j) => (j.version = '1'), 'version');
      await bad((j) => (j.kind = 'segkit.model'), 'kind');
    });
    it('a string where a number belongs', async () => {
      const j = await good();
      const s = stepIndex(j, 'scaler');
      await bad((m) => (m.steps[s].centers[1] = String(m.steps[s].centers[1])), `steps[${s}].centers[1]`);
      const o = stepIndex(j, 'outliers');
      await bad((m) => (m.steps[o].lows[0] = null), `steps[${o}].lows[0]`);
    });
    it('a __proto__ or constructor key anywhere', async () => {
      const s = stepIndex(await good(), 'imputer');
      await bad(() => undefined, '__proto__', (j) => JSON.stringify(j).replace(/^\{/, '{"__proto__":{"polluted":1},'));
      await bad(() => undefined, `steps[${s}].__proto__`, (j) => {
        const steps = j.steps.map((st, i) => (i === s ? JSON.stringify(st).replace(/^\{/, '{"__proto__":[],') : JSON.stringify(st)));
        return JSON.stringify({ ...j, steps: [] }).replace('"steps":[]', `"steps":[${steps.join(',')}]`);
      });
      await bad((m) => (m.inputs[0].constructor = 'x'), 'inputs[0].constructor');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
    it('truncated arrays', async () => {
      const j = await good();
      const s = stepIndex(j, 'scaler');
      await bad((m) => m.steps[s].scales.pop(), `steps[${s}].scales`);
      const i = stepIndex(j, 'imputer');
      await bad((m) => m.steps[i].values.pop(), `steps[${i}].values`);
      await bad((m) => m.featureNames.pop(), 'featureNames');
    });
    it('unknown step kinds, missing fields and inconsistent columns', async () => {
      await bad((m) => (m.steps[0].kind = 'pca'), 'steps[0].kind');
      await bad((m) => (m.steps[0].kind = 'constructor'), 'steps[0].kind');
      await bad((m) => delete m.inputs, 'inputs');
      await bad((m) => (m.inputs[0].type = 'text'), 'inputs[0].type');
      const s = stepIndex(await good(), 'scaler');
      await bad((m) => (m.steps[s].columns[0] = 'nope'), `steps[${s}].columns[0]`);
      await bad((m) => (m.featureNames[0] = 'renamed'), 'featureNames[0]');
      await bad((m) => (m.steps = m.steps.filter((x: { kind: string }) => x.kind !== 'oneHotEncoder' && x.kind !== 'featureFilter')), 'steps');
      await bad((m) => (m.steps = m.steps.filter((x: { kind: string }) => x.kind !== 'oneHotEncoder')), `steps[3].columns[4]`);
    });
    it('prefixes paths when the pipeline sits inside a model file', async () => {
      const json = await good();
      (json.steps[0] as any).lows = 'oops';
      expect(error(() => Pipeline.fromJSON(json, { path: 'pipeline' })).message).toContain('"pipeline.steps[0].lows"');
      expect(error(() => Pipeline.fromJSON('{"kind": "segkit.pipeline",', { path: 'pipeline' })).message).toMatch(/not valid JSON/);
    });
    it('a loaded pipeline transforms but does not refit', async () => {
      const loaded = Pipeline.fromJSON(await good());
      expect((await failure(() => loaded.fit(arrow(train)))).message).toMatch(/cannot be refitted/);
    });
  });
});

describe('an Arrow date or timestamp column it one-hot encodes', () => {
  it('has the text writeCsv writes as its categories, and the records of that text score alike', async () => {
    const at = [Date.UTC(2023, 10, 14, 22, 13, 20, 5), Date.UTC(2023, 10, 15), null, Date.UTC(2023, 10, 14, 22, 13, 20, 5)];
    const table = new Table({
      x: vectorFromArray([1, 2, 3, 4], new Float64()),
      seen: vectorFromArray(at.map((t) => (t === null ? null : new Date(t))), new TimestampMicrosecond()),
      day: vectorFromArray([Date.UTC(2024, 1, 29), Date.UTC(-1, 0, 1), Date.UTC(2024, 1, 29), null].map((t) => (t === null ? null : new Date(t))), new DateMillisecond()),
    });
    const prep = pipeline({ encode: ['seen', 'day'], scale: false });
    const fitted = await prep.fitTransform(table);
    expect(prep.featureNames).toEqual(['x', 'seen=2023-11-14T22:13:20.005Z', 'seen=2023-11-15', 'seen=(missing)', 'day=-000001-01-01', 'day=2024-02-29', 'day=(missing)']);
    const records = [
      { x: 1, seen: '2023-11-14T22:13:20.005Z', day: '2024-02-29' },
      { x: 2, seen: '2023-11-15T00:00:00.000Z', day: '-000001-01-01' },
      { x: 3, seen: null, day: '2024-02-29' },
      { x: 4, seen: '2023-11-14T22:13:20.005Z', day: null },
    ];
    const again = await prep.transform(records);
    expect(again.report.steps.find((s) => s.kind === 'oneHotEncoder')).toMatchObject({ columns: [{ unknown: 0 }, { unknown: 0 }] });
    expect(again.dataset.columns).toEqual(fitted.dataset.columns);
  });

  it('gives a nanosecond time the category of its millisecond, never of the next day it rounded to', async () => {
    // 2023-11-14T23:59:59.999999999Z was read as 2023-11-15T00:00:00.000Z: the category "2023-11-15" of the next day
    const seen = makeVector(makeData({ type: new TimestampNanosecond(), length: 2, nullCount: 0, data: BigInt64Array.of(1700006399999999999n, 1700006400000000000n) }));
    const prep = pipeline({ encode: ['seen'], scale: false });
    await prep.fitTransform(new Table({ x: vectorFromArray([1, 2], new Float64()), seen }));
    expect(prep.featureNames).toEqual(['x', 'seen=2023-11-14T23:59:59.999Z', 'seen=2023-11-15']);
  });

  it('gives each time the same category whatever the other rows of its batch, and takes a whole day in either spelling', async () => {
    const at = [Date.UTC(2023, 10, 14, 22, 13, 20), Date.UTC(2023, 10, 15), Date.UTC(2023, 10, 16), Date.UTC(2023, 10, 14, 22, 13, 20)];
    const table = new Table({
      x: vectorFromArray([1, 2, 3, 4], new Float64()),
      seen: vectorFromArray(at.map((t) => new Date(t)), new TimestampMillisecond()),
    });
    const prep = pipeline({ encode: ['seen'], scale: false });
    const fitted = await prep.fitTransform(table);
    expect(prep.featureNames).toEqual(['x', 'seen=2023-11-14T22:13:20.000Z', 'seen=2023-11-15', 'seen=2023-11-16']);
    const rowsOf = (cols: readonly ArrayLike<number>[], rows: number[]) => cols.map((c) => rows.map((i) => c[i]));
    // a batch of the midnight rows alone, and one of the others, as a streamed score reads them
    for (const rows of [[1, 2], [0, 3]]) {
      const batch = await prep.transform(table.slice(rows[0], rows[0] + 1).concat(table.slice(rows[1], rows[1] + 1)));
      expect(batch.report.steps.find((s) => s.kind === 'oneHotEncoder')).toMatchObject({ columns: [{ unknown: 0 }] });
      expect(rowsOf(batch.dataset.columns, [0, 1])).toEqual(rowsOf(fitted.dataset.columns, rows));
    }
    // a CSV file of this column writes every time in full, midnight too; text of the date alone reads as that day
    const again = await prep.transform([{ x: 2, seen: '2023-11-15T00:00:00.000Z' }, { x: 3, seen: '2023-11-16' }, { x: 4, seen: '2023-11-16T00:00:00.001Z' }]);
    expect(again.report.steps.find((s) => s.kind === 'oneHotEncoder')).toMatchObject({ columns: [{ unknown: 1 }] });
    expect(rowsOf(again.dataset.columns, [0, 1])).toEqual(rowsOf(fitted.dataset.columns, [1, 2]));
    expect(rowsOf(again.dataset.columns, [2])).toEqual([[4], [0], [0], [0]]);
  });

  it('encodes records holding Date objects as the Arrow time column of the same instants; an invalid Date is refused', async () => {
    // midnight, a time of day, before 1970, a millisecond past midnight, a missing value
    const at = [Date.UTC(2023, 10, 15), Date.UTC(2023, 10, 14, 22, 13, 20, 5), Date.UTC(1969, 11, 31), Date.UTC(1969, 11, 31, 0, 0, 0, 1), null];
    const x = [1, 2, 3, 4, 5];
    const table = new Table({ x: vectorFromArray(x, new Float64()), seen: vectorFromArray(at.map((t) => (t === null ? null : new Date(t))), new TimestampMillisecond()) });
    const records = x.map((v, i) => ({ x: v, seen: at[i] === null ? null : new Date(at[i]!) }));
    const fromTable = pipeline({ encode: ['seen'], scale: false });
    const fromRecords = pipeline({ encode: ['seen'], scale: false });
    const a = await fromTable.fitTransform(table);
    const b = await fromRecords.fitTransform(records);
    expect(fromRecords.featureNames).toEqual(fromTable.featureNames);
    expect(fromRecords.featureNames).toEqual(['x', 'seen=1969-12-31', 'seen=1969-12-31T00:00:00.001Z', 'seen=2023-11-14T22:13:20.005Z', 'seen=2023-11-15', 'seen=(missing)']);
    expect(b.dataset.columns).toEqual(a.dataset.columns);
    // each path scores the other's rows alike, the records' Dates meeting no unknown category
    const crossed = await fromTable.transform(records);
    expect(crossed.report.steps.find((s) => s.kind === 'oneHotEncoder')).toMatchObject({ columns: [{ unknown: 0 }] });
    expect(crossed.dataset.columns).toEqual(a.dataset.columns);
    // a Date whose time is NaN names its column and row
    const e = await failure(() => pipeline({ encode: ['seen'] }).fit([...records.slice(0, 2), { x: 6, seen: new Date('not a date') }]));
    expect(e).toBeInstanceOf(SegkitError);
    expect(e.code).toBe('E_NON_NUMERIC');
    expect(e.message).toMatch(/^row 2, column "seen" holds an invalid Date/);
  });

  it('refuses a time outside ISO 8601 years with E_PRECISION naming the column and row', async () => {
    const table = new Table({ x: vectorFromArray([1, 2], new Float64()), t: makeVector({ type: new TimestampSecond(), data: BigInt64Array.of(0n, 2n ** 50n) }) });
    const e = await failure(() => pipeline({ encode: ['t'] }).fit(table));
    expect(e.code).toBe('E_PRECISION');
    expect(e.message).toMatch(/^row 1, column "t": /);
  });
});
