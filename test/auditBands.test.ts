// --audit columns of numbers: shown in five bands of about equal size, lowest first, never a group per value.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom, segmentComposition } from '../src/index.node.js';
import { makeData, makeVector, Table, tableToIPC, TimestampNanosecond, Utf8, vectorFromArray } from 'apache-arrow';
import { auditColumn } from '../src/cli/reportOptions.js';
import { ok } from './helpers/segkitCli.js';

/** [lowest, highest] of a band's label ("18–29", or "7" for a band of one value). */
const range = (label: string): [number, number] => {
  const [lo, hi = lo] = label.split('–');
  return [Number(lo), Number(hi)];
};

describe('auditColumn', () => {
  it('bands a column of many numbers into five ranges of about a fifth of the rows each, every value in the band of its range', () => {
    const rng = createRandom(3);
    const values: (number | null)[] = Array.from({ length: 1000 }, (_, i) => (i % 50 === 7 ? null : Math.round(18 + 60 * rng.next())));
    const copy = [...values];
    const a = auditColumn('age', values);
    expect(values).toEqual(copy);
    expect(a.order).toHaveLength(5);
    const ranges = a.order!.map(range);
    // lowest first, not overlapping, from the lowest value to the highest
    const present = values.filter((v): v is number => v !== null);
    expect(ranges[0][0]).toBe(Math.min(...present));
    expect(ranges[4][1]).toBe(Math.max(...present));
    for (let b = 1; b < 5; b++) expect(ranges[b][0]).toBeGreaterThan(ranges[b - 1][1]);
    const count = new Map<string, number>();
    values.forEach((v, i) => {
      const g = a.values[i];
      if (v === null) return expect(g).toBeNull();
      const [lo, hi] = range(g as string);
      expect(v).toBeGreaterThanOrEqual(lo);
      expect(v).toBeLessThanOrEqual(hi);
      count.set(g as string, (count.get(g as string) ?? 0) + 1);
    });
    // each band holds a fifth of the 980 present rows, give or take the rows of one value (about 16 per age)
    const most = Math.max(...[...new Set(present)].map((v) => present.filter((x) => x === v).length));
    for (const g of a.order!) expect(Math.abs(count.get(g)! - 196)).toBeLessThanOrEqual(most);
  });

  it('keeps equal values in one band and gives a band of one value its value alone', () => {
    // 60% of the rows hold 0: the first three fifths are one band, "0"
    const values = [...Array(600).fill(0), ...Array.from({ length: 400 }, (_, i) => 1 + (i % 40))];
    const a = auditColumn('returns', values);
    expect(a.order).toEqual(['0', '1–20', '21–40']);
    expect(a.values.filter((g) => g === '0')).toHaveLength(600);
    expect(a.values.filter((g) => g === '1–20')).toHaveLength(200);
  });

  it('ends a band before many rows of one value high in the column, as it does after them low in it', () => {
    // 1000 rows of 0 and thirteen values below or above it: the outliers are a band of their own either way
    const zeros = Array(1000).fill(0);
    const up = Array.from({ length: 13 }, (_, i) => i + 1);
    expect(auditColumn('returns', [...zeros, ...up]).order).toEqual(['0', '1–13']);
    const down = auditColumn('returns', [...up.map((v) => -v), ...zeros]);
    expect(down.order).toEqual(['-13–-1', '0']);
    expect(down.values.filter((g) => g === '-13–-1')).toHaveLength(13);
    // 12 low values and 100 rows of 50: a fifth of the rows ends among the 50s, nearer their start than their end
    const high = auditColumn('age', [...Array.from({ length: 12 }, (_, i) => i + 1), ...Array(100).fill(50)]);
    expect(high.order).toEqual(['1–12', '50']);
  });

  it('leaves text, and numbers of at most 12 values, as they are', () => {
    const few = Array.from({ length: 100 }, (_, i) => i % 12);
    expect(auditColumn('band', few)).toEqual({ name: 'band', values: few });
    const text = Array.from({ length: 100 }, (_, i) => `city ${i}`);
    expect(auditColumn('city', text)).toEqual({ name: 'city', values: text });
  });
});

describe('segmentComposition order', () => {
  it('shows the named groups first, in the order given, then the rest largest first', () => {
    const labels = [0, 0, 0, 1, 1, 1, 1, 0];
    const groups = ['b', 'b', 'b', 'c', 'a', 'a', 'x', 'x'];
    expect(segmentComposition(labels, groups).overall.map((o) => o.group)).toEqual(['b', 'a', 'x', 'c']);
    const c = segmentComposition(labels, groups, { order: ['c', 'a'] });
    expect(c.overall.map((o) => [o.group, o.count])).toEqual([['c', 1], ['a', 2], ['b', 3], ['x', 2]]);
    expect(c.segments[1].groups.map((g) => [g.group, g.count])).toEqual([['c', 1], ['a', 2], ['b', 0], ['x', 1]]);
    expect(() => segmentComposition(labels, groups, { order: 'ab' as never })).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining('option "order" must be an array of group names') }));
  });
});

describe('segkit explain --audit with a column of numbers', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'segkit-audit-'));
    const rng = createRandom(5);
    const lines = ['customer_id,visits,spend,income,segment'];
    for (let i = 0; i < 600; i++) {
      const g = i % 2;
      lines.push([`c${i}`, Math.round((g ? 12 : 3) * (1 + 0.2 * rng.normal())), ((g ? 80 : 20) * (1 + 0.1 * rng.normal())).toFixed(2), (20000 + 1000 * i + (g ? 200000 : 0)).toFixed(0), g].join(','));
    }
    writeFileSync(join(dir, 'labelled.csv'), `${lines.join('\n')}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows income in five bands, lowest first, in the report and among the flagged groups', () => {
    const r = ok(dir, ['explain', 'labelled.csv', '--labels', 'segment', '--id', 'customer_id', '--audit', 'income', '--report', 'r.html', '--json', '--threads', '1']);
    const html = readFileSync(join(dir, 'r.html'), 'utf8');
    const head = /<div class="panel audit" data-audit="income"><table class="composition"><caption>[^<]*<\/caption><thead>(.*?)<\/thead>/.exec(html)![1];
    const groups = [...head.matchAll(/<th scope="col">([^<]*)<\/th>/g)].map((m) => m[1].replace(/[\u2066-\u2069]/g, '')).slice(1);
    // incomes 20,000 + 1,000 i (+ 200,000 for odd i): 600 distinct values, 120 rows per band (the 120th, 240th, ...
    // lowest values end the bands)
    expect(groups).toEqual(['20000–239000', '240000–359000', '360000–479000', '480000–599000', '600000–819000']);
    const s = JSON.parse(r.stdout);
    // odd rows' incomes sit 200,000 higher: of segment 1's 300 customers 10 in the lowest band and 110 in the highest,
    // segment 0 the other way round; 60 of each in every other band (20%, as all customers)
    const flagged = s.composition[0].flagged.map((g: { segment: number; group: string; share: number }) => [g.segment, g.group, g.share]);
    expect(flagged).toEqual(expect.arrayContaining([
      [0, '20000–239000', 110 / 300], [0, '600000–819000', 10 / 300], [1, '20000–239000', 10 / 300], [1, '600000–819000', 110 / 300],
    ]));
    expect(flagged).toHaveLength(4);
  });

  it('names the groups of a date column by their days, banded or not, not by epoch milliseconds', () => {
    // 300 customers signed up on 300 days from 2024-01-01, and on the first of one of three months
    const lines = ['customer_id,visits,spend,signup,month,segment'];
    for (let i = 0; i < 300; i++) {
      const day = new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10);
      lines.push([`c${i}`, 3 + (i % 2) * 9 + (i % 5), 20 + (i % 2) * 60 + (i % 7), day, `2024-0${1 + (i % 3)}-01`, i % 2].join(','));
    }
    writeFileSync(join(dir, 'dated.csv'), `${lines.join('\n')}\n`);
    ok(dir, ['explain', 'dated.csv', '--labels', 'segment', '--id', 'customer_id', '--audit', 'signup,month', '--report', 'dated.html', '--threads', '1']);
    const html = readFileSync(join(dir, 'dated.html'), 'utf8');
    const groups = (column: string) => {
      const head = new RegExp(`<div class="panel audit" data-audit="${column}"><table class="composition"><caption>[^<]*</caption><thead>(.*?)</thead>`).exec(html)![1];
      return [...head.matchAll(/<th scope="col">([^<]*)<\/th>/g)].map((m) => m[1].replace(/[\u2066-\u2069]/g, '')).slice(1);
    };
    // 60 days a band (datetime.date(2024, 1, 1) + timedelta(60 k) to + timedelta(60 k + 59))
    expect(groups('signup')).toEqual(['2024-01-01–2024-02-29', '2024-03-01–2024-04-29', '2024-04-30–2024-06-28', '2024-06-29–2024-08-27', '2024-08-28–2024-10-26']);
    expect(groups('month').sort()).toEqual(['2024-01-01', '2024-02-01', '2024-03-01']);
  });
});

describe('--audit with a column of nanosecond times', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'segkit-audit-ns-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the last nanosecond of 2023 apart from midnight of 2024, each group named by its millisecond', () => {
    // 40 customers: even rows at 2023-12-31T23:59:59.999999999Z, odd rows at 2024-01-01T00:00:00Z
    const n = 40;
    const ns = BigInt64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1704067199999999999n : 1704067200000000000n));
    const table = new Table({
      customer_id: vectorFromArray(Array.from({ length: n }, (_, i) => `c${i}`), new Utf8()),
      visits: makeVector(Float64Array.from({ length: n }, (_, i) => 3 + (i % 4) * 5)),
      spend: makeVector(Float64Array.from({ length: n }, (_, i) => 20 + (i % 4) * 30)),
      seen: makeVector(makeData({ type: new TimestampNanosecond(), length: n, nullCount: 0, data: ns } as never)),
      segment: makeVector(Int32Array.from({ length: n }, (_, i) => (i % 4 < 2 ? 0 : 1))),
    });
    writeFileSync(join(dir, 'seen.arrow'), tableToIPC(table, 'file'));
    ok(dir, ['explain', 'seen.arrow', '--labels', 'segment', '--id', 'customer_id', '--audit', 'seen', '--report', 'seen.html', '--threads', '1']);
    const html = readFileSync(join(dir, 'seen.html'), 'utf8');
    const head = /<div class="panel audit" data-audit="seen"><table class="composition"><caption>[^<]*<\/caption><thead>(.*?)<\/thead>/.exec(html)![1];
    const groups = [...head.matchAll(/<th scope="col">([^<]*)<\/th>/g)].map((m) => m[1].replace(/[\u2066-\u2069]/g, '')).slice(1);
    expect(groups.sort()).toEqual(['2023-12-31T23:59:59.999Z', '2024-01-01']);
  });
});
