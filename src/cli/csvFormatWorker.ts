// A worker thread of `segkit score`: it formats scored batches as CSV while the calling thread reads and scores the
// next one. A batch comes as Arrow IPC bytes, or as the records' texts with their labels (verbatimCsv.ts); its CSV
// bytes go back moved, not copied.
import { tableFromIPC } from '#arrow';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { writeCsvBytes } from '../data/writeCsv.js';
import { type RecordRowsTask, recordRows } from './verbatimCsv.js';

/** A batch to format, and `spare`: a buffer the calling thread is done with, for the output (see recordRows). */
export type CsvFormatTask = ({ ipc: Uint8Array; header: boolean; delimiter?: string } | RecordRowsTask) & { spare?: Uint8Array };

/** The CSV bytes of a batch, and the record buffers of its task, given back for the calling thread's next batch. */
export interface CsvFormatted {
  bytes: Uint8Array;
  records?: Pick<RecordRowsTask, 'records' | 'starts' | 'ends' | 'risky'>;
}

export default function formatCsv(task: CsvFormatTask): unknown {
  const done: CsvFormatted = 'ipc' in task
    ? { bytes: writeCsvBytes(tableFromIPC(task.ipc), { header: task.header, ...(task.delimiter ? { delimiter: task.delimiter } : {}) }) }
    : { bytes: recordRows(task, task.spare), records: { records: task.records, starts: task.starts, ends: task.ends, risky: task.risky } };
  // the buffers are moved, not copied (views keep their lengths)
  const buffers = new Set([done.bytes.buffer as ArrayBuffer]);
  if (done.records) for (const a of Object.values(done.records)) buffers.add(a.buffer as ArrayBuffer);
  return move({
    get [transferableSymbol]() {
      return [...buffers];
    },
    get [valueSymbol](): CsvFormatted {
      return done;
    },
  });
}
