import { Readable } from 'node:stream';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Field, Float64, RecordBatch, Schema, Struct, Table, Utf8, makeData, tableToIPC, vectorFromArray } from 'apache-arrow';
import { readFileSync } from 'node:fs';
import { parse as parseSync } from 'csv-parse/sync';
import { parquetMetadata } from 'hyparquet/src/index.js';
import { ByteWriter, parquetWriteBuffer } from 'hyparquet-writer';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { EdgeRuntime } from 'edge-runtime';
import { rolldown } from 'rolldown';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegkitError } from '../src/util/errors.js';
import { readCsv } from '../src/data/readCsv.js';
import { READ_CSV_DEFAULTS, csvInfo, csvRecordsWith } from '../src/data/csvCore.js';
import { createRandom } from '../src/util/random.js';
import { readCsv as readCsvNode } from '../src/data/readCsv.js';
import { csvRecords } from '../src/data/csvRecords.js';
import { readJson } from '../src/data/readJson.js';
import { readNdjson } from '../src/data/readNdjson.js';
import { readArrow } from '../src/data/readArrow.js';
import { readParquet } from '../src/data/readParquet.js';
import { readArrowBatches } from '../src/data/arrowBatches.node.js';
import { readTable } from '../src/data/readTable.node.js';
import { writeCsv as writeCsvInNode } from '../src/data/writeCsv.js';
import { fromArrow } from '../src/data/dataset.js';
import { failure } from './helpers.js';

const types = (t: Table) => Object.fromEntries(t.schema.fields.map((f) => [f.name, String(f.type)]));
const values = (t: Table, name: string) => [...t.getChild(name)!].map((v) => v ?? null);

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const SAMPLE = [
  'id,spend,active,signup,city,zip,score',
  '1,12.5,true,2024-01-05,Zürich,007,3',
  '2,,false,2024-02-29T10:30:00Z,"Paris, FR",02134,-1',
  '3,-4.25,TRUE,2023-12-31T23:59:59.250+01:00,"say ""hi""",10115,',
].join('\n');

describe('readCsv type inference', () => {
  it('gives a column that turns to text its earlier number cells as they were written', async () => {
    // version-like codes, signs, points and exponents: String(value) would give 1.5, 1000, 5, 0.5, 5, 0, 0, 1e-7, 8, 2
    const cells = ['1.50', '1e3', '+5', '.5', '5.', '-0', '-0.0', '0.0000001', ' 8 ', '2.0', '80.56', '-.50', '12', 'NaN', '-Infinity'];
    const words = ['abc', 'def', 'ghi', 'jkl', 'mno', 'pqr', 'stu', 'vwx', 'yz', 'ab', 'cd', 'ef', 'gh', 'ij', 'kl', 'mn'];
    const csv = `code\n${[...cells, ...words].map((c) => (c.includes(' ') ? `"${c}"` : c)).join('\n')}\n`;
    const t = await readCsv(csv);
    expect(types(t)).toEqual({ code: 'Utf8' });
    // NaN is a missing-value token
    expect(values(t, 'code')).toEqual([...cells.map((c) => (c === 'NaN' ? null : c)), ...words]);
    // with a decimal comma, the comma comes back
    const comma = await readCsv(`code;x\n1,50;1\n2,0;2\n${words.map((w, i) => `${w};${i}`).join('\n')}\n`, { delimiter: ';', decimal: ',' });
    expect(values(comma, 'code').slice(0, 3)).toEqual(['1,50', '2,0', 'abc']);
    // a column that stays numeric is unchanged
    expect(values(await readCsv('v\n1.50\n2.0\n1e3\n'), 'v')).toEqual([1.5, 2, 1000]);
    // past 65,536 cells written with exponents (kept as text), a cell that turns the column to text is an error
    const many = `v\n${'1e3\n'.repeat(65_537)}abc\n`;
    const e = await failure(() => readCsv(many));
    expect(e.code).toBe('E_PARSE');
    expect(e.message).toMatch(/^line 65539, column "v": "abc" turns the column to text, but more than 65,536 of the numbers/);
  });

  it('gives a column that turns to text its earlier boolean and date cells as they were written, fractions finer than a millisecond too', async () => {
    // pandas reads both columns as these strings (dtype object); as dates, the two times 0.1 ms apart are one value
    const flags = ['TRUE', 'False', 'true', 'tRuE', ' false '];
    const dates = [
      '2024-01-02T01:02+02:00', '2024-01-02 01:02:03', '2024-01-02', '2024-01-02T01:02:03.000Z', '2024-01-02T01:02:03.4567',
      '2024-01-02T01:02:03.4568', '2024-01-02t01:02:03z', '2024-01-02 01:02', '2024-01-02T01:02:03Z', '2024-01-02T01:02:03.123456789+05:30',
    ];
    const csv = `flag,when\n${dates.map((d, i) => `"${flags[i % flags.length]}",${d}`).join('\n')}\nunknown,unknown\n`;
    const streamed: Table[] = [];
    for await (const b of csvRecordsWith(csv, { batchSize: 100 })) streamed.push(b);
    for (const t of [await readCsv(csv), streamed[0]]) {
      expect(types(t)).toEqual({ flag: 'Utf8', when: 'Utf8' });
      expect(values(t, 'flag')).toEqual([...dates.map((_, i) => flags[i % flags.length]), 'unknown']);
      expect(values(t, 'when')).toEqual([...dates, 'unknown']);
    }
    // a column of such times that stays dates holds them to the millisecond
    expect(values(await readCsv('when\n2024-01-02T01:02:03.4567Z\n'), 'when')).toEqual([Date.UTC(2024, 0, 2, 1, 2, 3, 456)]);
  });

  it('infers Int32, Float64, Bool, Timestamp and Utf8, with empty cells as null', async () => {
    const t = await readCsv(SAMPLE);
    expect(types(t)).toEqual({
      id: 'Int32',
      spend: 'Float64',
      active: 'Bool',
      signup: 'Timestamp<MILLISECOND>',
      city: 'Utf8',
      zip: 'Utf8',
      score: 'Int32',
    });
    expect(t.numRows).toBe(3);
    expect(values(t, 'id')).toEqual([1, 2, 3]);
    expect(values(t, 'spend')).toEqual([12.5, null, -4.25]);
    expect(values(t, 'active')).toEqual([true, false, true]);
    expect(values(t, 'signup')).toEqual([
      Date.UTC(2024, 0, 5),
      Date.UTC(2024, 1, 29, 10, 30),
      Date.UTC(2023, 11, 31, 22, 59, 59, 250), // +01:00 is an hour ahead of UTC
    ]);
    expect(values(t, 'city')).toEqual(['Zürich', 'Paris, FR', 'say "hi"']);
    // leading zeros mark identifiers: the column stays text and keeps them
    expect(values(t, 'zip')).toEqual(['007', '02134', '10115']);
    expect(values(t, 'score')).toEqual([3, -1, null]);
    expect(t.getChild('score')!.nullCount).toBe(1);
  });

  it('widens a column to text when a later value is not a number, re-rendering the earlier numbers', async () => {
    const t = await readCsv('code\n12\n3.5\nA7\n\n');
    expect(types(t)).toEqual({ code: 'Utf8' });
    expect(values(t, 'code')).toEqual(['12', '3.5', 'A7']);
  });

  it('keeps integers beyond 32 bits and decimals with a point as Float64', async () => {
    const t = await readCsv('big,whole\n3000000000,2.0\n1,3.0\n');
    expect(types(t)).toEqual({ big: 'Float64', whole: 'Float64' });
    expect(values(t, 'big')).toEqual([3000000000, 1]);
  });

  it('reads Infinity as a number and NaN as missing (NaN as a number when nullValues leaves it out); parseDates: false keeps dates as text', async () => {
    const text = 'x,d\nNaN,2024-01-01\n-Infinity,2024-01-02\n1.5,2024-01-03\n';
    const t = await readCsv(text, { parseDates: false });
    expect(types(t)).toEqual({ x: 'Float64', d: 'Utf8' });
    expect(values(t, 'x')).toEqual([null, -Infinity, 1.5]);
    expect(values(t, 'd')).toEqual(['2024-01-01', '2024-01-02', '2024-01-03']);
    expect(values(await readCsv(text, { nullValues: [''] }), 'x')).toEqual([NaN, -Infinity, 1.5]);
  });

  it('rejects impossible calendar dates, so they stay text', async () => {
    const t = await readCsv('d\n2024-02-30\n2024-01-01\n');
    expect(types(t)).toEqual({ d: 'Utf8' });
  });

  it('rejects impossible zone offsets (+25:00, +05:99), so they stay text; real ones shift the time', async () => {
    for (const zone of ['+25:00', '+05:99', '-2400']) {
      const t = await readCsv(`d\n2024-01-01T10:00:00${zone}\n2024-01-01T10:00:00Z\n`);
      expect(types(t)).toEqual({ d: 'Utf8' });
    }
    const t = await readCsv('d\n2024-01-01T10:00:00+14:00\n2024-01-01T10:00:00-0930\n');
    expect(values(t, 'd').map((v) => new Date(v as number).toISOString())).toEqual(['2023-12-31T20:00:00.000Z', '2024-01-01T19:30:00.000Z']);
  });

  it('reads a column that is only empty cells as an all-null Utf8 column', async () => {
    const t = await readCsv('a,b\n1,\n2,\n');
    expect(types(t).b).toBe('Utf8');
    expect(t.getChild('b')!.nullCount).toBe(2);
  });

  it('names an empty header cell by its position and rejects a duplicated name', async () => {
    const t = await readCsv(',x\n1,2\n');
    expect(t.schema.fields.map((f) => f.name)).toEqual(['column1', 'x']);
    const e = await failure(() => readCsv('a,b,a\n1,2,3\n'));
    expect(e.code).toBe('E_PARSE');
    expect(e.message).toContain('"a" appears twice (columns 1 and 3)');
  });

  it('reads words such as "constructor" as text, and columns with such names as ordinary columns', async () => {
    const t = await readCsv('constructor,toString,__proto__\nconstructor,1,true\nvalueOf,2,false\n');
    expect(types(t)).toEqual({ constructor: 'Utf8', toString: 'Int32', ['__proto__']: 'Bool' });
    expect(values(t, 'constructor')).toEqual(['constructor', 'valueOf']);
    const j = await readJson('[{"constructor":"hasOwnProperty","n":1}]');
    expect(types(j)).toEqual({ constructor: 'Utf8', n: 'Int32' });
  });

  it('treats the listed nullValues as null', async () => {
    const t = await readCsv('x\n1\nNA\n3\n', { nullValues: ['', 'NA'] });
    expect(types(t)).toEqual({ x: 'Int32' });
    expect(values(t, 'x')).toEqual([1, null, 3]);
  });

  it('keeps a U+FEFF that starts a cell after the first line, in quote-free text as in quoted text', async () => {
    const text = `id,v,w\n${'x,1,2\n'.repeat(20)}\ufeffabc,\ufeffNA,3\n"\ufeffq",4,5\n`;
    const t = await readCsv(chunksOf(new TextEncoder().encode(text), 16), { nullValues: ['', 'NA', 'longer'] });
    // the stored bytes (Arrow's own decoding of a value drops a leading U+FEFF)
    const stored = (name: string) => Buffer.from(t.getChild(name)!.data[0].values as Uint8Array).toString();
    expect(stored('id').endsWith('x\ufeffabc\ufeffq')).toBe(true);
    expect(stored('v').endsWith('1\ufeffNA4')).toBe(true);
    expect(t.getChild('v')!.nullCount).toBe(0);
  });

  it('numbers the lines of records holding a bare LF in a file whose lines end in CR LF', async () => {
    const t = await readCsv('name,v\r\na\nb,1\r\nc,2\r\n');
    expect(values(t, 'name')).toEqual(['a\nb', 'c']);
    expect([csvInfo(t)!.line(0), csvInfo(t)!.line(1)]).toEqual([3, 4]);
  });

  it('reads characters beyond ASCII in cells, null tokens and a delimiter of unquoted text as it reads them in quoted text', async () => {
    // "ñ" and "—" are null tokens longer in UTF-8 bytes than in characters; "¦" is a 2-byte delimiter
    const rows = [['city', 'v', 'w'], ['Zürich', 'ñ', '1'], ['東京', '2', '—'], ['São Paulo', '3.5', '-4'], ['ñandú', '—', 'ñ']];
    const nullValues = ['', 'ñ', '—'];
    for (const delimiter of [',', '¦', '¦¦']) {
      const plain = rows.map((r) => r.join(delimiter)).join('\n') + '\n';
      // a quote in the last line sends that slice through the quote-aware parser
      const quoted = `${plain}"x"${delimiter}1${delimiter}2\n`;
      for (const [text, extra] of [[plain, []], [quoted, ['x']]] as const) {
        // the first slice (the header's) goes through papaparse; small chunks send the rest through the byte splitter
        for (const size of [1 << 20, 5, 16]) {
          const t = await readCsv(chunksOf(new TextEncoder().encode(text), size), { delimiter, nullValues });
          expect(types(t)).toEqual({ city: 'Utf8', v: 'Float64', w: 'Int32' });
          expect(values(t, 'city')).toEqual(['Zürich', '東京', 'São Paulo', 'ñandú', ...extra]);
          expect(values(t, 'v')).toEqual([null, 2, 3.5, null, ...extra.map(() => 1)]);
          expect(values(t, 'w')).toEqual([1, null, -4, null, ...extra.map(() => 2)]);
        }
      }
    }
  });

  it('reads plain decimals while splitting unquoted lines exactly as a column reads their text', async () => {
    // a null token that is itself a plain decimal (and never occurs) makes the reader leave every cell to the column
    // builders, which read each cell's string: the reference for the values, the types and the forms kept for text
    const reference = [...READ_CSV_DEFAULTS.nullValues, '-98765.4321'];
    const random = createRandom(11);
    const forms = ['0', '-0', '+5', '7', '-12', '007', '1.', '.5', '-.5', '+.25', '1.50', '80.56', '0.000001', '0.0000001', '-0.00000012',
      '123456789012345', '1234567890123456', '12345678.9012345', '2147483647', '2147483648', '-2147483649', '1e5', ' 7', '7 ', '', 'NA', '-', '1.2.3', '--1', '5-'];
    // a quoted cell sends its slice through the quote-aware parser
    const texts = ['x', 'abc', '1a', 'Infinity', '"q"', '"4.5"'];
    for (let round = 0; round < 40; round++) {
      const width = 1 + random.int(4);
      const n = 1 + random.int(60);
      const lines = [Array.from({ length: width }, (_, j) => `c${j}`).join(',')];
      for (let i = 0; i < n; i++) {
        lines.push(Array.from({ length: width }, () => (random.next() < 0.03 ? texts[random.int(texts.length)] : forms[random.int(forms.length)])).join(','));
      }
      const bytes = new TextEncoder().encode(lines.join('\n') + '\n');
      const typed = { c0: 'number' as const };
      for (const options of [{}, { types: typed }, { decimal: ',' as const, delimiter: ';' }]) {
        const text = options.delimiter ? bytes.map((b) => (b === 44 ? 59 : b)) : bytes;
        for (const size of [1 << 20, 7, 40]) {
          const read = async (nullValues: readonly string[]) => {
            try {
              return await readCsv(chunksOf(text, size), { ...options, nullValues });
            } catch (error) {
              return (error as SegkitError).message;
            }
          };
          const [got, want] = [await read(READ_CSV_DEFAULTS.nullValues), await read(reference)];
          if (typeof want === 'string') {
            expect(got).toBe(want);
            continue;
          }
          expect(got).toBeInstanceOf(Table);
          const t = got as Table;
          expect(types(t)).toEqual(types(want));
          for (const f of want.schema.fields) expect(values(t, f.name).map((v) => (Object.is(v, -0) ? '-0' : v))).toEqual(values(want, f.name).map((v) => (Object.is(v, -0) ? '-0' : v)));
          expect(csvInfo(t)!.textStats).toEqual(csvInfo(want)!.textStats);
        }
        // batches with the types the first batch inferred, which refuse leading zeros and integers beyond 2^53
        const batches = async (nullValues: readonly string[]) => {
          const out: unknown[] = [];
          try {
            for await (const b of csvRecords(chunksOf(text, 16), { ...options, nullValues, batchSize: 5 })) out.push(types(b), ...b.schema.fields.map((f) => values(b, f.name)));
          } catch (error) {
            out.push((error as SegkitError).message);
          }
          return out;
        };
        expect(await batches(READ_CSV_DEFAULTS.nullValues)).toEqual(await batches(reference));
      }
    }
  });

  it('reads the columns a record-text sink does not need as nulls, and every other column as before', async () => {
    const lines = ['id,x,note,y'];
    for (let i = 0; i < 200; i++) lines.push(`c${i},${i / 4},${i % 50 === 7 ? '"q, r"' : `n${i}`},${i % 3}`);
    const bytes = new TextEncoder().encode(lines.join('\n') + '\n');
    const read = async (skip?: string[]) => {
      const texts = { bytes: () => undefined, text: () => undefined, skipped: () => (skip ? new Set(skip) : undefined) };
      const out: Table[] = [];
      // small chunks: slices split as bytes and slices with a quote, in batches with frozen types
      for await (const b of csvRecordsWith(chunksOf(bytes, 23), { batchSize: 64 }, texts)) out.push(b);
      return out;
    };
    const [all, some] = [await read(), await read(['id', 'note'])];
    expect(some.map((b) => b.numRows)).toEqual(all.map((b) => b.numRows));
    some.forEach((b, k) => {
      expect(types(b)).toEqual({ ...types(all[k]), id: 'Utf8', note: 'Utf8' });
      for (const name of ['x', 'y']) expect(values(b, name)).toEqual(values(all[k], name));
      for (const name of ['id', 'note']) expect(values(b, name).every((v) => v === null)).toBe(true);
    });
    expect(values(all[0], 'note')[7]).toBe('q, r');
  });

  it('returns an empty table for a header without rows', async () => {
    const t = await readCsv('a,b\n');
    expect(t.numRows).toBe(0);
    expect(t.schema.fields.map((f) => f.name)).toEqual(['a', 'b']);
  });
});

describe('readCsv syntax', () => {
  it('parses quoted fields with delimiters, doubled quotes and line breaks, CRLF endings and a BOM', async () => {
    const text = '\ufeffname;note\r\n"a;b";"line1\nline2"\r\nc;"x ""y"""\r\n';
    const t = await readCsv(text, { delimiter: ';' });
    expect(t.schema.fields.map((f) => f.name)).toEqual(['name', 'note']);
    // csv-parse's synchronous API is the independent reference for the cell contents
    const expected = parseSync(text, { delimiter: ';', bom: true, from_line: 2 }) as string[][];
    expect(values(t, 'name')).toEqual(expected.map((r) => r[0]));
    expect(values(t, 'note')).toEqual(expected.map((r) => r[1]));
    expect(values(t, 'note')).toEqual(['line1\nline2', 'x "y"']);
  });

  it('reads a BOM at the start of byte input and multi-byte characters split across chunks', async () => {
    const bytes = new TextEncoder().encode('\ufeffcity,n\nZürich,1\n東京,2\n');
    for (const size of [1, 2, 3, 7]) {
      const t = await readCsv(chunksOf(bytes, size));
      expect(t.schema.fields.map((f) => f.name)).toEqual(['city', 'n']);
      expect(values(t, 'city')).toEqual(['Zürich', '東京']);
    }
  });

  it('accepts a string, bytes, an ArrayBuffer, a web ReadableStream and a Node stream alike', async () => {
    const text = 'a,b\n1,x\n2,y\n';
    const bytes = new TextEncoder().encode(text);
    const inputs = [
      text,
      bytes,
      bytes.buffer.slice(0),
      new Blob([bytes]).stream(),
      Readable.from([Buffer.from(bytes.subarray(0, 5)), Buffer.from(bytes.subarray(5))]),
    ];
    for (const input of inputs) {
      const t = await readCsv(input as never);
      expect(values(t, 'a')).toEqual([1, 2]);
      expect(values(t, 'b')).toEqual(['x', 'y']);
    }
  });

  it('gives the same table with the browser build of csv-parse and the Node build', async () => {
    const a = await readCsv(SAMPLE);
    const b = await readCsvNode(SAMPLE);
    expect(types(b)).toEqual(types(a));
    expect(a.schema.fields).toHaveLength(7);
    for (const f of a.schema.fields) expect(values(b, f.name)).toEqual(values(a, f.name));
  });
});

describe('readCsv errors', () => {
  it('refuses a string holding a lone surrogate, naming its line, where it was stored as U+FFFD and two ids read as one', async () => {
    const text = 'id,x\nb\u{1F600},0\na\ud800,1\na\ud801,2\n';
    const message = 'line 3: U+D800 is a lone surrogate, which UTF-8 text has no character for (a string given to the reader must be whole UTF-16 text)';
    expect((await failure(() => readCsv(text))).message).toBe(message);
    // a quoted field, the last record without a line break, CR LF lines, batches
    expect((await failure(() => readCsv('id,x\r\nb,0\r\n"a\udc00",1'))).message).toMatch(/^line 3: U\+DC00 is a lone surrogate/);
    expect((await failure(async () => { for await (const _ of csvRecords(text, { batchSize: 1 })) void _; })).message).toBe(message);
    // a pair split between two chunks of a stream is one character
    const pieces = (async function* () { for (let i = 0; i < 8; i++) yield 'id,x\nb\ud83d\ude00,0\n'[i]; yield 'id,x\nb\ud83d\ude00,0\n'.slice(8); })();
    expect([...(await readCsv(pieces)).getChild('id')!]).toEqual(['b\u{1F600}']);
  });

  it('refuses a line ending in CR LF in a file whose header line ends in LF, naming the line (text, bytes, quoted records)', async () => {
    const mixed = 'id,a,note\n1,1.5,x\n2,2.5,y\r\n3,3.5,z\n';
    const e = await failure(() => readCsv(mixed));
    expect(e.code).toBe('E_PARSE');
    expect(e.message).toMatch(/^line 3 ends with CR LF, but the header line ends with LF alone/);
    // with quotes in the file (papaparse's path): a CR LF inside a quoted field is the field's, one outside is not
    expect(values(await readCsv('id,a,note\n1,1.5,"x\r\ny"\n2,2.5,z\n'), 'note')).toEqual(['x\r\ny', 'z']);
    expect((await failure(() => readCsv('id,a,note\n1,1.5,"x\r\ny"\n2,2.5,"z"\r\n'))).message).toMatch(/^line 4 ends with CR LF/);
    // a file large enough to be split as bytes, chunk by chunk, with the CR LF far in
    const lines = ['id,a,note'];
    for (let i = 1; i <= 60_000; i++) lines.push(`${i},${i / 4},n${i}`);
    const dir = await mkdtemp(join(tmpdir(), 'segkit-crlf-'));
    try {
      const file = join(dir, 'big.csv');
      await writeFile(file, lines.join('\n').replace('\n50000,', '\r\n50000,') + '\n');
      const big = await failure(() => readTable(file));
      expect(big.message).toContain('line 50000 ends with CR LF');
      await writeFile(file, lines.join('\n') + '\n');
      expect((await readTable(file)).numRows).toBe(60_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the line and the extra column of a row with too many fields', async () => {
    for (const read of [readCsv, readCsvNode]) {
      const e = await failure(() => read('a,b\n1,2\n3,4,5\n6,7\n'));
      expect(e.code).toBe('E_PARSE');
      expect(e.message).toMatch(/^line 3 has 3 fields but the header has 2: column 3 is unexpected/);
    }
  });

  it('names the line and the missing column of a row with too few fields', async () => {
    const e = await failure(() => readCsv('a,b,c\n1,2,3\n4,5\n'));
    expect(e.code).toBe('E_PARSE');
    expect(e.message).toMatch(/^line 3 has 2 fields but the header has 3: column 3 \("c"\) is missing/);
  });

  it('names the line and column where an unclosed quote starts', async () => {
    for (const read of [readCsv, readCsvNode]) {
      const e = await failure(() => read('a,b\n1,2\n3,"open\n5,6\n'));
      expect(e.code).toBe('E_PARSE');
      expect(e.message).toMatch(/^line 3, column 2 \("b"\): a quoted field is never closed/);
    }
  });

  it('names the line and column of a stray quote inside an unquoted field', async () => {
    const e = await failure(() => readCsv('a,b\n1,x"y\n'));
    expect(e.code).toBe('E_PARSE');
    expect(e.message).toMatch(/^line 2, column 2 \("b"\)/);
  });

  it('reports an empty input as E_EMPTY_DATA, whatever its form', async () => {
    for (const input of ['', '\r\n\r\n', '\ufeff', new Uint8Array(0), new Blob([]).stream(), Readable.from([])]) {
      const e = await failure(() => readCsv(input as never));
      expect(e.code).toBe('E_EMPTY_DATA');
    }
  });

  it('stops with E_ABORTED when the signal fires', async () => {
    const e = await failure(() => readCsv('a\n1\n', { signal: AbortSignal.abort() }));
    expect(e.code).toBe('E_ABORTED');
    const n = await failure(() => readNdjson('{"a":1}\n', { signal: AbortSignal.abort() }));
    expect(n.code).toBe('E_ABORTED');
  });

  it('rejects bad options naming the option and the value', async () => {
    let e = await failure(() => readCsv('a\n1\n', { delimiter: '' }));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toContain('"delimiter"');
    e = await failure(() => readCsv('a\n1\n', { types: { a: 'money' as never } }));
    expect(e.message).toContain('"types.a"');
    expect(e.message).toContain('"money"');
    e = await failure(() => readCsv(42 as never));
    expect(e.code).toBe('E_BAD_OPTION');
  });

  it('refuses a misspelt option, naming the likely one, rather than reading with its default in silence', async () => {
    const text = 'id;spend\n1;12.5\n2;3\n';
    // with the option ignored, the file was one column "id;spend" of text
    expect(types(await readCsv(text, { delimiter: ';' }))).toEqual({ id: 'Int32', spend: 'Float64' });
    let e = await failure(() => readCsv(text, { delimeter: ';' } as never));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toContain('readCsv: unknown option "delimeter"; did you mean "delimiter"?');
    e = await failure(async () => {
      for await (const _ of csvRecords(text, { delimiter: ';', batchsize: 1 } as never)) void _;
    });
    expect(e.message).toContain('csvRecords: unknown option "batchsize"; did you mean "batchSize"?');
    e = await failure(() => readJson('[{"id": "007"}]', { type: { id: 'string' } } as never));
    expect(e.message).toContain('readJson: unknown option "type"; did you mean "types"?');
    e = await failure(() => readNdjson('{"d": "2024-01-05"}\n', { parseDate: false } as never));
    expect(e.message).toContain('readNdjson: unknown option "parseDate"; did you mean "parseDates"?');
    // readTable takes its own options (format, threads) and hands the readers only theirs
    const file = join(await mkdtemp(join(tmpdir(), 'segkit-options-')), 'spend.csv');
    await writeFile(file, text);
    try {
      expect(types(await readTable(file, { format: 'csv', threads: 1, delimiter: ';' }))).toEqual({ id: 'Int32', spend: 'Float64' });
      await writeFile(file.replace(/csv$/, 'json'), '[{"id": 1}]');
      expect((await readTable(file.replace(/csv$/, 'json'), { format: 'json', threads: 2, minPartBytes: 10, delimiter: undefined })).numRows).toBe(1);
      const e2 = await failure(() => readTable(file, { delimeter: ';' } as never));
      expect(e2.code).toBe('E_BAD_OPTION');
    } finally {
      await rm(join(file, '..'), { recursive: true, force: true });
    }
  });

  it('the readers the README says refuse a misspelt option are each a function of the package', async () => {
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8').replace(/\s+/g, ' ');
    const names = /The readers \(([^)]*)\) refuse one/.exec(readme)![1].match(/\w+/g)!;
    expect(names).toContain('readTable');
    const api = (await import('../src/index.node.js')) as Record<string, unknown>;
    for (const name of names) expect(typeof api[name], name).toBe('function');
  });
});

describe('readCsv type overrides', () => {
  it('applies string, category, number, integer, date and boolean overrides', async () => {
    const t = await readCsv('id,seg,amount,n,day,flag\n001,gold,5,7,2024-03-01,yes\n002,silver,6.5,8,2024-03-02 08:00,0\n003,gold,,9,,N\n', {
      types: { id: 'string', seg: 'category', amount: 'number', n: 'integer', day: 'date', flag: 'boolean' },
    });
    expect(types(t)).toEqual({
      id: 'Utf8',
      seg: 'Dictionary<Int32, Utf8>',
      amount: 'Float64',
      n: 'Int32',
      day: 'Timestamp<MILLISECOND>',
      flag: 'Bool',
    });
    expect(values(t, 'id')).toEqual(['001', '002', '003']);
    expect(values(t, 'seg')).toEqual(['gold', 'silver', 'gold']);
    expect(values(t, 'amount')).toEqual([5, 6.5, null]);
    expect(values(t, 'day')).toEqual([Date.UTC(2024, 2, 1), Date.UTC(2024, 2, 2, 8), null]);
    expect(values(t, 'flag')).toEqual([true, false, false]);
  });

  it('fails with the line and column of a value that does not fit its override', async () => {
    let e = await failure(() => readCsv('id,amount\n1,5\n2,abc\n', { types: { amount: 'number' } }));
    expect(e.code).toBe('E_PARSE');
    expect(e.message).toBe('line 3, column "amount": "abc" is not a number');
    e = await failure(() => readCsv('n\n1\n2.5\n', { types: { n: 'integer' } }));
    expect(e.message).toBe('line 3, column "n": "2.5" is not an integer');
    e = await failure(() => readCsv('d\n2024-01-01\nyesterday\n', { types: { d: 'date' } }));
    expect(e.message).toMatch(/^line 3, column "d": "yesterday" is not an ISO 8601 date/);
  });

  it('counts lines from the file, so a quoted line break moves the reported line', async () => {
    const e = await failure(() => readCsv('note,n\n"two\nlines",1\nx,oops\n', { types: { n: 'integer' } }));
    expect(e.message).toBe('line 4, column "n": "oops" is not an integer');
  });

  it('rejects an override for a column the header does not have', async () => {
    const e = await failure(() => readCsv('a\n1\n', { types: { b: 'number' } }));
    expect(e.code).toBe('E_MISSING_COLUMN');
    expect(e.message).toContain('"b"');
  });
});

describe('csvRecords', () => {
  const text = ['k,v,t', ...Array.from({ length: 23 }, (_, i) => `${i},${(i * 0.5).toFixed(1)},${i % 3 === 0 ? 'x' : 'y'}`)].join('\n');

  it('yields batches of at most batchSize rows that together equal readCsv, all with one schema', async () => {
    const whole = await readCsv(text);
    const batches: Table[] = [];
    for await (const batch of csvRecords(text, { batchSize: 5 })) batches.push(batch);
    expect(batches.map((b) => b.numRows)).toEqual([5, 5, 5, 5, 3]);
    for (const b of batches) expect(types(b)).toEqual({ k: 'Float64', v: 'Float64', t: 'Utf8' });
    for (const name of ['k', 'v', 't']) expect(batches.flatMap((b) => values(b, name))).toEqual(values(whole, name));
  });

  it('fails with line, column and a hint when a later batch does not fit the inferred type', async () => {
    const bad = 'a,b\n1,x\n2,y\n3,z\nfoo,w\n';
    const e = await failure(async () => {
      for await (const _ of csvRecords(bad, { batchSize: 2 })) {
        // consume
      }
    });
    expect(e.code).toBe('E_PARSE');
    expect(e.message).toMatch(/^line 5, column "a": "foo" is not a number/);
    expect(e.hint).toContain('types: { "a": "string" }');
    // the given type avoids the failure
    const rows: unknown[] = [];
    for await (const b of csvRecords(bad, { batchSize: 2, types: { a: 'string' } })) rows.push(...values(b, 'a'));
    expect(rows).toEqual(['1', '2', '3', 'foo']);
  });

  it('refuses, in a column typed by the first batch, a later number inference would have kept as text', async () => {
    // "007" and 2^53 + 1 make a column text when the whole file is read: a number type frozen from the first batch
    // must not turn them into 7 and 2^53
    for (const [cell, line] of [['007', 4], ['9007199254740993', 4], ['-0012.5', 4]] as const) {
      const e = await failure(async () => {
        for await (const _ of csvRecords(`id,v\n10,1\n11,2\n${cell},3\n`, { batchSize: 2 })) {
          // consume
        }
      });
      expect(e.code).toBe('E_PARSE');
      expect(e.message).toMatch(new RegExp(`^line ${line}, column "id": "${cell}" is a number only as text`));
      expect(e.hint).toContain('types: { "id": "string" }');
    }
    // 1e400, past float64's range, is text when read whole, as pandas keeps it: the message says why
    const past = await failure(async () => {
      for await (const _ of csvRecords('id,v\n10,1\n11,2\n-1e400,3\n', { batchSize: 2 })) {
        // consume
      }
    });
    expect(past.message).toMatch(/^line 4, column "id": "-1e400" is a number only as text \(past float64's range\) \(the type was inferred/);
    // in the first batch they decide the type, as readCsv does
    const whole: unknown[] = [];
    for await (const b of csvRecords('id\n007\n9007199254740993\n', { batchSize: 2 })) whole.push(...values(b, 'id'));
    expect(whole).toEqual(['007', '9007199254740993']);
    // a type given as number still reads them as numbers
    const given: unknown[] = [];
    for await (const b of csvRecords('id\n10\n11\n007\n', { batchSize: 2, types: { id: 'number' } })) given.push(...values(b, 'id'));
    expect(given).toEqual([10, 11, 7]);
  });

  it('refuses, in a column typed boolean by the first batch, a later yes/no or 1/0 that readCsv keeps as text', async () => {
    for (const cell of ['1', '0', 'yes', 'n', 'Y', 'f']) {
      const csv = `active,v\ntrue,1\nfalse,2\n${cell},3\n`;
      // read whole, the column turns to text at the cell
      expect(values(await readCsv(csv), 'active')).toEqual(['true', 'false', cell]);
      // streamed, it was read as a boolean (n as false, 1 as true)
      const e = await failure(async () => {
        for await (const _ of csvRecords(csv, { batchSize: 2 })) {
          // consume
        }
      });
      expect(e.code).toBe('E_PARSE');
      expect(e.message).toMatch(new RegExp(`^line 4, column "active": "${cell}" is not true or false`));
      expect(e.hint).toContain('types: { "active": "string" }');
    }
    // TRUE and False are booleans either way, and a boolean type given reads yes/no and 1/0
    const later: unknown[] = [];
    for await (const b of csvRecords('active\ntrue\nfalse\nTRUE\nFalse\n', { batchSize: 2 })) later.push(...values(b, 'active'));
    expect(later).toEqual([true, false, true, false]);
    const given: unknown[] = [];
    for await (const b of csvRecords('active\ntrue\nfalse\nn\n1\n', { batchSize: 2, types: { active: 'boolean' } })) given.push(...values(b, 'active'));
    expect(given).toEqual([true, false, false, true]);
  });

  it('refuses, in a column the first batch held no value of, a later number, boolean or date readCsv types by it', async () => {
    // pandas reads these columns as float64, bool and datetime64 (the file whole): text "4.5" would differ with the batch size
    const csv = 'id,spend,active,when,note\n1,,,,\n2,NA,,,\n3,4.5,true,2024-01-02,x\n4,5,false,2024-01-03,7\n';
    const whole = await readCsv(csv);
    expect(values(whole, 'spend')).toEqual([null, null, 4.5, 5]);
    expect(values(whole, 'note')).toEqual([null, null, 'x', '7']);
    const read = async (batchSize: number) => {
      const out: Record<string, unknown[]> = { spend: [], active: [], when: [], note: [] };
      for await (const b of csvRecords(csv, { batchSize })) for (const c of Object.keys(out)) out[c].push(...values(b, c));
      return out;
    };
    for (const batchSize of [1, 2]) {
      const e = await failure(() => read(batchSize));
      expect(e.code).toBe('E_PARSE');
      expect(e.message).toContain(`line 4, column "spend": "4.5" is a number, but the column holds no value in the first ${batchSize === 1 ? 'row' : '2 rows'}, from`);
      expect(e.hint).toContain('types: { "spend": "number" }');
    }
    // from the third row on, the first batch holds a value of every column: the values readCsv gives
    for (const batchSize of [3, 4, 100]) {
      expect(await read(batchSize)).toEqual({ spend: [null, null, 4.5, 5], active: [null, null, true, false], when: values(whole, 'when'), note: [null, null, 'x', '7'] });
    }
    // a boolean and a date are refused alike; text makes the column text for good, as read whole
    for (const [types, message] of [
      [{ spend: 'number' }, 'column "active": "true" is a boolean, but the column holds no value'],
      [{ spend: 'number', active: 'boolean' }, 'column "when": "2024-01-02" is a date, but the column holds no value'],
    ] as const) {
      const e = await failure(async () => {
        for await (const _ of csvRecords(csv, { batchSize: 2, types })) {
          // consume
        }
      });
      expect(e.message).toContain(message);
    }
    const texts: unknown[] = [];
    for await (const b of csvRecords('a,b\n1,\n2,x\n3,7\n', { batchSize: 1 })) texts.push(...values(b, 'b'));
    expect(texts).toEqual([null, 'x', '7']);
    // a type given reads the column by it
    const given: unknown[] = [];
    for await (const b of csvRecords(csv, { batchSize: 1, types: { spend: 'number', active: 'boolean', when: 'date' } })) given.push(...values(b, 'spend'));
    expect(given).toEqual([null, null, 4.5, 5]);
  });

  it('refuses, in a column typed number by the first batch, a later true or false that readCsv keeps as text', async () => {
    const csv = 'a,b\n1,2\n2,3.5\n3,true\n';
    expect(values(await readCsv(csv), 'b')).toEqual(['2', '3.5', 'true']);
    const e = await failure(async () => {
      for await (const _ of csvRecords(csv, { batchSize: 2 })) {
        // consume
      }
    });
    expect(e.code).toBe('E_PARSE');
    expect(e.message).toMatch(/^line 4, column "b": "true" is not a number/);
    // a number type given reads true and false as 1 and 0, as before
    const given: unknown[] = [];
    for await (const b of csvRecords(csv, { batchSize: 2, types: { b: 'number' } })) given.push(...values(b, 'b'));
    expect(given).toEqual([2, 3.5, 1]);
  });

  it('reads every column types does not name with defaultType', async () => {
    const csv = 'id,v,when\n10,1.5,2024-01-02\n11,2,x\n007,3,\n9007199254740993,1E5,y\n';
    const ids: unknown[] = [], vs: unknown[] = [], whens: unknown[] = [];
    for await (const b of csvRecords(csv, { batchSize: 2, types: { v: 'number' }, defaultType: 'string' })) {
      expect(types(b)).toEqual({ id: 'Utf8', v: 'Float64', when: 'Utf8' });
      ids.push(...values(b, 'id'));
      vs.push(...values(b, 'v'));
      whens.push(...values(b, 'when'));
    }
    expect(ids).toEqual(['10', '11', '007', '9007199254740993']);
    expect(vs).toEqual([1.5, 2, 3, 100000]);
    expect(whens).toEqual(['2024-01-02', 'x', null, 'y']);
    expect((await failure(() => readCsv('a\n1\n', { defaultType: 'text' as never }))).message).toContain('"defaultType"');
  });

  it('stops reading when the consumer stops early', async () => {
    let pulled = 0;
    async function* source() {
      yield 'n\n';
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield `${i}\n`;
      }
    }
    let batches = 0;
    for await (const batch of csvRecords(source(), { batchSize: 10 })) {
      batches++;
      expect(batch.numRows).toBe(10);
      break;
    }
    expect(batches).toBe(1);
    expect(pulled).toBeLessThan(1000);
  });
});

describe('readCsv memory stays bounded by the columns', () => {
  // gc() from the running isolate, to measure live memory rather than garbage
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const live = () => {
    // twice: array buffer memory is swept after the collection that finds it dead
    gc();
    gc();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const ROWS = 1_000_000;
  const COLS = 16;
  const row = (i: number) => Array.from({ length: COLS }, (_, j) => (((i * 7919 + j * 104729) % 100000) / 100).toFixed(2)).join(',');
  const header = Array.from({ length: COLS }, (_, j) => `f${j}`).join(',') + '\n';

  it('streams 1,000,000 x 16 numbers holding far less than the row arrays would take', async () => {
    // what keeping parsed rows would cost, measured on a 20k-row sample and scaled
    const sampleRows = 20_000;
    const sampleText = Array.from({ length: sampleRows }, (_, i) => row(i)).join('\n');
    const before = live();
    const kept = parseSync(sampleText) as string[][];
    const rowBytes = ((live() - before) / sampleRows) * ROWS;
    expect(kept.length).toBe(sampleRows);

    const base = live();
    let peak = 0;
    async function* source(): AsyncGenerator<string> {
      yield header;
      for (let start = 0; start < ROWS; start += 2000) {
        const lines: string[] = [];
        for (let i = start; i < start + 2000; i++) lines.push(row(i));
        yield lines.join('\n') + '\n';
        if ((start / 2000) % 10 === 9) peak = Math.max(peak, live() - base);
      }
    }
    const table = await readCsvNode(source());
    peak = Math.max(peak, live() - base);
    expect(table.numRows).toBe(ROWS);
    expect(Object.values(types(table)).every((t) => t === 'Float64')).toBe(true);
    for (const i of [0, 123_457, ROWS - 1]) {
      for (const j of [0, 7, 15]) expect(table.getChild(`f${j}`)!.get(i)).toBe(((i * 7919 + j * 104729) % 100000) / 100);
    }
    const columnBytes = ROWS * COLS * 8;
    // the Float64 columns plus at most one spare chunk per column, and far below keeping the rows
    expect(peak).toBeLessThan(1.25 * columnBytes);
    expect(peak).toBeLessThan(0.4 * rowBytes);
  });
});

describe('readJson and readNdjson', () => {
  it('refuse an integer literal JSON.parse rounds (an id of 17 digits), naming the record and column', async () => {
    const ndjson = '{"id":3,"x":1}\n{"note":"12345678901234567 in a string","x":2}\n{"id":12345678901234567,"x":3}\n';
    const e = await failure(() => readNdjson(ndjson));
    expect(e.code).toBe('E_PARSE');
    expect(e.message).toBe('line 3, column "id": 12345678901234568 is what JSON numbers make of 12345678901234567 in the input, an integer they do not hold exactly (write ids and account numbers as strings ("12345678901234567"))');
    const json = '[{"id": 1, "x": 1.5}, {"id": -98765432109876543, "x": 2}]';
    expect((await failure(() => readJson(json))).message).toMatch(/^row 1, column "id": -98765432109876544 is what JSON numbers make of -98765432109876543 /);
    expect((await failure(() => readJson('{"columns": {"id": [1, 12345678901234567]}}'))).message).toMatch(/^row 1, column "id": 12345678901234568 is what/);
    // written with ".0", and two ids that the parse makes one: the first record holding that value is named
    expect((await failure(() => readNdjson('{"id":12345678901234567.0}\n'))).message).toMatch(/^line 1, column "id": 12345678901234568 is what JSON numbers make of 12345678901234567.0 /);
    expect((await failure(() => readJson('[{"id":12345678901234568},{"id":12345678901234567}]'))).message).toMatch(/^row 0, column "id": 12345678901234568 is what JSON numbers make of 12345678901234567 /);
    // integers a float64 holds exactly (2^53, 1e20 written out), floats written with exponents, and strings are read
    const fine = await readNdjson('{"a":9007199254740992,"b":100000000000000000000,"c":1.5e300,"d":"12345678901234567"}\n');
    expect([fine.getChild('a')!.get(0), fine.getChild('b')!.get(0), fine.getChild('c')!.get(0), fine.getChild('d')!.get(0)]).toEqual([9007199254740992, 1e20, 1.5e300, '12345678901234567']);
  });

  it('keep the columns in the order of the text, keys named like integers ("2024") included, as pandas.read_json does (fixtures/pandas_json_order.py)', async () => {
    const pandas = (JSON.parse(readFileSync(new URL('./fixtures/pandas-json-order.json', import.meta.url), 'utf8')) as { cases: Record<string, { text: string; lines: boolean; columns: string[] }> }).cases;
    const names = (t: Table) => t.schema.fields.map((f) => f.name);
    // JSON.parse moved them first: 2023, 2024, 1, 0 before id
    const records = await readJson(pandas.records.text);
    expect(names(records)).toEqual(pandas.records.columns);
    expect(values(records, '2024')).toEqual([7, null, 6]);
    expect(values(records, 'id')).toEqual(['a', 'b', 'c']);
    const lines = await readNdjson(pandas.lines.text);
    expect(names(lines)).toEqual(pandas.lines.columns);
    expect(values(lines, '0')).toEqual([null, null, 4]);
    // in pieces, as a stream gives them
    expect(names(await readNdjson(Readable.from(pandas.lines.text.match(/[^]{1,7}/g)!.map((s) => Buffer.from(s)))))).toEqual(pandas.lines.columns);
    expect(names(await readJson(pandas.awkward_keys.text))).toEqual(pandas.awkward_keys.columns);
    // the columns layout, and a table written by writeJson (which keeps the schema's order) read back
    expect(names(await readJson('{"columns":{"id":["a","b"],"2024":[1,2],"x":[3,4],"7":[5,6]}}'))).toEqual(['id', '2024', 'x', '7']);
    expect(names(await readJson('{"meta":{"9":1,"2":[{"5":0}]},"columns":{"id":["a"],"2024":[1]}}'))).toEqual(['id', '2024']);
    // parsed records keep the order their objects give
    expect(names(await readJson([{ id: 'a', 2024: 1 }]))).toEqual(['2024', 'id']);
  });

  it('refuse a string holding a lone surrogate ("\\ud800"), which UTF-8 has no character for, naming the record and column', async () => {
    // both were stored as "a\uFFFD": two customers read as one
    const json = '[{"id":"a\\ud83d\\ude00","x":0},{"id":"a\\ud800","x":1},{"id":"a\\ud801","x":2}]';
    expect((await failure(() => readJson(json))).message).toBe('row 1, column "id": "a\\ud800" holds a lone surrogate, which UTF-8 text has no character for');
    expect((await failure(() => readJson(json, { types: { id: 'category' } }))).code).toBe('E_PARSE');
    expect((await failure(() => readNdjson('{"id":"b","x":0}\n{"x":1,"id":"\\udc00b"}\n'))).message).toMatch(/^line 2, column "id": "\\udc00b" holds a lone surrogate/);
    expect((await failure(() => readJson([{ note: 'x' }, { note: 'y\ud800' }]))).message).toMatch(/^row 1, column "note": /);
    // a pair is one character
    expect([...(await readJson('[{"id":"a\\ud83d\\ude00"}]')).getChild('id')!]).toEqual(['a\u{1F600}']);
    // a key is a JSON string too: "a\ud800" and "a\ud801" were two columns both written "a\uFFFD"
    expect((await failure(() => readJson('[{"id":"a","x\\ud800":1},{"id":"b","x\\ud801":2}]'))).message).toBe('row 0: the key "x\\ud800" holds a lone surrogate, which UTF-8 text has no character for');
    expect((await failure(() => readNdjson('{"id":"a"}\n{"\\udc00":1}\n'))).message).toBe('line 2: the key "\\udc00" holds a lone surrogate, which UTF-8 text has no character for');
    expect((await failure(() => readJson('{"columns":{"id":["a"],"x\\ud800":[1]}}'))).message).toBe('the column name "x\\ud800" holds a lone surrogate, which UTF-8 text has no character for');
    expect((await readJson('[{"id\\ud83d\\ude00":1}]')).schema.fields[0].name).toBe('id\u{1F600}');
  });

  it('reads an array of records, with later keys and missing keys as nulls', async () => {
    const t = await readJson('[{"id":"a","n":1,"when":"2024-05-01T12:00:00Z"},{"id":"b","n":2.5,"extra":true},{"id":"c"}]');
    expect(types(t)).toEqual({ id: 'Utf8', n: 'Float64', when: 'Timestamp<MILLISECOND>', extra: 'Bool' });
    expect(values(t, 'n')).toEqual([1, 2.5, null]);
    expect(values(t, 'when')).toEqual([Date.UTC(2024, 4, 1, 12), null, null]);
    expect(values(t, 'extra')).toEqual([null, true, null]);
  });

  it('keeps JSON strings that look like numbers as text', async () => {
    const t = await readJson([{ zip: '02134', n: 3 }, { zip: '10115', n: 4 }]);
    expect(types(t)).toEqual({ zip: 'Utf8', n: 'Int32' });
    expect(values(t, 'zip')).toEqual(['02134', '10115']);
  });

  it('reads { columns } and checks the column lengths', async () => {
    const t = await readJson('{"columns":{"a":[1,2,3],"b":["x",null,"z"]}}', { types: { b: 'category' } });
    expect(types(t)).toEqual({ a: 'Int32', b: 'Dictionary<Int32, Utf8>' });
    expect(values(t, 'b')).toEqual(['x', null, 'z']);
    const e = await failure(() => readJson({ columns: { a: [1, 2], b: [1] } }));
    expect(e.code).toBe('E_RAGGED_ROWS');
    expect(e.message).toContain('"b"');
  });

  it('refuses a column of { columns } JSON text that is an object, whatever length it claims', async () => {
    // a few bytes claiming a trillion rows must not be read as that many nulls
    for (const column of ['{"length":2,"0":5,"1":7}', '{"length":-1}', '{"length":1000000000000}']) {
      const e = await failure(() => readJson(`{"columns":{"x":${column}}}`));
      expect(e.code).toBe('E_PARSE');
      expect(e.message).toMatch(/^column "x" is Object, not an array of values/);
    }
    const e = await failure(() => readJson({ columns: { x: { length: 1.5 } as never } }));
    expect(e.code).toBe('E_PARSE');
    expect(values(await readJson({ columns: { x: Float64Array.of(1.5, 2) } }), 'x')).toEqual([1.5, 2]);
  });

  it('refuses a DataView column (a view with no length, not an array of values) instead of reading no rows', async () => {
    for (const columns of [{ x: new DataView(new ArrayBuffer(16)) }, { y: [1, 2], x: new DataView(new ArrayBuffer(16)) }]) {
      const e = await failure(() => readJson({ columns: columns as never }));
      expect(e.code).toBe('E_PARSE');
      expect(e.message).toBe('column "x" is DataView, not an array of values');
    }
    expect(values(await readJson({ columns: { x: Int32Array.of(4, 5), y: [1, null] } }), 'x')).toEqual([4, 5]);
  });

  it('names the row and column of a value that does not fit, and the place of a syntax error', async () => {
    let e = await failure(() => readJson([{ a: 1 }, { a: 'x' }], { types: { a: 'number' } }));
    expect(e.message).toBe('row 1, column "a": "x" is not a number');
    e = await failure(() => readJson([{ a: { nested: 1 } }]));
    expect(e.message).toMatch(/^row 0, column "a": .*nested value/);
    e = await failure(() => readJson('[{"a":1},\n{"a":2,}]'));
    expect(e.code).toBe('E_PARSE');
    expect(e.message).toMatch(/line 2/);
    e = await failure(() => readJson('   '));
    expect(e.code).toBe('E_EMPTY_DATA');
    e = await failure(() => readJson('[]'));
    expect(e.code).toBe('E_EMPTY_DATA');
  });

  it('streams NDJSON, skipping blank lines, and names the line of a bad record', async () => {
    const text = '{"c":1,"v":0.5}\n\n{"c":2,"v":1.5}\r\n{"c":3}\n';
    const t = await readNdjson(chunksOf(new TextEncoder().encode(text), 4));
    expect(types(t)).toEqual({ c: 'Int32', v: 'Float64' });
    expect(values(t, 'v')).toEqual([0.5, 1.5, null]);
    let e = await failure(() => readNdjson('{"c":1}\n\n{"c":\n'));
    expect(e.code).toBe('E_PARSE');
    expect(e.message).toMatch(/^line 3: invalid JSON/);
    e = await failure(() => readNdjson('{"c":1}\n[1,2]\n'));
    expect(e.message).toMatch(/^line 2 is an array/);
    e = await failure(() => readNdjson('{"c":1}\n{"c":"x"}\n', { types: { c: 'integer' } }));
    expect(e.message).toBe('line 2, column "c": "x" is not an integer');
    e = await failure(() => readNdjson('\n\n'));
    expect(e.code).toBe('E_EMPTY_DATA');
  });
});

describe('readArrow and readParquet', () => {
  const table = new Table({ x: vectorFromArray([1.5, null, 3], new Float64()), s: vectorFromArray(['a', 'b', null], new Utf8()) });

  it('reads the Arrow IPC file and stream formats', async () => {
    for (const format of ['file', 'stream'] as const) {
      const t = await readArrow(tableToIPC(table, format));
      expect(types(t)).toEqual({ x: 'Float64', s: 'Utf8' });
      expect(values(t, 'x')).toEqual([1.5, null, 3]);
      expect(values(t, 's')).toEqual(['a', 'b', null]);
    }
  });

  it('rejects empty and invalid Arrow input', async () => {
    expect((await failure(() => readArrow(new Uint8Array(0)))).code).toBe('E_EMPTY_DATA');
    expect((await failure(() => readArrow(new TextEncoder().encode('a,b\n1,2\n')))).code).toBe('E_PARSE');
    expect((await failure(() => readArrow(new Uint8Array(64)))).code).toBe('E_PARSE');
  });

  it('refuses a schema that names a column twice (Arrow, streamed Arrow and Parquet), naming the column', async () => {
    const fields = [new Field('a', new Float64()), new Field('n', new Float64()), new Field('n', new Float64())];
    const schema = new Schema(fields);
    const child = () => makeData({ type: new Float64(), length: 2, data: Float64Array.of(1, 2) });
    const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: 2, nullCount: 0, children: [child(), child(), child()] }));
    const ipc = tableToIPC(new Table([batch]), 'file');
    const e = await failure(() => readArrow(ipc));
    expect(e.code).toBe('E_PARSE');
    expect(e.message).toContain('the Arrow input: column name "n" appears twice (columns 2 and 3)');
    const dir = await mkdtemp(join(tmpdir(), 'segkit-dup-'));
    try {
      await writeFile(join(dir, 'dup.arrow'), ipc);
      const streamed = await failure(async () => { for await (const _ of readArrowBatches(join(dir, 'dup.arrow'))) { /* read */ } });
      expect(streamed.message).toContain('column name "n" appears twice');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const parquet = parquetWriteBuffer({ columnData: [{ name: 'n', data: [1, 2], type: 'DOUBLE' }, { name: 'n', data: [3, 4], type: 'DOUBLE' }] });
    expect((await failure(() => readParquet(parquet))).message).toContain('the Parquet input: column name "n" appears twice (columns 1 and 2)');
  });

  it('reads Parquet decimals as the float64 nearest their value, and refuses those of more digits than it holds', async () => {
    // written by pyarrow: decimal(10, 1) 0.3, 1.1, 2.5 and decimal(19, 2) 1.50, 0.07, -3.33
    const t = await readParquet(readFileSync(new URL('./fixtures/decimals.parquet', import.meta.url)));
    // the decoder's 3 x 0.1 is 0.30000000000000004
    expect(values(t, 'small')).toEqual([0.3, 1.1, 2.5]);
    expect(values(t, 'wide')).toEqual([1.5, 0.07, -3.33]);
    // wide types holding ordinary values (warehouse exports): DECIMAL(38, 18), BigQuery's NUMERIC (38, 9), scale 23
    const scaled = await readParquet(readFileSync(new URL('./fixtures/decimals-scale.parquet', import.meta.url)));
    expect(values(scaled, 'wide18').slice(0, 2)).toEqual([1.5, -0.07]);
    expect(values(scaled, 'bq')).toEqual([1234567, 1e-9, -42.5]);
    expect(values(scaled, 'tiny')).toEqual([1e-23, 3e-23, -7e-23]);
    // decimal(19, 2) 12345678901234567.89 would round to 12345678901234568
    const wide = await failure(() => readParquet(readFileSync(new URL('./fixtures/decimals-wide.parquet', import.meta.url))));
    expect(wide.code).toBe('E_PARSE');
    expect(wide.message).toContain('Parquet column "wide" holds 12345678901234568, a decimal of more digits than a float64 holds exactly');
  });

  it('reads a Parquet file written directly with hyparquet-writer, across row groups and with nulls', async () => {
    const buffer = parquetWriteBuffer({
      rowGroupSize: 2,
      columnData: [
        { name: 'id', data: new Int32Array([10, 11, 12, 13, 14]), type: 'INT32', nullable: false },
        { name: 'spend', data: [1.25, null, 3.5, 4, null], type: 'DOUBLE' },
        { name: 'name', data: ['a', 'b', null, 'd', 'e'], type: 'STRING' },
        { name: 'at', data: [new Date(0), null, new Date(86400000), new Date(5), new Date(6)], type: 'TIMESTAMP' },
        { name: 'big', data: new BigInt64Array([1n, 2n, 3n, 4n, 5n]), type: 'INT64', nullable: false },
        { name: 'ok', data: [true, false, null, true, true], type: 'BOOLEAN' },
      ],
    });
    const t = await readParquet(buffer);
    expect(types(t)).toEqual({ id: 'Int32', spend: 'Float64', name: 'Utf8', at: 'Timestamp<MILLISECOND>', big: 'Int64', ok: 'Bool' });
    expect(values(t, 'id')).toEqual([10, 11, 12, 13, 14]);
    expect(values(t, 'spend')).toEqual([1.25, null, 3.5, 4, null]);
    expect(values(t, 'name')).toEqual(['a', 'b', null, 'd', 'e']);
    expect(values(t, 'at')).toEqual([0, null, 86400000, 5, 6]);
    expect(values(t, 'big')).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(values(t, 'ok')).toEqual([true, false, null, true, true]);
    // a Parquet table feeds the Dataset conversion
    expect(Array.from(fromArrow(t, { columns: ['id', 'big'] }).columns[1])).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads an ENUM or JSON column (converted or logical type, as parquet-avro writes enums) as text, plain or dictionary-encoded', async () => {
    const tiers = ['gold', 'silver', null, 'gold', 'bronze'];
    for (const dictionary of [true, false]) {
      const bytes = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'tier', data: tiers, type: 'STRING', encoding: dictionary ? undefined : 'PLAIN' }, { name: 'x', data: [1, 2, 3, 4, 5], type: 'DOUBLE' }] } as never));
      // as newer writers may, a logical type without its converted twin too (JSON text is read as text)
      for (const [converted, logical] of [['ENUM', undefined], ['ENUM', { type: 'ENUM' }], [undefined, { type: 'ENUM' }], [undefined, { type: 'JSON' }]] as const) {
        const t = await readParquet(withFooter(bytes, (m) => {
          const el = m.schema.find((e) => e.name === 'tier')!;
          el.converted_type = converted;
          el.logical_type = logical as never;
        }));
        expect([types(t).tier, values(t, 'tier')]).toEqual(['Utf8', tiers]);
      }
    }
  });

  /** A valid file whose footer is rewritten by `edit`, as a tampered or half-written file would be. */
  function withFooter(bytes: Uint8Array, edit: (m: ReturnType<typeof parquetMetadata>) => void): Uint8Array {
    const footerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 8, true);
    const start = bytes.length - 8 - footerLength;
    const metadata = parquetMetadata(bytes.slice().buffer);
    edit(metadata);
    const writer = new ByteWriter();
    writeMetadata(writer, metadata);
    const footer = new Uint8Array(writer.getBuffer());
    const out = new Uint8Array(start + footer.length + 8);
    out.set(bytes.subarray(0, start));
    out.set(footer, start);
    new DataView(out.buffer).setUint32(start + footer.length, footer.length, true);
    out.set(new TextEncoder().encode('PAR1'), start + footer.length + 4);
    return out;
  }

  it('reads a chunk whose footer gives a dictionary offset of 0 for no dictionary, or a size past its last page', async () => {
    const small = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'a', data: new Int32Array([1, 2, 3]), type: 'INT32', nullable: false }] }));
    const zero = withFooter(small, (m) => {
      expect(m.row_groups[0].columns[0].meta_data!.dictionary_page_offset).toBeUndefined();
      m.row_groups[0].columns[0].meta_data!.dictionary_page_offset = 0n;
    });
    expect(values(await readParquet(zero), 'a')).toEqual([1, 2, 3]);
    // and one whose chunk size counts bytes past its last page, which hyparquet never reads
    const longer = withFooter(small, (m) => {
      const meta = m.row_groups[0].columns[0].meta_data!;
      meta.total_compressed_size += 6n;
    });
    expect(values(await readParquet(longer), 'a')).toEqual([1, 2, 3]);
  });

  it('refuses a footer that overstates the row count as a corrupt file, before allocating the claimed rows', async () => {
    const small = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'a', data: new Int32Array([1, 2, 3]), type: 'INT32', nullable: false }, { name: 'b', data: ['x', 'y', 'z'], type: 'STRING' }] }));
    expect(values(await readParquet(small), 'a')).toEqual([1, 2, 3]);
    const claims = 30_000_000n;
    const cases: [string, (m: ReturnType<typeof parquetMetadata>) => void, string][] = [
      ['the file count only', (m) => { m.num_rows = claims; }, 'its footer says 30,000,000 rows but its row groups hold 3'],
      ['file and row group', (m) => { m.num_rows = claims; m.row_groups[0].num_rows = claims; }, 'row group 0 has 30,000,000 rows but its column "a" has 3 values'],
      ['every count in the footer', (m) => {
        m.num_rows = claims;
        m.row_groups[0].num_rows = claims;
        for (const c of m.row_groups[0].columns) c.meta_data!.num_values = claims;
      }, 'its footer says 30,000,000 rows but column "a" holds 3'],
      ['an understated count', (m) => { m.num_rows = 2n; m.row_groups[0].num_rows = 2n; for (const c of m.row_groups[0].columns) c.meta_data!.num_values = 2n; }, 'row group 0 has 2 rows but a page of its column "a" has 3 values'],
    ];
    for (const [label, edit, reason] of cases) {
      const bytes = withFooter(small, edit);
      expect(bytes.length, label).toBeLessThan(500);
      const before = process.memoryUsage().arrayBuffers;
      const e = await failure(() => readParquet(bytes));
      expect(e.code, label).toBe('E_PARSE');
      expect(e.message, label).toContain('corrupt file');
      expect(e.message, label).toContain(reason);
      // 30,000,000 Int32 rows would be 120 MB
      expect(process.memoryUsage().arrayBuffers - before, label).toBeLessThan(50_000_000);
    }
  });

  it('names the file of a corrupt Parquet footer read with readTable', async () => {
    const small = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'a', data: new Int32Array([1, 2, 3]), type: 'INT32', nullable: false }] }));
    const dir = await mkdtemp(join(tmpdir(), 'segkit-parquet-'));
    try {
      const file = join(dir, 'claims.parquet');
      await writeFile(file, withFooter(small, (m) => { m.num_rows = 30_000_000n; }));
      const e = await failure(() => readTable(file));
      expect(e.code).toBe('E_PARSE');
      expect(e.message).toContain(`"${file}": the Parquet input is a corrupt file`);
      expect(e.hint).toContain('export it again');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects empty and invalid Parquet input', async () => {
    expect((await failure(() => readParquet(new Uint8Array(0)))).code).toBe('E_EMPTY_DATA');
    expect((await failure(() => readParquet(new TextEncoder().encode('not parquet at all')))).code).toBe('E_PARSE');
  });
});

describe('readTable', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'segkit-read-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('picks the reader by extension and streams CSV, TSV and NDJSON from disk', async () => {
    await writeFile(join(dir, 'a.csv'), 'id,v\n1,2.5\n2,3.5\n');
    await writeFile(join(dir, 'a.tsv'), 'id\tv\n1\t2.5\n2\t3.5\n');
    await writeFile(join(dir, 'a.jsonl'), '{"id":1,"v":2.5}\n{"id":2,"v":3.5}\n');
    await writeFile(join(dir, 'a.json'), '[{"id":1,"v":2.5},{"id":2,"v":3.5}]');
    await writeFile(join(dir, 'a.feather'), tableToIPC(new Table({ id: vectorFromArray([1, 2]), v: vectorFromArray([2.5, 3.5]) }), 'file'));
    for (const name of ['a.csv', 'a.tsv', 'a.jsonl', 'a.json', 'a.feather']) {
      const t = await readTable(join(dir, name));
      expect(values(t, 'id'), name).toEqual([1, 2]);
      expect(values(t, 'v'), name).toEqual([2.5, 3.5]);
    }
    const t = await readTable(join(dir, 'a.csv'), { types: { id: 'string' } });
    expect(values(t, 'id')).toEqual(['1', '2']);
  });

  it('fails with E_IO naming a missing file, and E_BAD_OPTION for an unknown extension', async () => {
    const missing = join(dir, 'nope.csv');
    const e = await failure(() => readTable(missing));
    expect(e.code).toBe('E_IO');
    expect(e.message).toContain(missing);
    expect(e.message).toContain('no such file');
    const u = await failure(() => readTable(join(dir, 'data.xlsx')));
    expect(u.code).toBe('E_BAD_OPTION');
    expect(u.message).toContain('data.xlsx');
  });

  it('names the file, then the line and column, of a parse error', async () => {
    await writeFile(join(dir, 'bad.csv'), 'a,b\n1,2\n3\n');
    const e = await failure(() => readTable(join(dir, 'bad.csv')));
    expect(e.code).toBe('E_PARSE');
    expect(e.message.startsWith(`"${join(dir, 'bad.csv')}": line 3 has 1 fields but the header has 2`)).toBe(true);
    expect(e.hint).toContain('delimiter');
  });
});

describe('the neutral readers and writers outside Node', () => {
  const NEUTRAL = ['readCsv', 'csvRecords', 'readJson', 'readNdjson', 'readArrow', 'readParquet', 'writeCsv', 'writeJson', 'writeArrow', 'writeParquet'];

  it('bundle for browsers without Node built-ins and run in an edge runtime (no process, require or eval)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'segkit-bundle-'));
    try {
      const src = fileURLToPath(new URL('../src/data/', import.meta.url));
      const entry = join(dir, 'entry.ts');
      await writeFile(entry, NEUTRAL.map((name) => `export { ${name} } from ${JSON.stringify(join(src, `${name}.ts`))};`).join('\n'));
      const bundle = await rolldown({ input: entry, platform: 'browser', logLevel: 'silent' });
      const code = (await bundle.generate({ format: 'iife', name: 'segkit' })).output[0].code;
      await bundle.close();
      expect(code).not.toMatch(/["'`]node:/);
      expect(code).not.toMatch(/\brequire\s*\(/);

      const edge = new EdgeRuntime();
      expect(edge.evaluate('typeof process + typeof require + typeof Buffer')).toBe('undefinedundefinedundefined');
      edge.evaluate(code);
      const script = `(async () => {
        const t = await segkit.readCsv(new Blob([${JSON.stringify(SAMPLE)}]).stream(), { types: { city: 'category' } });
        const batches = [];
        for await (const b of segkit.csvRecords(${JSON.stringify(SAMPLE)}, { batchSize: 2 })) batches.push(b.numRows);
        const parquet = await segkit.readParquet(await segkit.writeParquet(t));
        const arrow = await segkit.readArrow(await segkit.writeArrow(t));
        const json = await segkit.readJson(segkit.writeJson(t), { types: { city: 'category' } });
        const ndjson = await segkit.readNdjson(segkit.writeJson(t, { format: 'ndjson' }), { types: { city: 'category' } });
        return JSON.stringify({ csv: segkit.writeCsv(t), batches, parquet: segkit.writeCsv(parquet), arrow: segkit.writeCsv(arrow), json: segkit.writeCsv(json), ndjson: segkit.writeCsv(ndjson) });
      })()`;
      const out = JSON.parse(await edge.evaluate<Promise<string>>(script));
      const expected = writeCsvInNode(await readCsvNode(SAMPLE, { types: { city: 'category' } }));
      expect(out.csv).toBe(expected);
      expect(out.batches).toEqual([2, 1]);
      for (const format of ['parquet', 'arrow', 'json', 'ndjson']) expect(out[format], format).toBe(expected);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
