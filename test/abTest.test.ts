import { readFileSync } from 'node:fs';
import { tableFromArrays } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { expectError } from './helpers.js';
import { SegkitError } from '../src/util/errors.js';
import { abTest } from '../src/workflow/abTest.js';
import { holm } from '../src/metrics/holm.js';
import { newcombeInterval } from '../src/metrics/newcombeInterval.js';
import { twoProportionZTest } from '../src/metrics/twoProportionZTest.js';
import { welchTTest } from '../src/metrics/welchTTest.js';

const ab = JSON.parse(readFileSync(new URL('./fixtures/stats-ab.json', import.meta.url), 'utf8'));

function rel(actual: number, expected: number, tol = 1e-9): void {
  if (!(Math.abs(actual - expected) <= tol * Math.max(Math.abs(expected), 1e-300))) throw new Error(`expected ${expected}, got ${actual}`);
}

describe('interval and test functions vs statsmodels and scipy', () => {
  it("Newcombe's hybrid score interval (method 10) on Newcombe's worked examples and two large tests", () => {
    for (const c of ab.two_proportions.cases) {
      const [lo, hi] = newcombeInterval(c.x1, c.n1, c.x2, c.n2);
      expect(Math.abs(lo - c.ci95[0])).toBeLessThan(1e-12);
      expect(Math.abs(hi - c.ci95[1])).toBeLessThan(1e-12);
    }
  });

  it("Newcombe's interval at confidences up to 1 - 1e-15: z is the quantile of the tail, not of 1 minus it", () => {
    // 60-digit twin at scipy's norm.isf((1 - confidence) / 2); at 1 - 1e-12 the rounded 1 - tail moved bounds by 2e-6
    const fx = JSON.parse(readFileSync(new URL('./fixtures/newcombe-confidence.json', import.meta.url), 'utf8'));
    expect(fx.cases).toHaveLength(28);
    for (const c of fx.cases) {
      const [lo, hi] = newcombeInterval(c.x1, c.n1, c.x2, c.n2, c.confidence);
      rel(lo, c.ci[0], 1e-12);
      rel(hi, c.ci[1], 1e-12);
    }
  });

  it('pooled two-proportion z-test (statsmodels proportions_ztest)', () => {
    for (const c of ab.two_proportions.cases.filter((x: { ztest_pooled?: unknown }) => x.ztest_pooled)) {
      const r = twoProportionZTest(c.x1, c.n1, c.x2, c.n2);
      rel(r.statistic, c.ztest_pooled.statistic, 1e-12);
      rel(r.pvalue, c.ztest_pooled.pvalue);
    }
  });

  it("Welch's t-test: statistic, p-value and df (scipy), CI (t.ppf)", () => {
    for (const c of ab.welch.cases) {
      const r = welchTTest(c.a, c.b);
      rel(r.statistic, c.statistic, 1e-12);
      rel(r.pvalue, c.pvalue);
      rel(r.df, c.df, 1e-12);
      rel(r.ci[0], c.ci95[0]);
      rel(r.ci[1], c.ci95[1]);
    }
    // both groups constant: scipy takes df = 1, so different means give an infinite statistic and p = 0
    expect(welchTTest([7, 7, 7], [5, 5, 5])).toMatchObject({ statistic: Infinity, pvalue: 0, df: 1, ci: [2, 2] });
    const same = welchTTest([5, 5, 5], [5, 5, 5]);
    expect([same.statistic, same.pvalue]).toEqual([NaN, NaN]);
  });

  it("Holm's step-down on three worked examples (statsmodels multipletests)", () => {
    for (const c of ab.holm.cases) {
      const r = holm(c.pvalues, c.alpha);
      expect(r.adjusted).toHaveLength(c.adjusted.length);
      r.adjusted.forEach((a, i) => expect(Math.abs(a - c.adjusted[i])).toBeLessThan(1e-15));
      expect(r.reject).toEqual(c.reject);
    }
  });

  it('holm refuses an alpha outside (0, 1) rather than rejecting every hypothesis, or none', () => {
    const p = [0.01, 0.04, 0.03, 0.005, 0.2];
    // statsmodels multipletests(p, alpha=0.05, method='holm')
    expect(holm(p, 0.05)).toEqual({ adjusted: [0.04, 0.09, 0.09, 0.025, 0.2], reject: [true, false, false, true, false] });
    expectError(() => holm(p, 95), 'E_BAD_OPTION', '"alpha"', '95');
    expectError(() => holm(p, NaN), 'E_BAD_OPTION', '"alpha"');
    expectError(() => holm(p, '0.05' as never), 'E_BAD_OPTION', '"alpha"');
  });

  it('holm refuses a hole in a sparse array, as undefined, rather than leaving that test out of m', () => {
    // eslint-disable-next-line no-sparse-arrays
    const holed = [0.01, , 0.03] as number[];
    expectError(() => holm(holed), 'E_BAD_OPTION', '"pvalues[1]"');
    expectError(() => holm([0.01, undefined, 0.03] as never), 'E_BAD_OPTION', '"pvalues[1]"');
    // NaN stays NaN and does not count: m = 2 here, as the documentation says (0.01 x 2, then max(0.02, 0.03))
    expect(holm([0.01, NaN, 0.03]).adjusted).toEqual([0.02, NaN, 0.03]);
  });

  it('Welch: a million values near 1e9 and a small difference keep their accuracy; constant groups have no variance', () => {
    const n = 1_000_000;
    const a = Float64Array.from({ length: n }, (_, i) => 1e9 + 0.002 + ((i * 7919) % 1000) / 1000);
    const b = Float64Array.from({ length: n }, (_, i) => 1e9 + ((i * 104729) % 1000) / 1000);
    // scipy.stats.ttest_ind(a, b, equal_var=False) on the same doubles (exact rational moments agree to 1e-14)
    const r = welchTTest(a, b);
    expect(r.diff).toBe(0.001999974250793457);
    rel(r.statistic, 4.898916413092908);
    rel(r.pvalue, 9.637413358780944e-7);
    // [0.1, 0.1, 0.1] sums to 0.30000000000000004: a one-pass mean is off, and the variance comes out above 0
    expect(welchTTest([0.1, 0.1, 0.1], [0.2, 0.2, 0.2, 0.2])).toMatchObject({ statistic: -Infinity, pvalue: 0, df: 1 });
  });

  it('welchTTest refuses a sample that is not an array rather than returning NaN or a TypeError', () => {
    expectError(() => welchTTest(5 as never, [1, 2, 3]), 'E_BAD_OPTION', '"a"');
    expectError(() => welchTTest([1, 2, 3], null as never), 'E_BAD_OPTION', '"b"');
    // scipy.stats.ttest_ind([1, 2, 3], [4, 5, 7], equal_var=False)
    const r = welchTTest(Float64Array.of(1, 2, 3), [4, 5, 7]);
    rel(r.statistic, -3.1622776601683795, 1e-12);
    rel(r.pvalue, 0.041914517471454);
  });
});

describe("Welch's test on values whose sums leave the float64 range", () => {
  // references (intervals to 1e-8: t.ppf and the t quantile here agree to 1e-9 before the bound's cancellation):
  // scipy.stats.ttest_ind(a * 2**-k, b * 2**-k, equal_var=False) on the exactly scaled values (the
  // statistic, p-value and df do not change; means and interval scale back by 2**k); SciPy on the values as they are
  // gives NaN (sums near 1e308 overflow) or -inf with p = 0 (squares near 1e-300 underflow)
  const big = { a: [1.7e308, 1.1e308, 1.5e308, 0.9e308, 1.6e308], b: [1e308, 1.2e308, 0.8e308, 1.3e308] };
  const expectBig = (r: { statistic: number; pvalue: number; df: number; meanA: number; meanB: number; ci: [number, number] }) => {
    rel(r.statistic, 1.504347079189008, 1e-12);
    rel(r.pvalue, 0.17747988086651062);
    rel(r.df, 6.7943051423714405, 1e-12);
    rel(r.meanA, 1.36e308, 1e-15);
    rel(r.meanB, 1.075e308, 1e-15);
    rel(r.ci[0], -1.6574440323822037e307, 1e-8);
    rel(r.ci[1], 7.357444032382203e307, 1e-8);
  };

  it('welchTTest: means near 1e308 and values near 1e-300 give the test SciPy gives on scaled values', () => {
    expectBig(welchTTest(big.a, big.b));
    const digits = { a: [3, 1, 4, 1, 5, 9, 2, 6], b: [2, 7, 1, 8, 2, 8] };
    for (const unit of [1e307, 1e-300]) {
      const r = welchTTest(digits.a.map((v) => v * unit), digits.b.map((v) => v * unit));
      rel(r.statistic, -0.4740739206973407, 1e-12);
      rel(r.pvalue, 0.6460153718488815);
      rel(r.df, 9.627344116889189, 1e-12);
      rel(r.meanA, 3.875 * unit, 1e-15);
      rel(r.ci[1], unit === 1e307 ? 2.948767530548692e307 : 2.9487675305486918e-300, 1e-8);
    }
    // values scaled by a power of two give the same statistic, p-value and df to the bit, and means scaled exactly
    const plain = welchTTest([1, 2, 3], [4, 5, 7]), scaled = welchTTest([1, 2, 3].map((v) => v * 2 ** 600), [4, 5, 7].map((v) => v * 2 ** 600));
    expect([scaled.statistic, scaled.pvalue, scaled.df, scaled.meanA / 2 ** 600, scaled.diff / 2 ** 600]).toEqual([plain.statistic, plain.pvalue, plain.df, plain.meanA, plain.diff]);
  });

  it('abTest: interval bounds beyond the float64 range read as past the largest double, never "Infinity"', () => {
    // SciPy on the values scaled by 2**-1000: p = 0.5094156133905972, bounds -12.89 and 11.05 times the largest double
    const rows = [...[1.7e308, -1.7e308].map((y) => ({ segment: 's', variant: 'B', revenue: y })), ...[1.7e308, 1.6e308].map((y) => ({ segment: 's', variant: 'control', revenue: y }))];
    const r = abTest(rows, { segment: 'segment', group: 'variant', outcome: 'revenue' });
    rel(r.overall[0].uplift, -1.65e308, 1e-15);
    rel(r.overall[0].pvalue, 0.5094156133905972, 1e-9);
    expect(r.overall[0].ci).toEqual([-Infinity, Infinity]);
    expect(r.summary).toContain('95% CI below -1.798e+308 to above 1.798e+308, beyond the float64 range: rescale the outcome for a finite interval');
    expect(r.summary).not.toContain('Infinity');
  });

  it('a difference of means beyond the float64 range is refused, naming the data', () => {
    expectError(() => welchTTest([1.7e308, 1.6e308], [-1.7e308, -1.6e308]), 'E_PRECISION', 'the samples', 'float64 range');
  });

  it('abTest: outcomes near 1e308 give the test SciPy gives on scaled values, or an error naming the outcome', () => {
    const rows = [...big.a.map((y) => ({ segment: 's', variant: 'B', revenue: y })), ...big.b.map((y) => ({ segment: 's', variant: 'control', revenue: y }))];
    const r = abTest(rows, { segment: 'segment', group: 'variant', outcome: 'revenue' });
    for (const c of [r.segments[0], r.overall[0]]) {
      rel(c.treatmentValue, 1.36e308, 1e-15);
      rel(c.controlValue, 1.075e308, 1e-15);
      rel(c.pvalue, 0.17747988086651062);
      rel(c.ci[0], -1.6574440323822037e307, 1e-8);
      rel(c.ci[1], 7.357444032382203e307, 1e-8);
    }
    const apart = [1.7e308, 1.6e308].flatMap((y) => [{ segment: 's', variant: 'B', revenue: y }, { segment: 's', variant: 'control', revenue: -y }]);
    expectError(() => abTest(apart, { segment: 'segment', group: 'variant', outcome: 'revenue' }), 'E_PRECISION', 'outcome column "revenue"', '"B" and "control"');
  });
});

/** Rows for a segment with x1/n1 conversions in variant B and x2/n2 in control A. */
function rowsFor(segment: string, x1: number, n1: number, x2: number, n2: number) {
  const out: { segment: string; variant: string; converted: number }[] = [];
  for (let i = 0; i < n1; i++) out.push({ segment, variant: 'B', converted: i < x1 ? 1 : 0 });
  for (let i = 0; i < n2; i++) out.push({ segment, variant: 'A', converted: i < x2 ? 1 : 0 });
  return out;
}

describe('abTest: a segment-level readout', () => {
  const cases = ab.two_proportions.cases.filter((c: { n1: number }) => c.n1 >= 56);
  const rows = cases.flatMap((c: { x1: number; n1: number; x2: number; n2: number }, s: number) => rowsFor(`S${s}`, c.x1, c.n1, c.x2, c.n2));

  it('per segment: uplift, Newcombe CI, z-test p-value, Holm-adjusted across segments; the overall effect pooled', () => {
    const r = abTest(rows, { segment: 'segment', group: 'variant', outcome: 'converted' });
    expect(r.metric).toBe('proportion');
    expect(r.control).toBe('A');
    expect(r.treatments).toEqual(['B']);
    expect(r.segments).toHaveLength(cases.length);
    cases.forEach((c: { x1: number; n1: number; x2: number; n2: number; ci95: number[]; diff: number; ztest_pooled: { pvalue: number } }, s: number) => {
      const got = r.segments[s];
      expect(got.segment).toBe(`S${s}`);
      expect(got.uplift).toBe(c.x1 / c.n1 - c.x2 / c.n2);
      expect(Math.abs(got.ci[0] - c.ci95[0])).toBeLessThan(1e-12);
      expect(Math.abs(got.ci[1] - c.ci95[1])).toBeLessThan(1e-12);
      rel(got.pvalue, c.ztest_pooled.pvalue);
    });
    const adjusted = holm(r.segments.map((x) => x.pvalue)).adjusted;
    expect(r.segments.map((x) => x.adjustedPValue)).toEqual(adjusted);
    const X1 = cases.reduce((a: number, c: { x1: number }) => a + c.x1, 0), N1 = cases.reduce((a: number, c: { n1: number }) => a + c.n1, 0);
    const X2 = cases.reduce((a: number, c: { x2: number }) => a + c.x2, 0), N2 = cases.reduce((a: number, c: { n2: number }) => a + c.n2, 0);
    expect(r.overall[0].ci).toEqual(newcombeInterval(X1, N1, X2, N2));
    expect(r.overall[0].adjustedPValue).toBeNull();
    expect(r.assumptions.join(' ')).toMatch(/no correction for peeking/);
    expect(r.summary).toMatch(/^Overall, B vs A: /);
  });

  it('a rare conversion: an uplift and bounds below 0.01 pp are given two significant digits in the summary, never 0.00 pp', () => {
    // 2 in 100,000 against 1 in 100,000: an uplift of 0.001 pp
    const r = abTest(rowsFor('S0', 2, 100_000, 1, 100_000), { segment: 'segment', group: 'variant', outcome: 'converted' });
    const [lo, hi] = r.overall[0].ci.map((x) => 100 * x);
    expect(Math.abs(lo)).toBeLessThan(0.01);
    expect(Math.abs(hi)).toBeLessThan(0.01);
    expect(r.summary).toContain(`Overall, B vs A: 0.0010 pp (95% CI ${lo.toPrecision(2)} pp to ${hi.toPrecision(2)} pp, p = `);
    expect(r.summary).not.toMatch(/-?0\.00 pp/);
  });

  it("Holm's family and the assumptions count only the comparisons that have a p-value", () => {
    // S0 tested; S1 no conversion in either arm (z = 0 / 0); S2 no variant
    const mixed = [...rowsFor('S0', 3, 50, 10, 50), ...rowsFor('S1', 0, 40, 0, 40), ...rowsFor('S2', 0, 0, 5, 30)];
    const r = abTest(mixed, { segment: 'segment', group: 'variant', outcome: 'converted' });
    expect(r.segments.map((c) => c.segment)).toEqual(['S0', 'S1', 'S2']);
    // pooled z-test, 2 * scipy.stats.norm.sf(|z|); holm of one p-value is the p-value
    rel(r.segments[0].pvalue, 0.03739240538813956);
    expect(r.segments[0].adjustedPValue).toBe(r.segments[0].pvalue);
    expect(r.segments.slice(1).map((c) => c.adjustedPValue)).toEqual([null, null]);
    const holmText = r.assumptions.find((a) => a.includes('Holm'))!;
    expect(holmText).toContain('across the 1 of 3 segment-by-variant comparisons that have a p-value');
    expect(holmText).toContain('the 2 without one');
    const tested = abTest(rowsFor('S0', 3, 50, 10, 50), { segment: 'segment', group: 'variant', outcome: 'converted' });
    expect(tested.assumptions.find((a) => a.includes('Holm'))).toContain('across all 1 segment-by-variant comparisons (');
  });

  it('an overall interval or p-value that is not defined is said so in the summary, never printed as NaN', () => {
    // no conversion in either arm: the pooled z-test is 0 / 0 (statsmodels' proportions_ztest gives nan); Newcombe's interval is defined
    const none = abTest(rowsFor('S0', 0, 20, 0, 20), { segment: 'segment', group: 'variant', outcome: 'converted' });
    expect(none.overall[0].pvalue).toBeNaN();
    expect(none.summary).not.toContain('NaN');
    expect(none.summary).toContain(`Overall, B vs A: 0.00 pp (95% CI ${(100 * none.overall[0].ci[0]).toFixed(2)} pp to ${(100 * none.overall[0].ci[1]).toFixed(2)} pp, no p-value, as with an empty arm, or both arms at 0% or both at 100%).`);
    // one customer in an arm: scipy.stats.ttest_ind(a, [7], equal_var=False) is nan, and so is Welch's interval
    const one = abTest([...Array.from({ length: 20 }, (_, i) => ({ segment: 'S0', variant: 'A', revenue: 5 + (i % 3) })), { segment: 'S0', variant: 'B', revenue: 7 }], { segment: 'segment', group: 'variant', outcome: 'revenue' });
    expect(one.overall[0].ci).toEqual([NaN, NaN]);
    expect(one.summary).not.toContain('NaN');
    expect(one.summary).toContain('Overall, B vs A: 1.050 (no interval, no p-value, as with an empty arm, an arm of one customer, or both arms constant at the same value).');
  });

  it('means: two passes over the rows keep a small uplift on large values accurate', () => {
    const n = 100_000;
    const y = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      y[i] = 1e9 + 0.002 + ((i * 7919) % 1000) / 1000;
      y[n + i] = 1e9 + ((i * 104729) % 1000) / 1000;
    }
    const table = tableFromArrays({ segment: new Array(2 * n).fill('x'), variant: Array.from({ length: 2 * n }, (_, i) => (i < n ? 'B' : 'control')), y });
    const r = abTest(table, { segment: 'segment', group: 'variant', outcome: 'y' });
    // exact rational means and variances of these doubles, then scipy.stats.t.sf (numpy's pairwise mean of the
    // control is 2 ulp off here, so scipy's own p-value is 0.12129892447803979)
    expect(r.segments[0].uplift).toBe(0.001999974250793457);
    rel(r.segments[0].pvalue, 0.12134330132186887);
    expect(r.overall[0].pvalue).toBe(r.segments[0].pvalue);
  });

  it('64-bit integer outcomes float64 does not hold are refused, naming the row; ones it holds exactly are tested', () => {
    const n = 40;
    const arm = Array.from({ length: n }, (_, i) => (i % 2 ? 'B' : 'control'));
    // control 2^60 + 1000 i, treatment 2^60 + 1000 i + 5000: a true uplift of 6000, which float64 (steps of 256
    // there) read as 6144
    const big = BigInt64Array.from({ length: n }, (_, i) => 2n ** 60n + BigInt(i * 1000 + (i % 2) * 5000));
    expectError(() => abTest(tableFromArrays({ segment: new Array(n).fill('x'), arm, y: big }), { segment: 'segment', group: 'arm', outcome: 'y' }),
      'E_PRECISION', 'row 1', '"y"', '1152921504606852976');
    const records = arm.map((a, i) => ({ segment: 'x', arm: a, y: i === 5 ? 2n ** 53n + 1n : BigInt(i % 2) }));
    expectError(() => abTest(records, { segment: 'segment', group: 'arm', outcome: 'y' }), 'E_PRECISION', 'row 5', '9007199254740993');
    // multiples of 4096 past 2^60 are held exactly: the uplift is exact
    const exact = BigInt64Array.from({ length: n }, (_, i) => 2n ** 60n + BigInt((i % 2) * 4096 + (i % 4 < 2 ? 0 : 8192)));
    const r = abTest(tableFromArrays({ segment: new Array(n).fill('x'), arm, y: exact }), { segment: 'segment', group: 'arm', outcome: 'y' });
    expect(r.overall[0].uplift).toBe(4096);
  });

  it("means: Welch's interval and p-value per segment (Arrow input)", () => {
    const c = ab.welch.cases[1];
    const table = tableFromArrays({
      segment: ['x', ...new Array(c.a.length + c.b.length - 1).fill('x')],
      variant: [...c.a.map(() => 'treatment'), ...c.b.map(() => 'control')],
      revenue: Float64Array.from([...c.a, ...c.b]),
    });
    const r = abTest(table, { segment: 'segment', group: 'variant', outcome: 'revenue' });
    expect(r.metric).toBe('mean');
    expect(r.control).toBe('control');
    rel(r.segments[0].pvalue, c.pvalue);
    rel(r.segments[0].ci[0], c.ci95[0]);
    rel(r.segments[0].ci[1], c.ci95[1]);
    expect(r.assumptions.join(' ')).toMatch(/Welch/);
  });

  it('a confidence too small for 1 - confidence to differ from 1 is refused as "confidence", the option given', () => {
    for (const confidence of [1e-20, 5e-17, 0]) {
      try {
        abTest(rows, { segment: 'segment', group: 'variant', outcome: 'converted', confidence });
        throw new Error(`confidence ${confidence} was taken`);
      } catch (e) {
        expect((e as SegkitError).code).toBe('E_BAD_OPTION');
        expect((e as Error).message).toContain(`option "confidence"`);
        expect((e as Error).message).toContain(`got ${confidence}`);
        expect((e as Error).message).not.toContain('alpha');
      }
    }
    // the smallest confidences whose 1 - confidence is below 1 are read
    expect(abTest(rows, { segment: 'segment', group: 'variant', outcome: 'converted', confidence: 1e-15 }).confidence).toBe(1e-15);
  });

  it('a confidence between whole percents is said as given (97.5%, 99.5%), with its family-wise error rate', async () => {
    const { abTestChart } = await import('../src/report/abTestChart.js');
    for (const [confidence, pct, alpha] of [[0.975, '97.5%', '0.025'], [0.995, '99.5%', '0.005'], [0.95, '95%', '0.05']] as const) {
      const r = abTest(rows, { segment: 'segment', group: 'variant', outcome: 'converted', confidence });
      const words = r.assumptions.join(' ');
      expect(words).toContain(`${pct} intervals`);
      expect(words).toContain(`(family-wise error rate ${alpha})`);
      expect(r.summary).toContain(`(${pct} CI `);
      expect((abTestChart(r).title as { subtitle: string }).subtitle).toMatch(new RegExp(`^${pct.replace('.', '\\.')} intervals`));
    }
  });

  it('bad input names the values: a text outcome, more than two arms without a control, an unknown control', () => {
    const text = rows.slice(0, 6).map((r: { converted: number }, i: number) => ({ ...r, converted: i % 2 ? 'yes' : 'no' }));
    expectError(() => abTest(text, { segment: 'segment', group: 'variant', outcome: 'converted' }), 'E_NON_NUMERIC', 'row 0: the outcome column "converted"', '"no", "yes"');
    // the row named is the first value's
    const late = rows.slice(0, 6).map((r: { converted: number }, i: number) => ({ ...r, converted: i < 3 ? r.converted : 'yes' }));
    expectError(() => abTest(late, { segment: 'segment', group: 'variant', outcome: 'converted' }), 'E_NON_NUMERIC', 'row 3: the outcome column "converted" holds "yes"');
    // numbers held as text (JSON strings, leading zeros): the message names them, not an empty list
    const quoted = rows.slice(0, 6).map((r: { converted: number }, i: number) => ({ ...r, converted: String(1 - (i % 2)) }));
    expectError(() => abTest(quoted, { segment: 'segment', group: 'variant', outcome: 'converted' }), 'E_NON_NUMERIC', '"converted" holds text: "1", "0"');
    // one column in two roles: the arms read as outcomes gave a "significant" 100 pp uplift, a segment per arm no comparison
    const arms = rows.slice(0, 40).map((r: { variant: string }) => ({ ...r, arm: r.variant === 'A' ? 0 : 1 }));
    expectError(() => abTest(arms, { segment: 'segment', group: 'arm', outcome: 'arm', control: '0' }), 'E_BAD_OPTION', 'options "group" and "outcome" both name the column "arm"');
    expectError(() => abTest(arms, { segment: 'variant', group: 'variant', outcome: 'converted' }), 'E_BAD_OPTION', 'options "segment" and "group" both name the column "variant"');
    expectError(() => abTest(arms, { segment: 'converted', group: 'variant', outcome: 'converted' }), 'E_BAD_OPTION', 'options "segment" and "outcome"');
    // numbers with one held as text: the row named is that value's, and the numbers are not called text
    const mixed = rows.slice(0, 6).map((r: { converted: number }, i: number) => ({ ...r, converted: i === 3 ? '1' : 1 - (i % 2) }));
    expectError(() => abTest(mixed, { segment: 'segment', group: 'variant', outcome: 'converted' }), 'E_NON_NUMERIC', 'row 3: the outcome column "converted" holds text: "1":');
    const padded = rows.slice(0, 6).map((r: { converted: number }, i: number) => ({ ...r, converted: `0${1 - (i % 2)}` }));
    expectError(() => abTest(padded, { segment: 'segment', group: 'variant', outcome: 'converted' }), 'E_NON_NUMERIC', 'text: "01", "00"');
    // an outcome column with no value at all is empty, as a numeric column of missing values is: not text naming nothing
    const empty = rows.slice(0, 6).map((r: { converted: number }) => ({ ...r, converted: null }));
    expectError(() => abTest(empty, { segment: 'segment', group: 'variant', outcome: 'converted' }), 'E_NAN_INPUT', 'row 0: the outcome column "converted" is empty');
    const missing = rows.slice(0, 6).map((r: { converted: number }, i: number) => ({ ...r, converted: i === 2 ? null : r.converted }));
    expectError(() => abTest(missing, { segment: 'segment', group: 'variant', outcome: 'converted' }), 'E_NAN_INPUT', 'row 2: the outcome column "converted" is empty');
    const three = rows.map((r: { variant: string }, i: number) => ({ ...r, variant: i % 3 === 0 ? 'C' : r.variant }));
    expectError(() => abTest(three, { segment: 'segment', group: 'variant', outcome: 'converted' }), 'E_BAD_OPTION', '3 values ("A", "B", "C")', '--control');
    const r = abTest(three, { segment: 'segment', group: 'variant', outcome: 'converted', control: 'A' });
    expect(r.treatments).toEqual(['B', 'C']);
    expect(r.segments.length).toBe(2 * cases.length);
    expectError(() => abTest(three, { segment: 'segment', group: 'variant', outcome: 'converted', control: 'Z' }), 'E_BAD_OPTION', '"Z"', '"A", "B", "C"');
    expectError(() => abTest(rows, { segment: 'segment', group: 'variant', outcome: 'converted', metric: 'proportion', confidence: 2 }), 'E_BAD_OPTION', 'confidence');
    expectError(() => abTest(rows, { segment: 'segment', group: 'arm', outcome: 'converted' }), 'E_MISSING_COLUMN', '"arm"');
    // two arms, neither named like a control: no guess (the uplift's sign would hang on the alphabet)
    const unnamed = rows.map((r: { variant: string }) => ({ ...r, variant: r.variant === 'A' ? 'untreated' : 'treated' }));
    expectError(() => abTest(unnamed, { segment: 'segment', group: 'variant', outcome: 'converted' }), 'E_BAD_OPTION', '"treated" and "untreated"', 'name the control');
    expect(abTest(unnamed, { segment: 'segment', group: 'variant', outcome: 'converted', control: 'untreated' }).treatments).toEqual(['treated']);
    // values that differ only by spaces would be counted as another arm or segment
    const spaced = rows.map((r: { variant: string }, i: number) => ({ ...r, variant: i % 9 === 0 && r.variant === 'B' ? ' B' : r.variant }));
    expectError(() => abTest(spaced, { segment: 'segment', group: 'variant', outcome: 'converted', control: 'A' }), 'E_BAD_LABELS', '" B" and "B"', 'spaces');
    const spacedSegment = rows.map((r: { segment: string }, i: number) => ({ ...r, segment: i === 5 ? `${r.segment} ` : r.segment }));
    expectError(() => abTest(spacedSegment, { segment: 'segment', group: 'variant', outcome: 'converted' }), 'E_BAD_LABELS', 'segment column', 'spaces');
  });

  it('the summary isolates segment and arm names holding right-to-left text or overrides, so the figures after them keep their order', () => {
    const rtl: { segment: string; group: string; y: number }[] = [];
    for (let i = 0; i < 400; i++) {
      const treated = i % 2 === 0;
      // segment "\u202Eabc": 80% against 0% conversion, significant after Holm; "plain": no difference
      rtl.push({ segment: '\u202Eabc', group: treated ? 'B\u202E' : 'control', y: (treated ? i % 10 < 8 : i % 10 < 1) ? 1 : 0 });
      rtl.push({ segment: 'plain', group: treated ? 'B\u202E' : 'control', y: i % 4 < 2 ? 1 : 0 });
    }
    const r = abTest(rtl, { segment: 'segment', group: 'group', outcome: 'y' });
    expect(r.segments.find((c) => c.segment === '\u202Eabc')!.significant).toBe(true);
    expect(r.summary).toMatch(/^Overall, \u2068B\u202E\u2069 vs control: /);
    expect(r.summary).toContain("Significant after Holm's correction: \u2068\u202Eabc\u2069 (\u2068B\u202E\u2069: 80.00 pp, adjusted p = ");
    // every override the summary holds is closed before the text that follows it
    expect(r.summary.split('\u202E').length - 1).toBe(3);
    expect(r.summary.split('\u2068').length).toBe(r.summary.split('\u2069').length);
  });

  it('a segment and an arm holding U+0000 keep their customers apart ("a\\0control" + "B" is not "a" + "control\\0B")', () => {
    const mixed: { segment: string; group: string; y: number }[] = [];
    for (let i = 0; i < 40; i++) {
      mixed.push({ segment: 'a\u0000control', group: i % 2 ? 'control' : 'B', y: i % 3 === 0 ? 1 : 0 });
      mixed.push({ segment: 'a', group: i % 2 ? 'control\u0000B' : 'control', y: i % 5 === 0 ? 1 : 0 });
    }
    const r = abTest(mixed, { segment: 'segment', group: 'group', outcome: 'y', control: 'control' });
    const cell = (segment: string, treatment: string) => r.segments.find((c) => c.segment === segment && c.treatment === treatment)!;
    // each segment holds 20 customers of its control and 20 of one variant, none of the other
    expect([cell('a', 'B').nControl, cell('a', 'B').nTreatment]).toEqual([20, 0]);
    expect([cell('a', 'control\u0000B').nControl, cell('a', 'control\u0000B').nTreatment]).toEqual([20, 20]);
    expect([cell('a\u0000control', 'B').nControl, cell('a\u0000control', 'B').nTreatment]).toEqual([20, 20]);
    expect([cell('a\u0000control', 'control\u0000B').nControl, cell('a\u0000control', 'control\u0000B').nTreatment]).toEqual([20, 0]);
    // segment "a\0control", variant B: rows 0, 2, ..., 38, converted where i is a multiple of 3 (0, 6, ..., 36)
    expect(cell('a\u0000control', 'B').treatmentValue).toBe(7 / 20);
    expect(cell('a', 'control\u0000B').treatmentValue).toBe(4 / 20);
  });
});
