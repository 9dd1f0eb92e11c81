// A fitted pipeline of imputers and scalers transforms an Arrow table column by column from its buffers: the same
// bytes, reports and errors as the step-by-step transform of the same rows given as records.
import { describe, expect, it } from 'vitest';
import { Float32, Float64, Int32, makeData, type Data } from 'apache-arrow';
import { tableFromColumns } from '../src/data/arrowTable.js';
import { pipeline, type PipelineOptions } from '../src/prep/pipeline.js';
import { elementwiseTransform, fastDataset, fastTransform } from '../src/prep/fastTransform.js';
import { createRandom } from '../src/util/random.js';
import { SegkitError } from '../src/util/errors.js';

const n = 5_000;
const r = createRandom(11);
const valid = (p: number) => {
  const bits = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (r.next() < p) nulls++;
    else bits[i >> 3] |= 1 << (i & 7);
  }
  return { bits, nulls };
};

function column(kind: 'f64' | 'f32' | 'i32', make: (i: number) => number, missing: number): Data {
  const v = kind === 'f64' ? new Float64Array(n) : kind === 'f32' ? new Float32Array(n) : new Int32Array(n);
  for (let i = 0; i < n; i++) v[i] = make(i);
  const { bits, nulls } = valid(missing);
  const type = kind === 'f64' ? new Float64() : kind === 'f32' ? new Float32() : new Int32();
  return makeData({ type, length: n, nullCount: nulls, nullBitmap: nulls > 0 ? bits : undefined, data: v } as never);
}

const names = ['id', 'spend', 'visits', 'rate', 'tenure'];
const table = tableFromColumns(names, [
  column('i32', (i) => i, 0),
  column('f64', () => Math.exp(3 + r.normal()), 0.05),
  column('i32', () => Math.floor(r.next() * 30), 0.02),
  column('f32', () => r.next(), 0),
  column('f64', (i) => (i % 97 === 0 ? NaN : r.next() * 3000), 0),
]);
// the same rows as records, which take the step-by-step path
const records = Array.from({ length: n }, (_, i) => Object.fromEntries(names.map((name) => [name, table.getChild(name)!.get(i) as number | null])));

const print = (result: { dataset: { columns: readonly Float32Array[] }; rowIndex: Int32Array; report: unknown }) => ({
  columns: result.dataset.columns.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('base64')),
  rowIndex: Array.from(result.rowIndex),
  report: result.report,
});

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof SegkitError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'no error';
}

describe('the transform of imputers and scalers on an Arrow table', () => {
  const cases: PipelineOptions[] = [
    { id: 'id', impute: 'median', scale: 'standard' },
    { id: 'id', impute: 'mean', scale: 'robust' },
    { id: 'id', impute: { strategy: 'median', byColumn: { visits: 0 } }, scale: { method: 'minmax', byColumn: { spend: 'log1p', rate: 'none' } } },
    { id: 'id', impute: 'mostFrequent', scale: { method: 'log1p', standardize: false } },
    { id: 'id', impute: 'median', scale: false },
  ];
  for (const options of cases) {
    it(`gives the step-by-step bytes and report: ${JSON.stringify(options)}`, async () => {
      const p = pipeline(options);
      await p.fit(table, { threads: 1 });
      // the column-by-column path applies to this table (and gives what transform returns)
      const fast = elementwiseTransform(table, p.steps, p.inputs, p.featureNames, (columns, steps) => ({
        dataset: { n, d: columns.length, columns, names: p.featureNames }, rowIndex: Int32Array.from({ length: n }, (_, i) => i), report: { rowsIn: n, rowsOut: n, steps },
      }));
      expect(fast).toBeDefined();
      expect(print(fast!)).toEqual(print(p.transform(table)));
      expect(print(p.transform(table))).toEqual(print(p.transform(records)));
      // the unscaled pipeline (profiles) too
      expect(print(p.unscaled().transform(table))).toEqual(print(p.unscaled().transform(records)));
    });
  }

  it('gives the step-by-step bytes on every length and NaN position (four values a step, then the rest)', async () => {
    const p = pipeline({ id: 'id', impute: 'median', scale: 'standard' });
    await p.fit(table, { threads: 1 });
    // tenure is Float64 without nulls: its NaN cells take the fast loops' fill; rows start at each offset mod 4;
    // scaled, and imputed only (the profiles' pipeline)
    for (const q of [p, p.unscaled()]) {
      const tenure = q.featureNames.indexOf('tenure');
      for (const [start, length] of [[0, 1], [1, 2], [2, 3], [3, 5], [96, 7], [97, 9], [4_990, 10]]) {
        const part = table.slice(start, start + length);
        expect(part.getChild('tenure')!.data[0].nullCount).toBe(0);
        const want = q.transform(part);
        const got = fastDataset(q, part)!;
        expect(got.columns.map((c) => Array.from(c))).toEqual(want.dataset.columns.map((c) => Array.from(c)));
        for (let i = 0; i < length; i++) if ((start + i) % 97 === 0) expect(Number.isFinite(got.columns[tenure][i])).toBe(true);
      }
    }
    // an infinite value in any lane of a step, or in the rest, sends the table to the step-by-step path (its error)
    for (const at of [0, 1, 2, 3, 4, 6]) {
      const values = Float64Array.from({ length: 7 }, (_, i) => (i === at ? Infinity : i));
      const t = tableFromColumns(['id', 'spend', 'visits', 'rate', 'tenure'], [
        makeData({ type: new Int32(), length: 7, nullCount: 0, data: Int32Array.from({ length: 7 }, (_, i) => i) }),
        ...['spend', 'visits', 'rate'].map((name) => table.getChild(name)!.slice(0, 7).data[0]),
        makeData({ type: new Float64(), length: 7, nullCount: 0, data: values }),
      ]);
      expect(fastDataset(p, t)).toBeUndefined();
    }
  });

  it('scoring\'s datasets: the same bytes with buffers written again from call to call', async () => {
    const p = pipeline({ id: 'id', impute: 'median', scale: { method: 'standard', byColumn: { spend: 'log1p' } } });
    await p.fit(table, { threads: 1 });
    const bytesOf = (c: Float32Array) => Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('base64');
    const want = p.transform(table).dataset.columns.map(bytesOf);
    const reuse: Float32Array[] = [];
    const first = fastDataset(p, table, reuse)!;
    expect(first.columns.map(bytesOf)).toEqual(want);
    expect(reuse).toHaveLength(want.length);
    const held = reuse.map((b) => b.buffer);
    // a smaller table next: written into the same buffers, its own rows only
    const part = table.slice(100, 2_100);
    const second = fastDataset(p, part, reuse)!;
    expect(second.n).toBe(2_000);
    expect(second.columns.map((c) => c.buffer)).toEqual(held);
    expect(second.columns.map(bytesOf)).toEqual(p.transform(part).dataset.columns.map(bytesOf));
    // a larger one takes new buffers
    expect(fastDataset(p, table, reuse)!.columns.map(bytesOf)).toEqual(want);
  });

  it('raises the step-by-step errors: infinite values, log1p of -1 or less, missing values left, float32 overflow', async () => {
    const p = pipeline({ id: 'id', impute: 'median', scale: { method: 'standard', byColumn: { rate: 'log1p' } } });
    await p.fit(table, { threads: 1 });
    const bad = (name: string, at: number, value: number) =>
      tableFromColumns(names, names.map((nm, j) => {
        const d = table.getChildAt(j)!.data[0];
        if (nm !== name) return d;
        const v = Float64Array.from(d.values as Float64Array);
        v[at] = value;
        return makeData({ type: new Float64(), length: n, nullCount: d.nullCount, nullBitmap: d.nullBitmap, data: v });
      }));
    // the column-by-column path declines each of these tables (and its buffers are not the result), leaving the error to the steps
    // tenure: scaled, no nulls (the loop of its own); spend: nulls; rate: log1p
    for (const t of [bad('spend', 321, Infinity), bad('spend', 321, -Infinity), bad('rate', 77, -1), bad('rate', 78, -3), bad('tenure', 10, Infinity), bad('tenure', 11, -Infinity), bad('tenure', 12, 1e300)]) {
      expect(elementwiseTransform(t, p.steps, p.inputs, p.featureNames, () => 'taken')).toBeUndefined();
      expect(fastDataset(p, t, [])).toBeUndefined();
    }
    expect(failure(() => p.transform(bad('spend', 321, Infinity)))).toMatch(/^E_NAN_INPUT: row 321, column "spend" holds Infinity; features must be finite numbers or missing/);
    expect(failure(() => p.transform(bad('rate', 77, -1)))).toMatch(/^E_NAN_INPUT: row 77, column "rate" holds -1; log1p needs values greater than -1/);
    const none = pipeline({ id: 'id', scale: 'none' as never, columns: ['rate', 'tenure'] });
    await none.fit(tableFromColumns(['id', 'rate', 'tenure'], [table.getChild('id')!.data[0], table.getChild('rate')!.data[0], column('f64', () => 1, 0)]), { threads: 1 });
    expect(failure(() => none.transform(table))).toMatch(/^E_NAN_INPUT: row 0, column "tenure" is missing/);
    expect(fastDataset(none, table, [])).toBeUndefined();
    const huge = pipeline({ id: 'id', scale: false, columns: ['spend'] });
    await huge.fit(tableFromColumns(['id', 'spend'], [table.getChild('id')!.data[0], column('f64', () => 1, 0)]), { threads: 1 });
    const over = tableFromColumns(['id', 'spend'], [table.getChild('id')!.data[0], column('f64', (i) => (i === 9 ? 1e300 : 1), 0)]);
    expect(fastDataset(huge, over, [])).toBeUndefined();
    expect(failure(() => huge.transform(tableFromColumns(['id', 'spend'], [table.getChild('id')!.data[0], column('f64', (i) => (i === 9 ? 1e300 : 1), 0)])))).toMatch(/^E_NAN_INPUT: row 9, column "spend" is 1e\+300 after the prep steps, outside the float32 range/);
  });

  it('refuses, as the steps do, a table naming a feature twice, instead of reading the first of the two', async () => {
    const p = pipeline({ id: 'id', impute: 'median', scale: 'standard' });
    await p.fit(table, { threads: 1 });
    const twice = tableFromColumns([...names, 'spend'], [...names.map((name) => table.getChild(name)!.data[0]), column('f64', (i) => -i, 0)]);
    expect(elementwiseTransform(twice, p.steps, p.inputs, p.featureNames, () => 'taken')).toBeUndefined();
    expect(fastDataset(p, twice, [])).toBeUndefined();
    const refused = /^E_BAD_OPTION: column name "spend" appears twice in the table \(columns 2 and 6\)/;
    expect(failure(() => p.transform(twice))).toMatch(refused);
    expect(failure(() => fastTransform(p, twice))).toMatch(refused);
  });
});
