/** Stable error codes; callers switch on `code`, people read `message` and `hint`. */
export type SegkitErrorCode =
  | 'E_BAD_OPTION'
  | 'E_EMPTY_DATA'
  | 'E_NAN_INPUT'
  | 'E_RAGGED_ROWS'
  | 'E_NON_NUMERIC'
  | 'E_MISSING_COLUMN'
  | 'E_DUPLICATE_ID'
  | 'E_SHAPE_MISMATCH'
  | 'E_TOO_FEW_DISTINCT'
  | 'E_PRECISION'
  | 'E_SINGULAR'
  | 'E_BAD_LABELS'
  | 'E_UNKNOWN_CATEGORY'
  | 'E_BAD_MODEL'
  | 'E_PARSE'
  | 'E_IO'
  | 'E_ABORTED'
  | 'E_WORKER'
  | 'E_CLOSED'
  | 'E_EXECUTOR'
  | 'E_MEMORY';

export class SegkitError extends Error {
  readonly code: SegkitErrorCode;
  readonly hint?: string;
  constructor(code: SegkitErrorCode, message: string, hint?: string, options?: { cause?: unknown }) {
    super(hint ? `${message} (${hint})` : message, options);
    this.name = 'SegkitError';
    this.code = code;
    this.hint = hint;
  }
}

/** The message without the hint the constructor appended. */
export function baseMessage(error: SegkitError): string {
  const tail = error.hint ? ` (${error.hint})` : '';
  return tail && error.message.endsWith(tail) ? error.message.slice(0, -tail.length) : error.message;
}

/**
 * The same error (its code kept) with its message rewritten, e.g. to name the file it came from, and its hint
 * rewritten by `rewriteHint` (kept as it is by default).
 */
export function restate(error: SegkitError, rewrite: (message: string) => string, rewriteHint: (hint: string | undefined) => string | undefined = (hint) => hint): SegkitError {
  return new SegkitError(error.code, rewrite(baseMessage(error)), rewriteHint(error.hint), { cause: error });
}

/** Shorthand for the most common failure: an option with a value it cannot take. */
export function badOption(name: string, value: unknown, expected: string): SegkitError {
  return new SegkitError('E_BAD_OPTION', `option "${name}" must be ${expected}, got ${describe(value)}`);
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}

/** The E_ABORTED error of a signal that fired, its reason as the cause. */
export function abortedError(signal: AbortSignal | undefined): SegkitError {
  return new SegkitError('E_ABORTED', 'the operation was cancelled', undefined, { cause: signal?.reason });
}

/** Throws E_ABORTED if the signal fired; called between passes so cancellation is prompt. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}
