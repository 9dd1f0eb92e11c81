// Tables of no column or no row through the writers and back: the same shape, or an error, never another shape.
import { describe, expect, it } from 'vitest';
import { Int32, makeData, RecordBatch, Schema, Struct, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { readArrow, readCsv, readJson, readNdjson, readParquet, writeArrow, writeCsv, writeJson, writeParquet } from '../src/index.node.js';

/** `rows` rows of no column. */
const noColumns = (rows: number) => new Table([new RecordBatch(new Schema([]), makeData({ type: new Struct([]), length: rows, nullCount: 0, children: [] }))]);
const shape = (t: Table) => [t.numCols, t.numRows];

describe('a table of rows but no column', () => {
  it('is refused by writeParquet, whose footer would say 0 rows', async () => {
    await expect(writeParquet(noColumns(3))).rejects.toMatchObject({ code: 'E_EMPTY_DATA', message: expect.stringContaining('3 rows but no columns') });
    // no rows and no columns stays that
    expect(shape(await readParquet(await writeParquet(noColumns(0))))).toEqual([0, 0]);
  });

  it('written as JSON records ({} each) is refused when read, not read as no rows', async () => {
    const json = writeJson(noColumns(3));
    expect(JSON.parse(json)).toEqual([{}, {}, {}]);
    await expect(readJson(json)).rejects.toMatchObject({ code: 'E_EMPTY_DATA', message: 'the records have no fields' });
    await expect(readJson([{}, {}])).rejects.toMatchObject({ code: 'E_EMPTY_DATA' });
    await expect(readNdjson(writeJson(noColumns(2), { format: 'ndjson' }))).rejects.toMatchObject({ code: 'E_EMPTY_DATA' });
    // a field in any record makes the column, null in the others
    expect((await readJson('[{}, {"a": 1}, {}]')).toArray().map((r) => r.toJSON())).toEqual([{ a: null }, { a: 1 }, { a: null }]);
  });

  it('is refused, never read back as another shape, by the other formats', async () => {
    await expect(readCsv(writeCsv(noColumns(3)))).rejects.toMatchObject({ code: 'E_EMPTY_DATA' });
    await expect(readJson(writeJson(noColumns(3), { format: 'columns' }))).rejects.toMatchObject({ code: 'E_EMPTY_DATA' });
    await expect(readArrow(await writeArrow(noColumns(3)))).rejects.toMatchObject({ code: 'E_PARSE' });
  });
});

describe('a table of columns but no row', () => {
  const empty = new Table({ id: vectorFromArray([], new Int32()), name: vectorFromArray([], new Utf8()) });
  it('keeps its columns through CSV, JSON columns, Parquet and Arrow', async () => {
    for (const back of [await readCsv(writeCsv(empty)), await readJson(writeJson(empty, { format: 'columns' })), await readParquet(await writeParquet(empty)), await readArrow(await writeArrow(empty))]) {
      expect(back.schema.fields.map((f) => f.name)).toEqual(['id', 'name']);
      expect(back.numRows).toBe(0);
    }
    // Parquet and Arrow keep the types too
    for (const back of [await readParquet(await writeParquet(empty)), await readArrow(await writeArrow(empty))]) expect(back.schema.fields.map((f) => String(f.type))).toEqual(['Int32', 'Utf8']);
  });

  it('as JSON records or NDJSON (no names left) is refused when read', async () => {
    await expect(readJson(writeJson(empty))).rejects.toMatchObject({ code: 'E_EMPTY_DATA' });
    await expect(readNdjson(writeJson(empty, { format: 'ndjson' }))).rejects.toMatchObject({ code: 'E_EMPTY_DATA' });
  });
});
