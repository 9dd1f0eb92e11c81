// A worker thread of `segkit score`: it formats scored batches as CSV while the calling thread reads and scores the
// next one. A batch comes as Arrow IPC bytes, or as the records' texts with their labels (verbatimCsv.ts); its CSV
// bytes go back moved, not copied.
import { tableFromIPC } from 'apache-arrow';
import { Piscina } from 'piscina';
import { writeCsvBytes } from '../data/writeCsv.js';
import { type RecordRowsTask, recordRows } from './verbatimCsv.js';

export type CsvFormatTask = { ipc: Uint8Array; header: boolean; delimiter?: string } | RecordRowsTask;

export default function formatCsv(task: CsvFormatTask): unknown {
  const bytes = 'ipc' in task
    ? writeCsvBytes(tableFromIPC(task.ipc), { header: task.header, ...(task.delimiter ? { delimiter: task.delimiter } : {}) })
    : recordRows(task);
  // a view of the formatting buffer: the buffer itself is moved (it is this call's own), the view keeps its length
  return Piscina.move(bytes);
}
