// Segmented or scored CSV written as the input was: each record's text as the reader read it, then the segment
// columns. The readers collect the records' texts while they read (RecordTexts, data/recordTexts.ts); a batch's rows
// are put together by `recordRows`.
import type { Table } from '#arrow';
import { tableFromColumns } from '../data/arrowTable.js';
import { isFormula, writeCsvBytes } from '../data/writeCsv.js';
import { withProbabilities } from './probaColumns.js';
import { withSegments } from './withSegments.js';
import { RISKY, type RecordsRead } from '../data/recordTexts.js';
import { throwIfAborted } from '../util/errors.js';

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
export function recordRows(task: RecordRowsTask, spare?: Uint8Array): Uint8Array {
  const { records, starts, ends, labels, delimiter, newline } = task;
  const n = labels.length;
  if (ends.length !== n) throw new Error(`${ends.length} records for ${n} labels`);
  const encoder = new TextEncoder();
  const sep = encoder.encode(delimiter);
  const eol = encoder.encode(newline);
  // what follows each record: the delimiter, the added columns as writeCsv writes them, the line ending
  const tails = addedColumns(task, sep, eol);
  const out = new Output((n > 0 ? ends[n - 1] - starts[0] : 0) + tails.size + 64, spare);
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
    const tailOf = (row: number): Uint8Array => tails[labels[row] < 0 && unassigned?.[row] ? 0 : labels[row] + 2];
    let size = head.length;
    for (let row = 0; row < n; row++) size += tailOf(row).length;
    return {
      size,
      append: (out, row) => {
        const bytes = row < 0 ? head : tailOf(row);
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

/**
 * A growing byte buffer, in the whole buffer of `spare` (bytes written before) where it holds `capacity` bytes:
 * memory a process touches for the first time costs a page fault per page, dear on virtual machines
 * (hugePages.node.ts).
 */
class Output {
  bytes: Uint8Array;
  size = 0;
  constructor(capacity: number, spare?: Uint8Array) {
    this.bytes = spare && spare.buffer.byteLength >= capacity ? new Uint8Array(spare.buffer) : new Uint8Array(capacity);
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

/** Rows a batch of `writeRecordsAsRead` takes at a time: memory holds one batch of output. */
const RECORD_BATCH = 1 << 16;

/** What `writeRecordsAsRead` adds to every record: the labels (and probabilities) of all rows, in the records' order. */
export type RecordTails = Pick<RecordRowsTask, 'labels' | 'unassigned' | 'proba' | 'names' | 'column' | 'delimiter' | 'numeric' | 'dashMissing'>;

/**
 * Writes a whole file's records as read (the header record first), each followed by its segment columns, batch by
 * batch through `write`. The records must be as many as the labels.
 */
export async function writeRecordsAsRead(write: (bytes: Uint8Array) => Promise<void>, read: RecordsRead, tails: RecordTails, signal?: AbortSignal): Promise<void> {
  const n = read.blocks.reduce((sum, b) => sum + b.ends.length, 0);
  if (n !== tails.labels.length) throw new Error(`${n} records for ${tails.labels.length} labels`);
  const k = tails.names.length;
  let row = 0;
  let header = read.header;
  if (!header) throw new Error('records without their header');
  // each batch's bytes are written before the next batch is formatted: the next batch's output goes in the same buffer
  let spare: Uint8Array | undefined;
  for (const block of read.blocks) {
    const count = block.ends.length;
    // one batch at least: a first block without rows still writes the header
    for (let a = 0; a === 0 || a < count; a += RECORD_BATCH) {
      throwIfAborted(signal);
      const b = Math.min(count, a + RECORD_BATCH);
      const at = row + a, to = row + b;
      const bytes = recordRows({
        records: block.records, starts: block.starts.subarray(a, b), ends: block.ends.subarray(a, b), risky: block.risky.subarray(a, b),
        labels: tails.labels.subarray(at, to), ...(tails.unassigned ? { unassigned: tails.unassigned.subarray(at, to) } : {}),
        ...(tails.proba ? { proba: tails.proba.subarray(at * k, to * k) } : {}),
        names: tails.names, column: tails.column, delimiter: tails.delimiter, newline: read.newline, numeric: tails.numeric,
        dashMissing: tails.dashMissing, ...(header ? { header } : {}),
      }, spare);
      await write(bytes);
      spare = bytes;
      header = undefined;
    }
    row += count;
  }
}
