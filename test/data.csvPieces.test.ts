// Slices of CSV text without quotes are split into field spans and numbers read from the text in place: the tables,
// file lines, text-column counts and errors must be those of papaparse's rows for the same text. The reference reads
// the text as one slice (papaparse for every row); the span path runs on the slices after the header when the text
// arrives in pieces, through readCsv and csvRecords batches.
import { describe, expect, it } from 'vitest';
import type { Table } from 'apache-arrow';
import { csvInfo, type ReadCsvOptions } from '../src/data/csvCore.js';
import { csvRecords } from '../src/data/csvRecords.js';
import { readCsv } from '../src/data/readCsv.js';
import { SegkitError } from '../src/util/errors.js';
import { createRandom, type Random } from '../src/util/random.js';

// cells without quotes: plain decimals, signs, leading zeros, exponents, spaces, long digit runs, null tokens,
// words, non-ASCII text, dates, booleans
const CELLS = ['0', '12', '-7', '+3', '4.5', '-0.25', '.5', '5.', '007', '1e3', ' 8 ', '1234567890123456', '12345678901234.5', '', 'NA', '-', '?',
  'null', 'x', 'Zürich', 'true', '2024-01-02', 'Infinity', 'NaN', '3\r', '9,5', '1,2', '2271160b-f7f9', '12ab', '1e5x', '7\u00a0', '-Infinity', ' NaN', '+1'];

function cell(rand: Random, kind: number): string {
  if (kind === 0) return String(rand.int(2000) - 1000);
  if (kind === 1) return (rand.next() * 100 - 50).toFixed(rand.int(4));
  if (kind === 2) return rand.next() < 0.97 ? String(rand.int(100)) : CELLS[rand.int(CELLS.length)];
  return CELLS[rand.int(CELLS.length)];
}

function randomCsv(rand: Random, delimiter: string): string {
  const width = 1 + rand.int(5);
  const kinds = Array.from({ length: width }, () => rand.int(4));
  const lines = [Array.from({ length: width }, (_, j) => `c${j}`).join(delimiter)];
  const n = 50 + rand.int(400);
  for (let i = 0; i < n; i++) {
    if (rand.next() < 0.02) lines.push('');
    else lines.push(Array.from({ length: width }, (_, j) => cell(rand, kinds[j]).replaceAll(delimiter, '')).join(delimiter));
  }
  return `${lines.join('\n')}\n`;
}

/** The text in pieces of up to `size` characters (slices after the header take the span path). */
async function* pieces(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

function print(table: Table): unknown {
  const info = csvInfo(table)!;
  return {
    types: table.schema.fields.map((f) => String(f.type)),
    rows: Array.from({ length: table.numRows }, (_, i) => table.schema.fields.map((f) => {
      const v = table.getChild(f.name)!.get(i);
      return typeof v === 'number' ? Buffer.from(Float64Array.of(v).buffer).toString('hex') : v;
    })),
    lines: Array.from({ length: table.numRows }, (_, i) => info.line(i)),
    textStats: [...info.textStats],
  };
}

async function outcome(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof SegkitError) return `${e.code}: ${e.message}`;
    throw e;
  }
}

describe('CSV slices without quotes', () => {
  it('read as papaparse reads them: values, types, lines, text counts and errors, on 300 random files', async () => {
    const rand = createRandom(17);
    for (let t = 0; t < 300; t++) {
      const delimiter = [',', ';', '\t', '||'][t % 4];
      let text = randomCsv(rand, delimiter);
      // some files get a row with a field too many or too few
      if (t % 7 === 3) {
        const lines = text.split('\n');
        const at = 1 + rand.int(lines.length - 2);
        lines[at] = rand.next() < 0.5 ? `${lines[at]}${delimiter}extra` : lines[at].split(delimiter).slice(1).join(delimiter);
        text = lines.join('\n');
      }
      const options: ReadCsvOptions = {
        delimiter,
        ...(t % 5 === 1 ? { nullValues: [''] } : {}),
        ...(t % 5 === 2 ? { types: { c0: 'string' as const } } : {}),
        ...(t % 5 === 3 ? { types: { c0: 'integer' as const } } : {}),
        ...(t % 11 === 4 ? { decimal: ',' as const } : {}),
      };
      if (options.decimal === ',' && delimiter === ',') continue;
      const want = await outcome(async () => print(await readCsv(text, options)));
      const got = await outcome(async () => print(await readCsv(pieces(text, 40 + rand.int(200)), options)));
      expect({ t, table: got }).toEqual({ t, table: want });
      // batches: the same values batch by batch
      const batchSize = 1 + rand.int(60);
      const wantBatches = await outcome(async () => {
        const out = [];
        for await (const b of csvRecords(text, { ...options, batchSize })) out.push(print(b));
        return out;
      });
      const gotBatches = await outcome(async () => {
        const out = [];
        for await (const b of csvRecords(pieces(text, 40 + rand.int(200)), { ...options, batchSize })) out.push(print(b));
        return out;
      });
      expect({ t, batches: gotBatches }).toEqual({ t, batches: wantBatches });
    }
  });
});
