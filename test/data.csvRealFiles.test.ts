// readCsv on files as they come out of real systems: other encodings, semicolons and decimal commas,
// missing-value tokens, numbers with a stray word, multi-line records, and files broken enough to exhaust memory.
import type { Table } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ColumnBuilder } from '../src/data/columnBuilder.js';
import { MAX_RECORD_CHARS, csvInfo } from '../src/data/csvCore.js';
import { csvRecords } from '../src/data/csvRecords.js';
import { readCsv } from '../src/data/readCsv.js';
import { readNdjson } from '../src/data/readNdjson.js';
import { failure } from './helpers.js';
import { createRandom } from '../src/util/random.js';

const types = (t: Table) => Object.fromEntries(t.schema.fields.map((f) => [f.name, String(f.type)]));
const values = (t: Table, name: string) => [...t.getChild(name)!].map((v) => v ?? null);

function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('encodings', () => {
  const text = 'customer_id,amount\nMüller,10\nMöller,20\n';

  it('refuses invalid UTF-8 naming the line and the byte, with the hint to pass the encoding (Müller and Möller stay two customers)', async () => {
    const e = await failure(() => readCsv(latin1(text)));
    expect(e.code).toBe('E_PARSE');
    expect(e.message).toContain('line 2: the CSV input is not valid UTF-8 (byte 0xFC)');
    expect(e.hint).toContain('latin1');
    expect(e.hint).toContain('--encoding');
    // the same byte arriving in small chunks, on a later line
    const later = latin1(`customer_id,amount\n${'Smith,1\n'.repeat(5000)}Möller,20\n`);
    const e2 = await failure(() => readCsv(chunks(later, 7)));
    expect(e2.message).toContain('line 5002: the CSV input is not valid UTF-8 (byte 0xF6)');
  });

  it('names the same line and byte wherever the chunks cut the bad sequence or the one before it', async () => {
    // line 3 holds a lead byte (0xE2) followed by ASCII; line 2 a valid 3-byte sequence (€) just before it
    const head = new TextEncoder().encode('customer_id,amount\nc€,1\n');
    const bytes = new Uint8Array([...head, 0x63, 0xe2, 0x2c, 0x32, 0x0a]);
    for (let size = 1; size <= bytes.length; size++) {
      const e = await failure(() => readCsv(chunks(bytes, size)));
      expect(e.message, `chunks of ${size}`).toContain('line 3: the CSV input is not valid UTF-8 (byte 0xE2)');
    }
    // a stray continuation byte at the start of a chunk is the bad byte, not the end of the chunk before
    const stray = new Uint8Array([...head, 0x80, 0x2c, 0x32, 0x0a]);
    for (const size of [head.length, 4, 1]) {
      const e = await failure(() => readCsv(chunks(stray, size)));
      expect(e.message, `chunks of ${size}`).toContain('line 3: the CSV input is not valid UTF-8 (byte 0x80)');
    }
  });

  it('counts the lines of text chunks among byte chunks, and refuses a character that text cuts in two', async () => {
    async function* mixed(parts: (string | Uint8Array)[]): AsyncGenerator<string | Uint8Array> {
      yield* parts;
    }
    let e = await failure(() => readCsv(mixed(['id,v\na,1\n', Uint8Array.of(0x62, 0x2c, 0x32, 0x0a, 0x63, 0x2c, 0xff, 0x0a)])));
    expect(e.message).toContain('line 4: the CSV input is not valid UTF-8 (byte 0xFF)');
    // the bytes of "€" cut by a text chunk: never "aX€"
    e = await failure(() => readCsv(mixed(['id,v\n', Uint8Array.of(0x61, 0xe2, 0x82), 'X', Uint8Array.of(0xac, 0x2c, 0x31, 0x0a)])));
    expect(e.message).toContain('line 2: the CSV input is not valid UTF-8 (byte 0xE2)');
    const t = await readCsv(mixed(['id,v\n', Uint8Array.of(0x61, 0xe2, 0x82, 0xac, 0x2c, 0x31, 0x0a), 'b,2\n']));
    expect(values(t, 'id')).toEqual(['a€', 'b']);
  });

  it('reads the file with encoding latin1 (or windows-1252, utf-16le)', async () => {
    for (const encoding of ['latin1', 'windows-1252']) {
      const t = await readCsv(latin1(text), { encoding });
      expect(values(t, 'customer_id'), encoding).toEqual(['Müller', 'Möller']);
    }
    const utf16 = new Uint8Array(Buffer.from(`\ufeff${text}`, 'utf16le'));
    expect(values(await readCsv(utf16, { encoding: 'utf-16le' }), 'customer_id')).toEqual(['Müller', 'Möller']);
    const e = await failure(() => readCsv(text, { encoding: 'klingon' }));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toContain('"encoding"');
  });

  it('checks NDJSON the same way', async () => {
    const e = await failure(() => readNdjson(latin1('{"name":"ok"}\n{"name":"Möller"}\n')));
    expect(e.code).toBe('E_PARSE');
    expect(e.message).toContain('line 2: the NDJSON input is not valid UTF-8');
    expect(values(await readNdjson(latin1('{"name":"Möller"}\n'), { encoding: 'latin1' }), 'name')).toEqual(['Möller']);
  });
});

describe('delimiters, decimal commas and missing-value tokens', () => {
  it('reads a semicolon file with decimal commas, detecting the delimiter from the header', async () => {
    const text = 'customer_id;age;income\nc1;34;52000,50\nc2;41;61250,75\nc3;29;38000\n';
    const t = await readCsv(text, { delimiter: 'auto', decimal: ',' });
    expect(types(t)).toEqual({ customer_id: 'Utf8', age: 'Int32', income: 'Float64' });
    expect(values(t, 'income')).toEqual([52000.5, 61250.75, 38000]);
    expect(csvInfo(t)).toMatchObject({ delimiter: ';', detected: true });
    // a point in a decimal-comma file is not a decimal mark
    const dotted = await readCsv('a;b\n1,5;x\n1.5;y\n', { delimiter: ';', decimal: ',' });
    expect(values(dotted, 'a')).toEqual(['1,5', '1.5']);
    expect((await failure(() => readCsv(text, { delimiter: ',', decimal: ',' }))).message).toContain('"decimal"');
  });

  it('reads integers float64 cannot hold exactly (ids beyond 2^53) as text, exactly as written', async () => {
    const text = 'customer_id,spend\n9007199254740993,1\n9007199254740992,2\n12345678901234567890,3\n4,4\n-9007199254740993,5\n';
    const t = await readCsv(text);
    expect(types(t)).toEqual({ customer_id: 'Utf8', spend: 'Int32' });
    expect(values(t, 'customer_id')).toEqual(['9007199254740993', '9007199254740992', '12345678901234567890', '4', '-9007199254740993']);
    // the largest exact one stays a number, and so does a decimal or exponent form (not an integer as written)
    expect(values(await readCsv('id\n9007199254740991\n1\n'), 'id')).toEqual([9007199254740991, 1]);
    expect(values(await readCsv('x\n12345678901234567890.5\n1e20\n'), 'x')).toEqual([12345678901234567000, 1e20]);
    // a column typed as a number keeps reading them as numbers
    expect(values(await readCsv('id\n9007199254740993\n', { types: { id: 'number' } }), 'id')).toEqual([9007199254740992]);
  });

  it('refuses to guess when the header holds only the decimal mark among the delimiters, instead of reading one made-up column', async () => {
    const e = await failure(() => readCsv('a,b\n1,5\n2,7\n', { delimiter: 'auto', decimal: ',' }));
    expect(e.code).toBe('E_PARSE');
    expect(e.message).toMatch(/cannot tell the delimiter: the header line holds "," \(the decimal mark\)/);
    // a one-column file with neither is still one column
    expect(values(await readCsv('income\n1,5\n2\n', { delimiter: 'auto', decimal: ',' }), 'income')).toEqual([1.5, 2]);
  });

  it('detects tab, pipe and semicolon, ignores delimiters inside quotes, and falls back to a comma', async () => {
    const cases: [string, string][] = [
      ['a\tb\tc\n1\t2\t3\n', '\t'],
      ['a|b|c\n1|2|3\n', '|'],
      ['"x;y;z",b\n1,2\n', ','],
      ['a;b,c;d\n1;2,5;3\n', ';'],
      ['single\n1\n', ','],
    ];
    for (const [text, delimiter] of cases) {
      const t = await readCsv(text, { delimiter: 'auto' });
      expect(csvInfo(t)?.delimiter, JSON.stringify(text)).toBe(delimiter);
    }
    expect(csvInfo(await readCsv('a,b\n1,2\n'))).toMatchObject({ delimiter: ',', detected: false });
  });

  it('reads NA, N/A, n/a, null, NULL, NaN, - and ? as missing, so a numeric column stays numeric', async () => {
    const text = ['age,income,city', '30,NA,Oslo', '40,N/A,Bergen', '50,n/a,-', '60,null,?', '70,NULL,Oslo', '80,NaN,Oslo', '90,-,Oslo', '95,?,Oslo', '99,52000,'].join('\n');
    const t = await readCsv(text);
    expect(types(t)).toEqual({ age: 'Int32', income: 'Int32', city: 'Utf8' });
    expect(values(t, 'income')).toEqual([null, null, null, null, null, null, null, null, 52000]);
    expect(values(t, 'city')).toEqual(['Oslo', 'Bergen', null, null, 'Oslo', 'Oslo', 'Oslo', 'Oslo', null]);
    // nullValues replaces the list: NA is then text, and the column with it
    const own = await readCsv('a,b\n1,NA\n2,missing\n', { nullValues: ['', 'missing'] });
    expect(values(own, 'b')).toEqual(['NA', null]);
  });

  it('counts the numbers and the words of a text column and names the first word, for a numeric column with a stray word', async () => {
    const text = 'id,income,plan\n1,52000,gold\n2,61000,free\n3,twenty,gold\n4,38000,free\n5,NA,gold\n6,40000,gold\n7,007,free\n';
    const t = await readCsv(text);
    expect(types(t).income).toBe('Utf8');
    const info = csvInfo(t)!;
    // 007 reads as a number here: a column of codes with leading zeros is not a mixed one
    expect(info.textStats.get('income')).toEqual({ numbers: 5, texts: 1, row: 2, text: 'twenty' });
    expect(info.line(2)).toBe(4);
    // a text column that never holds a number has no stats
    expect(info.textStats.has('plan')).toBe(false);
    const first = csvInfo(await readCsv('x\nabc\n1\n2\n'))!;
    expect(first.textStats.get('x')).toEqual({ numbers: 2, texts: 1, row: 0, text: 'abc' });
  });
});

describe('file lines of rows', () => {
  it('gives each row its line when quoted fields span lines and blank lines are skipped', async () => {
    const t = await readCsv('id,note\n1,"a\nb"\n\n2,x\n3,"c\r\nd\ne"\n4,y\n');
    expect(values(t, 'id')).toEqual([1, 2, 3, 4]);
    const info = csvInfo(t)!;
    expect([0, 1, 2, 3].map((r) => info.line(r))).toEqual([3, 5, 8, 9]);
  });

  it('agrees with a line count over many slices, and in csvRecords batches', async () => {
    const lines = ['id,note'];
    const expected: number[] = [];
    let line = 1;
    for (let i = 0; i < 30_000; i++) {
      if (i % 997 === 0) {
        lines.push('');
        line++;
      }
      const note = i % 1009 === 0 ? `"two\nlines ${i}"` : `plain ${i}`;
      lines.push(`${i},${note}`);
      line += note.includes('\n') ? 2 : 1;
      expected.push(line);
    }
    const text = `${lines.join('\n')}\n`;
    const t = await readCsv(text);
    const info = csvInfo(t)!;
    expect(t.numRows).toBe(30_000);
    for (let r = 0; r < 30_000; r += 7) expect(info.line(r), `row ${r}`).toBe(expected[r]);
    let offset = 0;
    for await (const batch of csvRecords(text, { batchSize: 4096 })) {
      const b = csvInfo(batch)!;
      for (let r = 0; r < batch.numRows; r += 101) expect(b.line(r)).toBe(expected[offset + r]);
      offset += batch.numRows;
    }
    expect(offset).toBe(30_000);
  });
});

describe('memory stays bounded on broken files', () => {
  it('refuses a header of 1,000,000 columns with E_PARSE naming line 1 and the column limit', async () => {
    const header = Array.from({ length: 1_000_000 }, (_, j) => `c${j}`).join(',');
    const e = await failure(() => readCsv(`${header}\n1,2\n`));
    expect(e.code).toBe('E_PARSE');
    expect(e.message).toBe('line 1 has 1,000,000 columns; segkit reads at most 16,384 (the maxColumns option) (check the delimiter (","), or raise maxColumns if the file really is this wide)');
    const wide = Array.from({ length: 20_000 }, (_, j) => `c${j}`).join(',');
    const t = await readCsv(`${wide}\n${Array.from({ length: 20_000 }, (_, j) => j).join(',')}\n`, { maxColumns: 20_000 });
    expect(t.numCols).toBe(20_000);
    expect(values(t, 'c19999')).toEqual([19999]);
  });

  it('allocates a column a little at a time, not 128 KB up front, and keeps every value across chunk boundaries', () => {
    const number = new ColumnBuilder('x', undefined, true);
    number.pushText('1.5');
    expect(number.allocatedBytes()).toBeLessThanOrEqual(1024);
    const text = new ColumnBuilder('s', undefined, true);
    text.pushText('abc');
    expect(text.allocatedBytes()).toBeLessThanOrEqual(2048);
    const big = new ColumnBuilder('y', undefined, true);
    const n = 40_000;
    for (let i = 0; i < n; i++) {
      if (i % 1000 === 999) big.pushNull();
      else big.pushText(String(i / 4));
    }
    const data = big.finish({ float32: false, integers: true });
    const out = data.values as Float64Array;
    for (let i = 0; i < n; i++) {
      if (i % 1000 === 999) expect(data.getValid(i)).toBe(false);
      else if (out[i] !== i / 4) throw new Error(`row ${i}: ${out[i]}`);
    }
  });

  it('keeps text in blocks holding about its own size, every cell as written across block ends', () => {
    // cells of many sizes and widths (ASCII, 2-, 3- and 4-byte characters, a lone surrogate) across 1 MiB blocks
    const cells: string[] = [];
    const rng = createRandom(5);
    const pieces = ['a', 'é', '€', '😀', '\ud800'];
    let chars = 0;
    while (chars < 5_000_000) {
      const length = [1, 40, 1_000, 300_000, 1_200_000][rng.int(5)];
      const piece = pieces[rng.int(pieces.length)];
      const cell = `${cells.length}:${piece.repeat(Math.ceil(length / piece.length))}`;
      cells.push(cell);
      chars += cell.length;
    }
    const b = new ColumnBuilder('note', 'string', false);
    for (const c of cells) b.pushText(c);
    const utf8 = new TextEncoder();
    const bytes = cells.reduce((sum, c) => sum + utf8.encode(c).length, 0);
    // the blocks: their text, what a block left mostly empty trims to (at most a third more), and the open block
    expect(b.allocatedBytes()).toBeLessThan(bytes / 0.75 + (1 << 20) + 4096);
    // ASCII cells of 350,000 characters: two fill 0.7 MB of a 1 MiB block, and the block keeps only those
    const wide = new ColumnBuilder('wide', 'string', false);
    for (let i = 0; i < 60; i++) wide.pushText('x'.repeat(350_000));
    expect(wide.allocatedBytes()).toBeLessThan(1.05 * 60 * 350_000 + (1 << 20));
    const data = b.finish({ float32: false, integers: true });
    const decoder = new TextDecoder();
    const offsets = data.valueOffsets;
    expect(offsets[cells.length]).toBe(bytes);
    for (let i = 0; i < cells.length; i++) {
      const got = decoder.decode(data.values.subarray(offsets[i], offsets[i + 1]));
      if (got !== cells[i].replaceAll('\ud800', '\ufffd')) throw new Error(`cell ${i} (${cells[i].length} chars) came back changed`);
    }
  });

  it('refuses a quote never closed within 64 MiB with E_PARSE naming its line and column', async () => {
    const text = `id,note\n1,ok\n2,"never closed\n${'more text, and more\n'.repeat(Math.ceil(MAX_RECORD_CHARS / 20) + 10)}`;
    const e = await failure(() => readCsv(text));
    expect(e.code).toBe('E_PARSE');
    expect(e.message).toContain('line 3, column 2 ("note"): a quoted field is never closed, and the field runs on past 64 MiB');
  });
});
