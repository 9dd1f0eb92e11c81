import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectError } from './helpers.js';
import { kolmogn, kstwoSf, smirnov, smirnovProbs } from '../src/metrics/kolmogorov.js';
import { ksPValue, ksStatisticSorted, ksTwoSample } from '../src/metrics/ksTwoSample.js';
import { welchTTest } from '../src/metrics/welchTTest.js';

const load = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const grid = load('stats-ks-grid.json');
const drift = load('stats-drift.json');

/** Relative 1e-9 (absolute 1e-300 for values that underflow), the agreement the drift report promises. */
function close(actual: number, expected: number, rel = 1e-9): void {
  const tol = Math.max(1e-300, rel * Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tol)) throw new Error(`expected ${expected}, got ${actual} (relative difference ${(actual - expected) / expected})`);
}

describe('Kolmogorov distributions vs SciPy 1.10', () => {
  it('scipy.special.smirnov(n, d) on a grid reaching every branch', () => {
    // every case, n = 1,000,000 included: from n = 20,000 the survival function is summed in log space
    const cases = grid.smirnov;
    expect(cases.length).toBeGreaterThan(300);
    for (const { n, d, sf } of cases) {
      try { close(smirnov(n, d), sf); } catch (e) { throw new Error(`smirnov(${n}, ${d}): ${(e as Error).message}`); }
    }
  });

  it('scipy.stats.kstwo.sf and cdf (kolmogn) on the same grid', () => {
    const cases = grid.kstwo;
    expect(cases.length).toBeGreaterThan(300);
    for (const { n, d, sf, cdf } of cases) {
      try {
        close(kstwoSf(d, n), sf);
        close(kolmogn(n, d, true), cdf);
      } catch (e) { throw new Error(`kstwo(${d}, ${n}): ${(e as Error).message}`); }
    }
  });
});

describe('the Smirnov sum in log space', () => {
  it('equals the double-double sum within 1e-10 relative from n = 20,000 (the upper sum, at most 3 terms, stays exact)', () => {
    for (const n of [20000, 20001, 123457]) {
      for (const k of [0.01, 0.05, 0.3, 0.8, 1.5, 3, 6, 12]) {
        const x = k / Math.sqrt(n);
        // the density asks for the double-double sum; the survival function alone takes the log-space one
        const exact = smirnovProbs(n, x, true), fast = smirnovProbs(n, x, false);
        close(fast.sf, exact.sf, 1e-10);
        close(fast.cdf, exact.cdf, 1e-10);
      }
    }
  });
});

describe('ks_2samp vs SciPy 1.10', () => {
  it('the drift fixture: statistic and p-value for exact, asymp and auto (auto chose exact)', () => {
    const { before, after, after_far: far } = drift;
    for (const [b, key] of [[after, 'before_vs_after'], [far, 'before_vs_after_far']] as const) {
      const want = drift.ks_2samp[key];
      for (const method of ['exact', 'asymp', 'auto'] as const) {
        const r = ksTwoSample(before, b, { method });
        expect(r.statistic).toBe(want[method].statistic);
        close(r.pvalue, want[method].pvalue);
      }
      expect(ksTwoSample(before, b).method).toBe(want.auto_chose);
    }
  });

  it('samples of 1 to 60,000 values, with and without ties: p-values from the recorded statistics; statistics from the stored samples', () => {
    let checked = 0;
    for (const rec of grid.two_sample) {
      for (const method of ['exact', 'asymp', 'auto'] as const) {
        const want = rec[method];
        if (!want) continue;
        const r = ksPValue(want.statistic, rec.n1, rec.n2, method);
        expect(r.statistic).toBe(want.statistic);
        if (want.pvalue === null) expect(r.pvalue).toBeNaN();
        else close(r.pvalue, want.pvalue);
        if (rec.a) {
          const full = ksTwoSample(rec.a, rec.b, { method });
          expect(full.statistic).toBe(want.statistic);
          if (want.pvalue !== null) close(full.pvalue, want.pvalue);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('the statistic of sorted samples treats ties as numpy searchsorted(side="right") and -0 as 0', () => {
    expect(ksStatisticSorted([0, 1, 1, 2], [1, 1, 3])).toBe(1 - 2 / 3);
    expect(ksTwoSample([-0, 1], [0, 1]).statistic).toBe(0);
  });

  it('rejects bad input naming it', () => {
    expectError(() => ksTwoSample([1, NaN], [1, 2]), 'E_NAN_INPUT', 'sample "a"', 'index 1');
    expectError(() => ksTwoSample([], [1, 2]), 'E_EMPTY_DATA', 'sample "a"');
    // missing values and text are refused, not read as 0 (scipy.stats.ks_2samp([0, 5, 6, 7], [4, 5, 6, 7]) is D = 0.25)
    expect(ksTwoSample([0, 5, 6, 7], [4, 5, 6, 7]).statistic).toBe(0.25);
    expectError(() => ksTwoSample([null, 5, 6, 7] as never, [4, 5, 6, 7]), 'E_NAN_INPUT', 'sample "a" holds null at index 0');
    expectError(() => ksTwoSample([4, 5, 6, 7], [4, '', 6, 7] as never), 'E_NAN_INPUT', 'sample "b" holds "" at index 1');
    expectError(() => ksTwoSample([true, 5, 6] as never, [4, 5, 6, 7]), 'E_NAN_INPUT', 'holds true at index 0');
    expectError(() => ksTwoSample(null as never, [4, 5, 6, 7]), 'E_BAD_OPTION', '"a"');
    expectError(() => ksPValue(0.2, 10, 0), 'E_BAD_OPTION', 'n2');
    expectError(() => ksPValue(0.2, 10, 10, 'fast' as never), 'E_BAD_OPTION', 'method');
  });

  it('an array-like whose length no array can have is refused naming the argument, not a RangeError or a hang', () => {
    for (const length of [-1, NaN, 2.5, 1e12, 2 ** 32, Infinity]) {
      expectError(() => ksTwoSample({ length } as never, [1, 2]), 'E_BAD_OPTION', '"a"', `length is ${length}`);
      expectError(() => ksTwoSample([1, 2], { length, 0: 1 } as never), 'E_BAD_OPTION', '"b"', `length is ${length}`);
      expectError(() => welchTTest({ length } as never, [1, 2]), 'E_BAD_OPTION', '"a"', `length is ${length}`);
      expectError(() => welchTTest([1, 2], { length } as never), 'E_BAD_OPTION', '"b"', `length is ${length}`);
    }
    // the largest length an array can have, with no values: the first missing value is named before any copy is made
    expectError(() => ksTwoSample({ length: 2 ** 32 - 1 } as never, [1, 2]), 'E_NAN_INPUT', 'sample "a" holds undefined at index 0');
    // a plain array-like with a valid length is read as before (scipy.stats.ks_2samp([3, 1, 2], [4, 5]): D = 1, p = 0.2)
    expect(ksTwoSample({ length: 3, 0: 3, 1: 1, 2: 2 } as ArrayLike<number>, [4, 5])).toEqual({ statistic: 1, pvalue: 0.2, method: 'exact' });
  });

  it('an option it does not know is refused, not ignored for the two-sided auto p-value', () => {
    const a = Array.from({ length: 12 }, (_, i) => i + 1), b = Array.from({ length: 13 }, (_, i) => i + 5);
    // scipy.stats.ks_2samp(a, b, method='asymp') and method='auto' (exact here)
    expect(ksTwoSample(a, b, { method: 'asymp' }).pvalue).toBeCloseTo(0.2632984911990872, 14);
    expect(ksTwoSample(a, b).pvalue).toBeCloseTo(0.20332961559910004, 14);
    // one-sided (scipy: p = 0.10175 for 'greater') is not computed; SciPy's older name for method is `mode`
    expectError(() => ksTwoSample(a, b, { alternative: 'greater' } as never), 'E_BAD_OPTION', '"alternative"', 'method');
    expectError(() => ksTwoSample(a, b, { mode: 'asymp' } as never), 'E_BAD_OPTION', '"mode"');
    expectError(() => ksTwoSample(a, b, null as never), 'E_BAD_OPTION', 'ksTwoSample');
  });
});
