// Which cells readCsv reads as numbers, and their values, against pandas.read_csv (fixtures/pandas_read_csv.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DataType, type Table } from 'apache-arrow';
import { readCsv } from '../src/data/readCsv.js';
import { csvRecords } from '../src/data/csvRecords.js';
import { columnValues } from '../src/data/utf8Text.js';
import { aggregateByCustomer } from '../src/data/aggregateByCustomer.js';

interface PandasCase {
  text: string;
  numeric: boolean;
  values: (string | { float64: string } | null)[];
}
const PANDAS = JSON.parse(readFileSync(new URL('./fixtures/pandas-read-csv.json', import.meta.url), 'utf8')) as { cases: Record<string, PandasCase> };

const bits = (v: number): string => Buffer.from(Float64Array.of(v).buffer).toString('hex');

/** Column "a" as the fixture writes it: numbers by their float64 bytes, text as read. */
function column(table: Table): { numeric: boolean; values: unknown[] } {
  const vector = table.getChild('a')!;
  const type = vector.type as DataType;
  const numeric = DataType.isInt(type) || DataType.isFloat(type);
  const values = [...columnValues(vector)].map((v) => (v == null ? null : numeric ? { float64: bits(Number(v)) } : v));
  return { numeric, values };
}

describe('readCsv reads numbers as pandas.read_csv does', () => {
  it.each(Object.entries(PANDAS.cases))('%s', async (_, c) => {
    expect(column(await readCsv(c.text))).toEqual({ numeric: c.numeric, values: c.values });
    // bytes take the reader's byte path, batches the streaming one
    expect(column(await readCsv(new TextEncoder().encode(c.text)))).toEqual({ numeric: c.numeric, values: c.values });
    const batches: Table[] = [];
    for await (const batch of csvRecords(c.text)) batches.push(batch);
    expect(column(batches[0])).toEqual({ numeric: c.numeric, values: c.values });
  });

  it('keeps an id behind a no-break space or a U+FEFF apart from the id without it', async () => {
    const log = await readCsv('id,amount\n1001,5\n\ufeff1001,7\n\u00a01001,11\n1001,13\n');
    expect(String(log.getChild('id')!.type)).toBe('Utf8');
    const out = await aggregateByCustomer(log, { key: 'id', aggregations: { total: { column: 'amount', op: 'sum' } } });
    const totals = new Map([...columnValues(out.getChild('id')!)].map((id, i) => [id, out.getChild('total')!.get(i)]));
    expect(totals).toEqual(new Map([['1001', 18], ['\ufeff1001', 7], ['\u00a01001', 11]]));
  });

  it('refuses such a cell in a column typed as numbers, naming its line', async () => {
    await expect(readCsv('a\n1\n\u00a02\n', { types: { a: 'number' } })).rejects.toMatchObject({ code: 'E_PARSE', message: expect.stringContaining('line 3') });
    // ASCII white space is still read around a number
    expect([...(await readCsv('a\n1\n \t2\u000b\n', { types: { a: 'number' } })).getChild('a')!]).toEqual([1, 2]);
  });
});
