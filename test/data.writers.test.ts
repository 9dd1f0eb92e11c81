import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Binary,
  Bool,
  DateDay,
  Decimal,
  Dictionary,
  FixedSizeBinary,
  Float32,
  Float64,
  Int8,
  Int32,
  Int64,
  Uint64,
  Table,
  TimestampMicrosecond,
  TimestampMillisecond,
  TimestampNanosecond,
  type DataType,
  TimestampSecond,
  Utf8,
  Field,
  RecordBatch,
  Schema,
  Struct,
  makeData,
  makeVector,
  vectorFromArray,
} from 'apache-arrow';
import { parse as parseSync } from 'csv-parse/sync';
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegkitError } from '../src/util/errors.js';
import { readArrow } from '../src/data/readArrow.js';
import { readCsv } from '../src/data/readCsv.js';
import { readJson } from '../src/data/readJson.js';
import { readNdjson } from '../src/data/readNdjson.js';
import { readParquet } from '../src/data/readParquet.js';
import { readTable } from '../src/data/readTable.node.js';
import { writeArrow } from '../src/data/writeArrow.js';
import { writeCsv } from '../src/data/writeCsv.js';
import { writeJson } from '../src/data/writeJson.js';
import { writeParquet } from '../src/data/writeParquet.js';
import { writeTable } from '../src/data/writeTable.node.js';
import { expectError, failure } from './helpers.js';
import { fromArrow } from '../src/data/dataset.js';

const types = (t: Table) => Object.fromEntries(t.schema.fields.map((f) => [f.name, String(f.type)]));
const values = (t: Table, name: string) => [...t.getChild(name)!].map((v) => v ?? null);

// every type the readers produce, with nulls, awkward text and a column whose floats are all whole
const COLUMNS = {
  id: vectorFromArray([1, 2, 3, -4], new Int32()),
  spend: vectorFromArray([12.5, null, -0.001, 1e21], new Float64()),
  whole: vectorFromArray([1, 2, null, -3], new Float64()),
  ratio: vectorFromArray([0.1, 0.25, null, 1 / 3], new Float32()),
  active: vectorFromArray([true, false, null, true], new Bool()),
  seen: vectorFromArray([Date.UTC(2024, 0, 5, 10, 30, 0, 250), null, Date.UTC(1999, 11, 31), Date.UTC(2024, 1, 29)], new TimestampMillisecond()),
  name: vectorFromArray(['Zürich', 'a,b', 'say "hi"\nbye', null], new Utf8()),
  segment: vectorFromArray(['gold', null, 'silver', 'gold'], new Dictionary(new Utf8(), new Int32())),
};
const sample = () => new Table(COLUMNS);
const NAMES = Object.keys(COLUMNS);

/**
 * Same names, types and values. Text formats carry no Float32 type: there `ratio` is read as a "number"
 * (Float64) and must round to the same Float32 values.
 */
function expectSameTable(actual: Table, expected: Table, text = false) {
  expect(actual.schema.fields.map((f) => f.name)).toEqual(expected.schema.fields.map((f) => f.name));
  expect(types(actual)).toEqual(text ? { ...types(expected), ratio: 'Float64' } : types(expected));
  expect(actual.numRows).toBe(expected.numRows);
  for (const name of NAMES) {
    const want = values(expected, name);
    const got = values(actual, name);
    if (text && name === 'ratio') expect(got.map((v) => (v === null ? null : Math.fround(v as number)))).toEqual(want);
    else expect(got, name).toEqual(want);
  }
}

// what text formats need to be told: JSON cannot tell a category from text, nor 1.0 from 1
const TEXT_TYPES = { segment: 'category', whole: 'number', ratio: 'number' } as const;

describe('round trips: write then read gives the same values and types', () => {
  it('Arrow IPC, file and stream', async () => {
    for (const format of ['file', 'stream'] as const) expectSameTable(await readArrow(await writeArrow(sample(), { format })), sample());
  });

  it('an Arrow file of a dictionary column whose batches have dictionaries of their own (a stream replaces them) holds one dictionary of them all', async () => {
    const tier = (values: string[]) => new Table({ tier: vectorFromArray(values, new Dictionary(new Utf8(), new Int8())), n: vectorFromArray(values.map((_, i) => i), new Int32()) });
    const stream = await writeArrow(tier(['gold', 'silver', 'gold']).concat(tier(['bronze', null as unknown as string, 'gold'])), { format: 'stream' });
    const read = await readArrow(stream);
    expect(new Set(read.getChild('tier')!.data.map((d) => d.dictionary)).size).toBe(2);
    // it was apache-arrow's Error "The Arrow File format does not support replacement dictionaries."
    const back = await readArrow(await writeArrow(read));
    expect(values(back, 'tier')).toEqual(['gold', 'silver', 'gold', 'bronze', null, 'gold']);
    expect(types(back)).toEqual({ tier: 'Dictionary<Int8, Utf8>', n: 'Int32' });
    expect(back.batches.map((b) => b.numRows)).toEqual([3, 3]);
    expect(values(await readArrow(await writeArrow(read, { format: 'stream' })), 'tier')).toEqual(['gold', 'silver', 'gold', 'bronze', null, 'gold']);
  });

  it('an Arrow file of such a column keeps every field\'s nullability and metadata', async () => {
    const schema = new Schema([new Field('tier', new Dictionary(new Utf8(), new Int8()), true, new Map([['unit', 'tier']])), new Field('n', new Int32(), false, new Map([['unit', 'EUR']]))]);
    const batch = (tiers: string[], n: number[]) => new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n.length, nullCount: 0, children: [vectorFromArray(tiers, new Dictionary(new Utf8(), new Int8())).data[0], vectorFromArray(n, new Int32()).data[0]] }));
    const back = await readArrow(await writeArrow(new Table(schema, [batch(['gold', 'silver'], [1, 2]), batch(['bronze'], [3])])));
    expect(values(back, 'tier')).toEqual(['gold', 'silver', 'bronze']);
    // they were all nullable, with no metadata
    expect(back.schema.fields.map((f) => [f.name, f.nullable, Object.fromEntries(f.metadata)])).toEqual([['tier', true, { unit: 'tier' }], ['n', false, { unit: 'EUR' }]]);
  });

  it('an Arrow file of such a column of numbers (a pandas categorical of integers or floats) holds one dictionary too', async () => {
    const coded = <T extends Int32 | Float64>(values: (number | null)[], type: T) => new Table({ c: vectorFromArray(values, new Dictionary(type, new Int8())) });
    const ints = await readArrow(await writeArrow(coded([3, 7, 3], new Int32()).concat(coded([null, 9, 7], new Int32())), { format: 'stream' }));
    // it was E_BAD_OPTION "cannot build an Arrow column of type Dictionary<Int8, Int32>"
    const back = await readArrow(await writeArrow(ints));
    expect(values(back, 'c')).toEqual([3, 7, 3, null, 9, 7]);
    expect(types(back)).toEqual({ c: 'Dictionary<Int8, Int32>' });
    // -0 and NaN stay themselves
    const floats = await readArrow(await writeArrow(coded([0, 1.5], new Float64()).concat(coded([-0, Number.NaN], new Float64())), { format: 'stream' }));
    const read = [...(await readArrow(await writeArrow(floats))).getChild('c')!];
    expect(read.map((v) => Object.is(v, -0))).toEqual([false, false, true, false]);
    expect(read.map(String)).toEqual(['0', '1.5', '0', 'NaN']);
  });

  it('Parquet, dictionaries included', async () => {
    expectSameTable(await readParquet(await writeParquet(sample())), sample());
    expectSameTable(await readParquet(await writeParquet(sample(), { codec: 'UNCOMPRESSED', rowGroupSize: 3 })), sample());
  });

  it('Parquet keeps 64-bit integers exact', async () => {
    const t = new Table({ big: vectorFromArray([2n ** 60n, null, -5n], new Int64()) });
    const back = await readParquet(await writeParquet(t));
    expect(types(back)).toEqual({ big: 'Int64' });
    expect(values(back, 'big')).toEqual([2n ** 60n, null, -5n]);
  });

  it('CSV, inferring the types back without help except for the category', async () => {
    const text = writeCsv(sample(), { escapeFormulas: false });
    expectSameTable(await readCsv(text, { types: { segment: 'category' } }), sample(), true);
    // whole floats keep a decimal point, and Float32 values are written in their shortest form
    const first = parseSync(text, { from_line: 2, to_line: 2 })[0] as string[];
    expect(first.slice(0, 4)).toEqual(['1', '12.5', '1.0', '0.1']);
  });

  it('JSON records, columns and NDJSON', async () => {
    for (const format of ['records', 'columns'] as const) {
      expectSameTable(await readJson(writeJson(sample(), { format }), { types: TEXT_TYPES }), sample(), true);
    }
    expectSameTable(await readNdjson(writeJson(sample(), { format: 'ndjson' }), { types: TEXT_TYPES }), sample(), true);
  });

  it('through files on disk, for every extension', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'segkit-roundtrip-'));
    try {
      for (const ext of ['arrow', 'feather', 'parquet']) {
        await writeTable(join(dir, `t.${ext}`), sample());
        expectSameTable(await readTable(join(dir, `t.${ext}`)), sample());
      }
      for (const ext of ['csv', 'tsv', 'json', 'ndjson', 'jsonl']) {
        // (escapeFormulas is a CSV option: the JSON writers refuse it, as one they would ignore)
        await writeTable(join(dir, `t.${ext}`), sample(), ext === 'csv' || ext === 'tsv' ? { escapeFormulas: false } : {});
        expectSameTable(await readTable(join(dir, `t.${ext}`), { types: TEXT_TYPES }), sample(), true);
      }
      expect((await readFile(join(dir, 't.tsv'), 'utf8')).split('\n')[0]).toBe(NAMES.join('\t'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('decimal columns', () => {
  // decimal128 as databases export amounts: 10.01, -0.05, null, 0 at scale 2; an id as decimal(38, 0) beyond 2^64
  const words = (values: (bigint | null)[]) => {
    const out = new Uint32Array(values.length * 4);
    values.forEach((v, i) => {
      const u = BigInt.asUintN(128, v ?? 0n);
      for (let w = 0; w < 4; w++) out[i * 4 + w] = Number((u >> BigInt(32 * w)) & 0xffffffffn);
    });
    return out;
  };
  const column = (type: Decimal, values: (bigint | null)[]) => makeVector(makeData({
    type, length: values.length, nullCount: values.filter((v) => v === null).length,
    nullBitmap: Uint8Array.of(values.reduce((m, v, i) => (v === null ? m : m | (1 << i)), 0)), data: words(values),
  }));
  const table = () => new Table({
    amount: column(new Decimal(2, 10, 128), [1001n, -5n, null, 0n]),
    account: column(new Decimal(0, 38, 128), [123456789012345678901234567890n, -1n, 7n, null]),
    x: vectorFromArray([1, 2, 3, 4], new Float64()),
  });

  it('are written as the numbers they hold, in every format', async () => {
    const rows = parseSync(writeCsv(table())) as string[][];
    expect(rows).toEqual([['amount', 'account', 'x'], ['10.01', '123456789012345678901234567890', '1.0'], ['-0.05', '-1', '2.0'], ['', '7', '3.0'], ['0.0', '', '4.0']]);
    expect(JSON.parse(writeJson(table()))).toEqual([
      { amount: 10.01, account: '123456789012345678901234567890', x: 1 },
      { amount: -0.05, account: '-1', x: 2 },
      { amount: null, account: '7', x: 3 },
      { amount: 0, account: null, x: 4 },
    ]);
    // in several batches (chunks), and sliced
    const two = table().concat(table());
    expect((parseSync(writeCsv(two)) as string[][]).slice(1).map((r) => r[0])).toEqual(['10.01', '-0.05', '', '0.0', '10.01', '-0.05', '', '0.0']);
    expect([...(await readArrow(await writeArrow(two))).getChild('amount')!]).toEqual([10.01, -0.05, null, 0, 10.01, -0.05, null, 0]);
    expect((parseSync(writeCsv(two.slice(1, 6))) as string[][]).slice(1).map((r) => r[1])).toEqual(['-1', '7', '', '123456789012345678901234567890', '-1']);
    const back = await readParquet(await writeParquet(table()));
    expect(back.getChild('amount')!.toArray()).toEqual(Float64Array.of(10.01, -0.05, 0, 0));
    expect(back.getChild('account')!.get(0)).toBe('123456789012345678901234567890');
  });

  it('are read from Arrow IPC as Float64 up to 15 digits or with fraction digits, exact text otherwise, and are features', async () => {
    const t = await readArrow(await writeArrow(table()));
    expect(String(t.schema.fields[0].type)).toBe('Float64');
    expect(String(t.schema.fields[1].type)).toBe('Utf8');
    expect([...t.getChild('amount')!]).toEqual([10.01, -0.05, null, 0]);
    expect([...t.getChild('account')!]).toEqual(['123456789012345678901234567890', '-1', '7', null]);
    expect(Array.from(fromArrow(await readArrow(await writeArrow(new Table({ amount: column(new Decimal(2, 10, 128), [1001n, -5n, 250n, 0n]) })))).columns[0])).toEqual([10.01, -0.05, 2.5, 0].map(Math.fround));
    // a wide type with fraction digits (Spark's and warehouses' decimal(38, 2) for money) is an amount: read as a
    // number, as the Parquet reader and a pipeline read it, a value of more digits than a float64 holds refused
    const money = (values: bigint[]) => new Table({ spend: column(new Decimal(2, 38, 128), values), account: column(new Decimal(0, 38, 128), values) });
    const wide = await readArrow(await writeArrow(money([1001n, -5n, 123456789012345n])));
    expect(wide.schema.fields.map((f) => String(f.type))).toEqual(['Float64', 'Utf8']);
    expect([...wide.getChild('spend')!]).toEqual([10.01, -0.05, 1234567890123.45]);
    expect([...wide.getChild('account')!]).toEqual(['1001', '-5', '123456789012345']);
    const bytes = await writeArrow(money([1001n, 1234567890123456789n]));
    const tooWide = await failure(() => readArrow(bytes));
    expect([tooWide.code, tooWide.message]).toEqual(['E_PARSE', 'column "spend" holds 12345678901234567.89: more than the 15 digits a float64 holds']);
    // as the Parquet reader: a value of more digits within 2 ulps of a 15-digit decimal is that decimal (a difference in
    // the last bit of a float64), while 1/3 to 18 places holds digits a float64 rounds away
    const ratio = (values: bigint[]) => new Table({ r: column(new Decimal(18, 38, 128), values) });
    expect([...(await readArrow(await writeArrow(ratio([300000000000000001n, 1500000000000000000n])))).getChild('r')!]).toEqual([0.3, 1.5]);
    const third = await failure(async () => readArrow(await writeArrow(ratio([333333333333333333n]))));
    expect([third.code, third.message]).toEqual(['E_PARSE', 'column "r" holds 0.333333333333333333: more than the 15 digits a float64 holds']);
    // the writers keep such a value exact
    expect((parseSync(writeCsv(money([1234567890123456789n]))) as string[][])[1]).toEqual(['12345678901234567.89', '1234567890123456789']);
    // a table made elsewhere keeps its decimals: a dataset of it is refused, naming the readers that convert them
    const e = await failure(async () => fromArrow(table(), { columns: ['amount'] }));
    expect(e.code).toBe('E_NON_NUMERIC');
    expect(e.hint).toContain('read decimals as numbers');
  });
});

describe('unsigned 64-bit columns', () => {
  it('keep ids of 2^63 and above through Parquet, CSV and JSON', async () => {
    const ids = [2n ** 63n, 2n ** 64n - 1n, 5n];
    const t = new Table({ id: makeVector(BigUint64Array.from(ids)), x: vectorFromArray([1, 2, 3], new Float64()) });
    expect(String(t.schema.fields[0].type)).toBe(String(new Uint64()));
    const back = await readParquet(await writeParquet(t));
    expect(String(back.schema.fields[0].type)).toBe('Uint64');
    expect([...back.getChild('id')!]).toEqual(ids);
    expect((parseSync(writeCsv(back)) as string[][]).slice(1).map((r) => r[0])).toEqual(['9223372036854775808', '18446744073709551615', '5']);
    expect((JSON.parse(writeJson(back)) as { id: unknown }[]).map((r) => r.id)).toEqual(['9223372036854775808', '18446744073709551615', 5]);
  });
});

describe('binary columns', () => {
  it('keep their bytes through Parquet, UTF-8 or not (they were written as hex text, and bytes not UTF-8 read back as U+FFFD)', async () => {
    const ids = [new TextEncoder().encode('cust-1'), null, Uint8Array.of(0xff, 0x00, 0x41), Uint8Array.of()];
    const t = new Table({ id: vectorFromArray(ids, new Binary()), x: vectorFromArray([1, 2, 3, 4], new Float64()) });
    const back = await readParquet(await writeParquet(t));
    expect(String(back.schema.fields[0].type)).toBe('Binary');
    expect([...back.getChild('id')!].map((v) => (v ? Array.from(v as Uint8Array) : v))).toEqual([[99, 117, 115, 116, 45, 49], null, [255, 0, 65], []]);
  });

  it('dictionary-encoded, keep their bytes through Parquet (they were written as their byte values joined by commas)', async () => {
    const ids = [new TextEncoder().encode('cust-1'), null, Uint8Array.of(0xff, 0x00, 0x41), new TextEncoder().encode('cust-1')];
    const t = new Table({ id: vectorFromArray(ids, new Dictionary(new Binary(), new Int32())) });
    const back = await readParquet(await writeParquet(t));
    expect(String(back.schema.fields[0].type)).toBe('Binary');
    expect([...back.getChild('id')!].map((v) => (v ? Array.from(v as Uint8Array) : v))).toEqual([[99, 117, 115, 116, 45, 49], null, [255, 0, 65], [99, 117, 115, 116, 45, 49]]);
  });

  it('are written to CSV and JSON as the text rfm and joinCustomers read them: UTF-8 text, else hexadecimal (UTF-8 ids were hex)', () => {
    const ids = [new TextEncoder().encode('cust-1'), null, Uint8Array.of(0xff, 0x00, 0x41)];
    const t = new Table({ id: vectorFromArray(ids, new Binary()) });
    expect((parseSync(writeCsv(t)) as string[][]).map((r) => r[0])).toEqual(['id', 'cust-1', '', 'ff0041']);
    expect((JSON.parse(writeJson(t)) as { id: unknown }[]).map((r) => r.id)).toEqual(['cust-1', null, 'ff0041']);
  });

  it('dictionary-encoded, are written as the same text, not as the JSON of their bytes ({"0":99,...})', () => {
    const ids = [new TextEncoder().encode('cust-1'), null, Uint8Array.of(0xff, 0x00, 0x41), new TextEncoder().encode('cust-1')];
    const t = new Table({ id: vectorFromArray(ids, new Dictionary(new Binary(), new Int32())) });
    expect((parseSync(writeCsv(t)) as string[][]).map((r) => r[0])).toEqual(['id', 'cust-1', '', 'ff0041', 'cust-1']);
    expect((JSON.parse(writeJson(t)) as { id: unknown }[]).map((r) => r.id)).toEqual(['cust-1', null, 'ff0041', 'cust-1']);
  });
});

describe('writeCsv', () => {
  const cells = (text: string) => parseSync(text, { relax_column_count: true }) as string[][];

  it('prefixes text that a spreadsheet would run as a formula, and never alters numbers', () => {
    // text that is a signed number ("-1.50", "+1") is a number to a spreadsheet: written as it is, as numbers are
    const risky = ['=1+2', '+1', '-1+2', '@SUM(A1)', '\tx', '\rx', 'plain', '＝1', 'a=b', '-1.50', '-1E5', '-', '-.5x'];
    const t = new Table({
      text: vectorFromArray(risky, new Utf8()),
      num: vectorFromArray([-5, -2.5, 3, -0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9], new Float64()),
      int: vectorFromArray([-1, -2, -3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], new Int32()),
    });
    const rows = cells(writeCsv(t)).slice(1);
    expect(rows.map((r) => r[0])).toEqual(["'=1+2", '+1', "'-1+2", "'@SUM(A1)", "'\tx", "'\rx", 'plain', "'＝1", 'a=b', '-1.50', '-1E5', "'-", "'-.5x"]);
    // a decimal comma and infinities too; a sign before anything else is still escaped
    const more = ['-4,78', '+,5', '-Infinity', '+Infinity', '-Inf', '+cmd|x'];
    expect((parseSync(writeCsv(new Table({ text: vectorFromArray(more, new Utf8()) }), { delimiter: ';' }), { delimiter: ';' }) as string[][]).slice(1).map((r) => r[0])).toEqual(['-4,78', '+,5', '-Infinity', '+Infinity', "'-Inf", "'+cmd|x"]);
    expect(rows.map((r) => r[1])).toEqual(['-5.0', '-2.5', '3.0', '-0.5', '1.0', '2.0', '3.0', '4.0', '5.0', '6.0', '7.0', '8.0', '9.0']);
    expect(rows.map((r) => r[2])).toEqual(['-1', '-2', '-3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13']);
    // and the cells stay as they are when escaping is turned off
    expect(cells(writeCsv(t, { escapeFormulas: false })).slice(1).map((r) => r[0])).toEqual(risky);
  });

  it('escapes a formula behind a byte order mark, as the records written as read escape it', () => {
    // text keeps a leading U+FEFF; a reader that drops it (Excel, TextDecoder) sees the formula behind it
    const texts = ['\ufeff=1+1', '\ufeff@x', '\ufeff-5', '\ufeffplain', '\ufeff'];
    const expected = ["'\ufeff=1+1", "'\ufeff@x", '\ufeff-5', '\ufeffplain', '\ufeff'];
    for (const type of [new Utf8(), new Dictionary(new Utf8(), new Int32())]) {
      const text = writeCsv(new Table({ note: vectorFromArray(texts, type) }));
      expect(text.split('\n').slice(1, -1)).toEqual(expected);
    }
  });

  it('quotes a one-column cell or header of only spaces and tabs, a blank line pandas.read_csv skips (fixtures/pandas_blank_cells.py)', async () => {
    const pandas = (JSON.parse(await readFile(new URL('./fixtures/pandas-blank-cells.json', import.meta.url), 'utf8')) as { cases: Record<string, { text: string; header: string[]; cells: string[] }> }).cases;
    // pandas reads the quoted text's cells back, and drops the unquoted lines (and takes the next line for a blank header)
    expect(pandas.unquoted.cells).toEqual(['x', 'y']);
    expect(pandas.header_unquoted.header).toEqual(['x']);
    for (const [eol, name] of [['\n', 'quoted'], ['\r\n', 'quoted_crlf']] as const) {
      const cells = pandas[name].cells;
      for (const type of [new Utf8(), new Dictionary(new Utf8(), new Int32())]) {
        // (a cell beginning with a tab is a formula to escape by default)
        const written = writeCsv(new Table({ a: vectorFromArray(cells, type) }), { eol, escapeFormulas: false });
        expect(written).toBe(pandas[name].text);
        expect([...(await readCsv(written, { nullValues: [] })).getChild('a')!]).toEqual(cells);
      }
    }
    const header = writeCsv(new Table({ ' ': vectorFromArray(['x'], new Utf8()) }));
    expect(header).toBe(pandas.header_quoted.text);
    expect(pandas.header_quoted).toMatchObject({ header: [' '], cells: ['x'] });
    // beside another column the line is not blank, and a cell holding more than white space is not quoted
    expect(writeCsv(new Table({ a: vectorFromArray([' ', ' x'], new Utf8()), b: vectorFromArray([1, 2], new Int32()) }))).toBe('a,b\n ,1\n x,2\n');
    expect(writeCsv(new Table({ a: vectorFromArray([' x', null, ''], new Utf8()) }))).toBe('a\n x\n""\n""\n');
  });

  it('escapes a formula in a header name and in a category', () => {
    const t = new Table({ '=cmd': vectorFromArray(['@x'], new Dictionary(new Utf8(), new Int32())) });
    expect(cells(writeCsv(t))).toEqual([["'=cmd"], ["'@x"]]);
  });

  it('writes null as an empty cell, NaN and infinities by name, booleans as true/false, whole-day timestamps as dates', async () => {
    const t = new Table({
      x: vectorFromArray([NaN, Infinity, -Infinity, null], new Float64()),
      b: vectorFromArray([true, false, null, true], new Bool()),
      d: vectorFromArray([Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2), null, Date.UTC(2024, 0, 3)], new TimestampMillisecond()),
    });
    const text = writeCsv(t);
    expect(text).toBe('x,b,d\nNaN,true,2024-01-01\nInfinity,false,2024-01-02\n-Infinity,,\n,true,2024-01-03\n');
    // NaN is a missing-value token by default; without it, NaN reads back as NaN
    expect(values(await readCsv(text), 'x')).toEqual([null, Infinity, -Infinity, null]);
    const back = await readCsv(text, { nullValues: [''] });
    expect(values(back, 'x')).toEqual([NaN, Infinity, -Infinity, null]);
    expect(types(back)).toEqual({ x: 'Float64', b: 'Bool', d: 'Timestamp<MILLISECOND>' });
  });

  it('honours delimiter, header, eol and bom', () => {
    const t = new Table({ a: vectorFromArray([1, 2], new Int32()), b: vectorFromArray(['x;y', 'z'], new Utf8()) });
    expect(writeCsv(t, { delimiter: ';', header: false, eol: '\r\n', bom: true })).toBe('\ufeff1;"x;y"\r\n2;z\r\n');
    expect(() => writeCsv(t, { eol: '\t' as never })).toThrow(/"eol"/);
  });
});

describe('writeJson', () => {
  it('writes timestamps as ISO text, non-finite numbers as null and big integers exactly', () => {
    const t = new Table({
      at: vectorFromArray([Date.UTC(2024, 4, 1, 12, 0, 0, 5), null], new TimestampMillisecond()),
      x: vectorFromArray([NaN, 1.5], new Float64()),
      big: vectorFromArray([2n ** 60n, 7n], new Int64()),
    });
    expect(JSON.parse(writeJson(t))).toEqual([
      { at: '2024-05-01T12:00:00.005Z', x: null, big: String(2n ** 60n) },
      { at: null, x: 1.5, big: 7 },
    ]);
    expect(JSON.parse(writeJson(t, { format: 'columns' }))).toEqual({
      columns: { at: ['2024-05-01T12:00:00.005Z', null], x: [null, 1.5], big: [String(2n ** 60n), 7] },
    });
    expect(writeJson(t, { format: 'ndjson' }).split('\n')).toHaveLength(3);
  });

  it('writeJson and writeCsv refuse a timestamp beyond the dates ISO 8601 text can hold, naming its row and column', () => {
    const seconds = makeVector(makeData({ type: new TimestampSecond(), length: 3, nullCount: 0, data: BigInt64Array.of(0n, 86_400n, 10n ** 13n) }));
    const days = makeVector(makeData({ type: new DateDay(), length: 2, nullCount: 0, data: Int32Array.of(1, 2_147_483_647) }));
    for (const [t, message] of [
      [new Table({ id: vectorFromArray(['a', 'b', 'c'], new Utf8()), seen: seconds }), 'row 2, column "seen"'],
      [new Table({ joined: days }), 'row 1, column "joined"'],
    ] as const) {
      for (const write of [() => writeJson(t), () => writeJson(t, { format: 'ndjson' }), () => writeCsv(t)]) {
        let error: unknown;
        try {
          write();
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(SegkitError);
        expect((error as SegkitError).code).toBe('E_PRECISION');
        expect((error as SegkitError).message).toContain(message);
      }
    }
    // the last date ECMAScript holds is written as before
    const last = makeVector(makeData({ type: new TimestampMillisecond(), length: 1, nullCount: 0, data: BigInt64Array.of(8_640_000_000_000_000n) }));
    expect(writeJson(new Table({ t: last }))).toBe('[{"t":"+275760-09-13"}]');
    // whole days of years past 9999 or before 0 keep their day
    const far = makeVector(makeData({ type: new DateDay(), length: 2, nullCount: 0, data: Int32Array.of(2_932_897, -719_529) }));
    expect(writeJson(new Table({ d: far }))).toBe('[{"d":"+010000-01-01"},\n{"d":"-000001-12-31"}]');
  });

  it('writeParquet keeps a timestamp beyond the dates ISO 8601 text holds, and readParquet reads it back', async () => {
    // 9 * 10^12 s either side of 1970: past the years a JavaScript Date holds (the E_PRECISION hint names Parquet)
    const seconds = makeVector(makeData({ type: new TimestampSecond(), length: 4, nullCount: 0, data: BigInt64Array.of(9n * 10n ** 12n, -9n * 10n ** 12n, 86_400n, 8_640_000_000_000n) }));
    const back = await readParquet(await writeParquet(new Table({ seen: seconds })));
    expect(back.getChild('seen')!.type.toString()).toBe('Timestamp<MILLISECOND>');
    expect([...back.getChild('seen')!]).toEqual([9e15, -9e15, 86_400_000, 8.64e15]);
  });

  it('writeParquet writes a dictionary whose own entry is null (no validity bit says so) as nulls', async () => {
    const codes = makeData({ type: new Dictionary(new Utf8(), new Int32()), length: 4, nullCount: 0, data: Int32Array.of(0, 1, 0, 1), dictionary: vectorFromArray([null, 'b'], new Utf8()) });
    const t = new Table({ tier: makeVector(codes), n: vectorFromArray([1, 2, 3, 4], new Int32()) });
    // as writeJson writes it
    expect(JSON.parse(writeJson(t)).map((r: { tier: string | null }) => r.tier)).toEqual([null, 'b', null, 'b']);
    const back = await readParquet(await writeParquet(t));
    expect([...back.getChild('tier')!]).toEqual([null, 'b', null, 'b']);
    expect([...back.getChild('n')!]).toEqual([1, 2, 3, 4]);
  });

  it('writeParquet keeps fixed-size bytes (UUIDs) as bytes, as it keeps Binary', async () => {
    // the first value's bytes happen to be UTF-8 (control characters), the second's are not
    const uuid = makeVector(makeData({ type: new FixedSizeBinary(4), length: 3, nullCount: 1, nullBitmap: Uint8Array.of(0b101), data: Uint8Array.of(1, 2, 3, 4, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef) }));
    const back = await readParquet(await writeParquet(new Table({ id: uuid })));
    expect(back.getChild('id')!.type.toString()).toBe('Binary');
    expect([...back.getChild('id')!].map((v) => (v ? [...(v as Uint8Array)] : v))).toEqual([[1, 2, 3, 4], null, [0xde, 0xad, 0xbe, 0xef]]);
  });

  it('writeParquet refuses seconds past the milliseconds a 64-bit count holds, naming the row and column', async () => {
    const seconds = makeVector(makeData({ type: new TimestampSecond(), length: 2, nullCount: 0, data: BigInt64Array.of(0n, 10n ** 17n) }));
    const error = await writeParquet(new Table({ seen: seconds })).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(SegkitError);
    expect((error as SegkitError).code).toBe('E_PRECISION');
    expect((error as SegkitError).message).toContain('row 1, column "seen": 100000000000000000000 ms');
  });

  it('readParquet floors microseconds and nanoseconds to milliseconds as NumPy does (before 1970 too)', async () => {
    const us = [-1500n, 1500n, -1000n, -1n, 86_400_000_001n];
    const ns = [-1n, -1_000_000n, -999_999_999n, 1_500_000n, -1_500_000n];
    const buffer = parquetWriteBuffer({
      columnData: [{ name: 'us', data: us }, { name: 'ns', data: ns }],
      schema: [
        { name: 'root', num_children: 2 },
        { name: 'us', type: 'INT64', converted_type: 'TIMESTAMP_MICROS', repetition_type: 'REQUIRED' },
        { name: 'ns', type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' }, repetition_type: 'REQUIRED' },
      ],
    });
    const back = await readParquet(new Uint8Array(buffer));
    // numpy: np.datetime64(v, 'us').astype('datetime64[ms]').astype('int64') (and 'ns')
    expect([...back.getChild('us')!]).toEqual([-2, 1, -1, -1, 86_400_000]);
    expect([...back.getChild('ns')!]).toEqual([-1, -1, -1000, 1, -2]);
  });

  it('a count of microseconds Arrow cannot read as a float64 (a database\'s "infinity") is refused by the text writers and kept by writeParquet', async () => {
    const infinity = 2n ** 63n - 1n;
    const us = makeVector(makeData({ type: new TimestampMicrosecond(), length: 3, nullCount: 0, data: BigInt64Array.of(-1_500n, 86_400_000_000n, infinity) }));
    const t = new Table({ seen: us });
    for (const write of [() => writeJson(t), () => writeJson(t, { format: 'ndjson' }), () => writeCsv(t)]) {
      expectError(write, 'E_PRECISION', 'row 2, column "seen"');
    }
    // Parquet's milliseconds, floored as the text writers floor them: -1.5 ms is -2 ms
    const bytes = await writeParquet(t);
    const rows = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, parsers: { timestampFromMilliseconds: (ms: bigint) => ms } });
    expect(rows.map((r) => r.seen)).toEqual([-2n, 86_400_000n, infinity / 1000n]);
  });

  it('writes floats of 2^53 and more so that readJson reads them back (their digits written out are not their value)', async () => {
    // 123456789012345680000 is the shortest text of a float64 whose value is 123456789012345683968
    const values = [1.2345678901234568e20, -98765432109876540, 2 ** 53, 1e20, 0.5, 1.5e300];
    const t = new Table({ f: vectorFromArray(values, new Float64()), g: vectorFromArray([1.0000000200408773e20, 1, 2, 3, 4, 5], new Float32()) });
    for (const format of ['records', 'columns', 'ndjson'] as const) {
      const text = writeJson(t, { format });
      const back = format === 'ndjson' ? await readNdjson(text) : await readJson(text);
      expect(Array.from(back.getChild('f')!.toArray() as Float64Array)).toEqual(values);
      // a Float32 as its shortest decimal, as writeCsv writes it: 1e20, whose float32 is the value written
      expect(back.getChild('g')!.get(0)).toBe(1e20);
      expect(Math.fround(back.getChild('g')!.get(0))).toBe(Math.fround(1e20));
    }
    expect(JSON.parse(writeJson(t)).map((r: { f: number }) => r.f)).toEqual(values);
  });

  it('refuses a table naming a column twice, of which a JSON record would keep one (readJson read the second alone)', async () => {
    const a = vectorFromArray([1, 2], new Int32()), b = vectorFromArray(['x', 'y'], new Utf8());
    const fields = [new Field('id', a.type, true), new Field('id', b.type, true)];
    const schema = new Schema(fields);
    // (apache-arrow checks a table's schema against its batches' by name: a table of the batch alone)
    const t = new Table([new RecordBatch(schema, makeData({ type: new Struct(fields), length: 2, nullCount: 0, children: [a.data[0], b.data[0]] }))]);
    for (const format of ['records', 'columns', 'ndjson'] as const) expectError(() => writeJson(t, { format }), 'E_BAD_OPTION', 'column name "id" appears twice (columns 1 and 2)');
    const dir = await mkdtemp(join(tmpdir(), 'segkit-twice-'));
    try {
      await expect(writeTable(join(dir, 't.json'), t)).rejects.toMatchObject({ code: 'E_BAD_OPTION' });
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps the schema order even for names that look like integers', () => {
    const t = new Table({ b: vectorFromArray([1], new Int32()) }).assign(new Table({ '2024': vectorFromArray([2], new Int32()) }));
    expect(writeJson(t)).toBe('[{"b":1,"2024":2}]');
  });
});

describe('writeTable', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'segkit-write-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a .arrows file in the Arrow stream format, as the extension says, and .arrow and .feather in the file format', async () => {
    const magic = (bytes: Uint8Array) => new TextDecoder().decode(bytes.subarray(0, 6));
    for (const [name, stream] of [['out.arrows', true], ['out.arrow', false], ['out.feather', false]] as const) {
      await writeTable(join(dir, name), sample());
      const bytes = new Uint8Array(await readFile(join(dir, name)));
      // the file format starts with the magic "ARROW1", the stream format with a message's continuation marker
      expect(magic(bytes) === 'ARROW1').toBe(!stream);
      expect(bytes.subarray(0, 4)).toEqual(stream ? Uint8Array.of(0xff, 0xff, 0xff, 0xff) : new TextEncoder().encode('ARRO'));
      expect((await readArrow(bytes)).numRows).toBe(sample().numRows);
      await rm(join(dir, name));
    }
    await writeTable(join(dir, 'asked.arrows'), sample(), { arrowFormat: 'file' });
    expect(magic(new Uint8Array(await readFile(join(dir, 'asked.arrows'))))).toBe('ARROW1');
    await rm(join(dir, 'asked.arrows'));
  });

  it('fails with E_IO naming the path when the directory does not exist, leaving no file behind', async () => {
    const target = join(dir, 'missing', 'out.csv');
    const e = await failure(() => writeTable(target, sample()));
    expect(e.code).toBe('E_IO');
    expect(e.message).toContain(target);
    expect(await readdir(dir)).toEqual([]);
  });

  it('replaces an existing file whole, and leaves no temporary file', async () => {
    const target = join(dir, 'out.parquet');
    await writeFile(target, 'old contents');
    await writeTable(target, sample());
    expectSameTable(await readParquet(await readFile(target)), sample());
    expect((await readdir(dir)).sort()).toEqual(['out.parquet']);
  });

  it('keeps the old target and removes its temporary file when the rename fails', async () => {
    const target = join(dir, 'taken.csv');
    await mkdir(target);
    await writeFile(join(target, 'keep.txt'), 'x');
    const e = await failure(() => writeTable(target, sample()));
    expect(e.code).toBe('E_IO');
    expect(e.message).toContain(target);
    expect(await readdir(target)).toEqual(['keep.txt']);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('rejects an unknown extension before writing anything', async () => {
    const e = await failure(() => writeTable(join(dir, 'out.xlsx'), sample()));
    expect(e.code).toBe('E_BAD_OPTION');
    expect((await readdir(dir)).some((f) => f.includes('xlsx'))).toBe(false);
  });
});

describe('microsecond and nanosecond times', () => {
  // 2023-12-31T23:59:59.999999999Z and .999999 (us), and 1969-12-31T23:59:59.9999995Z before 1970; Arrow's own reading
  // adds the fraction in float64, which rounded the first up to 2024-01-01T00:00:00.000Z: a whole day, so the column
  // was written as dates, "2024-01-01" for an instant of 2023
  const ns = [1704067199999999999n, 1703980800000000000n, -500n];
  const us = [1704067199999999n, 1703980800000000n, -1n];
  const times = (type: DataType, values: bigint[]) => new Table({ t: makeVector(makeData({ type, length: values.length, nullCount: 0, data: BigInt64Array.from(values) } as never)) });
  const want = ['2023-12-31T23:59:59.999Z', '2023-12-31T00:00:00.000Z', '1969-12-31T23:59:59.999Z'];

  it('are cut to their millisecond by writeCsv and writeJson, as writeParquet cuts them, never rounded into the next day', async () => {
    for (const table of [times(new TimestampNanosecond(), ns), times(new TimestampMicrosecond(), us)]) {
      expect(writeCsv(table)).toBe(`t\n${want.join('\n')}\n`);
      expect(JSON.parse(writeJson(table))).toEqual(want.map((t) => ({ t })));
      expect([...(await readParquet(await writeParquet(table))).getChild('t')!].map((t) => new Date(t).toISOString())).toEqual(want);
    }
    // a column of whole days is still written as dates
    expect(writeCsv(times(new TimestampNanosecond(), [1703980800000000000n, 0n]))).toBe('t\n2023-12-31\n1970-01-01\n');
  });
});

describe('writer options', () => {
  const t = () => new Table({ id: vectorFromArray([1, 2], new Int32()), name: vectorFromArray(['a', 'b'], new Utf8()) });

  it('refuses an option a writer does not know, naming the closest one, where it wrote the default in silence', async () => {
    // { delimeter: ';' } wrote "id,name\n1,a\n2,b\n": a comma file where a semicolon one was asked for
    expectError(() => writeCsv(t(), { delimeter: ';' } as never), 'E_BAD_OPTION', 'writeCsv: unknown option "delimeter"; did you mean "delimiter"?');
    expect(writeCsv(t(), { delimiter: ';' })).toBe('id;name\n1;a\n2;b\n');
    expectError(() => writeCsv(t(), { headers: false } as never), 'E_BAD_OPTION', 'did you mean "header"?');
    expectError(() => writeCsv(t(), null as never), 'E_BAD_OPTION', 'writeCsv: options must be an object');
    expectError(() => writeJson(t(), { fromat: 'ndjson' } as never), 'E_BAD_OPTION', 'writeJson: unknown option "fromat"; did you mean "format"?');
    expect(writeJson(t(), { format: 'ndjson' })).toBe('{"id":1,"name":"a"}\n{"id":2,"name":"b"}\n');
    await expect(writeParquet(t(), { compression: 'UNCOMPRESSED' } as never)).rejects.toMatchObject({ code: 'E_BAD_OPTION', message: expect.stringContaining('writeParquet: unknown option "compression"') });
    await expect(writeArrow(t(), { fromat: 'stream' } as never)).rejects.toMatchObject({ code: 'E_BAD_OPTION', message: expect.stringContaining('writeArrow: unknown option "fromat"') });
  });

  it('refuses a delimiter holding a quote or a line break, which no reader reads back (readCsv refuses it too)', async () => {
    const table = new Table({ a: vectorFromArray(['x', 'p'], new Utf8()), b: vectorFromArray([1, 2], new Int32()) });
    // "\n" wrote "a\nb\nx\n1\np\n2\n", four records of one field; '"' wrote 'a"b\nx"1\n', each field an unclosed quote
    for (const delimiter of ['"', '\n', '\r', '\r\n', ';\n', '\ufeff']) {
      expectError(() => writeCsv(table, { delimiter }), 'E_BAD_OPTION', 'option "delimiter"', 'without \'"\', a line break or U+FEFF');
      await expect(readCsv('a,b\n', { delimiter })).rejects.toMatchObject({ code: 'E_BAD_OPTION' });
    }
    // others are written, and read back with the same delimiter
    for (const delimiter of [';', '\t', '|', '::', ' ']) {
      expect(values(await readCsv(writeCsv(table, { delimiter }), { delimiter }), 'b')).toEqual([1, 2]);
    }
  });

  it('writeTable refuses an unknown option, or one the format would ignore, before any file is made', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'segkit-write-options-'));
    try {
      let e = await failure(() => writeTable(join(dir, 'out.csv'), t(), { delimeter: ';' } as never));
      expect(e.code).toBe('E_BAD_OPTION');
      expect(e.message).toBe('writeTable: unknown option "delimeter"; did you mean "delimiter"? (writeTable takes: format, signal, delimiter, header, escapeFormulas, bom, eol, jsonFormat, arrowFormat, codec, rowGroupSize)');
      // a delimiter for a Parquet file, or a Parquet codec for a CSV file, was ignored
      e = await failure(() => writeTable(join(dir, 'out.parquet'), t(), { delimiter: ';' }));
      expect(e.message).toMatch(/^writeTable: option "delimiter" does not apply to parquet output, which would ignore it \(parquet output takes: format, signal, codec, rowGroupSize\)$/);
      e = await failure(() => writeTable(join(dir, 'out.csv'), t(), { codec: 'UNCOMPRESSED' }));
      expect(e.message).toMatch(/^writeTable: option "codec" does not apply to csv output, which would ignore it/);
      e = await failure(() => writeTable(join(dir, 'out.json'), t(), { arrowFormat: 'stream' }));
      expect(e.message).toMatch(/^writeTable: option "arrowFormat" does not apply to json output, which would ignore it/);
      expect(await readdir(dir)).toEqual([]);
      // the options that apply are taken, and one left undefined is no option
      await writeTable(join(dir, 'out.tsv'), t(), { header: false, codec: undefined, signal: new AbortController().signal });
      expect(await readFile(join(dir, 'out.tsv'), 'utf8')).toBe('1\ta\n2\tb\n');
      await writeTable(join(dir, 'out.csv'), t(), { delimiter: ';', eol: '\r\n', format: 'csv' });
      expect(await readFile(join(dir, 'out.csv'), 'utf8')).toBe('id;name\r\n1;a\r\n2;b\r\n');
      await writeTable(join(dir, 'out.parquet'), t(), { codec: 'UNCOMPRESSED', rowGroupSize: 1 });
      expect(values(await readParquet(await readFile(join(dir, 'out.parquet'))), 'name')).toEqual(['a', 'b']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
