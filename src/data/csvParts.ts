// Reading a CSV file in parts: each part after the first is read by another thread (readCsvPart, the file's header
// record then whole records), and the reader of the first part joins the others' columns in order (readCsvJoined),
// as one reader of the whole file would have built them.
import type { Table } from '#arrow';
import type { ByteSource } from './byteSource.js';
import { ColumnBuilder, type ColumnPart, EXOTIC_CAP, mayBeNumber } from './columnBuilder.js';
import { type ReadCsvOptions, finishTable, parseWhole } from './csvCore.js';
import { type RecordBlock, type RecordsRead, keepAllRecords, keepInto, keptRecords } from './recordTexts.js';

/** The buffers of parts, each once: what a worker moves rather than copies. */
export function partBuffers(parts: readonly ColumnPart[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (a: ArrayBufferView | null) => {
    if (a && a.buffer instanceof ArrayBuffer) out.add(a.buffer);
  };
  for (const p of parts) {
    add(p.valid);
    add(p.offsets);
    add(p.codes);
    add(p.forms);
    for (const c of p.chunks) add(c);
    for (const t of p.text) add(t);
  }
  return [...out];
}

/** partBuffers of a part's columns, and of its records as read. */
export function csvPartBuffers(part: CsvPart): ArrayBuffer[] {
  const out = partBuffers(part.columns);
  const r = part.records;
  if (r) for (const a of [r.records, r.starts, r.ends, r.risky]) if (a.buffer instanceof ArrayBuffer && !out.includes(a.buffer)) out.push(a.buffer);
  return out;
}

/** Numbers of a part, read while its column held numbers, that a text column's counts take as text. */
function oddNumbers(p: ColumnPart): number {
  if (p.kind === 'string') return p.oddNumbers;
  let n = 0;
  if (p.exotic) for (const text of p.exotic.values()) if (!mayBeNumber(text.charCodeAt(0))) n++;
  return n;
}

/** A column builder that hands its rows over as a part, or takes the parts after its own rows. */
class JoiningColumnBuilder extends ColumnBuilder {
  /** This column as one reader of part of a file built it, for the builder of the part before (absorb). */
  part(): ColumnPart {
    if (this.tails.length > 0) throw new Error('a column with absorbed parts is not a part');
    const n = this.length;
    return {
      kind: this.kind,
      length: n,
      nullCount: this.nullCount,
      valid: this.valid,
      chunks: this.chunks.filter((c): c is Float64Array => c !== null),
      allInt: this.allInt,
      dateOnly: this.dateOnly,
      text: this.kind === 'string' ? [...this.blocks, this.bytes.subarray(0, this.byteLength - this.blockStart)] : [],
      offsets: this.kind === 'string' ? this.offsets.subarray(0, n + 1) : new Int32Array(0),
      dictValues: this.dictValues,
      codes: this.kind === 'category' ? this.codes.subarray(0, n) : new Int32Array(0),
      forms: this.forms,
      exotic: this.exotic,
      exoticNoted: this.exoticNoted,
      numberCells: this.numberCells,
      textCells: this.textCells,
      firstTextRow: this.firstTextRow,
      firstText: this.firstText,
      startKind: this.startKind,
      oddNumbers: this.oddNumbers,
    };
  }

  /**
   * Appends the rows of `part`, the same column read by another reader from where this builder's rows end, as if
   * this builder had read them: types widen as one reader's would (numbers to text either way, a column of nulls to
   * the other's type) and the counts of numbers and text add up. False, with nothing changed, where the result
   * could differ from one reader's (another change of type, or number forms beyond what is kept): read the file
   * with one reader then. After absorbing, the builder only finishes.
   */
  absorb(part: ColumnPart): boolean {
    if (part.length === 0) return true;
    let p = part;
    if (this.kind !== 'empty' && p.kind === 'string' && (p.startKind === 'boolean' || p.startKind === 'date')) {
      // the part wrote its booleans or dates as they render ("true"), and did not count them; one reader that met
      // them in a column of another type would have kept them as written
      return false;
    }
    if (this.kind === 'string' && (p.kind === 'number' || p.startKind === 'number') && oddNumbers(p) > 0) {
      // one reader of a text column counts numbers with a leading no-break space (say) as text; the part, reading them
      // as numbers first, did not
      return false;
    }
    if (p.kind === 'empty') {
      if (this.kind === 'empty') {
        this.pushNulls(p.length);
        return true;
      }
      p = this.nullPart(p.length);
    } else if (this.kind === 'empty') {
      // one reader would have taken the type from this part's first value: the rows so far are nulls of it
      this.start(p.kind);
      this.allInt = p.allInt;
      this.dateOnly = p.dateOnly;
    } else if (this.kind !== p.kind) {
      if (this.forced) return false;
      if (this.kind === 'string' && p.kind === 'number') {
        // one reader would have written these numbers as text, each as it was written, and counted them as numbers
        if (p.exoticNoted > EXOTIC_CAP) return false;
        const rest = new JoiningColumnBuilder(this.name, undefined, this.parseDates, this.decimalComma ? ',' : '.');
        rest.takePart(p);
        rest.toStrings();
        rest.numberCells = p.length - p.nullCount;
        p = rest.part();
      } else if (this.kind === 'number' && p.kind === 'string') {
        // one reader would have turned this column to text at the part's first value that is no number, unless the
        // numbers before it held more forms than it keeps (its error then comes from reading with one reader)
        if (this.tails.length > 0 || this.exoticNoted + p.exoticNoted > EXOTIC_CAP) return false;
        const numbers = this.length - this.nullCount;
        this.toStrings();
        this.numberCells = numbers;
      } else return false;
    }
    if (p.kind === 'number') this.allInt &&= p.allInt;
    if (p.kind === 'date') this.dateOnly &&= p.dateOnly;
    if (p.kind === 'category') p = this.recoded(p);
    if (p.kind === 'string' || this.kind === 'string') {
      if (this.textCells === 0 && p.textCells > 0) {
        this.firstTextRow = this.length + p.firstTextRow;
        this.firstText = p.firstText;
      }
      this.numberCells += p.numberCells;
      this.textCells += p.textCells;
    }
    this.tails.push(p);
    this.length += p.length;
    this.nullCount += p.nullCount;
    return true;
  }

  /** A part of `n` nulls of this column's kind. */
  private nullPart(n: number): ColumnPart {
    return {
      kind: this.kind, length: n, nullCount: n, valid: new Uint8Array((n + 7) >> 3), chunks: [], allInt: true, dateOnly: true,
      text: [], offsets: new Int32Array(n + 1), dictValues: [], codes: new Int32Array(n), forms: null, exotic: null, exoticNoted: 0,
      numberCells: 0, textCells: 0, firstTextRow: -1, firstText: '', startKind: this.kind, oddNumbers: 0,
    };
  }

  /** A category part with its codes in this column's dictionary. */
  private recoded(p: ColumnPart): ColumnPart {
    const dict = this.dict!;
    const map = p.dictValues.map((v) => {
      let code = dict.get(v);
      if (code === undefined) {
        code = this.dictValues.length;
        dict.set(v, code);
        this.dictValues.push(v);
      }
      return code;
    });
    const codes = Int32Array.from(p.codes, (c, i) => (p.valid === null || p.valid[i >> 3] & (1 << (i & 7)) ? map[c] : 0));
    return { ...p, codes, dictValues: [] };
  }

  /** Takes a part's rows as this (new, empty) builder's own. */
  private takePart(p: ColumnPart): void {
    this.kind = p.kind;
    this.length = p.length;
    this.nullCount = p.nullCount;
    this.valid = p.valid;
    this.chunks = [...p.chunks];
    this.allInt = p.allInt;
    this.dateOnly = p.dateOnly;
    this.forms = p.forms;
    this.exotic = p.exotic;
    this.exoticNoted = p.exoticNoted;
  }
}

/** The rows of part of a CSV file, as another thread read them (readCsvPart), for readCsvJoined. */
export interface CsvPart {
  readonly columns: ColumnPart[];
  readonly rows: number;
  /** Line breaks in the header given with the part, and in the part itself. */
  readonly headerLines: number;
  readonly lines: number;
  /** The part's line index (rows from 0, lines counted from the header given with it). */
  readonly index: { rows: number[]; lines: number[] };
  /** The part's records as read, when asked for and kept (see RecordsRead). */
  readonly records?: RecordBlock;
}

/**
 * Reads part of a CSV file: `source` gives the file's header record (with its line break), then whole records of the
 * file from a record's start. Nothing is finished: readCsvJoined joins the parts.
 */
export async function readCsvPart(source: ByteSource, options: ReadCsvOptions, headerLines: number, records?: { delimiter?: string; limit?: number }): Promise<CsvPart> {
  const texts = records ? keepAllRecords(records.delimiter, records.limit) : undefined;
  const { filler, lines } = await parseWhole(source, options, JoiningColumnBuilder, texts);
  const kept = texts && keptRecords(texts);
  return {
    columns: filler.builders.map((b) => b.part()),
    rows: filler.rows,
    headerLines,
    lines: lines.linesRead - headerLines,
    index: lines.lines.entries(),
    ...(kept ? { records: kept } : {}),
  };
}

/**
 * Reads the first part of a CSV file from `first` (the file from its start up to a record's start), then joins the
 * later parts other threads read with readCsvPart, in order: the table readCsv gives for the whole file, or
 * undefined where joining cannot promise that (a column whose type would change in ways only one reader follows).
 * An error in any part is thrown; it may not be the one reading the whole file gives.
 */
export async function readCsvJoined(first: ByteSource, later: Promise<readonly CsvPart[]>, options: ReadCsvOptions, records?: RecordsRead): Promise<Table | undefined> {
  const texts = records ? keepAllRecords(records.delimiter, records.limit) : undefined;
  const { filler, lines } = await parseWhole(first, options, JoiningColumnBuilder, texts);
  const parts = await later;
  let rows = filler.rows;
  let line = lines.linesRead;
  for (const part of parts) {
    if (part.columns.length !== filler.builders.length) return undefined;
    for (let j = 0; j < part.columns.length; j++) if (!filler.builders[j].absorb(part.columns[j])) return undefined;
    lines.lines.append(part.index, rows, line - part.headerLines);
    rows += part.rows;
    line += part.lines;
  }
  if (records && texts) keepInto(records, texts, parts.map((part) => part.records));
  return finishTable(filler, lines);
}

