// A worker thread of readCsvFile: it reads one part of a CSV file (the file's header record, then whole records from
// `start` to `end`) into columns, whose buffers go back moved, not copied.
import { createReadStream } from 'node:fs';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { ReadCsvOptions } from './csvCore.js';
import { type CsvPart, csvPartBuffers, readCsvPart } from './csvParts.js';

export interface CsvPartTask {
  readonly path: string;
  readonly header: Uint8Array;
  readonly start: number;
  readonly end: number;
  readonly headerLines: number;
  /** Whether the part's records as read go back too (only if the file's delimiter is `delimiter`, when given). */
  readonly records?: { delimiter?: string; limit?: number };
  readonly options: Omit<ReadCsvOptions, 'signal'>;
}

async function* partBytes(task: CsvPartTask): AsyncGenerator<Uint8Array> {
  yield task.header;
  yield* createReadStream(task.path, { start: task.start, end: task.end - 1, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
}

export default async function readPart(task: CsvPartTask): Promise<unknown> {
  const part = await readCsvPart(partBytes(task), task.options, task.headerLines, task.records);
  const buffers = csvPartBuffers(part);
  return move({
    get [transferableSymbol]() {
      return buffers;
    },
    get [valueSymbol](): CsvPart {
      return part;
    },
  });
}
