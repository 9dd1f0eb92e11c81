// Decoding a Parquet file's bytes into an Arrow table, loaded where a Parquet file is first read (with hyparquet,
// the package's browser entry: its default Node entry imports fs): bundles that read no Parquet (an edge function
// scoring JSON) leave it out.
import {
  Binary,
  Bool,
  type Data,
  type DataType,
  Dictionary,
  Float32,
  Float64,
  Int32,
  Int64,
  Uint64,
  type Table,
  TimestampMillisecond,
  Utf8,
  makeData,
} from '#arrow';
import type { ColumnData, CompressionCodec, Compressors, FileMetaData, PageHeader, SchemaElement } from 'hyparquet/src/index.js';
import { binaryKey, utf8Text } from './utf8Text.js';
import { nearDecimal } from './decimal.js';
import { parquetMetadata, parquetRead, parquetSchema } from 'hyparquet/src/index.js';
import { parquetHeader } from 'hyparquet/src/column.js';
import { decompressPage } from 'hyparquet/src/datapage.js';
import { snappyUncompress } from 'hyparquet/src/snappy.js';
import { readVarInt, readZigZag } from 'hyparquet/src/thrift.js';
import { SegkitError } from '../util/errors.js';
import { checkColumnNames, dataFromValues, tableFromColumns } from './arrowTable.js';
import { DICTIONARY_COLUMNS_KEY } from './writeParquet.js';

type Convert = (value: unknown) => unknown;

const toMillis: Convert = (v) => (v instanceof Date ? v.getTime() : typeof v === 'bigint' ? Number(v) : v);
/**
 * Times as hyparquet gives them (a Date), but as milliseconds from 1970 where a Date cannot hold them (more than
 * 100,000,000 days from 1970, which Arrow and Parquet keep): an invalid Date would lose the value.
 */
const at = (ms: number): Date | number => (Math.abs(ms) <= 8.64e15 ? new Date(ms) : ms);
/** Whole milliseconds of a finer count, floored as NumPy and the writers floor them (-1.5 ms is -2 ms, not -1). */
const floorMs = (count: bigint, per: bigint): number => {
  const q = count / per;
  return Number(q * per > count ? q - 1n : q);
};
const timeParsers = {
  timestampFromMilliseconds: (ms: bigint) => at(Number(ms)),
  timestampFromMicroseconds: (us: bigint) => at(floorMs(us, 1000n)),
  timestampFromNanoseconds: (ns: bigint) => at(floorMs(ns, 1_000_000n)),
  dateFromDays: (days: number) => at(days * 86_400_000),
};
const toNumber: Convert = (v) => (v == null ? v : Number(v));

/**
 * Annotated text's bytes as text, refused when they are not UTF-8 (Latin-1 written as strings by another tool): each
 * bad byte would be U+FFFD, and Müller and Möller one customer. A U+FFFD written as such is text (binaryKey tells).
 */
function textOf(bytes: Uint8Array): string {
  const text = utf8Text(bytes);
  if (text.includes('\uFFFD') && binaryKey(bytes) !== text) {
    throw new SegkitError('E_PARSE', 'a Parquet text value holds bytes that are not UTF-8', 'write the column as UTF-8 text (it may be Latin-1), or as binary');
  }
  return text;
}

// an ENUM's bytes arrive undecoded (hyparquet decodes only STRING and UTF8 annotations): they are UTF-8 text too
const toText: Convert = (v) => (v == null || typeof v === 'string' ? v : v instanceof Uint8Array ? textOf(v) : JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x)));

interface Mapping {
  type: DataType;
  convert?: Convert;
  /** The typed array hyparquet returns for required columns of this type, used without conversion. */
  typed?: new (n: number) => ArrayLike<unknown> & { set(a: ArrayLike<unknown>, at: number): void };
}

/** Unscaled integers below this are recovered exactly from the decoder's product (15 digits). */
const EXACT_UNSCALED = 1e15;

/**
 * A Parquet decimal as the float64 nearest its exact value. The decoder gives unscaled x 10^-scale, whose product is
 * rounded (3 x 0.1 is 0.30000000000000004). Below 10^15 the unscaled integer is recovered exactly from it and
 * scaled once, by parsing its digits with the exponent (correctly rounded at every scale). A larger unscaled integer
 * (wide types: 1.5 as DECIMAL(38, 18) is 1.5e18 unscaled) is read as the decimal of at most 15 significant digits
 * within 2 ulps of the product (the product's own error is below that); a value with no such decimal holds digits
 * a float64 rounds away (12345678901234567.89): refused, naming the column. (A value of more than 15 digits that
 * lies within 2 ulps of a 15-digit one reads as that one: a difference in the last bit.)
 */
function decimalNumber(el: SchemaElement): (v: unknown) => unknown {
  const scale = el.scale ?? 0;
  const power = 10 ** scale;
  return (v) => {
    const x = toNumber(v);
    if (typeof x !== 'number' || !Number.isFinite(x) || x === 0) return x;
    const unscaled = Math.round(x * power);
    if (Math.abs(unscaled) < EXACT_UNSCALED) return Number(`${unscaled}e-${scale}`);
    const d = nearDecimal(x);
    if (d !== undefined) return d;
    throw new SegkitError('E_PARSE', `Parquet column "${el.name}" holds ${x}, a decimal of more digits than a float64 holds exactly (15)`, 'export the column as text, or with at most 15 significant digits');
  };
}

/** The Arrow type for a flat Parquet column, following the converted and logical type annotations. */
function mapping(el: SchemaElement, categorical: boolean): Mapping {
  const logical = el.logical_type?.type;
  const converted = el.converted_type;
  const decimal = converted === 'DECIMAL' || logical === 'DECIMAL';
  switch (el.type) {
    case 'BOOLEAN':
      return { type: new Bool() };
    case 'INT32':
      if (converted === 'DATE' || logical === 'DATE') return { type: new TimestampMillisecond(), convert: toMillis };
      if (decimal) return { type: new Float64(), convert: decimalNumber(el) };
      if (converted === 'UINT_32') return { type: new Float64(), convert: toNumber };
      return { type: new Int32(), typed: Int32Array };
    case 'INT64':
      if (converted === 'TIMESTAMP_MILLIS' || converted === 'TIMESTAMP_MICROS' || logical === 'TIMESTAMP') {
        return { type: new TimestampMillisecond(), convert: toMillis };
      }
      if (decimal) return { type: new Float64(), convert: decimalNumber(el) };
      // unsigned 64-bit (hashed ids): 2^63 and above would wrap negative in an Int64 column
      if (converted === 'UINT_64' || (logical === 'INTEGER' && (el.logical_type as { isSigned?: boolean }).isSigned === false)) {
        return { type: new Uint64(), typed: BigUint64Array, convert: (v) => (typeof v === 'number' ? BigInt(v) : typeof v === 'bigint' ? BigInt.asUintN(64, v) : v) };
      }
      return { type: new Int64(), typed: BigInt64Array, convert: (v) => (typeof v === 'number' ? BigInt(v) : v) };
    case 'INT96':
      return { type: new TimestampMillisecond(), convert: toMillis };
    case 'FLOAT':
      return { type: new Float32(), typed: Float32Array };
    case 'DOUBLE':
      return { type: new Float64(), typed: Float64Array };
    case 'BYTE_ARRAY':
    case 'FIXED_LEN_BYTE_ARRAY':
      if (decimal) return { type: new Float64(), convert: decimalNumber(el) };
      if (logical === 'FLOAT16') return { type: new Float32(), convert: toNumber };
      if (
        converted === 'UTF8' ||
        converted === 'ENUM' ||
        converted === 'JSON' ||
        logical === 'STRING' ||
        logical === 'ENUM' ||
        logical === 'JSON' ||
        logical === 'UUID'
      ) {
        return { type: categorical ? new Dictionary(new Utf8(), new Int32()) : new Utf8(), convert: toText };
      }
      return { type: new Binary(), convert: (v) => (typeof v === 'string' ? new TextEncoder().encode(v) : v) };
    default:
      throw new SegkitError('E_PARSE', `Parquet column "${el.name}" has physical type ${String(el.type)}, which segkit cannot read`);
  }
}

function columnData(chunks: ColumnData[], total: number, map: Mapping): Data {
  chunks.sort((a, b) => a.rowStart - b.rowStart);
  const typed = map.typed;
  if (typed && chunks.every((c) => c.columnData instanceof typed)) {
    const values = new typed(total);
    for (const c of chunks) values.set(c.columnData as ArrayLike<unknown>, c.rowStart);
    return makeData({ type: map.type, length: total, nullCount: 0, data: values } as never);
  }
  const values = new Array<unknown>(total).fill(null);
  const convert = map.convert;
  for (const c of chunks) {
    const part = c.columnData as ArrayLike<unknown>;
    for (let i = 0; i < part.length; i++) {
      const v = part[i];
      values[c.rowStart + i] = v == null ? null : convert ? convert(v) : v;
    }
  }
  return dataFromValues(values, map.type);
}

const count = (n: number) => n.toLocaleString('en-US');

function corrupt(reason: string): SegkitError {
  return new SegkitError('E_PARSE', `the Parquet input is a corrupt file: ${reason}`, 'the file was truncated or altered after it was written; export it again');
}

/**
 * The row count, once the footer agrees with itself: the file's count, its row groups' and every column chunk's; and
 * each row group holds one chunk of each of the file's columns (`names`), of the physical type its schema gives
 * (`types`). hyparquet reads a chunk under the name its footer entry gives: a second chunk under one name (a corrupt
 * name) was read in place of the first, or left unread, its failure then escaping as an unhandled rejection that
 * ended the process. It decodes a chunk by the chunk's own type, and the column is built by the schema's.
 */
function checkRowCounts(metadata: FileMetaData, names: string[], types: SchemaElement['type'][]): number {
  const total = Number(metadata.num_rows);
  if (!Number.isSafeInteger(total) || total < 0) throw corrupt(`its footer gives ${String(metadata.num_rows)} rows`);
  let sum = 0;
  metadata.row_groups.forEach((group, g) => {
    const rows = Number(group.num_rows);
    sum += rows;
    const chunks = group.columns.map((c) => c.meta_data?.path_in_schema?.join('.'));
    const stray = chunks.findIndex((c) => c === undefined || !names.includes(c));
    if (stray >= 0) throw corrupt(`a chunk of row group ${g} is ${chunks[stray] === undefined ? 'of no column' : `of column "${chunks[stray]}", which its schema does not have`}`);
    for (const name of names) {
      const held = chunks.filter((c) => c === name).length;
      if (held !== 1) throw corrupt(`row group ${g} holds ${held} chunks of column "${name}"`);
    }
    for (const column of group.columns) {
      const type = types[names.indexOf(column.meta_data!.path_in_schema.join('.'))];
      if (column.meta_data!.type !== type) {
        throw corrupt(`row group ${g} stores column "${column.meta_data!.path_in_schema.join('.')}" as ${String(column.meta_data!.type)}, but its schema gives ${String(type)}`);
      }
      const values = column.meta_data?.num_values;
      // a flat column holds one value (or null) per row
      if (values !== undefined && Number(values) !== rows) {
        throw corrupt(`row group ${g} has ${count(rows)} rows but its column "${column.meta_data!.path_in_schema.join('.')}" has ${count(Number(values))} values`);
      }
    }
  });
  if (sum !== total) throw corrupt(`its footer says ${count(total)} rows but its row groups hold ${count(sum)}`);
  return total;
}

const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;

/** A page's bytes decompressed as hyparquet decompresses them, or undefined where that fails (hyparquet then refuses the page itself). */
function pageBytes(raw: Uint8Array, size: number, codec: CompressionCodec, compressors: Compressors | undefined): Uint8Array | undefined {
  try {
    return decompressPage(raw, size, codec, compressors);
  } catch {
    return undefined;
  }
}

let crcTable: Int32Array | undefined;

/** The CRC-32 of `bytes` (the polynomial of gzip and zlib), as a signed 32-bit integer like a page header's `crc`. */
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c;
}

/** The bits set in a byte. */
function ones(b: number): number {
  b -= (b >> 1) & 0x55;
  b = (b & 0x33) + ((b >> 2) & 0x33);
  return (b + (b >> 4)) & 0x0f;
}

/** What a run-length / bit-packed hybrid holds, for the error naming a value it may not hold. */
type RunsOf = 'definition levels' | 'booleans' | 'dictionary indices';

/**
 * Walks a run-length / bit-packed hybrid from `at` as hyparquet decodes it into `size` slots; with `countSet` (width
 * 1: a flat optional column's definition levels), counts the values that are 1 (the page's non-null values).
 * Undefined where the runs leave the view. hyparquet writes each run-length run whole, however long, into a plain
 * array of `size` slots: a corrupt count of 2^30 grows the array until the process dies. Such a run is refused here,
 * as is a bit-packed run of width 0 that hyparquet would count through for billions of steps (or, negative, without
 * end). Each value read must be below `limit` (2 for levels and booleans, the dictionary's size for its indices):
 * hyparquet reads a run-length value's whole bytes unmasked (a level of 2 made a null, a boolean of 2 true) and looks
 * an index past its dictionary up as a missing value.
 */
function walkRuns(view: DataView, at: number, width: number, size: number, name: string, limit: number, of: RunsOf, countSet = false): number | undefined {
  const reader = { view, offset: at };
  let seen = 0, set = 0;
  const tooLong = () => corrupt(`a page of column "${name}" holds a run of more values than the page has`);
  const outside = (v: number) => corrupt(`a page of column "${name}" holds ${v} among its ${of}, ${of === 'dictionary indices' ? `past its dictionary of ${count(limit)} values` : 'where only 0 and 1 are read'}`);
  try {
    while (seen < size) {
      const header = readVarInt(reader);
      if (header & 1) {
        // bit-packed: groups of 8 values of `width` bits, low bits first; values past `size` are read and dropped
        const n = (header >> 1) << 3;
        if (width === 0 && (n < 0 || n - 8 >= size - seen)) throw tooLong();
        if (n < 0) return undefined;
        const take = Math.min(n, size - seen);
        if (countSet) {
          const full = reader.offset + (take >> 3);
          for (let p = reader.offset; p < full; p++) set += ones(view.getUint8(p));
          if (take & 7) set += ones(view.getUint8(full) & ((1 << (take & 7)) - 1));
        }
        if (take > 0 && 2 ** width > limit) {
          // only a width with room for values past the limit needs each value read (as hyparquet does, masked)
          const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
          for (let i = 0, bit = reader.offset * 8; i < take; i++, bit += width) {
            // the bytes a value spans (at most 5), high first; a byte past the view (hyparquet's to refuse) as 0
            const p = bit >> 3, shift = bit & 7;
            let v = 0;
            for (let b = (shift + width - 1) >> 3; b >= 0; b--) v = v * 256 + (bytes[p + b] ?? 0);
            v = Math.floor(v / 2 ** shift) % 2 ** width;
            if (v >= limit) throw outside(v);
          }
        }
        seen += take;
        // hyparquet reads a first byte whatever the run's length (none past the end for width 0)
        reader.offset += n > 0 && width > 0 ? (n / 8) * width : reader.offset < view.byteLength ? 1 : 0;
      } else {
        const count = header >>> 1;
        if (count > size - seen) throw tooLong();
        let v = 0;
        for (let b = 0; b < (width + 7) >> 3; b++) v |= view.getUint8(reader.offset++) << (b << 3);
        if (count > 0 && (v < 0 || v >= limit)) throw outside(v >>> 0);
        if (v === 1) set += count;
        seen += count;
      }
    }
    return countSet ? set : size;
  } catch (error) {
    if (error instanceof SegkitError) throw error;
    return undefined;
  }
}

/** Skips a varint (of any length) at the reader, as hyparquet reads one. */
function skipVarInt(reader: { view: DataView; offset: number }): void {
  while (reader.view.getUint8(reader.offset++) & 0x80) {
    // continuation bit
  }
}

/**
 * Walks a DELTA_BINARY_PACKED block sequence of `values` values from the reader as hyparquet decodes it, and returns the
 * values for a 32-bit sequence (the lengths of the byte-array encodings) when `decode` is set. hyparquet ignores the
 * count the sequence gives, reading as many values as the page header gives, and keeps only the low bits of a width
 * beyond the type's: a sequence whose count is not the page's, whose block and miniblock sizes are not the format's
 * (multiples of 128 and 32), or whose widths exceed the type's, is corrupt. Throws a RangeError past the view.
 */
function walkDelta(reader: { view: DataView; offset: number }, values: number, bits: 32 | 64, name: string, decode: boolean): Int32Array | undefined {
  const { view } = reader;
  const block = readVarInt(reader);
  const miniblocks = readVarInt(reader);
  const total = readVarInt(reader);
  const perMiniblock = block / miniblocks;
  if (!(block > 0 && block % 128 === 0 && miniblocks > 0 && perMiniblock % 32 === 0) || total !== values) {
    throw corrupt(`a page of column "${name}" holds a delta-encoded sequence of ${count(total)} values in blocks of ${block} values in ${miniblocks} parts, where the page has ${count(values)} values`);
  }
  const out = decode ? new Int32Array(values) : undefined;
  let value = 0;
  if (bits === 32) value = readZigZag(reader);
  else skipVarInt(reader);
  if (out && values > 0) out[0] = value;
  let seen = 1;
  while (seen < values) {
    let minDelta = 0;
    if (out) {
      const start = reader.offset;
      const low = readVarInt(reader);
      const high = reader.offset - start === 5 ? (view.getUint8(start + 4) >>> 4) & 1 : 0;
      minDelta = ((low >>> 1) | (high << 31)) ^ -(low & 1);
    } else skipVarInt(reader);
    const widths = reader.offset;
    let offset = widths + miniblocks;
    for (let i = 0; i < miniblocks && seen < values; i++) {
      const width = view.getUint8(widths + i);
      if (width > bits) throw corrupt(`a page of column "${name}" holds a delta-encoded sequence of ${width}-bit values, wider than its type`);
      const end = offset + (perMiniblock * width) / 8;
      const take = Math.min(perMiniblock, values - seen);
      // the bits of the values taken must lie within the page (a last miniblock's padding may be left out)
      if (offset + Math.ceil((take * width) / 8) > view.byteLength) throw new RangeError('past the page');
      if (out) {
        for (let j = 0, bit = offset * 8; j < take; j++) {
          let residual = 0;
          for (let b = 0; b < width && b < 32; b++, bit++) if (view.getUint8(bit >> 3) & (1 << (bit & 7))) residual |= 1 << b;
          bit += Math.max(0, width - 32);
          value = (value + minDelta + residual) | 0;
          out[seen + j] = value;
        }
      }
      seen += take;
      offset = end;
    }
    reader.offset = offset;
  }
  return out;
}

/** The end of `values` byte arrays of `lengths` from `at`, where none is negative and the page holds them all. */
function byteArraysEnd(lengths: Int32Array, at: number, size: number): number | undefined {
  let end = at;
  for (const length of lengths) {
    if (length < 0) return undefined;
    end += length;
  }
  return end <= size ? end : undefined;
}

/** The end of `values` PLAIN values of the column's type from `at`, or undefined where they run past the view. */
function plainEnd(view: DataView, at: number, values: number, c: ColumnPages): number | undefined {
  switch (c.type) {
    case 'BOOLEAN':
      return at + Math.ceil(values / 8);
    case 'INT32':
    case 'FLOAT':
      return at + values * 4;
    case 'INT64':
    case 'DOUBLE':
      return at + values * 8;
    case 'INT96':
      return at + values * 12;
    case 'FIXED_LEN_BYTE_ARRAY':
      return at + values * (c.typeLength ?? 0);
    default: {
      let end = at;
      for (let i = 0; i < values; i++) {
        if (end + 4 > view.byteLength) return undefined;
        end += 4 + view.getUint32(end, true);
      }
      return end;
    }
  }
}

/** The encodings of values each physical type has (hyparquet decodes some on other types, into other values). */
const ENCODED: Record<string, (type: string) => boolean> = {
  PLAIN: () => true,
  PLAIN_DICTIONARY: (t) => t !== 'BOOLEAN',
  RLE_DICTIONARY: (t) => t !== 'BOOLEAN',
  RLE: (t) => t === 'BOOLEAN',
  DELTA_BINARY_PACKED: (t) => t === 'INT32' || t === 'INT64',
  DELTA_LENGTH_BYTE_ARRAY: (t) => t === 'BYTE_ARRAY',
  DELTA_BYTE_ARRAY: (t) => t === 'BYTE_ARRAY' || t === 'FIXED_LEN_BYTE_ARRAY',
  BYTE_STREAM_SPLIT: (t) => t !== 'BOOLEAN' && t !== 'BYTE_ARRAY' && t !== 'INT96',
};

interface ColumnPages {
  name: string;
  codec: CompressionCodec;
  type: SchemaElement['type'];
  typeLength: number | undefined;
  /** 1 for an optional column, whose pages start with definition levels; 0 for a required one. */
  maxDefinition: number;
  compressors: Compressors | undefined;
  /** The entries of the chunk's dictionary page, once read. */
  dictionary?: number;
}

/**
 * Checks a data page that hyparquet decodes without checks of its own: its encoding must be one of its type's;
 * its definition levels (0 or 1) must end within their bytes, and match the count of nulls a version 2 page gives;
 * dictionary indices (after a dictionary page) must lie within the dictionary and run-length booleans be 0 or 1, laid
 * out as hyparquet reads them; and where the page's bytes are at hand without decompressing it again (uncompressed,
 * or decompressed for its levels, runs or delta encodings) its PLAIN and delta-encoded values must lie within it, and a
 * delta-encoded text share no more bytes than the one before it holds (hyparquet filled the rest with zero bytes). hyparquet reads an
 * uncompressed page's values from the file's buffer, and so read past the page into the next one's bytes (each
 * decompressor's buffer ends where the page does, so such a read of a compressed page is an error).
 */
function checkPage(file: ArrayBuffer, at: number, h: PageHeader, c: ColumnPages): void {
  const raw = new Uint8Array(file, at, h.compressed_page_size);
  const v2 = h.data_page_header_v2;
  const head = h.data_page_header ?? v2;
  if (!head) return;
  const encoding = head.encoding;
  if (ENCODED[encoding] && !ENCODED[encoding](c.type!)) throw corrupt(`a page of column "${c.name}" is ${encoding} encoded, which its type ${String(c.type)} does not have`);
  const dictionary = encoding === 'PLAIN_DICTIONARY' || encoding === 'RLE_DICTIONARY';
  if (dictionary && c.dictionary === undefined) throw corrupt(`a page of column "${c.name}" is dictionary encoded, but no dictionary page comes before it`);
  // dictionary indices or run-length values (read the same way in a version 1 page of any type)
  const runs = dictionary || encoding === 'RLE';
  const delta = encoding.startsWith('DELTA_');
  const levelsCorrupt = () => corrupt(`a page of column "${c.name}" holds definition levels that run past their bytes`);
  let page: Uint8Array | undefined;
  let offset = 0, values: number | undefined;
  if (!v2) {
    // the levels are compressed with the values: the page is decompressed only where it holds runs, or its values are
    // checked where it is not compressed
    if (!runs && !delta && !c.maxDefinition && c.codec !== 'UNCOMPRESSED') return;
    page = pageBytes(raw, h.uncompressed_page_size, c.codec, c.compressors);
    if (!page) return;
    values = head.num_values;
    if (c.maxDefinition) {
      if (page.length < 4) return;
      const length = new DataView(page.buffer, page.byteOffset, 4).getUint32(0, true);
      offset = 4 + length;
      if (offset > page.length) throw levelsCorrupt();
      values = walkRuns(new DataView(page.buffer, page.byteOffset, offset), 4, 1, head.num_values, c.name, 2, 'definition levels', true);
      if (values === undefined) throw levelsCorrupt();
    }
  } else {
    offset = v2.repetition_levels_byte_length;
    let set = v2.num_values;
    if (c.maxDefinition) {
      const levels = new DataView(file, at + offset, v2.definition_levels_byte_length);
      const counted = walkRuns(levels, 0, 1, v2.num_values, c.name, 2, 'definition levels', true);
      if (counted === undefined) throw levelsCorrupt();
      set = counted;
      offset += v2.definition_levels_byte_length;
    }
    // hyparquet reads as many values as the header's count less its nulls, and makes the rest of the page's defined
    // values missing
    if (v2.num_nulls !== v2.num_values - set) {
      throw corrupt(`a page of column "${c.name}" gives ${count(v2.num_nulls)} nulls but its definition levels hold ${count(v2.num_values - set)}`);
    }
    const rest = raw.subarray(Math.min(offset, raw.length));
    const plain = v2.is_compressed === false || c.codec === 'UNCOMPRESSED';
    if (!runs && !delta && !(plain && encoding === 'PLAIN')) return;
    page = plain ? rest : pageBytes(rest, h.uncompressed_page_size - v2.definition_levels_byte_length - v2.repetition_levels_byte_length, c.codec, c.compressors);
    offset = 0;
    values = v2.num_values - v2.num_nulls;
  }
  if (!page || values === undefined || values < 0 || offset > page.length) return;
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  const short = () => corrupt(`a page of column "${c.name}" holds fewer than the ${count(values!)} values its header gives`);
  if (runs) {
    if (offset >= page.length) return;
    const limit = dictionary ? c.dictionary! : 2;
    const of: RunsOf = dictionary ? 'dictionary indices' : 'booleans';
    // run-length booleans (and every run-length page of version 2) are runs of width 1 after their length; dictionary
    // indices are runs of the width their first byte gives (0 in a version 1 page: no runs, every index 0)
    const width = view.getUint8(offset);
    if (v2 ? encoding === 'RLE' : c.type === 'BOOLEAN') walkRuns(view, offset + 4, 1, values, c.name, limit, of);
    // hyparquet shifts an index's bits within 32 (of 40 bits, the fifth byte's were read as the first's)
    else if (width > 32) throw corrupt(`a page of column "${c.name}" holds dictionary indices of ${width} bits`);
    else if (width || v2) walkRuns(view, offset + 1, width, values, c.name, limit, of);
    else if (values > 0 && limit === 0) throw corrupt(`a page of column "${c.name}" holds 0 among its dictionary indices, past its dictionary of 0 values`);
    return;
  }
  if (encoding === 'PLAIN') {
    const end = plainEnd(view, offset, values, c);
    if (end === undefined || end > page.length) throw short();
    return;
  }
  if (!delta) return;
  const reader = { view, offset };
  try {
    if (encoding === 'DELTA_BINARY_PACKED') walkDelta(reader, values, c.type === 'INT32' ? 32 : 64, c.name, false);
    else if (encoding === 'DELTA_LENGTH_BYTE_ARRAY') {
      const lengths = walkDelta(reader, values, 32, c.name, true)!;
      if (byteArraysEnd(lengths, reader.offset, page.length) === undefined) throw short();
    } else {
      const prefixes = walkDelta(reader, values, 32, c.name, true)!;
      const suffixes = walkDelta(reader, values, 32, c.name, true)!;
      if (byteArraysEnd(suffixes, reader.offset, page.length) === undefined) throw short();
      // each value shares at most the whole of the one before it (the first shares nothing)
      for (let i = 0, before = 0; i < values; i++) {
        if (prefixes[i] < 0 || prefixes[i] > before) throw corrupt(`a page of column "${c.name}" holds a value sharing ${prefixes[i]} bytes with the ${before} bytes of the one before it`);
        before = prefixes[i] + suffixes[i];
      }
    }
  } catch (error) {
    if (error instanceof SegkitError) throw error;
    throw short();
  }
}

/**
 * Walks every column chunk's page headers before hyparquet decodes them: each must be a known page type whose sizes
 * and counts are integers, whose data pages hold no more values than its row group's rows, whose data ends within its
 * chunk, whose encodings are known, and whose bytes match the checksum (CRC-32) its header gives, where it gives one.
 * A corrupt header leaves fields undefined, and hyparquet's decoder then reads the same byte forever (E_PARSE naming
 * the column instead). An uncompressed dictionary page must hold the values it gives, and each data page is then
 * checked (see checkPage).
 */
function checkPageHeaders(file: ArrayBuffer, metadata: FileMetaData, compressors: Compressors | undefined): void {
  const view = new DataView(file);
  const schema = new Map(metadata.schema.slice(1).map((el) => [el.name, el]));
  for (const [g, group] of metadata.row_groups.entries()) {
    // a flat column's data page holds at most the group's rows (a dictionary page may hold more: Arrow writes a
    // categorical's whole dictionary, used or not)
    const rows = Number(group.num_rows);
    for (const column of group.columns) {
      const meta = column.meta_data;
      // a chunk in another file is hyparquet's to refuse
      if (!meta || column.file_path) continue;
      const name = meta.path_in_schema.join('.');
      const el = schema.get(name);
      const pages: ColumnPages = {
        name, codec: meta.codec, type: meta.type, typeLength: el?.type_length, maxDefinition: el?.repetition_type === 'REQUIRED' ? 0 : 1, compressors,
      };
      // as hyparquet reads it: some writers give a dictionary offset of 0 for no dictionary
      const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
      const end = start + Number(meta.total_compressed_size);
      if (!(isCount(start) && end <= file.byteLength)) throw corrupt(`column "${name}" lies outside the file`);
      const reader = { view, offset: start };
      // as hyparquet does, pages are read until they hold the group's rows (whatever bytes follow in the chunk)
      let seen = 0;
      while (reader.offset < end && seen < rows) {
        let h: PageHeader;
        try {
          h = parquetHeader(reader);
        } catch {
          throw corrupt(`a page header of column "${name}" cannot be read`);
        }
        const data = h.data_page_header ?? h.data_page_header_v2 ?? h.dictionary_page_header;
        const v2 = h.data_page_header_v2;
        const ok = h.type !== undefined && isCount(h.compressed_page_size) && isCount(h.uncompressed_page_size) && reader.offset + h.compressed_page_size <= end &&
          (h.type === 'INDEX_PAGE' || (data !== undefined && isCount(data.num_values) && data.encoding !== undefined)) &&
          (!h.data_page_header || (h.data_page_header.definition_level_encoding !== undefined && h.data_page_header.repetition_level_encoding !== undefined)) &&
          (!v2 || (isCount(v2.num_rows) && isCount(v2.num_nulls) && isCount(v2.definition_levels_byte_length) && isCount(v2.repetition_levels_byte_length) &&
            v2.definition_levels_byte_length + v2.repetition_levels_byte_length <= h.compressed_page_size));
        if (!ok) throw corrupt(`a page header of column "${name}" holds sizes, counts or encodings that no page has`);
        const raw = new Uint8Array(file, reader.offset, h.compressed_page_size);
        if (h.crc !== undefined && crc32(raw) !== (h.crc | 0)) throw corrupt(`a page of column "${name}" in row group ${g} does not match the checksum (CRC-32) its header gives`);
        const values = (h.data_page_header ?? v2)?.num_values ?? 0;
        if (values > rows) throw corrupt(`row group ${g} has ${count(rows)} rows but a page of its column "${name}" has ${count(values)} values`);
        seen += values;
        if (h.dictionary_page_header) {
          pages.dictionary = h.dictionary_page_header.num_values;
          // hyparquet reads a dictionary's values PLAIN, past an uncompressed page's end into the bytes after it
          const dictionaryEnd = meta.codec === 'UNCOMPRESSED' ? plainEnd(new DataView(file, reader.offset, raw.length), 0, pages.dictionary, pages) : 0;
          if (dictionaryEnd === undefined || dictionaryEnd > raw.length) throw corrupt(`the dictionary page of column "${name}" holds fewer than the ${count(pages.dictionary)} values its header gives`);
        }
        if (h.data_page_header || v2) checkPage(file, reader.offset, h, pages);
        reader.offset += h.compressed_page_size;
      }
    }
  }
}

/**
 * hyparquet's SNAPPY decoder, after a walk of the page's elements as it reads them. hyparquet 1.31.5 reads a literal
 * whose 4-byte length has its top bit set as a negative length and moves back by it: a page that moves back to the
 * same element was decoded forever. Such a literal is refused (every element moves forward: O(page bytes)).
 */
function snappy(input: Uint8Array, size: number): Uint8Array {
  let pos = 0;
  while (pos < input.length && input[pos++] >= 128) {
    // the uncompressed length, a varint
  }
  while (pos < input.length) {
    const c = input[pos++];
    if ((c & 3) === 0) {
      const bytes = (c >>> 2) + 1 - 60;
      if (bytes === 4 && input[pos + 3] >= 128) throw new Error('snappy literal length beyond 2^31');
      let len = (c >>> 2) + 1;
      if (bytes > 0) {
        len = 1;
        for (let b = 0; b < bytes; b++) len += (input[pos + b] ?? 0) * 2 ** (8 * b);
        pos += bytes;
      }
      pos += len;
    } else pos += [0, 1, 2, 4][c & 3];
  }
  const out = new Uint8Array(size);
  snappyUncompress(input, out);
  return out;
}

/**
 * The decompressors the file's column chunks need beyond hyparquet's own SNAPPY (loaded only then), or an E_PARSE
 * error naming the first column compressed with a codec segkit cannot read (BROTLI, LZO).
 */
async function decompressorsFor(metadata: FileMetaData): Promise<Compressors | undefined> {
  const used = new Map<string, string>();
  for (const group of metadata.row_groups) {
    for (const column of group.columns) {
      const codec = column.meta_data?.codec;
      if (codec && codec !== 'UNCOMPRESSED' && codec !== 'SNAPPY' && !used.has(codec)) used.set(codec, column.meta_data!.path_in_schema.join('.'));
    }
  }
  if (used.size === 0) return undefined;
  const { PARQUET_DECOMPRESSORS } = await import('./codecs.js');
  for (const [codec, column] of used) {
    if (!Object.hasOwn(PARQUET_DECOMPRESSORS, codec)) {
      throw new SegkitError('E_PARSE', `Parquet column "${column}" is compressed with ${codec}, which segkit cannot decompress`, `write it with ${['SNAPPY', ...Object.keys(PARQUET_DECOMPRESSORS)].join(', ')} or no compression`);
    }
  }
  return PARQUET_DECOMPRESSORS;
}

/**
 * Gives decimal, date and unsigned 32-bit columns annotated by their logical type alone (the converted type is
 * deprecated) the converted type too: the decoder scales decimals and turns day counts into dates only by the
 * converted type, and the column mapping reads an unsigned 32-bit column as Int32 without it (2^32 - 1 as -1).
 */
function withConvertedTypes(schema: SchemaElement[]): void {
  for (const el of schema) {
    const logical = el.logical_type;
    if (el.converted_type !== undefined || !logical) continue;
    if (logical.type === 'DECIMAL') {
      el.converted_type = 'DECIMAL';
      el.scale ??= logical.scale;
      el.precision ??= logical.precision;
    } else if (logical.type === 'DATE') el.converted_type = 'DATE';
    else if (logical.type === 'INTEGER' && !logical.isSigned && logical.bitWidth === 32) el.converted_type = 'UINT_32';
  }
}

/** The table in a whole Parquet file's bytes (see readParquet). */
export async function decodeParquet(file: ArrayBuffer): Promise<Table> {
  let metadata;
  try {
    metadata = parquetMetadata(file);
  } catch (error) {
    throw new SegkitError('E_PARSE', `the input is not a valid Parquet file: ${(error as Error).message}`, undefined, { cause: error });
  }
  const categorical = new Set<string>();
  const stored = metadata.key_value_metadata?.find((kv) => kv.key === DICTIONARY_COLUMNS_KEY)?.value;
  if (stored) {
    try {
      for (const name of JSON.parse(stored) as string[]) categorical.add(name);
    } catch {
      // metadata from another writer under the same key: ignore it
    }
  }
  withConvertedTypes(metadata.schema);
  let top;
  try {
    top = parquetSchema(metadata).children;
  } catch {
    // a count of children past the schema's elements
    throw corrupt('its schema cannot be read');
  }
  const names = top.map((c) => c.element.name);
  checkColumnNames(names, 'the Parquet input');
  const maps = top.map((c) => {
    if (c.children.length > 0 || c.element.repetition_type === 'REPEATED') {
      throw new SegkitError('E_PARSE', `Parquet column "${c.element.name}" is nested (a struct or a list), which segkit cannot read`, 'flatten it before export');
    }
    return mapping(c.element, categorical.has(c.element.name));
  });
  const total = checkRowCounts(metadata, names, top.map((c) => c.element.type));
  // SNAPPY guarded (see snappy) in place of hyparquet's own
  const compressors: Compressors = { ...(await decompressorsFor(metadata)), SNAPPY: snappy };
  checkPageHeaders(file, metadata, compressors);
  const chunks = new Map<string, ColumnData[]>(names.map((n) => [n, []]));
  try {
    // text keeps a U+FEFF that begins it (hyparquet's own decoding drops it)
    // bytes without a text annotation stay bytes (decoded as UTF-8, bytes that are not became U+FFFD)
    await parquetRead({ file, metadata, compressors, utf8: false, parsers: { ...timeParsers, stringFromBytes: (bytes) => bytes && textOf(bytes) }, onChunk: (chunk) => chunks.get(chunk.columnName)?.push(chunk) });
  } catch (error) {
    if (error instanceof SegkitError) throw error;
    throw new SegkitError('E_PARSE', `the Parquet data could not be decoded: ${(error as Error).message}`, undefined, { cause: error });
  }
  // the pages must hold the rows the footer promised, checked before the columns are allocated at that size
  for (const name of names) {
    let rows = 0;
    for (const c of chunks.get(name)!) rows += c.columnData.length;
    if (rows !== total) throw corrupt(`its footer says ${count(total)} rows but column "${name}" holds ${count(rows)}`);
  }
  const columns = names.map((name, j) => columnData(chunks.get(name)!, total, maps[j]));
  return tableFromColumns(names, columns);
}
