import { Float32, type Table } from '#arrow';
import type Papa from 'papaparse';
import { SegkitError, badOption, describe, restate, throwIfAborted } from '../util/errors.js';
import { checkOptions, orDefault } from '../util/options.js';
import { tableFromColumns } from './arrowTable.js';
import { type ByteSource, encodingOption, isAscii, rawChunks, textOrTaken } from './byteSource.js';
import { MISSING_TOKENS } from './missingTokens.js';
import { csvKernel } from '../kernels/csvKernel.js';
import { COLUMN_TYPES, ColumnBuilder, type ColumnType, Utf8Slice, integerText, numberForm, plainNumber, typeOf, wellFormed } from './columnBuilder.js';
import { setCsvInfo, type TextStats } from './csvInfo.js';

export interface ReadCsvOptions {
  /** Field separator (default ","; "\t" for TSV); "auto" picks the commonest of , ; tab | in the header line. */
  readonly delimiter?: string;
  /** Decimal mark of numbers: "." (default) or "," for decimal-comma exports ("1,5" is 1.5; "1.5" is then text). */
  readonly decimal?: '.' | ',';
  /** Text encoding of byte input (default "utf-8"; any TextDecoder label, e.g. "latin1", "windows-1252", "utf-16le"). Invalid bytes are an E_PARSE error naming the line. */
  readonly encoding?: string;
  /** At most this many columns (default 16,384, Excel's limit); a wider header is an E_PARSE error, so a broken file cannot exhaust memory. */
  readonly maxColumns?: number;
  /**
   * Quote character (default '"'). Inside a quoted field the escape is '"', as csv-parse's and csv-stringify's: `""`
   * for the default quote; for a quote of "'", `"'` is "'" and `""` is '"' (`''` is read as "'" too).
   */
  readonly quote?: string;
  /** Column types that override inference; a value that does not fit is an E_PARSE error naming its line and column. */
  readonly types?: Readonly<Record<string, ColumnType>>;
  /** The type of every column `types` does not name (default: inferred); "string" keeps their cells as written. */
  readonly defaultType?: ColumnType;
  /** Infer ISO 8601 dates and timestamps as Timestamp columns (default true); false keeps them as text. */
  readonly parseDates?: boolean;
  /** Store numeric columns holding a fraction as Float32 instead of Float64 (default false: full fidelity; Datasets convert to Float32 anyway); whole-number columns stay exact. */
  readonly float32?: boolean;
  /** Cell texts read as null, in every column (default: the empty cell and MISSING_TOKENS: NA, N/A, n/a, null, NULL, NaN, -, ?). */
  readonly nullValues?: readonly string[];
  /** Columns whose cells are text as written: of nullValues only the empty cell is null there (default: none). */
  readonly asWritten?: readonly string[];
  readonly signal?: AbortSignal;
}

export interface CsvRecordsOptions extends ReadCsvOptions {
  /** Rows per yielded table (default 65536). */
  readonly batchSize?: number;
}

export { MISSING_TOKENS };

export const READ_CSV_DEFAULTS = Object.freeze({
  delimiter: ',',
  decimal: '.' as const,
  encoding: 'utf-8',
  quote: '"',
  parseDates: true,
  float32: false,
  nullValues: Object.freeze(['', ...MISSING_TOKENS]) as readonly string[],
  batchSize: 65536,
  maxColumns: 16384,
});

// Delimiters "auto" chooses among, in the order that breaks ties.
const DELIMITERS = [',', '\t', ';', '|'];

// One record may hold at most this many characters: an unclosed quote otherwise swallows the file into memory.
export const MAX_RECORD_CHARS = 1 << 26;

interface CsvSettings {
  /** "auto" until the header line is read. */
  delimiter: string;
  decimal: '.' | ',';
  encoding: string;
  maxColumns: number;
  quote: string;
  types: Readonly<Record<string, ColumnType>>;
  defaultType: ColumnType | undefined;
  parseDates: boolean;
  float32: boolean;
  nullValues: ReadonlySet<string>;
  asWritten: readonly string[];
  batchSize: number;
  signal: AbortSignal | undefined;
}

const CSV_OPTIONS = ['delimiter', 'decimal', 'encoding', 'maxColumns', 'quote', 'types', 'defaultType', 'parseDates', 'float32', 'nullValues', 'asWritten', 'signal'];

/**
 * Refuses an option the CSV readers do not know (csvRecords also takes batchSize): a misspelt one ("delimeter")
 * would be ignored and its default used in silence, a semicolon file read as one column.
 */
export function checkCsvOptions(options: unknown, fn: string): void {
  if (options !== null && typeof options === 'object') checkOptions(options, fn === 'csvRecords' ? [...CSV_OPTIONS, 'batchSize'] : CSV_OPTIONS, fn);
}

export function csvSettings(options: CsvRecordsOptions): CsvSettings {
  if (options === null || typeof options !== 'object') throw badOption('options', options, 'an object');
  const d = READ_CSV_DEFAULTS;
  const quote = orDefault(options.quote, d.quote);
  if (typeof quote !== 'string' || quote.length > 1) throw badOption('quote', quote, 'one character, or "" for none');
  const delimiter = orDefault(options.delimiter, d.delimiter);
  // papaparse cannot split on '"' or a byte order mark, and a delimiter holding the quote character is ambiguous
  if (
    typeof delimiter !== 'string' ||
    delimiter.length === 0 ||
    /[\r\n\ufeff]/.test(delimiter) ||
    delimiter === '"' ||
    (quote !== '' && delimiter.includes(quote))
  ) {
    throw badOption('delimiter', delimiter, '"auto" or a non-empty string without line breaks, \'"\' or the quote character');
  }
  const decimal = orDefault(options.decimal, d.decimal);
  if (decimal !== '.' && decimal !== ',') throw badOption('decimal', decimal, '"." or ","');
  if (delimiter.includes(decimal)) throw badOption('decimal', decimal, `a mark other than the delimiter ${JSON.stringify(delimiter)}`);
  const encoding = encodingOption(options.encoding);
  const maxColumns = orDefault(options.maxColumns, d.maxColumns);
  if (!Number.isInteger(maxColumns) || maxColumns < 1) throw badOption('maxColumns', maxColumns, 'a positive integer');
  const types = orDefault<Readonly<Record<string, ColumnType>>, Readonly<Record<string, ColumnType>>>(options.types, {});
  if (types === null || typeof types !== 'object' || Array.isArray(types)) throw badOption('types', types, 'an object of column name to type');
  for (const [name, type] of Object.entries(types)) {
    if (!COLUMN_TYPES.includes(type)) throw badOption(`types.${name}`, type, `one of ${COLUMN_TYPES.join(', ')}`);
  }
  const defaultType = options.defaultType;
  if (defaultType !== undefined && !COLUMN_TYPES.includes(defaultType)) throw badOption('defaultType', defaultType, `one of ${COLUMN_TYPES.join(', ')}`);
  const parseDates = orDefault(options.parseDates, d.parseDates);
  if (typeof parseDates !== 'boolean') throw badOption('parseDates', parseDates, 'a boolean');
  const float32 = orDefault(options.float32, d.float32);
  if (typeof float32 !== 'boolean') throw badOption('float32', float32, 'a boolean');
  const nullValues = orDefault(options.nullValues, d.nullValues);
  if (!Array.isArray(nullValues) || nullValues.some((v) => typeof v !== 'string')) {
    throw badOption('nullValues', nullValues, 'an array of strings');
  }
  const asWritten = orDefault<readonly string[], readonly string[]>(options.asWritten, []);
  if (!Array.isArray(asWritten)) throw badOption('asWritten', asWritten, 'an array of column names');
  const batchSize = orDefault(options.batchSize, d.batchSize);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw badOption('batchSize', batchSize, 'a positive integer');
  const signal = options.signal;
  return { delimiter, decimal, encoding, maxColumns, quote, types, defaultType, parseDates, float32, nullValues: new Set(nullValues), asWritten, batchSize, signal };
}

function columnLabel(header: readonly string[] | undefined, j: number): string {
  return header && header[j] !== undefined ? `column ${j + 1} ("${header[j]}")` : `column ${j + 1}`;
}

function checkHeader(record: string[], settings: CsvSettings): string[] {
  if (record.length > settings.maxColumns) {
    throw new SegkitError(
      'E_PARSE',
      `line 1 has ${record.length.toLocaleString('en-US')} columns; segkit reads at most ${settings.maxColumns.toLocaleString('en-US')} (the maxColumns option)`,
      `check the delimiter (${JSON.stringify(settings.delimiter)}), or raise maxColumns if the file really is this wide`,
    );
  }
  const seen = new Map<string, number>();
  const names = record.map((raw, j) => {
    const name = raw.trim() === '' ? `column${j + 1}` : raw;
    const before = seen.get(name);
    if (before !== undefined) {
      throw new SegkitError('E_PARSE', `line 1: column name "${name}" appears twice (columns ${before + 1} and ${j + 1})`);
    }
    seen.set(name, j);
    return name;
  });
  for (const name of Object.keys(settings.types)) {
    if (!seen.has(name)) {
      throw new SegkitError('E_MISSING_COLUMN', `option "types" names column "${name}", which the CSV header does not have`, `it has: ${names.join(', ')}`);
    }
  }
  return names;
}

/** The line of the record being handed over, worked out only when an error needs it. */
interface RecordPosition {
  line(): number;
}

/**
 * Takes the text of each record as read, without its line ending, before the sink gets the record: the header's
 * (`text` with header true), then each data record's, as UTF-8 bytes (with where each field starts) or as a string
 * (with its fields).
 */
export interface RecordTextSink {
  /** Record src[s, e), its field j starting at starts[base + j]. */
  bytes(src: Uint8Array, s: number, e: number, starts: Int32Array, base: number): void;
  /** Called after the records `bytes` gave from `src`, before src is written over: what is kept of them is copied now. */
  flush?(src: Uint8Array): void;
  text(src: string, s: number, e: number, header: boolean, fields: string[]): void;
  /** Told the header's names and the delimiter: the columns whose cells the caller does not need (read as nulls). */
  skipped?(names: readonly string[], delimiter: string): ReadonlySet<string> | undefined;
}

interface CsvSink {
  header(names: string[]): void;
  record(fields: string[], at: RecordPosition): void;
  /**
   * A record given as spans of UTF-8 bytes: field j is slice.bytes[starts[q], ends[q]), q = base + j. Where
   * notes[q] >= 0, the cell was read as the plain decimal values[q] (plainNumber; integerText in bit 8 of notes[q],
   * numberForm in bits 0-7), as its column's lane asked.
   */
  spans(slice: Utf8Slice, starts: Int32Array, ends: Int32Array, at: RecordPosition, values: Float64Array, notes: Int32Array, base: number): void;
  /** By column: whether the reader reads plain decimals itself (ColumnBuilder.numberLane). */
  lanes(): Uint8Array;
}

/**
 * The first line break outside quotes: "\r\n", "\n" or "\r", as csv-parse detects it; undefined while the text
 * has none yet (or ends on a "\r" that may start "\r\n") and more is to come.
 */
function detectLineBreak(text: string, delimiter: string, quote: string, final: boolean): string | undefined {
  const q = quote === '' ? -1 : quote.charCodeAt(0);
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quoted) {
      if (c === QUOTE && q !== QUOTE && (text.charCodeAt(i + 1) === q || text.charCodeAt(i + 1) === QUOTE)) i++;
      else if (c === q) {
        if (text.charCodeAt(i + 1) === q) i++;
        else quoted = false;
      }
    } else if (c === q && (i === 0 || text.startsWith(delimiter, i - delimiter.length))) {
      quoted = true;
    } else if (c === 10) {
      return '\n';
    } else if (c === 13) {
      if (i + 1 < text.length) return text.charCodeAt(i + 1) === 10 ? '\r\n' : '\r';
      return final ? '\r' : undefined;
    }
  }
  return final ? '\n' : undefined;
}

const QUOTE = 0x22;

/**
 * `text` (from the start of a record) with csv-parse's escape of a quote character other than '"' inside quoted
 * fields, `"q`, written as papaparse's, `qq`: same length, so offsets into either are the same. `""` (a '"') is left
 * as it is, for `unescapeQuotes` to take once the fields are split.
 */
function doubledQuotes(text: string, quote: string, delimiter: string): string {
  if (quote === '' || quote === '"' || !text.includes('"') || !text.includes(quote)) return text;
  const q = quote.charCodeAt(0), d = delimiter.charCodeAt(0), n = text.length;
  let out = '', from = 0, i = 0, start = true;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (start && c === q) {
      // a quoted field: to its closing quote
      for (i++; i < n; i++) {
        const e = text.charCodeAt(i);
        if (e === QUOTE) {
          const next = text.charCodeAt(i + 1);
          if (next === q) {
            out += text.slice(from, i) + quote;
            from = i + 1;
            i++;
          } else if (next === QUOTE) i++;
        } else if (e === q) {
          if (text.charCodeAt(i + 1) === q) i++;
          else break;
        }
      }
      i++;
      start = false;
    } else if (c === 10 || c === 13 || (c === d && text.startsWith(delimiter, i))) {
      i += c === d ? delimiter.length : 1;
      start = true;
    } else {
      i++;
      start = false;
    }
  }
  return from === 0 ? text : out + text.slice(from);
}

/** A quoted field's value with csv-parse's `""` (a '"' escaped, inside a field quoted with another character) as '"'. */
const unescapeQuotes = (value: string): string => value.replaceAll('""', '"');

/** Whether `text` holds a line feed that does not follow a CR. */
function hasBareLineFeed(text: string): boolean {
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) if (i === 0 || text.charCodeAt(i - 1) !== 13) return true;
  return false;
}

/** Where the first CR LF outside quotes starts in `text` (records whole, so it starts outside quotes), or -1. */
function crlfOutsideQuotes(text: string, quote: string): number {
  let at = text.indexOf('\r\n');
  if (at === -1 || quote === '') return at;
  // another quote character escapes with '"' (papaparse's escapeChar here), which counting quotes cannot follow:
  // such files are left to the parser as before
  if (quote !== '"') return -1;
  let inside = false, from = 0;
  for (; at !== -1; at = text.indexOf('\r\n', at + 1)) {
    // each quote before the CR LF toggles (a doubled quote inside a field toggles twice)
    for (let q = text.indexOf(quote, from); q !== -1 && q < at; q = text.indexOf(quote, q + 1)) inside = !inside;
    from = at;
    if (!inside) return at;
  }
  return -1;
}

function mixedLineEnds(line: number): SegkitError {
  return new SegkitError('E_PARSE', `line ${line} ends with CR LF, but the header line ends with LF alone: the file mixes line endings`, 'convert its line endings to one kind (dos2unix, or an editor\'s line-ending setting) and read it again');
}

/**
 * Refuses text holding a lone surrogate (a string given to the reader; decoded bytes never hold one): UTF-8 has no
 * character for it, so it was stored as U+FFFD, and two ids differing there read as one. `lines`: the lines before.
 */
function checkSurrogates(text: string, lines: number, lineChar: string): void {
  if (wellFormed(text)) return;
  const at = /\p{Cs}/u.exec(text)!.index;
  throw new SegkitError('E_PARSE', `line ${lines + 1 + countOf(text, lineChar, at)}: U+${text.charCodeAt(at).toString(16).toUpperCase()} is a lone surrogate, which UTF-8 text has no character for`, 'a string given to the reader must be whole UTF-16 text');
}

function countOf(text: string, char: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf(char); i !== -1 && i < end; i = text.indexOf(char, i + 1)) n++;
  return n;
}

interface ParseResult {
  data: string[][];
  errors: { code: string; row?: number; index?: number }[];
  meta: { cursor: number };
}

/**
 * Where parsed rows lie in their text (papaparse reports only where parsing stopped), and the first quote that
 * csv-parse's strict rules reject but papaparse accepts: a quote inside an unquoted field, or text after a closing quote.
 */
interface Trace {
  /** Offset just past the last field of the last traced row. */
  end: number;
  /** Row of the first rejected quote, or -1. */
  bad: number;
  badField: number;
  badAt: number;
  badStray: boolean;
  /** Rows that hold one quoted empty field: a record of one null, not an empty line to skip. */
  keep: number[];
  /** Row and field of each field quoted with a character other than '"' that holds `""`, in pairs. */
  escaped: number[];
}

/**
 * Reads CSV text slice by slice with papaparse's core parser, which splits whole lines natively and scans quoted
 * fields with indexOf. Only complete rows are parsed: each slice is cut after its last line break and the rest waits
 * for the next slice, so memory holds one slice plus one unfinished row. Line numbers are counted per slice and
 * traced within a slice only when an error names one.
 */
/** File lines of data rows (header = line 1), kept as the few places where a row does not follow on the next line. */
class LineIndex {
  private readonly rows: number[] = [];
  private readonly lines: number[] = [];

  add(row: number, line: number): void {
    const b = this.rows.length - 1;
    if (b >= 0 && this.lines[b] + (row - this.rows[b]) === line) return;
    this.rows.push(row);
    this.lines.push(line);
  }

  /** The entries: rows where a row does not follow on the line after the row before, and their lines. */
  entries(): { rows: number[]; lines: number[] } {
    return { rows: this.rows, lines: this.lines };
  }

  /** Adds the entries of another part's index, its rows and lines moved by the given offsets. */
  append(other: { rows: readonly number[]; lines: readonly number[] }, rowOffset: number, lineOffset: number): void {
    for (let k = 0; k < other.rows.length; k++) this.add(other.rows[k] + rowOffset, other.lines[k] + lineOffset);
  }

  /** The line of data row `row` (0 is the first row after the header); a record over several lines gives its last. */
  line(row: number): number {
    let lo = 0, hi = this.rows.length - 1;
    if (hi < 0 || row < this.rows[0]) return row + 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.rows[mid] <= row) lo = mid;
      else hi = mid - 1;
    }
    return this.lines[lo] + (row - this.rows[lo]);
  }
}

export class CsvLines implements RecordPosition {
  private parser!: Papa.Parser;
  private pending = '';
  private started = false;
  private newline: string | undefined;
  private lineChar = '\n';
  private parseAt = 0;
  private linesBefore = 0;
  private header: string[] | undefined;
  // the slice being handed over, for line numbers on demand
  private text = '';
  private rows: string[][] = [];
  private row = 0;
  private readonly trace: Trace = { end: 0, bad: -1, badField: 0, badAt: 0, badStray: false, keep: [], escaped: [] };
  /** Data rows handed to the sink so far, and the line of each. */
  private records = 0;
  readonly lines = new LineIndex();
  /** Whether the delimiter was detected ("auto") rather than given. */
  readonly detected: boolean;
  // the end of each row of the slice, when a quote may have spread a row over several lines
  private ends = new Int32Array(0);
  // the slice splitLines splits, as UTF-8, and the delimiter's bytes
  private readonly slice = new Utf8Slice();
  private delimiterBytes: Uint8Array | undefined;
  private pendingEncoder: TextEncoder | undefined;
  private tailDecoder: TextDecoder | undefined;
  // field spans of the record being handed over by splitLines, and its line (-1 outside splitLines)
  private spanStarts = new Int32Array(0);
  private spanEnds = new Int32Array(0);
  // the cells splitLines read as numbers: their values, and their notes (-1 for cells it left to the sink)
  private readValues = new Float64Array(0);
  private readNotes = new Int32Array(0);
  private fastLine = -1;
  /** Where each record's text goes, when a caller wants it. */
  texts: RecordTextSink | undefined;

  constructor(
    private readonly settings: CsvSettings,
    private readonly sink: CsvSink,
    private readonly papa: PapaModule,
  ) {
    this.detected = settings.delimiter === 'auto';
    if (!this.detected) this.parser = this.makeParser('\n');
  }

  get delimiter(): string {
    return this.settings.delimiter;
  }

  /** Line breaks in the text handed over so far. */
  get linesRead(): number {
    return this.linesBefore;
  }

  /** A quote inside a quoted field as written: `""`, or `"'` for a quote of "'". */
  private get escapedQuote(): string {
    return `"${this.settings.quote}`;
  }

  /** `text` as papaparse is given it: see doubledQuotes. */
  private doubled(text: string): string {
    return doubledQuotes(text, this.settings.quote, this.settings.delimiter);
  }

  private makeParser(newline: string): Papa.Parser {
    const quoting = this.settings.quote !== '';
    return new this.papa.Parser({
      delimiter: this.settings.delimiter,
      newline: newline as Papa.ParseConfig['newline'],
      // csv-parse's escape is '"' whatever the quote: another quote's, `"q`, reaches papaparse as `qq`
      // (doubledQuotes); fastMode splits on delimiters only, with no quoting at all
      ...(quoting ? { quoteChar: this.settings.quote, escapeChar: this.settings.quote } : { fastMode: true }),
    });
  }

  push(text: string): void {
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.pending = this.pending === '' ? text : this.pending + text;
    if (this.pending.length < this.parseAt) return;
    if (!this.ready(false)) return this.wait();
    // cut after the last line break, so papaparse never judges a quote whose next characters are still to come
    const cut = this.pending.lastIndexOf(this.lineChar) + 1;
    if (cut === 0) return this.wait();
    const raw = cut === this.pending.length ? this.pending : this.pending.slice(0, cut);
    checkSurrogates(raw, this.linesBefore, this.lineChar);
    if (this.header && this.newline === '\n' && (this.settings.quote === '' || !raw.includes(this.settings.quote))) {
      this.splitLines(raw);
      this.pending = this.pending.slice(raw.length);
      this.parseAt = 0;
      return;
    }
    const slice = this.doubled(raw);
    if (this.newline === '\n') {
      const at = crlfOutsideQuotes(slice, this.settings.quote);
      if (at !== -1) {
        // the lines before it first, so an error in them is the one raised, as it would be without this line
        const line = this.linesBefore + 1 + countOf(slice, '\n', at);
        const start = slice.lastIndexOf('\n', at) + 1;
        if (start > 0) this.handOver(slice.slice(0, start), this.parser.parse(slice.slice(0, start), 0, true) as ParseResult, true);
        throw mixedLineEnds(line);
      }
    }
    const consumed = this.handOver(slice, this.parser.parse(slice, 0, true) as ParseResult, true);
    this.pending = this.pending.slice(consumed);
    if (consumed === 0) this.wait();
    else this.parseAt = 0;
  }

  /**
   * Waits for more text: an unfinished row is parsed again only once the text has doubled, so a huge field costs
   * linear time, and a row longer than MAX_RECORD_CHARS (an unclosed quote, usually) is an error, so memory stays bounded.
   */
  private wait(): void {
    if (this.pending.length > MAX_RECORD_CHARS) throw this.tooLong();
    this.parseAt = Math.min(this.pending.length * 2, MAX_RECORD_CHARS + 1);
  }

  private tooLong(): SegkitError {
    const limit = `${MAX_RECORD_CHARS / (1 << 20)} MiB`;
    if (this.ready(true)) {
      const text = this.doubled(this.pending);
      const result = this.parser.parse(text, 0, false) as ParseResult;
      const open = result.errors.find((e) => e.code === 'MissingQuotes');
      if (open) {
        this.text = text;
        this.rows = result.data;
        const e = this.papaError(open);
        return restate(e, (m) => `${m}, and the field runs on past ${limit}`);
      }
    }
    return new SegkitError('E_PARSE', `line ${1 + this.linesBefore}: a record runs on past ${limit} without a line break`, 'this is not a CSV file, or its quotes or line endings are broken');
  }

  /** Whether the delimiter and the line break are known, or can be told from the text so far. */
  private ready(final: boolean): boolean {
    if (this.settings.delimiter === 'auto' && !this.detectDelimiter(final)) return false;
    return this.newline !== undefined || this.setNewline(final);
  }

  /** The commonest of , tab ; | outside quotes in the header line (a comma when none is there). */
  private detectDelimiter(final: boolean): boolean {
    const text = this.pending;
    const q = this.settings.quote === '' ? -1 : this.settings.quote.charCodeAt(0);
    const candidates = DELIMITERS.filter((d) => d !== this.settings.decimal);
    const counts = candidates.map(() => 0);
    // a delimiter left out because it is the decimal mark, seen in the header
    let excluded = 0;
    let quoted = false;
    let complete = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (quoted) {
        if (c === QUOTE && q !== QUOTE && (text.charCodeAt(i + 1) === q || text.charCodeAt(i + 1) === QUOTE)) i++;
        else if (c === q) {
          if (text.charCodeAt(i + 1) === q) i++;
          else quoted = false;
        }
      } else if (c === q) quoted = true;
      else if (c === 10 || c === 13) {
        complete = true;
        break;
      } else {
        const k = candidates.indexOf(text[i]);
        if (k >= 0) counts[k]++;
        else if (text[i] === this.settings.decimal && DELIMITERS.includes(text[i])) excluded++;
      }
    }
    if (!complete && !final) return false;
    if (excluded > 0 && counts.every((n) => n === 0)) {
      const mark = this.settings.decimal;
      throw new SegkitError('E_PARSE', `cannot tell the delimiter: the header line holds "${mark}" (the decimal mark) and none of ${candidates.map((d) => (d === '\t' ? 'tab' : `"${d}"`)).join(', ')}`,
        `a file separated by "${mark}" cannot also use "${mark}" as its decimal mark: read it with another decimal mark, or give --delimiter if it is separated by something else`);
    }
    let best = 0;
    counts.forEach((n, k) => {
      if (n > counts[best]) best = k;
    });
    this.settings.delimiter = candidates[best];
    this.parser = this.makeParser('\n');
    return true;
  }

  end(): void {
    this.ready(true);
    if (this.pending !== '') {
      checkSurrogates(this.pending, this.linesBefore, this.lineChar);
      const last = this.doubled(this.pending);
      this.pending = '';
      this.handOver(last, this.parser.parse(last, 0, false) as ParseResult, false);
    }
    if (!this.header) throw new SegkitError('E_EMPTY_DATA', 'the CSV input is empty', 'a CSV file needs a header row');
  }

  private setNewline(final: boolean): boolean {
    const newline = detectLineBreak(this.pending, this.settings.delimiter, this.settings.quote, final);
    if (newline === undefined) return false;
    this.newline = newline;
    this.lineChar = newline === '\r' ? '\r' : '\n';
    if (newline !== '\n') this.parser = this.makeParser(newline);
    return true;
  }

  /**
   * Hands over the rows of a slice that holds no quote and ends after a "\n": every line is a record (an empty line
   * is skipped, as csv-parse does) and every delimiter separates two fields, as papaparse reads such text, without
   * a string per field: the slice is split as UTF-8 bytes (one native copy), and the sink gets each field's span,
   * with the plain decimals of the columns that take them (RecordFiller.lanes) already read on the way.
   */
  private splitLines(text: string): void {
    this.slice.set(text);
    this.splitSlice();
  }

  /**
   * Takes a chunk of UTF-8 bytes (whole characters) as `push` would take their text, where they can be split as
   * bytes without decoding them: ASCII only, after the header, in a file whose lines end in "\n", with no quote in
   * them or in the unfinished record before them. Returns the line breaks taken, or -1 when it took nothing (the
   * caller then decodes the bytes and pushes the text).
   */
  pushBytes(bytes: Uint8Array): number {
    if (!this.header || this.newline !== '\n' || !isAscii(bytes)) return -1;
    // a chunk inside a long record first: looking through the record so far for a quote, chunk after chunk, took
    // time quadratic in its length
    const cut = bytes.lastIndexOf(10) + 1;
    if (cut === 0) return -1;
    const quote = this.settings.quote;
    if (quote !== '' && (bytes.indexOf(quote.charCodeAt(0)) !== -1 || this.pending.includes(quote))) return -1;
    // the line breaks of the records the chunks before left waiting (a long record makes push wait for more) were
    // counted when they were decoded
    const counted = countOf(this.pending, '\n', this.pending.length);
    const lines = this.linesBefore;
    let from = 0;
    if (this.pending !== '') {
      // the record the chunks before left unfinished, as UTF-8, with its end from this chunk: split on its own
      const before = (this.pendingEncoder ??= new TextEncoder()).encode(this.pending);
      from = bytes.indexOf(10) + 1;
      const joined = new Uint8Array(before.length + from);
      joined.set(before);
      joined.set(bytes.subarray(0, from), before.length);
      this.slice.setBytes(joined, before.length === this.pending.length);
      this.splitSlice();
    }
    // the chunk's other records where they are
    if (from < cut) {
      this.slice.setBytes(bytes.subarray(from, cut), true);
      this.splitSlice();
    }
    this.pending = cut === bytes.length ? '' : (this.tailDecoder ??= new TextDecoder()).decode(bytes.subarray(cut));
    this.parseAt = 0;
    // the slice holds on to no chunk of the caller's (the table keeps this reader for its line numbers)
    this.slice.clear();
    return this.linesBefore - lines - counted;
  }

  /** Splits the records of `this.slice` (see splitLines). */
  private splitSlice(): void {
    try {
      this.splitRecords();
    } catch (error) {
      // the records before the one refused are kept as read: a batch handed out before them still takes its own
      this.texts?.flush?.(this.slice.bytes);
      throw error;
    }
  }

  private splitRecords(): void {
    const header = this.header!;
    const width = header.length;
    const slice = this.slice;
    const size = slice.size;
    const bytes = slice.bytes;
    // the delimiter as UTF-8 bytes: a character's bytes never start inside another character, so matching them is
    // matching the delimiter
    const delimiter = this.delimiterBytes ??= new TextEncoder().encode(this.settings.delimiter);
    const step = delimiter.length;
    const d0 = delimiter[0];
    if (this.spanStarts.length < width) {
      this.spanStarts = new Int32Array(width);
      this.spanEnds = new Int32Array(width);
      this.readValues = new Float64Array(width);
      this.readNotes = new Int32Array(width);
    }
    const starts = this.spanStarts, ends = this.spanEnds, values = this.readValues, notes = this.readNotes;
    const sink = this.sink;
    let line = this.linesBefore;
    let pos = 0;
    // the records the wasm kernel splits (a one-byte delimiter); what it leaves, the loop below
    const kernel = step === 1 && size > 0 ? csvKernel() : undefined;
    if (kernel?.load(bytes, size, width)) {
      while (pos < size) {
        const lanes = sink.lanes();
        const { records, stop, trailing } = kernel.split(size, pos, lanes, d0);
        const t = kernel.tables;
        let relane = false;
        for (let r = 0; r < records; r++) {
          // an empty line before the record is one byte, its "\n"
          const skips = t.recSkips[r];
          line += skips + 1;
          pos += skips;
          const base = r * width;
          const end = t.recEnds[r];
          this.fastLine = line;
          this.lines.add(this.records++, line);
          this.texts?.bytes(bytes, pos, end, t.starts, base);
          sink.spans(slice, t.starts, t.ends, this, t.values, t.notes, base);
          pos = end + 1;
          // a cell that changed its column's kind (or a new batch) changes the lanes of the records after it
          if (r + 1 < records && kernel.lanesDiffer(sink.lanes())) {
            relane = true;
            break;
          }
        }
        if (relane) continue;
        line += trailing;
        pos = stop;
        // a record the kernel left (a CR before its LF, or another number of fields): the loop below judges it
        if (records < kernel.maxRecords) break;
      }
    }
    for (; pos < size; ) {
      line++;
      if (bytes[pos] === 10) {
        pos++;
        continue;
      }
      // the columns whose plain decimals are read here, while splitting (the sink may change between records)
      const lanes = sink.lanes();
      let fields = 0, i = pos;
      for (;;) {
        const from = i;
        // a plain decimal where its column takes one: its digits read on the way to the field's end
        let k = -1, intStart = 0, intDigits = 0, fracDigits = 0, digits = 0;
        if (fields < width && lanes[fields] !== 0) {
          k = i;
          let c = bytes[k];
          if (c === 45 || c === 43) c = bytes[++k];
          intStart = k;
          while (c >= 48 && c <= 57) {
            digits = digits * 10 + (c - 48);
            c = bytes[++k];
          }
          intDigits = k - intStart;
          if (c === 46) {
            const fracStart = ++k;
            c = bytes[k];
            while (c >= 48 && c <= 57) {
              digits = digits * 10 + (c - 48);
              c = bytes[++k];
            }
            fracDigits = k - fracStart;
          }
          i = k;
        }
        // the slice ends with a "\n", which ends every scan
        for (let c = bytes[i]; c !== 10; c = bytes[++i]) {
          if (c !== d0) continue;
          if (step > 1) {
            let m = 1;
            while (m < step && bytes[i + m] === delimiter[m]) m++;
            if (m < step) continue;
          }
          break;
        }
        if (fields < width) {
          starts[fields] = from;
          ends[fields] = i;
          const n = intDigits + fracDigits;
          // readSimpleNumber's plain decimal: nothing after it, 1 to 15 digits, no leading zero where refused
          if (k === i && n > 0 && n <= 15 && !(lanes[fields] === 2 && intDigits > 1 && bytes[intStart] === 48)) {
            values[fields] = plainNumber(digits, bytes[from], bytes[intStart], bytes[i - 1], intDigits, fracDigits, intStart !== from);
            notes[fields] = (integerText ? 256 : 0) | numberForm;
          } else notes[fields] = -1;
        }
        fields++;
        if (bytes[i] === 10) break;
        i += step;
      }
      this.fastLine = line;
      // a CR before the LF, in a file whose header line ends in LF alone, would stay in the last field
      if (i > pos && bytes[i - 1] === 13) throw mixedLineEnds(line);
      if (fields !== width) throw this.fieldCountError(fields, header);
      this.lines.add(this.records++, line);
      this.texts?.bytes(bytes, pos, i, starts, 0);
      sink.spans(slice, starts, ends, this, values, notes, 0);
      pos = i + 1;
    }
    this.texts?.flush?.(bytes);
    this.fastLine = -1;
    this.linesBefore = line;
  }

  /** Hands the rows of one parsed slice to the sink; returns how much of the slice they used. */
  private handOver(text: string, result: ParseResult, partial: boolean): number {
    const rows = result.data;
    this.text = text;
    this.rows = rows;
    // papaparse keeps going after a malformed quote; the first one stops here, after the rows before it
    let stop = rows.length;
    let error: ParseResult['errors'][number] | undefined;
    for (const e of result.errors) {
      const r = e.row ?? rows.length;
      if (r < stop || (error === undefined && r === stop)) {
        stop = r;
        error = e;
      }
    }
    const trace = this.trace;
    trace.keep.length = 0;
    trace.escaped.length = 0;
    trace.bad = -1;
    const strict = this.settings.quote !== '' && text.includes(this.settings.quote);
    // in a file whose lines end in CR LF, a bare LF inside a record starts a line of the file too
    const spread = !strict && this.newline === '\r\n' && hasBareLineFeed(text);
    // without quotes (or bare LFs) every row is one line; with them, the walk that checks the quotes also marks
    // where rows end
    const texts = this.texts;
    if (strict || spread || texts) {
      if (this.ends.length < rows.length) this.ends = new Int32Array(rows.length);
      this.walk(Math.min(stop, rows.length), strict, this.ends);
    }
    if (trace.bad !== -1) stop = trace.bad;
    const keep = trace.keep;
    let k = 0;
    const sink = this.sink;
    const lineChar = this.lineChar;
    let breaks = 0, counted = 0;
    const escaped = trace.escaped;
    let e = 0;
    for (let r = 0; r < stop; r++) {
      let fields = rows[r];
      if (e < escaped.length && escaped[e] === r) {
        // a copy: the walk that finds where a row lies reads the fields as papaparse gave them
        fields = fields.slice();
        for (; e < escaped.length && escaped[e] === r; e += 2) fields[escaped[e + 1]] = unescapeQuotes(fields[escaped[e + 1]]);
      }
      if (fields.length === 1 && fields[0] === '') {
        // an empty line, unless it held "" (csv-parse skips empty lines, not empty records)
        while (k < keep.length && keep[k] < r) k++;
        if (k === keep.length || keep[k] !== r) continue;
      }
      this.row = r;
      const header = this.header;
      texts?.text(text, r === 0 ? 0 : this.ends[r - 1] + this.newline!.length, this.ends[r], !header, fields);
      if (!header) {
        this.header = checkHeader(fields, this.settings);
        sink.header(this.header);
      } else {
        if (fields.length !== header.length) throw this.fieldCountError(fields.length, header);
        let line = 1 + this.linesBefore + r;
        if (strict || spread) {
          for (let i = text.indexOf(lineChar, counted); i !== -1 && i < this.ends[r]; i = text.indexOf(lineChar, i + 1)) breaks++;
          counted = Math.max(counted, this.ends[r]);
          line = 1 + this.linesBefore + breaks;
        }
        this.lines.add(this.records++, line);
        sink.record(fields, this);
      }
    }
    if (trace.bad !== -1) throw this.traceError();
    if (error !== undefined) throw this.papaError(error);
    const consumed = partial ? result.meta.cursor : text.length;
    this.linesBefore += countOf(text, this.lineChar, consumed);
    return consumed;
  }

  /** Traces rows [0, count) over the current slice; `strict` also looks for quotes csv-parse rejects; `ends` gets where each row ends. */
  private walk(count: number, strict: boolean, ends?: Int32Array): void {
    const { text, rows, trace } = this;
    const { delimiter, quote } = this.settings;
    const newline = this.newline ?? '\n';
    const q = quote === '' ? -1 : quote.charCodeAt(0);
    let pos = 0;
    trace.end = 0;
    for (let r = 0; r < count; r++) {
      const fields = rows[r];
      const last = fields.length - 1;
      for (let j = 0; j <= last; j++) {
        const value = fields[j];
        let next: number;
        if (text.charCodeAt(pos) === q) {
          // a quoted field spans its value, the two quotes, and one escape character per quote inside
          let inner = 0;
          for (let i = value.indexOf(quote); i !== -1; i = value.indexOf(quote, i + 1)) inner++;
          next = pos + value.length + inner + 2;
          if (last === 0 && value === '') trace.keep.push(r);
          if (ends && q !== QUOTE && value.includes('""')) trace.escaped.push(r, j);
          if (strict && !(j < last ? text.startsWith(delimiter, next) : next >= text.length || text.startsWith(newline, next))) {
            this.reject(r, j, next - 1, false);
            return;
          }
        } else {
          if (strict) {
            const i = value.indexOf(quote);
            if (i !== -1) {
              this.reject(r, j, pos + i, true);
              return;
            }
          }
          next = pos + value.length;
        }
        pos = j < last ? next + delimiter.length : next;
      }
      trace.end = pos;
      if (ends) ends[r] = pos;
      pos += newline.length;
    }
  }

  private reject(row: number, field: number, at: number, stray: boolean): void {
    const t = this.trace;
    t.bad = row;
    t.badField = field;
    t.badAt = at;
    t.badStray = stray;
  }

  /** Offset of the start of a row in the current slice. */
  private rowStart(row: number): number {
    if (row === 0) return 0;
    this.walk(row, false);
    return this.trace.end + (this.newline ?? '\n').length;
  }

  private lineAt(offset: number): number {
    return 1 + this.linesBefore + countOf(this.text, this.lineChar, offset);
  }

  /** The line the current record ends on, as csv-parse numbers records. */
  line(): number {
    if (this.fastLine >= 0) return this.fastLine;
    this.walk(this.row + 1, false);
    return this.lineAt(this.trace.end);
  }

  private fieldCountError(got: number, header: readonly string[]): SegkitError {
    const want = header.length;
    return new SegkitError(
      'E_PARSE',
      `line ${this.line()} has ${got} fields but the header has ${want}: ${got > want ? `column ${want + 1} is unexpected` : `${columnLabel(header, got)} is missing`}`,
      'quote fields that contain the delimiter, or check the delimiter option',
    );
  }

  private traceError(): SegkitError {
    const t = this.trace;
    const where = `line ${this.lineAt(t.badAt)}, ${columnLabel(this.header, t.badField)}`;
    if (t.badStray) {
      return new SegkitError('E_PARSE', `${where}: a quote inside an unquoted field`, `quote the whole field and escape the quotes inside it (${this.escapedQuote})`);
    }
    return new SegkitError('E_PARSE', `${where}: a closing quote is followed by ${describe(this.text[t.badAt + 1])} instead of a delimiter or a line break`, `escape the quotes inside a quoted field (${this.escapedQuote})`);
  }

  /** papaparse's quote errors, restated with the line and column a person needs. */
  private papaError(error: ParseResult['errors'][number]): SegkitError {
    const text = this.text;
    const open = (error.index ?? 1) - 1; // papaparse points just past the opening quote
    const start = this.rowStart(Math.min(error.row ?? this.rows.length, this.rows.length));
    // the fields before the quote tell its column; parsing them again is cheap and happens once
    const before = this.makeParser(this.newline ?? '\n').parse(text.slice(start, Math.max(start, open)), 0, false) as ParseResult;
    const column = Math.max(1, before.data[0]?.length ?? 1) - 1;
    if (error.code === 'MissingQuotes') {
      return new SegkitError(
        'E_PARSE',
        `line ${this.lineAt(open)}, ${columnLabel(this.header, column)}: a quoted field is never closed`,
        `a field that starts with a quote must end with one; escape quotes inside it (${this.escapedQuote})`,
      );
    }
    // the first quote that neither closes the field nor is doubled (another quote's escape, `"q`, is `qq` here)
    const quote = this.settings.quote;
    let at = text.indexOf(quote, open + 1);
    while (at !== -1 && text[at + 1] === quote) at = text.indexOf(quote, at + 2);
    const after = at === -1 ? '' : ` is followed by ${describe(text[at + 1] ?? '')}`;
    return new SegkitError(
      'E_PARSE',
      `line ${this.lineAt(at === -1 ? open : at)}, ${columnLabel(this.header, column)}: a closing quote${after} instead of a delimiter or a line break`,
      `escape the quotes inside a quoted field (${this.escapedQuote})`,
    );
  }
}

/**
 * The encoding to read input beginning with `b` in: the one a byte order mark names, whatever was asked (as the
 * Encoding Standard's decode has it), since UTF-16 read as UTF-8 or Latin-1 is one column whose name has a NUL between
 * its letters, and a UTF-8 mark read as Latin-1 is "ï»¿" before the first column's name. Input that begins with a zero
 * byte, as UTF-16 without a mark does, is refused unless it is read as UTF-16; UTF-32 (its mark begins as UTF-16LE's)
 * is refused, naming it, where it was read as UTF-16 into columns with a NUL between letters.
 */
function encodingOf(b: Uint8Array, asked: string, what: string): string {
  // UTF-32, which TextDecoder cannot read: with its mark (FF FE 00 00, 00 00 FE FF) or ASCII text without it
  const utf32 = b.length < 4 ? '' : !b[2] && !b[3] && (!b[1] || b[0] + b[1] === 0x1fd) ? 'UTF-32LE' : !b[0] && !b[1] && (!b[2] || b[2] === 0xfe) ? 'UTF-32BE' : '';
  if (utf32) throw new SegkitError('E_PARSE', `${what} is ${utf32} text, which segkit does not read`, 'convert it to UTF-8 (iconv -f UTF-32 -t UTF-8)');
  if (b[0] + b[1] === 0x1fd) return b[0] === 0xff ? 'utf-16le' : 'utf-16be';
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'utf-8';
  if (b.length > 1 && !asked.startsWith('utf-16') && (b[0] === 0 || b[1] === 0)) {
    throw new SegkitError('E_PARSE', `${what} begins with a zero byte, as UTF-16 text without a byte order mark does`, 'read it with encoding "utf-16le" (or "utf-16be"); on the command line, --encoding utf-16le');
  }
  return asked;
}

/** A stream's first chunks, then the rest of it. */
async function* again<T>(first: readonly T[], rest: AsyncIterator<T>): AsyncGenerator<T> {
  try {
    yield* first;
    for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
  } finally {
    await rest.return?.();
  }
}

/** Byte input and the encoding to read it in (see encodingOf), judged by its first four bytes; the JSON readers' too. */
export async function withEncoding(source: ByteSource, asked: string, what: string): Promise<[ByteSource, string]> {
  if (typeof source === 'string') return [source, asked];
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return [source, encodingOf(source instanceof Uint8Array ? source : new Uint8Array(source), asked, what)];
  const chunks = rawChunks(source, what)[Symbol.asyncIterator]();
  const first: (Uint8Array | string)[] = [];
  const head: number[] = [];
  while (head.length < 4) {
    const next = await chunks.next();
    if (next.done) break;
    first.push(next.value);
    // text chunks are text: no mark to judge
    if (!(next.value instanceof Uint8Array)) return [again(first, chunks), asked];
    head.push(...next.value.subarray(0, 4 - head.length));
  }
  return [again(first, chunks), encodingOf(Uint8Array.from(head), asked, what)];
}

/**
 * Streams a CSV source through papaparse into a sink; yields after each input slice so a caller can hand out
 * finished batches. Never holds more than one slice of text and one unfinished row.
 */
async function* parseCsv(source: ByteSource, lines: CsvLines, settings: CsvSettings): AsyncGenerator<void> {
  // chunks of plain ASCII records are split as bytes, without their text (CsvLines.pushBytes)
  const take = (bytes: Uint8Array) => {
    throwIfAborted(settings.signal);
    return lines.pushBytes(bytes);
  };
  const [input, encoding] = await withEncoding(source, settings.encoding, 'the CSV input');
  for await (const text of textOrTaken(input, 'the CSV input', encoding, take)) {
    throwIfAborted(settings.signal);
    if (text !== undefined) lines.push(text);
    yield;
  }
  throwIfAborted(settings.signal);
  lines.end();
}

function cellError(line: number, name: string, text: string, reason: string, hint?: string): SegkitError {
  return new SegkitError('E_PARSE', `line ${line}, column "${name}": ${describe(text)} ${reason}`, hint);
}

/** A column builder's constructor: ColumnBuilder, or a subclass that can also join parts (csvParts.ts). */
export type BuilderClass<B extends ColumnBuilder = ColumnBuilder> = new (...args: ConstructorParameters<typeof ColumnBuilder>) => B;

/** Fills builders from records; `frozen` types (inferred from an earlier batch) get a hint that names the fix. */

export class RecordFiller<B extends ColumnBuilder = ColumnBuilder> {
  builders: B[] = [];
  private readonly onlyEmpty: boolean;
  // a cell longer than every null token (in UTF-16 units or in UTF-8 bytes), or starting with no token's first
  // character, needs no lookup
  private readonly longest: number;
  private readonly longestBytes: number;
  private readonly firsts: Uint8Array;
  /**
   * By column: ColumnBuilder.numberLane; all 0 when a null token is itself a plain decimal ("-1", "999") or the
   * delimiter may be part of one (a sign, a point, a digit).
   */
  lanes = new Uint8Array(0);
  private readonly laneable: boolean;
  // by column: 1 where its cells are not wanted (`skipped`): read as nulls of a text column
  private readonly skip: Uint8Array;
  // by column: 1 where a cell is null only when empty (asWritten)
  private readonly lit: Uint8Array;
  /**
   * By column: 1 where the type was frozen as text because the first batch held no value there, until a value shows
   * the column is text: a first value inference reads as a number, boolean or date is refused, since reading the
   * file whole would type the column by it (see confirmText).
   */
  pending: Uint8Array | undefined;
  constructor(
    private readonly names: readonly string[],
    private readonly settings: CsvSettings,
    readonly frozen?: Readonly<Record<string, ColumnType>>,
    private readonly make: BuilderClass<B> = ColumnBuilder as BuilderClass<B>,
    skipped?: ReadonlySet<string>,
  ) {
    this.skip = Uint8Array.from(names, (name) => (skipped?.has(name) ? 1 : 0));
    this.lit = Uint8Array.from(names, (name) => (settings.asWritten.includes(name) ? 1 : 0));
    const nulls = settings.nullValues;
    this.onlyEmpty = nulls.size === 1 && nulls.has('');
    this.longest = Math.max(0, ...[...nulls].map((t) => t.length));
    const encoder = new TextEncoder();
    this.longestBytes = Math.max(0, ...[...nulls].map((t) => encoder.encode(t).length));
    this.firsts = new Uint8Array(128);
    // cells starting outside ASCII always take the lookup
    for (const t of nulls) if (t.charCodeAt(0) < 128) this.firsts[t.charCodeAt(0)] = 1;
    this.laneable = ![...nulls].some((t) => /^[+-]?(?:\d+\.?\d*|\.\d+)$/.test(t)) && !/^[-+.\d]/.test(settings.delimiter);
    this.reset();
  }

  private isNull(text: string, j: number): boolean {
    if (text === '') return this.settings.nullValues.has('');
    if (text.length > this.longest || this.lit[j]) return false;
    const c = text.charCodeAt(0);
    return (c >= 128 || this.firsts[c] === 1) && this.settings.nullValues.has(text);
  }

  reset(): void {
    const { types: given, defaultType, parseDates, decimal } = this.settings;
    // a type frozen from an earlier batch takes numbers as inference does: "007" or 2^53 + 1 there would be an error,
    // not a different value
    this.builders = this.names.map((name, j) => {
      const type = this.skip[j] ? 'string' : (typeOf(given, name) ?? defaultType);
      const make = this.make;
      return type ? new make(name, type, parseDates, decimal) : new make(name, typeOf(this.frozen, name), parseDates, decimal, this.frozen !== undefined);
    });
    this.lanes = Uint8Array.from(this.builders, (b) => (this.laneable ? b.numberLane() : 0));
  }

  get rows(): number {
    return this.builders.length > 0 ? this.builders[0].length : 0;
  }

  add(fields: string[], at: RecordPosition): void {
    const onlyEmpty = this.onlyEmpty;
    const builders = this.builders;
    for (let j = 0; j < builders.length; j++) {
      const text = fields[j];
      if (this.skip[j] || (onlyEmpty ? text === '' : this.isNull(text, j))) {
        builders[j].pushNull();
        continue;
      }
      if (this.pending?.[j]) this.confirmText(j, text, at);
      const reason = builders[j].pushText(text);
      if (reason !== undefined) this.cellError(j, text, reason, at);
      // the cell may have changed the column's kind
      if (this.laneable) this.lanes[j] = builders[j].numberLane();
    }
  }

  /** `add` for a record given as spans of UTF-8 bytes (field j is slice.bytes[starts[j], ends[j])): a string only where one is needed. */
  addSpans(slice: Utf8Slice, starts: Int32Array, ends: Int32Array, at: RecordPosition, values: Float64Array, notes: Int32Array, base: number): void {
    const builders = this.builders;
    for (let j = 0; j < builders.length; j++) {
      const q = base + j;
      const note = notes[q];
      if (note >= 0) {
        builders[j].appendRead(values[q], note);
        continue;
      }
      if (this.skip[j]) {
        builders[j].pushNull();
        continue;
      }
      this.addSpan(j, slice, starts[q], ends[q], at);
      // the cell may have changed the column's kind
      if (this.laneable) this.lanes[j] = builders[j].numberLane();
    }
  }

  private addSpan(j: number, slice: Utf8Slice, s: number, e: number, at: RecordPosition): void {
    const builder = this.builders[j];
    const nulls = this.settings.nullValues;
    let reason: string | undefined;
    if (s === e) {
      if (this.onlyEmpty || nulls.has('')) return builder.pushNull();
      reason = builder.pushText('');
    } else {
      const c = slice.bytes[s];
      if (this.pending?.[j]) {
        const cell = slice.cell(s, e);
        if (!this.onlyEmpty && !this.lit[j] && nulls.has(cell)) return builder.pushNull();
        this.confirmText(j, cell, at);
        reason = builder.pushText(cell);
      } else if (!this.onlyEmpty && !this.lit[j] && e - s <= this.longestBytes && (c >= 128 || this.firsts[c] === 1)) {
        // it may be a null token: looked up as a string
        const cell = slice.cell(s, e);
        if (nulls.has(cell)) return builder.pushNull();
        reason = builder.pushText(cell);
      } else reason = builder.pushSpan(slice, s, e);
    }
    if (reason !== undefined) this.cellError(j, slice.cell(s, e), reason, at);
  }

  /**
   * The first value of a column frozen as text for want of values in the first batch: text as inference reads it
   * makes the column text for good (as it would reading the file whole); a number, boolean or date is an error, since
   * the file read whole would type the column by it, and text here would differ with the batch size.
   */
  private confirmText(j: number, text: string, at: RecordPosition): void {
    const { parseDates, decimal, batchSize } = this.settings;
    const probe = new ColumnBuilder(this.names[j], undefined, parseDates, decimal);
    const type = probe.pushText(text) === undefined ? probe.inferredType() : 'string';
    if (type === 'string') {
      this.pending![j] = 0;
      return;
    }
    const name = this.names[j];
    const kind = type === 'integer' ? 'number' : type;
    throw cellError(
      at.line(),
      name,
      text,
      `is a ${kind}, but the column holds no value in the first ${batchSize === 1 ? "row" : `${batchSize} rows`}, from which its type was inferred as text`,
      `pass types: { "${name}": "${kind}" } (or "string" to read it as text), or read with a larger batchSize`,
    );
  }

  private cellError(j: number, text: string, reason: string, at: RecordPosition): never {
    const name = this.names[j];
    const given = (typeOf(this.settings.types, name) ?? this.settings.defaultType) !== undefined;
    const hint = given
      ? undefined
      : `the type was inferred as ${typeOf(this.frozen, name)} from the first ${this.settings.batchSize} rows; pass types: { "${name}": "string" } (or the right type)`;
    throw cellError(at.line(), name, text, reason, hint);
  }

  /** Text columns whose values are mostly numbers or mostly text, but not all one or the other. */
  textStats(): Map<string, TextStats> {
    const out = new Map<string, TextStats>();
    this.builders.forEach((b, j) => {
      const stats = b.textStats();
      if (stats) out.set(this.names[j], stats);
    });
    return out;
  }

  /** By column, whether the first batch stored it as Float32: later batches follow it, so all share one schema. */
  narrow?: boolean[];

  finish(integers: boolean): Table {
    const columns = this.builders.map((b, j) => b.finish({ float32: this.narrow ? this.narrow[j] && 'all' : this.settings.float32, integers }));
    return tableFromColumns(this.names, columns);
  }
}

export { csvInfo, type CsvInfo, type TextStats } from './csvInfo.js';

type PapaModule = typeof Papa;
let papaModule: PapaModule | undefined;

/** papaparse, imported where CSV is first read, so bundles that never read CSV leave it out. */
async function loadPapa(): Promise<PapaModule> {
  papaModule ??= ((await import('papaparse')) as unknown as { default: PapaModule }).default;
  return papaModule;
}

/** Parses a whole CSV source into column builders of class `make`; what the reader found out is in `lines`. */
export async function parseWhole<B extends ColumnBuilder>(source: ByteSource, options: ReadCsvOptions, make?: BuilderClass<B>, texts?: RecordTextSink): Promise<{ filler: RecordFiller<B>; lines: CsvLines }> {
  const settings = csvSettings(options);
  let filler: RecordFiller<B> | undefined;
  const sink: CsvSink = {
    header: (names) => (filler = new RecordFiller(names, settings, undefined, make, texts?.skipped?.(names, settings.delimiter))),
    record: (fields, at) => filler!.add(fields, at),
    spans: (slice, starts, ends, at, values, notes, base) => filler!.addSpans(slice, starts, ends, at, values, notes, base),
    lanes: () => filler!.lanes,
  };
  const lines = new CsvLines(settings, sink, await loadPapa());
  lines.texts = texts;
  for await (const _ of parseCsv(source, lines, settings)) {
    // the whole input goes into one table
  }
  return { filler: filler!, lines };
}

/** The table of what parseWhole parsed, with its CsvInfo. */
export function finishTable(filler: RecordFiller<ColumnBuilder>, lines: CsvLines): Table {
  const textStats = filler.textStats();
  const table = filler.finish(true);
  setCsvInfo(table, { delimiter: lines.delimiter, detected: lines.detected, line: (row) => lines.lines.line(row), textStats });
  return table;
}

/** Reads a whole CSV source into one Arrow table; `texts` is handed each record's text as read. */
export async function readCsvWith(source: ByteSource, options: ReadCsvOptions, texts?: RecordTextSink): Promise<Table> {
  checkCsvOptions(options, 'readCsv');
  const { filler, lines } = await parseWhole(source, options, undefined, texts);
  return finishTable(filler, lines);
}

/**
 * Yields Arrow tables of at most `batchSize` rows. Types come from `types` or from the first batch, then stay fixed
 * so every batch has one schema (whole-number columns are Float64 here, not Int32).
 */
export async function* csvRecordsWith(source: ByteSource, options: CsvRecordsOptions, records?: RecordTextSink): AsyncGenerator<Table> {
  checkCsvOptions(options, 'csvRecords');
  const settings = csvSettings(options);
  let names: string[] = [];
  let skipped: ReadonlySet<string> | undefined;
  let filler: RecordFiller | undefined;
  const ready: Table[] = [];
  let rowsBefore = 0;
  const flush = () => {
    if (!filler || filler.rows === 0) return;
    const first = filler;
    const offset = rowsBefore;
    rowsBefore += first.rows;
    const textStats = first.textStats();
    const batch = first.finish(false);
    setCsvInfo(batch, { delimiter: lines.delimiter, detected: lines.detected, line: (row) => lines.lines.line(offset + row), textStats });
    ready.push(batch);
    if (!first.frozen) {
      const frozen: Record<string, ColumnType> = Object.create(null);
      first.builders.forEach((b, j) => {
        const type = b.inferredType();
        frozen[names[j]] = type === 'integer' && typeOf(settings.types, names[j]) !== 'integer' ? 'number' : type;
      });
      filler = new RecordFiller(names, settings, frozen, undefined, skipped);
      filler.narrow = batch.schema.fields.map((f) => f.type instanceof Float32);
      // columns inferred as text for want of any value (not given a type, not skipped)
      const empty = first.builders.map((b) => (b.forced === undefined && b.length === b.nullCount ? 1 : 0));
      if (empty.includes(1)) filler.pending = Uint8Array.from(empty);
    } else {
      first.reset();
    }
  };
  const sink: CsvSink = {
    header: (header) => {
      names = header;
      skipped = records?.skipped?.(names, settings.delimiter);
      filler = new RecordFiller(names, settings, undefined, undefined, skipped);
    },
    record: (fields, at) => {
      filler!.add(fields, at);
      if (filler!.rows >= settings.batchSize) flush();
    },
    lanes: () => filler!.lanes,
    spans: (slice, starts, ends, at, values, notes, base) => {
      filler!.addSpans(slice, starts, ends, at, values, notes, base);
      if (filler!.rows >= settings.batchSize) flush();
    },
  };
  const lines = new CsvLines(settings, sink, await loadPapa());
  lines.texts = records;
  for await (const _ of parseCsv(source, lines, settings)) {
    while (ready.length > 0) yield ready.shift()!;
  }
  flush();
  while (ready.length > 0) yield ready.shift()!;
}
