// aggregateByCustomer's mean of a Decimal column is the exact mean rounded once to float64, as Python's
// float(sum(decimals) / len(decimals)) gives it (Decimal arithmetic, one rounding at the end), not the rounded sum
// divided again.
import { Decimal, Table, Utf8, makeData, makeVector, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { aggregateByCustomer } from '../src/data/aggregateByCustomer.js';

/** A Decimal128 column of (scale, precision) from unscaled values. */
function decimals(scale: number, precision: number, unscaled: bigint[]) {
  const words = new Uint32Array(unscaled.length * 4);
  unscaled.forEach((v, i) => {
    let x = BigInt.asUintN(128, v);
    for (let k = 0; k < 4; k++, x >>= 32n) words[i * 4 + k] = Number(x & 0xffffffffn);
  });
  return makeVector(makeData({ type: new Decimal(scale, precision, 128), length: unscaled.length, data: words }));
}

describe('aggregateByCustomer mean of decimals', () => {
  it('rounds the exact mean once', async () => {
    // python3: from decimal import Decimal as D; [float(sum(v) / len(v)) for v in
    //   ([D('0.10'), D('0.20'), D('0.00')], [D('0.70'), D('0.00'), D('0.00')], [D('-0.10'), D('-0.20'), D('0.00')])]
    //   -> [0.1, 0.23333333333333334, -0.1]
    const log = new Table({
      c: vectorFromArray(['a', 'a', 'a', 'b', 'b', 'b', 'c', 'c', 'c'], new Utf8()),
      amount: decimals(2, 10, [10n, 20n, 0n, 70n, 0n, 0n, -10n, -20n, 0n]),
    });
    const out = await aggregateByCustomer(log, { key: 'c', aggregations: { m: { column: 'amount', op: 'mean' }, s: { column: 'amount', op: 'sum' } } });
    expect([...out.getChild('m')!]).toEqual([0.1, 0.23333333333333334, -0.1]);
    expect([...out.getChild('s')!]).toEqual([0.3, 0.7, -0.3]);
  });

  it('rounds the exact mean once at a wide scale and a negative one', async () => {
    // decimal(38, 18): 1e-18, 2e-18 and 0: the mean 1e-18 (python3: float(Fraction(3, 3 * 10**18)) == 1e-18);
    // decimal(10, -3) of unscaled 1, 1, 0: 2000 / 3 = 666.6666666666666 (float(Fraction(2000, 3)))
    const wide = new Table({ c: vectorFromArray(['a', 'a', 'a'], new Utf8()), x: decimals(18, 38, [1n, 2n, 0n]) });
    expect([...(await aggregateByCustomer(wide, { key: 'c', aggregations: { m: { column: 'x', op: 'mean' } } })).getChild('m')!]).toEqual([1e-18]);
    const thousands = new Table({ c: vectorFromArray(['a', 'a', 'a'], new Utf8()), x: decimals(-3, 10, [1n, 1n, 0n]) });
    expect([...(await aggregateByCustomer(thousands, { key: 'c', aggregations: { m: { column: 'x', op: 'mean' } } })).getChild('m')!]).toEqual([666.6666666666666]);
  });
});
