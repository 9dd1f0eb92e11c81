import * as Arrow from 'apache-arrow';
import { Binary, Bool, Dictionary, Float64, Int32, Table, TimestampMillisecond, Utf8, makeData, makeVector, vectorFromArray } from 'apache-arrow';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SegkitError } from '../src/util/errors.js';
import { aggregateByCustomer } from '../src/data/aggregateByCustomer.js';
import { joinCustomers } from '../src/data/joinCustomers.js';
import { rfm } from '../src/features/rfm.js';
import { withColumns } from '../src/data/withColumns.js';
import { readCsv } from '../src/data/readCsv.js';
import { readParquet } from '../src/data/readParquet.js';
import { writeParquet } from '../src/data/writeParquet.js';
import { failure } from './helpers.js';

const types = (t: Table) => Object.fromEntries(t.schema.fields.map((f) => [f.name, String(f.type)]));
const values = (t: Table, name: string) => [...t.getChild(name)!].map((v) => v ?? null);

/** A small seeded generator (LCG), so the logs below are the same on every run. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('joinCustomers', () => {
  const customers = () =>
    new Table({
      id: vectorFromArray([101, 102, 103, 104], new Int32()),
      name: vectorFromArray(['ann', 'bob', 'cy', 'di'], new Utf8()),
    });
  const orders = () =>
    new Table({
      customer: vectorFromArray(['104', '101', '999', '103'], new Utf8()),
      spend: vectorFromArray([40.5, 10, 1, null], new Float64()),
      last: vectorFromArray([Date.UTC(2024, 0, 4), Date.UTC(2024, 0, 1), 0, Date.UTC(2024, 0, 3)], new TimestampMillisecond()),
      tier: vectorFromArray(['gold', 'silver', 'x', 'gold'], new Dictionary(new Utf8(), new Int32())),
    });

  it('left-joins on keys of different types, keeping every customer in order and each source column type', async () => {
    const view = await joinCustomers(customers(), [{ table: orders(), key: 'customer', prefix: 'o_' }], { key: 'id' });
    expect(view.numRows).toBe(4);
    expect(types(view)).toEqual({
      id: 'Int32',
      name: 'Utf8',
      o_spend: 'Float64',
      o_last: 'Timestamp<MILLISECOND>',
      o_tier: 'Dictionary<Int32, Utf8>',
    });
    // independent expectation: a plain lookup by the customer id written as text
    const source = orders();
    const byKey = new Map(values(source, 'customer').map((k, row) => [k, row]));
    for (const col of ['spend', 'last', 'tier']) {
      const expected = values(customers(), 'id').map((id) => {
        const row = byKey.get(String(id));
        return row === undefined ? null : values(source, col)[row];
      });
      expect(values(view, `o_${col}`), col).toEqual(expected);
    }
    expect(values(view, 'o_spend')).toEqual([10, null, null, 40.5]);
    expect(values(view, 'name')).toEqual(['ann', 'bob', 'cy', 'di']);
  });

  it('joins several sources, and string customer keys to numeric source keys', async () => {
    const people = await readCsv('cid,region\nC7,north\n42,south\n7,east\n', { types: { cid: 'string' } });
    const scores = new Table({ k: vectorFromArray([7, 42], new Int32()), score: vectorFromArray([0.5, 0.25], new Float64()) });
    const flags = new Table({ key: vectorFromArray(['C7'], new Utf8()), vip: vectorFromArray([true], new Bool()) });
    const view = await joinCustomers(
      people,
      [
        { table: scores, key: 'k' },
        { table: flags, key: 'key', prefix: 'f_' },
      ],
      { key: 'cid' },
    );
    expect(view.schema.fields.map((f) => f.name)).toEqual(['cid', 'region', 'score', 'f_vip']);
    expect(values(view, 'score')).toEqual([null, 0.25, 0.5]);
    expect(values(view, 'f_vip')).toEqual([true, null, null]);
  });

  it('refuses text keys that equal the other table\'s number keys only once read as numbers ("00042" and 42)', async () => {
    const people = await readCsv('cid,region\n00042,south\n00007,east\nC7,north\n', { types: { cid: 'string' } });
    const scores = new Table({ k: vectorFromArray([7, 42], new Int32()), score: vectorFromArray([0.5, 0.25], new Float64()) });
    let e = await failure(() => joinCustomers(people, [{ table: scores, key: 'k' }], { key: 'cid' }));
    expect(e.code).toBe('E_SHAPE_MISMATCH');
    expect(e.message).toContain('the customers table has key "00042" (row 0) in column "cid" as text, and source 0 has the number 42 in column "k"');
    // the other way round: number customer keys, text source keys
    const byNumber = new Table({ id: vectorFromArray([42, 8], new Int32()) });
    const texts = new Table({ key: vectorFromArray(['8', '42.0'], new Utf8()), vip: vectorFromArray([true, false], new Bool()) });
    e = await failure(() => joinCustomers(byNumber, [{ table: texts, key: 'key' }], { key: 'id' }));
    expect(e.code).toBe('E_SHAPE_MISMATCH');
    expect(e.message).toContain('source 0 has key "42.0" (row 1) in column "key" as text, and the customers table has the number 42 in column "id"');
  });

  it('matches integer text keys beyond 2^53 exactly against Int64 keys, and reads only decimal text as a number', async () => {
    // "9007199254740993" is its own Int64 key; a float64 would round it to 9007199254740992, another customer's
    const people = new Table({ cid: vectorFromArray(['9007199254740993', '10000000000000001', '0x10'], new Utf8()) });
    const big = new Table({
      k: vectorFromArray([9007199254740992n, 9007199254740993n, 10000000000000000n, 10000000000000001n, 16n], new Arrow.Int64()),
      score: vectorFromArray([1, 2, 3, 4, 5], new Float64()),
    });
    const view = await joinCustomers(people, [{ table: big, key: 'k' }], { key: 'cid' });
    expect(values(view, 'score')).toEqual([2, 4, null]);
    // with a leading zero the key equals 9007199254740993 only once read as a number (exactly, not as a float64)
    const padded = new Table({ cid: vectorFromArray(['09007199254740993'], new Utf8()) });
    const one = new Table({ k: vectorFromArray([9007199254740993n], new Arrow.Int64()), score: vectorFromArray([2], new Float64()) });
    const e = await failure(() => joinCustomers(padded, [{ table: one, key: 'k' }], { key: 'cid' }));
    expect(e.code).toBe('E_SHAPE_MISMATCH');
    expect(e.message).toContain('the customers table has key "09007199254740993" (row 0) in column "cid" as text, and source 0 has the number 9007199254740993 in column "k"');
  });

  it('leaves the input tables as they were', async () => {
    const c = customers();
    const o = orders();
    await joinCustomers(c, [{ table: o, key: 'customer' }], { key: 'id' });
    expect(c.schema.fields.map((f) => f.name)).toEqual(['id', 'name']);
    expect(o.schema.fields.map((f) => f.name)).toEqual(['customer', 'spend', 'last', 'tier']);
  });

  it('names a missing key column, in the customers table or in a source', async () => {
    let e = await failure(() => joinCustomers(customers(), [], { key: 'customer_id' }));
    expect(e.code).toBe('E_MISSING_COLUMN');
    expect(e.message).toContain('"customer_id"');
    e = await failure(() => joinCustomers(customers(), [{ table: orders(), key: 'customer' }, { table: orders(), key: 'cust', prefix: 'b_' }], { key: 'id' }));
    expect(e.code).toBe('E_MISSING_COLUMN');
    expect(e.message).toBe('source 1 has no key column "cust" (it has: customer, spend, last, tier)');
  });

  it('refuses a source with a duplicated key, naming the key and the rows', async () => {
    const dup = new Table({ k: vectorFromArray(['101', '102', '101'], new Utf8()), v: vectorFromArray([1, 2, 3], new Int32()) });
    const e = await failure(() => joinCustomers(customers(), [{ table: dup, key: 'k' }], { key: 'id' }));
    expect(e.code).toBe('E_SHAPE_MISMATCH');
    expect(e.message).toContain('"101"');
    expect(e.message).toContain('rows 0 and 2');
    expect(e.hint).toContain('aggregateByCustomer');
  });

  it('refuses a column name that already exists, suggesting a prefix', async () => {
    const clash = new Table({ k: vectorFromArray(['101'], new Utf8()), name: vectorFromArray(['x'], new Utf8()) });
    const e = await failure(() => joinCustomers(customers(), [{ table: clash, key: 'k' }], { key: 'id' }));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toContain('"name"');
    expect(e.hint).toContain('prefix');
  });
});

describe('aggregateByCustomer', () => {
  // a seeded log with nulls in every column and rows without a customer
  const N = 400;
  const rnd = lcg(7);
  const rows = Array.from({ length: N }, (_, i) => ({
    customer: rnd() < 0.05 ? null : `c${Math.floor(rnd() * 23)}`,
    amount: rnd() < 0.1 ? null : Math.round(rnd() * 10000) / 100,
    qty: Math.floor(rnd() * 5),
    at: Date.UTC(2024, 0, 1) + i * 3600_000,
    channel: rnd() < 0.1 ? null : ['web', 'store', 'app'][Math.floor(rnd() * 3)],
  }));
  const log = new Table({
    customer: vectorFromArray(rows.map((r) => r.customer), new Utf8()),
    amount: vectorFromArray(rows.map((r) => r.amount), new Float64()),
    qty: vectorFromArray(rows.map((r) => r.qty), new Int32()),
    at: vectorFromArray(rows.map((r) => r.at), new TimestampMillisecond()),
    channel: vectorFromArray(rows.map((r) => r.channel), new Dictionary(new Utf8(), new Int32())),
  });

  it('matches a direct computation for every operation', async () => {
    const out = await aggregateByCustomer(log, {
      key: 'customer',
      aggregations: {
        orders: { op: 'count' },
        paid: { column: 'amount', op: 'count' },
        spend: { column: 'amount', op: 'sum' },
        avg: { column: 'amount', op: 'mean' },
        smallest: { column: 'amount', op: 'min' },
        units: { column: 'qty', op: 'max' },
        firstSeen: { column: 'at', op: 'min' },
        lastSeen: { column: 'at', op: 'max' },
        channels: { column: 'channel', op: 'distinct' },
        firstChannel: { column: 'channel', op: 'first' },
        lastChannel: { column: 'channel', op: 'last' },
      },
    });
    expect(types(out)).toEqual({
      customer: 'Utf8',
      orders: 'Int32',
      paid: 'Int32',
      spend: 'Float64',
      avg: 'Float64',
      smallest: 'Float64',
      units: 'Int32',
      firstSeen: 'Timestamp<MILLISECOND>',
      lastSeen: 'Timestamp<MILLISECOND>',
      channels: 'Int32',
      firstChannel: 'Dictionary<Int32, Utf8>',
      lastChannel: 'Dictionary<Int32, Utf8>',
    });
    // the reference: group the plain rows by hand, customers in order of first appearance
    const groups = new Map<string, typeof rows>();
    for (const r of rows) if (r.customer !== null) groups.set(r.customer, [...(groups.get(r.customer) ?? []), r]);
    expect(values(out, 'customer')).toEqual([...groups.keys()]);
    const each = (fn: (g: typeof rows) => unknown) => [...groups.values()].map(fn);
    const amounts = (g: typeof rows) => g.map((r) => r.amount).filter((a): a is number => a !== null);
    expect(values(out, 'orders')).toEqual(each((g) => g.length));
    expect(values(out, 'paid')).toEqual(each((g) => amounts(g).length));
    const spend = values(out, 'spend') as number[];
    const avg = values(out, 'avg') as number[];
    (each((g) => amounts(g)) as number[][]).forEach((a, j) => {
      expect(spend[j]).toBeCloseTo(a.reduce((x, y) => x + y, 0), 9);
      expect(avg[j]).toBeCloseTo(a.reduce((x, y) => x + y, 0) / a.length, 9);
    });
    expect(values(out, 'smallest')).toEqual(each((g) => Math.min(...amounts(g))));
    expect(values(out, 'units')).toEqual(each((g) => Math.max(...g.map((r) => r.qty))));
    expect(values(out, 'firstSeen')).toEqual(each((g) => g[0].at));
    expect(values(out, 'lastSeen')).toEqual(each((g) => g[g.length - 1].at));
    expect(values(out, 'channels')).toEqual(each((g) => new Set(g.map((r) => r.channel).filter((c) => c !== null)).size));
    expect(values(out, 'firstChannel')).toEqual(each((g) => g[0].channel));
    expect(values(out, 'lastChannel')).toEqual(each((g) => g[g.length - 1].channel));
  });

  it('groups a dictionary-encoded key without nulls (types category, or from Parquet), in order of first appearance', async () => {
    const text = 'customer_id,amount\nb,1\na,2\nb,3.5\nc,4\n';
    const csv = await readCsv(text, { types: { customer_id: 'category' } });
    expect(csv.getChild('customer_id')!.nullCount).toBe(0);
    const parquet = await readParquet(await writeParquet(csv));
    expect(types(parquet).customer_id).toBe('Dictionary<Int32, Utf8>');
    for (const log of [csv, parquet]) {
      const out = await aggregateByCustomer(log, { key: 'customer_id', aggregations: { n: { op: 'count' }, spend: { column: 'amount', op: 'sum' } } });
      expect(values(out, 'customer_id')).toEqual(['b', 'a', 'c']);
      expect(values(out, 'n')).toEqual([2, 1, 1]);
      expect(values(out, 'spend')).toEqual([4.5, 2, 4]);
    }
  });

  it('gives no row to a dictionary entry no row uses', async () => {
    const dictionary = vectorFromArray(['unused', 'a', 'b'], new Utf8());
    const keys = makeData({ type: new Dictionary(new Utf8(), new Int32()), length: 3, nullCount: 0, data: Int32Array.from([2, 1, 2]), dictionary });
    const log = new Table({ k: makeVector(keys), x: vectorFromArray([1, 2, 3], new Float64()) });
    const out = await aggregateByCustomer(log, { key: 'k', aggregations: { n: { op: 'count' }, s: { column: 'x', op: 'sum' } } });
    expect(values(out, 'k')).toEqual(['b', 'a']);
    expect(values(out, 'n')).toEqual([2, 1]);
    expect(values(out, 's')).toEqual([4, 2]);
  });

  it('gives null for sum, mean, min and max of a customer without values', async () => {
    const t = new Table({ c: vectorFromArray(['a', 'a', 'b'], new Utf8()), x: vectorFromArray([null, null, 2], new Float64()) });
    const out = await aggregateByCustomer(t, {
      key: 'c',
      aggregations: { s: { column: 'x', op: 'sum' }, m: { column: 'x', op: 'mean' }, lo: { column: 'x', op: 'min' }, n: { column: 'x', op: 'count' } },
    });
    expect(values(out, 's')).toEqual([null, 2]);
    expect(values(out, 'm')).toEqual([null, 2]);
    expect(values(out, 'lo')).toEqual([null, 2]);
    expect(values(out, 'n')).toEqual([0, 1]);
  });

  it('feeds joinCustomers: aggregate a log, then join it to the customers', async () => {
    const customers = await readCsv('id,name\n1,ann\n2,bob\n3,cy\n');
    const events = await readCsv('who,amount\n3,5\n1,2.5\n3,1\n');
    const perCustomer = await aggregateByCustomer(events, { key: 'who', aggregations: { spend: { column: 'amount', op: 'sum' } } });
    const view = await joinCustomers(customers, [{ table: perCustomer, key: 'who' }], { key: 'id' });
    expect(values(view, 'spend')).toEqual([2.5, null, 6]);
  });

  it('rejects missing columns, unknown operations and sums of text', async () => {
    let e = await failure(() => aggregateByCustomer(log, { key: 'client', aggregations: { n: { op: 'count' } } }));
    expect(e.code).toBe('E_MISSING_COLUMN');
    expect(e.message).toContain('"client"');
    e = await failure(() => aggregateByCustomer(log, { key: 'customer', aggregations: { s: { column: 'price', op: 'sum' } } }));
    expect(e.code).toBe('E_MISSING_COLUMN');
    expect(e.message).toContain('"price"');
    e = await failure(() => aggregateByCustomer(log, { key: 'customer', aggregations: { s: { column: 'amount', op: 'median' as never } } }));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toContain('"aggregations.s.op"');
    e = await failure(() => aggregateByCustomer(log, { key: 'customer', aggregations: { s: { column: 'channel', op: 'sum' } } }));
    expect(e.code).toBe('E_NON_NUMERIC');
    expect(e.message).toContain('"channel"');
    e = await failure(() => aggregateByCustomer(log, { key: 'customer', aggregations: {} }));
    expect(e.code).toBe('E_BAD_OPTION');
  });
});

describe('joins and aggregations keep any column type exactly, across chunks', () => {
  const { Binary, Bool: BoolT, DateDay, Decimal, Float32, Int64, LargeUtf8, makeData, makeVector, Table: ArrowTable, Uint8 } = Arrow;

  /** A source whose columns come in two chunks each, with types vectorFromArray and the readers do not produce. */
  function source(): Arrow.Table {
    const keys = ['k3', 'k1', 'k9', 'k2'];
    const part = (from: number, to: number) => ({
      key: vectorFromArray(keys.slice(from, to), new Utf8()),
      day: makeVector(makeData({ type: new DateDay(), length: to - from, data: Int32Array.from([19_700, 19_701, -3, 0].slice(from, to)) })),
      big: makeVector(makeData({ type: new Int64(), length: to - from, data: BigInt64Array.from([2n ** 60n, -5n, 7n, 0n].slice(from, to)) })),
      dec: makeVector(makeData({ type: new Decimal(2, 18, 128), length: to - from, data: Uint32Array.from([12345, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 9, 0, 0, 0].slice(from * 4, to * 4)) })),
      text: vectorFromArray(['α', 'long text', null, ''].slice(from, to), new LargeUtf8()),
      bytes: vectorFromArray([Uint8Array.of(1, 2), Uint8Array.of(), Uint8Array.of(9), null].slice(from, to), new Binary()),
      flag: vectorFromArray([true, false, null, true].slice(from, to), new BoolT()),
      small: vectorFromArray([1.5, -2, 3, null].slice(from, to), new Float32()),
      tiny: vectorFromArray([255, 0, 1, 2].slice(from, to), new Uint8()),
    });
    const a = new ArrowTable(part(0, 3));
    const b = new ArrowTable(part(3, 4));
    return a.concat(b) as unknown as Arrow.Table;
  }

  it('joinCustomers gathers every type, chunked sources included, with nulls for customers the source lacks', async () => {
    const src = source();
    expect(src.getChild('day')!.data).toHaveLength(2);
    const customers = new Table({ id: vectorFromArray(['k2', 'k1', 'zz', 'k3'], new Utf8()) });
    const view = await joinCustomers(customers, [{ table: src, key: 'key' }], { key: 'id' });
    const order = [3, 1, -1, 0];
    for (const f of src.schema.fields.filter((x) => x.name !== 'key')) {
      expect(String(view.getChild(f.name)!.type), f.name).toBe(String(f.type));
      const want = order.map((r) => (r < 0 ? null : src.getChild(f.name)!.get(r) ?? null));
      const got = [...view.getChild(f.name)!].map((v) => v ?? null);
      expect(got.map(String), f.name).toEqual(want.map(String));
    }
  });

  it('aggregateByCustomer: first, last, min and max keep the type; NaN is a value that wins min and max and makes sums NaN', async () => {
    const log = new Table({
      c: vectorFromArray(['a', 'b', 'a', 'a', 'b'], new Utf8()),
      x: vectorFromArray([3, 1, NaN, 2, null], new Float64()),
      big: makeVector(makeData({ type: new Int64(), length: 5, data: BigInt64Array.from([5n, 2n ** 62n, -1n, 9n, 0n]) })),
    });
    const out = await aggregateByCustomer(log, {
      key: 'c',
      aggregations: {
        n: { column: 'x', op: 'count' }, s: { column: 'x', op: 'sum' }, lo: { column: 'x', op: 'min' }, hi: { column: 'x', op: 'max' },
        bigMax: { column: 'big', op: 'max' }, bigFirst: { column: 'big', op: 'first' }, distinct: { column: 'x', op: 'distinct' },
      },
    });
    expect(values(out, 'n')).toEqual([3, 1]);
    expect(values(out, 's')).toEqual([NaN, 1]);
    expect(values(out, 'lo')).toEqual([NaN, 1]);
    expect(values(out, 'hi')).toEqual([NaN, 1]);
    expect(types(out).bigMax).toBe('Int64');
    expect(values(out, 'bigMax')).toEqual([9n, 2n ** 62n]);
    expect(values(out, 'bigFirst')).toEqual([5n, 2n ** 62n]);
    expect(values(out, 'distinct')).toEqual([3, 1]);
  });

  it('reads a dictionary column whose batches carry different dictionaries (an IPC stream with replacement dictionaries)', async () => {
    const { readArrow } = await import('../src/data/readArrow.js');
    const keyType = new Dictionary(new Utf8(), new Int32(), 7), planType = new Dictionary(new Utf8(), new Int32(), 8);
    const batch = (keys: (string | null)[], x: number[], plan: string[]) =>
      new Table({ c: vectorFromArray(keys, keyType), x: vectorFromArray(x, new Float64()), plan: vectorFromArray(plan, planType) }).batches[0];
    const first = batch(['a', 'b', 'a'], [1, 2, 3], ['gold', 'free', 'free']);
    const second = batch(['c', null, 'a'], [4, 5, 6], ['free', 'gold', 'pro']);
    const log = await readArrow(Arrow.tableToIPC(new Table(first.schema, [first, new Arrow.RecordBatch(first.schema, second.data)]), 'stream'));
    expect(log.getChild('c')!.data.map((d) => d.dictionary!.length)).toEqual([2, 2]);
    // pandas: df.groupby('c', sort=False, dropna=True).agg(total=('x', 'sum'), n=('x', 'count'), plan=('plan', 'last'))
    const out = await aggregateByCustomer(log, {
      key: 'c', aggregations: { total: { column: 'x', op: 'sum' }, n: { op: 'count' }, plan: { column: 'plan', op: 'last' }, top: { column: 'plan', op: 'max' } },
    });
    expect(values(out, 'c')).toEqual(['a', 'b', 'c']);
    expect(values(out, 'total')).toEqual([10, 2, 4]);
    expect(values(out, 'n')).toEqual([3, 1, 1]);
    expect(values(out, 'plan')).toEqual(['pro', 'free', 'free']);
    expect(values(out, 'top')).toEqual(['pro', 'free', 'free']);
    const byId = await joinCustomers(new Table({ id: vectorFromArray([6, 4, 9], new Float64()) }), [{ table: log, key: 'x' }], { key: 'id' });
    expect(values(byId, 'c')).toEqual(['a', 'c', null]);
    expect(values(byId, 'plan')).toEqual(['pro', 'free', null]);
  });

  it('aggregateByCustomer: float sums are compensated, as math.fsum gives them on money-like values: ten 0.1s are 1', async () => {
    // test/fixtures/aggregate_float_sums.py: money-like floats per customer; pandas' groupby (Kahan) differs from
    // math.fsum for a few customers, float64 additions in log order for about half of them
    const f = JSON.parse(readFileSync(new URL('./fixtures/aggregate-float-sums.json', import.meta.url), 'utf8')) as
      { keys: string[]; values: number[]; customers: string[]; sum: number[]; mean: number[]; fsum: number[]; fmean: number[] };
    const log = new Table({ k: vectorFromArray(f.keys, new Utf8()), v: vectorFromArray(f.values, new Float64()) });
    const out = await aggregateByCustomer(log, { key: 'k', aggregations: { s: { column: 'v', op: 'sum' }, m: { column: 'v', op: 'mean' } } });
    expect(values(out, 'k')).toEqual(f.customers);
    expect(values(out, 's')).toEqual(f.fsum);
    expect(values(out, 'm')).toEqual(f.fmean);
    const tenths = new Table({ k: vectorFromArray(Array(10).fill('a'), new Utf8()), v: vectorFromArray(Array(10).fill(0.1), new Float64()) });
    const t = await aggregateByCustomer(tenths, { key: 'k', aggregations: { s: { column: 'v', op: 'sum' }, m: { column: 'v', op: 'mean' } } });
    expect([values(t, 's'), values(t, 'm')]).toEqual([[1], [0.1]]);
    // an infinite value keeps the sum infinite (its lost low bits would be NaN), two opposite ones make it NaN
    const inf = new Table({ k: vectorFromArray(['a', 'a', 'b', 'b', 'b'], new Utf8()), v: vectorFromArray([1e308, Infinity, 0.1, Infinity, -Infinity], new Float64()) });
    expect(values(await aggregateByCustomer(inf, { key: 'k', aggregations: { s: { column: 'v', op: 'sum' } } }), 's')).toEqual([Infinity, NaN]);
  });

  it('aggregateByCustomer: min and max order bytes bytewise, text by code point and wide decimals exactly', async () => {
    // pandas on the same values (bytes and str objects, decimal.Decimal):
    //   df.groupby('c', sort=False).agg(lo=('x', 'min'), hi=('x', 'max'))
    const bytes = (s: string) => new TextEncoder().encode(s);
    const words = (v: bigint[], width: number) => {
      const out = new Uint32Array(v.length * width);
      v.forEach((x, i) => {
        let u = BigInt.asUintN(width * 32, x);
        for (let w = 0; w < width; w++, u >>= 32n) out[i * width + w] = Number(u & 0xffffffffn);
      });
      return out;
    };
    const e18 = 10n ** 18n;
    const log = new Table({
      c: vectorFromArray(['a', 'a', 'a', 'a', 'b', 'b', 'b'], new Utf8()),
      // Parquet text without its UTF8 annotation: bytes 100 ('d') sort after 90 ('Z') and 97 ('a'), and 9 before 10
      bin: vectorFromArray([bytes('dog'), bytes('Zebra'), bytes('apple'), bytes('d'), Uint8Array.of(10), Uint8Array.of(9), Uint8Array.of(100)], new Binary()),
      // U+FF01 is one UTF-16 unit above the surrogates of U+1F600, yet the smaller code point
      text: vectorFromArray(['\uFF01', '\u{1F600}', 'z', '\uFF01', 'b', '\u{1F600}\u0000', '\u{1F600}'], new Utf8()),
      // decimal(38, 18): 1.000000000000000003 and 1.000000000000000001 are one float64, and past 2^53 unscaled
      wide: makeVector(makeData({ type: new Arrow.Decimal(18, 38, 128), length: 7, data: words([e18 + 2n, e18 + 3n, e18 + 1n, -e18, 5n * e18, -(5n * e18) - 1n, -(5n * e18)], 4) })),
      narrow: makeVector(makeData({ type: new Arrow.Decimal(2, 18, 64), length: 7, data: words([9n, 10n, -1n, -20n, 0n, -3n, 7n], 2) })),
    });
    const out = await aggregateByCustomer(log, {
      key: 'c',
      aggregations: Object.fromEntries(['bin', 'text', 'wide', 'narrow'].flatMap((x) => [[`${x}Lo`, { column: x, op: 'min' as const }], [`${x}Hi`, { column: x, op: 'max' as const }]])),
    });
    const text = (name: string) => values(out, name).map((v) => new TextDecoder().decode(v as Uint8Array));
    expect(text('binLo')).toEqual(['Zebra', '\u0009']);
    expect(text('binHi')).toEqual(['dog', 'd']);
    expect(types(out).binLo).toBe('Binary');
    expect(values(out, 'textLo')).toEqual(['z', 'b']);
    expect(values(out, 'textHi')).toEqual(['\u{1F600}', '\u{1F600}\u0000']);
    const unscaledOf = (name: string) => out.getChild(name)!.data.flatMap((d) => Array.from({ length: d.length }, (_, r) => {
      const w = d.values as Uint32Array, width = (d.type as Arrow.Decimal).bitWidth / 32;
      let v = 0n;
      for (let k = width - 1; k >= 0; k--) v = (v << 32n) | BigInt(w[r * width + k]);
      return BigInt.asIntN(width * 32, v);
    }));
    expect(unscaledOf('wideLo')).toEqual([-e18, -(5n * e18) - 1n]);
    expect(unscaledOf('wideHi')).toEqual([e18 + 3n, 5n * e18]);
    expect(unscaledOf('narrowLo')).toEqual([-20n, -3n]);
    expect(unscaledOf('narrowHi')).toEqual([10n, 7n]);
  });

  it('aggregateByCustomer: min, max and distinct of nanosecond timestamps tell nanoseconds apart, across sliced chunks', async () => {
    // Arrow reads each of these as the float64 1704067200123.4568 (milliseconds): pandas' min and max are exact
    const t = 1704067200123456789n;
    const ns = (v: bigint[]) => makeData({ type: new Arrow.TimestampNanosecond(), length: v.length, data: BigInt64Array.from(v) });
    const at = makeVector([ns([0n, t + 2n, t + 1n, t + 3n]).slice(1, 2), ns([t + 3n, t + 1n, t + 2n])]);
    const log = new Table({ c: vectorFromArray(['a', 'a', 'b', 'b', 'a'], new Utf8()), at });
    const out = await aggregateByCustomer(log, { key: 'c', aggregations: { lo: { column: 'at', op: 'min' }, hi: { column: 'at', op: 'max' }, n: { column: 'at', op: 'distinct' } } });
    const stored = (name: string) => out.getChild(name)!.data.flatMap((d) => [...(d.values as BigInt64Array)]);
    expect(stored('lo')).toEqual([t + 1n, t + 1n]);
    expect(stored('hi')).toEqual([t + 2n, t + 3n]);
    expect(values(out, 'n')).toEqual([2, 2]);
    // customers keyed by such a timestamp are three, not one
    const byTime = await aggregateByCustomer(log, { key: 'at', aggregations: { n: { op: 'count' } } });
    expect(values(byTime, 'n')).toEqual([2, 2, 1]);
    expect(types(out).lo).toBe(String(at.type));
  });

  it('groups dates by their time, not by the object that holds them', async () => {
    const log = new Table({
      day: makeVector(makeData({ type: new DateDay(), length: 4, data: Int32Array.from([5, 6, 5, 5]) })),
      v: vectorFromArray([1, 2, 3, 4], new Int32()),
    });
    const out = await aggregateByCustomer(log, { key: 'day', aggregations: { n: { op: 'count' }, s: { column: 'v', op: 'sum' } } });
    expect(values(out, 'n')).toEqual([3, 1]);
    expect(values(out, 's')).toEqual([8, 2]);
    expect(types(out).day).toBe(String(log.getChild('day')!.type));
  });
});

describe('joinCustomers keys', () => {
  it('matches no customer to a NaN key (a missing id in a float column), on either side', async () => {
    const customers = new Table({ id: vectorFromArray([7, NaN, 8, NaN], new Float64()) });
    // two rows without an id: no key, as null is, rather than one key seen twice
    const source = new Table({ id: vectorFromArray([NaN, 7, NaN, null], new Float64()), spend: vectorFromArray([99, 1.5, 98, 97], new Float64()) });
    const view = await joinCustomers(customers, [{ table: source, key: 'id' }], { key: 'id' });
    expect(values(view, 'spend')).toEqual([1.5, null, null, null]);
  });
});

describe('an empty id ("" or empty bytes) is a missing one, as rfm reads it', () => {
  const day = (n: number) => vectorFromArray(Array.from({ length: n }, (_, i) => Date.UTC(2024, 0, 1 + i)), new TimestampMillisecond());
  it('joinCustomers matches no customer to it, on either side, and two of them in a source are no duplicate', async () => {
    // a source keyed "" twice was E_DUPLICATE_ID; keyed "" once, it gave its row to every customer without an id
    const customers = new Table({ id: vectorFromArray(['a', '', 'b', ''], new Utf8()) });
    const source = new Table({ id: vectorFromArray(['', 'a', ''], new Utf8()), spend: vectorFromArray([99, 1.5, 98], new Float64()) });
    expect(values(await joinCustomers(customers, [{ table: source, key: 'id' }], { key: 'id' }), 'spend')).toEqual([1.5, null, null, null]);
    const once = new Table({ id: vectorFromArray(['', 'b'], new Utf8()), spend: vectorFromArray([99, 2.5], new Float64()) });
    expect(values(await joinCustomers(customers, [{ table: once, key: 'id' }], { key: 'id' }), 'spend')).toEqual([null, null, 2.5, null]);
    const empty = new Uint8Array(0), a = new TextEncoder().encode('a');
    const binary = new Table({ id: vectorFromArray([empty, a, empty], new Binary()), spend: vectorFromArray([99, 1.5, 98], new Float64()) });
    expect(values(await joinCustomers(customers, [{ table: binary, key: 'id' }], { key: 'id' }), 'spend')).toEqual([1.5, null, null, null]);
  });

  it('aggregateByCustomer leaves its rows out, as rfm skips them (missingCustomer "skip"): the same customers', async () => {
    const log = new Table({ k: vectorFromArray(['a', '', 'b', '', 'a'], new Utf8()), d: day(5), x: vectorFromArray([1, 2, 3, 4, 5], new Float64()) });
    const out = await aggregateByCustomer(log, { key: 'k', aggregations: { n: { op: 'count' }, s: { column: 'x', op: 'sum' } } });
    expect(values(out, 'k')).toEqual(['a', 'b']);
    expect(values(out, 'n')).toEqual([2, 1]);
    expect(values(out, 's')).toEqual([6, 3]);
    const r = rfm(log, { customer: 'k', date: 'd', amount: 'x', missingCustomer: 'skip' });
    expect([...values(r, 'k')].sort()).toEqual(['a', 'b']);
    expect(() => rfm(log, { customer: 'k', date: 'd', amount: 'x' })).toThrow(expect.objectContaining({ code: 'E_NAN_INPUT' }));
  });
});

describe('aggregateByCustomer keys', () => {
  it('leaves out rows whose key is NaN, as rows with a null key are, rather than making NaN one customer', async () => {
    const log = new Table({ k: vectorFromArray([1, NaN, 2, NaN, null, 1], new Float64()), x: vectorFromArray([1, 2, 3, 4, 5, 6], new Float64()) });
    const out = await aggregateByCustomer(log, { key: 'k', aggregations: { n: { op: 'count' }, s: { column: 'x', op: 'sum' }, d: { column: 'k', op: 'distinct' } } });
    // pandas 1.5.3: DataFrame({'k': [1, nan, 2, nan, None, 1], 'x': [1, 2, 3, 4, 5, 6]}).groupby('k', sort=False).x.agg(['count', 'sum'])
    expect(values(out, 'k')).toEqual([1, 2]);
    expect(values(out, 'n')).toEqual([2, 1]);
    expect(values(out, 's')).toEqual([7, 3]);
    expect(values(out, 'd')).toEqual([1, 1]);
  });

  it('groups decimal keys (decimal(38, 0) ids) by value, not one customer per row', async () => {
    const words = new Uint32Array([7, 0, 0, 0, 8, 0, 0, 0, 7, 0, 0, 0, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]);
    const k = makeVector(makeData({ type: new Arrow.Decimal(0, 38, 128), length: 4, data: words }));
    const log = new Table({ k, x: vectorFromArray([1, 2, 3, 4], new Float64()) });
    const out = await aggregateByCustomer(log, { key: 'k', aggregations: { n: { op: 'count' }, s: { column: 'x', op: 'sum' }, d: { column: 'k', op: 'distinct' } } });
    expect(out.numRows).toBe(3);
    expect(values(out, 'n')).toEqual([2, 1, 1]);
    expect(values(out, 's')).toEqual([4, 2, 4]);
    expect(values(out, 'd')).toEqual([1, 1, 1]);
    expect(String(out.getChild('k')!.type)).toBe(String(k.type));
    expect(Array.from(out.getChild('k')!.data[0].values as Uint32Array)).toEqual(Array.from(words.subarray(0, 8)).concat(Array.from(words.subarray(12))));
  });
});

describe('withColumns', () => {
  it('adds numbers and text after the table\'s own columns, which stay as they were', () => {
    const t = new Table({ id: vectorFromArray(['a', 'b', 'c'], new Utf8()), n: vectorFromArray([1, 2, 3], new Int32()) });
    const out = withColumns(t, { segment: Int32Array.of(2, -1, 0), score: Float64Array.of(0.5, 1, 2), name: ['x', null, 'z'] });
    expect(out.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(['id:Utf8', 'n:Int32', 'segment:Int32', 'score:Float64', 'name:Utf8']);
    expect(values(out, 'segment')).toEqual([2, -1, 0]);
    expect(values(out, 'name')).toEqual(['x', null, 'z']);
    expect(values(out, 'id')).toEqual(['a', 'b', 'c']);
    expect(t.numCols).toBe(2);
  });

  it('refuses a name the table has, a wrong length and values that are not text', () => {
    const t = new Table({ id: vectorFromArray(['a', 'b'], new Utf8()) });
    expect(() => withColumns(t, { id: Int32Array.of(1, 2) })).toThrow(/already has a column "id"/);
    expect(() => withColumns(t, { s: Int32Array.of(1) })).toThrow(/"s" has 1 values for 2 rows/);
    expect(() => withColumns(t, { s: ['a', 3 as never] })).toThrow(/"s", row 1 is 3/);
  });
});

describe('joinCustomers on decimal keys', () => {
  /** A Decimal128 column of (scale, precision) from unscaled values (null for null). */
  const decimals = (scale: number, precision: number, unscaled: (bigint | null)[]) => {
    const words = new Uint32Array(unscaled.length * 4);
    const valid = new Uint8Array((unscaled.length + 7) >> 3);
    unscaled.forEach((u, i) => {
      if (u === null) return;
      valid[i >> 3] |= 1 << (i & 7);
      for (let w = 0; w < 4; w++) words[i * 4 + w] = Number(BigInt.asUintN(32, u >> BigInt(32 * w)));
    });
    const nullCount = unscaled.filter((u) => u === null).length;
    return makeVector(makeData({ type: new Arrow.Decimal(scale, precision, 128), length: unscaled.length, nullCount, nullBitmap: nullCount ? valid : undefined, data: words }));
  };
  // pandas merges Decimal keys with int and float keys by value: Decimal('7.00') == 7, Decimal('7.50') == 7.5
  const customers = new Table({ id: decimals(2, 10, [700n, 750n, 800n, null, -1200n]) });

  it('matches a decimal(10, 2) key to an integer key of the same value', async () => {
    const source = new Table({ k: vectorFromArray([7, 8, -12], new Int32()), spend: vectorFromArray([1, 2, 3], new Int32()) });
    const out = await joinCustomers(customers, [{ table: source, key: 'k' }], { key: 'id' });
    expect(values(out, 'spend')).toEqual([1, null, 2, null, 3]);
  });

  it('matches a decimal(10, 2) key to a float key of the same value, and integer keys the other way round', async () => {
    const source = new Table({ k: vectorFromArray([7.5, 8], new Float64()), spend: vectorFromArray([1, 2], new Int32()) });
    expect(values(await joinCustomers(customers, [{ table: source, key: 'k' }], { key: 'id' }), 'spend')).toEqual([null, 1, 2, null, null]);
    const people = new Table({ id: vectorFromArray([8, 7, 9], new Int32()) });
    const byDecimal = new Table({ k: decimals(3, 12, [7000n, 8000n]), spend: vectorFromArray([1, 2], new Int32()) });
    expect(values(await joinCustomers(people, [{ table: byDecimal, key: 'k' }], { key: 'id' }), 'spend')).toEqual([2, 1, null]);
  });

  it('matches decimal keys of different scales, and a decimal(38, 0) id past 2^53 to the same Int64 id', async () => {
    const source = new Table({ k: decimals(1, 10, [75n, 80n]), spend: vectorFromArray([1, 2], new Int32()) });
    expect(values(await joinCustomers(customers, [{ table: source, key: 'k' }], { key: 'id' }), 'spend')).toEqual([null, 1, 2, null, null]);
    const big = 2n ** 53n + 1n;
    const wide = new Table({ id: decimals(0, 38, [big, 5n, 123456789012345678901n]) });
    const ids = new Table({ k: vectorFromArray([5n, 2n ** 53n, big], new Arrow.Int64()), spend: vectorFromArray([1, 2, 3], new Int32()) });
    expect(values(await joinCustomers(wide, [{ table: ids, key: 'k' }], { key: 'id' }), 'spend')).toEqual([3, 1, null]);
    const exact = new Table({ k: decimals(2, 38, [123456789012345678901n * 100n, big * 100n]), spend: vectorFromArray([3, 4], new Int32()) });
    expect(values(await joinCustomers(wide, [{ table: exact, key: 'k' }], { key: 'id' }), 'spend')).toEqual([4, null, 3]);
  });

  it('aggregateByCustomer sums and averages decimal amounts exactly, as pandas sums Decimal objects', async () => {
    // pandas: df.groupby('c', sort=False)['amount'].sum() of Decimal('0.10'), ... gives Decimal('0.30'), not 0.30000000000000004
    const c = vectorFromArray(['a', 'b', 'a', 'b', 'c', 'b'], new Utf8());
    for (const precision of [10, 38]) {
      const amount = decimals(2, precision, [10n, 700n, 20n, null, -5n, 1n]);
      const two = new Table({ c: c.slice(0, 3), amount: amount.slice(0, 3) }).concat(new Table({ c: c.slice(3), amount: amount.slice(3) }));
      for (const log of [new Table({ c, amount }), two]) {
        const out = await aggregateByCustomer(log, { key: 'c', aggregations: { total: { column: 'amount', op: 'sum' }, avg: { column: 'amount', op: 'mean' }, n: { column: 'amount', op: 'count' } } });
        expect(values(out, 'total')).toEqual([0.3, 7.01, -0.05]);
        expect(values(out, 'avg')).toEqual([0.15, 3.505, -0.05]);
        expect(values(out, 'n')).toEqual([2, 2, 1]);
      }
    }
  });

  it('refuses a text key that equals a decimal key only once read as a number', async () => {
    const source = new Table({ k: vectorFromArray(['7', '7.50'], new Utf8()), spend: vectorFromArray([1, 2], new Int32()) });
    const err = await failure(() => joinCustomers(customers, [{ table: source, key: 'k' }], { key: 'id' }));
    expect(err).toBeInstanceOf(SegkitError);
    expect((err as SegkitError).code).toBe('E_SHAPE_MISMATCH');
    expect((err as SegkitError).message).toMatch(/key "7.50" \(row 1\) in column "k" as text, and the customers table has the number 7.5/);
  });

  it('refuses a log or customers table that is not an Arrow Table with E_BAD_OPTION, not a TypeError', async () => {
    const t = new Table({ k: vectorFromArray(['a', 'b'], new Utf8()), x: vectorFromArray([1, 2], new Float64()) });
    const records = [{ k: 'a', x: 1 }];
    for (const call of [
      () => aggregateByCustomer(records as never, { key: 'k', aggregations: { n: { op: 'count' } } }),
      () => aggregateByCustomer(null as never, { key: 'k', aggregations: { n: { op: 'count' } } }),
      () => joinCustomers(records as never, [{ table: t, key: 'k' }], { key: 'k' }),
      () => joinCustomers(t, [{ table: records as never, key: 'k' }], { key: 'k' }),
    ]) {
      const err = await failure(call);
      expect(err).toBeInstanceOf(SegkitError);
      expect((err as SegkitError).code).toBe('E_BAD_OPTION');
      expect((err as SegkitError).message).toContain('an Arrow Table');
    }
    // the Table itself is fine
    expect(values(await aggregateByCustomer(t, { key: 'k', aggregations: { n: { op: 'count' } } }), 'n')).toEqual([1, 1]);
  });

  it('matches a Binary key to the same id as text (Parquet strings written without their UTF8 annotation)', async () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const source = new Table({ k: vectorFromArray([enc('cust-1'), enc('cust-2')], new Binary()), spend: vectorFromArray([10, 20], new Float64()) });
    const customers = new Table({ id: vectorFromArray(['cust-2', 'cust-1', 'cust-3'], new Utf8()) });
    expect(values(await joinCustomers(customers, [{ table: source, key: 'k' }], { key: 'id' }), 'spend')).toEqual([20, 10, null]);
    // and the other way round, Binary customers and a text source
    const binaryCustomers = new Table({ id: vectorFromArray([enc('cust-2'), enc('cust-3')], new Binary()) });
    const textSource = new Table({ k: vectorFromArray(['cust-1', 'cust-2'], new Utf8()), spend: vectorFromArray([10, 20], new Float64()) });
    expect(values(await joinCustomers(binaryCustomers, [{ table: textSource, key: 'k' }], { key: 'id' }), 'spend')).toEqual([20, null]);
  });

  it('keeps Binary keys that are not UTF-8 (raw hash or UUID bytes) apart by their bytes, as rfm writes them', async () => {
    const bytes = (...b: number[]) => Uint8Array.from(b);
    // decoded leniently, both read as U+FFFD U+0001: one customer's spend went to the other
    const customers = new Table({ id: vectorFromArray([bytes(0xff, 1), bytes(0xfe, 1)], new Binary()) });
    const one = new Table({ k: vectorFromArray([bytes(0xfe, 1)], new Binary()), spend: vectorFromArray([10], new Float64()) });
    expect(values(await joinCustomers(customers, [{ table: one, key: 'k' }], { key: 'id' }), 'spend')).toEqual([null, 10]);
    const both = new Table({ k: vectorFromArray([bytes(0xfe, 1), bytes(0xff, 1)], new Binary()), spend: vectorFromArray([10, 20], new Float64()) });
    expect(values(await joinCustomers(customers, [{ table: both, key: 'k' }], { key: 'id' }), 'spend')).toEqual([20, 10]);
    // text that holds U+FFFD itself is text
    const replaced = new Table({ k: vectorFromArray([new TextEncoder().encode('a\uFFFDb')], new Binary()), spend: vectorFromArray([30], new Float64()) });
    expect(values(await joinCustomers(new Table({ id: vectorFromArray(['a\uFFFDb', 'ab'], new Utf8()) }), [{ table: replaced, key: 'k' }], { key: 'id' }), 'spend')).toEqual([30, null]);
    // rfm's table of the same ids joins back to each customer
    const log = new Table({
      k: vectorFromArray([bytes(0xff, 1), bytes(0xfe, 1), bytes(0xff, 1)], new Binary()),
      d: vectorFromArray([Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2)], new TimestampMillisecond()),
      a: vectorFromArray([1, 2, 3], new Float64()),
    });
    const r = rfm(log, { customer: 'k', date: 'd', amount: 'a' });
    expect(values(await joinCustomers(customers, [{ table: r, key: 'k', prefix: 'rfm_' }], { key: 'id' }), 'rfm_monetary')).toEqual([4, 2]);
  });

  it('refuses two ids read as one key, as rfm refuses them in one column: bytes ff 01 beside the text "ff01", bytes 80 against the number 80', async () => {
    const bytes = (...b: number[]) => Uint8Array.from(b);
    const enc = (t: string) => new TextEncoder().encode(t);
    const spend = (n: number) => vectorFromArray(Array.from({ length: n }, (_, i) => 10 * (i + 1)), new Float64());
    const day = (n: number) => vectorFromArray(Array.from({ length: n }, () => Date.UTC(2024, 0, 1)), new TimestampMillisecond());
    // one column: rfm refuses it
    const mixed = vectorFromArray([bytes(0xff, 1), enc('ff01')], new Binary());
    expect(() => rfm(new Table({ k: mixed, d: day(2), a: spend(2) }), { customer: 'k', date: 'd', amount: 'a' })).toThrow(expect.objectContaining({ code: 'E_DUPLICATE_ID' }));
    // in the customers table both rows took the source's one row
    const source = new Table({ k: vectorFromArray(['ff01'], new Utf8()), spend: spend(1) });
    let e = await failure(() => joinCustomers(new Table({ id: mixed }), [{ table: source, key: 'k' }], { key: 'id' }));
    expect(e.code).toBe('E_DUPLICATE_ID');
    expect(e.message).toContain('two ids read as "ff01", rows 0 and 1 of column "id" of the customers table');
    // in a source it read as one customer mentioned twice
    e = await failure(() => joinCustomers(new Table({ id: vectorFromArray(['ff01'], new Utf8()) }), [{ table: new Table({ k: mixed, spend: spend(2) }), key: 'k' }], { key: 'id' }));
    expect(e.code).toBe('E_DUPLICATE_ID');
    expect(e.message).toContain('rows 0 and 1 of column "k" of source 0');
    // bytes 80 (not UTF-8, read as "80") are not the number 80, either way round
    const rawEighty = new Table({ k: vectorFromArray([bytes(0x80), enc('c1')], new Binary()), spend: spend(2) });
    e = await failure(() => joinCustomers(new Table({ id: vectorFromArray([7, 80], new Int32()) }), [{ table: rawEighty, key: 'k' }], { key: 'id' }));
    expect(e.code).toBe('E_DUPLICATE_ID');
    expect(e.message).toContain('row 1 of column "id" of the customers table and row 0 of column "k" of source 0');
    e = await failure(() => joinCustomers(new Table({ id: vectorFromArray([bytes(0x80)], new Binary()) }), [{ table: new Table({ k: vectorFromArray([80], new Float64()), s: spend(1) }), key: 'k' }], { key: 'id' }));
    expect(e.code).toBe('E_DUPLICATE_ID');
    // the hexadecimal as text is how rfm and the writers give such bytes: it still joins back, and equal bytes match
    const raw = new Table({ id: vectorFromArray([bytes(0xff, 1), bytes(0x80), enc('c1')], new Binary()) });
    const texts = new Table({ k: vectorFromArray(['80', 'c1', 'ff01'], new Utf8()), spend: spend(3) });
    expect(values(await joinCustomers(raw, [{ table: texts, key: 'k' }], { key: 'id' }), 'spend')).toEqual([30, 10, 20]);
    expect(values(await joinCustomers(raw, [{ table: rawEighty, key: 'k' }], { key: 'id' }), 'spend')).toEqual([null, 10, 20]);
  });
});
