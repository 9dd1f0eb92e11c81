import { SegkitError } from '../util/errors.js';

// A small tagged binary encoding for shard-op states and partials: what crosses a thread, process or machine boundary.
// Values: null, booleans, numbers (float64), strings (UTF-8), typed arrays, arrays and plain objects of these.
const T_NULL = 0, T_FALSE = 1, T_TRUE = 2, T_NUM = 3, T_STR = 4, T_ARR = 5, T_OBJ = 6, T_TYPED = 7, T_UNDEF = 8;
const TYPED = [Float32Array, Float64Array, Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array, Uint8ClampedArray] as const;
type Typed = InstanceType<(typeof TYPED)[number]>;

class Writer {
  buf = new Uint8Array(256);
  view = new DataView(this.buf.buffer);
  len = 0;
  need(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void { this.need(1); this.buf[this.len++] = v; }
  u32(v: number, what: (v: number) => string): void {
    // lengths are 32-bit fields: a larger one would be written modulo 2^32 and read back as another value
    if (!(v >= 0 && v <= 0xffffffff)) throw new SegkitError('E_EXECUTOR', `cannot encode ${what(v)} in a shard-op value: a length field holds at most 4294967295`, 'split the data into more shards');
    this.need(4); this.view.setUint32(this.len, v, true); this.len += 4;
  }
  f64(v: number): void { this.need(8); this.view.setFloat64(this.len, v, true); this.len += 8; }
  bytes(b: Uint8Array): void { this.need(b.length); this.buf.set(b, this.len); this.len += b.length; }
}

const utf8 = new TextEncoder();
// ignoreBOM: a string that starts with U+FEFF keeps it (the default decoder strips it)
const fromUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const LONE_SURROGATE = /\p{Cs}/u;

function write(w: Writer, v: unknown, depth: number): void {
  if (depth > 64) throw new SegkitError('E_EXECUTOR', 'a shard-op value is nested too deeply to encode');
  if (v === null) return w.u8(T_NULL);
  if (v === undefined) return w.u8(T_UNDEF);
  if (v === false) return w.u8(T_FALSE);
  if (v === true) return w.u8(T_TRUE);
  if (typeof v === 'number') { w.u8(T_NUM); return w.f64(v); }
  if (typeof v === 'string') {
    // UTF-8 has no form for half a surrogate pair: the encoder would send U+FFFD in its place
    if (LONE_SURROGATE.test(v)) throw new SegkitError('E_EXECUTOR', `cannot encode the string ${JSON.stringify(v.slice(0, 40))} in a shard-op value: it holds a lone surrogate (not well-formed UTF-16)`);
    const b = utf8.encode(v); w.u8(T_STR); w.u32(b.length, (n) => `a string of ${n} UTF-8 bytes`); return w.bytes(b);
  }
  if (ArrayBuffer.isView(v)) {
    const t = TYPED.findIndex((C) => v instanceof C);
    if (t < 0) throw new SegkitError('E_EXECUTOR', `cannot encode a ${v.constructor.name} in a shard-op value`);
    w.u8(T_TYPED); w.u8(t); w.u32(v.byteLength, (n) => `a ${TYPED[t].name} of ${n} bytes`);
    // pad so the decoder can view the bytes in place at the element's alignment
    const pad = (8 - ((w.len + 1) % 8)) % 8;
    w.u8(pad);
    for (let i = 0; i < pad; i++) w.u8(0);
    return w.bytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  if (Array.isArray(v)) { w.u8(T_ARR); w.u32(v.length, (n) => `an array of ${n} values`); for (const x of v) write(w, x, depth + 1); return; }
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const keys = Object.keys(v);
    w.u8(T_OBJ); w.u32(keys.length, (n) => `an object of ${n} keys`);
    for (const key of keys) { write(w, key, depth + 1); write(w, (v as Record<string, unknown>)[key], depth + 1); }
    return;
  }
  throw new SegkitError('E_EXECUTOR', `cannot encode ${typeof v === 'object' ? v.constructor?.name ?? 'an object' : typeof v} in a shard-op value`);
}

/** Encodes a state or partial to bytes. */
export function encodeValue(v: unknown): Uint8Array {
  const w = new Writer();
  write(w, v, 0);
  return w.buf.slice(0, w.len);
}

/** Decodes bytes from `encodeValue`; malformed bytes are E_EXECUTOR, never a wrong value. */
export function decodeValue(bytes: Uint8Array): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 0;
  const fail = (): never => { throw new SegkitError('E_EXECUTOR', `corrupt shard-op value at byte ${p} of ${bytes.length}`); };
  const take = (n: number): number => { if (p + n > bytes.length) fail(); const at = p; p += n; return at; };
  const read = (depth: number): unknown => {
    if (depth > 64) fail();
    const tag = bytes[take(1)];
    switch (tag) {
      case T_NULL: return null;
      case T_UNDEF: return undefined;
      case T_FALSE: return false;
      case T_TRUE: return true;
      case T_NUM: return view.getFloat64(take(8), true);
      case T_STR: {
        const n = view.getUint32(take(4), true);
        const at = take(n);
        try {
          return fromUtf8.decode(bytes.subarray(at, at + n));
        } catch {
          p = at;
          return fail();
        }
      }
      case T_TYPED: {
        const t = bytes[take(1)];
        const C = TYPED[t] ?? fail();
        const n = view.getUint32(take(4), true);
        const pad = bytes[take(1)];
        take(pad);
        if (n % C.BYTES_PER_ELEMENT) fail();
        const at = take(n);
        // a copy, so the value owns its memory whatever happens to the message bytes
        const out = new C(n / C.BYTES_PER_ELEMENT) as Typed;
        new Uint8Array(out.buffer).set(bytes.subarray(at, at + n));
        return out;
      }
      case T_ARR: { const n = view.getUint32(take(4), true); if (n > bytes.length - p) fail(); return Array.from({ length: n }, () => read(depth + 1)); }
      case T_OBJ: {
        const n = view.getUint32(take(4), true);
        if (n > bytes.length - p) fail();
        const o: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const key = read(depth + 1);
          if (typeof key !== 'string' || key === '__proto__') fail();
          o[key as string] = read(depth + 1);
        }
        return o;
      }
      default: return fail();
    }
  };
  const v = read(0);
  if (p !== bytes.length) fail();
  return v;
}
