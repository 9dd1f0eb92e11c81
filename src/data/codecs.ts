// The decompressors for Arrow IPC and Parquet data that other writers compressed: Arrow's LZ4 frames (the default of
// pyarrow's and pandas' Feather files) and Zstandard, and Parquet's GZIP, ZSTD (Polars' default), LZ4 and LZ4_RAW
// (SNAPPY, the most common, is hyparquet's own). Each is a maintained package's: lz4js for LZ4 frames, fzstd for
// Zstandard, hyparquet-compressors (hyparquet's companion) for gzip and Parquet's LZ4 blocks. Also the check of an Arrow
// file's footer that apache-arrow's file reader needs, the bound on its metadata's list lengths, and the check that text
// columns are UTF-8. The readers import this module when they first read such data,
// so bundles that read neither format leave these out.
import { CompressionType, Message, MessageHeader, RecordBatchReader, compressionRegistry } from '#arrow';
import { ByteBuffer } from 'flatbuffers';
import { decompress as zstd } from 'fzstd';
import { gunzip } from 'hyparquet-compressors/src/gzip.js';
import { decompressLz4, decompressLz4Raw } from 'hyparquet-compressors/src/lz4.js';
import { decompress as lz4Decode } from 'lz4js';
import { hash as xxh32 } from 'lz4js/xxh32.js';

export { checkUtf8Columns } from './utf8Check.js';

/** Parquet codecs beyond hyparquet's own SNAPPY, as hyparquet's `compressors` (each page's length is checked by it). */
export const PARQUET_DECOMPRESSORS = Object.freeze({
  GZIP: (input: Uint8Array, length: number): Uint8Array => gunzip(input, new Uint8Array(length)),
  ZSTD: (input: Uint8Array): Uint8Array => zstd(input),
  LZ4: decompressLz4,
  LZ4_RAW: decompressLz4Raw,
});

const LZ4_MAGIC = 0x184d2204;
/** A frame's largest block by its block-size code (4: 64 KiB ... 7: 4 MiB); lower codes are not in the format. */
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 1 << 16, 1 << 18, 1 << 20, 1 << 22];

/**
 * An LZ4 frame checked against the frame format, as lz4js can read it, and the most bytes it decodes to. lz4js trusts
 * every size in it (a corrupt block size made it run for minutes, and a corrupt content size allocate gigabytes), reads
 * no checksum, and looks for a block's checksum before its data rather than after it: so the frame must have a known
 * version and block size, no dictionary (which lz4js does not read), a header checksum that matches, blocks no larger
 * than the frame allows that end within the data and match their checksums, an end mark, and nothing after it; block
 * checksums are then left out of the frame lz4js reads, and the content checksum is returned to check the result.
 */
function lz4Frame(src: Uint8Array): { frame: Uint8Array; bound: number; contentSum: number | null } {
  const corrupt = (why: string): never => {
    throw new Error(`a corrupt LZ4 frame: ${why}`);
  };
  const u32 = (at: number): number => (src[at] | (src[at + 1] << 8) | (src[at + 2] << 16) | (src[at + 3] << 24)) >>> 0;
  if (src.length < 11 || u32(0) !== LZ4_MAGIC) corrupt('no frame header');
  const flags = src[4], block = src[5];
  if (flags >> 6 !== 1 || flags & 0x03 || block & 0x8f) corrupt('an unknown version, a dictionary or reserved bits set');
  const max = LZ4_BLOCK_MAX[(block >> 4) & 7];
  if (max === 0) corrupt('an unknown block size');
  const blockSums = (flags & 0x10) !== 0;
  let at = 7 + (flags & 0x08 ? 8 : 0);
  if (src[at - 1] !== ((xxh32(0, src, 4, at - 5) >>> 8) & 0xff)) corrupt('its header checksum does not match');
  const kept: Array<[number, number]> = [];
  let bound = 0;
  for (;;) {
    if (at + 4 > src.length) corrupt('it ends inside a block');
    const word = u32(at);
    at += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if (size > max) corrupt(`a block of ${size} bytes, above the frame's ${max}`);
    if (at + size + (blockSums ? 4 : 0) > src.length) corrupt('a block runs past its end');
    if (blockSums && xxh32(0, src, at, size) >>> 0 !== u32(at + size)) corrupt('a block checksum does not match');
    kept.push([at - 4, size + 4]);
    at += size + (blockSums ? 4 : 0);
    // a stored block is its own bytes; a compressed one holds up to the frame's block size
    bound += word & 0x80000000 ? size : max;
  }
  const contentSum = flags & 0x04 ? u32(at) : null;
  if (at + (flags & 0x04 ? 4 : 0) !== src.length) corrupt('bytes follow its end');
  if (!blockSums) return { frame: src, bound, contentSum };
  const frame = new Uint8Array(src.length - 4 * kept.length);
  frame.set(src.subarray(0, 7 + (flags & 0x08 ? 8 : 0)));
  frame[4] = flags & ~0x10;
  let to = 7 + (flags & 0x08 ? 8 : 0);
  for (const [from, length] of kept) {
    frame.set(src.subarray(from, from + length), to);
    to += length;
  }
  frame.set(src.subarray(at - 4), to);
  return { frame, bound, contentSum };
}

/** Decodes an LZ4 frame to at most `limit` bytes plus one (so a longer result shows), checking its content checksum. */
function lz4(data: Uint8Array, limit: number): Uint8Array {
  const { frame, bound, contentSum } = lz4Frame(data);
  const out = lz4Decode(frame, Math.min(bound, limit + 1));
  if (contentSum !== null && xxh32(0, out, 0, out.length) >>> 0 !== contentSum) throw new Error('a corrupt LZ4 frame: its content checksum does not match');
  return out;
}

/**
 * Gives apache-arrow's IPC readers a decoder for LZ4 frames and for Zstandard, where none is registered yet (a
 * caller's own codec is kept). Each compressed IPC buffer starts with its length once decompressed, and apache-arrow
 * hands the decoder the bytes after it: a buffer that decodes to another length is an error (a corrupt file), not
 * values read from too few or too many bytes. Arrow views each decoded buffer as its type's array, so one that a
 * decoder returns at an offset that is not a multiple of 8 (fzstd's, for frames without their size) is copied to the
 * start of its own. Also bounds the lengths of the lists in Arrow's metadata (see guardMetadataLists).
 */
export function registerArrowDecoders(): void {
  guardMetadataLists();
  for (const [type, decode] of [[CompressionType.LZ4_FRAME, lz4], [CompressionType.ZSTD, (data: Uint8Array) => zstd(data)]] as const) {
    const had = compressionRegistry.get(type);
    if (typeof had?.decode === 'function') continue;
    compressionRegistry.set(type, {
      ...had,
      decode: (data: Uint8Array) => {
        const length = data.byteOffset >= 8 ? new DataView(data.buffer, data.byteOffset - 8, 8).getBigInt64(0, true) : null;
        const out = decode(data, length !== null && length >= 0n && length < 2n ** 32n ? Number(length) : Infinity);
        if (length !== null && BigInt(out.length) !== length) throw new Error(`a buffer decompressed to ${out.length} bytes where its header says ${length}`);
        return out.byteOffset % 8 === 0 ? out : out.slice();
      },
    });
  }
}

const GUARDED = Symbol.for('segkit.flatbufferListsBounded');

/**
 * Makes the flatbuffer reads of Arrow's metadata (schemas, footers, record batch headers) refuse a list longer than
 * the bytes left after it: every entry of a list lies within its buffer, so no valid buffer has one. apache-arrow
 * builds an object per entry, and a corrupt length (a field with 201,328,640 children in a 448-byte footer) made it
 * build them until the process ran out of memory. The bound is set once on the flatbuffers library's ByteBuffer, the
 * one apache-arrow decodes with; reads of valid buffers return what they returned before.
 */
function guardMetadataLists(): void {
  const proto = ByteBuffer.prototype as ByteBuffer & { [GUARDED]?: true };
  if (proto[GUARDED]) return;
  const listLength = proto.__vector_len;
  proto.__vector_len = function (this: ByteBuffer, offset: number): number {
    const n = listLength.call(this, offset);
    const left = this.capacity() - (offset + this.readInt32(offset)) - 4;
    if (n < 0 || n > left) throw new Error(`its metadata holds a list of ${n} entries in ${Math.max(0, left)} bytes`);
    return n;
  };
  Object.defineProperty(proto, GUARDED, { value: true });
}

/**
 * The metadata length of the IPC message at `at` and where its metadata starts, after the continuation marker when
 * it has one, from `head`, the 8 bytes read there (a length of 0 where they end first).
 */
function messageHead(head: Uint8Array, at: number): { length: number; start: number } {
  const word = (q: number): number => (head.length >= q + 4 ? new DataView(head.buffer, head.byteOffset + q, 4).getInt32(0, true) : 0);
  return word(0) === -1 ? { length: word(4), start: at + 8 } : { length: word(0), start: at + 4 };
}

interface FooterBlock {
  offset: number | bigint;
}
interface Footer {
  numRecordBatches: number;
  numDictionaries: number;
  getRecordBatch(i: number): FooterBlock | null;
  getDictionaryBatch(i: number): FooterBlock | null;
}

/**
 * Refuses an opened Arrow file whose footer points, for a record batch or a dictionary, at anything but a message of
 * that kind: apache-arrow's file reader reads such a message again and again, never returning. `read` gives bytes
 * [at, at + length) of the file, fewer where it ends.
 */
export async function checkFileFooter(reader: RecordBatchReader, size: number, read: (at: number, length: number) => Promise<Uint8Array>): Promise<void> {
  const footer = (reader as unknown as { footer?: Footer | null }).footer;
  if (!footer) return;
  const check = async (block: FooterBlock | null, kind: MessageHeader, what: string): Promise<void> => {
    const at = Number(block?.offset ?? -1);
    const { length, start } = messageHead(at >= 0 ? await read(at, 8) : new Uint8Array(0), at);
    if (!(length > 0) || start + length > size) throw new Error(`the footer's ${what} points outside the file`);
    if (Message.decode(await read(start, length)).headerType !== kind) throw new Error(`the footer's ${what} points at another kind of message`);
  };
  for (let i = 0; i < footer.numDictionaries; i++) await check(footer.getDictionaryBatch(i), MessageHeader.DictionaryBatch, `dictionary ${i + 1}`);
  for (let i = 0; i < footer.numRecordBatches; i++) await check(footer.getRecordBatch(i), MessageHeader.RecordBatch, `record batch ${i + 1}`);
}

/**
 * Walks the messages of Arrow IPC data in the stream format (`size` bytes; `read` gives bytes [at, at + length), fewer
 * where the data ends): each message's metadata must lie within the data, and its body length must be a count.
 * apache-arrow's readers take a negative or overlong metadata length for the end of the stream, dropping the batches
 * after it, or, reading a file handle, wait for those bytes for ever.
 */
export async function checkStreamMessages(size: number, read: (at: number, length: number) => Promise<Uint8Array>): Promise<void> {
  for (let at = 0; at + 4 <= size;) {
    const { length, start } = messageHead(await read(at, 8), at);
    if (length === 0) return;
    if (!(length > 0 && start + length <= size)) throw new Error(`a message's metadata runs outside the data (${length} bytes at byte ${start})`);
    const body = Number(Message.decode(await read(start, length)).bodyLength);
    if (!(Number.isSafeInteger(body) && body >= 0)) throw new Error(`a message has body length ${body}`);
    at = start + length + body;
  }
}

/**
 * A reader of IPC bytes in memory, its footer checked when it has one (the file format; the stream format has none):
 * the one reader then reads the batches, so the footer and dictionaries are read once.
 */
export async function checkedReader(bytes: Uint8Array): Promise<RecordBatchReader> {
  const unopened = RecordBatchReader.from(bytes);
  if (!unopened.isFile()) await checkStreamMessages(bytes.length, async (at, n) => bytes.subarray(at, at + n));
  const reader = unopened.open();
  if (reader.isFile()) await checkFileFooter(reader, bytes.length, async (at, n) => bytes.subarray(at, at + n));
  unnamedAsEmpty(reader);
  return reader;
}

/**
 * Names the opened reader's unnamed columns "" (apache-arrow writes a column named "" without a name, and reading it
 * back makes it "null" where it copies the field), before any batch is read.
 */
export function unnamedAsEmpty(reader: RecordBatchReader): void {
  for (const f of reader.schema?.fields ?? []) if (f.name == null) (f as { name: string }).name = '';
}
