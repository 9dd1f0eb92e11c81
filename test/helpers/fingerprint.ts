/** A JSON-able fingerprint of typed arrays and numbers that distinguishes every bit (NaN, -0 included). */
export function print(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (typeof v === 'number') return Buffer.from(Float64Array.of(v).buffer).toString('hex');
  if (Array.isArray(v)) return v.map(print);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, print(x)]));
  return v;
}
