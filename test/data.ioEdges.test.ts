import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Float64, Table, makeVector, vectorFromArray } from 'apache-arrow';
import { readArrow } from '../src/data/readArrow.js';
import { readArrowBatches } from '../src/data/arrowBatches.node.js';
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
