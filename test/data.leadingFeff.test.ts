import { describe, expect, it } from 'vitest';
import { Binary, Dictionary, Int32, LargeUtf8, Table, Utf8, tableFromArrays, vectorFromArray } from 'apache-arrow';
import { writeCsv } from '../src/data/writeCsv.js';
import { readCsv } from '../src/data/readCsv.js';
import { readJson } from '../src/data/readJson.js';
import { writeJson } from '../src/data/writeJson.js';
import { writeParquet } from '../src/data/writeParquet.js';
import { readParquet } from '../src/data/readParquet.js';
import { joinCustomers } from '../src/data/joinCustomers.js';
import { aggregateByCustomer } from '../src/data/aggregateByCustomer.js';
import { rfm } from '../src/features/rfm.js';
import { pipeline } from '../src/prep/pipeline.js';
import { withColumns } from '../src/data/withColumns.js';

// a U+FEFF that begins a value is a character of it: "\uFEFFoslo" and "oslo" are two values (as Python's str holds them)
const F = '\uFEFF';
const text = (values: (string | null)[]) => vectorFromArray(values, new Utf8());
const large = (values: (string | null)[]) => vectorFromArray(values, new LargeUtf8());
const dict = (values: (string | null)[]) => vectorFromArray(values, new Dictionary(new Utf8(), new Int32()));
const kinds = { utf8: text, largeUtf8: large, dictionary: dict };

describe('a text value that begins with U+FEFF', () => {
  it('before a date, makes the cell text (as before a number), which readCsv and readJson keep and writeCsv writes back', async () => {
    // "\uFEFF2024-01-02" (two exports joined) was read as the date 2024-01-02 and written back without its mark
    const csv = `when,n\n${F}2024-01-02,1\n2024-01-03,2\n`;
    const table = await readCsv(csv);
    expect(String(table.getChild('when')!.type)).toBe('Utf8');
    expect(writeCsv(table)).toBe(csv);
    // a no-break space around a date is no white space either (it was read as the date too); ASCII spaces still are
    expect(String((await readCsv('when\n\u00a02024-01-02\n2024-01-03\n')).getChild('when')!.type)).toBe('Utf8');
    expect(String((await readCsv('when\n2024-01-02T10:00:00\u00a0Z\n')).getChild('when')!.type)).toBe('Utf8');
    const spaced = await readCsv('when\n 2024-01-02 \n2024-01-03\t\n');
    expect(String(spaced.getChild('when')!.type)).toBe('Timestamp<MILLISECOND>');
    expect([...spaced.getChild('when')!]).toEqual([Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 3)]);
    const json = await readJson(`[{"when": "${F}2024-01-02"}, {"when": "2024-01-03"}]`);
    expect(String(json.getChild('when')!.type)).toBe('Utf8');
    expect(JSON.parse(writeJson(json))).toEqual([{ when: `${F}2024-01-02` }, { when: '2024-01-03' }]);
  });

  it.each(Object.entries(kinds))('writeJson keeps it (%s)', (_, make) => {
    const table = new Table({ name: make([`${F}oslo`, 'oslo', null]) });
    expect(JSON.parse(writeJson(table))).toEqual([{ name: `${F}oslo` }, { name: 'oslo' }, { name: null }]);
    expect(JSON.parse(writeJson(table, { format: 'columns' }))).toEqual({ columns: { name: [`${F}oslo`, 'oslo', null] } });
  });

  it.each(Object.entries(kinds))('writeCsv keeps it with any delimiter (%s)', (_, make) => {
    const table = new Table({ name: make([`${F}oslo`, 'oslo', null]), n: vectorFromArray([1, 2, 3], new Int32()) });
    expect(writeCsv(table)).toBe(`name,n\n${F}oslo,1\noslo,2\n,3\n`);
    expect(writeCsv(table, { delimiter: ';;' })).toBe(`name;;n\n${F}oslo;;1\noslo;;2\n;;3\n`);
    expect(writeCsv(table, { eol: '\r\n' })).toBe(`name,n\r\n${F}oslo,1\r\noslo,2\r\n,3\r\n`);
  });

  it.each(Object.entries(kinds))('writeParquet stores it and readParquet reads it back (%s)', async (_, make) => {
    const table = new Table({ name: make([`${F}oslo`, 'oslo', null]) });
    const bytes = await writeParquet(table);
    const back = await readParquet(bytes);
    expect(JSON.parse(writeJson(back))).toEqual([{ name: `${F}oslo` }, { name: 'oslo' }, { name: null }]);
  });

  it('is kept when a column of several batches, each with its own dictionary, is made one', () => {
    const table = new Table({ c: dict([`${F}a`, 'a']) }).concat(new Table({ c: dict(['b', `${F}b`, null]) }));
    expect(table.getChild('c')!.data[0].dictionary).not.toBe(table.getChild('c')!.data[1].dictionary);
    const out = withColumns(table, { n: Int32Array.of(1, 2, 3, 4, 5) });
    expect(JSON.parse(writeJson(out))).toEqual([
      { c: `${F}a`, n: 1 }, { c: 'a', n: 2 }, { c: 'b', n: 3 }, { c: `${F}b`, n: 4 }, { c: null, n: 5 },
    ]);
  });

  it('is its own category in the pipeline\'s one-hot encoding', async () => {
    const table = tableFromArrays({ city: [`${F}oslo`, 'oslo', 'rome', 'oslo'], n: Float64Array.from([1, 2, 3, 4]) });
    const { dataset } = await pipeline({ encode: ['city'], impute: false, scale: false }).fitTransform(table);
    const names = dataset.names;
    expect(names).toHaveLength(4);
    expect(new Set(names)).toEqual(new Set([`city=${F}oslo`, 'city=oslo', 'city=rome', 'n']));
    const column = (name: string) => Array.from(dataset.columns[names.indexOf(name)]);
    expect(column(`city=${F}oslo`)).toEqual([1, 0, 0, 0]);
    expect(column('city=oslo')).toEqual([0, 1, 0, 1]);
  });

  it.each(Object.entries(kinds))('is another customer to aggregateByCustomer (%s)', async (_, make) => {
    const log = new Table({ c: make([`${F}c1`, 'c1', `${F}c1`, 'c1', 'c1']), v: vectorFromArray([1, 2, 4, 8, 16], new Int32()) });
    const out = await aggregateByCustomer(log, { key: 'c', aggregations: { total: { column: 'v', op: 'sum' }, orders: { op: 'count' } } });
    expect(JSON.parse(writeJson(out))).toEqual([{ c: `${F}c1`, total: 5, orders: 2 }, { c: 'c1', total: 26, orders: 3 }]);
    const kinds = await aggregateByCustomer(new Table({ c: text(['a', 'a', 'a']), k: make([`${F}x`, 'x', 'x']) }), { key: 'c', aggregations: { kinds: { column: 'k', op: 'distinct' } } });
    expect(Array.from(kinds.getChild('kinds')!.toArray() as Int32Array)).toEqual([2]);
  });

  it.each(Object.entries(kinds))('is another key to joinCustomers (%s)', async (_, make) => {
    const customers = new Table({ id: make([`${F}c1`, 'c1', 'c2']) });
    const source = new Table({ key: text(['c1', `${F}c2`]), spend: vectorFromArray([5, 7], new Int32()) });
    const joined = await joinCustomers(customers, [{ table: source, key: 'key' }], { key: 'id' });
    expect(JSON.parse(writeJson(joined))).toEqual([{ id: `${F}c1`, spend: null }, { id: 'c1', spend: 5 }, { id: 'c2', spend: null }]);
  });

  it.each(Object.entries(kinds))('is another customer to rfm (%s)', (_, make) => {
    const log = new Table({
      customer: make([`${F}c1`, 'c1', 'c1']),
      invoice: text(['1', '2', '3']),
      date: text(['2024-01-01', '2024-01-05', '2024-01-09']),
      amount: vectorFromArray([10, 20, 40], new Int32()),
    });
    const out = rfm(log, { customer: 'customer', invoice: 'invoice', date: 'date', amount: 'amount', asOf: '2024-01-11' });
    const rows = JSON.parse(writeJson(out)) as { customer: string; frequency: number; monetary: number }[];
    // rows in key order: U+FEFF sorts after the letters
    expect(rows.map((r) => [r.customer, r.frequency, r.monetary])).toEqual([['c1', 2, 60], [`${F}c1`, 1, 10]]);
  });
});

describe('labels read by the command line', () => {
  it('a class label that begins with U+FEFF is a class of its own in train and evaluate', async () => {
    const { readCsv } = await import('../src/data/readCsv.js');
    const { targetColumn } = await import('../src/cli/train.js');
    const { namedLabelColumn } = await import('../src/cli/evaluate.js');
    const table = await readCsv(`x,seg\n1,${F}Loyal\n2,Loyal\n3,New\n`);
    expect(targetColumn(table, 'seg', Int32Array.of(0, 1, 2), 'labels')).toEqual([`${F}Loyal`, 'Loyal', 'New']);
    const named = namedLabelColumn(table, 'seg', 'labels');
    expect(named.names).toHaveLength(3);
    expect(new Set(named.ids).size).toBe(3);
  });
});

describe('Binary labels read by the command line', () => {
  it('are named by their text (UTF-8, else hexadecimal), not their byte values joined by commas', async () => {
    const { namedLabelColumn } = await import('../src/cli/evaluate.js');
    const enc = (t: string) => new TextEncoder().encode(t);
    const table = new Table({ segment: vectorFromArray([enc('b'), enc('a'), Uint8Array.of(0xff, 1), enc('a')], new Binary()) });
    expect(namedLabelColumn(table, 'segment', 'the file')).toEqual({ ids: Int32Array.of(1, 0, 2, 0), names: ['a', 'b', 'ff01'] });
  });
});

describe('report columns read by the command line', () => {
  it('an audit or text column value that begins with U+FEFF is a group of its own', async () => {
    const { readCsv } = await import('../src/data/readCsv.js');
    const { reportExtras } = await import('../src/cli/reportOptions.js');
    const table = await readCsv(`x,gender\n1,${F}women\n2,women\n3,men\n`);
    const extras = reportExtras({ audit: ['gender'] } as never, table, Int32Array.of(0, 1, 2));
    expect(extras.audit[0].values).toEqual([`${F}women`, 'women', 'men']);
    expect(extras.textColumns.find((c) => c.name === 'gender')?.values).toEqual([`${F}women`, 'women', 'men']);
  });

  it('a dictionary of Binary values or a Binary audit column reads as its text (UTF-8, else hexadecimal), not byte values', async () => {
    const { reportExtras } = await import('../src/cli/reportOptions.js');
    const enc = (t: string) => new TextEncoder().encode(t);
    const words = [enc('women'), enc('men'), Uint8Array.of(0xff, 1)];
    const table = new Table({ gender: vectorFromArray(words, new Dictionary(new Binary(), new Int32())), raw: vectorFromArray(words, new Binary()) });
    const extras = reportExtras({ audit: ['raw'] } as never, table, Int32Array.of(0, 1, 2));
    expect(extras.textColumns.find((c) => c.name === 'gender')?.values).toEqual(['women', 'men', 'ff01']);
    expect(extras.audit[0].values).toEqual(['women', 'men', 'ff01']);
  });
});
