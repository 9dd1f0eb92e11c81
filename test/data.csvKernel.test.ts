// The wasm kernel that splits CSV records and reads their plain decimals (assembly/csvSplit.ts) against its twin,
// the TypeScript loop of CsvLines.splitSlice: the same tables, batches and errors, byte for byte, on random files full
// of the cases either could get wrong.
import type { Table } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsv } from '../src/data/readCsv.js';
import { csvRecords } from '../src/data/csvRecords.js';
import { CsvKernel, csvKernel, useCsvKernel } from '../src/kernels/csvKernel.js';
import { Heap } from '../src/kernels/heap.js';
import { instantiateCsvKernels } from '../src/kernels/wasm.js';
import * as csvBytes from '../src/kernels/wasmCsvBytes.generated.js';
import { createRandom, type Random } from '../src/util/random.js';

// cells a plain-decimal lane reads, and the ones it must leave to the builders (too many digits, exponents, tokens)
const NUMBERS = ['0', '-0', '+0', '7', '-7', '+12', '007', '0.5', '-0.25', '.5', '-.5', '+.5', '5.', '-5.', '12.50', '100', '1000000',
  '3.14159', '0.000001', '0.0000001', '-0.0000001', '0.00000012', '123456789012345', '1234567890123456', '12345678.9012345',
  '1234567.89012345678', '99999999999999.9', '1e3', '-2E-2', '0x10', '1_000', '١٢', '', 'NA', 'nan', 'Infinity', '-', '+', '.', '-.'];
const TEXTS = ['a', 'Zürich', 'x y', 'n42', '12a', '', 'NA', 'été', '-', '0.5x', 'ABC-123'];

function cell(rand: Random, kind: number, delimiter: string): string {
  const pool = kind === 0 ? NUMBERS : kind === 1 ? TEXTS : rand.int(3) === 0 ? TEXTS : NUMBERS;
  let c = pool[rand.int(pool.length)];
  // a cell never holds the delimiter (these files have no quotes)
  if (c.includes(delimiter)) c = 'z';
  return c;
}

/** A quote-free file: numeric, text and mixed columns, empty lines, and now and then a broken record. */
function randomFile(rand: Random, delimiter: string, broken: boolean): string {
  const width = 1 + rand.int(7);
  const kinds = Array.from({ length: width }, () => rand.int(4) === 0 ? 1 : rand.int(3) === 0 ? 2 : 0);
  const n = rand.int(400);
  // a numeric column that takes a text cell from this row on (its lane changes mid-file)
  const flip = rand.int(2) === 0 ? rand.int(Math.max(1, n)) : -1;
  const lines = [Array.from({ length: width }, (_, j) => `c${j}`).join(delimiter)];
  for (let i = 0; i < n; i++) {
    if (rand.int(40) === 0) lines.push('');
    const cells = kinds.map((k, j) => (i === flip && j === width - 1 ? 'later text' : cell(rand, k, delimiter)));
    let record = cells.join(delimiter);
    if (broken && rand.int(150) === 0) record = rand.int(2) === 0 ? `${record}\r` : `${record}${delimiter}extra`;
    // a record of one empty cell is an empty line: a one-column file writes something
    if (record === '') record = 'NA';
    lines.push(record);
  }
  return lines.join('\n') + (rand.int(3) === 0 ? '' : '\n');
}

function rows(t: Table): unknown[][] {
  return Array.from({ length: t.numRows }, (_, i) => t.schema.fields.map((f) => {
    const v = t.getChild(f.name)!.get(i);
    // -0 and NaN kept apart from 0 and null
    return typeof v === 'number' ? (Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v) : v;
  }));
}

/** The text in pieces of `size` characters. */
async function* textChunks(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

/** The bytes in chunks of `size` (the last shorter), as a stream gives them: the records after the header's chunk are split. */
async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function outcome(read: () => Promise<Table[]>): Promise<unknown> {
  try {
    const tables = await read();
    return tables.map((t) => ({ types: t.schema.fields.map((f) => `${f.name}:${f.type}`), rows: rows(t) }));
  } catch (e) {
    return { error: String((e as { code?: string }).code), message: (e as Error).message };
  }
}

describe('the CSV kernel and its twin', () => {
  afterAll(() => useCsvKernel(true));

  it('give the same tables, batches and errors on random files, as bytes and as text', async () => {
    const rand = createRandom(11);
    let used = 0, errors = 0;
    for (let f = 0; f < 120; f++) {
      const delimiter = [',', ';', '\t', '|'][f % 4];
      const file = randomFile(rand, delimiter, f % 3 === 0);
      const bytes = new TextEncoder().encode(file);
      const batchSize = 1 + rand.int(60);
      const size = [40, 300, 2000][rand.int(3)];
      const reads: [string, () => Promise<Table[]>][] = [
        ['bytes', async () => [await readCsv(chunks(bytes, size), { delimiter })]],
        ['text', async () => [await readCsv(textChunks(file, size), { delimiter })]],
        ['batches', async () => {
          const out: Table[] = [];
          for await (const b of csvRecords(chunks(bytes, size), { delimiter, batchSize })) out.push(b);
          return out;
        }],
      ];
      for (const [how, read] of reads) {
        useCsvKernel(true);
        const withKernel = await outcome(read);
        useCsvKernel(false);
        const without = await outcome(read);
        useCsvKernel(true);
        expect(withKernel, `file ${f} read as ${how}:\n${file.slice(0, 300)}`).toEqual(without);
        if ((withKernel as { error?: string }).error) errors++;
      }
      if (csvKernel()) used++;
    }
    // the kernel was there for every file, and the broken records were met
    expect(used).toBe(120);
    expect(errors).toBeGreaterThan(10);
  });

  it('reads a long file in several calls, lanes changing in the middle of one', async () => {
    const n = 20_000;
    const lines = ['id,x,y,z'];
    for (let i = 0; i < n; i++) lines.push(`${i},${(i * 7919) % 1000 / 8},${i === 12_345 ? 'late' : -i},${i % 3 === 0 ? '' : '0.1'}`);
    const bytes = new TextEncoder().encode(lines.join('\n'));
    const t = await readCsv(chunks(bytes, 1 << 16));
    useCsvKernel(false);
    const twin = await readCsv(chunks(bytes, 1 << 16));
    useCsvKernel(true);
    expect(rows(t)).toEqual(rows(twin));
    expect(t.getChild('y')!.get(12_345)).toBe('late');
    expect(t.getChild('y')!.get(12_346)).toBe('-12346');
    expect(t.getChild('x')!.get(9)).toBe(((9 * 7919) % 1000) / 8);
    expect(t.numRows).toBe(n);
  });

  it('leaves a slice it cannot hold to the TypeScript loop: past its memory\'s maximum, or over 16 MiB', async () => {
    const small = new TextEncoder().encode('1,2.5\n\n-3,x\n');
    // a memory of at most 2 MiB: the tables (1.3 MiB) and a small slice fit, a 1 MiB slice does not, and the layout
    // before it still serves
    const heap = new Heap(false, 2, 32);
    const k = new CsvKernel(heap, instantiateCsvKernels(heap.memory, csvBytes));
    expect(k.load(small, small.length, 2)).toBe(true);
    const big = new TextEncoder().encode('1,2\n'.repeat(1 << 18));
    expect(k.load(big, big.length, 2)).toBe(false);
    expect(k.load(small, small.length, 2)).toBe(true);
    expect(k.split(small.length, 0, Uint8Array.of(1, 1), 44)).toEqual({ records: 2, stop: small.length, trailing: 0 });
    expect([...k.tables.values.subarray(0, 3)]).toEqual([1, 2.5, -3]);
    expect([...k.tables.notes.subarray(0, 4)]).toEqual([256, 0, 256, -1]);
    expect([...k.tables.recSkips.subarray(0, 2)]).toEqual([0, 1]);
    // a slice over 16 MiB is not taken: the memory, which never shrinks, does not grow for it
    const roomy = new Heap(false, 2);
    const r = new CsvKernel(roomy, instantiateCsvKernels(roomy.memory, csvBytes));
    const huge = new Uint8Array((1 << 24) + 1).fill(49);
    huge[huge.length - 1] = 10;
    expect(r.load(huge, huge.length, 1)).toBe(false);
    expect(roomy.memory.buffer.byteLength).toBeLessThan(1 << 20);
  });
});
