// Chunks of plain ASCII records are split as bytes, without decoding them (CsvLines.pushBytes); every other chunk is
// decoded and split as text. Whatever the chunks, the table, its lines, the records as read and the errors are those
// of the same CSV read from one string.
import type { Table } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { csvInfo, readCsvWith, type ReadCsvOptions } from '../src/data/csvCore.js';
import { readCsv } from '../src/data/readCsv.js';
import { isAscii, isAsciiLoop, nativeAscii } from '../src/data/byteSource.js';
import { keepAllRecords, keptRecords } from '../src/data/recordTexts.js';
import { createRandom, type Random } from '../src/util/random.js';
import { failure } from './helpers.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

const hex = (a: ArrayBufferView | undefined | null) => (a ? Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex') : '');

/** The table's columns byte for byte, the line of every row, the text counts and the delimiter. */
function summary(t: Table): unknown {
  const info = csvInfo(t)!;
  return {
    columns: t.schema.fields.map((f) => {
      const c = t.getChild(f.name)!.data[0];
      return [f.name, String(f.type), c.length, c.nullCount, hex(c.values), hex(c.valueOffsets), hex(c.nullBitmap), c.dictionary ? [...c.dictionary] : null];
    }),
    lines: Array.from({ length: t.numRows }, (_, r) => info.line(r)),
    textStats: [...info.textStats],
    delimiter: info.delimiter,
  };
}

/** The bytes in chunks of `size` (the last shorter), as a stream gives them. */
async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/**
 * A seeded CSV of `n` records, mostly plain ASCII: numbers in several forms, ids, empty cells, and now and then an
 * empty line, a record beyond ASCII, a quoted field (with a delimiter, a quote or a line break), a formula.
 */
function randomCsv(rand: Random, n: number, eol: string): string {
  const rare = ['Zürich', '"quoted, comma"', '"line\nbreak"', '"say ""hi"""', '東京', '=1+2', '-3', '+x'];
  const out = ['id,spend,note,visits,rate'];
  for (let i = 0; i < n; i++) {
    if (rand.next() < 0.01) out.push('');
    const spend = rand.next() < 0.05 ? '' : (Math.exp(rand.normal()) * 100).toFixed(rand.int(4));
    // rare enough that many chunks of a few KiB are plain ASCII without a quote
    const note = rand.next() < 0.004 ? rare[rand.int(rare.length)] : rand.next() < 0.1 ? '' : rand.next() < 0.01 ? ['=1+2', '-3', '+x'][rand.int(3)] : `n${rand.int(1000)}`;
    const rate = ['0.5', '.25', '1e3', '007', '-0', '12.50', 'NA', String(rand.int(9))][rand.int(8)];
    out.push([`C${i}`, spend, note, String(rand.int(50)), rate].join(','));
  }
  return out.join(eol) + eol;
}

describe('CSV chunks split as bytes', () => {
  for (const [label, eol] of [['LF', '\n'], ['CRLF', '\r\n']] as const) {
    // (a file whose lines end in CR LF is never split as bytes: there, the same table whatever the chunks)
    it(`reads a CSV in chunks of any size (${label}) as it reads its text`, async () => {
      const text = randomCsv(createRandom(7 + eol.length), 6000, eol);
      const bytes = enc.encode(text);
      const whole = summary(await readCsv(text));
      for (const size of [1, 37, 500, 4096, 65_536]) expect(summary(await readCsv(chunks(bytes, size)))).toEqual(whole);
    });
  }

  it('reads one buffer larger than the pieces a reader is offered at once (1 MiB) as it reads its text', async () => {
    const text = randomCsv(createRandom(5), 60_000, '\n');
    const bytes = enc.encode(text);
    expect(bytes.length).toBeGreaterThan(1 << 20);
    expect(summary(await readCsv(bytes))).toEqual(summary(await readCsv(text)));
  });

  it('reads text columns of chunks split as bytes, and a record started before them that is not ASCII', async () => {
    const rows = ['name,city,n'];
    for (let i = 0; i < 3000; i++) rows.push(i % 500 === 7 ? `Åsa${i},Zürich,${i}` : `name${i},town${i % 17},${i}`);
    const text = rows.join('\n') + '\n';
    const whole = summary(await readCsv(text, { types: { name: 'string', city: 'category' } }));
    for (const size of [50, 333, 4096]) {
      expect(summary(await readCsv(chunks(enc.encode(text), size), { types: { name: 'string', city: 'category' } }))).toEqual(whole);
    }
  });

  it('keeps the records as read, with their flags, as it keeps them from the text', async () => {
    const text = randomCsv(createRandom(11), 3000, '\n');
    const kept = async (source: string | AsyncIterable<Uint8Array>, options: ReadCsvOptions = {}) => {
      const texts = keepAllRecords();
      await readCsvWith(source, options, texts);
      const b = keptRecords(texts)!;
      return { header: dec.decode(texts.header), records: Array.from(b.ends, (e, i) => dec.decode(b.records.subarray(b.starts[i], e))), risky: [...b.risky] };
    };
    const whole = await kept(text);
    expect(whole.records.length).toBeGreaterThan(2900);
    for (const size of [64, 1000, 8192]) expect(await kept(chunks(enc.encode(text), size))).toEqual(whole);
  });

  it('names the line of a record with too many fields, and of a byte that is not UTF-8, after chunks split as bytes', async () => {
    const rows = ['a,b'];
    for (let i = 0; i < 5000; i++) rows.push(`${i},${i % 3 === 0 ? '' : i * 2}`);
    const extra = [...rows];
    extra[4321] = '1,2,3';
    for (const size of [100, 4096]) {
      const e = await failure(() => readCsv(chunks(enc.encode(extra.join('\n') + '\n'), size)));
      expect([e.code, e.message]).toEqual(['E_PARSE', expect.stringMatching(/^line 4322 has 3 fields but the header has 2/)]);
    }
    const bad = enc.encode(rows.join('\n') + '\n');
    const at = bad.indexOf(10, 30_000) + 1;
    const line = 1 + bad.subarray(0, at).filter((b) => b === 10).length;
    bad[at + 1] = 0xff;
    for (const size of [100, 4096]) {
      const e = await failure(() => readCsv(chunks(bad, size)));
      expect([e.code, e.message]).toEqual(['E_PARSE', expect.stringMatching(new RegExp(`^line ${line}: the CSV input is not valid UTF-8 \\(byte 0xFF\\)`))]);
    }
  });

  it('counts once the lines of records that waited for a long record to end, for the line of a byte that is not UTF-8', async () => {
    // a record longer than its chunk makes the reader wait for more text, holding the lines decoded after it
    const parts = [enc.encode('a,b\n1,2\n'), enc.encode(`3,${'x'.repeat(100)}`), enc.encode('é\n4,5\n'), enc.encode('6,7\n'), new Uint8Array([...enc.encode('8,'), 0xff, 10])];
    async function* source() {
      yield* parts;
    }
    const e = await failure(() => readCsv(source()));
    expect([e.code, e.message]).toEqual(['E_PARSE', expect.stringMatching(/^line 6: the CSV input is not valid UTF-8 \(byte 0xFF\)/)]);
  });

  it('reads a record of 24 million characters in 64 KiB chunks, looking through it for quotes a bounded number of times', async () => {
    // each chunk inside the record once looked through the whole record so far for a quote (about 16 s here): the
    // characters searched for a quote are counted, a measure of the work that does not depend on the machine
    const bytes = enc.encode(`a,b\n1,${'x'.repeat(24_000_000)}\n2,y\n`);
    const includes = String.prototype.includes;
    let searched = 0;
    String.prototype.includes = function (this: string, what: string, from?: number) {
      if (what === '"') searched += this.length;
      return includes.call(this, what, from);
    };
    let t;
    try {
      t = await readCsv(chunks(bytes, 1 << 16));
    } finally {
      String.prototype.includes = includes;
    }
    expect([t.numRows, t.getChild('b')!.get(0).length, t.getChild('b')!.get(1), csvInfo(t)!.line(1)]).toEqual([2, 24_000_000, 'y', 3]);
    expect(searched).toBeLessThan(4 * bytes.length);
  }, 60_000);

  it('keeps a U+FEFF that starts a later chunk, after a header given as text and a chunk split as bytes', async () => {
    async function* source() {
      yield 'a,b\n';
      yield enc.encode('1,2\n');
      yield enc.encode('\ufeffz,3\n');
    }
    // the column's bytes (Arrow decodes a cell with a leading U+FEFF to a string without it)
    const bytes = async (input: string | AsyncIterable<string | Uint8Array>) => hex((await readCsv(input, { types: { a: 'string' } })).getChild('a')!.data[0].values);
    expect(await bytes(source())).toBe('31efbbbf7a');
    expect(await bytes('a,b\n1,2\n\ufeffz,3\n')).toBe('31efbbbf7a');
  });

  it('stops with E_ABORTED, not the error of a chunk that came after the signal fired', async () => {
    const stop = new AbortController();
    async function* source() {
      yield enc.encode('a,b\n1,2\n');
      stop.abort();
      yield enc.encode('3,4\n5,6,7\n');
    }
    const e = await failure(() => readCsv(source(), { signal: stop.signal }));
    expect(e.code).toBe('E_ABORTED');
  });

  it('tells ASCII bytes from others at every alignment (the runtime\'s check and the loop)', () => {
    // Node has its own from 20.16 (found through process.getBuiltinModule)
    expect(nativeAscii).toBe(typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule === 'function');
    const buffer = new Uint8Array(96).fill(0x41);
    for (const check of [isAscii, isAsciiLoop]) {
      for (let from = 0; from < 8; from++) {
        for (let to = from; to < 80; to++) {
          expect(check(buffer.subarray(from, to))).toBe(true);
          for (let at = from; at < to; at++) {
            buffer[at] = at % 2 ? 0x80 : 0xff;
            expect(check(buffer.subarray(from, to))).toBe(false);
            buffer[at] = 0x41;
          }
        }
      }
    }
  });
});
