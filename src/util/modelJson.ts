// Strict readers for fitted-model JSON: every failure is E_BAD_MODEL naming the path of the bad field.
import { SegkitError, describe } from './errors.js';

// Keys that would reach an object's prototype if a reader ever copied them onto an object.
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

export function badModel(path: string, message: string): SegkitError {
  return new SegkitError('E_BAD_MODEL', `${path ? `model field "${path}"` : 'the model'} ${message}`);
}

/** A model given as an object, or as its JSON text (parsed; text that is not JSON is E_BAD_MODEL). */
export function modelValue(json: unknown): unknown {
  if (typeof json !== 'string') return json;
  try {
    return JSON.parse(json);
  } catch (e) {
    throw new SegkitError('E_BAD_MODEL', `the model is not valid JSON: ${(e as Error).message}`, undefined, { cause: e });
  }
}

export function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/** A plain object with exactly the `required` keys plus any of `optional`, and nothing else. */
export function readObject(v: unknown, path: string, required: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badModel(path, `must be an object, got ${describe(v)}`);
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) throw badModel(path, `must be a plain object, got ${describe(v)}`);
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (FORBIDDEN.has(key)) throw badModel(at(path, key), 'is not allowed');
    if (!required.includes(key) && !optional.includes(key)) throw badModel(at(path, key), 'is not a known field');
  }
  for (const key of required) if (!Object.hasOwn(o, key)) throw badModel(at(path, key), 'is missing');
  return o;
}

export function readString(v: unknown, path: string): string {
  if (typeof v !== 'string') throw badModel(path, `must be a string, got ${describe(v)}`);
  return v;
}

export function readEnum<T extends string>(v: unknown, path: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw badModel(path, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${describe(v)}`);
  }
  return v as T;
}

export function readBoolean(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw badModel(path, `must be true or false, got ${describe(v)}`);
  return v;
}

export function readNumber(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badModel(path, `must be a finite number, got ${describe(v)}`);
  return v;
}

// The largest float32; features and centroids reach the kernels as float32.
export const FLOAT32_MAX = 3.4028234663852886e38;

/** A finite number that float32 holds (|x| <= 3.4e38), since the kernels see it as one. */
export function readFloat32(v: unknown, path: string): number {
  const x = readNumber(v, path);
  if (Math.abs(x) > FLOAT32_MAX) throw badModel(path, `must be within the float32 range (|x| <= 3.4e38), got ${x}`);
  return x;
}

/** A float32 greater than 0 that stays above 0 in float32: a divisor. */
export function readPositiveFloat32(v: unknown, path: string): number {
  const x = readFloat32(v, path);
  if (!(Math.fround(x) > 0)) throw badModel(path, `must be a float32 greater than 0, got ${x}`);
  return x;
}

export function readPositive(v: unknown, path: string): number {
  const x = readNumber(v, path);
  if (!(x > 0)) throw badModel(path, `must be greater than 0, got ${x}`);
  return x;
}

/** An array, of exactly `length` entries when given. */
export function readArray(v: unknown, path: string, length?: number): readonly unknown[] {
  if (!Array.isArray(v)) throw badModel(path, `must be an array, got ${describe(v)}`);
  if (length !== undefined && v.length !== length) throw badModel(path, `has ${v.length} entries, expected ${length}`);
  // a hole (a model given as an object), which map and forEach pass over, is read as undefined: named by its reader
  for (let i = 0; i < v.length; i++) if (!(i in v)) return Array.from(v);
  return v;
}

/** An array whose entries are each read by `read` with their own path. */
export function readEach<T>(v: unknown, path: string, length: number | undefined, read: (x: unknown, path: string) => T): T[] {
  return readArray(v, path, length).map((x, i) => read(x, at(path, i)));
}

export function readNumbers(v: unknown, path: string, length: number, read = readNumber): number[] {
  return readArray(v, path, length).map((x, i) => read(x, at(path, i)));
}

/** An array of strings; `unique` rejects repeats. */
export function readStrings(v: unknown, path: string, length?: number, unique = false): string[] {
  const out = readArray(v, path, length).map((x, i) => readString(x, at(path, i)));
  if (unique) {
    const seen = new Set<string>();
    out.forEach((s, i) => {
      if (seen.has(s)) throw badModel(at(path, i), `repeats ${JSON.stringify(s)}`);
      seen.add(s);
    });
  }
  return out;
}
