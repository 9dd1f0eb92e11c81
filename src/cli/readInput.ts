import type { Table } from 'apache-arrow';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { readCsv } from '../data/readCsv.js';
import { readNdjson } from '../data/readNdjson.js';
import { readTable } from '../data/readTable.node.js';
import { tableFormat, type TableFormat } from '../data/tableFormat.js';
import { SegkitError, restate, throwIfAborted } from '../util/errors.js';
import { UsageError } from './exitCodes.js';
import type { RunContext } from './runContext.js';

/** How messages name an input: its path in quotes, or standard input. */
export function inputName(path: string): string {
  return path === '-' ? 'standard input' : `"${path}"`;
}

/** A library error about the contents of a file, restated with the file's name in front. */
export function inFile(error: unknown, what: string): unknown {
  if (!(error instanceof SegkitError) || error.message.includes(what)) return error;
  return restate(error, (message) => `${what}: ${message}`);
}

/** Counts the bytes flowing from a file into a reader, for a progress bar. */
export async function* counted(stream: AsyncIterable<Buffer>, onBytes: (total: number) => void): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    onBytes(total);
    yield chunk;
  }
}

const EXTENSIONS = '.csv, .tsv, .json, .ndjson, .jsonl, .arrow, .feather, .ipc or .parquet';

/** The format of an input path, an unknown extension being a usage error. */
export function inputFormat(path: string, format: TableFormat | undefined): TableFormat {
  try {
    return tableFormat(path, format);
  } catch {
    throw new UsageError(`cannot tell the format of "${path}" from its extension; use ${EXTENSIONS}, or pass --format`);
  }
}

/** The format of an output path given to `option` ("-" is CSV on stdout), an unknown extension being a usage error. */
export function outputFormat(path: string, option: string): TableFormat {
  try {
    return tableFormat(path, undefined);
  } catch {
    throw new UsageError(`${option}: cannot tell the format of "${path}" from its extension; use ${EXTENSIONS}`);
  }
}

/**
 * Reads a whole table file (or standard input for "-") by its extension or `format`. With progress on, text formats
 * show a bar of bytes read; otherwise readTable does the work.
 */
export async function readInput(path: string, ctx: RunContext, format?: TableFormat, label = 'reading'): Promise<Table> {
  const fmt = inputFormat(path, format);
  const what = inputName(path);
  const textual = fmt === 'csv' || fmt === 'tsv' || fmt === 'ndjson';
  let size = -1;
  if (ctx.progress.enabled && path !== '-' && textual) size = await stat(path).then((s) => (s.isFile() ? s.size : -1), () => -1);
  try {
    if (size < 0) return await readTable(path, { format: fmt, signal: ctx.signal });
    const bar = ctx.progress.start(label, size, 'bytes');
    try {
      const source = counted(createReadStream(path, { highWaterMark: 1 << 16 }), (n) => bar.update(n));
      const table = fmt === 'ndjson' ? await readNdjson(source, { signal: ctx.signal }) : await readCsv(source, { signal: ctx.signal, ...(fmt === 'tsv' ? { delimiter: '\t' } : {}) });
      throwIfAborted(ctx.signal);
      return table;
    } finally {
      bar.stop();
    }
  } catch (error) {
    if (error instanceof SegkitError) throw inFile(error, what);
    throw new SegkitError('E_IO', `cannot read ${what}: ${(error as Error)?.message ?? String(error)}`, undefined, { cause: error });
  }
}

export function columnNames(table: Table): string[] {
  return table.schema.fields.map((f) => f.name);
}

/** A usage error unless the table has the column named by `option`. */
export function requireColumn(table: Table, name: string, option: string, path: string): void {
  const names = columnNames(table);
  if (names.includes(name)) return;
  const shown = names.length > 20 ? [...names.slice(0, 20), '…'] : names;
  throw new UsageError(`${option}: column "${name}" is not in ${inputName(path)} (it has: ${shown.join(', ')})`);
}
