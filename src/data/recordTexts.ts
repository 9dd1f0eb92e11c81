// The texts of CSV records as the reader read them (without line endings), kept while reading, for output that
// writes each record as it was read (cli/verbatimCsv.ts).
import type { RecordTextSink } from './csvCore.js';
import { SegkitError } from '../util/errors.js';

/** The most bytes of records kept at once: their offsets are 32-bit. */
export const RECORD_BYTES_LIMIT = 2 ** 31 - 1;

// first bytes of cells escapeFormulas may prefix: = + - @ tab CR, and 0xef, which starts the full-width ones
export const RISKY = new Uint8Array(256);
for (const b of [0x3d, 0x2b, 0x2d, 0x40, 0x09, 0x0d, 0xef]) RISKY[b] = 1;

/**
 * The texts of the records read so far (without line endings), handed out batch by batch with `take`, and which of
 * them hold a text cell starting with a character of a formula (they are looked at when written; the others are
 * copied as they are).
 */
export class RecordTexts implements RecordTextSink {
  /** The header record's text, and the line ending after it (the input's). */
  header: Uint8Array | undefined;
  newline = '\n';
  private data: Uint8Array;
  private size = 0;
  // where each record starts and ends in `data`, and whether it holds a risky text cell
  private starts = new Int32Array(1 << 16);
  private ends = new Int32Array(1 << 16);
  private risky = new Uint8Array(1 << 16);
  private count = 0;
  // the records `bytes` gave since the last `flush`: where the first starts in their source, and its index
  private blockFrom = -1;
  private blockFirst = 0;
  private encoder = new TextEncoder();
  // the text columns, by index (told by `isText` from the header's names)
  private textColumns = new Int32Array(0);
  /** By column: 1 where the reader reads numbers (never formulas), 0 for text; known once the header is read. */
  numeric = new Uint8Array(0);
  /** Set once the texts are not wanted: then none is kept. */
  off = false;
  /** Whether the records are written as read, as `choose` decided from the header. */
  verbatim = false;
  /** Set when the records kept would pass `limit` bytes: none is kept from then on, and none can be taken. */
  lost = false;

  /**
   * `isText`: whether the reader reads a column as text. `choose`, told the header's names and the delimiter: the
   * columns the caller does not need when the records are written as read (their cells are then read as nulls), or
   * undefined when they are not (the texts are then not kept).
   */
  constructor(
    private readonly isText: (name: string) => boolean,
    private readonly choose: (names: readonly string[], delimiter: string) => ReadonlySet<string> | undefined = () => undefined,
    capacity = 1 << 20,
    private readonly limit = RECORD_BYTES_LIMIT,
  ) {
    this.data = new Uint8Array(capacity);
  }

  /** Told the header's names as the table has them (blank ones named) before any record: see `choose`. */
  skipped(names: readonly string[], delimiter: string): ReadonlySet<string> | undefined {
    this.numeric = Uint8Array.from(names, (name) => (this.isText(name) ? 0 : 1));
    this.textColumns = Int32Array.from(names.flatMap((_, j) => (this.numeric[j] === 0 ? [j] : [])));
    const unused = this.choose(names, delimiter);
    this.verbatim = unused !== undefined;
    this.off = !this.verbatim;
    return unused;
  }

  bytes(src: Uint8Array, s: number, e: number, starts: Int32Array, base: number): void {
    if (this.off) return;
    // kept as offsets into src until `flush` copies the block of records at once
    if (this.blockFrom < 0) {
      this.blockFrom = s;
      this.blockFirst = this.count;
    }
    let risky = 0;
    const columns = this.textColumns;
    for (let c = 0; c < columns.length; c++) {
      const j = columns[c];
      // an empty last cell starts at the record's end
      const at = starts[base + j];
      if (at < e) risky |= RISKY[src[at]];
    }
    this.end(s, e, risky);
  }

  flush(src: Uint8Array): void {
    const from = this.blockFrom;
    if (from < 0) return;
    this.blockFrom = -1;
    const to = this.ends[this.count - 1];
    const at = this.room(to - from);
    if (at < 0) return;
    this.data.set(src.subarray(from, to), at);
    const shift = at - from;
    for (let i = this.blockFirst; i < this.count; i++) {
      this.starts[i] += shift;
      this.ends[i] += shift;
    }
    this.size = at + (to - from);
  }

  text(src: string, s: number, e: number, header: boolean, fields: string[]): void {
    if (header) {
      this.header = this.encoder.encode(src.slice(s, e));
      this.newline = src.startsWith('\r\n', e) ? '\r\n' : src[e] === '\r' ? '\r' : '\n';
      return;
    }
    if (this.off) return;
    // room for the most bytes the text can take; near the limit, for the bytes it takes (so that a reader keeps
    // whatever fits, as a reader of the bytes does)
    let need = (e - s) * 3;
    let encoded: Uint8Array | undefined;
    if (this.size + need > this.limit) need = (encoded = this.encoder.encode(src.slice(s, e))).length;
    const at = this.room(need);
    if (at < 0) return;
    let risky = 0;
    for (const j of this.textColumns) {
      // a record with too few fields comes here before the reader refuses it
      const c = (fields[j] ?? '').charCodeAt(0);
      if (c < 128 ? RISKY[c] === 1 : c >= 0xff00 || c === 0xfeff) risky = 1;
    }
    if (encoded) this.data.set(encoded, at);
    const written = encoded ? encoded.length : this.encoder.encodeInto(src.slice(s, e), this.data.subarray(at)).written;
    this.end(at, at + written, risky);
    this.size = at + written;
  }

  /** The first `n` records' texts, in one buffer, and where each starts and ends (in the buffers of `into` where they hold them); they are no longer kept here. */
  take(n: number, into?: Partial<RecordBlock>): RecordBlock {
    this.checkKept();
    if (n > this.count) throw new Error(`${n} records asked for, ${this.count} read`);
    const cut = n > 0 ? this.ends[n - 1] : 0;
    const records = copyInto(this.data, cut, into?.records);
    const starts = copyInto(this.starts, n, into?.starts);
    const ends = copyInto(this.ends, n, into?.ends);
    const risky = copyInto(this.risky, n, into?.risky);
    this.data.copyWithin(0, cut, this.size);
    this.size -= cut;
    for (let i = n; i < this.count; i++) {
      this.starts[i - n] = this.starts[i] - cut;
      this.ends[i - n] = this.ends[i] - cut;
      this.risky[i - n] = this.risky[i];
    }
    this.count -= n;
    return { records, starts, ends, risky };
  }

  /** Every record kept (copied only where the buffers hold much more room than records); none is kept here after. */
  takeAll(): RecordBlock {
    this.checkKept();
    const n = this.count;
    const trim = <T extends Uint8Array | Int32Array>(a: T, used: number): T => (a.length > used * 1.25 + 4096 ? a.slice(0, used) : a.subarray(0, used)) as T;
    const block = { records: trim(this.data, this.size), starts: trim(this.starts, n), ends: trim(this.ends, n), risky: trim(this.risky, n) };
    this.data = new Uint8Array(1 << 16);
    this.starts = new Int32Array(1 << 10);
    this.ends = new Int32Array(1 << 10);
    this.risky = new Uint8Array(1 << 10);
    this.size = 0;
    this.count = 0;
    return block;
  }

  private checkKept(): void {
    if (this.lost) {
      throw new SegkitError('E_MEMORY', `the records to write as they were read passed ${this.limit.toLocaleString('en-US')} bytes at once`, 'score with a smaller --batch-size');
    }
    if (this.blockFrom >= 0) throw new Error('records taken before their block was kept');
  }

  /** Where `need` more bytes go, or -1 when they would pass the limit (the records are then lost, see `lost`). */
  private room(need: number): number {
    if (this.size + need > this.limit) {
      this.lost = true;
      this.off = true;
      this.data = new Uint8Array(0);
      this.size = 0;
      this.count = 0;
      return -1;
    }
    if (this.size + need > this.data.length) {
      const grown = new Uint8Array(Math.min(this.limit, Math.max(this.data.length * 2, this.size + need)));
      grown.set(this.data.subarray(0, this.size));
      this.data = grown;
    }
    return this.size;
  }

  private end(start: number, end: number, risky: number): void {
    if (this.count === this.ends.length) {
      const size = this.ends.length * 2;
      const grow = <T extends Int32Array | Uint8Array>(a: T, b: T): T => (b.set(a), b);
      this.starts = grow(this.starts, new Int32Array(size));
      this.ends = grow(this.ends, new Int32Array(size));
      this.risky = grow(this.risky, new Uint8Array(size));
    }
    this.risky[this.count] = risky;
    this.starts[this.count] = start;
    this.ends[this.count++] = end;
  }

}

/** Records as read, in order: `records[starts[i], ends[i])` is record i's text, `risky[i]` its flag (RecordTexts). */
export interface RecordBlock {
  readonly records: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly risky: Uint8Array;
}

/**
 * A whole CSV file's records as read: the header record's text, the input's line ending, and the data records in
 * blocks; filled by readCsvFile, which leaves `header` undefined when it kept none: the file's delimiter is not
 * `delimiter`, or the file is larger than `limit` bytes (decided from its size, so the same however many threads read
 * it), or a reader's records passed `limit`.
 */
export interface RecordsRead {
  header: Uint8Array | undefined;
  newline: string;
  blocks: RecordBlock[];
  /** Keep the records only if the file's delimiter is this one. */
  readonly delimiter?: string;
  /** The most bytes of records kept: RECORD_BYTES_LIMIT unless smaller. */
  readonly limit?: number;
}

/** Keeps every record of a file as read; every column's cells may be formulas while the types are not known. */
export const keepAllRecords = (delimiter?: string, limit = RECORD_BYTES_LIMIT): RecordTexts =>
  new RecordTexts(() => true, (_, found) => (delimiter === undefined || found === delimiter ? new Set() : undefined), 1 << 20, limit);

/** All the records `texts` kept, or undefined where it kept none (see RecordsRead). */
export function keptRecords(texts: RecordTexts): RecordBlock | undefined {
  return texts.verbatim && !texts.lost && texts.header !== undefined ? texts.takeAll() : undefined;
}

/** Fills `records` with what `texts` kept, then the blocks of `later` parts: every block, or none if one is missing. */
export function keepInto(records: RecordsRead, texts: RecordTexts, later: readonly (RecordBlock | undefined)[] = []): void {
  const kept = keptRecords(texts);
  const blocks = kept ? [kept, ...later] : [];
  const all = blocks.every((b): b is RecordBlock => b !== undefined);
  Object.assign(records, { header: all && kept ? texts.header : undefined, newline: texts.newline, blocks: all ? blocks : [] });
}

/**
 * The first `n` values of `from`, copied into the whole buffer of `into` where it holds them (a buffer a written batch
 * is done with: memory touched for the first time costs a page fault per page), else into a new array.
 */
function copyInto<T extends Uint8Array | Int32Array>(from: T, n: number, into: T | undefined): T {
  if (!into || into.buffer.byteLength < n * from.BYTES_PER_ELEMENT) return from.slice(0, n) as T;
  const out = new (from.constructor as new (buffer: ArrayBufferLike, offset: number, length: number) => T)(into.buffer, 0, n);
  out.set(from.subarray(0, n));
  return out;
}
