import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Dictionary, Float64, Int32, Message, MessageHeader, RecordBatchFileWriter, RecordBatchStreamWriter, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { readArrowBatches } from '../src/data/arrowBatches.node.js';
import { createRandom } from '../src/index.node.js';
import { failure } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'segkit-arrow-batches-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// batches of different sizes (the third is the largest, so a recycled buffer must grow), a float column with nulls,
// an int column, text, and a dictionary column whose dictionary later batches refer to
const sizes = [37, 5, 4_000, 1, 900, 4_000, 12];
const rng = createRandom(3);
const total = sizes.reduce((a, b) => a + b, 0);
const whole = new Table({
  spend: vectorFromArray(Array.from({ length: total }, (_, i) => (i % 11 === 3 ? null : Math.round(rng.normal() * 1e4) / 100)), new Float64()),
  visits: vectorFromArray(Array.from({ length: total }, () => rng.int(1_000)), new Int32()),
  id: vectorFromArray(Array.from({ length: total }, (_, i) => `C${i}`), new Utf8()),
  tier: vectorFromArray(Array.from({ length: total }, () => ['gold', 'silver', 'bronze'][rng.int(3)]), new Dictionary(new Utf8(), new Int32())),
});
// one schema and one dictionary for every batch, as a writer of one table in pieces gives
const tables = sizes.map((n, b) => {
  const from = sizes.slice(0, b).reduce((a, c) => a + c, 0);
  return whole.slice(from, from + n);
});
const rowsOf = (t: Table): unknown[] => t.toArray().map((r) => ({ ...r.toJSON() }));
const want = tables.map(rowsOf);

function write(name: string, format: 'file' | 'stream'): string {
  const writer = format === 'file' ? new RecordBatchFileWriter() : new RecordBatchStreamWriter();
  for (const t of tables) for (const batch of t.batches) writer.write(batch);
  const file = join(dir, name);
  writeFileSync(file, writer.finish().toUint8Array(true));
  return file;
}

describe('readArrowBatches with recycled buffers', () => {
  it.each(['stream', 'file'] as const)('reads an IPC %s batch by batch, each valid until the third after it is asked for', async (format) => {
    const file = write(`batches.${format}.arrow`, format);
    const plain: unknown[][] = [];
    for await (const t of readArrowBatches(file)) plain.push(rowsOf(t));
    expect(plain).toEqual(want);
    const got: Table[] = [];
    for await (const t of readArrowBatches(file, { recycle: true })) {
      got.push(t);
      // this batch and the two before it still hold their own values
      const b = got.length - 1;
      for (let q = Math.max(0, b - 2); q <= b; q++) expect(rowsOf(got[q])).toEqual(want[q]);
    }
    expect(got.map((t) => t.numRows)).toEqual(sizes);
    // the schema's types come through as written
    expect(got[0].schema.fields.map((f) => String(f.type))).toEqual(tables[0].schema.fields.map((f) => String(f.type)));
    // on shared memory: the same values, the numbers and the text's bytes views on a SharedArrayBuffer
    const shared: Table[] = [];
    for await (const t of readArrowBatches(file, { recycle: true, shared: true })) {
      shared.push(t);
      const b = shared.length - 1;
      for (let q = Math.max(0, b - 2); q <= b; q++) expect(rowsOf(shared[q])).toEqual(want[q]);
      for (const name of ['spend', 'visits', 'id']) expect(t.getChild(name)!.data[0].values.buffer).toBeInstanceOf(SharedArrayBuffer);
    }
    expect(shared.map((t) => t.numRows)).toEqual(sizes);
    expect(got[0].getChild('spend')!.data[0].values.buffer).not.toBeInstanceOf(SharedArrayBuffer);
  });

  it('reads a file whose messages start with the schema as well (as other writers lay the file format out)', async () => {
    // the stream's schema, batches and end marker between the file's magic and its footer
    const plain = tables.map((t) => t.select(['spend', 'visits', 'id']));
    const stream = new RecordBatchStreamWriter();
    const file = new RecordBatchFileWriter();
    for (const t of plain) for (const batch of t.batches) { stream.write(batch); file.write(batch); }
    const body = stream.finish().toUint8Array(true), bytes = file.finish().toUint8Array(true);
    const footer = bytes.subarray(bytes.length - 10 - new DataView(bytes.buffer, bytes.byteOffset).getInt32(bytes.length - 10, true));
    const path = join(dir, 'schema-first.arrow');
    writeFileSync(path, Buffer.concat([bytes.subarray(0, 8), body, footer]));
    const got: unknown[][] = [];
    for await (const t of readArrowBatches(path, { recycle: true })) got.push(rowsOf(t));
    expect(got).toEqual(plain.map(rowsOf));
  });

  it('a record batch whose body length is negative is refused, never read backwards or forever', async () => {
    const bytes = new Uint8Array(await import('node:fs').then((fs) => fs.readFileSync(write('lengths.arrow', 'stream'))));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    // the messages' offsets and metadata (continuation marker, length, metadata, body)
    const found: { at: number; message: Message }[] = [];
    for (let at = 0; view.getInt32(at + 4, true) !== 0;) {
      const length = view.getInt32(at + 4, true);
      const message = Message.decode(bytes.subarray(at + 8, at + 8 + length));
      found.push({ at, message });
      at += 8 + length + Number(message.bodyLength);
    }
    const batches = found.filter((f) => f.message.headerType === MessageHeader.RecordBatch);
    const frame = (message: Message, bodyLength: number): Uint8Array => {
      const meta = Message.encode(Message.from(message.header() as never, bodyLength));
      const out = new Uint8Array(8 + ((meta.length + 7) & ~7));
      new DataView(out.buffer).setInt32(0, -1, true);
      new DataView(out.buffer).setInt32(4, out.length - 8, true);
      out.set(meta, 8);
      return out;
    };
    const end = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);
    // a message that would not move on (its length cancelled by the body length), and one that jumps back to an
    // earlier batch (which would then be read again and again)
    const still = frame(batches[0].message, -frame(batches[0].message, -1).length);
    const third = batches[2].at;
    const back = frame(batches[2].message, -(third - batches[0].at) - frame(batches[2].message, -1).length);
    for (const [name, data] of [
      ['still.arrow', Buffer.concat([bytes.subarray(0, batches[0].at), still, new Uint8Array(64), end])],
      ['back.arrow', Buffer.concat([bytes.subarray(0, third), back, end])],
    ] as const) {
      const file = join(dir, name);
      writeFileSync(file, data);
      let seen = 0;
      const e = await failure(async () => {
        for await (const _ of readArrowBatches(file, { recycle: true })) if (++seen > sizes.length) break;
      });
      expect(e.code, name).toBe('E_PARSE');
      expect(seen, name).toBeLessThanOrEqual(2);
    }
  });

  it('a schema with no batches gives no table; a cut, empty or foreign file is refused naming the path', async () => {
    const writer = new RecordBatchStreamWriter();
    writer.reset(undefined, tables[0].schema);
    const none = join(dir, 'none.arrow');
    writeFileSync(none, writer.finish().toUint8Array(true));
    const seen: Table[] = [];
    for await (const t of readArrowBatches(none, { recycle: true })) if (t.numRows > 0) seen.push(t);
    expect(seen).toHaveLength(0);

    const whole = write('whole.arrow', 'stream');
    const bytes = await import('node:fs').then((fs) => fs.readFileSync(whole));
    const cut = join(dir, 'cut.arrow');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const drain = async (file: string) => {
      for await (const t of readArrowBatches(file, { recycle: true })) expect(t.numRows).toBeGreaterThanOrEqual(0);
    };
    const e = await failure(() => drain(cut));
    expect(e.code).toBe('E_PARSE');
    expect(e.message).toContain(cut);

    const foreign = join(dir, 'foreign.arrow');
    writeFileSync(foreign, 'id,spend\n1,2\n');
    const f = await failure(() => drain(foreign));
    expect(f.code).toBe('E_PARSE');
    expect(f.message).toContain(foreign);

    const empty = join(dir, 'empty.arrow');
    writeFileSync(empty, '');
    expect((await failure(() => drain(empty))).code).toBe('E_EMPTY_DATA');
  });
});
