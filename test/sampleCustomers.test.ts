import { describe, expect, it } from 'vitest';
import { expectError } from './helpers.js';
import { tableToIPC, type Table } from 'apache-arrow';
import { kmeans } from 'ml-kmeans';
import { sampleCustomers, SAMPLE_SEGMENTS } from '../src/sample/sampleCustomers.js';
import { sampleEvents } from '../src/sample/sampleEvents.js';
import { sampleTransactions } from '../src/sample/sampleTransactions.js';
import { behaviourFeatures } from '../src/features/behaviourFeatures.js';
import { rfm } from '../src/features/rfm.js';
import { adjustedRandScore } from '../src/metrics/adjustedRandScore.js';
import { SegkitError } from '../src/util/errors.js';

const BEHAVIOUR = [
  'sessions', 'page_views', 'pages_per_session', 'blogs_viewed', 'videos_viewed', 'whitepapers_viewed',
  'features_used', 'features_per_day', 'avg_sessions_per_day', 'avg_session_seconds',
];
// Stored with four decimals; the rest are exact counts.
const RATIOS = ['pages_per_session', 'features_per_day', 'avg_sessions_per_day', 'avg_session_seconds'];
const SEGMENTS = Object.keys(SAMPLE_SEGMENTS);

function columns(t: Table): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const f of t.schema.fields) out[f.name] = [...t.getChild(f.name)!];
  return out;
}

const bytes = (t: Table) => Buffer.from(tableToIPC(t, 'file'));
const tally = (xs: unknown[]) => xs.reduce<Record<string, number>>((acc, x) => ((acc[String(x)] = (acc[String(x)] ?? 0) + 1), acc), {});

describe('sampleCustomers', () => {
  it('is seeded: the same seed gives the same bytes, another seed different ones', () => {
    const a = sampleCustomers({ n: 300, seed: 5 });
    expect(bytes(sampleCustomers({ n: 300, seed: 5 })).equals(bytes(a))).toBe(true);
    expect(bytes(sampleCustomers({ n: 300, seed: 6 })).equals(bytes(a))).toBe(false);
    const tx = sampleTransactions(a, { seed: 1 });
    expect(bytes(sampleTransactions(a, { seed: 1 })).equals(bytes(tx))).toBe(true);
    expect(bytes(sampleTransactions(a, { seed: 2 })).equals(bytes(tx))).toBe(false);
    const few = a.slice(0, 20);
    const ev = sampleEvents(few, { seed: 1 });
    expect(bytes(sampleEvents(few, { seed: 1 })).equals(bytes(ev))).toBe(true);
    expect(bytes(sampleEvents(few, { seed: 2 })).equals(bytes(ev))).toBe(false);
  });

  it('draws the segment shares exactly, up to rounding', () => {
    const t = columns(sampleCustomers({ n: 1000, seed: 1 }));
    expect(tally(t.segment_truth)).toEqual({ 'Power users': 150, 'Content researchers': 250, 'Bargain one-timers': 220, Dormant: 230, 'New trials': 150 });
    const custom = columns(sampleCustomers({ n: 101, seed: 1, segments: { Dormant: 1, 'New trials': 3 } }));
    const counts = tally(custom.segment_truth);
    expect(Object.keys(counts).sort()).toEqual(['Dormant', 'New trials']);
    expect(counts.Dormant + counts['New trials']).toBe(101);
    expect(Math.abs(counts.Dormant - 101 / 4)).toBeLessThan(1);
    // weights are relative: ones near the float64 limit, whose sum overflows, draw as 1 and 3 do
    const huge = sampleCustomers({ n: 101, seed: 1, segments: { Dormant: 4e307, 'New trials': 1.2e308 } });
    expect(bytes(huge).equals(bytes(sampleCustomers({ n: 101, seed: 1, segments: { Dormant: 1, 'New trials': 3 } })))).toBe(true);
  });

  it('has the documented columns, types and value ranges', () => {
    const table = sampleCustomers({ n: 800, seed: 2 });
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toEqual({
      customer_id: 'Utf8', age: 'Int32', gender: 'Utf8', country: 'Utf8', sessions: 'Int32', page_views: 'Int32',
      pages_per_session: 'Float64', blogs_viewed: 'Int32', videos_viewed: 'Int32', whitepapers_viewed: 'Int32',
      features_used: 'Int32', features_per_day: 'Float64', avg_sessions_per_day: 'Float64', avg_session_seconds: 'Float64',
      converted: 'Int32', segment_truth: 'Utf8',
    });
    const t = columns(table);
    expect(new Set(t.customer_id).size).toBe(800);
    const missingAge = t.age.filter((a) => a === null).length;
    expect(missingAge).toBeGreaterThan(5); // about 3%
    expect(missingAge).toBeLessThan(60);
    for (const a of t.age) if (a !== null) expect(a).toSatisfy((x: number) => Number.isInteger(x) && x >= 18 && x <= 85);
    expect(new Set(t.gender)).toEqual(new Set(['female', 'male', 'other']));
    expect(new Set(t.country).size).toBeGreaterThan(5);
    expect(new Set(t.converted)).toEqual(new Set([0, 1]));
    expect(new Set(t.segment_truth)).toEqual(new Set(SEGMENTS));
    for (let i = 0; i < 800; i++) {
      const [s, p] = [t.sessions[i], t.page_views[i]] as number[];
      expect(p).toBeGreaterThanOrEqual(s);
      expect(t.pages_per_session[i]).toBeCloseTo(p / s, 4);
      expect(t.features_used[i] as number).toBeLessThanOrEqual(20);
    }
    // Counts are right-skewed (sample skewness well above 0), as real usage counts are.
    for (const name of ['sessions', 'page_views']) {
      const v = t[name] as number[];
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const m2 = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
      const m3 = v.reduce((a, b) => a + (b - mean) ** 3, 0) / v.length;
      expect(m3 / m2 ** 1.5).toBeGreaterThan(1);
    }
  });

  it('has segments that standardised features and k-means recover (ARI >= 0.8)', () => {
    const t = columns(sampleCustomers({ n: 600, seed: 11 }));
    const names = [...BEHAVIOUR, 'converted'];
    const x = (t.sessions as number[]).map((_, i) => names.map((c) => t[c][i] as number));
    for (let j = 0; j < names.length; j++) {
      const col = x.map((r) => r[j]);
      const mean = col.reduce((a, b) => a + b, 0) / col.length;
      const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length);
      for (const r of x) r[j] = (r[j] - mean) / sd;
    }
    let best = { inertia: Infinity, clusters: [] as number[] };
    for (let seed = 1; seed <= 5; seed++) {
      const fit = kmeans(x, 5, { seed, initialization: 'kmeans++' });
      let inertia = 0;
      x.forEach((r, i) => r.forEach((v, j) => (inertia += (v - fit.centroids[fit.clusters[i]][j]) ** 2)));
      if (inertia < best.inertia) best = { inertia, clusters: fit.clusters };
    }
    const truth = t.segment_truth.map((s) => SEGMENTS.indexOf(s as string));
    expect(adjustedRandScore(truth, best.clusters)).toBeGreaterThanOrEqual(0.8);
  });

  it('rejects bad options by name', () => {
    expectError(() => sampleCustomers({ n: 0 }), 'E_BAD_OPTION', '"n"');
    expectError(() => sampleCustomers({ seed: 1.5 }), 'E_BAD_OPTION', '"seed"');
    expectError(() => sampleCustomers({ segments: { Whales: 1 } as never }), 'E_BAD_OPTION', '"segments"', 'Whales');
    // a name of an Object method is no segment either (it was let through and crashed on the missing profile)
    for (const name of ['toString', 'constructor', '__proto__']) {
      expectError(() => sampleCustomers({ segments: JSON.parse(`{"${name}": 1}`) }), 'E_BAD_OPTION', 'option "segments" must be one of', name);
    }
    expectError(() => sampleCustomers({ segments: { Dormant: 0 } }), 'E_BAD_OPTION', '"segments"');
  });

  it('refuses an option the generators do not know, naming the closest known one', () => {
    // { count: 50 } drew the default 1,000 customers, { endDate } ended the log on the default day
    expectError(() => sampleCustomers({ count: 50 } as never), 'E_BAD_OPTION', 'sampleCustomers: unknown option "count"');
    expectError(() => sampleCustomers({ sed: 3 } as never), 'E_BAD_OPTION', 'unknown option "sed"; did you mean "seed"?');
    const customers = sampleCustomers({ n: 20 });
    expectError(() => sampleEvents(customers, { day: 30 } as never), 'E_BAD_OPTION', 'sampleEvents: unknown option "day"; did you mean "days"?');
    expectError(() => sampleTransactions(customers, { endDate: '2024-01-01' } as never), 'E_BAD_OPTION', 'sampleTransactions: unknown option "endDate"; did you mean "end"?');
  });
});

describe('sampleEvents', () => {
  const customers = sampleCustomers({ n: 60, seed: 3 });
  const events = sampleEvents(customers, { seed: 3 });
  const c = columns(customers);

  it('gives back the customers behaviour columns through behaviourFeatures', () => {
    const byId = columns(
      behaviourFeatures(events, {
        customer: 'customer_id', timestamp: 'timestamp', type: 'type', session: 'session_id', duration: 'duration', feature: 'feature',
        typeCounts: { blog_view: 'blogs_viewed', video_view: 'videos_viewed', whitepaper_download: 'whitepapers_viewed' },
      }),
    );
    // Both tables are sorted by customer_id (generated in that order).
    expect(byId.customer_id).toEqual(c.customer_id);
    for (const name of BEHAVIOUR) {
      for (let i = 0; i < 60; i++) {
        if (RATIOS.includes(name)) expect(byId[name][i] as number).toBeCloseTo(c[name][i] as number, 3);
        else expect(byId[name][i]).toBe(c[name][i]);
      }
    }
    // The 30-minute rule finds the generated sessions.
    const byGap = columns(behaviourFeatures(events, { customer: 'customer_id', timestamp: 'timestamp', type: 'type' }));
    expect(byGap.sessions).toEqual(c.sessions);
  });

  it('refuses a window starting before the earliest date (past 100,000,000 days before 1970) rather than writing timestamps no Date holds', () => {
    const customers = sampleCustomers({ n: 3, seed: 1 });
    // 2024-01-01 is day 19,723: a window of 100,019,723 days starts on day -100,000,000, the earliest a Date holds
    expectError(() => sampleEvents(customers, { days: 100_019_724, end: '2024-01-01' }), 'E_BAD_OPTION', 'option "days" must be at most 100019723 with this end');
    expectError(() => sampleEvents(customers, { days: 3e8, end: '2024-01-01' }), 'E_BAD_OPTION', '"days"');
    // an end on the earliest day a Date holds leaves room for no window: end is named
    expectError(() => sampleEvents(customers, { days: 1, end: new Date(-8.64e15) }), 'E_BAD_OPTION', 'option "end" must be a day after the earliest a Date holds');
  });

  it('places Dormant activity early in the window and New trials late', () => {
    const f = columns(behaviourFeatures(events, { customer: 'customer_id', timestamp: 'timestamp', type: 'type', asOf: '2024-01-01' }));
    expect(f.customer_id).toHaveLength(60);
    expect(c.segment_truth).toContain('Dormant');
    expect(c.segment_truth).toContain('New trials');
    for (let i = 0; i < 60; i++) {
      if (c.segment_truth[i] === 'Dormant') expect(f.days_since_last_activity[i] as number).toBeGreaterThan(90 - Math.floor(90 * 0.45));
      if (c.segment_truth[i] === 'New trials') expect(f.tenure_days[i] as number).toBeLessThanOrEqual(21);
    }
    const ts = [...events.getChild('timestamp')!] as number[];
    expect(ts.length).toBeGreaterThan(0);
    expect(Math.min(...ts)).toBeGreaterThanOrEqual(Date.UTC(2023, 9, 3)); // 90 days before 2024-01-01
    expect(Math.max(...ts)).toBeLessThan(Date.UTC(2024, 0, 1));
    for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThanOrEqual(ts[i - 1]);
  });

  it('needs a window long enough for every customer', () => {
    expectError(() => sampleEvents(customers, { seed: 1, days: 5 }), 'E_BAD_OPTION', '"days"');
  });
});

describe('sampleTransactions', () => {
  const customers = sampleCustomers({ n: 400, seed: 4 });
  const c = columns(customers);
  const log = sampleTransactions(customers, { seed: 4 });
  const tx = columns(log);

  it('logs purchases for the converted customers only, with cancellations and returns', () => {
    const converted = new Set(c.customer_id.filter((_, i) => c.converted[i] === 1));
    expect(new Set(tx.customer_id)).toEqual(converted);
    const cancelled = tx.invoice.map((inv, i) => [inv as string, tx.quantity[i] as number, tx.amount[i] as number] as const).filter(([inv]) => inv.startsWith('C'));
    expect(cancelled.length).toBeGreaterThan(0);
    for (const [, q, a] of cancelled) expect(q < 0 && a < 0).toBe(true);
    const returns = tx.invoice.filter((inv, i) => !(inv as string).startsWith('C') && (tx.quantity[i] as number) < 0);
    expect(returns.length).toBeGreaterThan(0);
    const dates = tx.date as number[];
    for (let i = 1; i < dates.length; i++) expect(dates[i]).toBeGreaterThanOrEqual(dates[i - 1]);
    expect(Math.max(...dates)).toBeLessThan(Date.UTC(2024, 0, 1));
    expect(Math.min(...dates)).toBeGreaterThanOrEqual(Date.UTC(2023, 0, 1));
  });

  it('gives each segment the RFM shape it is named for', () => {
    const r = columns(rfm(log, { customer: 'customer_id', date: 'date', amount: 'amount', invoice: 'invoice', quantity: 'quantity', asOf: '2024-01-01' }));
    const segmentOf = new Map(c.customer_id.map((id, i) => [id, c.segment_truth[i]]));
    const seen = new Set<unknown>();
    r.customer_id.forEach((id, j) => {
      const seg = segmentOf.get(id);
      seen.add(seg);
      const [recency, frequency] = [r.recency[j], r.frequency[j]] as number[];
      if (seg === 'Dormant') expect(recency).toBeGreaterThan(200);
      if (seg === 'New trials') expect(recency).toBeLessThanOrEqual(21);
      if (seg === 'Power users') expect(frequency).toBeGreaterThanOrEqual(3);
      if (seg === 'Bargain one-timers') expect(frequency).toBe(1);
    });
    expect(seen).toEqual(new Set(SEGMENTS));
    const champions = r.segment.filter((s, j) => s === 'Champions' && segmentOf.get(r.customer_id[j]) === 'Power users').length;
    const power = r.customer_id.filter((id) => segmentOf.get(id) === 'Power users').length;
    expect(champions / power).toBeGreaterThan(0.3);
  });
});
