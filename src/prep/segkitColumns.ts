import { DataType, type Table } from '#arrow';
import { arrowTableArg } from '../data/dataset.js';

/** Columns segkit itself writes (segments, RFM scores): never features unless asked for by name. */
export const SEGKIT_COLUMNS: readonly string[] = Object.freeze(['segment', 'segment_name', 'rfm_code', 'r_score', 'f_score', 'm_score']);

/** Whether `name` is a membership probability column of `column` (`<column>_proba_<id>`). */
export const isProba = (name: string, column: string): boolean => name.startsWith(`${column}_proba_`) && /^\d+$/.test(name.slice(column.length + 7));

/**
 * Segment columns an earlier run wrote under another name, read back: a column of whole numbers from -1 (no segment)
 * beside a text column of its name plus "_name" that holds one name for each id (none for -1), with its probability
 * columns.
 */
function earlierSegmentColumns(table: Table): string[] {
  let found = earlierFound.get(table);
  if (!found) earlierFound.set(table, (found = findEarlierSegmentColumns(table)));
  return found;
}

/** `earlierSegmentColumns` by table: several callers ask, and the search reads every row. */
const earlierFound = new WeakMap<Table, string[]>();

function findEarlierSegmentColumns(table: Table): string[] {
  const fields = new Map(table.schema.fields.map((f) => [f.name, f.type as DataType]));
  const text = (t: DataType | undefined) => t !== undefined && (DataType.isUtf8(t) || DataType.isLargeUtf8(t) || (DataType.isDictionary(t) && DataType.isUtf8(t.dictionary)));
  const found: string[] = [];
  for (const [name, type] of fields) {
    if (!(DataType.isInt(type) || DataType.isFloat(type)) || !text(fields.get(`${name}_name`))) continue;
    const ids = table.getChild(name)!, labels = table.getChild(`${name}_name`)!;
    const named = new Map<number, unknown>();
    let ok = table.numRows > 0;
    for (let row = 0; ok && row < table.numRows; row++) {
      const raw = ids.get(row), id = raw === null ? Number.NaN : Number(raw), label = labels.get(row);
      // no segment (-1) has no name: segkit writes an empty cell there
      ok = Number.isInteger(id) && id >= -1 && id < 2 ** 31 && (typeof label === 'string' || (id === -1 && label === null)) && (named.get(id) ?? label) === label;
      named.set(id, label);
    }
    if (ok) found.push(name, `${name}_name`, ...[...fields.keys()].filter((n) => isProba(n, name)));
  }
  return found;
}

/**
 * The columns of a table that segkit wrote, which `segkit segment` and the app never take as features unless named:
 * `SEGKIT_COLUMNS`, the membership probabilities beside the segment column (`segment_proba_<id>`), and segment
 * columns an earlier run wrote under another name (see `earlierSegmentColumns`).
 */
export function segkitColumns(table: Table): string[] {
  arrowTableArg(table, 'segkitColumns');
  const earlier = earlierSegmentColumns(table);
  return table.schema.fields.map((f) => f.name).filter((name) => SEGKIT_COLUMNS.includes(name) || isProba(name, 'segment') || earlier.includes(name));
}
