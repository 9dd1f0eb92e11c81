import { Int32, makeData, type Table } from 'apache-arrow';
import { singleChunk, tableFromColumns, utf8Data } from '../data/arrowTable.js';

/** The name of the rows no cluster took: its own group, never a segment. */
export const UNASSIGNED = 'Unassigned';

/** The output column names for a `--segment-column` value. */
export function segmentColumns(column: string): { id: string; name: string } {
  return { id: column, name: `${column}_name` };
}

/** The columns of the input that the output's segment columns will replace (segkit's own output, read back). */
export function replacedColumns(table: Table, column: string): string[] {
  const taken = table.schema.fields.map((f) => f.name);
  return Object.values(segmentColumns(column)).filter((name) => taken.includes(name));
}

/** A note naming the input's columns that the new segment columns replace. */
export function replacingNote(replaced: readonly string[], input: string, column: string): string {
  const names = replaced.map((n) => `"${n}"`).join(' and ');
  return `replacing the ${names} column${replaced.length > 1 ? 's' : ''} of ${input} with the new segments (--segment-column ${column}2 keeps ${replaced.length > 1 ? 'them' : 'it'})`;
}

/**
 * The table's columns (less any old segment columns) followed by the segment id (-1: no segment) and the
 * segment's name; rows flagged in `unassigned` (noise of a density model) are named "Unassigned".
 */
export function withSegments(table: Table, labels: Int32Array, names: readonly string[], column: string, unassigned?: Uint8Array): Table {
  const cols = segmentColumns(column);
  const fields = table.schema.fields.map((f, j) => ({ name: f.name, j })).filter((f) => f.name !== cols.id && f.name !== cols.name);
  const data = fields.map((f) => singleChunk(table.getChildAt(f.j)!));
  const ids = makeData({ type: new Int32(), length: labels.length, nullCount: 0, data: labels });
  const text = utf8Data(Array.from(labels, (l, i) => (l >= 0 ? names[l] : unassigned?.[i] ? UNASSIGNED : null)));
  return tableFromColumns([...fields.map((f) => f.name), cols.id, cols.name], [...data, ids, text], table.schema.metadata);
}
