import type { Table } from '#arrow';
import { createReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { builtFile } from '../engine/piscina.node.js';
import { badOption, throwIfAborted } from '../util/errors.js';
import { type ReadCsvOptions, checkCsvOptions, csvSettings, readCsvWith } from './csvCore.js';
import { type CsvPart, readCsvJoined } from './csvParts.js';
import type { CsvPartTask } from './csvPartWorker.node.js';
import { RECORD_BYTES_LIMIT, type RecordsRead, keepAllRecords, keepInto } from './recordTexts.js';

export interface ReadCsvFileOptions extends ReadCsvOptions {
  /** Threads that read parts of a large file at once (default: all cores); 1 reads it on the calling thread. */
  readonly threads?: number;
  /** Told the bytes read so far, as an estimate while other threads read parts. */
  readonly onBytes?: (bytes: number) => void;
  /** The smallest part a thread reads (default 16 MiB). */
  readonly minPartBytes?: number;
}

const MIN_PART = 16 << 20;
const BLOCK = 1 << 20;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

interface Cut {
  /** The header record, with its line break, and the line breaks in it. */
  readonly header: Buffer;
  readonly headerLines: number;
  /** The first byte of each part after the first. */
  readonly starts: number[];
}

/**
 * Where to cut a file into `parts` parts at record starts: the header record and each later part's first byte. A
 * record ends at a line feed outside quotes (after a CR where the header ends in CR LF), told by the parity of the
 * quotes before it (a doubled quote inside a quoted field counts twice). Undefined where the file cannot be cut so:
 * records that end with a lone CR, a first line that is empty, or too few records.
 */
export async function cutPoints(handle: FileHandle, size: number, parts: number, quoting: boolean): Promise<Cut | undefined> {
  const targets = Array.from({ length: parts - 1 }, (_, k) => Math.floor(((k + 1) * size) / parts));
  const found: number[] = [];
  let headerEnd = -1;
  let odd = false;
  // whether records end in CR LF (told by the header's end), and the byte before the block being scanned
  let crlf = false;
  let last = -1;
  const buf = Buffer.allocUnsafe(BLOCK);
  for (let base = 0; base < size && found.length < targets.length; base += BLOCK) {
    const { bytesRead } = await handle.read(buf, 0, Math.min(BLOCK, size - base), base);
    const block = buf.subarray(0, bytesRead);
    let i = 0;
    while (i < block.length && found.length < targets.length) {
      const target = headerEnd < 0 ? 0 : Math.max(targets[found.length], headerEnd + 1);
      if (base + i < target) {
        // quotes before the target change only the parity
        const stop = Math.min(block.length, target - base);
        if (quoting) for (let q = block.indexOf(QUOTE, i); q !== -1 && q < stop; q = block.indexOf(QUOTE, q + 1)) odd = !odd;
        i = stop;
        continue;
      }
      const q = quoting ? block.indexOf(QUOTE, i) : -1;
      if (odd) {
        if (q === -1) break;
        odd = false;
        i = q + 1;
        continue;
      }
      const nl = block.indexOf(LF, i);
      if (q !== -1 && (nl === -1 || q < nl)) {
        odd = true;
        i = q + 1;
        continue;
      }
      if (nl === -1) break;
      const before = nl > 0 ? block[nl - 1] : last;
      i = nl + 1;
      if (headerEnd < 0) {
        headerEnd = base + nl + 1;
        crlf = before === CR;
        // in a file whose lines end in CR LF, a bare LF is part of a record
      } else if (!crlf || before === CR) found.push(base + nl + 1);
    }
    last = block[block.length - 1];
  }
  if (headerEnd < 0 || found.length < targets.length || found[found.length - 1] >= size) return undefined;
  const header = Buffer.alloc(headerEnd);
  await handle.read(header, 0, headerEnd, 0);
  // a file whose records end with a lone CR, or that starts with an empty line, is read by one thread
  const text = header.subarray(header[0] === 0xef && header[1] === 0xbb && header[2] === 0xbf ? 3 : 0);
  const cr = text.indexOf(CR);
  if (text[0] === LF || text[0] === CR || (cr !== -1 && cr !== text.length - 2)) return undefined;
  let headerLines = 0;
  for (let k = text.indexOf(LF); k !== -1; k = text.indexOf(LF, k + 1)) headerLines++;
  return { header, headerLines, starts: found };
}

/**
 * Reads a CSV file into one Arrow table, as readCsv does, with large UTF-8 files cut at record starts into parts
 * that worker threads read at once, this thread reading the first. The parts are joined as one reader would have
 * read the file: the same table, types and line numbers. A file the parts cannot give exactly so (a column whose type
 * changes between parts in a way only one reader follows), and any error, is read again by one thread, which gives
 * the table or the error reading it whole gives. `records`, when given, gets each record's text as read (see
 * RecordsRead), from whichever reader gave the table.
 */
export async function readCsvFile(path: string, options: ReadCsvFileOptions = {}, records?: RecordsRead): Promise<Table> {
  const { threads: wanted, onBytes, minPartBytes = MIN_PART, ...csv } = options;
  checkCsvOptions(csv, 'readCsvFile');
  const settings = csvSettings(csv);
  if (wanted !== undefined && (!Number.isInteger(wanted) || wanted < 1)) throw badOption('threads', wanted, 'a positive integer');
  if (!Number.isInteger(minPartBytes) || minPartBytes < 1) throw badOption('minPartBytes', minPartBytes, 'a positive integer');
  const handle = await open(path, 'r');
  try {
    const stats = await handle.stat();
    // a pipe or a device has no parts to seek to
    const size = stats.isFile() ? stats.size : 0;
    const parts = Math.min(wanted ?? availableParallelism(), Math.floor(size / minPartBytes), 8);
    // a file larger than the limit keeps no records, whichever readers read it (each reader's own limit is per reader)
    if (records && size > (records.limit ?? RECORD_BYTES_LIMIT)) {
      Object.assign(records, { header: undefined, blocks: [] });
      records = undefined;
    }
    // one reader of the whole file, keeping the records as read when asked
    const one = async (source: AsyncIterable<Buffer>): Promise<Table> => {
      // a read before (parts that did not join) leaves nothing behind
      if (records) Object.assign(records, { header: undefined, blocks: [] });
      const texts = records ? keepAllRecords(records.delimiter, records.limit) : undefined;
      const table = await readCsvWith(source, csv, texts);
      if (records && texts) keepInto(records, texts);
      return table;
    };
    if (parts < 2 || settings.encoding !== 'utf-8' || (settings.quote !== '"' && settings.quote !== '')) {
      return await one(counted(handle.createReadStream({ autoClose: false, highWaterMark: BLOCK }), onBytes));
    }
    const cut = await cutPoints(handle, size, parts, settings.quote !== '');
    // the progress told never goes back, though the file may be read twice
    let told = 0;
    const tell = onBytes && ((n: number) => n > told && onBytes((told = n)));
    // each read has its own descriptor: a stream that stops on an error closes its descriptor, whatever autoClose says
    const whole = (): Promise<Table> => one(counted(createReadStream(path, { highWaterMark: BLOCK }), tell));
    if (!cut) return await whole();
    const table = await joined(path, size, cut, csv, tell, records).catch(() => undefined);
    throwIfAborted(settings.signal);
    return table ?? (await whole());
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function joined(path: string, size: number, cut: Cut, csv: ReadCsvOptions, onBytes: ((n: number) => void) | undefined, records: RecordsRead | undefined): Promise<Table | undefined> {
  const { signal, ...shared } = csv;
  const header = cut.header;
  const bounds = [...cut.starts, size];
  const pool = new Piscina({ filename: builtFile(new URL('./csvPartWorker.node.js', import.meta.url).href), minThreads: bounds.length - 1, maxThreads: bounds.length - 1 });
  const stop = () => void pool.destroy();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    const later = Promise.all(
      cut.starts.map((start, k) => pool.run({ path, header, start, end: bounds[k + 1], headerLines: cut.headerLines, ...(records ? { records: { delimiter: records.delimiter, limit: records.limit } } : {}), options: shared } satisfies CsvPartTask) as Promise<CsvPart>),
    );
    later.catch(() => undefined);
    // the estimate: this thread's share of the bytes, scaled to the file
    const scale = size / cut.starts[0];
    const first = createReadStream(path, { start: 0, end: cut.starts[0] - 1, highWaterMark: BLOCK });
    return await readCsvJoined(counted(first, onBytes && ((n) => onBytes(Math.round(n * scale)))), later, csv, records);
  } finally {
    signal?.removeEventListener('abort', stop);
    await pool.destroy();
  }
}

async function* counted(stream: AsyncIterable<Buffer>, onBytes: ((n: number) => void) | undefined): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    onBytes?.(total);
    yield chunk;
  }
}
