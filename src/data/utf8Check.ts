import { type Data, DataType, type Table, type Union, UnionMode } from '#arrow';
import { SegkitError } from '../util/errors.js';

let fatal: TextDecoder | undefined;
// Node's own check, which makes no string; elsewhere a fatal decoder's
const nativeIsUtf8 = ((globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }).process?.getBuiltinModule?.('buffer') as
  { isUtf8?: (bytes: Uint8Array) => boolean } | undefined)?.isUtf8;

function isUtf8(bytes: Uint8Array): boolean {
  if (nativeIsUtf8) return nativeIsUtf8(bytes);
  try {
    (fatal ??= new TextDecoder('utf-8', { fatal: true })).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Whether every value of a Utf8 or LargeUtf8 chunk is UTF-8: the bytes as a whole, and no value starting mid-character. */
function chunkIsUtf8(data: Data): boolean {
  const offsets = data.valueOffsets as ArrayLike<number | bigint>;
  const values = data.values as Uint8Array;
  const end = Number(offsets[data.length]);
  if (!isUtf8(values.subarray(Number(offsets[0]), end))) return false;
  for (let r = 1; r < data.length; r++) {
    const at = Number(offsets[r]);
    if (at < end && (values[at] & 0xc0) === 0x80) return false;
  }
  return true;
}

const isText = (type: DataType): boolean => DataType.isUtf8(type) || DataType.isLargeUtf8(type);

/** Whether every row of a union chunk names one of its children and, in a dense union, one of that child's rows. */
function unionHolds(data: Data): boolean {
  const type = data.type as Union;
  const ids = data.typeIds as Int8Array | undefined;
  const offsets = type.mode === UnionMode.Dense ? (data.valueOffsets as Int32Array | undefined) : undefined;
  if (!ids || ids.length < data.length || (type.mode === UnionMode.Dense && (!offsets || offsets.length < data.length))) return false;
  for (let r = 0; r < data.length; r++) {
    const child = data.children[type.typeIdToChildIndex[ids[r]]];
    const at = offsets ? offsets[r] : r;
    if (!child || !(at >= 0 && at < child.length)) return false;
  }
  return true;
}

/** Chunks found to be UTF-8 (a dictionary an IPC stream's batches share is one object: checked once, not per batch). */
const checked = new WeakSet<Data>();

/**
 * Refuses a text column whose bytes are not UTF-8 (Latin-1 written as Utf8 by another tool): decoded, each bad byte
 * would be U+FFFD, and Müller and Möller one customer. Dictionary values are checked once per dictionary. Also
 * refuses a union column (at any depth) whose rows name a child it does not have, or a row past a child's end: a
 * corrupt type id, which apache-arrow reads as a TypeError from every value, null check and writer.
 */
export function checkUtf8Columns(table: Table, what: string): void {
  const check = (name: string, data: Data): void => {
    if (checked.has(data)) return;
    if (isText(data.type) && !chunkIsUtf8(data)) {
      throw new SegkitError('E_PARSE', `${what}: text column "${name}" holds bytes that are not UTF-8`, 'write the column as UTF-8 text (it may be Latin-1), or as binary');
    }
    if (DataType.isUnion(data.type) && !unionHolds(data)) {
      throw new SegkitError('E_PARSE', `${what} is corrupt: a row of union column "${name}" names a child the union does not have, or a row past the child's end`);
    }
    for (const d of data.dictionary?.data ?? []) check(name, d);
    for (const d of data.children) check(name, d);
    checked.add(data);
  };
  table.schema.fields.forEach((f, j) => {
    for (const data of table.getChildAt(j)!.data) check(f.name, data);
  });
}
