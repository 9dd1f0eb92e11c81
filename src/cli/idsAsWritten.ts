// A CSV snapshot's id column read as text, so that CSV output gives each id as it was written (007, 1E5,
// +4915112345, 12000.0), while the ids are still matched as the values the reader would have inferred.
import { Float64, Int32, type Table } from '#arrow';
import { dataFromValues, tableWithColumns } from '../data/arrowTable.js';
import { readNumber } from '../data/columnBuilder.js';
import { columnValues } from '../data/utf8Text.js';

export interface IdsAsWritten {
  /** The table with the id column as type inference reads it: numbers when every id reads as one, else the text. */
  readonly table: Table;
  /** Each row's id as written (null where empty); undefined when the ids were kept as text. */
  readonly texts?: readonly (string | null)[];
}

/**
 * The table (its id column `id` read as text) with that column made numbers, as type inference would have made it,
 * when every id is a number to inference: leading zeros ("007") and integers float64 cannot hold keep the column text,
 * and with a decimal comma "1,5" is 1.5 and "1.5" is text. Int32 when every number is a 32-bit integer.
 */
export function idsAsWritten(table: Table, id: string, decimal: '.' | ',' = '.'): IdsAsWritten {
  const j = table.schema.fields.findIndex((f) => f.name === id);
  if (j < 0) return { table };
  const texts = Array.from(columnValues(table.getChildAt(j)!), (v) => (v === null || v === undefined || v === '' ? null : String(v)));
  const numbers = new Array<number | null>(texts.length);
  let int32 = true;
  for (let i = 0; i < texts.length; i++) {
    const t = texts[i];
    if (t === null) { numbers[i] = null; continue; }
    const v = readNumber(decimal === ',' ? (t.includes('.') ? '' : t.replace(',', '.')) : t, true);
    if (v === undefined) return { table };
    if (!(Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31)) int32 = false;
    numbers[i] = v;
  }
  const keep = table.schema.fields.map((_, c) => c).filter((c) => c !== j);
  const names = [...keep.map((c) => table.schema.fields[c].name), id];
  return { table: tableWithColumns(table, keep, names, [dataFromValues(numbers, int32 ? new Int32() : new Float64())]), texts };
}
