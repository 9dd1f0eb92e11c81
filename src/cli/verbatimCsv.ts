// Scored CSV written as the input was: each record's text as the reader read it, then the segment columns. The
// calling thread collects the records' texts while it reads (RecordTexts); a batch's rows are put together by
// `recordRows`, on the formatting worker after the first batch.
import type { Table } from 'apache-arrow';
import type { RecordTextSink } from '../data/csvCore.js';
import { tableFromColumns } from '../data/arrowTable.js';
import { isFormula, writeCsvBytes } from '../data/writeCsv.js';
import { withProbabilities } from './probaColumns.js';
import { withSegments } from './withSegments.js';

// first bytes of cells escapeFormulas may prefix: = + - @ tab CR, and 0xef, which starts the full-width ones
const RISKY = new Uint8Array(256);
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

  /**
   * `isText`: whether the reader reads a column as text. `choose`, told the header's names and the delimiter: the
   * columns the caller does not need when the records are written as read (their cells are then read as nulls), or
   * undefined when they are not (the texts are then not kept).
   */
  constructor(
    private readonly isText: (name: string) => boolean,
    private readonly choose: (names: readonly string[], delimiter: string) => ReadonlySet<string> | undefined = () => undefined,
    capacity = 1 << 20,
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

  bytes(src: Uint8Array, s: number, e: number, starts: Int32Array): void {
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
      if (starts[j] < e) risky |= RISKY[src[starts[j]]];
    }
    this.end(s, e, risky);
  }

  flush(src: Uint8Array): void {
    const from = this.blockFrom;
    if (from < 0) return;
    this.blockFrom = -1;
    const to = this.ends[this.count - 1];
    const at = this.room(to - from);
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
    const at = this.room((e - s) * 3);
    let risky = 0;
    for (const j of this.textColumns) {
      // a record with too few fields comes here before the reader refuses it
      const c = (fields[j] ?? '').charCodeAt(0);
      if (c < 128 ? RISKY[c] === 1 : c >= 0xff00 || c === 0xfeff) risky = 1;
    }
    const written = this.encoder.encodeInto(src.slice(s, e), this.data.subarray(at)).written;
    this.end(at, at + written, risky);
    this.size = at + written;
  }

  /** The first `n` records' texts, in one buffer, and where each starts and ends; they are no longer kept here. */
  take(n: number): { records: Uint8Array; starts: Int32Array; ends: Int32Array; risky: Uint8Array } {
    if (n > this.count) throw new Error(`${n} records asked for, ${this.count} read`);
    if (this.blockFrom >= 0) throw new Error('records taken before their block was kept');
    const cut = n > 0 ? this.ends[n - 1] : 0;
    const records = this.data.slice(0, cut);
    const starts = this.starts.slice(0, n);
    const ends = this.ends.slice(0, n);
    const risky = this.risky.slice(0, n);
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

  /** Where `need` more bytes go. */
  private room(need: number): number {
    if (this.size + need > this.data.length) {
      const grown = new Uint8Array(Math.max(this.data.length * 2, this.size + need));
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

/** A batch of scored records, as `recordRows` takes it (moved to the formatting worker: typed arrays and strings). */
export interface RecordRowsTask {
  records: Uint8Array;
  starts: Int32Array;
  ends: Int32Array;
  /** By record: 1 where a text cell may need an apostrophe (RecordTexts.take). */
  risky: Uint8Array;
  labels: Int32Array;
  /** Rows a density model left unassigned (named so). */
  unassigned?: Uint8Array;
  /** Membership probabilities, k by row, for --proba. */
  proba?: Float64Array;
  names: string[];
  column: string;
  delimiter: string;
  newline: string;
  /** By input column: 1 where its cells are numbers (never formulas), so only text columns are looked at. */
  numeric: Uint8Array;
  /** Whether a lone "-" is read as missing: it is then written as it is (no formula). */
  dashMissing: boolean;
  /** The header record's text, for the first batch. */
  header?: Uint8Array;
}

const QUOTE = 0x22;

/**
 * The CSV bytes of a batch: each record as it was read, its text cells that spreadsheets would run as formulas
 * prefixed with an apostrophe as writeCsv prefixes them, then the delimiter and the columns writeCsv writes for the
 * segments (and probabilities), each row ended by the input's line ending.
 */
export function recordRows(task: RecordRowsTask): Uint8Array {
  const { records, starts, ends, labels, delimiter, newline } = task;
  const n = labels.length;
  if (ends.length !== n) throw new Error(`${ends.length} records for ${n} labels`);
  const encoder = new TextEncoder();
  const sep = encoder.encode(delimiter);
  const eol = encoder.encode(newline);
  // what follows each record: the delimiter, the added columns as writeCsv writes them, the line ending
  const tails = addedColumns(task, sep, eol);
  const out = new Output(records.length + tails.size + 64);
  if (task.header) {
    copyRecord(out, task.header, 0, task.header.length, sep, undefined, false);
    tails.append(out, -1);
  }
  for (let i = 0; i < n; i++) {
    const start = starts[i], end = ends[i];
    if (task.risky[i] === 1) copyRecord(out, records, start, end, sep, task.numeric, task.dashMissing);
    else out.append(records, start, end);
    tails.append(out, i);
  }
  return out.bytes.subarray(0, out.size);
}

/** The bytes after each record (delimiter, added columns, line ending): one per label, or one per row with probabilities. */
function addedColumns(task: RecordRowsTask, sep: Uint8Array, eol: Uint8Array): { size: number; append(out: Output, row: number): void } {
  const { labels, unassigned, names, column } = task;
  const n = labels.length;
  const header = task.header !== undefined;
  // the header's names: the header line of the added columns, for the first batch
  const headerLine = (): Uint8Array => {
    const one = withSegments(tableFromColumns([], []), new Int32Array(0), names, column, undefined, { dictionary: true });
    const columns = task.proba ? withProbabilities(one, new Float64Array(0), names.length, column) : one;
    return join(sep, withoutLineFeed(writeCsvBytes(columns, { header: true, delimiter: task.delimiter })), eol);
  };
  const head = header ? headerLine() : new Uint8Array(0);
  if (!task.proba) {
    // the segment columns depend on the label alone (and whether a -1 is unassigned): each formatted once, kept by
    // label + 2 (an unassigned row's at 0)
    const tails = Array.from({ length: names.length + 2 }, (_, key) => {
      const row = withSegments(tableFromColumns([], []), Int32Array.of(key < 2 ? -1 : key - 2), names, column, Uint8Array.of(key === 0 ? 1 : 0), { dictionary: true });
      return join(sep, withoutLineFeed(writeCsvBytes(row, { header: false, delimiter: task.delimiter })), eol);
    });
    return {
      // at most the longest tail a row
      size: head.length + n * Math.max(...tails.map((t) => t.length)),
      append: (out, row) => {
        const bytes = row < 0 ? head : tails[labels[row] < 0 && unassigned?.[row] ? 0 : labels[row] + 2];
        out.append(bytes, 0, bytes.length);
      },
    };
  }
  // with probabilities: the added columns of all rows written at once, then taken line by line (quotes balanced)
  let added: Table = withSegments(tableFromColumns([], []), labels, names, column, unassigned, { dictionary: true });
  added = withProbabilities(added, task.proba, names.length, column);
  const text = writeCsvBytes(added, { header: false, delimiter: task.delimiter });
  let at = 0;
  return {
    size: head.length + text.length + n * (sep.length + eol.length),
    append: (out, row) => {
      if (row < 0) return out.append(head, 0, head.length);
      let quoted = false, k = at;
      for (; k < text.length; k++) {
        const b = text[k];
        if (b === QUOTE) quoted = !quoted;
        else if (b === 0x0a && !quoted) break;
      }
      out.append(sep, 0, sep.length);
      out.append(text, at, k);
      out.append(eol, 0, eol.length);
      at = k + 1;
    },
  };
}

/** The bytes of one line writeCsv wrote, without its "\n". */
const withoutLineFeed = (line: Uint8Array): Uint8Array => line.subarray(0, line.length - 1);

function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A growing byte buffer. */
class Output {
  bytes: Uint8Array;
  size = 0;
  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
  }

  append(src: Uint8Array, s: number, e: number): void {
    const need = this.size + (e - s);
    if (need > this.bytes.length) {
      const grown = new Uint8Array(Math.max(need, this.bytes.length * 1.25 + 1024) | 0);
      grown.set(this.bytes.subarray(0, this.size));
      this.bytes = grown;
    }
    // a native copy, even of a few bytes, is faster here than a loop
    this.bytes.set(s === 0 && e === src.length ? src : src.subarray(s, e), this.size);
    this.size = need;
  }
}

const APOSTROPHE = new Uint8Array([0x27]);
let decoder: TextDecoder | undefined;

/**
 * Appends the record src[s, e), split into cells as the reader split it (quotes, doubled quotes, the delimiter
 * `sep`); a text cell (not `numeric` for its column, all cells when it is undefined) that isFormula would prefix, and
 * is not a lone "-" null token, gets its apostrophe after its opening quote, if any.
 */
function copyRecord(out: Output, src: Uint8Array, s: number, e: number, sep: Uint8Array, numeric: Uint8Array | undefined, dashMissing: boolean): void {
  const d0 = sep[0];
  let from = s;
  let column = 0;
  let cell = s;
  for (;;) {
    // the cell starting at `cell`: its content starts after an opening quote
    const quoted = src[cell] === QUOTE;
    const content = quoted ? cell + 1 : cell;
    let k = content;
    if (quoted) {
      // to the closing quote (a doubled quote is one inside the cell)
      for (; k < e; k++) {
        if (src[k] !== QUOTE) continue;
        if (src[k + 1] === QUOTE && k + 1 < e) k++;
        else break;
      }
    }
    // to the delimiter or the record's end
    for (; k < e; k++) {
      if (src[k] !== d0) continue;
      let m = 1;
      while (m < sep.length && src[k + m] === sep[m]) m++;
      if (m === sep.length) break;
    }
    if (content < k && RISKY[src[content]] === 1 && !(numeric && numeric[column] === 1)) {
      const end = quoted ? k - 1 : k;
      // decoded as writeCsv decodes a cell, a leading byte order mark dropped: "\ufeff=1+1" is a formula too (the
      // apostrophe then goes before the mark)
      const value = (decoder ??= new TextDecoder()).decode(src.subarray(content, end));
      // a lone "-" read as missing is no formula; any other cell isFormula flags gets its apostrophe
      if (!(value === '-' && dashMissing) && isFormula(value, false)) {
        out.append(src, from, content);
        out.append(APOSTROPHE, 0, 1);
        from = content;
      }
    }
    if (k >= e) break;
    cell = k + sep.length;
    column++;
  }
  out.append(src, from, e);
}
