import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tQuantile, tTwoSidedP } from '../src/metrics/studentT.js';
import { welchTTest } from '../src/metrics/welchTTest.js';

// exact values (mpmath, 100 digits) and SciPy's, from test/fixtures/student_t.py
const fx = JSON.parse(readFileSync(new URL('./fixtures/student-t.json', import.meta.url), 'utf8'));

const relErr = (got: number, want: number): number => (got === want ? 0 : Math.abs(got - want) / Math.abs(want));

describe("Student's t quantile and p-value against exact values", () => {
  it('the quantile is within 1e-14 of the exact one for df 1 to 1e6 and p from 1e-12 to 1 - 1e-12, near 1/2 included', () => {
    let worst = 0;
    for (const [df, p, exact] of fx.quantiles as [number, number, number, number][]) {
      const e = relErr(tQuantile(p, df), exact);
      if (e > 1e-14) throw new Error(`t quantile(${p}, ${df}): ${tQuantile(p, df)}, exact ${exact}`);
      worst = Math.max(worst, e);
    }
    expect(worst).toBeLessThan(1e-14);
    // the centre: a quantile near 0 is small, not 0
    expect(tQuantile(0.5 + 1e-9, 1e6) / Math.sqrt(2 * Math.PI)).toBeCloseTo(1e-9, 15);
    expect(tQuantile(0.5, 7)).toBe(0);
    // within 1/4 of p = 1/2 with a fraction of a degree of freedom, 1 - y rounds to 0 there: SciPy 1.10's t.ppf
    for (const [p, df, scipy] of [[0.6, 0.01, 246458794.8055467], [0.55, 0.05, 0.9243843459076624], [0.7, 0.02, 8819480756.32757], [0.4, 0.01, -246458794.8055467]]) {
      expect(relErr(tQuantile(p, df), scipy)).toBeLessThan(1e-6);
    }
    expect([tQuantile(0, 3), tQuantile(1, 3)]).toEqual([-Infinity, Infinity]);
    expect([tQuantile(NaN, 3), tQuantile(0.3, 0), tQuantile(1.5, 3), tQuantile(0.3, NaN)]).toEqual([NaN, NaN, NaN, NaN]);
  });

  it('SciPy agrees with the exact quantiles to 1e-12 away from p = 1/2 (so the grid checks SciPy too)', () => {
    for (const [df, p, exact, scipy] of fx.quantiles as [number, number, number, number][]) {
      if (Math.abs(p - 0.5) >= 0.01) expect(relErr(scipy, exact)).toBeLessThan(1e-12);
    }
  });

  it('the two-sided p-value is within 1e-13 of the exact one, at df = 1 with |t| near 1e-8 too', () => {
    for (const [df, t, exact] of fx.p_values as [number, number, number, number][]) {
      const got = tTwoSidedP(t, df);
      if (!(relErr(got, exact) <= 1e-13)) throw new Error(`P(|T| >= ${t}), df ${df}: ${got}, exact ${exact}`);
    }
    expect(tTwoSidedP(Infinity, 1)).toBe(0);
    expect(tTwoSidedP(-Infinity, 4.5)).toBe(0);
    expect(tTwoSidedP(NaN, 1)).toBeNaN();
  });
});

describe("Welch's test against SciPy and exact values", () => {
  type Case = {
    a: number[]; b: number[]; confidence: number;
    scipy: { statistic: number; pvalue: number; df: number; ci: [number, number] };
    exact: { statistic: number; pvalue: number; df: number; ci: [number, number]; half_width: number };
  };
  it('statistic and df as SciPy gives them; the p-value and the interval exact to 1e-13, at confidence 2e-8 and 1 - 1e-12 too', () => {
    for (const c of fx.welch as Case[]) {
      const r = welchTTest(c.a, c.b, c.confidence);
      expect(relErr(r.statistic, c.scipy.statistic)).toBeLessThan(1e-12);
      expect(relErr(r.df, c.scipy.df)).toBeLessThan(1e-12);
      expect(relErr(r.pvalue, c.exact.pvalue)).toBeLessThan(1e-13);
      // each bound within 1e-13 of the half width, beyond the rounding of the means (a few ulps of the larger)
      const rounding = 8 * Number.EPSILON * Math.max(Math.abs(r.meanA), Math.abs(r.meanB));
      for (const k of [0, 1]) expect(Math.abs(r.ci[k] - c.exact.ci[k])).toBeLessThan(1e-13 * c.exact.half_width + rounding);
      // where SciPy's own quantile is accurate (confidence 0.5 to 0.95 here), its interval and p-value are the same
      if (c.confidence >= 0.5 && c.confidence <= 0.95 && c.scipy.df !== 1) {
        expect(relErr(r.pvalue, c.scipy.pvalue)).toBeLessThan(1e-12);
        for (const k of [0, 1]) expect(Math.abs(r.ci[k] - c.scipy.ci[k])).toBeLessThan(1e-12 * c.exact.half_width + rounding);
      }
    }
  });

  it('a confidence near 0 gives a narrow interval around the difference, not one of width 0', () => {
    const c = (fx.welch as Case[]).find((x) => x.confidence === 2e-8)!;
    const r = welchTTest(c.a, c.b, 2e-8);
    expect(r.ci[1] - r.ci[0]).toBeCloseTo(2 * c.exact.half_width, 15);
    expect(r.ci[1] - r.ci[0]).toBeGreaterThan(5e-8);
  });
});
