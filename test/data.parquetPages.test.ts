// Parquet pages that are corrupt but still decode: values hyparquet reads without a check of its own (dictionary
// indices, definition levels, run-length booleans, PLAIN and delta-encoded values, page checksums) must be an E_PARSE
// error naming the column rather than made-up nulls or other values. The files are written by hyparquet-writer and
// then altered page by page.
import { crc32 } from 'node:zlib';
import { type PageHeader, parquetMetadata } from 'hyparquet';
import { ByteWriter, parquetWriteBuffer } from 'hyparquet-writer';
import { deltaBinaryPack } from 'hyparquet-writer/src/delta.js';
import { describe, expect, it } from 'vitest';
import { readParquet } from '../src/data/readParquet.js';
import { SegkitError } from '../src/util/errors.js';
import { failure } from './helpers.js';
import { asVersion1 } from './helpers/parquetV1.js';
import { type PageAt, rewritePages } from './helpers/parquetPages.js';

const n = 300;
const TIERS = ['gold', 'silver', 'bronze'];
const spend = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : i / 4));
const score = Array.from({ length: n }, (_, i) => (i % 4) * 1.5);
const flag = Array.from({ length: n }, (_, i) => i % 3 === 0);
/**
 * An uncompressed file of version 2 pages: "spend" optional with 43 nulls (PLAIN), "tier" and "score" dictionary
 * encoded (3 and 4 entries), "flag" run-length booleans.
 */
const written = (rowGroupSize = n): Uint8Array => new Uint8Array(parquetWriteBuffer({
  codec: 'UNCOMPRESSED',
  rowGroupSize,
  columnData: [
    { name: 'spend', data: spend, type: 'DOUBLE' },
    { name: 'tier', data: Array.from({ length: n }, (_, i) => TIERS[i % 3]), type: 'STRING', nullable: false },
    { name: 'score', data: score, type: 'DOUBLE', nullable: false },
    { name: 'flag', data: flag, type: 'BOOLEAN', nullable: false, encoding: 'RLE' },
  ],
}));
/** Where a data page's values start in its bytes (after a version 2 page's levels). */
const valuesAt = (h: PageHeader): number => (h.data_page_header_v2 ? h.data_page_header_v2.repetition_levels_byte_length + h.data_page_header_v2.definition_levels_byte_length : 0);
/** The file with `edit` applied to the first data page of `column`. */
const onDataPage = (file: Uint8Array, column: string, edit: (h: PageHeader, body: Uint8Array) => Uint8Array | void): Uint8Array =>
  rewritePages(file, (at: PageAt, h, body) => (at.column === column && h.type !== 'DICTIONARY_PAGE' && at.page <= 1 ? edit(h, body) : undefined));
const corrupt = async (file: Uint8Array): Promise<string> => {
  const error = await failure(() => readParquet(file));
  expect(error).toBeInstanceOf(SegkitError);
  expect(error.code).toBe('E_PARSE');
  const m = /^the Parquet input is a corrupt file: (.*) \(the file was truncated or altered after it was written; export it again\)$/.exec(error.message);
  expect(m, error.message).not.toBeNull();
  return m![1];
};
const column = async (file: Uint8Array, name: string): Promise<unknown[]> => Array.from((await readParquet(file)).getChild(name)!);

describe('dictionary indices', () => {
  // "tier": a bit width of 2 for its 3 entries (gold 0, silver 1, bronze 2), then the runs
  const indices = (bytes: number[]) => (h: PageHeader, body: Uint8Array): void => body.set([2, ...bytes], valuesAt(h));

  it('reads the file as written', async () => {
    expect(await column(written(), 'tier')).toEqual(Array.from({ length: n }, (_, i) => TIERS[i % 3]));
    expect(await column(written(), 'score')).toEqual(score);
  });

  it('refuses an index past the dictionary, in a run-length run or a bit-packed group (it read as null)', async () => {
    // a run of 300 indices of 3
    expect(await corrupt(onDataPage(written(), 'tier', indices([0xd8, 0x04, 0x03])))).toBe('a page of column "tier" holds 3 among its dictionary indices, past its dictionary of 3 values');
    // a bit-packed group of 8 (the sixth 3), then a run of 292 of 1
    expect(await corrupt(onDataPage(written(), 'tier', indices([0x03, 0x00, 0x0c, 0xc8, 0x04, 0x01])))).toBe('a page of column "tier" holds 3 among its dictionary indices, past its dictionary of 3 values');
    // indices of 40 bits: a run of 300 of 2^32 (read as 1)
    expect(await corrupt(onDataPage(written(), 'tier', (h, body) => body.set([40, 0xd8, 0x04, 0, 0, 0, 0, 1], valuesAt(h))))).toBe('a page of column "tier" holds dictionary indices of 40 bits');
    // the same with the sixth index 2
    expect(await column(onDataPage(written(), 'tier', indices([0x03, 0x00, 0x08, 0xc8, 0x04, 0x01])), 'tier')).toEqual([...Array(5).fill('gold'), 'bronze', 'gold', 'gold', ...Array(292).fill('silver')]);
  });

  it('refuses an index past the dictionary in a GZIP version 1 page', async () => {
    const file = asVersion1(written().buffer as ArrayBuffer, { gzip: true, edit: (name, page) => name === 'tier' && page.set([2, 0xd8, 0x04, 0x05]) });
    expect(await corrupt(file)).toBe('a page of column "tier" holds 5 among its dictionary indices, past its dictionary of 3 values');
  });

  it('refuses an uncompressed dictionary page holding fewer values than it gives (the next page\'s bytes were read as one)', async () => {
    // "score"'s 4 doubles given as 5, and its indices all 4 (a bit width of 3, a run of 300)
    const file = rewritePages(written(), (at, h, body) => {
      if (at.column !== 'score') return;
      if (h.dictionary_page_header) h.dictionary_page_header.num_values = 5;
      else body.set([3, 0xd8, 0x04, 0x04], valuesAt(h));
    });
    expect(await corrupt(file)).toBe('the dictionary page of column "score" holds fewer than the 5 values its header gives');
  });

  it('refuses dictionary indices with no dictionary page before them (the indices were read as the values)', async () => {
    const file = rewritePages(written(), (at, h) => (at.column === 'score' && h.type === 'DICTIONARY_PAGE' ? null : undefined));
    expect(await corrupt(file)).toBe('a page of column "score" is dictionary encoded, but no dictionary page comes before it');
  });

  it('refuses a run-length page of a column other than booleans (dictionary indices were read as the values)', async () => {
    const file = rewritePages(asVersion1(written().buffer as ArrayBuffer), (at, h) => {
      if (at.column === 'score' && h.data_page_header) h.data_page_header.encoding = 'RLE';
    });
    expect(await corrupt(file)).toBe('a page of column "score" is RLE encoded, which its type DOUBLE does not have');
  });
});

describe('definition levels and run-length booleans', () => {
  it('refuses a version 2 page whose count of nulls is not its definition levels\' (the last values read as null)', async () => {
    const file = onDataPage(written(), 'spend', (h) => {
      h.data_page_header_v2!.num_nulls += 5;
    });
    expect(await corrupt(file)).toBe('a page of column "spend" gives 48 nulls but its definition levels hold 43');
  });

  it('refuses a definition level other than 0 and 1 (a level of 2 read as null)', async () => {
    // a run of 300 levels of 2, where the levels start (after their length) in a version 1 page
    const file = asVersion1(written().buffer as ArrayBuffer, { gzip: true, edit: (name, page) => name === 'spend' && page.set([0xd8, 0x04, 0x02], 4) });
    expect(await corrupt(file)).toBe('a page of column "spend" holds 2 among its definition levels, where only 0 and 1 are read');
  });

  it('refuses definition levels that run past their bytes into the values (the values were read a byte early)', async () => {
    const file = onDataPage(written(), 'spend', (h) => {
      // levels of 2 bytes holding a run of 300 whose value (1) is the byte after them, then 300 doubles
      const v2 = h.data_page_header_v2!;
      v2.definition_levels_byte_length = 2;
      v2.num_nulls = 0;
      const values = new Uint8Array(Float64Array.from({ length: n }, (_, i) => i / 4).buffer);
      return Uint8Array.from([0xd8, 0x04, 0x01, ...values]);
    });
    expect(await corrupt(file)).toBe('a page of column "spend" holds definition levels that run past their bytes');
  });

  it('refuses a run-length boolean other than 0 and 1 (2 read as true)', async () => {
    // a version 2 run-length page: the runs' length (4 bytes), then a run of 300 values of 2
    const run = (value: number) => (h: PageHeader, body: Uint8Array): void => body.set([0xd8, 0x04, value], valuesAt(h) + 4);
    expect(await corrupt(onDataPage(written(), 'flag', run(2)))).toBe('a page of column "flag" holds 2 among its booleans, where only 0 and 1 are read');
    expect(await column(onDataPage(written(), 'flag', run(1)), 'flag')).toEqual(Array(n).fill(true));
  });
});

describe('values past the end of an uncompressed page', () => {
  const doubles = (): Uint8Array => new Uint8Array(parquetWriteBuffer({
    codec: 'UNCOMPRESSED', pageSize: 800,
    columnData: [{ name: 'x', data: Array.from({ length: n }, (_, i) => i + 0.5), type: 'DOUBLE', nullable: false, encoding: 'PLAIN' }, { name: 'y', data: Array(n).fill(1), type: 'DOUBLE', nullable: false }],
  }));

  it('refuses a PLAIN page holding fewer values than its header gives (it read the next page\'s bytes as one)', async () => {
    // one value moved from the count of the first page to the second, whose count its bytes then fall short of
    const meta = parquetMetadata(doubles().buffer as ArrayBuffer);
    expect(Number(meta.row_groups[0].columns[0].meta_data!.total_compressed_size)).toBeGreaterThan(2400);
    const file = rewritePages(doubles(), (at, h) => {
      const v2 = h.data_page_header_v2;
      if (at.column !== 'x' || !v2 || at.page > 1) return;
      const shift = at.page === 0 ? -1 : 1;
      v2.num_values += shift;
      v2.num_rows += shift;
    });
    expect(await corrupt(file)).toMatch(/^a page of column "x" holds fewer than the \d+ values its header gives$/);
    expect(await column(doubles(), 'x')).toEqual(Array.from({ length: n }, (_, i) => i + 0.5));
  });

  it('refuses a PLAIN text whose length runs past the page (it read the next page\'s bytes as text)', async () => {
    const codes = Array.from({ length: n }, (_, i) => `code-${i}`);
    const texts = new Uint8Array(parquetWriteBuffer({ codec: 'UNCOMPRESSED', pageSize: 400, columnData: [{ name: 'code', data: codes, type: 'STRING', nullable: false, encoding: 'PLAIN' }] }));
    expect(await column(texts, 'code')).toEqual(codes);
    // the first page's last text (each a 4-byte length, then its bytes) made 4 bytes longer
    const file = onDataPage(texts, 'code', (h, body) => {
      const view = new DataView(body.buffer, body.byteOffset);
      let last = 0;
      for (let at = 0; at < body.length; at += 4 + view.getUint32(at, true)) last = at;
      view.setUint32(last, view.getUint32(last, true) + 4, true);
    });
    expect(await corrupt(file)).toMatch(/^a page of column "code" holds fewer than the \d+ values its header gives$/);
  });
});

describe('delta-encoded values', () => {
  const ints = (values: number[]): Uint8Array => {
    const w = new ByteWriter();
    deltaBinaryPack(w, Int32Array.from(values), 'INT32');
    return new Uint8Array(w.getBytes());
  };
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
  const texts = (encoding: 'DELTA_BYTE_ARRAY' | 'DELTA_LENGTH_BYTE_ARRAY'): Uint8Array => new Uint8Array(parquetWriteBuffer({
    codec: 'UNCOMPRESSED', columnData: [{ name: 'code', data: ['ab', 'abcd'], type: 'STRING', nullable: false, encoding }, { name: 'n', data: [1, 2], type: 'DOUBLE' }],
  }));
  const body = (...parts: Uint8Array[]) => (): Uint8Array => Uint8Array.from(parts.flatMap((p) => Array.from(p)));

  it('reads the texts as written', async () => {
    expect(await column(texts('DELTA_BYTE_ARRAY'), 'code')).toEqual(['ab', 'abcd']);
    expect(await column(onDataPage(texts('DELTA_BYTE_ARRAY'), 'code', body(ints([0, 2]), ints([2, 2]), bytes('abcd'))), 'code')).toEqual(['ab', 'abcd']);
    expect(await column(onDataPage(texts('DELTA_LENGTH_BYTE_ARRAY'), 'code', body(ints([2, 4]), bytes('ababcd'))), 'code')).toEqual(['ab', 'abcd']);
  });

  it('refuses a text sharing more bytes than the one before it holds (the missing ones read as zero bytes)', async () => {
    const file = onDataPage(texts('DELTA_BYTE_ARRAY'), 'code', body(ints([0, 5]), ints([2, 2]), bytes('abcd')));
    expect(await corrupt(file)).toBe('a page of column "code" holds a value sharing 5 bytes with the 2 bytes of the one before it');
  });

  it('refuses lengths that run past the page (the next page\'s bytes were read as text)', async () => {
    // pages of texts of 6 and 7 bytes, the first page's lengths rewritten with its last 4 bytes longer
    const codes = Array.from({ length: n }, (_, i) => `code-${i}`);
    for (const encoding of ['DELTA_LENGTH_BYTE_ARRAY', 'DELTA_BYTE_ARRAY'] as const) {
      const file = new Uint8Array(parquetWriteBuffer({ codec: 'UNCOMPRESSED', pageSize: 400, columnData: [{ name: 'code', data: codes, type: 'STRING', nullable: false, encoding }] }));
      expect(await column(file, 'code')).toEqual(codes);
      const longer = onDataPage(file, 'code', (h) => {
        const page = codes.slice(0, h.data_page_header_v2!.num_values);
        expect(page.length).toBeLessThan(n);
        const lengths = page.map((c, i) => c.length + (i === page.length - 1 ? 4 : 0));
        const text = bytes(page.join(''));
        return encoding === 'DELTA_LENGTH_BYTE_ARRAY' ? body(ints(lengths), text)() : body(ints(lengths.map(() => 0)), ints(lengths), text)();
      });
      expect(await corrupt(longer)).toMatch(/^a page of column "code" holds fewer than the \d+ values its header gives$/);
    }
  });

  it('refuses a sequence whose count is not the page\'s', async () => {
    const file = onDataPage(texts('DELTA_LENGTH_BYTE_ARRAY'), 'code', body(ints([2, 4, 1]), bytes('ababcdx')));
    expect(await corrupt(file)).toBe('a page of column "code" holds a delta-encoded sequence of 3 values in blocks of 128 values in 4 parts, where the page has 2 values');
  });
});

describe('page checksums', () => {
  /** The file with each page's CRC-32 in its header, of its bytes as stored. */
  const withCrc = (file: Uint8Array): Uint8Array => rewritePages(file, (_, h, body) => {
    h.crc = crc32(body) | 0;
  });
  const crcs = (file: Uint8Array): unknown[] => {
    const found: unknown[] = [];
    rewritePages(file, (_, h) => {
      found.push(h.crc);
    });
    return found;
  };

  it('reads pages whose checksums match, uncompressed and GZIP, as the file without them', async () => {
    for (const file of [written(100), asVersion1(written(100).buffer as ArrayBuffer, { gzip: true })]) {
      const checked = withCrc(file);
      expect(crcs(checked).every((c) => typeof c === 'number')).toBe(true);
      expect(crcs(file).every((c) => c === undefined)).toBe(true);
      const [a, b] = [await readParquet(file), await readParquet(checked)];
      for (const name of ['spend', 'tier', 'score', 'flag']) expect(Array.from(b.getChild(name)!)).toEqual(Array.from(a.getChild(name)!));
      expect(Array.from(b.getChild('spend')!)).toEqual(spend);
    }
  });

  it('refuses a page whose bytes do not match its checksum, naming its column and row group (the altered value was read)', async () => {
    // a byte of a value of "spend" in row group 1 (rows 100 to 199), after the checksums were written
    const file = rewritePages(withCrc(written(100)), (at, h, body) => {
      if (at.column === 'spend' && at.group === 1 && h.type !== 'DICTIONARY_PAGE') body[valuesAt(h) + 7] ^= 0x40;
    });
    expect(await corrupt(file)).toBe('a page of column "spend" in row group 1 does not match the checksum (CRC-32) its header gives');
    const dictionary = rewritePages(withCrc(written(100)), (at, h, body) => {
      if (at.column === 'tier' && at.group === 2 && h.type === 'DICTIONARY_PAGE') body[5] ^= 0x01;
    });
    expect(await corrupt(dictionary)).toBe('a page of column "tier" in row group 2 does not match the checksum (CRC-32) its header gives');
  });
});
