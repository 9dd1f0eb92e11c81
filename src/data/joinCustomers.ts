import { DataType, type Data, type Table, type Vector } from '#arrow';
import { SegkitError, badOption, describe } from '../util/errors.js';
import { tableFromColumns } from './arrowTable.js';
import { textNumberClash } from '../util/numberText.js';
import { takeRows } from './takeRows.js';
import { isArrowTable } from './dataset.js';
import { binaryKey, columnValues } from './utf8Text.js';
import { decimalKey, unscaled } from './decimal.js';

export interface CustomerSource {
  /** The table to join, at most one row per customer. */
  readonly table: Table;
  /** Its customer key column (name and type may differ from the customers table's). */
  readonly key: string;
  /** Prepended to the names of its columns in the result (default none). */
  readonly prefix?: string;
}

export interface JoinCustomersOptions {
  /** The customer key column of the customers table. */
  readonly key: string;
}

/**
 * Two ids read as one key: bytes that are not UTF-8 (ff 01) read as their hexadecimal, which is the text of other
 * bytes ("ff01") or a number's (bytes 80 and the number 80).
 */
const twoIds = (key: string, where: string): SegkitError =>
  new SegkitError('E_DUPLICATE_ID', `two ids read as ${describe(key)}, ${where}`);

/**
 * Keys as strings, so 42 (a number id) and "42" (a string id), and the bytes and the text of a Binary and a Utf8 id,
 * match; null, NaN (a missing id in a float column) and an empty id are no key, which matches nothing. The rows of Binary values
 * that are not UTF-8 are added to `hex`; such a value's key held by another row as text is refused, as rfm refuses it.
 */
function keyStrings(vector: Vector, hex: Set<number>, where: string, column: string): (string | null)[] {
  const out = new Array<string | null>(vector.length);
  let i = 0;
  const type = vector.type as DataType;
  if (DataType.isDecimal(type)) {
    // a decimal's words are its unscaled value: the key is the value (7.00 is 7, 7.50 is 7.5)
    for (const d of vector.data) for (let r = 0; r < d.length; r++) out[i++] = d.getValid(r) ? decimalKey(unscaled(d.values as Uint32Array, r, type.bitWidth / 32), type.scale) : null;
    return out;
  }
  // a Binary key (Parquet text without its UTF8 annotation) is its text, as rfm reads it
  const hexRow = new Map<string, number>();
  for (const v of columnValues(vector)) {
    // an empty id ("" or empty bytes) is a missing one, as rfm, behaviourFeatures and compareSnapshots read it
    const k = v == null || v !== v || v === '' || (v instanceof Uint8Array && v.length === 0) ? null : v instanceof Uint8Array ? binaryKey(v) : String(v);
    // hexadecimal is twice as long as its bytes, UTF-8 text at most as long
    if (v instanceof Uint8Array && k !== null && v.length < k.length) hex.add(i), hexRow.set(k, i);
    out[i++] = k;
  }
  if (hex.size) out.forEach((k, r) => { if (!hex.has(r) && hexRow.has(k!)) throw twoIds(k!, `rows ${hexRow.get(k!)} and ${r} of column "${column}" of ${where}`); });
  return out;
}

const isNumberColumn = (vector: Vector): boolean => DataType.isInt(vector.type) || DataType.isFloat(vector.type) || DataType.isDecimal(vector.type);

/**
 * Throws E_SHAPE_MISMATCH when a text key equals a number key of the other table only once read as a number ("00042"
 * and 42, "42.0" and 42): compared as strings they never match, and the customer would silently get nulls.
 */
function checkKeyForms(text: readonly (string | null)[], textWhere: string, textColumn: string, numbers: readonly (string | null)[], numberWhere: string, numberColumn: string): void {
  const clash = textNumberClash(text, new Set(numbers));
  if (clash) {
    throw new SegkitError('E_SHAPE_MISMATCH', `${textWhere} has key ${JSON.stringify(text[clash.row])} (row ${clash.row}) in column "${textColumn}" as text, and ${numberWhere} has the number ${clash.form} in column "${numberColumn}"`,
      'write the keys the same way in both tables (the same text, or numbers in both)');
  }
}

function keyColumn(table: Table, key: string, where: string): Vector {
  const vector = table.getChild(key);
  if (!vector) {
    throw new SegkitError('E_MISSING_COLUMN', `${where} has no key column "${key}"`, `it has: ${table.schema.fields.map((f) => f.name).join(', ')}`);
  }
  return vector;
}

/**
 * Builds the customer view: a left join from the customers table to each source on the customer key, as a hash
 * join (O(customers + source rows)) with no code generated at run time, so it runs in edge functions too.
 * Keys are compared as strings, so number and string ids match, Binary keys as their UTF-8 text (bytes that are not UTF-8 by their hexadecimal: E_DUPLICATE_ID where that is the text of another row or a number of the other table, as rfm refuses it), and decimal keys by value (7.00 matches 7, 7.50 matches 7.5); every customer row is kept, in order, and
 * customers a source does not mention, or without a key (null, NaN or an empty id), get nulls. A key that appears twice in a source is an error
 * (aggregate the source first, e.g. with aggregateByCustomer). Column types and values are kept exactly, except that a
 * dictionary column whose batches carry different dictionaries (an IPC stream with replacement dictionaries) comes out
 * as its values, in the dictionary's value type.
 * @example
 * const view = await joinCustomers(customers, [{ table: rfm, key: 'customer_id', prefix: 'rfm_' }], { key: 'id' });
 */
export async function joinCustomers(customers: Table, sources: readonly CustomerSource[], options: JoinCustomersOptions): Promise<Table> {
  if (!options || typeof options.key !== 'string' || options.key === '') throw badOption('key', options?.key, 'the name of the customer key column');
  if (!isArrowTable(customers)) throw badOption('customers', customers, 'an Arrow Table');
  if (!Array.isArray(sources as unknown)) throw badOption('sources', sources, 'an array of { table, key, prefix? }');
  const customerColumn = keyColumn(customers, options.key, 'the customers table');
  const customerHex = new Set<number>();
  const customerKeys = keyStrings(customerColumn, customerHex, 'the customers table', options.key);
  const names = new Set(customers.schema.fields.map((f) => f.name));
  const added: { name: string; data: Data }[] = [];

  sources.forEach((source, s) => {
    const where = `source ${s}`;
    if (!source || typeof source !== 'object' || !isArrowTable(source.table)) {
      throw badOption(`sources[${s}].table`, source?.table, 'an Arrow Table');
    }
    if (typeof source.key !== 'string' || source.key === '') throw badOption(`sources[${s}].key`, source.key, 'a column name');
    const prefix = source.prefix ?? '';
    if (typeof prefix !== 'string') throw badOption(`sources[${s}].prefix`, prefix, 'a string');
    const sourceColumn = keyColumn(source.table, source.key, where);
    const hex = new Set<number>();
    const keys = keyStrings(sourceColumn, hex, where, source.key);
    if (isNumberColumn(sourceColumn) && !isNumberColumn(customerColumn)) checkKeyForms(customerKeys, 'the customers table', options.key, keys, where, source.key);
    if (isNumberColumn(customerColumn) && !isNumberColumn(sourceColumn)) checkKeyForms(keys, where, source.key, customerKeys, 'the customers table', options.key);

    const seen = new Map<string, number>();
    keys.forEach((k, row) => {
      if (k === null) return;
      const first = seen.get(k);
      if (first !== undefined) {
        throw new SegkitError(
          'E_SHAPE_MISMATCH',
          `${where}: key ${describe(k)} in column "${source.key}" appears in rows ${first} and ${row}; a left join would duplicate that customer`,
          'aggregate the source to one row per customer first (aggregateByCustomer)',
        );
      }
      seen.set(k, row);
    });

    const fields = source.table.schema.fields.filter((f) => f.name !== source.key);
    const outNames = fields.map((f) => {
      const out = prefix + f.name;
      if (names.has(out)) {
        throw new SegkitError(
          'E_BAD_OPTION',
          `${where}: column "${out}" already exists in the customer view`,
          `give source ${s} a prefix (sources[${s}].prefix)`,
        );
      }
      names.add(out);
      return out;
    });
    if (fields.length === 0) return;
    // the source row of each customer, -1 where the source does not mention it
    const match = new Int32Array(customerKeys.length);
    for (let i = 0; i < customerKeys.length; i++) {
      const k = customerKeys[i];
      const j = (match[i] = k === null ? -1 : (seen.get(k) ?? -1));
      // a number is not the hexadecimal of bytes (bytes 80 are not the number 80)
      if (j >= 0 && (customerHex.has(i) ? isNumberColumn(sourceColumn) : hex.has(j) && isNumberColumn(customerColumn))) {
        throw twoIds(k!, `row ${i} of column "${options.key}" of the customers table and row ${j} of column "${source.key}" of ${where}`);
      }
    }
    fields.forEach((f, j) => {
      added.push({ name: outNames[j], data: takeRows(source.table.getChild(f.name)!, match, `column "${f.name}" of ${where}`) });
    });
  });

  if (added.length === 0) return customers;
  const extra = tableFromColumns(
    added.map((a) => a.name),
    added.map((a) => a.data),
  );
  return customers.assign(extra);
}
