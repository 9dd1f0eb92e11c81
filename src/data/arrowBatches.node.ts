import { type FileHandle, open } from 'node:fs/promises';
import { RecordBatchFileWriter, RecordBatchReader, RecordBatchStreamWriter, type RecordBatch, type Schema, Table } from 'apache-arrow';
import { SegkitError, throwIfAborted } from '../util/errors.js';
import { AtomicFile } from './writeFileAtomic.node.js';

/**
 * Reads an Arrow IPC file (file or stream format) one record batch at a time, each as a one-batch table: memory
 * holds one batch, whatever the file size. A file that is not Arrow IPC is an E_PARSE error naming the path.
 */
export async function* readArrowBatches(path: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<Table> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new SegkitError('E_IO', `cannot read "${path}": ${reason}`, undefined, { cause: error });
  }
  try {
    if ((await handle.stat()).size === 0) throw new SegkitError('E_EMPTY_DATA', `"${path}" is empty`);
    let batches = 0;
    let reader: RecordBatchReader;
    try {
      // a file handle gives the random-access file reader (or the stream reader, by the magic bytes)
      reader = await (RecordBatchReader.from as unknown as (source: FileHandle) => Promise<RecordBatchReader>)(handle);
      await reader.open();
    } catch (error) {
      throw notArrow(path, error);
    }
    const it = reader[Symbol.asyncIterator]() as AsyncIterator<RecordBatch>;
    for (;;) {
      throwIfAborted(options.signal);
      let next: IteratorResult<RecordBatch>;
      try {
        next = await it.next();
      } catch (error) {
        throw notArrow(path, error);
      }
      if (next.done) break;
      batches++;
      yield new Table([next.value]);
    }
    if (batches === 0 && reader.schema?.fields.length === 0) throw notArrow(path, new Error('no schema was found'));
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function notArrow(path: string, error: unknown): SegkitError {
  if (error instanceof SegkitError) return error;
  return new SegkitError('E_PARSE', `"${path}" is not valid Arrow IPC data: ${(error as Error)?.message ?? String(error)}`, 'expected an Arrow IPC file or stream', { cause: error });
}

/**
 * An Arrow IPC file written batch by batch under a temporary name and renamed over the target once complete
 * (AtomicFile): memory holds one batch's bytes, never the whole file.
 */
export class ArrowFileSink {
  private readonly pending: Uint8Array[] = [];
  private readonly reading: Promise<void>;
  private failure: unknown;
  private schema: Schema | undefined;

  private constructor(private readonly file: AtomicFile, private readonly writer: RecordBatchFileWriter | RecordBatchStreamWriter) {
    // the writer queues its bytes; this loop moves them here as they come, to be written between batches
    this.reading = (async () => {
      for await (const chunk of writer) this.pending.push(chunk);
    })().catch((error) => {
      this.failure = error;
    });
  }

  static async open(path: string, format: 'file' | 'stream' = 'file'): Promise<ArrowFileSink> {
    const writer = format === 'file' ? new RecordBatchFileWriter() : new RecordBatchStreamWriter();
    return new ArrowFileSink(await AtomicFile.open(path), writer);
  }

  /** Appends the table's batches; every batch must have the first one's schema. */
  async write(table: Table): Promise<void> {
    for (const batch of table.batches) {
      // a batch of another schema would make the writer start over, silently dropping what came before
      const first = (this.schema ??= batch.schema);
      const same = batch.schema.fields.length === first.fields.length &&
        batch.schema.fields.every((f, j) => f.name === first.fields[j].name && f.type.typeId === first.fields[j].type.typeId && String(f.type) === String(first.fields[j].type));
      if (!same) throw new SegkitError('E_SHAPE_MISMATCH', 'a batch written to an Arrow file has a schema other than the first batch\'s');
      this.writer.write(batch);
    }
    await this.flush();
  }

  private async flush(): Promise<void> {
    // the reading loop runs on promise callbacks: after a macrotask turn it has taken every queued chunk
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.failure !== undefined) throw this.failure;
    if (this.pending.length > 0) await this.file.writeAll(this.pending.splice(0));
  }

  /** Writes the footer and replaces the target, unless `signal` fired: then the target stays as it was. */
  async commit(signal?: AbortSignal): Promise<void> {
    this.writer.finish();
    await this.reading;
    await this.flush();
    await this.file.commit(signal);
  }

  /** Removes the partial output. */
  async discard(): Promise<void> {
    this.writer.abort();
    await this.reading;
    await this.file.discard();
  }
}
