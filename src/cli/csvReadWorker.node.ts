// A worker thread of `segkit score`: it reads a CSV file batch by batch (csvRecordsWith, the reader the calling
// thread would run) while the calling thread scores and writes the batches before. Each batch goes back as Arrow IPC
// bytes with the file lines of its rows and, where the records are written as read, their texts, all moved, not
// copied. At most `ahead` batches are sent before the calling thread asks for more.
import { read as fsRead } from 'node:fs';
import { promisify } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import { tableToIPC } from 'apache-arrow';
import { type CsvRecordsOptions, csvInfo, csvRecordsWith } from '../data/csvCore.js';
import { type RecordBlock, RecordTexts } from '../data/recordTexts.js';
import { SegkitError } from '../util/errors.js';
import { type CsvReadTask, type ReadMessage, recordsAsRead, sentError } from './csvReadAhead.node.js';

const task = workerData as CsvReadTask;
const port = parentPort!;
let credits = task.ahead;
let wake: (() => void) | undefined;
port.on('message', (m: { more: number }) => {
  credits += m.more;
  wake?.();
  wake = undefined;
});

const send = (m: ReadMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

async function* bytes(): AsyncGenerator<Buffer> {
  // the calling thread's open file, read on from where it is (a pipe has no positions), and left open: a stream
  // over it would close it when destroyed
  const read = promisify(fsRead);
  for (let total = 0; ;) {
    const chunk = Buffer.allocUnsafeSlow(1 << 20);
    const { bytesRead } = await read(task.fd, chunk, 0, chunk.length, null);
    if (bytesRead === 0) return;
    total += bytesRead;
    send({ kind: 'bytes', total });
    yield chunk.subarray(0, bytesRead);
  }
}

/** The file line of each of the batch's rows, as runs: rows where a row does not follow on the line after the row before. */
function lineRuns(line: (row: number) => number, rows: number): { rows: Int32Array; lines: Int32Array } {
  const at: number[] = [], lines: number[] = [];
  for (let r = 0; r < rows; r++) {
    const l = line(r);
    const b = at.length - 1;
    if (b >= 0 && lines[b] + (r - at[b]) === l) continue;
    at.push(r);
    lines.push(l);
  }
  return { rows: Int32Array.from(at), lines: Int32Array.from(lines) };
}

async function read(): Promise<void> {
  const texts = task.texts
    ? new RecordTexts((name) => task.types[name] !== 'number', (header, found) => (recordsAsRead(task.texts!, header, found) ? new Set(header.filter((name) => !task.texts!.used.includes(name))) : undefined))
    : undefined;
  let first = true;
  for await (const batch of csvRecordsWith(bytes(), task.options as CsvRecordsOptions, texts)) {
    const info = csvInfo(batch)!;
    const ipc = tableToIPC(batch, 'stream');
    const runs = lineRuns(info.line, batch.numRows);
    let block: RecordBlock | undefined;
    let blockError: ReturnType<typeof sentError> | undefined;
    if (texts?.verbatim) {
      try {
        block = texts.take(batch.numRows);
      } catch (error) {
        blockError = sentError(error);
      }
    }
    while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
    credits--;
    const transfer = [ipc.buffer, runs.rows.buffer, runs.lines.buffer] as ArrayBuffer[];
    if (block) transfer.push(...[block.records, block.starts, block.ends, block.risky].map((a) => a.buffer as ArrayBuffer));
    send({
      kind: 'batch', ipc, runs, block, blockError,
      info: { delimiter: info.delimiter, detected: info.detected, textStats: new Map(info.textStats) },
      texts: first && texts ? { header: texts.header, newline: texts.newline, numeric: texts.numeric, verbatim: texts.verbatim } : undefined,
    }, transfer);
    first = false;
  }
  send({ kind: 'end' });
}

read().catch((error: unknown) => {
  try {
    send({ kind: 'error', error: sentError(error) });
  } catch {
    send({ kind: 'error', error: sentError(new SegkitError('E_IO', `reading failed: ${String(error)}`)) });
  }
});
