// `segkit score`'s CSV batches read on a worker thread of their own (csvReadWorker.node.ts), so that splitting and
// parsing the text, which is most of the work, runs beside the scoring and writing of the batches before. The
// batches, their file lines, the records as read and every error are those of csvRecordsWith on the calling thread.
import { Worker } from 'node:worker_threads';
import { type Table, tableFromIPC } from 'apache-arrow';
import type { ColumnType } from '../data/columnBuilder.js';
import { type CsvRecordsOptions, type TextStats, withCsvInfo } from '../data/csvCore.js';
import type { RecordBlock } from '../data/recordTexts.js';
import { builtFile } from '../engine/piscina.node.js';
import { SegkitError, type SegkitErrorCode, throwIfAborted } from '../util/errors.js';
import { replacedProbaColumns } from './probaColumns.js';
import { replacedColumns } from './withSegments.js';

/** When CSV records are written as they were read (see score.ts): told by the header's names and the file's delimiter. */
export interface AsReadRule {
  /** The output's delimiter. */
  readonly delimiter: string;
  readonly segmentColumn: string;
  /** Probabilities are added and the input's decimal mark is a comma (segkit then writes the cells). */
  readonly probaComma: boolean;
  /** The columns the model reads. */
  readonly used: readonly string[];
}

/** Whether records with these column names, in a file of this delimiter, are written as read. */
export function recordsAsRead(rule: AsReadRule, names: readonly string[], found: string | undefined): boolean {
  const replaced = replacedColumns(names, rule.segmentColumn).length + replacedProbaColumns(names, rule.segmentColumn).length;
  return found === rule.delimiter && replaced === 0 && !rule.probaComma;
}

export interface CsvReadTask {
  /** A file descriptor the calling thread opened and has not read from (a file or a pipe), read to its end and left open. */
  readonly fd: number;
  readonly options: Omit<CsvRecordsOptions, 'signal'>;
  readonly types: Record<string, ColumnType>;
  /** Keep the records as read, by this rule (RecordTexts). */
  readonly texts?: AsReadRule;
  /** Batches sent before the calling thread asks for more. */
  readonly ahead: number;
}

interface SentError {
  readonly code?: SegkitErrorCode;
  readonly message: string;
  readonly hint?: string;
}

export type ReadMessage =
  | { kind: 'bytes'; total: number }
  | {
    kind: 'batch'; ipc: Uint8Array; runs: { rows: Int32Array; lines: Int32Array };
    info: { delimiter: string; detected: boolean; textStats: Map<string, TextStats> };
    block?: RecordBlock; blockError?: SentError;
    texts?: { header: Uint8Array | undefined; newline: string; numeric: Uint8Array; verbatim: boolean };
  }
  | { kind: 'end' }
  | { kind: 'error'; error: SentError };

/** An error as it crosses to the calling thread: a SegkitError's code, message and hint; any other's message. */
export function sentError(error: unknown): SentError {
  if (error instanceof SegkitError) {
    const tail = error.hint ? ` (${error.hint})` : '';
    return { code: error.code, message: tail && error.message.endsWith(tail) ? error.message.slice(0, -tail.length) : error.message, hint: error.hint };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

function received(e: SentError): Error {
  return e.code ? new SegkitError(e.code, e.message, e.hint) : new Error(e.message);
}

/** The records as read of the batches a worker sent: RecordTexts' fields, each batch's block taken as it comes. */
export class SentRecords {
  header: Uint8Array | undefined;
  newline = '\n';
  numeric = new Uint8Array(0);
  verbatim = false;
  private blocks: { rows: number; block?: RecordBlock; error?: SentError }[] = [];

  /** The next batch's records (`n`: its rows). */
  take(n: number): RecordBlock {
    const next = this.blocks.shift();
    if (next?.error) throw received(next.error);
    if (!next?.block || next.rows !== n) throw new Error(`${n} records asked for, ${next?.rows ?? 0} read`);
    return next.block;
  }

  /** @internal */
  add(rows: number, block: RecordBlock | undefined, error: SentError | undefined): void {
    if (block || error) this.blocks.push({ rows, block, error });
  }
}

/** The line of row `row` of a batch from its runs (see csvReadWorker.node.ts). */
function lineOf(runs: { rows: Int32Array; lines: Int32Array }, row: number): number {
  let lo = 0, hi = runs.rows.length - 1;
  if (hi < 0) return row + 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (runs.rows[mid] <= row) lo = mid;
    else hi = mid - 1;
  }
  return runs.lines[lo] + (row - runs.rows[lo]);
}

/**
 * csvRecordsWith over the file open as `task.fd`, read on a worker thread; `records` gets the records as read where
 * `task.texts` asks for them. The worker stops when the generator is closed.
 */
export async function* csvBatchesAhead(task: CsvReadTask, onBytes: (total: number) => void, records?: SentRecords, signal?: AbortSignal): AsyncGenerator<Table> {
  throwIfAborted(signal);
  const worker = new Worker(builtFile(new URL('./csvReadWorker.node.js', import.meta.url).href), { workerData: task });
  const queue: ReadMessage[] = [];
  let failed: Error | undefined;
  let exited = false;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (m: ReadMessage) => {
    if (m.kind === 'bytes') onBytes(m.total);
    else queue.push(m);
    poke();
  });
  worker.on('error', (e) => {
    failed = new SegkitError('E_WORKER', `the CSV reader's thread failed: ${e.message}`, undefined, { cause: e });
    poke();
  });
  worker.on('exit', () => {
    exited = true;
    poke();
  });
  // a cancel ends the wait for the next batch at once
  signal?.addEventListener('abort', poke);
  try {
    for (;;) {
      while (queue.length === 0 && !failed && !exited && !signal?.aborted) await new Promise<void>((resolve) => (wake = resolve));
      throwIfAborted(signal);
      const m = queue.shift();
      if (!m) throw failed ?? new SegkitError('E_WORKER', 'the CSV reader\'s thread stopped before the end of the file');
      if (m.kind === 'end') return;
      if (m.kind === 'error') throw received(m.error);
      if (m.kind !== 'batch') continue;
      const table = tableFromIPC(m.ipc);
      const runs = m.runs;
      withCsvInfo(table, { delimiter: m.info.delimiter, detected: m.info.detected, textStats: m.info.textStats, line: (row) => lineOf(runs, row) });
      if (records) {
        if (m.texts) Object.assign(records, m.texts);
        records.add(table.numRows, m.block, m.blockError);
      }
      worker.postMessage({ more: 1 });
      yield table;
    }
  } finally {
    signal?.removeEventListener('abort', poke);
    await worker.terminate();
  }
}
