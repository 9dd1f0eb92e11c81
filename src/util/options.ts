import { SegkitError, badOption, describe } from './errors.js';

/** Edit distance with adjacent transpositions (Damerau-Levenshtein, optimal string alignment). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

// snake_case, kebab-case and capitals are the usual slips from Python and the command line
const norm = (s: string) => s.replace(/[_-]/g, '').toLowerCase();

/** The known name closest to `key`, when it is close enough to be a likely slip. */
export function closestName(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined, bestD = Infinity;
  for (const k of known) {
    // a shortened name ('average' for 'averageMethod') counts as a near miss
    const a = norm(key), b = norm(k);
    const dist = a === b ? 0 : a.length >= 4 && (b.startsWith(a) || a.startsWith(b)) ? 1 : distance(a, b);
    if (dist < bestD) { bestD = dist; best = k; }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

export function isAbortSignal(x: unknown): x is AbortSignal {
  if (typeof AbortSignal !== 'undefined' && x instanceof AbortSignal) return true;
  const s = x as AbortSignal;
  return !!s && typeof s === 'object' && typeof s.aborted === 'boolean' && typeof s.addEventListener === 'function' && typeof s.removeEventListener === 'function';
}

/**
 * Rejects an options object with a key the function does not know (naming the closest known one), a `signal`
 * that is not an AbortSignal, or an `onProgress` that is not a function. `undefined` options are fine.
 */
export function checkOptions(options: unknown, known: readonly string[], fn: string): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new SegkitError('E_BAD_OPTION', `${fn}: options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = closestName(key, known);
    throw new SegkitError('E_BAD_OPTION', `${fn}: unknown option "${key}"${near ? `; did you mean "${near}"?` : ''}`, `${fn} takes: ${known.join(', ')}`);
  }
  const o = options as { signal?: unknown; onProgress?: unknown };
  if (o.signal !== undefined && !isAbortSignal(o.signal)) {
    throw new SegkitError('E_BAD_OPTION', `${fn}: option "signal" must be an AbortSignal, got ${describe(o.signal)}`, 'pass controller.signal from new AbortController()');
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') {
    throw new SegkitError('E_BAD_OPTION', `${fn}: option "onProgress" must be a function, got ${describe(o.onProgress)}`);
  }
}

/**
 * The caller's value of an option, or its default where they left it out (`undefined`). `null` is the caller's, for
 * the option's check to refuse: `maxCategories: null` meant as "no limit" must not take the default limit.
 */
export function orDefault<T, D>(value: T | undefined, fallback: D): T | D {
  return value === undefined ? fallback : value;
}

/** transform's `squared`: true or false ('no' would read as true). */
export function squaredOption(options: { readonly squared?: unknown }): boolean {
  if (options.squared !== undefined && typeof options.squared !== 'boolean') throw badOption('squared', options.squared, 'true or false');
  return options.squared === true;
}

/** The largest length an array can have. */
const MAX_LENGTH = 2 ** 32 - 1;

/**
 * The length of an array-like argument: a negative, fractional, NaN or larger-than-any-array length is refused
 * (it would make a typed array throw a RangeError, or a loop run on for ever).
 */
export function arrayLength(x: unknown, name: string): number {
  const n = x !== null && typeof x === 'object' ? (x as { length?: unknown }).length : undefined;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_LENGTH) {
    throw badOption(name, x, `an array of numbers${typeof n === 'number' ? ` (its length is ${n})` : ''}`);
  }
  return n;
}

/** Options every function that scans data takes: where it runs, and how to stop it. */
export const RUN_OPTIONS = ['executor', 'threads', 'signal'] as const;
