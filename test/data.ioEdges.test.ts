import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Float64, Table, makeVector, vectorFromArray } from 'apache-arrow';
import { readArrow } from '../src/data/readArrow.js';
import { readArrowBatches } from '../src/data/arrowBatches.node.js';
import { readJson } from '../src/data/readJson.js';
import { writeArrow } from '../src/data/writeArrow.js';
import { readTable } from '../src/data/readTable.node.js';
import { writeTable } from '../src/data/writeTable.node.js';

const dir = mkdtempSync(join(tmpdir(), 'segkit-io-edges-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Arrow columns named ""', () => {
  const table = new Table({ '': makeVector(new Float64Array([1.5, 2])), b: vectorFromArray([null, 'x']), null: makeVector(new Float64Array([3, 4])) });

  it('read back under their own name, not "null" (which would also clash with a column named "null")', async () => {
    for (const format of ['file', 'stream'] as const) {
      const back = await readArrow(await writeArrow(table, { format }));
      expect(back.schema.fields.map((f) => f.name)).toEqual(['', 'b', 'null']);
      expect([...back.getChild('')!]).toEqual([1.5, 2]);
      expect([...back.getChild('null')!]).toEqual([3, 4]);
    }
  });

  it('read back so by readTable and by the batch reader', async () => {
    const path = join(dir, 'unnamed.arrow');
    await writeTable(path, table);
    expect((await readTable(path)).schema.fields.map((f) => f.name)).toEqual(['', 'b', 'null']);
    for (const recycle of [false, true]) {
      const names: string[][] = [];
      for await (const batch of readArrowBatches(path, { recycle })) names.push(batch.schema.fields.map((f) => f.name));
      expect(names).toEqual([['', 'b', 'null']]);
    }
    writeFileSync(join(dir, 'unnamed.arrows'), await writeArrow(table, { format: 'stream' }));
    expect((await readTable(join(dir, 'unnamed.arrows'))).schema.fields.map((f) => f.name)).toEqual(['', 'b', 'null']);
  });
});

describe('readJson of parsed values holding bigints', () => {
  it('keeps a 64-bit id a float64 would round as its digits, as CSV inference does', async () => {
    // 2^53 + 1 and 2^53 are two customers; as float64 both are 9007199254740992
    const columns = await readJson({ columns: { id: new BigInt64Array([9007199254740993n, 9007199254740992n, 7n]) } });
    expect(String(columns.schema.fields[0].type)).toBe('Utf8');
    expect([...columns.getChild('id')!]).toEqual(['9007199254740993', '9007199254740992', '7']);
    const records = await readJson([{ id: 2n }, { id: -9007199254740993n }, { id: null }]);
    expect([...records.getChild('id')!]).toEqual(['2', '-9007199254740993', null]);
  });

  it('reads bigints a float64 holds exactly as numbers, and a number type still reads them as numbers', async () => {
    const exact = await readJson([{ id: 3n }, { id: 9007199254740992n }]);
    expect(exact.schema.fields[0].type).toBeInstanceOf(Float64);
    expect([...exact.getChild('id')!]).toEqual([3, 9007199254740992]);
    const typed = await readJson([{ id: 9007199254740993n }], { types: { id: 'number' } });
    expect([...typed.getChild('id')!]).toEqual([9007199254740992]);
    const text = await readJson([{ id: 9007199254740993n }, { id: 1n }], { types: { id: 'string' } });
    expect([...text.getChild('id')!]).toEqual(['9007199254740993', '1']);
  });
});
