import { type FileHandle, open } from 'node:fs/promises';
import { DataType, Message, MessageHeader, RecordBatchFileWriter, RecordBatchReader, RecordBatchStreamWriter, type RecordBatch, type Schema, Table } from '#arrow';
import { SegkitError, throwIfAborted } from '../util/errors.js';
import { AtomicFile } from './writeFileAtomic.node.js';
import { checkBatchRows, checkColumnNames, decimalsAsNumbers } from './arrowTable.js';

export interface ReadArrowBatchesOptions {
  signal?: AbortSignal;
  /**
   * Read the record batches into four buffers used in turn rather than a new one each: a batch's values are then
   * valid only until the batch three after it is asked for (a streaming consumer that writes a batch while it scores
   * the next and reads the one after that). The first touch of freshly allocated memory costs a page fault per 4 KiB, which
   * on some machines costs more than reading the file.
   */
  recycle?: boolean;
  /**
   * With `recycle`: the four buffers are SharedArrayBuffers, so a batch's uncompressed column values are views on
   * shared memory, which worker threads read where they are instead of having them copied in for each batch.
   */
  shared?: boolean;
}

/**
 * Reads an Arrow IPC file (file or stream format) one record batch at a time, each as a one-batch table: memory
 * holds one batch, whatever the file size. Batches compressed with LZ4 frames or Zstandard are decompressed. A file
 * that is not Arrow IPC is an E_PARSE error naming the path.
 */
export async function* readArrowBatches(path: string, options: ReadArrowBatchesOptions = {}): AsyncGenerator<Table> {
  const codecs = await import('./codecs.js');
  codecs.registerArrowDecoders();
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new SegkitError('E_IO', `cannot read "${path}": ${reason}`, undefined, { cause: error });
  }
  try {
    const size = (await handle.stat()).size;
    if (size === 0) throw new SegkitError('E_EMPTY_DATA', `"${path}" is empty`);
    let batches = 0;
    let reader: RecordBatchReader;
    /** Bytes [at, at + n) of the file, fewer where it ends: what the checks of its messages read. */
    const readAt = async (at: number, n: number): Promise<Uint8Array> => {
      const out = new Uint8Array(Math.max(0, Math.min(n, size - at)));
      await readFully(handle, out, at);
      return out;
    };
    try {
      // a file handle gives the random-access file reader (or the stream reader, by the magic bytes); recycled reads
      // hand the stream reader one whole message at a time, each read into its own buffer or a recycled one
      const fromHandle = RecordBatchReader.from as unknown as (source: FileHandle) => Promise<RecordBatchReader>;
      if (options.recycle) {
        // the file format keeps its schema in the footer (some writers put it only there): Arrow's file reader reads
        // it, then the stream of messages starts with it
        let schema: Schema | undefined;
        if (await isFileFormat(handle, size)) {
          const footer = await fromHandle(handle);
          await footer.open();
          schema = footer.schema;
        }
        reader = await (RecordBatchReader.from as unknown as (source: AsyncIterable<Uint8Array>) => Promise<RecordBatchReader>)(messages(handle, size, schema, options.shared === true));
      } else {
        // a stream's messages are walked first: apache-arrow's reader waits for ever on a length past the end
        if (!(await isFileFormat(handle, size))) await codecs.checkStreamMessages(size, readAt);
        reader = await fromHandle(handle);
      }
      await reader.open();
      codecs.unnamedAsEmpty(reader);
      // the file format's footer checked before apache-arrow's file reader follows it
      if (reader.isFile()) {
        await codecs.checkFileFooter(reader, size, readAt);
      }
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
      if (batches++ === 0) checkColumnNames(next.value.schema.fields.map((f) => f.name), 'the Arrow input');
      const table = new Table([next.value]);
      checkBatchRows(table, `"${path}"`, batches - 1);
      codecs.checkUtf8Columns(table, `"${path}"`);
      yield decimalsAsNumbers(table, true);
    }
    if (batches === 0 && reader.schema?.fields.length === 0) throw notArrow(path, new Error('no schema was found'));
  } finally {
    await handle.close().catch(() => undefined);
  }
}

const MAGIC = [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]; // "ARROW1"
const RING = 4;

/** Reads bytes [at, at + out.length) of the file into `out`; false when the file ends first. */
async function readFully(handle: FileHandle, out: Uint8Array, at: number): Promise<boolean> {
  for (let got = 0; got < out.length;) {
    const { bytesRead } = await handle.read(out, got, out.length - got, at + got);
    if (bytesRead === 0) return false;
    got += bytesRead;
  }
  return true;
}

/**
 * Bytes of the file read past each message in the same read: the next message's length and metadata (about 2 KB
 * for a batch of 17 columns) are then in hand, and the next batch costs one read. A caller that asks for the next
 * batch before working on this one (as `segkit score` does) has that read run meanwhile; with a read for each of the
 * length, the metadata and the body, the calling thread had to take a turn between them, and `segkit score` on a
 * 10M-row file spent 0.5 s of 2.2 waiting for the file.
 */
const LOOKAHEAD = 1 << 16;

/**
 * The file's IPC messages as a stream, one whole message (prefix, metadata and body) a chunk, then the end-of-stream
 * marker. For the file format (`schema` given, from its footer), the schema goes first and the leading magic and the
 * footer are left out. Record batches are read into RING buffers in turn (grown when a batch is larger; shared memory
 * with `shared`); the schema and dictionary batches, which later batches refer to, into their own.
 */
async function* messages(handle: FileHandle, size: number, schema: Schema | undefined, shared: boolean): AsyncGenerator<Uint8Array> {
  const truncated = (): Error => new Error('the file ends inside a message');
  let pos = 0, end = size;
  // bytes [aheadAt, aheadAt + ahead.length) of the file, read with the previous message
  let ahead = new Uint8Array(0), aheadAt = 0;
  /** Bytes [at, at + out.length) into `out`: what the read-ahead holds is copied, the rest read; false when the file ends first. */
  const read = async (out: Uint8Array, at: number): Promise<boolean> => {
    const from = at - aheadAt;
    const held = from >= 0 ? Math.max(0, Math.min(out.length, ahead.length - from)) : 0;
    if (held > 0) out.set(ahead.subarray(from, from + held));
    return held === out.length || readFully(handle, out.subarray(held), at + held);
  };
  const word = new Uint8Array(8);
  const words = new DataView(word.buffer);
  if (schema) {
    // the file format: magic and padding, the messages, then the footer, its int32 length and the magic
    pos = 8;
    if (size >= 18 && (await readFully(handle, word.subarray(0, 4), size - 10))) end = Math.max(pos, size - 10 - words.getInt32(0, true));
    yield framed(Message.encode(Message.from(schema)));
  }
  const ring: Uint8Array[] = [];
  let turn = 0;
  while (pos + 4 <= end) {
    if (!(await read(word.subarray(0, 4), pos))) throw truncated();
    let head = 4, metaLength = words.getInt32(0, true);
    if (metaLength === -1) {
      // the continuation marker, then the length
      if (pos + 8 > end || !(await read(word.subarray(0, 4), pos + 4))) throw truncated();
      head = 8;
      metaLength = words.getInt32(0, true);
    }
    if (metaLength === 0) break;
    if (metaLength < 0 || pos + head + metaLength > end) throw truncated();
    const meta = new Uint8Array(metaLength);
    if (!(await read(meta, pos + head))) throw truncated();
    const message = Message.decode(meta);
    const body = Number(message.bodyLength);
    // a body length that is negative or runs past the end would read backwards, stand still or read beyond the file
    if (!(Number.isSafeInteger(body) && body >= 0)) throw new Error(`a message has body length ${body}`);
    const total = head + metaLength + body;
    if (pos + total > end) throw truncated();
    // the message and, after it, up to LOOKAHEAD bytes of what follows (never past the messages' end)
    const extra = Math.min(LOOKAHEAD, end - (pos + total));
    const batch = message.headerType === MessageHeader.RecordBatch;
    let slot: Uint8Array;
    if (batch) {
      const r = turn++ % RING;
      if (!ring[r] || ring[r].length < total + extra) ring[r] = new Uint8Array(shared ? new SharedArrayBuffer(total + extra) : new ArrayBuffer(total + extra));
      slot = ring[r];
    } else {
      slot = new Uint8Array(total + extra);
    }
    if (!(await read(slot.subarray(0, total + extra), pos))) throw truncated();
    ahead = slot.slice(total, total + extra);
    aheadAt = pos + total;
    pos += total;
    // schema and dictionary messages are kept while the file is read: without the read-ahead's bytes
    yield batch || extra === 0 ? slot.subarray(0, total) : slot.slice(0, total);
  }
  yield Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);
}

/** Whether the file starts with the file format's magic. */
async function isFileFormat(handle: FileHandle, size: number): Promise<boolean> {
  const head = new Uint8Array(6);
  return size >= 8 && (await readFully(handle, head, 0)) && MAGIC.every((b, q) => head[q] === b);
}

/** Encapsulated message metadata: the continuation marker, the padded length, the bytes padded to 8. */
function framed(meta: Uint8Array): Uint8Array {
  const padded = (meta.length + 7) & ~7;
  const out = new Uint8Array(8 + padded);
  const view = new DataView(out.buffer);
  view.setInt32(0, -1, true);
  view.setInt32(4, padded, true);
  out.set(meta, 8);
  return out;
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
  /** `write` has written a batch's bytes when it resolves. */
  readonly streaming = true;
  private readonly pending: Uint8Array[] = [];
  private readonly reading: Promise<void>;
  private failure: unknown;
  private schema: Schema | undefined;
  private firstBatch: RecordBatch | undefined;

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
      try {
        this.writer.write(batch);
      } catch (error) {
        // the file format holds one dictionary per column, extended by deltas (a stream may replace it batch by batch)
        if (!/replacement dictionar/i.test((error as Error).message)) throw error;
        const firstBatch = this.firstBatch;
        const field = batch.schema.fields.find((f, j) => DataType.isDictionary(f.type) && batch.data.children[j].dictionary !== firstBatch?.data.children[j].dictionary);
        throw new SegkitError('E_SHAPE_MISMATCH', `column "${field?.name ?? '(a dictionary column)'}" changes its dictionary between record batches, which an Arrow file cannot hold`, 'write the output as CSV or Parquet, or give the input one dictionary for the whole column', { cause: error });
      }
      this.firstBatch ??= batch;
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
