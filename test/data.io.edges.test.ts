// Readers and writers on inputs other tests leave out: Parquet annotated by logical types alone, atomic writes over
// links and private files.
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ByteWriter, parquetWriteBuffer } from 'hyparquet-writer';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { parquetMetadata, type SchemaElement } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';
import type { Table } from 'apache-arrow';
import { readParquet } from '../src/data/readParquet.js';
import { AtomicFile, writeFileAtomic } from '../src/data/writeFileAtomic.node.js';

const values = (t: Table, name: string) => [...t.getChild(name)!].map((v) => v ?? null);

describe('readParquet: logical types without the legacy converted type', () => {
  // the Parquet format deprecates converted types; a writer may give the logical type alone (DecimalType's scale and
  // precision, DateType), and the column's values are then the same unscaled integers and day counts
  const schema: SchemaElement[] = [
    { name: 'root', num_children: 4 },
    { name: 'amount', type: 'INT32', repetition_type: 'REQUIRED', logical_type: { type: 'DECIMAL', scale: 2, precision: 9 } },
    { name: 'total', type: 'INT64', repetition_type: 'OPTIONAL', logical_type: { type: 'DECIMAL', scale: 3, precision: 18 } },
    { name: 'day', type: 'INT32', repetition_type: 'REQUIRED', logical_type: { type: 'DATE' } },
    { name: 'price', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 4, repetition_type: 'REQUIRED', logical_type: { type: 'DECIMAL', scale: 1, precision: 8 } },
  ];
  const bytes = parquetWriteBuffer({
    schema,
    columnData: [
      { name: 'amount', data: Int32Array.of(123, -5, 100000) },
      { name: 'total', data: [1500n, null, -1n] },
      // 2024-01-01, 1970-01-01, 1969-12-31
      { name: 'day', data: Int32Array.of(19723, 0, -1) },
      // big-endian two's complement: 1234 -> 123.4, -1 -> -0.1, 0
      { name: 'price', data: [Uint8Array.of(0, 0, 4, 210), Uint8Array.of(255, 255, 255, 255), Uint8Array.of(0, 0, 0, 0)] },
    ],
  });

  it('reads decimals at their scale and dates as dates', async () => {
    const t = await readParquet(bytes);
    expect(values(t, 'amount')).toEqual([1.23, -0.05, 1000]);
    expect(values(t, 'total')).toEqual([1.5, null, -0.001]);
    expect(values(t, 'day')).toEqual([Date.UTC(2024, 0, 1), 0, -86_400_000]);
    expect(values(t, 'price')).toEqual([123.4, -0.1, 0]);
  });

  it('reads unsigned 32-bit integers (IntType, not signed) above 2^31 as themselves', async () => {
    const plain = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'count', data: Int32Array.of(-1, 5, -2147483648), type: 'INT32', nullable: false }] }));
    // the same bytes, annotated as unsigned in the footer: the stored int32 -1 is 4294967295
    const footerLength = new DataView(plain.buffer).getUint32(plain.length - 8, true);
    const start = plain.length - 8 - footerLength;
    const metadata = parquetMetadata(plain.slice().buffer);
    metadata.schema[1].logical_type = { type: 'INTEGER', bitWidth: 32, isSigned: false };
    const writer = new ByteWriter();
    writeMetadata(writer, metadata);
    const footer = new Uint8Array(writer.getBuffer());
    const file = new Uint8Array(start + footer.length + 8);
    file.set(plain.subarray(0, start));
    file.set(footer, start);
    new DataView(file.buffer).setUint32(start + footer.length, footer.length, true);
    file.set(new TextEncoder().encode('PAR1'), start + footer.length + 4);
    expect(values(await readParquet(file), 'count')).toEqual([4294967295, 5, 2147483648]);
  });
});

describe('atomic writes over an existing file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-io-edges-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a symbolic link is written through: its target gets the new bytes and the link stays a link', async () => {
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'real.csv'), 'old\n');
    symlinkSync(join('data', 'real.csv'), join(dir, 'latest.csv'));
    await writeFileAtomic(join(dir, 'latest.csv'), 'new\n');
    expect(lstatSync(join(dir, 'latest.csv')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'data', 'real.csv'), 'utf8')).toBe('new\n');
    // the streaming writer (segkit score) too
    const file = await AtomicFile.open(join(dir, 'latest.csv'));
    await file.write('streamed\n');
    await file.commit();
    expect(lstatSync(join(dir, 'latest.csv')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'data', 'real.csv'), 'utf8')).toBe('streamed\n');
  });

  it.skipIf(process.platform === 'win32')('a dangling link, or a chain of relative links, is written through to the file it names', async () => {
    mkdirSync(join(dir, 'next'));
    symlinkSync(join('next', 'made.csv'), join(dir, 'made.csv'));
    symlinkSync('made.csv', join(dir, 'chain.csv'));
    await writeFileAtomic(join(dir, 'chain.csv'), 'made\n');
    expect(lstatSync(join(dir, 'chain.csv')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(dir, 'made.csv')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'next', 'made.csv'), 'utf8')).toBe('made\n');
    // a link in a linked folder is relative to the folder it really sits in
    mkdirSync(join(dir, 'deep', 'inner'), { recursive: true });
    symlinkSync(join('deep', 'inner'), join(dir, 'inner'));
    symlinkSync(join('..', 'up.csv'), join(dir, 'deep', 'inner', 'up.csv'));
    await writeFileAtomic(join(dir, 'inner', 'up.csv'), 'up\n');
    expect(readFileSync(join(dir, 'deep', 'up.csv'), 'utf8')).toBe('up\n');
    expect(lstatSync(join(dir, 'deep', 'inner', 'up.csv')).isSymbolicLink()).toBe(true);
    // a loop is refused, and the link left as it was
    symlinkSync('loop-b', join(dir, 'loop-a'));
    symlinkSync('loop-a', join(dir, 'loop-b'));
    await expect(writeFileAtomic(join(dir, 'loop-a'), 'x')).rejects.toMatchObject({ code: 'E_IO', message: expect.stringContaining('symbolic links') });
    expect(lstatSync(join(dir, 'loop-a')).isSymbolicLink()).toBe(true);
  });

  it.skipIf(process.platform === 'win32')('the file replaced keeps its permissions (a private file stays private)', async () => {
    const path = join(dir, 'private.csv');
    writeFileSync(path, 'old\n');
    chmodSync(path, 0o600);
    await writeFileAtomic(path, 'new\n');
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    chmodSync(path, 0o664);
    await writeFileAtomic(path, 'newer\n');
    expect(statSync(path).mode & 0o777).toBe(0o664);
    // a set-user-id file's new contents do not inherit the bit
    chmodSync(path, 0o4555);
    await writeFileAtomic(path, 'newest\n');
    expect(statSync(path).mode & 0o7777).toBe(0o555);
  });

  it.skipIf(process.platform === 'win32')('a read-only file is replaced read-only, its temporary file writable by its owner meanwhile (a large file reopens it)', async () => {
    const path = join(dir, 'frozen.csv');
    writeFileSync(path, 'old\n');
    chmodSync(path, 0o444);
    const file = await AtomicFile.open(path);
    // writes that bypass the page cache open the temporary file a second time, by name
    const temps = readdirSync(dir).filter((name) => name.startsWith('.frozen.csv.'));
    expect(temps).toHaveLength(1);
    expect(statSync(join(dir, temps[0])).mode & 0o777).toBe(0o644);
    await file.write('new\n');
    await file.commit();
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(statSync(path).mode & 0o777).toBe(0o444);
    expect(readdirSync(dir).filter((name) => name.startsWith('.frozen.csv.'))).toEqual([]);
  });
});
