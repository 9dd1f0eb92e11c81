import { type Table, tableToIPC } from 'apache-arrow';
import { badOption } from '../util/errors.js';

export interface WriteArrowOptions {
  /** "file" (random access; .arrow/.feather) or "stream" (default "file"). */
  readonly format?: 'file' | 'stream';
}

export const WRITE_ARROW_DEFAULTS = Object.freeze({ format: 'file' as const });

/**
 * Writes an Arrow table as Arrow IPC bytes, the file format by default.
 * @example
 * const bytes = writeArrow(segments);
 */
export function writeArrow(table: Table, options: WriteArrowOptions = {}): Uint8Array {
  const format = options.format ?? WRITE_ARROW_DEFAULTS.format;
  if (format !== 'file' && format !== 'stream') throw badOption('format', format, '"file" or "stream"');
  return tableToIPC(table, format);
}
