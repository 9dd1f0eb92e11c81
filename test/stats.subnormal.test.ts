import { describe, expect, it } from 'vitest';
import { abTest } from '../src/workflow/abTest.js';
import { welchTTest } from '../src/metrics/welchTTest.js';

// Multiplying by a power of two is exact while the results stay representable, so Welch's statistic, degrees of
// freedom and p-value of a * 2^-k and b * 2^-k are those of a and b, and the means and interval scale by 2^-k
// (the means here, 4 and 5 units, are exact subnormals; others round to the subnormal spacing, but the statistic is
// computed from the unrounded means).
describe("Welch's test on subnormal values", () => {
  const a = [3, 1, 4, 1, 5, 9, 2, 7], b = [2, 7, 1, 8, 2, 10];
  const unit = 2 ** -1068; // every value times it is an exact subnormal (spacing 2^-1074)

  it('welchTTest gives the test of the unscaled values, not an E_PRECISION error about NaN means', () => {
    const ref = welchTTest(a, b);
    const r = welchTTest(a.map((v) => v * unit), b.map((v) => v * unit));
    expect(r.statistic).toBe(ref.statistic);
    expect(r.df).toBe(ref.df);
    expect(r.pvalue).toBe(ref.pvalue);
    expect([r.meanA, r.meanB, r.diff]).toEqual([4 * unit, 5 * unit, -unit]);
    expect(r.ci).toEqual([ref.ci[0] * unit, ref.ci[1] * unit].map((v) => Math.round(v / 2 ** -1074) * 2 ** -1074));
    // the smallest subnormal against zero: a finite test
    const u = 5e-324, tiny = welchTTest([0, 2 * u, 4 * u], [0, 0, 3 * u]), one = welchTTest([0, 2, 4], [0, 0, 3]);
    expect([tiny.statistic, tiny.df, tiny.pvalue, tiny.diff]).toEqual([one.statistic, one.df, one.pvalue, u]);
    // a mean of 1/3 of the smallest subnormal rounds to 0 as a number, but the test is that of [0, 0, 1] against
    // [0, 0, 0]: scipy.stats.ttest_ind([0, 0, 1], [0, 0, 0], equal_var=False) gives t = 1, p = 0.42264973081037427
    const third = welchTTest([0, 0, u], [0, 0, 0]);
    expect(third.meanA).toBe(0);
    expect(third.statistic).toBe(1);
    expect(Math.abs(third.pvalue - 0.42264973081037427)).toBeLessThan(1e-15);
    expect(third.ci[0]).toBeLessThan(0);
    expect(third.ci[1]).toBeGreaterThan(0);
  });

  it('abTest on subnormal outcomes gives the p-value of the unscaled ones', () => {
    const rows = (s: number) => [...a.map((y) => ({ segment: 's', variant: 'B', revenue: y * s })), ...b.map((y) => ({ segment: 's', variant: 'control', revenue: y * s }))];
    const opts = { segment: 'segment', group: 'variant', outcome: 'revenue' } as const;
    const ref = abTest(rows(1), opts), r = abTest(rows(unit), opts);
    expect(r.segments[0].pvalue).toBe(ref.segments[0].pvalue);
    expect(Number.isFinite(r.segments[0].pvalue)).toBe(true);
  });
});
