import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/data/readCsv.js';
import { csvRecords } from '../src/data/csvRecords.js';
import { readJson } from '../src/data/readJson.js';
import { readNdjson } from '../src/data/readNdjson.js';

const typeOf = (t: { schema: { fields: { name: string; type: unknown }[] } }, name: string) => String(t.schema.fields.find((f) => f.name === name)!.type);

describe('float32: true keeps whole numbers float32 would round', () => {
  // float32 holds whole numbers exactly only to 2^24 = 16,777,216: 3,000,000,001 and 3,000,000,003 both became 3,000,000,000
  const rows = [
    { id: 3000000001, cents: 2147483649, score: 1.5 },
    { id: 3000000003, cents: 2147483651, score: 2.25 },
  ];
  const csv = 'id,cents,score\n3000000001,2147483649,1.5\n3000000003,2147483651,2.25\n';

  it('readJson, readNdjson and readCsv store whole-number columns as Float64, columns with fractions as Float32', async () => {
    for (const table of [
      await readJson(JSON.stringify(rows), { float32: true }),
      await readNdjson(rows.map((r) => JSON.stringify(r)).join('\n'), { float32: true }),
      await readCsv(csv, { float32: true }),
    ]) {
      expect(typeOf(table, 'id')).toBe('Float64');
      expect(Array.from(table.getChild('id')!.toArray() as Float64Array)).toEqual([3000000001, 3000000003]);
      expect(Array.from(table.getChild('cents')!.toArray() as Float64Array)).toEqual([2147483649, 2147483651]);
      expect(typeOf(table, 'score')).toBe('Float32');
      expect(Array.from(table.getChild('score')!.toArray() as Float32Array)).toEqual([1.5, 2.25]);
    }
  });

  it('csvRecords keeps each column at the first batch type, whole ids exact in every batch', async () => {
    // batches: int32-range ids above 2^24 were Float32 here too (whole-number columns are not Int32 in batches)
    const text = 'id,amount,score\n20000001,1,1.5\n20000003,2,2\n3000000001,3.5,3\n3000000003,4,4\n';
    const batches = [];
    for await (const b of csvRecords(text, { float32: true, batchSize: 2 })) batches.push(b);
    expect(batches).toHaveLength(2);
    const ids = batches.flatMap((b) => Array.from(b.getChild('id')!.toArray() as Float64Array));
    expect(ids).toEqual([20000001, 20000003, 3000000001, 3000000003]);
    for (const b of batches) {
      expect([typeOf(b, 'id'), typeOf(b, 'amount'), typeOf(b, 'score')]).toEqual(['Float64', 'Float64', 'Float32']);
    }
    expect(batches.flatMap((b) => Array.from(b.getChild('amount')!.toArray() as Float64Array))).toEqual([1, 2, 3.5, 4]);
  });
});
