import { describe, expect, it } from 'vitest';
import { tableFromArrays } from 'apache-arrow';
import { readArrow, readCsv, readJson, readParquet, writeArrow, writeCsv, writeJson, writeParquet, fromArrow } from '../src/index.js';

// A sliced Arrow table shares its parent's buffers with an offset: every writer must honour it exactly once.
const parent = tableFromArrays({
  f32: Float32Array.from([0.5, 1.5, 2.5, 3.5, 4.5, 5.5]),
  f64: Float64Array.from([10, 11, 12, 13, 14, 15]),
  i32: Int32Array.from([20, 21, 22, 23, 24, 25]),
});
const slice = parent.slice(2, 5);
const want = { f32: [2.5, 3.5, 4.5], f64: [12, 13, 14], i32: [22, 23, 24] };
const cols = (t: { getChild(n: string): { toArray(): ArrayLike<number> } | null }) =>
  Object.fromEntries(Object.keys(want).map((k) => [k, Array.from(t.getChild(k)!.toArray(), Number)]));

describe('writers on sliced Arrow tables', () => {
  it.each([
    ['Parquet', async () => readParquet(await writeParquet(slice))],
    ['Arrow IPC', async () => readArrow(await writeArrow(slice))],
    ['CSV', async () => readCsv(writeCsv(slice))],
    ['JSON', async () => readJson(writeJson(slice))],
  ])('%s round-trips exactly the sliced rows', async (_, roundTrip) => {
    expect(cols(await roundTrip())).toEqual(want);
  });

  it('a Dataset from the slice holds the sliced rows', () => {
    expect(Array.from(fromArrow(slice).columns[0])).toEqual(want.f32);
  });
});
