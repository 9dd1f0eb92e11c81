// CSV values and column names through the command line (dist/cli/main.js): what a file holds comes back out as
// pandas writes it, and a list option names exactly the columns it was given.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateDay, Float32, Float64, makeData, RecordBatch, Schema, Field, Struct, Table, TimestampNanosecond, makeVector, tableFromIPC, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../src/data/readCsv.js';
import { writeCsv } from '../src/data/writeCsv.js';
import { readJson } from '../src/data/readJson.js';
import { writeJson } from '../src/data/writeJson.js';
import { BIN, segkit as segkitIn } from './helpers/segkitCli.js';

interface PandasCase {
  text: string;
  to_csv: string;
}
const PANDAS = JSON.parse(readFileSync(new URL('./fixtures/pandas-csv.json', import.meta.url), 'utf8')) as { cases: Record<string, PandasCase> };

let dir = '';
const segkit = (args: readonly string[], input?: string) => segkitIn(dir, args, input === undefined ? {} : { input });

/** The first `n` cells of each line of CSV text without quoted cells holding a comma in them. */
const leading = (text: string, n: number) => text.trimEnd().split('\n').map((line) => line.split(',').slice(0, n).join(','));

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), 'segkit-csv-values-'));
  writeFileSync(join(dir, 'zeros.csv'), PANDAS.cases.negative_zero.text);
  // a column whose name holds a comma, beside the columns its parts name
  const rows = ['id,"a,b",a,b,"c ""q"""', '1,1,10,5,1', '2,2,20,5,2', '3,3,30,6,1', '4,4,40,6,2', '5,50,1,1,1', '6,60,2,2,2'];
  writeFileSync(join(dir, 'comma.csv'), `${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'comma-only.csv'), `${['id,"a,b",c', ...rows.slice(1).map((r) => r.split(',').slice(0, 3).join(','))].join('\n')}\n`);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('-0 in a CSV file', () => {
  const pandas = PANDAS.cases.negative_zero;

  it('is written back with its sign: -0.0 in a float column (CSV as pandas writes it; JSON too), 0 in an integer one', async () => {
    // the library: read then write
    expect(writeCsv(await readCsv(pandas.text))).toBe(pandas.to_csv);
    // Float64 and Float32 columns, through the fast writer and the general one (a delimiter that is a number character)
    const table = new Table({
      d: makeVector(Float64Array.of(-0, 0, -1.5)),
      f: makeVector(makeData({ type: new Float32(), data: Float32Array.of(-0, 0, 2) })),
    });
    expect(table.getChild('f')!.type).toBeInstanceOf(Float32);
    expect(table.getChild('d')!.type).toBeInstanceOf(Float64);
    expect(writeCsv(table)).toBe('d,f\n-0.0,-0.0\n0.0,0.0\n-1.5,2.0\n');
    expect(writeCsv(table, { delimiter: 'e' })).toBe('def\n-0.0e-0.0\n0.0e0.0\n-1.5e2.0\n');
    // JSON: -0.0, which JSON.parse and Python's json read back as -0 (JSON.stringify writes 0)
    const json = writeJson(table, { format: 'ndjson' });
    expect(json).toBe('{"d":-0.0,"f":-0.0}\n{"d":0,"f":0}\n{"d":-1.5,"f":2}\n');
    expect(Object.is(JSON.parse(json.split('\n')[0]).d, -0)).toBe(true);
    expect(Object.is((await readJson(writeJson(table))).getChild('d')!.get(0), -0)).toBe(true);
  });

  it('keeps its sign in segment and score output written by segkit (standard output, standard input)', () => {
    const columns = pandas.to_csv.trimEnd().split('\n')[0].split(',').length;
    const fromFile = segkit(['segment', 'zeros.csv', '--k', '2', '--columns', 'x,y', '--model', 'm.json', '--out', '-', '-q']);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(leading(fromFile.stdout, columns)).toEqual(leading(pandas.to_csv, columns));
    const fromStdin = segkit(['segment', '-', '--k', '2', '--columns', 'x,y', '--out', '-', '-q'], pandas.text);
    expect(leading(fromStdin.stdout, columns)).toEqual(leading(pandas.to_csv, columns));
    const scored = segkit(['score', '-', '--model', 'm.json', '--out', '-', '-q'], pandas.text);
    expect(scored.code, scored.stderr).toBe(0);
    // score writes the model's columns as read, and the others as written (x and y are the model's)
    expect(scored.stdout.split('\n')[1].split(',').slice(0, 4)).toEqual(['1', '-0', '1.5', '-0']);
    // a file written as read keeps the text of each cell
    expect(segkit(['segment', 'zeros.csv', '--k', '2', '--columns', 'x,y', '--out', 'zeros-out.csv', '-q']).code).toBe(0);
    expect(leading(readFileSync(join(dir, 'zeros-out.csv'), 'utf8'), columns)).toEqual(leading(pandas.text, columns));
  });
});

describe('a column of booleans that turns to text', () => {
  const pandas = PANDAS.cases.booleans_then_text;

  it('keeps each boolean as written (TRUE, True), as pandas reads and writes it', async () => {
    const table = await readCsv(pandas.text);
    expect([...table.getChild('flag')!]).toEqual(['TRUE', 'True', 'FALSE', 'false', 'true', 'unknown']);
    expect(writeCsv(table)).toBe(pandas.to_csv);
    // more spellings than a form code holds: the rest are kept as text
    const spaced = Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}True`);
    const wide = await readCsv(`x\n${spaced.map((v) => `"${v}"`).join('\n')}\nno\n`);
    expect([...wide.getChild('x')!]).toEqual([...spaced, 'no']);
  });

  it('is written as read in segment output written by segkit', () => {
    writeFileSync(join(dir, 'flags.csv'), pandas.text);
    const r = segkit(['segment', 'flags.csv', '--k', '2', '--columns', 'x,y', '--out', '-', '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(leading(r.stdout, 4)).toEqual(leading(pandas.to_csv, 4));
  });
});

describe('a column of dates that turns to text', () => {
  const pandas = PANDAS.cases.dates_then_text;

  it('keeps each date as written (a whole day, a zone, a space), as pandas reads and writes it', async () => {
    const table = await readCsv(pandas.text);
    expect([...table.getChild('seen')!]).toEqual(['2024-01-31', '2024-01-31T12:00:00+02:00', '2024-02-01 08:30', '2024-02-29T23:59:59.5Z', '2023-12-31T00:00:00-05:30', 'unknown']);
    expect(writeCsv(table)).toBe(pandas.to_csv);
    // read as dates, they are the times they name
    const dates = await readCsv(pandas.text.replace(/\n6,[^\n]*\n$/, '\n'));
    expect([...dates.getChild('seen')!]).toEqual([Date.UTC(2024, 0, 31), Date.UTC(2024, 0, 31, 10), Date.UTC(2024, 1, 1, 8, 30), Date.UTC(2024, 1, 29, 23, 59, 59, 500), Date.UTC(2023, 11, 31, 5, 30)]);
    // many rows of one layout; a fraction finer than milliseconds too
    const times = Array.from({ length: 70_000 }, (_, i) => new Date(Date.UTC(2020, 0, 1) + i * 37 * 60_000).toISOString().replace('T', ' ').slice(0, 19));
    const long = await readCsv(`t\n2024-01-31T12:00:00.123456+01:00\n${times.join('\n')}\nnone\n`);
    expect([...long.getChild('t')!]).toEqual(['2024-01-31T12:00:00.123456+01:00', ...times, 'none']);
    // missing cells, layouts that change, and more layouts than form codes
    const mixed = await readCsv('x,y\n,1\n2024-01-31 10:00,1\n,1\n2024-02-01 11:00,1\n2024-03-01,1\n2024-03-01T00:00:00.000Z,1\nx,1\n');
    expect([...mixed.getChild('x')!]).toEqual([null, '2024-01-31 10:00', null, '2024-02-01 11:00', '2024-03-01', '2024-03-01T00:00:00.000Z', 'x']);
    const spaced = Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}2024-01-31T12:00`);
    const wide = await readCsv(`x\n${spaced.map((v) => `"${v}"`).join('\n')}\nabc\n`);
    expect([...wide.getChild('x')!]).toEqual([...spaced, 'abc']);
  });

  it('is written as read in segment output written by segkit', () => {
    writeFileSync(join(dir, 'dates.csv'), pandas.text);
    const r = segkit(['segment', 'dates.csv', '--k', '2', '--columns', 'x,y', '--out', '-', '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(leading(r.stdout, 4)).toEqual(leading(pandas.to_csv, 4));
  });
});

describe('a byte order mark', () => {
  it('at the start of a file is no part of the first name (as pandas reads it); inside a quoted name it is, and an error shows it', () => {
    const rows = ['1,1,2', '2,2,3', '3,8,9', '4,9,9'];
    writeFileSync(join(dir, 'bom-start.csv'), `\ufeffid,x,y\n${rows.join('\n')}\n`);
    writeFileSync(join(dir, 'bom-quoted.csv'), `"\ufeffid",x,y\n${rows.join('\n')}\n`);
    const start = segkit(['segment', 'bom-start.csv', '--k', '2', '--id', 'id', '--out', '-', '-q']);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout.split('\n')[0]).toBe('id,x,y,segment,segment_name');
    // pandas.read_csv keeps "\ufeffid" as the name here, with either encoding: no column "id" to match
    const quoted = segkit(['segment', 'bom-quoted.csv', '--k', '2', '--id', 'id', '--json']);
    expect(quoted.code).toBe(2);
    expect(JSON.parse(quoted.stdout).error.message).toBe('--id: column "id" is not in "bom-quoted.csv" (it has: "\\ufeffid", x, y)');
  });
});

describe('an id column of whole numbers beyond 32 bits', () => {
  it('is written as its ids were written, never 9876543210.0, where segment writes the cells itself', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => 9876543210 + i * 1001);
    const rows = ids.map((id, i) => `${id},${[1, 2, 3, 20, 21, 22, 2, 21][i]},${i % 3}`);
    writeFileSync(join(dir, 'long-ids.csv'), `customer_id,spend,visits\n${rows.join('\n')}\n`);
    writeFileSync(join(dir, 'long-ids.json'), JSON.stringify(ids.map((id, i) => ({ customer_id: id, spend: [1, 2, 3, 20, 21, 22, 2, 21][i], visits: i % 3 }))));
    const first = (text: string) => text.trimEnd().split('\n').slice(1).map((line) => line.split(/[,\t]/)[0]);
    const expected = ids.map(String);
    // standard output, TSV from CSV, CSV from JSON: the cells written by segkit
    for (const [input, out] of [['long-ids.csv', '-'], ['long-ids.csv', 'long-ids-out.tsv'], ['long-ids.json', 'long-ids-json.csv']]) {
      const r = segkit(['segment', input, '--k', '2', '--out', out, '-q']);
      expect(r.code, r.stderr).toBe(0);
      expect(first(out === '-' ? r.stdout : readFileSync(join(dir, out), 'utf8'))).toEqual(expected);
    }
    // Parquet keeps them as integers too, and score writes them so from JSON or Parquet to CSV
    expect(segkit(['segment', 'long-ids.csv', '--k', '2', '--out', 'long-ids.parquet', '--model', 'long-ids.model.json', '-q']).code).toBe(0);
    for (const input of ['long-ids.json', 'long-ids.parquet']) {
      const scored = segkit(['score', input, '--model', 'long-ids.model.json', '--out', '-', '-q']);
      expect(scored.code, scored.stderr).toBe(0);
      expect(first(scored.stdout)).toEqual(expected);
    }
    const { readParquet } = await import('../src/data/readParquet.js');
    const t = await readParquet(readFileSync(join(dir, 'long-ids.parquet')));
    expect(String(t.getChild('customer_id')!.type)).toBe('Int64');
    expect(Array.from(t.getChild('customer_id')!, (v) => String(v))).toEqual(expected);
  });

  it('in any column, not the id alone, is written as its numbers were written where segkit writes the cells (as pandas writes int64)', () => {
    // created: milliseconds since 1970, beyond 32 bits, so the column reads as float64; count: small whole numbers
    // beside them in the JSON file, where one big number makes every number of its column float64
    const created = Array.from({ length: 8 }, (_, i) => 1700000000000 + i * 37);
    const count = [5, 6, 5, 7, 5, 6, 1700000000000, 7];
    const spend = [1, 2, 3, 20, 21, 22, 2, 21];
    const header = 'customer_id,spend,created,count';
    const rows = created.map((c, i) => `c${i},${spend[i]},${c},${count[i]}`);
    writeFileSync(join(dir, 'long-cells.csv'), `${[header, ...rows].join('\n')}\n`);
    writeFileSync(join(dir, 'long-cells.json'), JSON.stringify(created.map((c, i) => ({ customer_id: `c${i}`, spend: spend[i], created: c, count: count[i] }))));
    writeFileSync(join(dir, 'long-cells.ndjson'), `${created.map((c, i) => JSON.stringify({ customer_id: `c${i}`, spend: spend[i], created: c, count: count[i] })).join('\n')}\n`);
    const cells = (text: string) => text.trimEnd().split('\n').map((line) => line.split(/[,\t]/).slice(0, 4).join(','));
    const expected = [header, ...rows];
    const segment = (input: string, out: string, stdin?: string) => {
      const r = segkit(['segment', input, '--columns', 'spend', '--k', '2', '--out', out, '-q'], stdin);
      expect(r.code, r.stderr).toBe(0);
      return cells(out === '-' ? r.stdout : readFileSync(join(dir, out), 'utf8'));
    };
    // standard output, standard input, TSV from CSV, CSV from JSON: the cells written by segkit
    expect(segment('long-cells.csv', '-')).toEqual(expected);
    expect(segment('-', 'long-cells-stdin.csv', readFileSync(join(dir, 'long-cells.csv'), 'utf8'))).toEqual(expected);
    expect(segment('long-cells.csv', 'long-cells.tsv')).toEqual(expected);
    expect(segment('long-cells.json', 'long-cells-json.csv')).toEqual(expected);
    // segkit's own output segmented again (its segment columns replaced)
    expect(segment('long-cells-stdin.csv', 'long-cells-again.csv')).toEqual(expected);
    // score from JSON and NDJSON to CSV, the model's own column (spend, read as float64) included
    expect(segkit(['segment', 'long-cells.csv', '--columns', 'spend', '--k', '2', '--model', 'long-cells.model.json', '-q']).code).toBe(0);
    for (const input of ['long-cells.json', 'long-cells.ndjson']) {
      const scored = segkit(['score', input, '--model', 'long-cells.model.json', '--out', '-', '-q']);
      expect(scored.code, scored.stderr).toBe(0);
      expect(cells(scored.stdout)).toEqual(expected);
    }
  });

  it('in an Arrow file of several batches: integers in CSV, every other column as it was; a Float64 id stays one in Arrow', async () => {
    // two record batches: Float64 ids beyond 32 bits, two features, a date and a timestamp in nanoseconds
    const ids = Array.from({ length: 8 }, (_, i) => 9876543210 + i * 1001);
    const spend = [1, 2, 3, 20, 21, 22, 2, 21], visits = [0, 1, 2, 0, 1, 2, 0, 1];
    const days = Array.from({ length: 8 }, (_, i) => 19700 + i);
    const nanos = Array.from({ length: 8 }, (_, i) => 1700000000123456789n + BigInt(i));
    const fields = [new Field('customer_id', new Float64()), new Field('spend', new Float64()), new Field('visits', new Float64()), new Field('day', new DateDay()), new Field('ts', new TimestampNanosecond())];
    const schema = new Schema(fields);
    const batch = (a: number, b: number) => new RecordBatch(schema, makeData({
      type: new Struct(fields), length: b - a, nullCount: 0,
      children: [
        makeData({ type: new Float64(), data: Float64Array.from(ids.slice(a, b)) }),
        makeData({ type: new Float64(), data: Float64Array.from(spend.slice(a, b)) }),
        makeData({ type: new Float64(), data: Float64Array.from(visits.slice(a, b)) }),
        makeData({ type: new DateDay(), data: Int32Array.from(days.slice(a, b)) }),
        makeData({ type: new TimestampNanosecond(), data: BigInt64Array.from(nanos.slice(a, b)) }),
      ],
    }));
    writeFileSync(join(dir, 'long-ids-batches.arrow'), tableToIPC(new Table(schema, [batch(0, 5), batch(5, 8)]), 'file'));
    const csv = segkit(['segment', 'long-ids-batches.arrow', '--id', 'customer_id', '--columns', 'spend,visits', '--k', '2', '--out', 'long-ids-batches.csv', '-q']);
    expect(csv.code, csv.stderr).toBe(0);
    const lines = readFileSync(join(dir, 'long-ids-batches.csv'), 'utf8').trimEnd().split('\n').slice(1).map((l) => l.split(','));
    expect(lines.map((c) => c[0])).toEqual(ids.map(String));
    const arrow = segkit(['segment', 'long-ids-batches.arrow', '--id', 'customer_id', '--columns', 'spend,visits', '--k', '2', '--out', 'long-ids-batches-out.arrow', '-q']);
    expect(arrow.code, arrow.stderr).toBe(0);
    const back = tableFromIPC(readFileSync(join(dir, 'long-ids-batches-out.arrow')));
    expect(String(back.getChild('customer_id')!.type)).toBe('Float64');
    expect(Array.from(back.getChild('customer_id')!)).toEqual(ids);
    // the values as stored, chunk by chunk (a timestamp's get() is float milliseconds)
    const stored = (name: string) => back.getChild(name)!.data.flatMap((d) => Array.from((d.values as Int32Array | BigInt64Array).subarray(0, d.length) as ArrayLike<number | bigint>));
    expect(stored('ts')).toEqual(nanos);
    expect(stored('day')).toEqual(days);
  });
});

describe('a text cell that begins with a byte order mark', () => {
  it('is escaped as a formula alike in records written as read and in cells written by segkit (--keep, segment)', () => {
    const rows = ['1,1,2,\ufeff=1+1', '2,2,3,\ufeff@x', '3,8,9,\ufeff-5', '4,9,9,\ufeffplain'];
    writeFileSync(join(dir, 'bom-cells.csv'), `id,x,y,note\n${rows.join('\n')}\n`);
    const notes = ["'\ufeff=1+1", "'\ufeff@x", '\ufeff-5', '\ufeffplain'];
    const noteColumn = (text: string, at: number) => text.trimEnd().split('\n').slice(1).map((line) => line.split(',')[at]);
    const fitted = segkit(['segment', 'bom-cells.csv', '--k', '2', '--id', 'id', '--out', 'bom-cells-segments.csv', '--model', 'bom-cells.json', '-q']);
    expect(fitted.code, fitted.stderr).toBe(0);
    expect(noteColumn(readFileSync(join(dir, 'bom-cells-segments.csv'), 'utf8'), 3)).toEqual(notes);
    // every column kept: the records as read; --keep: the cells written by segkit
    const asRead = segkit(['score', 'bom-cells.csv', '--model', 'bom-cells.json', '--out', '-', '-q']);
    const kept = segkit(['score', 'bom-cells.csv', '--model', 'bom-cells.json', '--out', '-', '--keep', 'id,note', '-q']);
    expect(asRead.code, asRead.stderr).toBe(0);
    expect(kept.code, kept.stderr).toBe(0);
    expect(noteColumn(asRead.stdout, 3)).toEqual(notes);
    expect(noteColumn(kept.stdout, 1)).toEqual(notes);
  });
});

describe('numbers written with a decimal comma in a file not separated by commas', () => {
  it('are named with --decimal , (never --encode) when left out as text, and are a feature with it', () => {
    const rows = ['1;68,32;3;a', '2;22,4;1;b', '3;194,7;7;a', '4;5;2;b', '5;120,05;6;a', '6;33,5;2;b'];
    writeFileSync(join(dir, 'decimal-comma.csv'), `id;monetary;frequency;plan\n${rows.join('\n')}\n`);
    const plain = segkit(['segment', 'decimal-comma.csv', '--k', '2', '--json']);
    expect(plain.code, plain.stderr).toBe(0);
    const left = JSON.parse(plain.stdout).notices.find((n: string) => n.startsWith('left out of the features'));
    expect(left).toBe('left out of the features: id (the id); monetary (numbers written with a decimal comma, read as text: --decimal , reads them as numbers); plan (text: --encode plan to one-hot encode)');
    const read = segkit(['segment', 'decimal-comma.csv', '--k', '2', '--decimal', ',', '--json']);
    expect(read.code, read.stderr).toBe(0);
    expect(JSON.parse(read.stdout).features).toEqual(['monetary', 'frequency']);
    // one stray among whole numbers: the error's hint names the option too
    writeFileSync(join(dir, 'decimal-stray.csv'), `id;monetary;frequency\n1;100;1\n2;200;2\n3;5,5;3\n4;300;4\n5;400;5\n`);
    const stray = segkit(['segment', 'decimal-stray.csv', '--k', '2', '--json']);
    expect(stray.code).toBe(1);
    expect(JSON.parse(stray.stdout).error.hint).toMatch(/^read decimal commas with --decimal ,; or correct it/);
    // not where --decimal , would read the column wrong: 1,250 may be a thousand and a quarter, and a column of 1.5s
    // would become text
    for (const [name, column] of [['decimal-thousands.csv', ['100', '200', '1,250', '300', '400']], ['decimal-points.csv', ['1.5', '2.5', '5,5', '3.25', '4.5']]]) {
      writeFileSync(join(dir, name as string), `id;monetary;frequency\n${(column as string[]).map((v, i) => `${i + 1};${v};${i + 1}`).join('\n')}\n`);
      const r = segkit(['segment', name as string, '--k', '2', '--json']);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).error.hint).toMatch(/^correct it, add it to the missing-value tokens with --na/);
    }
  });
});

describe('the reading options', () => {
  it('given for an input of a format that ignores them, are a usage error naming them and the input', () => {
    expect(segkit(['segment', 'zeros.csv', '--k', '2', '--columns', 'x,y', '--out', 'zeros.parquet', '--model', 'zm.json', '-q']).code).toBe(0);
    writeFileSync(join(dir, 'zeros.json'), JSON.stringify([{ x: 1, y: 'NA' }, { x: 2, y: 3 }, { x: 8, y: 9 }, { x: 9, y: 9 }]));
    const cases: [string[], string][] = [
      [['segment', 'zeros.parquet', '--na', 'foo'], '--na applies to CSV and TSV input, not to "zeros.parquet" (parquet); leave it out'],
      [['segment', 'zeros.parquet', '--delimiter', ';', '--encoding', 'latin1'], '--delimiter and --encoding apply to CSV and TSV input (--encoding also to JSON and NDJSON), not to "zeros.parquet" (parquet); leave them out'],
      [['segment', 'zeros.json', '--na', 'NA'], '--na applies to CSV and TSV input, not to "zeros.json" (json); leave it out'],
      [['score', 'zeros.parquet', '--model', 'zm.json', '--out', 'scored.csv', '--decimal', ','], '--decimal applies to CSV and TSV input, not to "zeros.parquet" (parquet); leave it out'],
      [['compare', 'zeros.parquet', 'zeros.parquet', '--model', 'zm.json', '--id', 'id', '--na', 'foo'], '--na applies to CSV and TSV input, not to "zeros.parquet" (parquet); leave it out'],
    ];
    for (const [args, message] of cases) {
      const r = segkit([...args, '--json']);
      expect(r.code, args.join(' ')).toBe(2);
      expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'E_USAGE', message });
    }
    // --encoding reads JSON; all four read CSV
    expect(segkit(['segment', 'zeros.json', '--k', '2', '--encoding', 'utf-8', '-q']).code).toBe(0);
    expect(segkit(['segment', 'zeros.csv', '--k', '2', '--columns', 'x,y', '--na', 'foo', '--delimiter', ',', '--decimal', '.', '--encoding', 'utf-8', '-q']).code).toBe(0);
  });

  it('given to compare, apply to the snapshot of a format that reads them beside one that does not', () => {
    expect(segkit(['segment', 'zeros.csv', '--k', '2', '--columns', 'x,y', '--out', 'zeros.parquet', '--model', 'zm.json', '-q']).code).toBe(0);
    // the CSV snapshot writes a missing y as foo
    writeFileSync(join(dir, 'zeros-foo.csv'), 'id,x,y,n\n1,-0,foo,-0\n2,0,2.5,0\n3,-0.0,3,1\n4,5,-4,2\n5,6,5,3\n6,7,1,4\n');
    for (const pair of [['zeros.parquet', 'zeros-foo.csv'], ['zeros-foo.csv', 'zeros.parquet']]) {
      const r = segkit(['compare', ...pair, '--model', 'zm.json', '--id', 'id', '--na', 'foo', '--json']);
      expect(r.code, pair.join(' ')).toBe(0);
      const drift = (JSON.parse(r.stdout) as { drift: { feature: string; missingBefore: number; missingAfter: number }[] }).drift;
      const y = drift.find((f) => f.feature === 'y')!;
      expect(y.missingBefore + y.missingAfter).toBe(1);
    }
    // without --na the CSV's foo is a word among numbers
    expect(segkit(['compare', 'zeros.parquet', 'zeros-foo.csv', '--model', 'zm.json', '--id', 'id', '--json']).code).not.toBe(0);
  });
});

describe('a list option naming a column whose name holds a comma', () => {
  const features = (args: string[], file = 'comma.csv') => {
    const r = segkit(['segment', file, '--k', '2', '--json', ...args]);
    const out = JSON.parse(r.stdout) as { features?: string[]; error?: { code: string; message: string } };
    return out.features ?? out.error;
  };

  it('takes the name in double quotes, as CSV writes it, and quoted names one by one', () => {
    expect(features(['--columns', '"a,b"'])).toEqual(['a,b']);
    expect(features(['--columns', ' "a,b" , a'])).toEqual(['a,b', 'a']);
    expect(features(['--columns', '"a","b"'])).toEqual(['a', 'b']);
    expect(features(['--columns', '"c ""q"""'])).toEqual(['c "q"']);
    expect(features(['--exclude', '"a,b",a,b'])).toEqual(['c "q"']);
  });

  it('refuses an unquoted list that also spells the column, rather than choosing one reading', () => {
    const message = `--columns a,b: "comma.csv" has a column named "a,b"; put a name holding a comma in double quotes: --columns '"a,b"' for that column, or --columns '"a","b"' for both of "a" and "b"`;
    expect(features(['--columns', 'a,b'])).toMatchObject({ code: 'E_USAGE', message });
    expect(features(['--columns', 'a,b'], 'comma-only.csv')).toMatchObject({ code: 'E_USAGE', message: expect.stringContaining('"comma-only.csv" has a column named "a,b"') });
    expect(features(['--exclude', 'a,b,id'])).toMatchObject({ code: 'E_USAGE', message: expect.stringContaining(`--exclude a,b: "comma.csv" has a column named "a,b"`) });
    expect(segkit(['segment', 'comma.csv', '--k', '2', '--columns', '"a,b",a', '--model', 'comma.json', '-q']).code).toBe(0);
    const keep = segkit(['score', 'comma.csv', '--model', 'comma.json', '--keep', 'id,a,b', '--out', 'kept.csv']);
    expect(keep.code).toBe(2);
    expect(keep.stderr).toContain(`--keep a,b: "comma.csv" has a column named "a,b"`);
    const quoted = segkit(['score', 'comma.csv', '--model', 'comma.json', '--keep', 'id,"a,b"', '--out', '-', '-q']);
    expect(quoted.stdout.split('\n')[0]).toBe('id,"a,b",segment,segment_name');
  });

  it('is refused when unbalanced, and a missing name is listed beside the file\'s names as the option takes them', () => {
    const r = segkit(['segment', 'comma.csv', '--columns', '"a,b']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`argument '"a,b' is invalid. must be column names separated by commas (a name holding a comma in double quotes: "a,b").`);
    expect(features(['--columns', '"c q"'])).toMatchObject({ code: 'E_USAGE', message: '--columns: column "c q" is not in "comma.csv" (it has: id, "a,b", a, b, "c ""q""")' });
  });
});
