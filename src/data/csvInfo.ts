// What reading a CSV table found out (its delimiter, the file line of each row, the text columns holding numbers),
// kept beside the table rather than in it: a module of its own, so exporting it keeps the CSV reader out of bundles.
import type { Table } from '#arrow';

/** How the values of a text column split between numbers and other text, and the first that is not a number. */
export interface TextStats {
  readonly numbers: number;
  readonly texts: number;
  /** Row (0-based, in the table) of the first value that is not a number, and its text. */
  readonly row: number;
  readonly text: string;
}

/** What reading a CSV table found out, for messages that name file lines: kept beside the table, not in it. */
export interface CsvInfo {
  readonly delimiter: string;
  /** True when the delimiter was detected (delimiter "auto"). */
  readonly detected: boolean;
  /** The file line of a row of the table (header = line 1). */
  line(row: number): number;
  /** Inferred text columns holding both numbers and other text. */
  readonly textStats: ReadonlyMap<string, TextStats>;
}

const INFO = new WeakMap<Table, CsvInfo>();

/** Keeps what a reader found out beside the table it returned. */
export function setCsvInfo(table: Table, info: CsvInfo): void {
  INFO.set(table, info);
}

/** What readCsv or csvRecords found out about a table it returned, or undefined for any other table. */
export function csvInfo(table: Table): CsvInfo | undefined {
  return INFO.get(table);
}
