// Compressed (and corrupt) Arrow IPC and Parquet files, as other writers make them: Arrow record batches compressed with LZ4 frames
// (pyarrow's and pandas' Feather default) or Zstandard, and Parquet columns compressed with GZIP, ZSTD, LZ4 (Hadoop
// framing) or LZ4_RAW. The fixtures' compressed bytes come from Python's own codec libraries
// (test/fixtures/compressed.mjs), so segkit's decoders are checked against other implementations.
import { spawnSync } from 'node:child_process';
import { brotliCompressSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompressionType, Field, Float64, RecordBatch, Schema, Struct, Table, Utf8, compressionRegistry, makeData, tableFromIPC, tableToIPC } from 'apache-arrow';
import { parquetMetadata } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { readArrowBatches } from '../src/data/arrowBatches.node.js';
import { registerArrowDecoders } from '../src/data/codecs.js';
import { readArrow } from '../src/data/readArrow.js';
import { readParquet } from '../src/data/readParquet.js';
import { SegkitError } from '../src/util/errors.js';
import { failure } from './helpers.js';
import { asVersion1 } from './helpers/parquetV1.js';
import { BIN, ok } from './helpers/segkitCli.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const path = (name: string): string => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const want = (JSON.parse(fixture('compressed.json').toString('utf8')) as { columns: Record<string, unknown[]> }).columns;
const columns = (t: Table): Record<string, unknown[]> => Object.fromEntries(Object.keys(want).map((k) => [k, Array.from(t.getChild(k)!)]));

describe('compressed Arrow IPC', () => {
  it('is compressed in the fixtures: apache-arrow alone has no decoder for it', () => {
    // nothing in this file has read IPC yet, so no decoder is registered
    expect(compressionRegistry.get(CompressionType.LZ4_FRAME)).toBeNull();
    expect(() => tableFromIPC(fixture('compressed-lz4.arrow'))).toThrow(/compressed but codec not found/);
    expect(() => tableFromIPC(fixture('compressed-zstd.arrows'))).toThrow(/compressed but codec not found/);
  });

  it('reads LZ4-frame (file format) and Zstandard (stream format) record batches, nulls and dictionaries included', async () => {
    for (const name of ['compressed-lz4.arrow', 'compressed-zstd.arrows']) {
      const t = await readArrow(fixture(name));
      expect(t.numRows).toBe(1500);
      expect(t.batches).toHaveLength(3);
      expect(columns(t)).toEqual(want);
    }
    // the values hold nulls and the dictionary several categories, so a misread buffer shows
    expect(want.spend.filter((v) => v === null)).toHaveLength(214);
    expect(new Set(want.tier).size).toBe(5);
  });

  it('streams them batch by batch, with fresh and with recycled buffers', async () => {
    for (const name of ['compressed-lz4.arrow', 'compressed-zstd.arrows']) {
      for (const recycle of [false, true]) {
        const got: Record<string, unknown[]> = Object.fromEntries(Object.keys(want).map((k) => [k, []]));
        let batches = 0;
        for await (const t of readArrowBatches(path(name), { recycle })) {
          batches++;
          for (const [k, v] of Object.entries(columns(t))) got[k].push(...v);
        }
        expect(batches).toBe(3);
        expect(got).toEqual(want);
      }
    }
  });

  it('refuses a corrupt LZ4 frame, and a buffer that decodes to another length than its header gives', async () => {
    const bytes = fixture('compressed-lz4.arrow');
    // the first compressed buffer: its uncompressed length (int64), then the frame (magic, flags, block size code, header
    // checksum, then each block's size)
    const frame = bytes.indexOf(Buffer.from([0x04, 0x22, 0x4d, 0x18]));
    expect(frame).toBeGreaterThan(8);
    const refused = (b: Buffer): Promise<SegkitError> => failure(() => readArrow(b));
    // a block size of 2^31 - 1 stored bytes: lz4js copied that many before giving up (minutes)
    const huge = Buffer.from(bytes);
    huge.writeUInt32LE(0xffffffff, frame + 7);
    expect(await refused(huge)).toMatchObject({ code: 'E_PARSE', message: expect.stringContaining('a corrupt LZ4 frame: a block of 2147483647 bytes, above the frame\'s 65536') });
    // a block that runs past the buffer's end
    const long = Buffer.from(bytes);
    long.writeUInt32LE(60_000, frame + 7);
    expect(await refused(long)).toMatchObject({ code: 'E_PARSE', message: expect.stringContaining('a corrupt LZ4 frame: a block runs past its end') });
    // the length the buffer's header gives, 8 more than its frame decodes to
    const length = Buffer.from(bytes);
    const stated = length.readBigInt64LE(frame - 8);
    length.writeBigInt64LE(stated + 8n, frame - 8);
    expect(await refused(length)).toMatchObject({ code: 'E_PARSE', message: expect.stringContaining(`a buffer decompressed to ${stated} bytes where its header says ${stated + 8n}`) });
  });

  it('decodes LZ4 frames with block and content checksums, and frames of many small blocks, checking what they hold', () => {
    registerArrowDecoders();
    const decode = compressionRegistry.get(CompressionType.LZ4_FRAME)!.decode!;
    // a buffer as apache-arrow hands it over: the bytes after its uncompressed length
    const buffer = (frame: Uint8Array, length: number): Uint8Array => {
      const b = new Uint8Array(8 + frame.length);
      new DataView(b.buffer).setBigInt64(0, BigInt(length), true);
      b.set(frame, 8);
      return b.subarray(8);
    };
    // 200 bytes compressed by Python's lz4.frame with block_checksum, content_checksum and store_size: the block's
    // checksum follows its data (lz4js looked for it before the data and decoded 197 bytes of nonsense)
    const hex = '04224d187c40c8000000000000002c15000000bf61656962666a63676b64680b00a5506b64686165cec956f80000000015444316';
    const framed = Uint8Array.from(Buffer.from(hex, 'hex'));
    const text = 'aeibfjcgkdh'.repeat(19).slice(0, 200);
    expect(Buffer.from(decode(buffer(framed, 200))).toString('latin1')).toBe(text);
    const failure = (frame: Uint8Array, length: number): unknown => {
      try {
        decode(buffer(frame, length));
      } catch (error) {
        return (error as Error).message;
      }
      return 'decoded';
    };
    const flip = (at: number): Uint8Array => {
      const f = framed.slice();
      f[at] ^= 1;
      return f;
    };
    expect(failure(flip(14), 200)).toBe('a corrupt LZ4 frame: its header checksum does not match');
    expect(failure(flip(22), 200)).toBe('a corrupt LZ4 frame: a block checksum does not match');
    expect(failure(flip(framed.length - 1), 200)).toBe('a corrupt LZ4 frame: its content checksum does not match');
    // 1,100 blocks of one byte each in a frame of 4 MiB blocks, as Python's lz4.frame writes with auto_flush (each
    // block's most, 4 MiB, was reserved for it: 4.6 GB, past what an array can hold)
    const blocks = (stored: boolean): Uint8Array => {
      const f = [0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0x73];
      for (let i = 0; i < 1100; i++) f.push(...(stored ? [1, 0, 0, 0x80, 65 + (i % 26)] : [2, 0, 0, 0, 0x10, 65 + (i % 26)]));
      return Uint8Array.from([...f, 0, 0, 0, 0]);
    };
    const letters = Array.from({ length: 1100 }, (_, i) => String.fromCharCode(65 + (i % 26))).join('');
    for (const stored of [true, false]) expect(Buffer.from(decode(buffer(blocks(stored), 1100))).toString('latin1')).toBe(letters);
    expect(failure(blocks(false), 1099)).toBe('a buffer decompressed to 1100 bytes where its header says 1099');
  });

  it('keeps a decoder the caller registered', async () => {
    const had = compressionRegistry.get(CompressionType.ZSTD);
    let calls = 0;
    const zstd = had!.decode!;
    compressionRegistry.set(CompressionType.ZSTD, { decode: (data) => { calls++; return zstd(data); } });
    try {
      expect(columns(await readArrow(fixture('compressed-zstd.arrows')))).toEqual(want);
      expect(calls).toBeGreaterThan(3);
    } finally {
      compressionRegistry.set(CompressionType.ZSTD, had!);
    }
  });

  it('is read by the command, scoring the same segments from either codec as from the plain table', () => {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-compressed-'));
    try {
      ok(dir, ['segment', path('compressed-lz4.arrow'), '--k', '3', '--seed', '1', '--columns', 'spend,visits', '--model', 'm.json', '--out', 'lz4.csv', '-q']);
      ok(dir, ['score', path('compressed-zstd.arrows'), '--model', 'm.json', '--out', 'zstd.csv', '-q']);
      ok(dir, ['score', path('compressed.parquet'), '--model', 'm.json', '--out', 'parquet.csv', '-q']);
      const segments = (f: string) => readFileSync(join(dir, f), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[4]);
      const lz4 = segments('lz4.csv');
      expect(lz4).toHaveLength(1500);
      expect(new Set(lz4).size).toBe(3);
      expect(segments('zstd.csv')).toEqual(lz4);
      expect(segments('parquet.csv')).toEqual(lz4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('corrupt Arrow IPC', () => {
  // batches whose header claims more rows than the buffers the writer sent hold (makeData does not check them)
  const schema = new Schema([new Field('x', new Float64(), true), new Field('s', new Utf8(), true)]);
  const batch = (n: number, x: number[], offsets: number[], text: string) => new RecordBatch(schema, makeData({
    type: new Struct(schema.fields), length: n, nullCount: 0, children: [
      makeData({ type: new Float64(), length: n, nullCount: 0, data: Float64Array.from(x) }),
      makeData({ type: new Utf8(), length: n, nullCount: 0, valueOffsets: Int32Array.from(offsets), data: new TextEncoder().encode(text) }),
    ],
  }));
  const good = batch(2, [1, 2], [0, 1, 2], 'ab');

  it('refuses a record batch that claims more rows than its buffers hold, rather than make rows up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'segkit-corrupt-'));
    try {
      for (const format of ['stream', 'file'] as const) {
        const cases: [RecordBatch, string][] = [
          [batch(1000, [3, 4], [0, 1, 2], 'cd'), 'record batch 2 says it holds 1000 rows, more than column "x" holds'],
          // text whose last offset points past its bytes
          [batch(2, [3, 4], [0, 1, 50], 'cd'), 'record batch 2 says it holds 2 rows, more than column "s" holds'],
        ];
        for (const [bad, message] of cases) {
          const ipc = tableToIPC(new Table([good, bad]), format);
          // apache-arrow alone reads the claimed rows
          expect(tableFromIPC(ipc).numRows).toBe(2 + bad.numRows);
          const error = await failure(() => readArrow(ipc));
          expect(error).toBeInstanceOf(SegkitError);
          expect(error.code).toBe('E_PARSE');
          expect(error.message).toBe(`the Arrow input is corrupt: ${message}`);
          const file = join(dir, `bad.${format}`);
          writeFileSync(file, ipc);
          for (const recycle of [false, true]) {
            const rows: number[] = [];
            const streamed = await failure(async () => {
              for await (const t of readArrowBatches(file, { recycle })) rows.push(t.numRows);
            });
            expect(rows).toEqual([2]);
            expect(streamed.code).toBe('E_PARSE');
            expect(streamed.message).toBe(`"${file}" is corrupt: ${message}`);
          }
        }
      }
      // the good batch alone reads
      expect((await readArrow(tableToIPC(new Table([good]), 'file'))).numRows).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Arrow metadata with a list longer than its bytes', () => {
  it('is refused; apache-arrow built an object per entry until the process ran out of memory', async () => {
    // byte 16624 of the file fixture is in its footer: 27 gives the field "visits" 201,328,640 children in a 448-byte
    // footer; byte 471 of the stream fixture is in a record batch's header: 12 gives one of its lists 201,326,595 entries
    const cases: [string, number, number, RegExp][] = [
      ['compressed-lz4.arrow', 16624, 27, /^the input is not valid Arrow IPC data: its metadata holds a list of 201328640 entries in \d+ bytes$/],
      ['compressed-zstd.arrows', 471, 12, /^the input is not valid Arrow IPC data: its metadata holds a list of 201326595 entries in \d+ bytes$/],
    ];
    const dir = mkdtempSync(join(tmpdir(), 'segkit-lists-'));
    try {
      for (const [name, at, value, message] of cases) {
        const bytes = Buffer.from(fixture(name));
        bytes[at] = value;
        const error = await failure(() => readArrow(bytes));
        expect(error.code).toBe('E_PARSE');
        expect(error.message).toMatch(message);
        const file = join(dir, name);
        writeFileSync(file, bytes);
        for (const recycle of [false, true]) {
          const streamed = await failure(async () => {
            for await (const _ of readArrowBatches(file, { recycle })) { /* read */ }
          });
          expect(streamed.code).toBe('E_PARSE');
          expect(streamed.message).toMatch(/its metadata holds a list of 2013\d{5} entries/);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('an Arrow file whose footer points at the wrong message', () => {
  it('is refused; apache-arrow\'s file reader read that message again and again, never returning', async () => {
    // byte 295 of the fixture is in its first record batch's message header: 153 makes it another kind of message,
    // which the footer still names as the first record batch
    const bytes = Buffer.from(fixture('compressed-lz4.arrow'));
    bytes[295] = 153;
    const error = await failure(() => readArrow(bytes));
    expect(error).toBeInstanceOf(SegkitError);
    expect(error.code).toBe('E_PARSE');
    expect(error.message).toBe("the input is not valid Arrow IPC data: the footer's record batch 1 points at another kind of message");
    const dir = mkdtempSync(join(tmpdir(), 'segkit-footer-'));
    try {
      const file = join(dir, 'loop.arrow');
      writeFileSync(file, bytes);
      for (const recycle of [false, true]) {
        const streamed = await failure(async () => {
          for await (const _ of readArrowBatches(file, { recycle })) { /* read */ }
        });
        expect(streamed).toBeInstanceOf(SegkitError);
        expect(streamed.code).toBe('E_PARSE');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('compressed Parquet', () => {
  it('reads columns compressed with GZIP, ZSTD, LZ4_RAW and Hadoop-framed LZ4', async () => {
    const bytes = fixture('compressed.parquet');
    const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    expect(meta.row_groups).toHaveLength(3);
    expect(meta.row_groups[0].columns.map((c) => c.meta_data?.codec)).toEqual(['GZIP', 'ZSTD', 'LZ4_RAW', 'LZ4']);
    const t = await readParquet(bytes);
    expect(t.numRows).toBe(1500);
    expect(columns(t)).toEqual(want);
  });

  it('refuses a page header with fields no page has, which left hyparquet reading one byte forever', async () => {
    // byte 3705 of the fixture is in the header of a ZSTD page of "visits": 18 leaves its encoding and level lengths unread
    const bytes = Buffer.from(fixture('compressed.parquet'));
    bytes[3705] = 18;
    const error = await failure(() => readParquet(bytes));
    expect(error).toBeInstanceOf(SegkitError);
    expect(error.code).toBe('E_PARSE');
    expect(error.message).toMatch(/^the Parquet input is a corrupt file: a page header of column "visits" holds sizes, counts or encodings that no page has/);
  });

  it('refuses a SNAPPY page whose literal length reads as negative, which hyparquet decoded forever', () => {
    // hyparquet-writer's default codec is SNAPPY; the first element after the page's length varint becomes a literal
    // whose 4-byte length 0xfffffffa hyparquet reads as -5, moving back onto that element again and again
    const file = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'a', data: Array.from({ length: 200 }, (_, i) => i / 3), type: 'DOUBLE' }] }));
    const md = parquetMetadata(file.buffer as ArrayBuffer).row_groups[0].columns[0].meta_data!;
    expect(md.codec).toBe('SNAPPY');
    const reader = { view: new DataView(file.buffer), offset: Number(md.data_page_offset) };
    const v2 = parquetHeader(reader).data_page_header_v2!;
    // a version 2 page keeps its levels uncompressed in front
    let at = reader.offset + v2.repetition_levels_byte_length + v2.definition_levels_byte_length;
    while (file[at] >= 128) at++;
    file.set([0xfc, 0xfa, 0xff, 0xff, 0xff], at + 1);
    const dir = mkdtempSync(join(tmpdir(), 'segkit-snappy-'));
    try {
      writeFileSync(join(dir, 'loop.parquet'), file);
      const r = spawnSync(process.execPath, [BIN, 'segment', 'loop.parquet', '--k', '2', '--out', 'x.csv', '--quiet'], {
        cwd: dir, encoding: 'utf8', env: { ...process.env, SEGKIT_HUGE_PAGES: '0' }, timeout: 30_000, killSignal: 'SIGKILL',
      });
      expect(r.stderr).toContain('the Parquet data could not be decoded: snappy literal length beyond 2^31');
      expect(r.status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a codec it cannot decompress, naming the column and the codec', async () => {
    const file = parquetWriteBuffer({
      columnData: [{ name: 'a', data: [1, 2, 3], type: 'DOUBLE' }, { name: 'b', data: [4, 5, 6], type: 'DOUBLE', codec: 'BROTLI' }],
      compressors: { BROTLI: (d: Uint8Array) => new Uint8Array(brotliCompressSync(d)) },
    });
    const error = await failure(() => readParquet(file));
    expect(error).toBeInstanceOf(SegkitError);
    expect(error.code).toBe('E_PARSE');
    expect(error.message).toMatch(/^Parquet column "b" is compressed with BROTLI, which segkit cannot decompress/);
    expect(error.hint).toBe('write it with SNAPPY, GZIP, ZSTD, LZ4, LZ4_RAW or no compression');
  });
});

describe('corrupt Parquet runs and chunks', () => {
  // an uncompressed file as segkit writes it (version 2 pages): "spend" optional with nulls, "tier" dictionary encoded
  const n = 300;
  const written = (): Uint8Array => new Uint8Array(parquetWriteBuffer({
    codec: 'UNCOMPRESSED',
    columnData: [
      { name: 'spend', data: Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : i / 4)), type: 'DOUBLE' },
      { name: 'tier', data: Array.from({ length: n }, (_, i) => ['gold', 'silver', 'bronze'][i % 3]), type: 'STRING' },
    ],
  }));
  /** The file with `bytes` written at the start of the definition levels or of the values of the first data page of `column`. */
  function patched(column: string, bytes: number[], part: 'levels' | 'values'): Uint8Array {
    const file = written();
    const meta = parquetMetadata(file.buffer as ArrayBuffer);
    const chunk = meta.row_groups[0].columns.find((c) => c.meta_data!.path_in_schema[0] === column)!.meta_data!;
    const reader = { view: new DataView(file.buffer), offset: Number(chunk.dictionary_page_offset || chunk.data_page_offset) };
    let h = parquetHeader(reader);
    if (h.type === 'DICTIONARY_PAGE') {
      reader.offset += h.compressed_page_size;
      h = parquetHeader(reader);
    }
    const v2 = h.data_page_header_v2!;
    expect(v2.num_values).toBe(n);
    // version 2: repetition levels (none here), definition levels, then the values (a bit width first for dictionary indices)
    const at = reader.offset + v2.repetition_levels_byte_length + (part === 'values' ? v2.definition_levels_byte_length : 0);
    file.set(bytes, at);
    return file;
  }
  // a run-length run of 2^30 values (header 2^31 as a varint), of value 1
  const hugeRun = [0x80, 0x80, 0x80, 0x80, 0x08, 0x01];

  it('reads the uncorrupted file', async () => {
    const t = await readParquet(written());
    expect(t.numRows).toBe(n);
    expect(t.getChild('spend')!.get(7)).toBeNull();
    expect(t.getChild('spend')!.get(9)).toBe(2.25);
    expect(t.getChild('tier')!.get(4)).toBe('silver');
  });

  it('refuses a definition-level run longer than its page (hyparquet grew an array until the process died)', async () => {
    const error = await failure(() => readParquet(patched('spend', hugeRun, 'levels')));
    expect(error).toBeInstanceOf(SegkitError);
    expect(error.code).toBe('E_PARSE');
    expect(error.message).toMatch(/^the Parquet input is a corrupt file: a page of column "spend" holds a run of more values than the page has/);
  });

  it('refuses a dictionary-index run longer than its page, and one a value past it', async () => {
    // after the bit width (2 for 3 entries): a run of 2^30 indices, then a run of 301 where the page has 300 values
    for (const run of [hugeRun, [0xda, 0x04, 0x00]]) {
      const error = await failure(() => readParquet(patched('tier', [2, ...run], 'values')));
      expect(error.code).toBe('E_PARSE');
      expect(error.message).toMatch(/^the Parquet input is a corrupt file: a page of column "tier" holds a run of more values than the page has/);
    }
    // a run of exactly the page's 300 values is read
    const t = await readParquet(patched('tier', [2, 0xd8, 0x04, 0x01], 'values'));
    expect(Array.from(t.getChild('tier')!)).toEqual(Array(n).fill('silver'));
  });

  it('refuses such a run inside a compressed page (one byte of the fixture, in an LZ4 page of "note")', async () => {
    const bytes = Buffer.from(fixture('compressed.parquet'));
    bytes[4305] = 178;
    const error = await failure(() => readParquet(bytes));
    expect(error.code).toBe('E_PARSE');
    expect(error.message).toMatch(/^the Parquet input is a corrupt file: a page of column "note" holds a run of more values than the page has/);
  });

  it('refuses a row group whose footer names one column for two chunks', async () => {
    // the footer holds each name twice (the schema's, then the chunk's path): the chunk of "ab" becomes a second "aa"
    const two = new Uint8Array(parquetWriteBuffer({ codec: 'UNCOMPRESSED', columnData: [{ name: 'aa', data: [1, 2, 3], type: 'DOUBLE' }, { name: 'ab', data: [4, 5, 6], type: 'DOUBLE' }] }));
    two.set(Buffer.from('aa'), Buffer.from(two).toString('latin1').lastIndexOf('ab'));
    const error = await failure(() => readParquet(two));
    expect(error.code).toBe('E_PARSE');
    expect(error.message).toMatch(/^the Parquet input is a corrupt file: row group 0 holds 2 chunks of column "aa"/);
  });

  it('refuses a footer whose chunk has no path, whose schema miscounts its children, or whose chunk type is not the schema\'s (a TypeError or SyntaxError escaped)', async () => {
    // one byte of the fixture's footer each: 6502 drops a chunk's path_in_schema, 6374 gives the root 10 children,
    // 6402 makes "tier" INT64 in the schema while its chunk stays BYTE_ARRAY (its text went to BigInt)
    const cases: [number, number, string][] = [
      [6502, 0, 'a chunk of row group 0 is of no column'],
      [6374, 10, 'its schema cannot be read'],
      [6402, 4, 'row group 0 stores column "tier" as BYTE_ARRAY, but its schema gives INT64'],
    ];
    for (const [at, value, message] of cases) {
      const bytes = Buffer.from(fixture('compressed.parquet'));
      bytes[at] = value;
      const error = await failure(() => readParquet(bytes));
      expect(error).toBeInstanceOf(SegkitError);
      expect(error.code).toBe('E_PARSE');
      expect(error.message.startsWith(`the Parquet input is a corrupt file: ${message} (`)).toBe(true);
    }
  });

  describe('in version 1 pages (pyarrow\'s and pandas\' default), levels and values compressed together', () => {
    // optional columns with nulls (bit-packed definition levels): doubles, dictionary-encoded text and booleans
    const source = (): ArrayBuffer => parquetWriteBuffer({
      codec: 'UNCOMPRESSED',
      columnData: [
        { name: 'spend', data: Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : i / 4)), type: 'DOUBLE' },
        { name: 'tier', data: Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : ['gold', 'silver', 'bronze'][i % 3])), type: 'STRING' },
        { name: 'flag', data: Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : i % 2 === 0)), type: 'BOOLEAN' },
      ],
    });
    /** Writes `bytes` over a page's values (after its definition levels and, for dictionary indices, the bit width). */
    const values = (bytes: number[]) => (column: string, page: Uint8Array): void => {
      if (column === 'tier') page.set(bytes, 4 + new DataView(page.buffer, page.byteOffset).getUint32(0, true) + 1);
    };

    it('reads them as the version 2 file, uncompressed and GZIP', async () => {
      const plain = await readParquet(new Uint8Array(source()));
      for (const gzip of [false, true]) {
        const file = asVersion1(source(), { gzip });
        const meta = parquetMetadata(file.buffer as ArrayBuffer);
        expect(meta.row_groups[0].columns.map((c) => c.meta_data!.codec)).toEqual(Array(3).fill(gzip ? 'GZIP' : 'UNCOMPRESSED'));
        const t = await readParquet(file);
        for (const name of ['spend', 'tier', 'flag']) expect(Array.from(t.getChild(name)!)).toEqual(Array.from(plain.getChild(name)!));
        expect(t.getChild('tier')!.nullCount).toBe(60);
      }
    });

    it('refuses a definition-level run longer than its page inside a GZIP page', async () => {
      const file = asVersion1(source(), { gzip: true, edit: (column, page) => column === 'spend' && page.set(hugeRun, 4) });
      const error = await failure(() => readParquet(file));
      expect(error.code).toBe('E_PARSE');
      expect(error.message).toMatch(/^the Parquet input is a corrupt file: a page of column "spend" holds a run of more values than the page has/);
    });

    it('holds dictionary indices to the page\'s non-null values, counted from its definition levels', async () => {
      // 240 of the 300 values are not null: a run of 241 indices is refused, one of 240 read
      const error = await failure(() => readParquet(asVersion1(source(), { gzip: true, edit: values([0xe2, 0x03, 0x01]) })));
      expect(error.message).toMatch(/^the Parquet input is a corrupt file: a page of column "tier" holds a run of more values than the page has/);
      const t = await readParquet(asVersion1(source(), { gzip: true, edit: values([0xe0, 0x03, 0x01]) }));
      const tier = Array.from(t.getChild('tier')!);
      expect(tier.filter((v) => v === null)).toHaveLength(60);
      expect(new Set(tier.filter((v) => v !== null)).size).toBe(1);
    });
  });
});

