// A CSV file read in parts (worker threads each reading whole records from a cut point, joined in order) gives the
// table one reader gives: the same Arrow bytes, inferred types, file lines and text counts, or the same error.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvInfo, readCsvWith, type ReadCsvOptions } from '../src/data/csvCore.js';
import { readCsvJoined, readCsvPart } from '../src/data/csvParts.js';
import { readCsv } from '../src/data/readCsv.js';
import { cutPoints, readCsvFile } from '../src/data/readCsvFile.node.js';
import { readTable } from '../src/data/readTable.node.js';
import { createRandom, type Random } from '../src/util/random.js';
import { failure } from './helpers.js';
import { type RecordsRead, RecordTexts, keptRecords } from '../src/data/recordTexts.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'segkit-csvparts-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const enc = new TextEncoder();

const bytesOf = (a: ArrayBufferView | undefined | null) => (a ? Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex') : '');

/** A column's buffers, byte for byte (a dictionary by its values: each table numbers its dictionaries its own way). */
function buffers(t: Table): unknown[] {
  return t.schema.fields.map((f) => {
    const d = t.getChild(f.name)!.data;
    expect(d.length).toBe(1);
    const c = d[0];
    return [f.name, String(f.type), c.length, c.nullCount, bytesOf(c.values), bytesOf(c.valueOffsets), bytesOf(c.nullBitmap), c.dictionary ? [...c.dictionary] : null];
  });
}

/** What one reader gives and what the parts give, compared: buffers, lines of every row, text counts. */
function expectSame(parts: Table, whole: Table): void {
  expect(buffers(parts)).toEqual(buffers(whole));
  const a = csvInfo(parts)!, b = csvInfo(whole)!;
  const lines = (info: typeof a) => Array.from({ length: whole.numRows }, (_, r) => info.line(r));
  expect(lines(a)).toEqual(lines(b));
  expect([...a.textStats]).toEqual([...b.textStats]);
  expect([a.delimiter, a.detected]).toEqual([b.delimiter, b.detected]);
}

/** The rows of `bytes` cut at the given record starts, read as the first part here and the rest as other threads do. */
async function joinAt(bytes: Uint8Array, starts: number[], options: ReadCsvOptions = {}): Promise<Table | undefined> {
  const headerEnd = bytes.indexOf(10) + 1;
  const header = bytes.subarray(0, headerEnd);
  const bounds = [...starts, bytes.length];
  const later = Promise.all(starts.map((s, k) => readCsvPart((async function* () {
    yield header;
    yield bytes.subarray(s, bounds[k + 1]);
  })(), options, 1)));
  return readCsvJoined(bytes.subarray(0, starts[0]), later, options);
}

/** Record starts (after a line feed) nearest to each of `fractions` of the text, in a file without quotes. */
function startsAt(bytes: Uint8Array, fractions: number[]): number[] {
  return fractions.map((f) => bytes.indexOf(10, Math.floor(bytes.length * f)) + 1);
}

const csv = (lines: string[]) => enc.encode(`${lines.join('\n')}\n`);
const values = (t: Table, name: string) => [...t.getChild(name)!].map((v) => v ?? null);

describe('readCsvJoined', () => {
  it('joins parts whose columns widen as one reader widens them: nulls, integers to decimals, numbers to text', async () => {
    // each column changes in the second or third part; the first part sees none of the change
    const rows = ['id,allnull,later,intfloat,numtext,textnum,forms,flag,day'];
    for (let i = 0; i < 300; i++) {
      const third = Math.floor(i / 100);
      rows.push([
        `c${i}`,
        '',
        third === 0 ? '' : String(i),
        third === 2 ? `${i}.25` : String(i),
        third === 1 && i % 7 === 0 ? `x${i}` : ['1e3', '+5', '.5', '5.', '0.10', String(i)][i % 6],
        third === 0 && i === 3 ? 'word' : String(i * 3),
        ['7', '1.50', '-0', '2.000'][i % 4],
        i % 2 === 0 ? 'true' : 'false',
        `2024-01-${String((i % 28) + 1).padStart(2, '0')}`,
      ].join(','));
    }
    const bytes = csv(rows);
    const whole = await readCsv(bytes);
    expect(whole.schema.fields.map((f) => String(f.type))).toEqual(['Utf8', 'Utf8', 'Int32', 'Float64', 'Utf8', 'Utf8', 'Float64', 'Bool', 'Timestamp<MILLISECOND>']);
    expect(csvInfo(whole)!.textStats.get('numtext')).toBeDefined();
    const joined = await joinAt(bytes, startsAt(bytes, [1 / 3, 2 / 3]));
    expect(joined).toBeDefined();
    expectSame(joined!, whole);
  });

  it('joins category columns through one dictionary, and parts with forced types', async () => {
    const rows = ['id,plan,n'];
    for (let i = 0; i < 200; i++) rows.push(`${i},${['gold', 'silver', 'bronze', ''][i < 100 ? i % 2 : 1 + (i % 3)]},${i}`);
    const bytes = csv(rows);
    const options = { types: { plan: 'category', n: 'number' } } as const;
    const joined = await joinAt(bytes, startsAt(bytes, [0.5]), options);
    expectSame(joined!, await readCsv(bytes, options));
  });

  it('refuses to join where one reader would have turned both parts to text by another path (a boolean part after numbers)', async () => {
    const rows = ['id,v'];
    for (let i = 0; i < 100; i++) rows.push(`${i},${i < 50 ? i : 'true'}`);
    const bytes = csv(rows);
    expect(await joinAt(bytes, startsAt(bytes, [0.6]))).toBeUndefined();
    // readCsvFile then reads the file with one reader
    const path = join(dir, 'bool.csv');
    await writeFile(path, bytes);
    expectSame(await readCsvFile(path, { threads: 2, minPartBytes: 64 }), await readCsv(bytes));
  });

  it('refuses parts whose column turned to text from booleans or dates, or read as numbers what a text column counts as text', async () => {
    // one reader keeps "TRUE" and "2020-01-01 10:00" as written in a text column; a part that met them first read
    // them as a boolean and a date, then rendered them ("true", ISO 8601) when the column turned to text
    const rows = ['id,x,y,z'];
    for (let i = 0; i < 60; i++) {
      const later = i >= 30;
      rows.push([i, later ? (i < 50 ? 'TRUE' : 'abc') : `word${i}`, later ? (i < 50 ? '2020-01-01 10:00' : 'abc') : `w${i}`, later ? (i % 2 ? '\u000b7' : '8') : 'abc'].join(','));
    }
    const bytes = csv(rows);
    // the cut at the start of row 30, where the later values begin
    const rowStart = (b: Uint8Array, row: number) => {
      let at = 0;
      for (let k = 0; k <= row; k++) at = b.indexOf(10, at) + 1;
      return at;
    };
    const cut = [rowStart(bytes, 30)];
    const whole = await readCsv(bytes);
    expect(values(whole, 'x').slice(30, 32)).toEqual(['TRUE', 'TRUE']);
    expect(values(whole, 'y')[30]).toBe('2020-01-01 10:00');
    // a text column counts a number with a leading vertical tab as text (a no-break space makes a cell text everywhere)
    expect(csvInfo(whole)!.textStats.get('z')).toEqual({ numbers: 15, texts: 45, row: 0, text: 'abc' });
    for (const column of ['x', 'y', 'z']) {
      const only = csv(rows.map((r) => { const f = r.split(','); return `${f[0]},${f[['x', 'y', 'z'].indexOf(column) + 1]}`; }));
      expect(await joinAt(only, [rowStart(only, 30)])).toBeUndefined();
    }
    expect(await joinAt(bytes, cut)).toBeUndefined();
    const path = join(dir, 'turned.csv');
    await writeFile(path, bytes);
    expectSame(await readCsvFile(path, { threads: 2, minPartBytes: 64 }), whole);
  });

  it('refuses to join numbers whose kept forms one reader would have run out of before turning them to text', async () => {
    // 2 x 40,000 numbers written as 1e<k> (kept only as text: at most 65,536), then a word
    const n = 80_000;
    const rows = ['v'];
    for (let i = 0; i < n; i++) rows.push(`${i % 9}e1`);
    rows.push('word');
    const bytes = csv(rows);
    const cut = startsAt(bytes, [0.5]);
    expect(await joinAt(bytes, cut)).toBeUndefined();
    const e = await failure(() => readCsv(bytes));
    expect(e.message).toMatch(/turns the column to text/);
  });
});

describe('cutPoints', () => {
  async function cutsOf(text: string, parts: number) {
    const path = join(dir, `cut-${parts}-${text.length}.csv`);
    await writeFile(path, text);
    const handle = await open(path, 'r');
    try {
      return await cutPoints(handle, Buffer.byteLength(text), parts, true);
    } finally {
      await handle.close();
    }
  }

  it('cuts only after line feeds outside quotes, with doubled quotes inside quoted fields', async () => {
    const rows = ['"a\nb",c'];
    for (let i = 0; i < 40; i++) rows.push(i % 3 === 0 ? `"x ""q""\n\n y",${i}` : `plain,${i}`);
    const text = `${rows.join('\n')}\n`;
    const cut = (await cutsOf(text, 4))!;
    expect(cut.header.toString()).toBe('"a\nb",c\n');
    expect(cut.headerLines).toBe(2);
    for (const s of cut.starts) {
      // every cut starts a record: the text before it has an even number of quotes and ends with a line feed
      expect(text[s - 1]).toBe('\n');
      expect((text.slice(0, s).match(/"/g) ?? []).length % 2).toBe(0);
    }
    expect(cut.starts).toEqual([...cut.starts].sort((x, y) => x - y));
  });

  it('cuts a file whose header ends in CR LF only after CR LF, not at a bare LF inside a record', async () => {
    const text = `name\r\n${Array.from({ length: 100 }, (_, i) => `l${i}a\nl${i}b\r\n`).join('')}`;
    const cut = (await cutsOf(text, 5))!;
    for (const s of cut.starts) expect(text.slice(s - 2, s)).toBe('\r\n');
    const path = join(dir, 'bare-lf.csv');
    await writeFile(path, text);
    const whole = await readCsv(enc.encode(text));
    expect(whole.numRows).toBe(100);
    expectSame(await readCsvFile(path, { threads: 3, minPartBytes: 256 }), whole);
  });

  it('does not cut files whose records end with a lone CR, or that start with an empty line', async () => {
    expect(await cutsOf(`a,b\r${'1,2\r'.repeat(50)}`, 2)).toBeUndefined();
    expect(await cutsOf(`\na,b\n${'1,2\n'.repeat(50)}`, 2)).toBeUndefined();
    expect(await cutsOf(`a,b\r\n${'1,2\r\n'.repeat(50)}`, 2)).toBeDefined();
  });
});

/** A seeded CSV of `n` rows: quotes, line breaks and delimiters in quoted text, empty cells, numbers in several forms. */
function randomCsv(rand: Random, n: number, eol: string): string {
  const words = ['plain', 'Zürich', '"quoted, comma"', '"line\nbreak"', '"say ""hi"""', '', 'NA', '東京'];
  const out = ['\ufeffid,spend,note,visits,when'];
  for (let i = 0; i < n; i++) {
    const spend = rand.next() < 0.05 ? '' : (Math.exp(rand.normal()) * 100).toFixed(rand.int(4));
    out.push([`C${i}`, spend, words[rand.int(words.length)], String(rand.int(50)), `2024-0${1 + rand.int(9)}-1${rand.int(10)}`].join(','));
  }
  return out.join(eol) + eol;
}

describe('readCsvFile', () => {
  for (const [label, eol] of [['LF', '\n'], ['CRLF', '\r\n']] as const) {
    it(`reads a file with quotes and line breaks in fields (${label}) on 1, 2 and 3 threads as one reader does`, async () => {
      const text = randomCsv(createRandom(label.length), 3000, eol);
      const path = join(dir, `random-${label}.csv`);
      await writeFile(path, text);
      const whole = await readCsv(enc.encode(text));
      for (const threads of [1, 2, 3]) expectSame(await readCsvFile(path, { threads, minPartBytes: 4096 }), whole);
      // the parts join (readCsvFile does not fall back to one reader here)
      const handle = await open(path, 'r');
      const cut = await cutPoints(handle, Buffer.byteLength(text), 3, true).finally(() => handle.close());
      const joined = await joinAt(enc.encode(text), cut!.starts);
      expect(joined).toBeDefined();
      expectSame(joined!, whole);
      // readTable reads CSV files the same way
      expectSame(await readTable(path, { threads: 3, minPartBytes: 4096 }), whole);
    });
  }

  it('gives the error one reader gives when the first part holds a bad record', async () => {
    const rows = ['a,b', '1,2,3'];
    for (let i = 0; i < 2000; i++) rows.push(`${i},${i}`);
    const path = join(dir, 'bad-first.csv');
    await writeFile(path, csv(rows));
    const e = await failure(() => readCsvFile(path, { threads: 3, minPartBytes: 1024 }));
    expect([e.code, e.message]).toEqual(['E_PARSE', expect.stringMatching(/^line 2 has 3 fields/)]);
  });

  it('gives the error one reader gives, with its line, when a later part holds a bad record', async () => {
    const rows = ['a,b'];
    for (let i = 0; i < 2000; i++) rows.push(i === 1700 ? '1,2,3' : `${i},${i}`);
    const path = join(dir, 'bad.csv');
    await writeFile(path, csv(rows));
    const e = await failure(() => readCsvFile(path, { threads: 3, minPartBytes: 1024 }));
    expect(e.code).toBe('E_PARSE');
    expect(e.message).toMatch(/^line 1702 has 3 fields/);
  });

  it('rejects a bad thread count naming the option', async () => {
    const path = join(dir, 'small.csv');
    await writeFile(path, 'a\n1\n');
    const e = await failure(() => readCsvFile(path, { threads: 0 }));
    expect([e.code, e.message]).toEqual(['E_BAD_OPTION', expect.stringMatching(/threads/)]);
  });
});

describe('readCsvFile keeping records as read', () => {
  // cells of a text column: formulas, a quoted one with a line break, doubled quotes and a delimiter, others
  const notes = ['=1+2', '-x', '"=q, ""x""\nz"', 'plain', '@a', '"+in quotes"', '\uff1d1', 'Zürich', '東京', '\tx', ''];
  /** The value a reader gives a cell: quotes taken off. */
  const valueOf = (cell: string) => (cell.startsWith('"') ? cell.slice(1, -1).replaceAll('""', '"') : cell);
  const risky = (value: string) => /^[=+\-@\t\r]/.test(value) || (value.charCodeAt(0) >= 0xff00);

  function file(rand: Random, n: number, eol: string, quoted: boolean) {
    const records: string[][] = [];
    for (let i = 0; i < n; i++) {
      const note = notes[rand.int(notes.length)];
      records.push([`C${i}`, (Math.exp(rand.normal()) * 100).toFixed(rand.int(4)), quoted || !note.startsWith('"') ? note : 'x', rand.next() < 0.1 ? '-3' : String(rand.int(50))]);
    }
    // a byte order mark, and an empty line after the first tenth of the records (readers skip it)
    const lines = records.map((r) => r.join(','));
    const text = `\ufeffid,spend,note,visits${eol}${lines.slice(0, n / 10).join(eol)}${eol}${eol}${lines.slice(n / 10).join(eol)}${eol}`;
    return { records, text };
  }

  const dec = new TextDecoder();
  for (const [label, eol, quoted] of [['LF, no quotes', '\n', false], ['LF', '\n', true], ['CRLF', '\r\n', true]] as const) {
    it(`gives every record's text, its line ending and flags, on 1, 2 and 3 threads (${label})`, async () => {
      const { records, text } = file(createRandom(label.length), 3000, eol, quoted);
      const path = join(dir, `records-${label}.csv`);
      await writeFile(path, text);
      const whole = await readCsv(enc.encode(text));
      for (const threads of [1, 2, 3]) {
        const read: RecordsRead = { header: undefined, newline: '', blocks: [] };
        const table = await readCsvFile(path, { threads, minPartBytes: 4096 }, read);
        expectSame(table, whole);
        expect(read.blocks.length).toBe(threads);
        expect(dec.decode(read.header)).toBe('id,spend,note,visits');
        expect(read.newline).toBe(eol);
        const got: string[] = [], flags: number[] = [];
        for (const b of read.blocks) {
          for (let i = 0; i < b.ends.length; i++) {
            got.push(dec.decode(b.records.subarray(b.starts[i], b.ends[i])));
            flags.push(b.risky[i]);
          }
        }
        expect(got).toEqual(records.map((r) => r.join(',')));
        // a record is flagged where a cell's value starts as a formula may (all columns: the types are not known yet)
        expect(flags).toEqual(records.map((r) => (r.some((cell) => risky(valueOf(cell))) ? 1 : 0)));
      }
    });
  }

  it('keeps no records of a file separated otherwise than asked, nor records past the limit', async () => {
    const rows = ['a;b'];
    for (let i = 0; i < 200; i++) rows.push(`${i};x${i}`);
    const path = join(dir, 'semicolons.csv');
    await writeFile(path, csv(rows));
    for (const threads of [1, 2]) {
      const read: RecordsRead = { header: undefined, newline: '', blocks: [], delimiter: ',' };
      const table = await readCsvFile(path, { threads, minPartBytes: 256, delimiter: 'auto' }, read);
      expect(table.numRows).toBe(200);
      expect(csvInfo(table)!.delimiter).toBe(';');
      expect([read.header, read.blocks]).toEqual([undefined, []]);
      const semi: RecordsRead = { header: undefined, newline: '', blocks: [], delimiter: ';' };
      await readCsvFile(path, { threads, minPartBytes: 256, delimiter: 'auto' }, semi);
      expect(dec.decode(semi.header)).toBe('a;b');
      expect(semi.blocks.flatMap((b) => Array.from(b.ends, (e, i) => dec.decode(b.records.subarray(b.starts[i], e))))).toEqual(rows.slice(1));
    }
    // records past the limit are dropped, and taking them is an error
    const texts = new RecordTexts(() => true, () => new Set(), 16, 500);
    await readCsvWith(csv(rows), {}, texts);
    expect(texts.lost).toBe(true);
    expect(keptRecords(texts)).toBeUndefined();
    const e = await failure(async () => texts.take(1));
    expect(e.code).toBe('E_MEMORY');
  });

  it('keeps the records of a file larger than the limit on no thread count, and of one within it on every one', async () => {
    // quoted records too: a reader of text makes room for up to 3 bytes a character, and must keep what fits
    const rows = ['id,v'];
    for (let i = 0; i < 200; i++) rows.push(i % 2 === 0 ? `${i},x${i}` : `${i},"quoted, ${'y'.repeat(90)} ""${i}"""`);
    const path = join(dir, 'limit.csv');
    await writeFile(path, csv(rows));
    const size = (await stat(path)).size;
    for (const threads of [1, 2, 3]) {
      // each part would fit within size - 1 bytes, and one reader's records too: the file does not
      const over: RecordsRead = { header: undefined, newline: '', blocks: [], limit: size - 1 };
      expect((await readCsvFile(path, { threads, minPartBytes: 256 }, over)).numRows).toBe(200);
      expect([over.header, over.blocks]).toEqual([undefined, []]);
      const within: RecordsRead = { header: undefined, newline: '', blocks: [], limit: size };
      await readCsvFile(path, { threads, minPartBytes: 256 }, within);
      expect(dec.decode(within.header)).toBe('id,v');
      expect(within.blocks.flatMap((b) => Array.from(b.ends, (e, i) => dec.decode(b.records.subarray(b.starts[i], e))))).toEqual(rows.slice(1));
    }
  });

  it('gives the records of a file the parts cannot join, read again by one reader', async () => {
    const rows = ['id,v'];
    for (let i = 0; i < 100; i++) rows.push(`${i},${i < 50 ? i : 'true'}`);
    const path = join(dir, 'bool-records.csv');
    await writeFile(path, csv(rows));
    const read: RecordsRead = { header: undefined, newline: '', blocks: [] };
    expectSame(await readCsvFile(path, { threads: 2, minPartBytes: 64 }, read), await readCsv(csv(rows)));
    expect(read.blocks.length).toBe(1);
    const b = read.blocks[0];
    expect(Array.from(b.ends, (e, i) => dec.decode(b.records.subarray(b.starts[i], e)))).toEqual(rows.slice(1));
  });
});
