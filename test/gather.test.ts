import { afterAll, describe, expect, it } from 'vitest';
import { close, createRandom, inlineExecutor, piscinaExecutor } from '../src/index.node.js';
import type { Executor } from '../src/engine/executor.js';
import { bytes, failure } from './helpers.js';
import { rowMajorOp } from '../src/core/miniBatchOps.js';
import { scaleOp } from '../src/engine/matrix.js';
import { GATHER_ROWS } from '../src/kernels/rowMajor.js';
// @ts-expect-error plain JavaScript ops over the built package (pool workers import them by URL)
import { columnBitsOp, paddingBitsOp } from './helpers/testOps.mjs';

afterAll(close);

// Three shards of the source; values include a NaN with a payload, -0 and infinities, which a copy must keep as bits.
const n = 2 * 65_536 + 3_333, d = 3;
const rng = createRandom(8);
const columns = Array.from({ length: d }, () => Float32Array.from({ length: n }, () => rng.normal() * 5));
const bits = columns.map((c) => new Int32Array(c.buffer));
bits[0][17] = 0x7fc01234; // a quiet NaN with a payload
bits[1][70_000] = 0x80000000; // -0
columns[2][n - 1] = Infinity;
columns[2][0] = -Infinity;
const weights = Float32Array.from({ length: n }, (_, i) => 0.25 + (i % 7));
// repeats, out of order, first and last rows, every shard, and more rows than the source (the pool splits the copy)
const rows = Int32Array.from({ length: 150_001 }, (_, q) => (q < 4 ? [n - 1, 17, 0, 70_000][q] : rng.int(n)));

/** Column j of a gathered handle, from its shards' parts (columnBitsOp) in shard order: `length` int32 words. */
function joined(parts: Int32Array[][], j: number, length: number): Int32Array {
  const out = new Int32Array(length);
  let at = 0;
  for (const p of parts) { out.set(p[j], at); at += p[j].length; }
  return out;
}

async function gathered(ex: Executor, shardRows: number, aside = false): Promise<{ cols: Int32Array[]; weights: Float32Array; shards: number }> {
  const h = await ex.load({ columns, rows: { weights } });
  try {
    const g = await ex.gather!(h, rows, { shardRows, aside });
    try {
      expect(g.n).toBe(rows.length);
      expect(g.d).toBe(d);
      const parts: Int32Array[][] = await ex.map(columnBitsOp, g, {});
      const cols = Array.from({ length: d }, (_, j) => joined(parts, j, rows.length));
      return { cols, weights: (await ex.readRows(g, 'weights')) as Float32Array, shards: g.shards };
    } finally {
      await ex.release(g);
    }
  } finally {
    await ex.release(h);
  }
}

describe('Executor.gather copies the asked rows into a new handle, bit for bit', () => {
  const want = bits.map((b) => Int32Array.from(rows, (r) => b[r]));
  const wantWeights = Float32Array.from(rows, (r) => weights[r]);
  it.each([
    ['inline', () => inlineExecutor(), 65_536, false],
    ['inline, one shard', () => inlineExecutor(), 150_016, false],
    ['piscina, 2 threads, one shard', () => piscinaExecutor({ threads: 2 }), 150_016, false],
    ['piscina, 3 threads', () => piscinaExecutor({ threads: 3 }), 32_768, false],
    // aside: the pool's workers copy every row, the calling thread none
    ['inline, aside', () => inlineExecutor(), 65_536, true],
    ['piscina, 2 threads, aside', () => piscinaExecutor({ threads: 2 }), 150_016, true],
    ['piscina, 3 threads, aside', () => piscinaExecutor({ threads: 3 }), 32_768, true],
  ] as const)('%s', async (_name, make, shardRows, aside) => {
    const ex = make();
    try {
      const got = await gathered(ex, shardRows, aside);
      expect(got.shards).toBe(Math.ceil(rows.length / shardRows));
      for (let j = 0; j < d; j++) expect(bytes(got.cols[j]).equals(bytes(want[j])), `column ${j}`).toBe(true);
      expect(bytes(got.weights).equals(bytes(wantWeights)), 'weights').toBe(true);
    } finally {
      await ex.close();
    }
  });

  it.each([
    ['inline', () => inlineExecutor()],
    ['piscina, 2 threads', () => piscinaExecutor({ threads: 2 })],
  ])('float64 data, bit for bit, into memory used before (padding zero as a load leaves it): %s', async (_name, make) => {
    const ex = make();
    try {
      // fill memory with non-zero values and let it go, so the gathered handle lands on written memory
      const junk = await ex.load({ columns: Array.from({ length: 4 }, () => new Float64Array(300_000).fill(-7.5)) }, { dtype: 'f64' });
      await ex.release(junk);
      const wide = columns.map((c) => Float64Array.from(c, (v, i) => v + i * 1e-9));
      const h = await ex.load({ columns: wide }, { dtype: 'f64' });
      const some = rows.subarray(0, 40_001);
      const g = await ex.gather!(h, some, { shardRows: 65_536 });
      const parts: Int32Array[][] = await ex.map(columnBitsOp, g, {});
      for (let j = 0; j < d; j++) {
        const got = joined(parts, j, 2 * some.length);
        const want = new Int32Array(Float64Array.from(some, (r) => wide[j][r]).buffer);
        expect(bytes(got).equals(bytes(want)), `column ${j}`).toBe(true);
      }
      const all: (Int32Array[] | null)[] = await ex.map(paddingBitsOp, g, {});
      const pads = all.filter((p): p is Int32Array[] => p !== null);
      expect(pads).toHaveLength(1);
      expect(pads[0].reduce((a, p) => a + p.length, 0)).toBeGreaterThan(0);
      for (const p of pads[0]) expect(p.every((w) => w === 0)).toBe(true);
      await ex.release(g);
      await ex.release(h);
    } finally {
      await ex.close();
    }
  });

  it('refuses rows outside the data, no rows, a bad shard size and released data', async () => {
    const ex = inlineExecutor();
    try {
      const h = await ex.load({ columns });
      expect((await failure(() => ex.gather!(h, Int32Array.of(0, n)))).code).toBe('E_EXECUTOR');
      expect((await failure(() => ex.gather!(h, Int32Array.of(-1)))).code).toBe('E_EXECUTOR');
      expect((await failure(() => ex.gather!(h, new Int32Array(0)))).code).toBe('E_EMPTY_DATA');
      expect((await failure(() => ex.gather!(h, Int32Array.of(1), { shardRows: 20 }))).code).toBe('E_BAD_OPTION');
      // row numbers that are not an Int32Array (fractions would be cut when copied in)
      expect((await failure(() => ex.gather!(h, Float64Array.of(1.7) as unknown as Int32Array))).code).toBe('E_BAD_OPTION');
      expect((await failure(() => ex.gather!(h, [1] as unknown as Int32Array))).code).toBe('E_BAD_OPTION');
      await ex.release(h);
      expect((await failure(() => ex.gather!(h, Int32Array.of(1)))).code).toBe('E_CLOSED');
    } finally {
      await ex.close();
    }
  });
});

describe('with a row-major copy of the rows, a gather reads each drawn row from it', () => {
  // d values a row around multiples of 4 (the kernels move 4 x 4 blocks, then single features), and row counts that
  // leave 1 to 3 rows after the last block of 4 and after the last block of touched rows
  const shapes = [[2, 5_001], [3, 70_003], [4, 257], [5, 70_002], [8, 1_025], [17, 66_001]] as const;
  it.each([
    ['inline', () => inlineExecutor(), false],
    ['piscina, 2 threads', () => piscinaExecutor({ threads: 2 }), false],
    ['piscina, 3 threads, aside', () => piscinaExecutor({ threads: 3 }), true],
  ] as const)('the same bits as from the columns, NaN payloads and -0 included: %s', async (_name, make, aside) => {
    const ex = make();
    try {
      for (const [dd, count] of shapes) {
        const r = createRandom(dd);
        const cols = Array.from({ length: dd }, () => Float32Array.from({ length: n }, () => r.normal()));
        new Int32Array(cols[dd - 1].buffer)[5] = 0x7fa00001; // a signalling NaN's payload survives
        new Int32Array(cols[0].buffer)[n - 2] = 0x80000000;
        const drawn = Int32Array.from({ length: count }, (_, q) => (q < 3 ? [n - 2, 5, n - 1][q] : r.int(n)));
        const h = await ex.load({ columns: cols });
        expect(await ex.map(rowMajorOp, h, { d: dd })).toEqual(Array.from({ length: Math.ceil(n / 65_536) }, () => true));
        const g = await ex.gather!(h, drawn, { shardRows: 65_536, aside });
        const parts: Int32Array[][] = await ex.map(columnBitsOp, g, {});
        for (let j = 0; j < dd; j++) {
          const got = joined(parts, j, count);
          const src = new Int32Array(cols[j].buffer);
          expect(bytes(got).equals(bytes(Int32Array.from(drawn, (i) => src[i]))), `d = ${dd}, column ${j}`).toBe(true);
        }
        await ex.release(g);
        await ex.release(h);
      }
    } finally {
      await ex.close();
    }
  });

  it('reads the copy while it is kept, and the columns once it is dropped', async () => {
    const ex = inlineExecutor();
    try {
      const h = await ex.load({ columns });
      await ex.map(rowMajorOp, h, { d });
      // the columns change after the copy was made: a gather that reads the copy still sees the old values
      await ex.map(scaleOp, h, { factor: 2 });
      const first = async (): Promise<number> => {
        const g = await ex.gather!(h, Int32Array.of(70_000 + 1, 5));
        const [col] = (await ex.map(columnBitsOp, g, {}))[0] as Int32Array[];
        await ex.release(g);
        return new Float32Array(col.buffer, col.byteOffset, col.length)[1];
      };
      expect(await first()).toBe(columns[0][5]);
      await ex.dropRows!(h, GATHER_ROWS);
      expect(await first()).toBe(2 * columns[0][5]);
    } finally {
      await ex.close();
    }
  });
});
