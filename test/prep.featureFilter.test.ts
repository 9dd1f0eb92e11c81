import { describe, expect, it } from 'vitest';
import { FeatureFilter } from '../src/prep/featureFilter.js';
import { expectClose, frame } from './helpers/prepFrames.js';

// Python:
//   X = np.array([[1,2,3,4,5,6], [2.1,3.9,6.0,8.1,9.9,12.0], [5]*6, [0.01,0,0.01,0,0.01,0], [3,1,4,1,5,9], [6,5,4,3,2.5,1]]).T
//   VarianceThreshold(0.001).fit(X).variances_ -> [2.9166666666666665, 11.540000000000001, 0.0, 2.5e-05, 7.472222222222221, 2.701388888888889]
//   np.corrcoef(X[:, [0, 1, 4, 5]], rowvar=False)[0] -> [1.0, 0.9997276182643325, 0.696169627909143, -0.9945499667841771]
const data = () =>
  frame({
    a: [1, 2, 3, 4, 5, 6],
    b: [2.1, 3.9, 6.0, 8.1, 9.9, 12.0],
    c: [5, 5, 5, 5, 5, 5],
    d: [0.01, 0, 0.01, 0, 0.01, 0],
    e: [3, 1, 4, 1, 5, 9],
    f: [6, 5, 4, 3, 2.5, 1],
  });

describe('FeatureFilter', () => {
  it('drops low-variance columns as VarianceThreshold, then the later of each correlated pair', async () => {
    const filter = await new FeatureFilter({ varianceThreshold: 0.001, correlationThreshold: 0.95 }).fit(data());
    const dropped = filter.dropped;
    expect(dropped.map((d) => [d.column, d.reason])).toEqual([
      ['c', 'lowVariance'],
      ['d', 'lowVariance'],
      ['b', 'correlated'],
      ['f', 'correlated'],
    ]);
    expectClose(dropped.slice(0, 2).map((d) => (d.reason === 'lowVariance' ? d.variance : NaN)), [0, 2.5e-5], 12);
    expect(dropped.slice(2).map((d) => (d.reason === 'correlated' ? d.with : ''))).toEqual(['a', 'a']);
    expectClose(dropped.slice(2).map((d) => (d.reason === 'correlated' ? d.r : NaN)), [0.9997276182643325, -0.9945499667841771], 13);
    const out = filter.transform(data()).frame;
    expect(out.columns.map((c) => c.name)).toEqual(['a', 'e']);
  });

  it('with threshold 0 drops exactly the constant columns, even when their float64 variance is not 0', async () => {
    const f = frame({ k: [0.1, 0.1, 0.1], v: [1, 2, 2] });
    expect((await new FeatureFilter().fit(f)).dropped).toEqual([{ column: 'k', reason: 'lowVariance', variance: 0 }]);
  });

  it('a constant column is correlated with nothing, whatever its float64 mean rounds to', async () => {
    // Python: pd.DataFrame({'k': [0.1]*3, 'm': [0.1]*3, 'h': [0.5]*3, 'g': [0.5]*3, 'x': [1, 2, 4], 'y': [2, 4, 8.5]}).corr()
    //   -> NaN for every pair with k, m, h or g; x-y 0.9995971261503046: only y is dropped at 0.95
    // (the mean of [0.1]*3 rounds to 0.10000000000000002, so k and m centred are equal non-zero values; h and g centre to 0)
    const f = frame({ k: [0.1, 0.1, 0.1], m: [0.1, 0.1, 0.1], h: [0.5, 0.5, 0.5], g: [0.5, 0.5, 0.5], x: [1, 2, 4], y: [2, 4, 8.5] });
    const filter = await new FeatureFilter({ varianceThreshold: null, correlationThreshold: 0.95 }).fit(f);
    expect(filter.dropped.map((d) => d.column)).toEqual(['y']);
    expectClose(filter.dropped.map((d) => (d.reason === 'correlated' ? d.r : NaN)), [0.9995971261503046], 13);
  });

  it('a dropped column never causes another drop', async () => {
    // b ~ a and c ~ b, but a and c are only weakly correlated: dropping b must not drop c.
    const f = frame({ a: [1, 2, 3, 4, 5, 6], b: [1, 2, 3, 4, 6, 5], c: [2, 1, 4, 3, 6, 5] });
    const filter = await new FeatureFilter({ varianceThreshold: null, correlationThreshold: 0.85 }).fit(f);
    const r = (x: number[], y: number[]) => {
      const mx = x.reduce((s, v) => s + v) / x.length;
      const my = y.reduce((s, v) => s + v) / y.length;
      let sxy = 0, sxx = 0, syy = 0;
      x.forEach((v, i) => ((sxy += (v - mx) * (y[i] - my)), (sxx += (v - mx) ** 2), (syy += (y[i] - my) ** 2)));
      return sxy / Math.sqrt(sxx * syy);
    };
    const cols = { a: [1, 2, 3, 4, 5, 6], b: [1, 2, 3, 4, 6, 5], c: [2, 1, 4, 3, 6, 5] };
    expect(r(cols.a, cols.b)).toBeGreaterThan(0.85);
    expect(r(cols.b, cols.c)).toBeGreaterThan(0.85);
    expect(r(cols.a, cols.c)).toBeLessThanOrEqual(0.85);
    expect(filter.dropped.map((d) => d.column)).toEqual(['b']);
  });

  it('refuses missing values and bad thresholds, and round-trips through JSON', async () => {
    await expect(new FeatureFilter().fit(frame({ a: [1, null, 3] }))).rejects.toThrowError(/row 1, column "a" is missing/);
    expect(() => new FeatureFilter({ correlationThreshold: 1 })).toThrowError(/featureFilter\.correlationThreshold/);
    expect(() => new FeatureFilter({ varianceThreshold: -1 })).toThrowError(/featureFilter\.varianceThreshold/);
    const filter = await new FeatureFilter({ varianceThreshold: 0.001, correlationThreshold: 0.95 }).fit(data());
    const back = FeatureFilter.fromJSON(JSON.parse(JSON.stringify(filter)));
    expect(back.toJSON()).toEqual(filter.toJSON());
    const json = filter.toJSON();
    expect(() => FeatureFilter.fromJSON({ ...json, dropped: [{ column: 'b', reason: 'correlated', with: 'zz', r: 1 }] }, 's')).toThrowError(/"s\.dropped\[0\]\.with"/);
    expect(() => FeatureFilter.fromJSON({ ...json, dropped: [{ column: 'b', reason: 'odd' }] }, 's')).toThrowError(/"s\.dropped\[0\]\.reason"/);
  });
});
