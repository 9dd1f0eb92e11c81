// aggregateByCustomer over 64-bit integer columns (Arrow Int64 and Uint64, whose values are bigints), checked against
// exact BigInt arithmetic: float64 additions in log order dropped units past 2^53.
import { Int64, Table, Uint64, Utf8, makeData, makeVector, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { aggregateByCustomer } from '../src/data/aggregateByCustomer.js';

const P53 = 2n ** 53n;

/** A log of (id, value) rows in two record batches, so the sums run across chunks. */
function log(ids: string[], values: (bigint | null)[], unsigned = false): Table {
  const half = ids.length >> 1;
  const column = (from: number, to: number) => {
    const part = values.slice(from, to);
    const data = unsigned ? BigUint64Array.from(part, (v) => v ?? 0n) : BigInt64Array.from(part, (v) => v ?? 0n);
    const nulls = part.filter((v) => v === null).length;
    const bitmap = new Uint8Array((part.length + 7) >> 3);
    part.forEach((v, i) => { if (v !== null) bitmap[i >> 3] |= 1 << (i & 7); });
    return makeData({ type: unsigned ? new Uint64() : new Int64(), length: part.length, nullCount: nulls, nullBitmap: nulls ? bitmap : undefined, data } as never);
  };
  const id = makeVector([vectorFromArray(ids.slice(0, half), new Utf8()).data[0], vectorFromArray(ids.slice(half), new Utf8()).data[0]]);
  const n = makeVector([column(0, half), column(half, ids.length)]);
  return new Table({ id, n });
}

/** A float64 as an exact fraction. */
function fraction(x: number): [bigint, bigint] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const e = Number((bits >> 52n) & 0x7ffn);
  const m = (bits & ((1n << 52n) - 1n)) | (e ? 1n << 52n : 0n);
  const p = (e || 1) - 1075;
  const signed = bits >> 63n ? -m : m;
  return p >= 0 ? [signed << BigInt(p), 1n] : [signed, 1n << BigInt(-p)];
}
const step = (x: number, by: bigint) => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigInt64(0, view.getBigInt64(0) + by);
  return view.getFloat64(0);
};
/** Whether x is a float64 nearest s / c: no neighbour is nearer. */
function nearest(x: number, s: bigint, c: bigint): boolean {
  const off = (y: number): [bigint, bigint] => {
    const [n, d] = fraction(y);
    const diff = n * c - s * d;
    return [diff < 0n ? -diff : diff, d];
  };
  const [a, da] = off(x);
  return [step(x, 1n), step(x, -1n)].every((y) => {
    const [b, db] = off(y);
    return a * db <= b * da;
  });
}

describe('aggregateByCustomer over 64-bit integer columns', () => {
  it('sums 2^53, 1, 1 to 2^53 + 2, not 2^53', async () => {
    const t = await aggregateByCustomer(log(['a', 'a', 'a'], [P53, 1n, 1n]), { key: 'id', aggregations: { s: { column: 'n', op: 'sum' }, m: { column: 'n', op: 'mean' } } });
    expect(t.getChild('s')!.get(0)).toBe(9007199254740994);
    // (2^53 + 2) / 3 = 3002399751580331.33..., whose nearest float64 is 3002399751580331.5
    expect(t.getChild('m')!.get(0)).toBe(3002399751580331.5);
    expect(nearest(3002399751580331.5, P53 + 2n, 3n)).toBe(true);
  });

  it('sums and averages exactly as BigInt does, signed and unsigned, with nulls, across batches', async () => {
    // a fixed pseudo-random log: values around ±2^53 and small ones, so partial sums cross 2^53 in both directions
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (const unsigned of [false, true]) {
      const ids: string[] = [];
      const values: (bigint | null)[] = [];
      for (let i = 0; i < 400; i++) {
        ids.push(`c${next() % 7}`);
        const r = next();
        const small = BigInt(r % 1000);
        const v = r % 5 === 0 ? null : r % 3 === 0 ? P53 / 8n + small : small + 1n;
        values.push(v === null || unsigned || r % 2 === 0 ? v : -v);
      }
      // a last row for each customer makes the total a multiple of 16 (below 2^57, so a float64 holds it exactly)
      for (let c = 0; c < 7; c++) {
        const s = values.reduce<bigint>((a, v, i) => (ids[i] === `c${c}` && v !== null ? a + v : a), 0n);
        ids.push(`c${c}`);
        values.push((16n - (((s % 16n) + 16n) % 16n)) % 16n);
      }
      const t = await aggregateByCustomer(log(ids, values, unsigned), { key: 'id', aggregations: { s: { column: 'n', op: 'sum' }, m: { column: 'n', op: 'mean' }, lo: { column: 'n', op: 'min' }, hi: { column: 'n', op: 'max' }, k: { column: 'n', op: 'count' } } });
      const keys = t.getChild('id')!.toArray() as string[];
      expect(keys).toHaveLength(7);
      let checked = 0;
      keys.forEach((key, g) => {
        const mine = values.filter((v, i) => ids[i] === key && v !== null) as bigint[];
        const s = mine.reduce((a, b) => a + b, 0n);
        const c = BigInt(mine.length);
        expect(t.getChild('k')!.get(g)).toBe(mine.length);
        expect(BigInt(t.getChild('s')!.get(g) as number)).toBe(s);
        expect(nearest(t.getChild('m')!.get(g) as number, s, c)).toBe(true);
        expect(t.getChild('lo')!.get(g)).toBe(mine.reduce((a, b) => (b < a ? b : a)));
        expect(t.getChild('hi')!.get(g)).toBe(mine.reduce((a, b) => (b > a ? b : a)));
        if (s > P53 || s < -P53) checked++;
      });
      // the log was made so that some totals pass 2^53, where float64 additions in log order drop units
      expect(checked).toBeGreaterThan(0);
    }
  });

  it('keeps min and max of values float64 cannot tell apart, and averages them rounded once', async () => {
    const top = 2n ** 63n - 1n;
    const t = await aggregateByCustomer(log(['a', 'a', 'b', 'b'], [top, top - 1n, 2n ** 64n - 1n, 2n ** 64n - 2n].map((v) => v % 2n ** 63n)), {
      key: 'id', aggregations: { lo: { column: 'n', op: 'min' }, hi: { column: 'n', op: 'max' }, m: { column: 'n', op: 'mean' } },
    });
    expect(t.getChild('lo')!.get(0)).toBe(top - 1n);
    expect(t.getChild('hi')!.get(0)).toBe(top);
    expect(nearest(t.getChild('m')!.get(0) as number, 2n * top - 1n, 2n)).toBe(true);
    const u = await aggregateByCustomer(log(['a', 'a', 'a'], [2n ** 64n - 1n, 2n ** 64n - 1n, 1n], true), { key: 'id', aggregations: { m: { column: 'n', op: 'mean' } } });
    expect(nearest(u.getChild('m')!.get(0) as number, 2n * (2n ** 64n - 1n) + 1n, 3n)).toBe(true);
  });

  it('refuses a sum float64 does not hold exactly with E_PRECISION naming the column and the customer', async () => {
    const run = aggregateByCustomer(log(['a', 'b', 'b'], [5n, P53, 1n]), { key: 'id', aggregations: { s: { column: 'n', op: 'sum' } } });
    await expect(run).rejects.toMatchObject({ code: 'E_PRECISION', message: expect.stringMatching(/column "n": the sum of customer b is 9007199254740993\b/) });
    const u = aggregateByCustomer(log(['a', 'a'], [2n ** 64n - 1n, 2n ** 64n - 1n], true), { key: 'id', aggregations: { s: { column: 'n', op: 'sum' } } });
    await expect(u).rejects.toMatchObject({ code: 'E_PRECISION', message: expect.stringContaining(`customer a is ${2n * (2n ** 64n - 1n)}`) });
  });
});
