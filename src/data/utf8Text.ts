import { DataType, type Data, type Vector } from '#arrow';

// created on first use: a module-level codec would make merely loading this file need it
let decoder: TextDecoder | undefined;

/**
 * UTF-8 bytes as text. A U+FEFF that begins them is text and kept: a default TextDecoder, and so Arrow's own
 * decoding in Vector.get, drops it, which would make "\uFEFFc1" and "c1" one value.
 */
export function utf8Text(bytes: Uint8Array): string {
  return (decoder ??= new TextDecoder('utf-8', { ignoreBOM: true })).decode(bytes);
}

let encoder: TextEncoder | undefined;

/**
 * A Binary value as text, wherever one is read as an id or written as a cell: its UTF-8 text (Parquet strings written
 * without their UTF8 annotation), or its bytes in hexadecimal when it is not UTF-8 (raw hash or UUID bytes), which a
 * lenient decoding would merge into one id.
 */
export function binaryKey(bytes: Uint8Array): string {
  const text = utf8Text(bytes);
  // U+FFFD replaces bytes that are not UTF-8, unless it was written: then the text encodes back to the same bytes
  // (checked so, not by a fatal decoder, whose exception per id costs ten times the decoding)
  if (!text.includes('\uFFFD')) return text;
  const back = (encoder ??= new TextEncoder()).encode(text);
  return back.length === bytes.length && back.every((b, i) => b === bytes[i]) ? text : Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Value `r` of a Utf8 or LargeUtf8 chunk (null where null), keeping a U+FEFF that begins it. */
export function textAt(data: Data, r: number): string | null {
  if (data.nullCount > 0 && !data.getValid(r)) return null;
  // value offsets are sliced to the chunk, the bytes are not
  const offsets = data.valueOffsets as ArrayLike<number | bigint>;
  return utf8Text((data.values as Uint8Array).subarray(Number(offsets[r]), Number(offsets[r + 1])));
}

const isText = (type: DataType): boolean => DataType.isUtf8(type) || DataType.isLargeUtf8(type);

/**
 * A column's values as iterating it gives them, except that text (a dictionary's too) keeps a U+FEFF that begins
 * it: the vector itself for other types, otherwise an array.
 */
export function columnValues(vector: Vector): Iterable<unknown> {
  const type = vector.type as DataType;
  if (!isText(type) && !(DataType.isDictionary(type) && isText(type.dictionary))) return vector;
  const out = new Array<unknown>(vector.length);
  const words = new Map<Vector, unknown[]>();
  let i = 0;
  for (const data of vector.data as Data[]) {
    const dictionary = data.dictionary;
    if (dictionary) {
      let texts = words.get(dictionary);
      if (!texts) words.set(dictionary, (texts = columnValues(dictionary) as unknown[]));
      const codes = data.values as ArrayLike<number | bigint>;
      for (let r = 0; r < data.length; r++) out[i++] = data.nullCount > 0 && !data.getValid(r) ? null : texts[Number(codes[r])];
    } else for (let r = 0; r < data.length; r++) out[i++] = textAt(data, r);
  }
  return out;
}

/** A reader of a column's value at a row, text keeping a U+FEFF that begins it (see columnValues). */
export function valueReader(vector: Vector): (row: number) => unknown {
  const all = columnValues(vector);
  return Array.isArray(all) ? (row) => all[row] : (row) => vector.get(row);
}
