// Text columns whose bytes are not UTF-8 (Latin-1 written as Utf8 or as Parquet strings by another tool): refused with
// E_PARSE, as CSV bytes that are not UTF-8 are, never decoded into U+FFFD (which made Müller and Möller one customer).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Dictionary, Float64, Int32, makeData, makeVector, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer/src/index.js';
import { schemaFromColumnData } from 'hyparquet-writer/src/schema.js';
import { readArrow, readParquet } from '../src/index.node.js';
import { readArrowBatches } from '../src/data/arrowBatches.node.js';

const LATIN1 = [Uint8Array.of(0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72), Uint8Array.of(0x4d, 0xf6, 0x6c, 0x6c, 0x65, 0x72)]; // Müller, Möller
const UTF8 = [new TextEncoder().encode('Müller'), new TextEncoder().encode('\uFFFD'), new TextEncoder().encode('Möller')];

/** A Utf8 chunk of the values' bytes as they are. */
function utf8Data(values: readonly Uint8Array[]) {
  const offsets = new Int32Array(values.length + 1);
  values.forEach((v, i) => (offsets[i + 1] = offsets[i] + v.length));
  const bytes = new Uint8Array(offsets[values.length]);
  values.forEach((v, i) => bytes.set(v, offsets[i]));
  return makeData({ type: new Utf8(), length: values.length, nullCount: 0, valueOffsets: offsets, data: bytes });
}
const ids = (values: readonly Uint8Array[]) => new Table({ id: makeVector(utf8Data(values)), amount: vectorFromArray(values.map((_, i) => i + 1), new Float64()) });
const rows = (t: Table) => t.toArray().map((r) => r.toJSON());

/** Parquet bytes of one required string column holding the values' bytes as they are. */
function parquetOf(values: readonly Uint8Array[]): Uint8Array {
  const columnData = [{ name: 'id', data: values as Uint8Array[] }];
  const schema = schemaFromColumnData({ columnData, schemaOverrides: { id: { name: 'id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' } } });
  return new Uint8Array(parquetWriteBuffer({ columnData, schema }));
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('Arrow IPC text columns', () => {
  it('that are UTF-8 are read, a written U+FFFD kept', async () => {
    expect(rows(await readArrow(tableToIPC(ids(UTF8))))).toEqual([{ id: 'Müller', amount: 1 }, { id: '\uFFFD', amount: 2 }, { id: 'Möller', amount: 3 }]);
  });

  it('holding Latin-1 bytes are refused, in the stream and the file format, read whole or in batches', async () => {
    const err = { code: 'E_PARSE', message: expect.stringContaining('text column "id" holds bytes that are not UTF-8') };
    for (const format of ['stream', 'file'] as const) {
      const bytes = tableToIPC(ids(LATIN1), format);
      await expect(readArrow(bytes)).rejects.toMatchObject(err);
      const dir = mkdtempSync(join(tmpdir(), 'segkit-text-'));
      dirs.push(dir);
      writeFileSync(join(dir, 'ids.arrow'), bytes);
      await expect((async () => { for await (const _ of readArrowBatches(join(dir, 'ids.arrow'))) { /* read */ } })()).rejects.toMatchObject(err);
    }
  });

  it('refuses a dictionary\'s values that are not UTF-8, and a value that starts inside another\'s character', async () => {
    const dictionary = makeVector(utf8Data(LATIN1));
    const codes = makeData({ type: new Dictionary(new Utf8(), new Int32()), length: 3, nullCount: 0, data: Int32Array.of(0, 1, 0), dictionary });
    await expect(readArrow(tableToIPC(new Table({ city: makeVector(codes) })))).rejects.toMatchObject({ code: 'E_PARSE' });
    // "ü" (C3 BC) cut between two values: the bytes together are UTF-8, neither value is
    await expect(readArrow(tableToIPC(ids([Uint8Array.of(0x4d, 0xc3), Uint8Array.of(0xbc, 0x6c)])))).rejects.toMatchObject({ code: 'E_PARSE' });
  });
});

describe('Parquet string columns', () => {
  it('that are UTF-8 are read, a written U+FFFD kept', async () => {
    expect(rows(await readParquet(parquetOf(UTF8)))).toEqual([{ id: 'Müller' }, { id: '\uFFFD' }, { id: 'Möller' }]);
  });

  it('holding Latin-1 bytes are refused, not read as one value', async () => {
    await expect(readParquet(parquetOf(LATIN1))).rejects.toMatchObject({ code: 'E_PARSE', message: expect.stringContaining('not UTF-8') });
  });
});
