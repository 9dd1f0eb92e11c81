import type { Table } from '#arrow';
import { badOption } from '../util/errors.js';

export interface WriteArrowOptions {
  /** "file" (random access; .arrow/.feather) or "stream" (default "file"). */
  readonly format?: 'file' | 'stream';
}

export const WRITE_ARROW_DEFAULTS = Object.freeze({ format: 'file' as const });

/**
 * Writes an Arrow table as Arrow IPC bytes, the file format by default. Asynchronous as `writeParquet` is: the IPC
 * codec is imported on first use, so bundles that never read or write IPC bytes leave it out.
 * @example
 * const bytes = await writeArrow(segments);
 */
export async function writeArrow(table: Table, options: WriteArrowOptions = {}): Promise<Uint8Array> {
  const format = options.format ?? WRITE_ARROW_DEFAULTS.format;
  if (format !== 'file' && format !== 'stream') throw badOption('format', format, '"file" or "stream"');
  const { tableToIPC } = await import('#arrow/ipc');
  return tableToIPC(table, format);
}
