// segkit's own ln, e^x, ln(1 + x), sin, cos and asin (src/util/detMath.ts): within 1 ulp of 40-digit references (test/fixtures/
// elementary.json, Python's decimal), the IEEE special cases, and ceilLog2 exactly. That they give the same bits in
// a browser as in Node is checked in test/browser.executor.test.ts (a full mixture, a decaying mini-batch model and
// log1p scaling, haversine DBSCAN and normal draws, byte for byte).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { asin, ceilLog2, cos, exp, log, log1p, powInt, sin } from '../src/util/detMath.js';

const fx = JSON.parse(readFileSync(new URL('./fixtures/elementary.json', import.meta.url), 'utf8')) as Record<'log' | 'exp' | 'log1p' | 'sin' | 'cos' | 'asin', [number, string][]>;

const f64 = new Float64Array(1);
const u64 = new BigInt64Array(f64.buffer);
/** Distance in ulps between two finite doubles of one sign (or zero). */
function ulps(a: number, b: number): number {
  f64[0] = a;
  const x = u64[0];
  f64[0] = b;
  const y = u64[0];
  return Number(x > y ? x - y : y - x);
}

describe('deterministic elementary functions', () => {
  for (const [name, f] of [['log', log], ['exp', exp], ['log1p', log1p], ['sin', sin], ['cos', cos], ['asin', asin]] as const) {
    it(`${name}: within 1 ulp of the 40-digit value for every reference argument`, () => {
      const cases = fx[name];
      expect(cases.length).toBeGreaterThan(400);
      let checked = 0;
      for (const [x, text] of cases) {
        const want = Number(text);
        const got = f(x);
        if (want === 0) expect(got, `${name}(${x})`).toBe(0);
        else expect(ulps(got, want), `${name}(${x}) = ${got}, want ${text}`).toBeLessThanOrEqual(1);
        checked++;
      }
      expect(checked).toBe(cases.length);
    });

    // V8 11.3 (Node 20) computes these Math functions with this same fdlibm code: an independent twin
    it.skipIf(!process.versions.v8.startsWith('11.3.'))(`${name}: the bits of Node 20's own Math.${name} on every reference argument`, () => {
      const ref = Math[name];
      for (const [x] of fx[name]) expect(Object.is(f(x), ref(x)), `${name}(${x})`).toBe(true);
    });
  }

  it('the IEEE special cases', () => {
    expect(log(0)).toBe(-Infinity);
    expect(log(-0)).toBe(-Infinity);
    expect(log(-1)).toBeNaN();
    expect(log(NaN)).toBeNaN();
    expect(log(Infinity)).toBe(Infinity);
    expect(log(1)).toBe(0);
    expect(exp(-Infinity)).toBe(0);
    expect(exp(Infinity)).toBe(Infinity);
    expect(exp(NaN)).toBeNaN();
    expect(exp(0)).toBe(1);
    expect(exp(1)).toBe(Math.E);
    expect(exp(710)).toBe(Infinity);
    expect(exp(-746)).toBe(0);
    expect(log1p(-1)).toBe(-Infinity);
    expect(log1p(-2)).toBeNaN();
    expect(Object.is(log1p(-0), -0)).toBe(true);
    expect(log1p(1e-300)).toBe(1e-300);
    expect(log1p(Infinity)).toBe(Infinity);
    expect(Object.is(sin(-0), -0)).toBe(true);
    expect(cos(0)).toBe(1);
    expect(sin(Infinity)).toBeNaN();
    expect(cos(NaN)).toBeNaN();
    expect(asin(1)).toBe(Math.PI / 2);
    expect(asin(-1)).toBe(-Math.PI / 2);
    expect(asin(1 + 2 ** -52)).toBeNaN();
    expect(Object.is(asin(-0), -0)).toBe(true);
  });

  it('ceilLog2: the smallest e with 2^e >= x, exactly, subnormals and the largest double included', () => {
    const cases: [number, number][] = [[1, 0], [2, 1], [3, 2], [4, 2], [0.5, -1], [0.75, 0], [1 + 2 ** -52, 1], [2 - 2 ** -52, 1],
      [2 ** 40 + 1, 41], [2 ** 40, 40], [5e-324, -1074], [1e-310, -1029], [2 ** 1023, 1023], [1.7976931348623157e308, 1024]];
    for (const [x, e] of cases) {
      expect(ceilLog2(x), `ceilLog2(${x})`).toBe(e);
      expect(2 ** ceilLog2(x)).toBeGreaterThanOrEqual(x);
      if (e > -1074) expect(2 ** (ceilLog2(x) - 1)).toBeLessThan(x);
    }
  });

  it('powInt: the correctly rounded power (exact rational references, Python fractions), where squaring alone is 600 ulps off', () => {
    // decays of half-lives 3, 100, 500, 1000, 12345, 2 and 7 raised to row counts; Node 20's 0.9986146661010289 ** 256 is 1 ulp off
    const cases: [number, number, number][] = [[0.7937005259840998, 1024, 1.7718548704179674e-103], [0.7937005259840998, 255, 2.584939414228257e-26],
      [0.9930924954370359, 7, 0.9526379980439376], [0.9986146661010289, 256, 0.7012496253211947], [0.9993070929904525, 4097, 0.05843594985946208],
      [0.9999438535665041, 1024, 0.9441260804083655], [0.7071067811865476, 1, 0.7071067811865476], [0.9057236642639067, 0, 1]];
    for (const [x, n, want] of cases) expect(powInt(x, n), `${x}^${n}`).toBe(want);
    expect(powInt(0.5, 1074)).toBe(5e-324);
    expect(powInt(0, 0)).toBe(1);
    expect(powInt(0, 5)).toBe(0);
    expect(powInt(1, 1e6)).toBe(1);
  });
});
