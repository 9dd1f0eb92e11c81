import { DataType, Dictionary, Int32, Utf8, makeData, makeVector, type Data, type Table, type Vector } from '#arrow';
import { tableWithColumns, utf8Data } from '../data/arrowTable.js';

/** The name of the rows no cluster took: its own group, never a segment. */
export const UNASSIGNED = 'Unassigned';

/** The output column names for a `--segment-column` value. */
export function segmentColumns(column: string): { id: string; name: string } {
  return { id: column, name: `${column}_name` };
}

/** The columns of the input that the output's segment columns will replace (segkit's own output, read back). */
export function replacedColumns(table: Table | readonly string[], column: string): string[] {
  const taken = columnNames(table);
  return Object.values(segmentColumns(column)).filter((name) => taken.includes(name));
}

/** A note naming the input's columns that the new segment columns replace. */
export function replacingNote(replaced: readonly string[], input: string, column: string): string {
  const names = replaced.map((n) => `"${n}"`).join(' and ');
  return `replacing the ${names} column${replaced.length > 1 ? 's' : ''} of ${input} with the new segments (--segment-column ${column}2 keeps ${replaced.length > 1 ? 'them' : 'it'})`;
}

/**
 * The table's columns (less any old segment columns) followed by the segment id (-1: no segment) and the
 * segment's name; rows flagged in `unassigned` (noise of a density model) are named "Unassigned". `dictionary`
 * makes the names a dictionary column (CSV: each name is formatted and quoted once, the text is the same; Arrow:
 * each name stored once), sharing its dictionary with other calls for the same names.
 */
export function withSegments(table: Table, labels: Int32Array, names: readonly string[], column: string, unassigned?: Uint8Array, options: { dictionary?: boolean } = {}): Table {
  const cols = segmentColumns(column);
  const fields = table.schema.fields.map((f, j) => ({ name: f.name, j })).filter((f) => f.name !== cols.id && f.name !== cols.name);
  const ids = makeData({ type: new Int32(), length: labels.length, nullCount: 0, data: labels });
  // the unassigned rows' name is one more entry after the segments'
  const all = unassigned ? [...names, UNASSIGNED] : names;
  const codes = unassigned ? unassignedCodes(labels, unassigned, names.length) : labels;
  const text = options.dictionary ? namesDictionary(codes, all, dictionaryIds(fields.map((f) => table.schema.fields[f.j].type))) : namesByLabel(codes, all);
  return tableWithColumns(table, fields.map((f) => f.j), [...fields.map((f) => f.name), cols.id, cols.name], [ids, text]);
}

/** The labels with the flagged rows' negative labels made `code` and other negatives -1: the labels themselves when that changes none. */
function unassignedCodes(labels: Int32Array, unassigned: Uint8Array, code: number): Int32Array {
  let first = 0;
  while (first < labels.length && !(labels[first] < 0 && (unassigned[first] || labels[first] !== -1))) first++;
  if (first === labels.length) return labels;
  const codes = labels.slice();
  for (let i = first; i < codes.length; i++) if (codes[i] < 0) codes[i] = unassigned[i] ? code : -1;
  return codes;
}

/** The Utf8 column of each row's segment name (null for -1): each name encoded once, its bytes copied per row. */
function namesByLabel(labels: Int32Array, names: readonly string[]): Data<Utf8> {
  const encoder = new TextEncoder();
  const encoded = names.map((name) => encoder.encode(name));
  const n = labels.length;
  const valueOffsets = new Int32Array(n + 1);
  let total = 0, nullCount = 0;
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l >= 0) total += encoded[l].length;
    else nullCount++;
    valueOffsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  let nullBitmap: Uint8Array | undefined;
  if (nullCount > 0) nullBitmap = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l < 0) continue;
    data.set(encoded[l], valueOffsets[i]);
    if (nullBitmap) nullBitmap[i >> 3] |= 1 << (i & 7);
  }
  return makeData({ type: new Utf8(), length: n, nullCount, nullBitmap, valueOffsets, data });
}

/** The dictionary ids the columns' types use, nested types included (a schema may not give one id two dictionaries). */
function dictionaryIds(types: readonly DataType[]): Set<number> {
  const ids = new Set<number>();
  const visit = (t: DataType): void => {
    if (DataType.isDictionary(t)) {
      ids.add(t.id);
      visit(t.dictionary);
    }
    for (const child of t.children ?? []) visit(child.type);
  };
  types.forEach(visit);
  return ids;
}

/**
 * One dictionary type and values per list of names and id, kept for the batches that follow: an Arrow IPC writer
 * writes a dictionary once when every batch shares it (a file may not replace one), and a batch whose dictionary
 * type has another id would start a new schema. The id is one above the input's own dictionaries' (the same for
 * every batch of one input, whose batches share a schema).
 */
const dictionaries = new Map<string, { type: Dictionary<Utf8, Int32>; values: Vector<Utf8> }>();

function sharedDictionary(names: readonly string[], taken: ReadonlySet<number>): { type: Dictionary<Utf8, Int32>; values: Vector<Utf8> } {
  const id = taken.size === 0 ? 0 : Math.max(...taken) + 1;
  const key = `${id}:${JSON.stringify(names)}`;
  let entry = dictionaries.get(key);
  if (!entry) {
    if (dictionaries.size >= 16) dictionaries.delete(dictionaries.keys().next().value!);
    entry = { type: new Dictionary(new Utf8(), new Int32(), id), values: makeVector(utf8Data([...names])) };
    dictionaries.set(key, entry);
  }
  return entry;
}

/** The segment names as a Utf8 dictionary column indexed by the labels (null for -1), its id none of `taken`. */
function namesDictionary(labels: Int32Array, names: readonly string[], taken: ReadonlySet<number>): Data<Dictionary<Utf8, Int32>> {
  const n = labels.length;
  let nullCount = 0;
  for (let i = 0; i < n; i++) if (labels[i] < 0) nullCount++;
  // a buffer of its own, never the segment ids' (Arrow's IPC writer lays out two columns sharing one buffer wrongly)
  const codes = labels.slice();
  let nullBitmap: Uint8Array | undefined;
  if (nullCount > 0) {
    nullBitmap = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) {
      if (labels[i] >= 0) nullBitmap[i >> 3] |= 1 << (i & 7);
      else codes[i] = 0;
    }
  }
  const { type, values } = sharedDictionary(names, taken);
  return makeData({ type, length: n, nullCount, nullBitmap, data: codes, dictionary: values });
}

/** A table's column names (or the names themselves). */
export function columnNames(table: Table | readonly string[]): readonly string[] {
  return Array.isArray(table) ? (table as readonly string[]) : (table as Table).schema.fields.map((f) => f.name);
}
