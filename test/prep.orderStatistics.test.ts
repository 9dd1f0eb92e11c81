// Exact order statistics by radix selection agree bit for bit with a typed-array sort (numpy's order: -0 before +0)
// on the columns that make the search take its shortcuts: heavy ties, signed zeros, one value, extreme magnitudes.
import { afterAll, describe, expect, it } from 'vitest';
import { close, createRandom, inlineExecutor, loopbackExecutor, type Executor } from '../src/index.node.js';
import { ColumnStats } from '../src/prep/columnStats.js';
import { medianSorted, quantileSorted, sortedPresent } from './twins/stats.js';

const executors: [string, Executor][] = [['inline', inlineExecutor()], ['loopback', loopbackExecutor()]];
afterAll(async () => {
  await Promise.all(executors.map(([, ex]) => ex.close()));
  await close();
});

const n = 65_536 * 2 + 77; // three shards, the last one short
const r = createRandom(5);
const columns: Record<string, Float64Array> = {
  // 0/1 flags: the bucket of the median holds most rows, far more than are ever fetched
  flags: Float64Array.from({ length: n }, () => (r.next() < 0.7 ? 0 : 1)),
  // -0 and +0 mixed with a few negatives and positives: the sign of a zero order statistic must be the sort's
  zeros: Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -0 : i % 3 === 1 ? 0 : i % 1000 === 2 ? -1 : i % 1000 === 5 ? 1 : 0)),
  negativeZeros: Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -0 : -(i % 5))),
  constant: new Float64Array(n).fill(42.5),
  // log-normal spend, with missing values
  spend: Float64Array.from({ length: n }, (_, i) => (i % 17 === 0 ? NaN : Math.exp(3 + 2 * r.normal()))),
  // every magnitude, both signs
  wide: Float64Array.from({ length: n }, () => (r.next() < 0.5 ? -1 : 1) * 10 ** (r.next() * 600 - 300)),
  // small integers with a few fractions
  counts: Float64Array.from({ length: n }, (_, i) => Math.floor(r.next() * 20) + (i % 4099 === 0 ? 0.5 : 0)),
};
const names = Object.keys(columns);
const ps = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1];

const bits = (v: number) => Buffer.from(Float64Array.of(v).buffer).toString('hex');

describe('exact order statistics', () => {
  for (const [label, executor] of executors) {
    it(`medians and quantiles equal the sorted reference, bit for bit (${label})`, async () => {
      const st = await ColumnStats.load(names.map((k) => columns[k]), { executor });
      try {
        const m = await st.moments();
        const medians = await st.medians(names.map((_, j) => ({ j, count: m[j].count })));
        const quantiles = await st.quantilesOf(names.map((_, j) => ({ j, ps, count: m[j].count })));
        expect(medians).toHaveLength(names.length);
        expect(quantiles).toHaveLength(names.length);
        names.forEach((name, j) => {
          const sorted = sortedPresent(columns[name]);
          expect({ name, median: bits(medians[j]) }).toEqual({ name, median: bits(medianSorted(sorted)) });
          expect({ name, q: quantiles[j].map(bits) }).toEqual({ name, q: ps.map((p) => bits(quantileSorted(sorted, p))) });
        });
        // ranks one at a time, without the extents a moments pass leaves behind
        const fresh = await ColumnStats.load([columns.zeros, columns.negativeZeros], { executor });
        try {
          const ranks = [0, 1, 2, n / 3, n - 2, n - 1].map(Math.floor);
          const got = await fresh.orderStatistics(ranks.flatMap((k) => [[0, k], [1, k]] as [number, number][]), [n, n]);
          const a = sortedPresent(columns.zeros), b = sortedPresent(columns.negativeZeros);
          expect(got.map(bits)).toEqual(ranks.flatMap((k) => [bits(a[k]), bits(b[k])]));
        } finally {
          await fresh.release();
        }
      } finally {
        await st.release();
      }
    });
  }
});
