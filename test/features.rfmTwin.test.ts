// `rfm`, `behaviourFeatures` and `segkit rfm` against a pandas twin of their documented definitions on random logs:
// dates as ISO text with and without offsets, dates alone, times around DST changes and midnight UTC; cancellations
// full, partial and of orders outside the log; returns; duplicated lines; amounts with many decimals, halfway cents
// and amounts past 10^13. The twin and its generator are test/fixtures/rfm_twin.py (the expected values come from it);
// the CLI cases run the built command (dist/cli/main.js), which `npm test` builds first.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RFM_AFTER_AS_OF, RFM_AS_OF, RFM_NO_PURCHASE, rfm } from '../src/features/rfm.js';
import { behaviourFeatures } from '../src/features/behaviourFeatures.js';
import { SegkitError } from '../src/util/errors.js';

type Row = Record<string, string | number | null>;
interface RfmRow {
  customer: string | number;
  recency: number;
  frequency: number;
  monetary_cents: number;
  r_score: number | null;
  f_score: number | null;
  m_score: number | null;
  rfm_code: string | null;
  segment: string;
}
interface RfmCase {
  rows: Row[];
  amountPer: 'line' | 'unit';
  invoice: boolean;
  asOf: string | null;
  table?: RfmRow[];
  meta?: { asOfDay: number; last: number; noPurchase: number; afterAsOf?: { rows: number; customers: number } };
  error?: { code: string; row: number };
}
interface BehaviourCase {
  rows: Row[];
  gap: number;
  asOf: string | null;
  table: Record<string, string | number>[];
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'rfm-twin.json'), 'utf8')) as { rfm: RfmCase[]; behaviour: BehaviourCase[] };

function runRfm(c: RfmCase) {
  return rfm(c.rows, {
    customer: 'customer',
    date: 'date',
    amount: 'amount',
    quantity: 'qty',
    amountPer: c.amountPer,
    ...(c.invoice ? { invoice: 'invoice' } : {}),
    ...(c.asOf !== null ? { asOf: c.asOf } : {}),
  });
}

describe('rfm against the pandas twin', () => {
  it('has cases of every kind', () => {
    expect(FIXTURE.rfm.length).toBeGreaterThan(30);
    expect(FIXTURE.rfm.some((c) => c.error)).toBe(true);
    expect(FIXTURE.rfm.some((c) => c.table?.some((r) => r.segment === 'Cancelled'))).toBe(true);
    expect(FIXTURE.rfm.some((c) => c.rows.some((r) => typeof r.amount === 'number' && Math.abs(r.amount) >= 1e13))).toBe(true);
  });

  FIXTURE.rfm.forEach((c, k) => {
    it(`case ${k}: every column of every customer, and the schema metadata`, () => {
      const before = JSON.stringify(c.rows);
      if (c.error) {
        // a line or running total past 2^46 currency units cannot be told to the cent: refused, naming the row
        let error: unknown;
        try {
          runRfm(c);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(SegkitError);
        expect((error as SegkitError).code).toBe(c.error.code);
        expect((error as SegkitError).message).toMatch(new RegExp(`^row ${c.error.row}, column "amount"`));
        return;
      }
      const table = runRfm(c);
      // the caller's records are read, never written
      expect(JSON.stringify(c.rows)).toBe(before);
      const got = table.toArray().map((r) => r.toJSON() as Record<string, unknown>);
      expect(got.map((r) => String(r.customer)).sort()).toEqual(c.table!.map((r) => String(r.customer)).sort());
      const byId = new Map(got.map((r) => [String(r.customer), r]));
      for (const e of c.table!) {
        const g = byId.get(String(e.customer))!;
        const { monetary_cents, customer, ...rest } = e;
        expect({ customer: String(g.customer), monetary: g.monetary, ...Object.fromEntries(Object.keys(rest).map((key) => [key, g[key] ?? null])) })
          .toEqual({ customer: String(customer), monetary: monetary_cents / 100, ...rest });
      }
      const meta = table.schema.metadata;
      expect(JSON.parse(meta.get(RFM_AS_OF)!)).toEqual({ asOf: new Date(c.meta!.asOfDay * 86_400_000).toISOString().slice(0, 10), last: c.meta!.last });
      expect(JSON.parse(meta.get(RFM_NO_PURCHASE)!)).toEqual({ customers: c.meta!.noPurchase });
      if (c.meta!.afterAsOf) expect(JSON.parse(meta.get(RFM_AFTER_AS_OF)!)).toEqual(c.meta!.afterAsOf);
    });
  });
});

describe('behaviourFeatures against the pandas twin', () => {
  FIXTURE.behaviour.forEach((c, k) => {
    it(`case ${k}: sessions, page views, type counts, features, tenure`, () => {
      const table = behaviourFeatures(c.rows, {
        customer: 'customer',
        timestamp: 'date',
        type: 'type',
        feature: 'feature',
        sessionGapMinutes: c.gap,
        ...(c.asOf !== null ? { asOf: c.asOf } : {}),
      });
      const got = new Map(table.toArray().map((r) => [String(r.customer), r.toJSON() as Record<string, number>]));
      expect([...got.keys()].sort()).toEqual(c.table.map((r) => String(r.customer)).sort());
      for (const e of c.table) {
        const g = got.get(String(e.customer))!;
        for (const [key, value] of Object.entries(e)) {
          if (key === 'customer') continue;
          expect(g[key], `${String(e.customer)} ${key}`).toBeCloseTo(value as number, 9);
        }
      }
    });
  });
});

describe('segkit rfm against the pandas twin', () => {
  const BIN = join(ROOT, 'dist', 'cli', 'main.js');
  const dir = mkdtempSync(join(tmpdir(), 'segkit-rfm-twin-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // every case with --as-of (among them offsets of hours alone, +01, as the log's dates have them), and a few without
  const cases = FIXTURE.rfm.map((c, k) => [k, c] as const).filter(([k, c]) => !c.error && (c.asOf !== null || k % 8 === 0));

  it('has an --as-of with an offset of hours alone', () => {
    expect(cases.some(([, c]) => /[+-]\d\d$/.test(c.asOf ?? ''))).toBe(true);
  });

  it.each(cases)('case %i: the CSV --out of the command', (k, c) => {
    const log = join(dir, `log${k}.csv`), out = join(dir, `rfm${k}.csv`);
    writeFileSync(log, ['customer,invoice,date,qty,amount', ...c.rows.map((r) => [r.customer, r.invoice, r.date, r.qty, r.amount].join(','))].join('\n') + '\n');
    const args = [BIN, 'rfm', log, '--customer', 'customer', '--date', 'date', '--amount', 'amount', '--quantity', 'qty', '--amount-per', c.amountPer, '--out', out, '--quiet'];
    if (c.invoice) args.push('--invoice', 'invoice');
    if (c.asOf !== null) args.push('--as-of', c.asOf);
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout + r.stderr).not.toMatch(/invalid|error/i);
    expect(r.status).toBe(0);
    const [header, ...lines] = readFileSync(out, 'utf8').trim().split('\n').map((l) => l.split(','));
    const got = new Map(lines.map((l) => [l[0], Object.fromEntries(header.map((h, i) => [h, l[i]]))]));
    expect([...got.keys()].sort()).toEqual(c.table!.map((e) => String(e.customer)).sort());
    for (const e of c.table!) {
      const g = got.get(String(e.customer))!;
      expect([+g.recency, +g.frequency, +g.monetary, g.rfm_code, g.segment.replace(/"/g, '')]).toEqual([e.recency, e.frequency, e.monetary_cents / 100, e.rfm_code ?? '', e.segment]);
    }
  });
});
