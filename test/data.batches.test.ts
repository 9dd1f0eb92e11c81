// Columns added beside a table of several record batches (an Arrow or Feather file written in chunks): the table's own
// columns come out exactly as they went in, whatever their type.
import { describe, expect, it } from 'vitest';
import { DateDay, Dictionary, Float16, Int8, LargeUtf8, RecordBatch, Struct, Table, TimestampMicrosecond, Utf8, makeData, makeVector, tableFromIPC, tableToIPC, vectorFromArray } from 'apache-arrow';
import { withColumns } from '../src/data/withColumns.js';
import { withSegments } from '../src/cli/withSegments.js';
import { withProbabilities, withoutProbabilities } from '../src/cli/probaColumns.js';

const n = 6;
const micros = BigInt64Array.of(1_577_836_800_123_457n, 1n, -999n, 0n, 1_700_000_000_000_001n, 42n);
const whole = new Table({
  tier: vectorFromArray(['gold', null, 'silver', 'bronze', 'gold', 'silver'], new Dictionary(new Utf8(), new Int8())),
  half: vectorFromArray([1.5, null, 0.25, -2, 65504, 0.0999755859375], new Float16()),
  joined: vectorFromArray([Date.UTC(2020, 0, 2), null, Date.UTC(1960, 5, 1), 0, Date.UTC(2024, 1, 29), Date.UTC(2000, 0, 1)].map((t) => (t === null ? null : new Date(t))), new DateDay()),
  note: vectorFromArray(['a', 'ü', null, '', 'long text', 'z'], new LargeUtf8()),
  seen: makeVector(makeData({ type: new TimestampMicrosecond('UTC'), length: n, nullCount: 0, data: micros })),
});
// the same rows in three batches, as a file written in chunks reads back
const batch = whole.batches[0];
const chunked = new Table([batch.slice(0, 2), batch.slice(2, 5), batch.slice(5, 6)]);
const columns = ['tier', 'half', 'joined', 'note', 'seen'];
const cells = (t: Table, name: string) => Array.from({ length: t.numRows }, (_, i) => t.getChild(name)!.get(i));
const rawMicros = (t: Table) => t.getChild('seen')!.data.flatMap((d) => Array.from(d.values as BigInt64Array));

describe('columns added to a table of several batches', () => {
  it('the test table really has three batches', () => {
    expect(chunked.batches.length).toBe(3);
    expect(cells(chunked, 'tier')).toEqual(['gold', null, 'silver', 'bronze', 'gold', 'silver']);
  });

  it('a dictionary with Int8 keys (pandas categoricals) and a Float16 column keep their values, not just their types', () => {
    const two = new Table([0, 1, 2].map((b) => chunked.batches[b].select(['tier', 'half'])));
    const out = withColumns(two, { s: new Int32Array(n) });
    expect(cells(out, 'tier')).toEqual(['gold', null, 'silver', 'bronze', 'gold', 'silver']);
    expect(cells(out, 'half')).toEqual([1.5, null, 0.25, -2, 65504, 0.0999755859375]);
  });

  it('withColumns keeps dictionary, Float16, date, large text and microsecond columns as they were', () => {
    const out = withColumns(chunked, { segment: Int32Array.of(0, 1, 2, 0, 1, 2), name: ['a', 'b', null, 'a', 'b', 'c'] });
    for (const name of columns) expect(cells(out, name)).toEqual(cells(whole, name));
    expect(rawMicros(out)).toEqual(Array.from(micros));
    expect(cells(out, 'segment')).toEqual([0, 1, 2, 0, 1, 2]);
    expect(cells(out, 'name')).toEqual(['a', 'b', null, 'a', 'b', 'c']);
    expect(out.schema.fields.map((f) => String(f.type))).toEqual([...whole.schema.fields.map((f) => String(f.type)), 'Int32', 'Utf8']);
  });

  it.each([false, true])('segment and probability columns (names as a dictionary: %s) survive an Arrow file round trip', (dictionary) => {
    const labels = Int32Array.of(1, 0, -1, 1, 0, 1);
    let out = withSegments(withoutProbabilities(chunked, 'segment'), labels, ['Low', 'High'], 'segment', undefined, { dictionary });
    out = withProbabilities(out, Float64Array.from({ length: 2 * n }, (_, i) => i / 16), 2, 'segment');
    const back = tableFromIPC(tableToIPC(out, 'file'));
    for (const name of columns) expect(cells(back, name)).toEqual(cells(whole, name));
    expect(rawMicros(back)).toEqual(Array.from(micros));
    expect(cells(back, 'segment_name')).toEqual(['High', 'Low', null, 'High', 'Low', 'High']);
    expect(cells(back, 'segment_proba_1')).toEqual([1, 3, 5, 7, 9, 11].map((i) => i / 16));
  });

  it.each([2, 100])('batches with dictionaries of their own (%i entries each, Int8 keys) become one dictionary an Arrow file holds', (size) => {
    // two batches of one schema, each with its own dictionary (an IPC stream may replace dictionaries batch by batch)
    const words = (tag: string) => Array.from({ length: size }, (_, i) => `${tag}${i}`);
    const type = new Dictionary(new Utf8(), new Int8());
    const batchOf = (values: (string | null)[]) => new Table({ cat: vectorFromArray(values, type) }).batches[0];
    const first = [...words('a'), null], second = [...words('b').reverse(), 'a0'];
    const one = batchOf(first);
    // the second batch: the first's schema (and dictionary id), its own dictionary
    const own = batchOf(second).data.children[0];
    const cat = makeData({ type: one.schema.fields[0].type as Dictionary<Utf8, Int8>, length: second.length, nullCount: own.nullCount, nullBitmap: own.nullBitmap, data: own.values as Int8Array, dictionary: own.dictionary! });
    const two = new RecordBatch(one.schema, makeData({ type: new Struct(one.schema.fields), length: second.length, nullCount: 0, children: [cat] }));
    const table = new Table([one, two]);
    expect(table.getChild('cat')!.data[0].dictionary).not.toBe(table.getChild('cat')!.data[1].dictionary);
    const out = withColumns(table, { s: new Int32Array(table.numRows) });
    const back = tableFromIPC(tableToIPC(out, 'file'));
    expect(cells(back, 'cat')).toEqual([...first, ...second]);
    // 2 x 100 entries do not fit Int8 keys: the one dictionary has Int32 keys
    expect(String(back.schema.fields[0].type)).toBe(size === 2 ? 'Dictionary<Int8, Utf8>' : 'Dictionary<Int32, Utf8>');
  });

  it('an empty batch among them changes nothing', () => {
    const withEmpty = new Table([batch.slice(0, 0), ...chunked.batches, batch.slice(6, 6)]);
    const out = withColumns(withEmpty, { s: Int32Array.of(1, 2, 3, 4, 5, 6) });
    for (const name of columns) expect(cells(out, name)).toEqual(cells(whole, name));
    expect(cells(out, 's')).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a table with no batch at all gets its columns, empty', () => {
    const none = new Table(whole.schema);
    const out = withColumns(none, { s: new Int32Array(0) });
    expect(out.numRows).toBe(0);
    expect(out.schema.fields.map((f) => f.name)).toEqual([...columns, 's']);
  });

  it('the input table is left as it was', () => {
    withColumns(chunked, { s: new Int32Array(n) });
    expect(chunked.batches.length).toBe(3);
    expect(chunked.schema.fields.length).toBe(5);
  });
});
