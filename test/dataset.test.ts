import { describe, expect, it } from 'vitest';
import { tableFromArrays, Table, makeVector, vectorFromArray, Utf8, Float32, Float16, Float64, Uint64 } from 'apache-arrow';
import { fromRows, fromColumns, fromArrow, toDataset, SegkitError } from '../src/index.js';

const code = (fn: () => unknown) => { try { fn(); } catch (e) { return [(e as SegkitError).code, (e as Error).message]; } return ['no error', '']; };

describe('Dataset', () => {
  it('from rows: column-major float32 copies with names', () => {
    const rows = [[1, 2.5], [3, 4]];
    const ds = fromRows(rows, { names: ['a', 'b'] });
    expect(ds.n).toBe(2);
    expect(ds.d).toBe(2);
    expect(Array.from(ds.columns[1])).toEqual([2.5, 4]);
    expect(ds.names).toEqual(['a', 'b']);
    ds.columns[0][0] = 9;
    expect(rows[0][0]).toBe(1);
  });

  it('from Float32 columns without a copy; other typed arrays converted', () => {
    const a = Float32Array.from([1, 2, 3]);
    const ds = fromColumns({ columns: [a, Int32Array.from([4, 5, 6])], names: ['a', 'b'] });
    expect(ds.columns[0]).toBe(a);
    expect(Array.from(ds.columns[1])).toEqual([4, 5, 6]);
  });

  it('from an Arrow table: single-chunk Float32 is zero-copy, ints, sliced and multi-chunk columns converted', () => {
    const x = Float32Array.from([0, 1, 2, 3, 4, 5]);
    const t = tableFromArrays({ x, n: Int32Array.from([10, 11, 12, 13, 14, 15]), big: BigInt64Array.from([1n, 2n, 3n, 4n, 5n, 6n]) });
    const ds = fromArrow(t);
    expect(ds.columns[0].buffer).toBe(t.getChild('x')!.data[0].values.buffer);
    expect(Array.from(ds.columns[1])).toEqual([10, 11, 12, 13, 14, 15]);
    expect(Array.from(ds.columns[2])).toEqual([1, 2, 3, 4, 5, 6]);
    const sliced = fromArrow(t.slice(2, 5));
    expect(Array.from(sliced.columns[0])).toEqual([2, 3, 4]);
    expect(Array.from(sliced.columns[1])).toEqual([12, 13, 14]);
    const multi = new Table({ x: makeVector(Float32Array.from([1, 2])).concat(makeVector(Float32Array.from([3]))) });
    expect(multi.getChild('x')!.data.length).toBe(2);
    expect(Array.from(fromArrow(multi).columns[0])).toEqual([1, 2, 3]);
    expect(fromArrow(t, { columns: ['n'] }).names).toEqual(['n']);
    const half = new Table({ h: makeVector({ type: new Float16(), data: Uint16Array.from([0x3e00, 0x4100, 0x4300]) } as never) });
    expect(Array.from(fromArrow(half).columns[0])).toEqual([1.5, 2.5, 3.5]);
  });

  it.each([
    ['NaN in rows', () => fromRows([[1], [NaN]]), 'E_NAN_INPUT', /row 1, column "x0"/],
    ['float32 overflow in rows', () => fromRows([[1], [1e39]]), 'E_NAN_INPUT', /row 1, column "x0" holds 1e\+39, beyond float32's range/],
    ['float32 overflow in columns', () => fromColumns({ columns: [[1, -1e39]] }), 'E_NAN_INPUT', /row 1, column "x0" holds -1e\+39, beyond float32's range/],
    ['float32 overflow in a Float64 Arrow column', () => fromArrow(tableFromArrays({ v: Float64Array.from([0, 2, 5e38]) })), 'E_NAN_INPUT', /row 2, column "v" holds 5e\+38, beyond float32's range/],
    ['ragged rows', () => fromRows([[1, 2], [1]]), 'E_RAGGED_ROWS', /row 1 has 1 values/],
    ['empty rows', () => fromRows([]), 'E_EMPTY_DATA', /no rows/],
    ['non-numeric cell', () => fromRows([[1, 'a' as unknown as number]]), 'E_NON_NUMERIC', /row 0, column "x1"/],
    ['ragged columns', () => fromColumns({ columns: [new Float32Array(2), new Float32Array(3)] }), 'E_RAGGED_ROWS', /column "x1" has 3 rows/],
    ['Infinity in columns', () => fromColumns({ columns: [Float32Array.from([1, Infinity])], names: ['spend'] }), 'E_NAN_INPUT', /row 1, column "spend"/],
    ['duplicate names', () => fromRows([[1, 2]], { names: ['a', 'a'] }), 'E_BAD_OPTION', /"a" appears twice/],
    ['string Arrow column', () => fromArrow(new Table({ s: vectorFromArray(['a', 'b'], new Utf8()) })), 'E_NON_NUMERIC', /column "s"/],
    ['null in Arrow column', () => fromArrow(new Table({ v: vectorFromArray([1, null, 3], new Float32()) })), 'E_NAN_INPUT', /row 1, column "v"/],
    ['missing Arrow column', () => fromArrow(tableFromArrays({ a: Float32Array.from([1]) }), { columns: ['b'] }), 'E_MISSING_COLUMN', /column "b"/],
    ['not data', () => toDataset(42 as never), 'E_BAD_OPTION', /data must be/],
  ])('%s gets a clear error', (_, fn, want, message) => {
    const [c, msg] = code(fn);
    expect(c).toBe(want);
    expect(msg).toMatch(message);
  });

  it('a hand-made object shaped like a Dataset is checked, not trusted', () => {
    const fake = { n: 2, d: 1, columns: [Float32Array.from([1, NaN])], names: ['x'] };
    expect(code(() => toDataset(fake))[0]).toBe('E_NAN_INPUT');
  });

  it('fits and metrics refuse a column float32 moves by more than 1/64 of its range; scoring does not', async () => {
    const { kmeans } = await import('../src/core/kmeans.js');
    const { silhouetteScore } = await import('../src/metrics/silhouetteScore.js');
    const { pipeline } = await import('../src/prep/pipeline.js');
    // around 1e9 float32 steps by 64: 1e9 + 0, 10 and 20.9 would become one or two values
    const far = [1e9, 1e9 + 10, 1e9 + 20.9, 1e9 + 5];
    const near = [0, 10, 20.9, 5];
    const made = [
      fromColumns({ columns: [Float64Array.from(far), Float64Array.from(near)], names: ['a', 'b'] }),
      fromRows(far.map((v, i) => [v, near[i]]), { names: ['a', 'b'] }),
      fromArrow(tableFromArrays({ a: Float64Array.from(far), b: Float64Array.from(near) })),
      (await pipeline({ scale: 'none' }).fitTransform(tableFromArrays({ a: Float64Array.from(far), b: Float64Array.from(near) }))).dataset,
    ];
    for (const ds of made) {
      const e = await kmeans(ds, { k: 2, seed: 1, threads: 1 }).then(() => undefined, (error: unknown) => error as SegkitError);
      expect(e?.code).toBe('E_PRECISION');
      expect(e?.message).toMatch(/^column "a": float32, in which segkit computes, moves its values by up to 21, while they span only 1000000000 to 1000000020.9/);
      await expect(silhouetteScore(ds, Int32Array.of(0, 1, 1, 0))).rejects.toMatchObject({ code: 'E_PRECISION' });
    }
    // a constant column, values float32 holds exactly (1e9 + 64 i), years, epoch seconds over a year: fitted
    for (const values of [[1e9, 1e9, 1e9, 1e9], [1e9, 1e9 + 64, 1e9 + 128, 1e9 + 192], [2000, 2012, 2024, 2001], [1.7e9, 1.7e9 + 3.15e7, 1.7e9 + 1e7, 1.7e9 + 2e7]]) {
      expect((await kmeans(fromColumns({ columns: [Float64Array.from(values), Float64Array.from(near)] }), { k: 2, seed: 1, threads: 1 })).k).toBe(2);
    }
    // scaled, a column is centred in float64 first
    expect((await kmeans((await pipeline({ scale: 'standard' }).fitTransform(tableFromArrays({ a: Float64Array.from(far) }))).dataset, { k: 2, seed: 1, threads: 1 })).k).toBe(2);
    // a fitted model scores a batch of two close customers (their range is tiny, not the model's)
    const seconds = [1.7e9, 1.7e9 + 3.15e7, 1.7e9 + 1e7, 1.7e9 + 2e7];
    const model = await kmeans(fromColumns({ columns: [Float64Array.from(seconds)], names: ['last_seen'] }), { k: 2, seed: 1, threads: 1 });
    expect((await model.predict([[1.7e9 + 1000], [1.7e9 + 4000]], { threads: 1 })).length).toBe(2);
  });

  it('fits refuse a prepared column of 64-bit integers that float64 made coarse (2^64 - 1 - i all become 2^64); scoring does not', async () => {
    const { kmeans } = await import('../src/core/kmeans.js');
    const { pipeline } = await import('../src/prep/pipeline.js');
    const { fastTransform } = await import('../src/prep/fastTransform.js');
    const near = [0, 10, 20.9, 5, 1, 11];
    // distinct integers that float64 rounds to one value: 2^64 - 1 ... 2^64 - 6 (UInt64), -(2^63) + 1 ... + 6 (Int64)
    const top = BigUint64Array.from(near, (_, i) => 2n ** 64n - 1n - BigInt(i));
    const bottom = BigInt64Array.from(near, (_, i) => -(2n ** 63n) + 1n + BigInt(i));
    expect(new Set(Array.from(top, Number)).size).toBe(1);
    for (const [values, span] of [[top, '18446744073709551610 to 18446744073709551615'], [bottom, '-9223372036854775807 to -9223372036854775802']] as const) {
      const table = new Table({ b: vectorFromArray(near, new Float64()), u: makeVector(values) });
      for (const scale of ['standard', 'none'] as const) {
        const { dataset } = await pipeline({ scale }).fitTransform(table);
        const e = await kmeans(dataset, { k: 2, seed: 1, threads: 1 }).then(() => undefined, (error: unknown) => error as SegkitError);
        expect(e?.code).toBe('E_PRECISION');
        expect(e?.message).toBe(`column "u": float64 moves its values by up to 6.0, while they span only ${span}: their differences would be lost (subtract a baseline from the column)`);
      }
    }
    // nulls are skipped, whatever their slots hold
    const withNull = new Table({ b: vectorFromArray(near, new Float64()), u: vectorFromArray([...Array.from(top.subarray(0, 5)), null], new Uint64()) });
    expect((await pipeline({ impute: 'median' }).fitTransform(withNull).then(({ dataset }) => kmeans(dataset, { k: 2, seed: 1, threads: 1 })).catch((error: unknown) => error)) as SegkitError).toMatchObject({ code: 'E_PRECISION', message: expect.stringContaining('span only 18446744073709551611 to 18446744073709551615') });
    // past 2^53 but spread far wider than float64's steps (2^60 + 2^40 i), or up to 2^53 exactly: fitted
    for (const values of [BigInt64Array.from(near, (_, i) => 2n ** 60n + 2n ** 40n * BigInt(i)), BigUint64Array.from(near, (_, i) => 2n ** 53n - BigInt(i))]) {
      const table = new Table({ b: vectorFromArray(near, new Float64()), u: makeVector(values) });
      const prep = pipeline({ scale: 'standard' });
      expect((await kmeans((await prep.fitTransform(table)).dataset, { k: 2, seed: 1, threads: 1 })).k).toBe(2);
      // a model fitted on them scores the coarse column, step by step and in one pass, to the same values
      const coarse = new Table({ b: vectorFromArray(near, new Float64()), u: makeVector(top) });
      const stepwise = (await prep.transform(coarse)).dataset;
      expect(fastTransform(prep, coarse).dataset.columns).toEqual(stepwise.columns);
      expect(new Set(stepwise.columns[1]).size).toBe(1);
    }
  });

  it('the library paths refuse the same coarse 64-bit column: an Arrow table, Parquet INT64 read back, and records of bigints', async () => {
    const { kmeans } = await import('../src/core/kmeans.js');
    const { pipeline } = await import('../src/prep/pipeline.js');
    const { readParquet } = await import('../src/data/readParquet.js');
    const { writeParquet } = await import('../src/data/writeParquet.js');
    const near = [0, 10, 20.9, 5, 1, 11];
    // 2^60 + 1, 2 + ... : six distinct integers, every one 2^60 as a float64 (which steps by 256 there)
    const u = BigInt64Array.from(near, (_, i) => 2n ** 60n + 1n + BigInt(i));
    expect(new Set(Array.from(u, Number)).size).toBe(1);
    const table = new Table({ b: vectorFromArray(near, new Float64()), u: makeVector(u) });
    const message = 'column "u": float64 moves its values by up to 6.0, while they span only 1152921504606846977 to 1152921504606846982: their differences would be lost (subtract a baseline from the column)';
    const refused = async (data: Parameters<typeof kmeans>[0]) => {
      const e = await kmeans(data, { k: 2, seed: 1, threads: 1 }).then(() => undefined, (error: unknown) => error as SegkitError);
      expect(e).toBeInstanceOf(SegkitError);
      expect([e?.code, e?.message]).toEqual(['E_PRECISION', message]);
    };
    // kmeans(table) and fromArrow(table) made one constant column of it and fitted the other alone
    await refused(table);
    await refused(fromArrow(table));
    await refused(toDataset(table));
    const parquet = await readParquet(await writeParquet(table));
    expect(String(parquet.getChild('u')!.type)).toBe('Int64');
    await refused(parquet);
    // records of bigints, through the prep steps, as an Arrow column is
    const records = near.map((b, i) => ({ b, u: u[i] }));
    await refused((await pipeline({ scale: 'none' }).fitTransform(records)).dataset);
    await refused((await pipeline({ scale: 'standard' }).fitTransform(records)).dataset);
    // nulls and numbers beside the bigints: a record missing the value, one holding a small number
    const mixed = [...records.slice(0, 5), { b: 11, u: null }];
    const e = await pipeline({ impute: 'median' }).fitTransform(mixed).then(({ dataset }) => kmeans(dataset, { k: 2, seed: 1, threads: 1 })).catch((error: unknown) => error);
    expect(e).toMatchObject({ code: 'E_PRECISION', message: expect.stringContaining('span only 1152921504606846977 to 1152921504606846981') });
    // spread wider than float64's steps there (2^60 + 2^40 i), in a table or records: fitted as before
    const wide = BigInt64Array.from(near, (_, i) => 2n ** 60n + 2n ** 40n * BigInt(i));
    const wideTable = new Table({ b: vectorFromArray(near, new Float64()), u: makeVector(wide) });
    expect((await kmeans(wideTable, { k: 2, seed: 1, threads: 1 })).k).toBe(2);
    expect((await kmeans((await pipeline({ scale: 'standard' }).fitTransform(near.map((b, i) => ({ b, u: wide[i] })))).dataset, { k: 2, seed: 1, threads: 1 })).k).toBe(2);
    // and a model scores the coarse table, as any batch
    const model = await kmeans(wideTable, { k: 2, seed: 1, threads: 1 });
    expect((await model.predict(table, { threads: 1 })).length).toBe(6);
  });
});
