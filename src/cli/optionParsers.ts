// commander argument parsers: a bad value throws InvalidArgumentError, which commander reports naming the option (exit 2).
import { InvalidArgumentError } from 'commander';
import { encodingOption } from '../data/byteSource.js';
import { parseIsoDate } from '../data/columnBuilder.js';
import type { ImputeStrategy } from '../prep/imputer.js';
import type { ScaleMethod } from '../prep/scaler.js';
import { FLOAT32_MAX } from '../util/modelJson.js';

const INTEGER = /^[+-]?\d+$/;

/** An integer parser accepting values from `min` up (to `max`, when given). */
export function integer(min: number, max?: number): (value: string) => number {
  return (value) => {
    const n = Number(value.trim());
    if (!INTEGER.test(value.trim()) || !Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) {
      throw new InvalidArgumentError(max === undefined ? `must be an integer >= ${min}.` : `must be an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

export const seedValue = (value: string): number => {
  const n = Number(value.trim());
  if (!INTEGER.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`must be an integer.`);
  return n;
};

// a decimal number as people write one (1, -0.5, .25, 1e3): Number() would also take 0x10, 0b101 and 0o7
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/** The number a decimal text stands for; NaN for any other text (hexadecimal, binary, octal, empty). */
export function decimalValue(value: string): number {
  const text = value.trim();
  return DECIMAL.test(text) ? Number(text) : Number.NaN;
}

export const finiteNumber = (value: string): number => {
  const n = decimalValue(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`must be a number.`);
  return n;
};

/** --fill-value: a number a saved model holds, as a float32 (|x| <= 3.4e38). */
export const fillValue = (value: string): number => {
  const n = finiteNumber(value);
  if (!(Math.abs(n) <= FLOAT32_MAX)) throw new InvalidArgumentError(`must be a number within the float32 range a saved model holds (|x| <= 3.4e38).`);
  return n;
};

/** `--k 4` or `--k auto`. */
export function kValue(value: string): number | 'auto' {
  if (value.trim().toLowerCase() === 'auto') return 'auto';
  const n = Number(value.trim());
  if (!INTEGER.test(value.trim()) || !Number.isSafeInteger(n) || n < 2) throw new InvalidArgumentError(`must be an integer >= 2 or "auto".`);
  return n;
}

/** `MIN..MAX`, inclusive, MIN at least 2. */
export function kRange(value: string): number[] {
  const range = /^(\d+)\s*\.\.\s*(\d+)$/.exec(value.trim());
  if (!range) throw new InvalidArgumentError(`must be MIN..MAX, e.g. 2..10.`);
  const lo = Number(range[1]);
  const hi = Number(range[2]);
  if (lo < 2) throw new InvalidArgumentError(`must start at 2 or more (k = 1 is a single segment).`);
  if (hi < lo) throw new InvalidArgumentError(`must be MIN..MAX with MIN <= MAX.`);
  if (hi - lo >= 1000) throw new InvalidArgumentError(`must span fewer than 1000 values of k.`);
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

// by list: whether each name was written in double quotes (a quoted name is never one of several split at commas)
const QUOTED = new WeakMap<readonly string[], readonly boolean[]>();

/** Whether name `i` of a list from `columnList` was written in double quotes. */
export const quotedName = (list: readonly string[], i: number): boolean => QUOTED.get(list)?.[i] ?? false;

/**
 * A comma-separated list of names of `what` (column, id), each once; kept exactly, except for surrounding spaces. A
 * name in double quotes may hold commas and surrounding spaces ("a,b"), a doubled quote standing for one, as in CSV.
 */
function nameList(value: string, what: 'column' | 'id'): string[] {
  const bad = () => new InvalidArgumentError(`must be ${what === 'id' ? 'customer ids' : 'column names'} separated by commas (${what === 'id' ? 'an id' : 'a name'} holding a comma in double quotes: "a,b").`);
  const { names, quoted } = splitList(value, bad);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new InvalidArgumentError(`names ${what} "${name}" twice.`);
    seen.add(name);
  }
  QUOTED.set(names, quoted);
  return names;
}

/**
 * The comma-separated items of a list option, surrounding spaces trimmed; an item in double quotes keeps its commas
 * and spaces ("a,b"), a doubled quote standing for one, as in CSV. An empty item is `bad`.
 */
function splitList(value: string, bad: () => Error): { names: string[]; quoted: boolean[] } {
  const names: string[] = [];
  const quoted: boolean[] = [];
  for (let at = 0; ; ) {
    const start = value.slice(at).search(/\S|$/) + at;
    let name: string;
    if (value[start] === '"') {
      let end = start + 1;
      name = '';
      for (;;) {
        const q = value.indexOf('"', end);
        if (q < 0) throw bad();
        name += value.slice(end, q);
        if (value[q + 1] !== '"') {
          end = q + 1;
          break;
        }
        name += '"';
        end = q + 2;
      }
      const comma = value.indexOf(',', end);
      if (value.slice(end, comma < 0 ? value.length : comma).trim() !== '') throw bad();
      at = comma < 0 ? -1 : comma + 1;
    } else {
      const comma = value.indexOf(',', start);
      name = value.slice(start, comma < 0 ? value.length : comma).trim();
      at = comma < 0 ? -1 : comma + 1;
    }
    if (name === '') throw bad();
    names.push(name);
    quoted.push(value[start] === '"');
    if (at < 0) break;
  }
  return { names, quoted };
}

/** A name as a list option takes it: in double quotes when it holds a comma, a quote or surrounding spaces. */
export function listName(name: string): string {
  return /[,"]|^\s|\s$/.test(name) || name === '' ? `"${name.replaceAll('"', '""')}"` : name;
}

/** `listName` as typed in a shell: in single quotes unless it is a plain word. */
export function listArg(name: string): string {
  const text = listName(name);
  return /^[\w.\/-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** A comma-separated list of column names; names are kept exactly, except for surrounding spaces. */
export const columnList = (value: string): string[] => nameList(value, 'column');

/** A comma-separated list of customer ids (explain --rows). */
export const idList = (value: string): string[] => nameList(value, 'id');

/** The --scale choices and the pipeline method each stands for; 'log' is log1p then standardised. */
export const SCALE_CHOICES: Readonly<Record<string, ScaleMethod | false>> = Object.freeze({
  standard: 'standard',
  minmax: 'minmax',
  robust: 'robust',
  log: 'log1p',
  log1p: 'log1p',
  none: false,
});

export const IMPUTE_CHOICES: Readonly<Record<string, ImputeStrategy | false>> = Object.freeze({
  median: 'median',
  mean: 'mean',
  'most-frequent': 'mostFrequent',
  constant: 'constant',
  none: false,
});

/** `--encode auto|none|COL,COL`. */
export function encodeValue(value: string): 'auto' | false | string[] {
  const text = value.trim();
  if (text === 'auto') return 'auto';
  if (text === 'none') return false;
  return columnList(value);
}

/** An ISO 8601 date or timestamp (e.g. 2024-01-31 or 2024-01-31T12:00:00Z). */
export function isoDate(value: string): string {
  const text = value.trim();
  // the dates the log's own date column takes (an offset of hours alone, +01, a decimal comma), so an --as-of copied
  // from the log is never refused
  if (Number.isNaN(parseIsoDate(text))) throw new InvalidArgumentError(`must be an ISO 8601 date such as 2024-01-31.`);
  return text;
}

const DELIMITER_NAMES: Readonly<Record<string, string>> = Object.freeze({ tab: '\t', '\\t': '\t', comma: ',', semicolon: ';', pipe: '|', auto: 'auto' });

/** `--delimiter auto|tab|,|;|...`: one character, or a name for one. */
export function delimiterValue(value: string): string {
  const named = DELIMITER_NAMES[value.toLowerCase()];
  if (named !== undefined) return named;
  if (value.length !== 1 || /[\r\n"]/.test(value)) throw new InvalidArgumentError('must be auto, tab, or one character other than a quote or a line break.');
  return value;
}

/** `--decimal .|,`. */
export function decimalMark(value: string): '.' | ',' {
  if (value !== '.' && value !== ',') throw new InvalidArgumentError('must be . or ,');
  return value;
}

/** `--encoding latin1`: any encoding TextDecoder knows. */
export function encodingValue(value: string): string {
  try {
    encodingOption(value);
  } catch {
    throw new InvalidArgumentError('must be an encoding such as utf-8, latin1, windows-1252 or utf-16le.');
  }
  return value;
}

/**
 * `--na NA,-,?`: the cells that mean missing (the empty cell always does); "" for none besides it. Each token is
 * trimmed, as list options' names are (`--na 'NA, unknown'` means the cell "unknown"); a token in double quotes keeps
 * its commas and spaces (`--na '" NA"'`).
 */
export function naList(value: string): string[] {
  if (value === '') return [];
  return splitList(value, () => new InvalidArgumentError('must be cell texts separated by commas (one holding a comma or surrounding spaces in double quotes: "n,a"), or "" for none.')).names;
}
