import { describe, expect, it } from 'vitest';
import { Outliers } from '../src/prep/outliers.js';
import { X, col, expectClose, frame } from './helpers/prepFrames.js';

const data = () => frame(X);

describe('Outliers', () => {
  it("IQR bounds follow numpy's percentiles (Tukey's fences, factor 1.5)", async () => {
    // Python, X as in helpers/prepFrames.ts:
    //   q1, q3 = np.percentile(X[:, 1], [25, 75]); [q1 - 1.5*(q3-q1), q3 + 1.5*(q3-q1)]       -> [-35.0, 145.0]
    //   x0 = X[:, 0][~np.isnan(X[:, 0])]; q1, q3 = np.percentile(x0, [25, 75]); same fences -> [-0.4375, 6.0625]
    const rule = await new Outliers({ columns: ['x1', 'x2'] }).fit(data());
    expect(rule.bounds).toEqual([
      { column: 'x1', low: -0.4375, high: 6.0625 },
      { column: 'x2', low: -35, high: 145 },
    ]);
    const { frame: out, report } = rule.transform(data());
    expect(col(out, 'x1')).toEqual([1.5, 2.0, NaN, 4.0, 6.0625, 3.5, 2.5, NaN, 3.0, 2.0]);
    expect(col(out, 'x2').at(-1)).toBe(145);
    expect(report).toEqual({
      kind: 'outliers',
      action: 'clip',
      rowsDropped: 0,
      columns: [
        { column: 'x1', low: -0.4375, high: 6.0625, clipped: 1, dropped: 0 },
        { column: 'x2', low: -35, high: 145, clipped: 1, dropped: 0 },
      ],
    });
  });

  it('z-score bounds use the population standard deviation', async () => {
    // X1 = X[:, 1]; [X1.mean() - 3*X1.std(), X1.mean() + 3*X1.std()] -> [-713.1520844232682, 1003.1520844232682]
    const rule = await new Outliers({ method: 'zscore', columns: ['x2'] }).fit(data());
    expectClose([rule.bounds[0].low, rule.bounds[0].high], [-713.1520844232682, 1003.1520844232682], 14);
    const tight = await new Outliers({ method: 'zscore', threshold: 1, columns: ['x2'] }).fit(data());
    expect(tight.transform(data()).report.columns[0].clipped).toBe(1);
  });

  it("'drop' removes rows outlying in any column and counts them per column", async () => {
    const f = frame({ a: [1, 2, 3, 4, 100, 2, 3, -50], b: [5, 5, 6, 6, 500, 5, 6, 5] });
    const { frame: out, report } = (await new Outliers({ action: 'drop' }).fit(f)).transform(f);
    expect(Array.from(out.rows)).toEqual([0, 1, 2, 3, 5, 6]);
    expect(col(out, 'a')).toEqual([1, 2, 3, 4, 2, 3]);
    expect(report.rowsDropped).toBe(2);
    expect(report.columns.map((c) => [c.column, c.dropped])).toEqual([['a', 2], ['b', 1]]);
    // The training frame is untouched.
    expect(f.n).toBe(8);
    expect(col(f, 'a')[4]).toBe(100);
  });

  it('missing values are never outliers', async () => {
    const f = frame({ a: [1, null, 2, 3, null] });
    const { frame: out, report } = (await new Outliers({ action: 'drop' }).fit(f)).transform(f);
    expect(out.n).toBe(5);
    expect(report.rowsDropped).toBe(0);
  });

  it('names bad options and round-trips through JSON', async () => {
    expect(() => new Outliers({ method: 'mad' as never })).toThrowError(/outliers\.method/);
    expect(() => new Outliers({ method: 'zscore', factor: 2 })).toThrowError(/outliers\.factor/);
    expect(() => new Outliers({ threshold: -1, method: 'zscore' })).toThrowError(/outliers\.threshold/);
    expect(() => new Outliers({ action: 'remove' as never })).toThrowError(/outliers\.action/);
    // null is refused, as the imputer's and scaler's options refuse it: it took the default ('iqr', 'clip') in silence
    expect(() => new Outliers({ method: null as never })).toThrowError(/option "outliers\.method" must be "iqr" or "zscore", got null/);
    expect(() => new Outliers({ action: null as never })).toThrowError(/option "outliers\.action" must be "clip" or "drop", got null/);
    const rule = await new Outliers({ method: 'zscore', threshold: 2, action: 'drop' }).fit(data());
    const back = Outliers.fromJSON(JSON.parse(JSON.stringify(rule)));
    expect(back.bounds).toEqual(rule.bounds);
    expect(back.toJSON()).toEqual(rule.toJSON());
    const json = rule.toJSON();
    expect(() => Outliers.fromJSON({ ...json, highs: [-1e9, 0, 0] }, 'steps[0]')).toThrowError(/"steps\[0\]\.highs\[0\]" is below/);
    expect(() => Outliers.fromJSON({ ...json, factor: 1.5 }, 'steps[0]')).toThrowError(/"steps\[0\]\.factor" is not a known field/);
  });
});
