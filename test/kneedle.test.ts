import { describe, expect, it } from 'vitest';
import { expectError } from './helpers.js';
import { kneedle, type KneeCurve, type KneeDirection, type KneedleOptions } from '../src/core/kneedle.js';

const range = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
const COMBOS: [KneeCurve, KneeDirection][] = [
  ['concave', 'increasing'],
  ['concave', 'decreasing'],
  ['convex', 'increasing'],
  ['convex', 'decreasing'],
];

describe('kneedle on curves with a known knee', () => {
  it("the paper's figure 2 curve y = 5 - 1/(x + 0.1) has its knee at x = 2/9 (0.22 in the paper and in kneed)", () => {
    const x = range(10, (i) => i / 9);
    const y = x.map((v) => 5 - 1 / (v + 0.1));
    const r = kneedle(x, y, { curve: 'concave', direction: 'increasing', sensitivity: 1 });
    expect(r.kneeIndex).toBe(2);
    expect(r.knee).toBeCloseTo(0.2222222222, 9);
    expect(r.kneeY).toBeCloseTo(5 - 1 / (2 / 9 + 0.1), 12);
    // The difference curve, computed directly: normalised y minus normalised x.
    const y0 = y[0];
    const y9 = y[9];
    expect(r.difference).toHaveLength(x.length);
    x.forEach((v, i) => expect(r.difference[i]).toBeCloseTo((y[i] - y0) / (y9 - y0) - v, 12));
    expect(r.xNormalized[9]).toBe(1);
    // Threshold = the maximum difference minus S times the mean x step (1/9).
    expect(r.threshold).toBeCloseTo(r.difference[2] - 1 / 9, 12);
  });

  it('kneed reference curves: each shape and direction', () => {
    // Expected knees from the kneed test-suite (tests/test_sample.py).
    const x = range(10, (i) => i);
    const convexInc = [1, 2, 3, 4, 5, 10, 15, 20, 40, 100];
    const convexDec = convexInc.slice().reverse();
    const concaveDec = convexInc.map((v) => 100 - v);
    const concaveInc = convexDec.map((v) => 100 - v);
    expect(kneedle(x, concaveInc, { curve: 'concave', direction: 'increasing' }).knee).toBe(2);
    expect(kneedle(x, concaveDec, { curve: 'concave', direction: 'decreasing' }).knee).toBe(7);
    expect(kneedle(x, convexInc, { curve: 'convex', direction: 'increasing' }).knee).toBe(7);
    expect(kneedle(x, convexDec, { curve: 'convex', direction: 'decreasing' }).knee).toBe(2);
    // Truncated versions (last three points dropped, both axes / 10).
    const cut = (a: number[]) => a.slice(0, -3).map((v) => v / 10);
    expect(kneedle(cut(x), cut(concaveInc), { curve: 'concave', direction: 'increasing' }).knee).toBe(0.2);
    expect(kneedle(cut(x), cut(concaveDec), { curve: 'concave', direction: 'decreasing' }).knee).toBe(0.4);
    expect(kneedle(cut(x), cut(convexInc), { curve: 'convex', direction: 'increasing' }).knee).toBe(0.4);
    expect(kneedle(cut(x), cut(convexDec), { curve: 'convex', direction: 'decreasing' }).knee).toBe(0.2);
  });

  it('y = 1/x on 1..10: the elbow is the sample nearest the continuous optimum sqrt(10)', () => {
    // Difference (1 - yn) - xn has derivative 1/(0.9 x^2) - 1/9, zero at x = sqrt(10) = 3.16; D(3) > D(4).
    const x = range(10, (i) => i + 1);
    const r = kneedle(x, x.map((v) => 1 / v), { curve: 'convex', direction: 'decreasing' });
    expect(r.knee).toBe(3);
    expect(r.kneeY).toBeCloseTo(1 / 3, 15);
    const D = (v: number) => 1 - (1 / v - 0.1) / 0.9 - (v - 1) / 9;
    expect(r.difference).toHaveLength(x.length);
    x.forEach((v, i) => expect(r.difference[i]).toBeCloseTo(D(v), 12));
  });

  it('the same curve mirrored or negated gives the mirrored knee for every shape and direction', () => {
    const x = range(10, (i) => i + 1);
    const f = (v: number) => 1 / v;
    const cases: [KneeCurve, KneeDirection, (v: number) => number, number][] = [
      ['convex', 'decreasing', (v) => f(v), 3],
      ['concave', 'increasing', (v) => -f(v), 3],
      ['convex', 'increasing', (v) => f(11 - v), 8],
      ['concave', 'decreasing', (v) => -f(11 - v), 8],
    ];
    for (const [curve, direction, g, knee] of cases) expect(kneedle(x, x.map(g), { curve, direction }).knee).toBe(knee);
  });

  it('a piecewise linear elbow is found exactly at the break, also with uneven x spacing', () => {
    const elbow = (v: number) => (v <= 5 ? 100 - 10 * v : 50 - 0.5 * (v - 5));
    const x = range(21, (i) => i);
    expect(kneedle(x, x.map(elbow), { curve: 'convex', direction: 'decreasing' }).knee).toBe(5);
    const uneven = [0, 0.5, 1.5, 2, 3.5, 5, 6, 8, 9.5, 12, 14, 17, 20];
    expect(kneedle(uneven, uneven.map(elbow), { curve: 'convex', direction: 'decreasing' }).knee).toBe(5);
    // Mirrored in x: y = elbow(20 - x) is convex increasing with the break at 15.
    expect(kneedle(x, x.map((v) => elbow(20 - v)), { curve: 'convex', direction: 'increasing' }).knee).toBe(15);
  });

  it('a bumpy convex decreasing curve (kneed test data): the first elbow is at 26', () => {
    // Data from the kneed test-suite (test_convex_decreasing_bumpy). kneed's offline find_knee stops at the first knee,
    // 26: the difference peaks there (0.3829) and falls to 0.3704 at x = 30, below 0.3829 - 1/89. Its online mode,
    // which keeps replacing the knee while scanning, ends at 53 (the value that test asserts).
    const y = [
      7305, 6979, 6666.6, 6463.2, 6326.5, 6048.8, 6032.8, 5762, 5742.8, 5398.2, 5256.8, 5227, 5001.7, 4942, 4854.2, 4734.6, 4558.7,
      4491.1, 4411.6, 4333, 4234.6, 4139.1, 4056.8, 4022.5, 3868, 3808.3, 3745.3, 3692.3, 3645.6, 3618.3, 3574.3, 3504.3, 3452.4,
      3401.2, 3382.4, 3340.7, 3301.1, 3247.6, 3190.3, 3180, 3154.2, 3089.5, 3045.6, 2989, 2993.6, 2941.3, 2875.6, 2866.3, 2834.1,
      2785.1, 2759.7, 2763.2, 2720.1, 2660.1, 2690.2, 2635.7, 2632.9, 2574.6, 2556, 2545.7, 2513.4, 2491.6, 2496, 2466.5, 2442.7,
      2420.5, 2381.5, 2388.1, 2340.6, 2335, 2318.9, 2319, 2308.2, 2262.2, 2235.8, 2259.3, 2221, 2202.7, 2184.3, 2170.1, 2160,
      2127.7, 2134.7, 2102, 2101.4, 2066.4, 2074.3, 2063.7, 2048.1, 2031.9,
    ];
    const x = range(90, (i) => i);
    const r = kneedle(x, y, { curve: 'convex', direction: 'decreasing' });
    expect(r.knee).toBe(26);
    expect(r.difference[26]).toBeCloseTo(0.3829, 4);
    expect(r.difference[30]).toBeLessThan(r.threshold!);
    expect(r.threshold).toBeCloseTo(r.difference[26] - 1 / 89, 12);
  });
});

describe('kneedle: threshold and sensitivity', () => {
  // Difference curve with two local maxima: 0.25 at x = 2 (dips only to 0.22) and 0.4 at x = 5.
  const x = range(11, (i) => i);
  const y = [0, 0.3, 0.45, 0.52, 0.7, 0.9, 0.9, 0.9, 0.9, 0.95, 1];

  it('a local maximum whose difference does not fall below its threshold is passed over', () => {
    const r = kneedle(x, y, { curve: 'concave', direction: 'increasing', sensitivity: 1 });
    expect(r.knee).toBe(5);
    expect(r.threshold).toBeCloseTo(0.4 - 0.1, 12);
  });

  it('sensitivity 0 takes the first local maximum; a large one finds no knee', () => {
    expect(kneedle(x, y, { sensitivity: 0 }).knee).toBe(2);
    const far = kneedle(x, y, { sensitivity: 10 });
    expect(far.knee).toBeNull();
    expect(far.kneeIndex).toBeNull();
    expect(far.threshold).toBeNull();
    expect(far.difference.length).toBe(11);
  });
});

describe('kneedle: threshold reset at a local minimum', () => {
  // D = [0, 0.1, -0.05, -0.02, 0]: a maximum at x = 1 whose threshold is 0.1 - 1/4 = -0.15, a minimum at x = 2, then
  // -0.02 before the curve ends. The paper and kneed reset the threshold to 0 at the minimum, so -0.02 falls below it
  // and the knee is x = 1, as kneed's KneeLocator does.
  const y = [0, 0.35, 0.45, 0.73, 1];

  it('a fall below the diagonal after a local minimum marks the last maximum', () => {
    const r = kneedle([0, 1, 2, 3, 4], y);
    expect(Array.from(r.difference, (v) => +v.toFixed(12))).toEqual([0, 0.1, -0.05, -0.02, 0]);
    expect(r.knee).toBe(1);
    expect(r.kneeY).toBe(0.35);
    expect(r.threshold).toBe(0);
  });

  it('the mirrored elbow (convex, decreasing) is found alike', () => {
    expect(kneedle([0, 1, 2, 3, 4], y.map((v) => 1 - v), { curve: 'convex', direction: 'decreasing' }).knee).toBe(1);
  });

  it('without the fall below 0 the reset finds nothing', () => {
    expect(kneedle([0, 1, 2, 3, 4], [0, 0.35, 0.45, 0.76, 1]).knee).toBeNull();
  });
});

describe('kneedle: values near the float64 limit', () => {
  it('a span beyond the largest double is scaled as any other', () => {
    const y = [0, 0.7, 0.78, 0.85, 0.95, 1];
    const small = kneedle([0, 1, 2, 3, 4, 5], y);
    const x = [0, 1, 2, 3, 4, 5].map((i) => (-1 + i * 0.4) * 1e308);
    const r = kneedle(x, y);
    expect(small.knee).toBe(1);
    expect(r.kneeIndex).toBe(1);
    expect(Array.from(r.xNormalized)).toEqual(Array.from(small.xNormalized, (v) => expect.closeTo(v, 12)));
    const e = kneedle([0, 1, 2, 3, 4, 5], y.map((v) => (-1 + 2 * v) * 1e308));
    expect(e.kneeIndex).toBe(1);
    expect(Array.from(e.difference)).toEqual(Array.from(small.difference, (v) => expect.closeTo(v, 12)));
  });
});

describe('kneedle: curves without a knee', () => {
  it('a straight line gives null for every shape and direction', () => {
    const x = range(50, (i) => 0.1 * i + 3);
    for (const [curve, direction] of COMBOS) {
      for (const slope of [2.7, -0.3]) {
        const r = kneedle(x, x.map((v) => slope * v + 1.1), { curve, direction });
        expect(r.knee).toBeNull();
        // With the direction that matches the slope, the line is its own chord: the difference is flat zero.
        if ((slope > 0) === (direction === 'increasing')) {
          expect(r.difference).toHaveLength(x.length);
          r.difference.forEach((d) => expect(d).toBe(0));
        }
      }
    }
  });

  it('a constant curve and curves of fewer than three points give null', () => {
    expect(kneedle([1, 2, 3, 4], [5, 5, 5, 5]).knee).toBeNull();
    expect(kneedle([1, 2], [5, 1], { curve: 'convex', direction: 'decreasing' }).knee).toBeNull();
    expect(kneedle([1], [5]).knee).toBeNull();
  });

  it('the wrong curve shape finds no knee', () => {
    // A convex decreasing curve read as concave decreasing has its difference at or below zero until the end.
    const x = range(10, (i) => i + 1);
    expect(kneedle(x, x.map((v) => 1 / v), { curve: 'concave', direction: 'decreasing' }).knee).toBeNull();
  });
});

describe('kneedle: input checks', () => {
  it('rejects mismatched, empty, non-finite and unsorted input, naming the index', () => {
    expectError(() => kneedle([1, 2, 3], [1, 2]), 'E_SHAPE_MISMATCH', '3', '2');
    expectError(() => kneedle([], []), 'E_EMPTY_DATA');
    expectError(() => kneedle([1, 2, 3], [1, NaN, 2]), 'E_NAN_INPUT', 'y[1]', 'NaN');
    expectError(() => kneedle([1, 2, 2], [1, 2, 3]), 'E_BAD_OPTION', 'x[2]', 'strictly increasing');
  });

  it('rejects bad options, naming the option and the value', () => {
    expectError(() => kneedle([1, 2, 3], [1, 2, 3], { curve: 'elbow' as KneeCurve }), 'E_BAD_OPTION', 'curve', '"elbow"');
    expectError(() => kneedle([1, 2, 3], [1, 2, 3], { direction: 'down' as KneeDirection }), 'E_BAD_OPTION', 'direction', '"down"');
    expectError(() => kneedle([1, 2, 3], [1, 2, 3], { sensitivity: -1 }), 'E_BAD_OPTION', 'sensitivity', '-1');
    // a misspelt option is refused, not ignored while its default decides: here 'convex' would find the elbow
    const bad = (o: unknown) => kneedle([1, 2, 3, 4, 5, 6], [1000, 420, 180, 150, 130, 120], o as KneedleOptions);
    expectError(() => bad({ curv: 'convex', direction: 'decreasing' }), 'E_BAD_OPTION', 'unknown option "curv"', 'did you mean "curve"');
    expectError(() => bad({ curve: 'convex', direction: 'decreasing', sensitivty: 0 }), 'E_BAD_OPTION', '"sensitivty"', '"sensitivity"');
    expectError(() => bad('convex'), 'E_BAD_OPTION', 'kneedle: options must be an object');
    expect(bad({ curve: 'convex', direction: 'decreasing' }).knee).toBe(3);
  });

  it('does not modify its inputs and accepts typed arrays', () => {
    const x = new Float64Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const y = Array.from(x, (v) => 1 / v);
    const copyY = y.slice();
    const r = kneedle(x, y, { curve: 'convex', direction: 'decreasing' });
    expect(r.knee).toBe(3);
    expect(Array.from(x)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(y).toEqual(copyY);
  });
});
