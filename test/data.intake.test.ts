import { Decimal, Field, Float64, RecordBatch, Schema, Struct, Table, makeData, tableFromArrays } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { SegkitError } from '../src/util/errors.js';
import { pipeline } from '../src/prep/pipeline.js';
import { readColumn } from '../src/prep/frame.js';
import { readCsv } from '../src/data/readCsv.js';
import { csvRecords } from '../src/data/csvRecords.js';
import { readJson } from '../src/data/readJson.js';
import { readNdjson } from '../src/data/readNdjson.js';
import { writeCsv, writeCsvBytes } from '../src/data/writeCsv.js';

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

/** An Arrow table of one Decimal128(precision, scale) column "amount" (null for null) and a Float64 column "x", in batches. */
function decimalTable(batches: (bigint | null)[][], precision: number, scale: number, x: number[][]): Table {
  const type = new Decimal(scale, precision, 128);
  const schema = new Schema([new Field('amount', type, true), new Field('x', new Float64(), false)]);
  return new Table(
    schema,
    batches.map((unscaled, b) => {
      const n = unscaled.length;
      const words = new Uint32Array(n * 4);
      const valid = new Uint8Array((n + 7) >> 3);
      let nulls = 0;
      unscaled.forEach((v, i) => {
        if (v === null) return void nulls++;
        valid[i >> 3] |= 1 << (i & 7);
        const u = BigInt.asUintN(128, v);
        for (let w = 0; w < 4; w++) words[i * 4 + w] = Number((u >> BigInt(32 * w)) & 0xffffffffn);
      });
      const amount = makeData({ type, length: n, nullCount: nulls, nullBitmap: nulls ? valid : undefined, data: words });
      const xs = makeData({ type: new Float64(), length: n, data: Float64Array.from(x[b]) });
      return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children: [amount, xs] }));
    }),
  );
}

describe('pipeline on Decimal128 columns of an Arrow table', () => {
  // amounts as databases export them: decimal(10, 2); the column was left out of the features without a word
  const table = decimalTable([[1050n, -1234n, null], [10n, 999999n]], 10, 2, [[1, 2, 3], [4, 5]]);

  it('reads each value as the float64 nearest its decimal, missing ones as missing', () => {
    const col = readColumn(table, 'amount', 'numeric');
    expect(Array.from(col.values as Float64Array)).toEqual([10.5, -12.34, NaN, 0.1, 9999.99]);
  });

  it('makes the column a feature, as readArrow\'s Float64 column of the same values would be', async () => {
    const twin = tableFromArrays({ amount: Float64Array.from([10.5, -12.34, NaN, 0.1, 9999.99]), x: Float64Array.from([1, 2, 3, 4, 5]) });
    const opts = { impute: 'median', scale: 'standard' } as const;
    const got = await pipeline(opts).fitTransform(table);
    const want = await pipeline(opts).fitTransform(twin);
    expect(got.dataset.names).toEqual(['amount', 'x']);
    expect(got.dataset.columns.map((c) => Array.from(c))).toEqual(want.dataset.columns.map((c) => Array.from(c)));
  });

  it('reads a wide type (decimal(38, 18)) by value, and refuses a value float64 cannot hold, naming the column and the value', async () => {
    const wide = decimalTable([[15n * 10n ** 17n, -25n * 10n ** 16n, 10n ** 18n]], 38, 18, [[1, 2, 3]]);
    expect(Array.from(readColumn(wide, 'amount', 'numeric').values as Float64Array)).toEqual([1.5, -0.25, 1]);
    const tooMany = decimalTable([[15n * 10n ** 17n, 12345678901234567n * 10n]], 38, 18, [[1, 2]]);
    const err = await pipeline().fitTransform(tooMany).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SegkitError);
    expect((err as SegkitError).code).toBe('E_PARSE');
    expect((err as SegkitError).message).toMatch(/^column "amount" holds 0.123456789012345670: more than the 15 digits a float64 holds/);
  });
});

describe('a U+FEFF that begins a text cell (not the file\'s byte order mark)', () => {
  // rows of two files joined into one keep the second file's byte order mark at the start of a line: it is text
  const text = '\uFEFFname,city\n\uFEFFann,"\uFEFFoslo, no"\nbob,\uFEFFrome\n';

  it('is read into the column\'s bytes and written back by writeCsv and writeCsvBytes', async () => {
    const table = await readCsv(text);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['name', 'city']);
    const bytes = table.getChild('city')!.data[0].values as Uint8Array;
    expect(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes)).toBe('\uFEFFoslo, no\uFEFFrome');
    const want = 'name,city\n\uFEFFann,"\uFEFFoslo, no"\nbob,\uFEFFrome\n';
    expect(writeCsv(table)).toBe(want);
    expect(new TextDecoder('utf-8', { ignoreBOM: true }).decode(writeCsvBytes(table))).toBe(want);
    const again = await readCsv(writeCsv(table));
    expect(Array.from(again.getChild('city')!.data[0].values as Uint8Array)).toEqual(Array.from(bytes));
  });
});
