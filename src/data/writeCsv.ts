import type { Table } from 'apache-arrow';
import { stringify } from 'csv-stringify/browser/esm/sync';
import { badOption } from '../errors.js';
import { type CellKind, cellKind, floatText, isoText, otherText } from './tableCells.js';

export interface WriteCsvOptions {
  /** Field separator (default ","). */
  readonly delimiter?: string;
  /** Write the header row (default true). */
  readonly header?: boolean;
  /**
   * Prefix text cells that start with = + - @ tab or CR with an apostrophe, so spreadsheets do not run them
   * as formulas (default true; OWASP "CSV injection"). Numbers are never altered.
   */
  readonly escapeFormulas?: boolean;
  /** Start with a UTF-8 byte order mark, which Excel needs to detect UTF-8 (default false). */
  readonly bom?: boolean;
  /** Line ending (default "\n"). */
  readonly eol?: '\n' | '\r\n';
}

export const WRITE_CSV_DEFAULTS = Object.freeze({ delimiter: ',', header: true, escapeFormulas: true, bom: false, eol: '\n' as const });

// rows are materialised a block at a time so a large table never exists as one array of row arrays
const BLOCK = 4096;

/**
 * Writes an Arrow table as CSV text with csv-stringify. Nulls are empty cells, booleans true/false,
 * timestamps ISO 8601 (plain dates when every value is a whole UTC day), and whole floats keep a ".0"
 * so that readCsv infers the same types back.
 * @example
 * const text = writeCsv(segments);
 */
export function writeCsv(table: Table, options: WriteCsvOptions = {}): string {
  const d = WRITE_CSV_DEFAULTS;
  const delimiter = options.delimiter ?? d.delimiter;
  if (typeof delimiter !== 'string' || delimiter.length === 0) throw badOption('delimiter', delimiter, 'a non-empty string');
  const header = options.header ?? d.header;
  if (typeof header !== 'boolean') throw badOption('header', header, 'a boolean');
  const escapeFormulas = options.escapeFormulas ?? d.escapeFormulas;
  if (typeof escapeFormulas !== 'boolean') throw badOption('escapeFormulas', escapeFormulas, 'a boolean');
  const bom = options.bom ?? d.bom;
  if (typeof bom !== 'boolean') throw badOption('bom', bom, 'a boolean');
  const eol = options.eol ?? d.eol;
  if (eol !== '\n' && eol !== '\r\n') throw badOption('eol', eol, '"\\n" or "\\r\\n"');

  const fields = table.schema.fields;
  const vectors = fields.map((_, j) => table.getChildAt(j)!);
  const kinds: CellKind[] = fields.map((f, j) => cellKind(f, vectors[j]));
  const settings = {
    delimiter,
    record_delimiter: eol === '\n' ? ('unix' as const) : ('windows' as const),
    escape_formulas: escapeFormulas,
    cast: {
      // numbers stay numbers up to here so formula escaping can tell a negative number from text
      number: (v: number, context: { column?: number | string }) => {
        const kind = kinds[context.column as number];
        return kind === 'float' || kind === 'float32' ? floatText(v, kind) : String(v);
      },
      bigint: (v: bigint) => String(v),
      boolean: (v: boolean) => (v ? 'true' : 'false'),
    },
  };
  const parts: string[] = [bom ? '\ufeff' : ''];
  if (header) parts.push(stringify([fields.map((f) => f.name)], settings));
  const n = table.numRows;
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    const rows: unknown[][] = [];
    for (let i = start; i < end; i++) {
      const row = new Array<unknown>(fields.length);
      for (let j = 0; j < fields.length; j++) {
        const v = vectors[j].get(i);
        if (v == null) row[j] = null;
        else {
          const kind = kinds[j];
          row[j] = kind === 'date' || kind === 'dateOnly' ? isoText(v as number, kind) : kind === 'other' ? otherText(v) : v;
        }
      }
      rows.push(row);
    }
    parts.push(stringify(rows, settings));
  }
  return parts.join('');
}
