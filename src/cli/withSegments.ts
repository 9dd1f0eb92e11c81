import { Int32, makeData, type Table } from 'apache-arrow';
import { singleChunk, tableFromColumns, utf8Data } from '../data/arrowTable.js';
import { UsageError } from './exitCodes.js';

/** The name of the rows no cluster took: its own group, never a segment. */
export const UNASSIGNED = 'Unassigned';

/** The output column names for a `--segment-column` value. */
export function segmentColumns(column: string): { id: string; name: string } {
  return { id: column, name: `${column}_name` };
}

/** A usage error when the input already has a column the output would add. */
export function checkSegmentColumns(table: Table, column: string, input: string): void {
  const taken = table.schema.fields.map((f) => f.name);
  for (const name of Object.values(segmentColumns(column))) {
    if (taken.includes(name)) throw new UsageError(`--segment-column: ${input} already has a column "${name}"; choose another name, e.g. --segment-column ${column}2`);
  }
}

/**
 * The table's columns followed by the segment id (-1 for a row without a segment) and the segment's name; rows
 * flagged in `unassigned` (noise of a density model) are named "Unassigned".
 */
export function withSegments(table: Table, labels: Int32Array, names: readonly string[], column: string, unassigned?: Uint8Array): Table {
  const cols = segmentColumns(column);
  const fields = table.schema.fields;
  const data = fields.map((_, j) => singleChunk(table.getChildAt(j)!));
  const ids = makeData({ type: new Int32(), length: labels.length, nullCount: 0, data: labels });
  const text = utf8Data(Array.from(labels, (l, i) => (l >= 0 ? names[l] : unassigned?.[i] ? UNASSIGNED : null)));
  return tableFromColumns([...fields.map((f) => f.name), cols.id, cols.name], [...data, ids, text], table.schema.metadata);
}
