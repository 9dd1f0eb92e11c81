// segkit score on Arrow inputs that are not what the model read: columns of other types, files that start with
// empty record batches (run as a user would: the built dist/cli/main.js).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateDay, type Dictionary, Float64, RecordBatch, RecordBatchFileWriter, RecordBatchStreamWriter, Struct, Table, makeData, makeVector, TimestampMicrosecond, TimestampSecond, Utf8, tableFromArrays, tableToIPC, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCsv } from '../src/data/writeCsv.js';
import { writeParquet } from '../src/data/writeParquet.js';
import { ok, segkit } from './helpers/segkitCli.js';

const A = [1.5, 2.5, 10.0, 11.0, 1.0, 12.0, 2.0, 10.5];
const B = [10, 11, 50, 52, 9, 49, 12, 51];
let dir = '';
const file = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'segkit-score-inputs-'));
  writeFileSync(file('base.csv'), ['id,a,b', ...A.map((a, i) => `${i + 1},${a},${B[i]}`)].join('\n') + '\n');
  ok(dir, ['segment', 'base.csv', '--k', '2', '--seed', '1', '--columns', 'a,b', '--model', 'm.json', '-q']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('score refuses a model column of another Arrow type, never reading its memory as numbers', () => {
  const cases: Array<[string, Table]> = [
    ['text', new Table({ a: vectorFromArray(A.map(String), new Utf8()), b: vectorFromArray(B, new Float64()) })],
    ['dictionary', new Table({ a: vectorFromArray(A.map(String)), b: vectorFromArray(B, new Float64()) })],
    ['timestamp', new Table({ a: vectorFromArray(A, new Float64()), b: vectorFromArray(B.map((s) => new Date(s * 1000)), new TimestampSecond()) })],
  ];
  for (const [what, table] of cases) {
    it(`a ${what} column`, () => {
      writeFileSync(file(`${what}.arrow`), tableToIPC(table, 'file'));
      const r = segkit(dir, ['score', `${what}.arrow`, '--model', 'm.json', '--out', `${what}-out.csv`, '--json']);
      expect(r.code).toBe(1);
      const error = JSON.parse(r.stdout).error;
      expect(error.code).toBe('E_NON_NUMERIC');
      expect(error.message).toMatch(what === 'timestamp' ? /column "b" has Arrow type Timestamp/ : /column "a" has Arrow type (Utf8|Dictionary)/);
      // the command's remedy: a saved model's columns are fixed (the library's hint named its `encode` option)
      expect(error.hint).toBe('the model reads this column as numbers: write its values as numbers, or fit the model again with the column in --encode');
    });
  }
});

describe('an Arrow file whose first record batches are empty', () => {
  it('is scored as the same rows without them: one header, no made-up rows', () => {
    const table = tableFromArrays({ a: Float64Array.from(A), b: Float64Array.from(B) });
    const empty = table.slice(0, 0).batches[0];
    writeFileSync(file('plain.arrow'), tableToIPC(table, 'file'));
    writeFileSync(file('leading.arrow'), RecordBatchFileWriter.writeAll([empty, empty, ...table.batches]).toUint8Array(true));
    ok(dir, ['score', 'plain.arrow', '--model', 'm.json', '--out', 'plain.csv', '-q']);
    ok(dir, ['score', 'leading.arrow', '--model', 'm.json', '--out', 'leading.csv', '-q']);
    const text = readFileSync(file('leading.csv'), 'utf8');
    expect(text.split('\n').filter((l) => l.startsWith('a,b,'))).toHaveLength(1);
    expect(text).toBe(readFileSync(file('plain.csv'), 'utf8'));
    expect(text.trim().split('\n')).toHaveLength(A.length + 1);
  });
});

describe('an Arrow stream whose dictionaries change from batch to batch', () => {
  it('scores to CSV; to an Arrow file, which holds one dictionary a column, it is refused naming the column', () => {
    const one = tableFromArrays({ a: Float64Array.of(1.5, 2.5), b: Float64Array.of(10, 11), cat: ['x', 'y'] });
    // the second batch: the same schema, its own dictionary ["q"]
    const s = one.schema, type = s.fields[2].type as Dictionary;
    const cat = makeData({ type, length: 1, data: Int32Array.of(0), dictionary: vectorFromArray(['q'], new Utf8()) });
    const column = (j: number, v: number) => makeData({ type: s.fields[j].type as Float64, length: 1, data: Float64Array.of(v) });
    const two = new RecordBatch(s, makeData({ type: new Struct(s.fields), length: 1, nullCount: 0, children: [column(0, 10), column(1, 50), cat] }));
    writeFileSync(file('dicts.arrows'), RecordBatchStreamWriter.writeAll([...one.batches, two]).toUint8Array(true));
    ok(dir, ['score', 'dicts.arrows', '--format', 'arrow', '--model', 'm.json', '--out', 'dicts.csv', '-q']);
    expect(readFileSync(file('dicts.csv'), 'utf8').trim().split('\n').map((l) => l.split(',').slice(0, 3).join(','))).toEqual(['a,b,cat', '1.5,10.0,x', '2.5,11.0,y', '10.0,50.0,q']);
    const r = segkit(dir, ['score', 'dicts.arrows', '--format', 'arrow', '--model', 'm.json', '--out', 'dicts.arrow', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'E_SHAPE_MISMATCH', message: expect.stringContaining('column "cat" changes its dictionary between record batches') });
  });
});

describe('a value that leaves float32 once prepared for the model', () => {
  it('is named by its file line, with the file\'s own value beside the prepared one', () => {
    const rows = Array.from({ length: 40 }, (_, i) => `${i + 1},${A[i % 8]},${i === 30 ? '-3e38' : B[i % 8]}`);
    writeFileSync(file('far.csv'), ['id,a,b', ...rows].join('\n') + '\n');
    const r = segkit(dir, ['score', 'far.csv', '--model', 'm.json', '--out', 'far-out.csv', '--json']);
    expect(r.code).toBe(1);
    const error = JSON.parse(r.stdout).error;
    expect(error.code).toBe('E_NAN_INPUT');
    // line 32: the header is line 1; the prepared value is the file's, scaled and centred
    expect(error.message).toMatch(/^"far\.csv": line 32, column "b" holds -3e\+38 \((-\d\.\d+e\+\d+) once prepared for the model\): the row lies too far/);
    const prepared = Number(/\((\S+) once prepared/.exec(error.message)![1]);
    expect(prepared).not.toBe(-3e38);
    expect(prepared).toBeLessThan(-1e30);
  });
});

describe('a CSV input larger than a batch (its formatting thread starts with the command)', () => {
  it('scores in many batches to the bytes one batch gives, and a failure in its first batch still ends the command', () => {
    const rows = Array.from({ length: 300 }, (_, i) => `${i + 1},${A[i % A.length] + i / 1000},${B[i % B.length]}`);
    writeFileSync(file('many.csv'), ['id,a,b', ...rows].join('\n') + '\n');
    // 10-row batches: the file is larger than 10 rows of 64 bytes
    ok(dir, ['score', 'many.csv', '--model', 'm.json', '--out', 'many-10.csv', '--batch-size', '10', '-q']);
    ok(dir, ['score', 'many.csv', '--model', 'm.json', '--out', 'many-all.csv', '-q']);
    const text = readFileSync(file('many-10.csv'), 'utf8');
    expect(text).toBe(readFileSync(file('many-all.csv'), 'utf8'));
    expect(text.trim().split('\n')).toHaveLength(301);
    writeFileSync(file('many-bad.csv'), ['id,a,c', ...rows].join('\n') + '\n');
    const r = segkit(dir, ['score', 'many-bad.csv', '--model', 'm.json', '--out', 'many-bad-out.csv', '--batch-size', '10', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toMatch(/"b"/);
    expect(readdirSync(dir).filter((f) => f.startsWith('many-bad-out'))).toEqual([]);
  });
});

describe('a batch that fails as it is written, before a batch that fails as it is scored', () => {
  it('is the error reported: batches are written in order, each before the batch after the next is scored', () => {
    // 4-row batches to Parquet: "note" is typed from the first batch, so batch 2's "abc" fails as it is written;
    // batch 3 holds a value no float32 carries, which fails as it is scored
    const rows = Array.from({ length: 12 }, (_, i) => `${i + 1},${i === 9 ? '1e999' : 1.5 + i},${10 + i},${i === 5 ? 'abc' : i}`);
    writeFileSync(file('order.csv'), ['id,a,b,note', ...rows].join('\n') + '\n');
    const r = segkit(dir, ['score', 'order.csv', '--model', 'm.json', '--out', 'order-out.parquet', '--batch-size', '4', '--threads', '2', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toMatch(/^"order\.csv": line 7, column "note": "abc" is not a number/);
    expect(readdirSync(dir).filter((f) => f.startsWith('order-out'))).toEqual([]);
  });
});

describe('a CSV input whose later batch holds a bad record', () => {
  // records written as read (verbatim output); the bad one past the first chunk the file is read in, so batches
  // before it are being written when it is met
  const rows = Array.from({ length: 12_000 }, (_, i) => `${i + 1},${A[i % A.length] + i / 1000},${B[i % B.length]}`);
  const cases: Array<[string, string[], RegExp]> = [
    ['a field too few', rows.map((r, i) => (i === 11_234 ? r.replace(/,[^,]*$/, '') : r)), /^line 11236 has 2 fields but the header has 3/],
    ['a text cell in a number column', rows.map((r, i) => (i === 11_234 ? r.replace(/,[^,]*$/, ',x') : r)), /^line 11236, column "b": "x" is not a number/],
    ['CR LF after blank lines', rows.flatMap((r, i) => (i === 11_234 ? ['', '', `${r}\r`] : [r])), /^line 11238 ends with CR LF/],
  ];
  for (const [what, lines, message] of cases) {
    it(`${what}: the reader's error, with its line`, () => {
      writeFileSync(file('late.csv'), ['id,a,b', ...lines].join('\n') + '\n');
      const r = segkit(dir, ['score', 'late.csv', '--model', 'm.json', '--out', 'late-out.csv', '--batch-size', '100', '--json']);
      expect(r.code).toBe(1);
      const error = JSON.parse(r.stdout).error;
      expect(error.code).toBe('E_PARSE');
      expect(error.message.replace(/^"[^"]*": /, '')).toMatch(message);
      expect(readdirSync(dir).filter((f) => f.startsWith('late-out'))).toEqual([]);
    });
  }
});

describe('a true/false column the segmentation used as a feature', () => {
  // `segment` infers the column as booleans and prepares them as 1 and 0; `score` and `update` read the model's
  // numeric columns as numbers, which must take the same cells to the same values
  const flags = [true, false, true, true, false, true, false, false];
  it('is read as 1 and 0 when scoring CSV and JSON, giving the labels the fit gave', () => {
    writeFileSync(file('flags.csv'), ['id,a,flag', ...A.map((a, i) => `${i + 1},${a},${flags[i] ? 'TRUE' : 'false'}`)].join('\n') + '\n');
    writeFileSync(file('flags.json'), JSON.stringify(A.map((a, i) => ({ id: i + 1, a, flag: flags[i] }))));
    ok(dir, ['segment', 'flags.csv', '--k', '2', '--seed', '1', '--scale', 'none', '--out', 'flags-seg.csv', '--model', 'flags-model.json', '-q']);
    const model = JSON.parse(readFileSync(file('flags-model.json'), 'utf8'));
    expect(model.pipeline.featureNames).toEqual(['a', 'flag']);
    const labels = (text: string) => text.trim().split('\n').slice(1).map((l) => l.split(',')[3]);
    const fitted = labels(readFileSync(file('flags-seg.csv'), 'utf8'));
    expect(new Set(fitted).size).toBe(2);
    ok(dir, ['score', 'flags.csv', '--model', 'flags-model.json', '--out', 'flags-scored.csv', '-q']);
    const scored = readFileSync(file('flags-scored.csv'), 'utf8');
    expect(labels(scored)).toEqual(fitted);
    // the cells as written
    expect(scored.split('\n')[1]).toMatch(/^1,1.5,TRUE,/);
    ok(dir, ['score', 'flags.json', '--model', 'flags-model.json', '--out', 'flags-scored-json.csv', '-q']);
    expect(labels(readFileSync(file('flags-scored-json.csv'), 'utf8'))).toEqual(fitted);
    ok(dir, ['segment', 'flags.csv', '--k', '2', '--seed', '1', '--algorithm', 'minibatch-kmeans', '--model', 'flags-mb.json', '-q']);
    ok(dir, ['update', 'flags-mb.json', 'flags.csv', '--out', 'flags-updated.json', '-q']);
  });
});

describe('a column of numbers listed in --encode', () => {
  // the categories are the cells as written, which is how score reads the column the model encodes: "1.50" read as the
  // number 1.5 at the fit would be category "1.5", a category no scored cell is
  const tiers = ['1.50', '2.0', '1.50', '3', '2.0', '1e1', '+3', '3'];
  it('has the cells as its categories, so scoring the same file meets no unseen category', () => {
    writeFileSync(file('tiers.csv'), ['id,a,tier', ...A.map((a, i) => `${i + 1},${a},${tiers[i]}`)].join('\n') + '\n');
    ok(dir, ['segment', 'tiers.csv', '--k', '2', '--seed', '1', '--encode', 'tier', '--out', 'tiers-seg.csv', '--model', 'tiers-model.json', '-q']);
    const encoder = JSON.parse(readFileSync(file('tiers-model.json'), 'utf8')).pipeline.steps.at(-1);
    expect(encoder.columns[0].categories).toEqual(['+3', '1.50', '1e1', '2.0', '3']);
    const r = ok(dir, ['score', 'tiers.csv', '--model', 'tiers-model.json', '--out', 'tiers-scored.csv']);
    expect(r.stderr).not.toContain('did not see');
    const labels = (text: string) => text.trim().split('\n').slice(1).map((l) => l.split(',')[3]);
    expect(labels(readFileSync(file('tiers-scored.csv'), 'utf8'))).toEqual(labels(readFileSync(file('tiers-seg.csv'), 'utf8')));
    ok(dir, ['train', 'tiers-seg.csv', '--target', 'segment', '--encode', 'tier', '--model', 'tiers-tree.json', '--algorithm', 'tree', '-q']);
    expect(segkit(dir, ['score', 'tiers.csv', '--model', 'tiers-tree.json', '--out', 'tiers-tree.csv']).stderr).not.toContain('did not see');
  });
});

describe('a date or timestamp column of an Arrow or Parquet file listed in --encode', () => {
  // its categories are the text the CSV segkit writes of the table holds (ISO 8601 in UTC; the date alone when every
  // time is a whole UTC day), so a model fitted on the Arrow or Parquet file scores the CSV export of the same rows
  const base = Date.UTC(2023, 10, 14, 22, 13, 20);
  const times = A.map((_, i) => new Date(base + (i % 3) * 3_600_000));
  const days = A.map((_, i) => new Date(Date.UTC(2024, 0, 1 + (i % 2))));
  const table = new Table({
    a: vectorFromArray(A, new Float64()),
    seen: vectorFromArray(times, new TimestampMicrosecond()),
    joined: vectorFromArray(days, new DateDay()),
  });
  const segments = (text: string) => text.trim().split('\n').slice(1).map((l) => l.split(',')[3]);

  for (const format of ['arrow', 'parquet'] as const) {
    it(`fitted on ${format}, scores the CSV written from the table alike, with no unseen category`, async () => {
      writeFileSync(file(`times.${format}`), format === 'arrow' ? tableToIPC(table, 'file') : await writeParquet(table));
      const csv = writeCsv(table);
      expect(csv.split('\n')[1]).toBe('1.5,2023-11-14T22:13:20.000Z,2024-01-01');
      writeFileSync(file('times.csv'), csv);
      const fit = ok(dir, ['segment', `times.${format}`, '--k', '2', '--seed', '1', '--encode', 'seen,joined', '--model', `times-${format}.json`, '--out', `times-${format}-seg.csv`, '--json']);
      const summary = JSON.parse(fit.stdout);
      expect(summary.features).toEqual([
        'a', 'seen=2023-11-14T22:13:20.000Z', 'seen=2023-11-14T23:13:20.000Z', 'seen=2023-11-15T00:13:20.000Z', 'joined=2024-01-01', 'joined=2024-01-02',
      ]);
      const encoder = JSON.parse(readFileSync(file(`times-${format}.json`), 'utf8')).pipeline.steps.at(-1);
      expect(encoder.columns.map((c: { categories: string[] }) => c.categories)).toEqual([
        ['2023-11-14T22:13:20.000Z', '2023-11-14T23:13:20.000Z', '2023-11-15T00:13:20.000Z'], ['2024-01-01', '2024-01-02'],
      ]);
      const fitted = segments(readFileSync(file(`times-${format}-seg.csv`), 'utf8'));
      expect(new Set(fitted).size).toBe(2);
      const r = ok(dir, ['score', 'times.csv', '--model', `times-${format}.json`, '--out', `times-${format}-scored.csv`]);
      expect(r.stderr).not.toContain('did not see');
      expect(segments(readFileSync(file(`times-${format}-scored.csv`), 'utf8'))).toEqual(fitted);
      // and the file itself, scored with its model, meets no unseen category either
      expect(ok(dir, ['score', `times.${format}`, '--model', `times-${format}.json`, '--out', `times-${format}-self.csv`]).stderr).not.toContain('did not see');
    });
  }
});

describe('a 64-bit integer feature column past 2^53', () => {
  it('that float64 would make one value: segment refuses it naming the column; a model scores it as it does any batch', () => {
    // 2^64 - 1 - i are eight distinct values, each 2^64 as a float64
    const u = BigUint64Array.from(A, (_, i) => 2n ** 64n - 1n - BigInt(i));
    writeFileSync(file('huge.arrow'), tableToIPC(new Table({ a: vectorFromArray(A, new Float64()), u: makeVector(u) }), 'file'));
    const r = segkit(dir, ['segment', 'huge.arrow', '--k', '2', '--seed', '1', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({
      code: 'E_PRECISION',
      message: 'column "u": float64 moves its values by up to 8.0, while they span only 18446744073709551608 to 18446744073709551615: their differences would be lost',
    });
    // spread wider than float64's steps there (2^62 + 2^50 i): fitted, and the model scores the column above
    const wide = BigInt64Array.from(A, (_, i) => 2n ** 62n + 2n ** 50n * BigInt(i % 4));
    writeFileSync(file('wide.arrow'), tableToIPC(new Table({ a: vectorFromArray(A, new Float64()), u: makeVector(wide) }), 'file'));
    ok(dir, ['segment', 'wide.arrow', '--k', '2', '--seed', '1', '--model', 'wide.json', '-q']);
    ok(dir, ['score', 'huge.arrow', '--model', 'wide.json', '--out', 'huge-scored.csv', '-q']);
    expect(readFileSync(file('huge-scored.csv'), 'utf8').trim().split('\n')).toHaveLength(A.length + 1);
  });
});

describe('a model column whose name holds double quotes', () => {
  it('is named whole when the input lacks it (CSV read in batches, Parquet read whole) and with the file\'s own value', async () => {
    writeFileSync(file('quoted.csv'), ['id,"a ""x""",b', ...A.map((a, i) => `${i + 1},${a},${B[i]}`)].join('\n') + '\n');
    ok(dir, ['segment', 'quoted.csv', '--k', '2', '--seed', '1', '--columns', 'a "x",b', '--model', 'quoted.json', '-q']);
    writeFileSync(file('no-quoted.csv'), ['id,b', ...B.map((b, i) => `${i + 1},${b}`)].join('\n') + '\n');
    writeFileSync(file('no-quoted.parquet'), await writeParquet(tableFromArrays({ id: Float64Array.from(B, (_, i) => i + 1), b: Float64Array.from(B) })));
    for (const input of ['no-quoted.csv', 'no-quoted.parquet']) {
      const r = segkit(dir, ['score', input, '--model', 'quoted.json', '--out', 'no-quoted-out.csv', '--json']);
      expect(r.code).toBe(1);
      const error = JSON.parse(r.stdout).error;
      expect(error.code).toBe('E_MISSING_COLUMN');
      expect(error.message).toMatch(input.endsWith('.csv') ? /^"no-quoted\.csv" has no column "a "x"", which the model reads$/ : /^"no-quoted\.parquet": column "a "x"" is not in the table$/);
    }
    // a value that leaves float32 once prepared: the file's own value first, as for any other column (the prepared
    // value alone, nowhere in the file, was said to be what the column holds)
    const far = Array.from({ length: 40 }, (_, i) => `${i + 1},${i === 30 ? '-3e38' : A[i % 8]},${B[i % 8]}`);
    writeFileSync(file('quoted-far.csv'), ['id,"a ""x""",b', ...far].join('\n') + '\n');
    const r = segkit(dir, ['score', 'quoted-far.csv', '--model', 'quoted.json', '--out', 'quoted-far-out.csv', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toMatch(/^"quoted-far\.csv": line 32, column "a "x"" holds -3e\+38 \(-\d\.\d+e\+\d+ once prepared for the model\): the row lies too far/);
  });
});
