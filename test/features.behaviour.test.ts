import { describe, expect, it } from 'vitest';
import { expectError } from './helpers.js';
import { Table, TimestampMillisecond, Utf8, vectorFromArray, Float64 } from 'apache-arrow';
import { BEHAVIOUR_AFTER_AS_OF, behaviourFeatures } from '../src/features/behaviourFeatures.js';
import { RFM_AFTER_AS_OF, rfm } from '../src/features/rfm.js';
import { SegkitError } from '../src/util/errors.js';

type Event = { user: string; at: string; kind: string; sid: string; feature: string | null; secs: number | null };

/*
 * Two customers; the log's last event is 2024-06-05 12:00, so asOf = 2024-06-06.
 *
 * u1, 30-minute gap rule:
 *   06-01 09:00 page_view, 09:10 blog_view, 09:40 page_view (gap exactly 30 min: same session),
 *         09:45 feature_use export                                     -> session 1, 09:00-09:45 = 2700 s
 *         10:30 page_view (gap 45 min: new session), 10:31 feature_use export -> session 2, 60 s
 *   06-03 08:00 page_view, 08:05 feature_use filters, 08:20 video_view  -> session 3, 1200 s
 *   sessions 3, page_views 4, avg_session_seconds 3960 / 3 = 1320, active_days 2,
 *   features_used 2 (export, filters), features_per_day (export@06-01, filters@06-03) 2 / 2 = 1,
 *   tenure 06-01 -> 06-06 = 5, days since last 06-03 -> 06-06 = 3.
 * u2:
 *   06-02 23:50 page_view, 06-03 00:10 page_view (20 min: one session across midnight, 1200 s)
 *   06-05 12:00 whitepaper_download (a one-event session, 0 s)
 *   sessions 2, page_views 2, avg 600 s, active_days 3, tenure 4, days since last 1.
 */
const EVENTS: Event[] = [
  { user: 'u1', at: '2024-06-01T09:00:00Z', kind: 'page_view', sid: 'a', feature: null, secs: 30 },
  { user: 'u1', at: '2024-06-01T09:10:00Z', kind: 'blog_view', sid: 'a', feature: null, secs: 60 },
  { user: 'u2', at: '2024-06-02T23:50:00Z', kind: 'page_view', sid: 'a', feature: null, secs: null },
  { user: 'u1', at: '2024-06-01T09:40:00Z', kind: 'page_view', sid: 'a', feature: null, secs: 10 },
  { user: 'u1', at: '2024-06-01T09:45:00Z', kind: 'feature_use', sid: 'a', feature: 'export', secs: 5 },
  { user: 'u2', at: '2024-06-03T00:10:00Z', kind: 'page_view', sid: 'a', feature: null, secs: 50 },
  { user: 'u1', at: '2024-06-01T10:30:00Z', kind: 'page_view', sid: 'a', feature: null, secs: 20 },
  { user: 'u1', at: '2024-06-01T10:31:00Z', kind: 'feature_use', sid: 'a', feature: 'export', secs: 40 },
  { user: 'u2', at: '2024-06-05T12:00:00Z', kind: 'whitepaper_download', sid: 'a', feature: null, secs: 10 },
  { user: 'u1', at: '2024-06-03T08:20:00Z', kind: 'video_view', sid: 'b', feature: null, secs: 100 },
  { user: 'u1', at: '2024-06-03T08:05:00Z', kind: 'feature_use', sid: 'b', feature: 'filters', secs: 25 },
  { user: 'u1', at: '2024-06-03T08:00:00Z', kind: 'page_view', sid: 'b', feature: null, secs: 10 },
];
const OPTS = { customer: 'user', timestamp: 'at', type: 'kind', feature: 'feature' } as const;

function columns(t: Table): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const f of t.schema.fields) out[f.name] = [...t.getChild(f.name)!];
  return out;
}

describe('behaviourFeatures', () => {
  it('refuses a type column of URLs (a count column per type for every customer) naming it, rather than running out of memory', () => {
    // 20,000 customers with an event each, every one of another type: 400,000,000 counts
    const n = 20_000;
    const rows = Array.from({ length: n }, (_, i) => ({ user: `c${i}`, at: 1.7e12 + i * 1000, kind: `https://shop.example/p/${i}` }));
    expectError(() => behaviourFeatures(rows, { customer: 'user', timestamp: 'at', type: 'kind' }), 'E_BAD_OPTION',
      'column "kind" has 20,000 event types to count: a count of each for 20,000 customers is 400,000,000 counts, more than 268,435,456', 'is "kind" the event type column?');
    // 20,000 types named: the way out is fewer per call
    const all = rows.map((r) => r.kind);
    expect(() => behaviourFeatures(rows, { customer: 'user', timestamp: 'at', type: 'kind', typeCounts: all })).toThrow(expect.objectContaining({
      code: 'E_BAD_OPTION', message: expect.stringContaining('option "typeCounts" names 20,000 event types'), hint: 'count fewer types per call (split typeCounts), or fewer customers',
    }));
    // the types to count named: one column
    const t = behaviourFeatures(rows, { customer: 'user', timestamp: 'at', type: 'kind', typeCounts: ['https://shop.example/p/7'] });
    expect(t.numRows).toBe(n);
    expect([...t.getChild('https://shop.example/p/7')!].reduce((a: number, b) => a + Number(b), 0)).toBe(1);
  });

  it('computes the hand-checked features with the 30-minute session rule', () => {
    const t = columns(behaviourFeatures(EVENTS, OPTS));
    expect(Object.keys(t)).toEqual([
      'user', 'sessions', 'page_views', 'pages_per_session', 'avg_session_seconds', 'active_days', 'avg_sessions_per_day',
      'blog_view', 'feature_use', 'video_view', 'whitepaper_download',
      'features_used', 'features_per_day', 'tenure_days', 'days_since_last_activity',
    ]);
    expect(t).toEqual({
      user: ['u1', 'u2'],
      sessions: [3, 2],
      page_views: [4, 2],
      pages_per_session: [4 / 3, 1],
      avg_session_seconds: [1320, 600],
      active_days: [2, 3],
      avg_sessions_per_day: [1.5, 2 / 3],
      blog_view: [1, 0],
      feature_use: [3, 0],
      video_view: [1, 0],
      whitepaper_download: [0, 1],
      features_used: [2, 0],
      features_per_day: [1, 0],
      tenure_days: [5, 4],
      days_since_last_activity: [3, 1],
    });
  });

  it('uses session ids when given, per customer even when ids repeat across customers', () => {
    // u1: session a 06-01 09:00-10:31 (5460 s), b 06-03 08:00-08:20 (1200 s). u2: one session a over three days.
    const t = columns(behaviourFeatures(EVENTS, { ...OPTS, session: 'sid' }));
    expect(t.sessions).toEqual([2, 1]);
    expect(t.avg_session_seconds).toEqual([(5460 + 1200) / 2, 2 * 86_400 + 12 * 3600 + 10 * 60]);
    expect(t.pages_per_session).toEqual([2, 2]);
  });

  it('sums event durations (missing = 0) and honours a longer session gap', () => {
    // A 60-minute gap joins u1's two 06-01 sessions: u1 has 2 sessions, u2 still 2 (gap of 2.5 days).
    // Durations: u1 30+60+10+5+20+40+10+25+100 = 300; u2 0+50+10 = 60.
    const t = columns(behaviourFeatures(EVENTS, { ...OPTS, duration: 'secs', sessionGapMinutes: 60 }));
    expect(t.sessions).toEqual([2, 2]);
    expect(t.avg_session_seconds).toEqual([150, 30]);
  });

  it('sums seconds with compensation: ten events of 0.1 s are 1 s, as pandas groupby("customer")["secs"].sum() gives', () => {
    const start = Date.UTC(2024, 0, 1);
    const log = Array.from({ length: 10 }, (_, i) => ({ customer: 'u', ts: start + i * 1000, type: 'page_view', secs: 0.1, sid: `s${i}` }));
    // one session of ten 0.1 s events; float64 additions in order give 0.9999999999999999
    expect(columns(behaviourFeatures(log, { customer: 'customer', timestamp: 'ts', type: 'type', duration: 'secs' })).avg_session_seconds).toEqual([1]);
    // ten sessions spanning 100 ms each (their first to last event): 1 s over 10 sessions
    const spans = log.flatMap((r, i) => [r, { ...r, ts: start + i * 1000 + 100 }]);
    expect(columns(behaviourFeatures(spans, { customer: 'customer', timestamp: 'ts', type: 'type', session: 'sid' })).avg_session_seconds).toEqual([0.1]);
  });

  it('gives an infinite average, not NaN, where a customer\'s seconds pass float64\'s range, as aggregateByCustomer\'s sum does', () => {
    const start = Date.UTC(2024, 0, 1);
    const log = [1e308, 1e308, 5].map((secs, i) => ({ customer: 'u', ts: start + i * 1000, type: 'page_view', secs }));
    // the sum overflows: pd.Series([1e308, 1e308, 5.0]).sum() is inf, and so is aggregateByCustomer's sum of these
    // values; one session, so the average is inf too (the compensation's Infinity - Infinity made it NaN)
    expect(columns(behaviourFeatures(log, { customer: 'customer', timestamp: 'ts', type: 'type', duration: 'secs' })).avg_session_seconds).toEqual([Infinity]);
  });

  it('reads a NaN duration as missing (0 seconds), as a null, in records and Arrow alike; an infinite one is refused', () => {
    // u2's first event has secs null; NaN there (pandas' missing value) must give the same 30 s average
    const nan = EVENTS.map((e) => (e.secs === null ? { ...e, secs: NaN } : e));
    const want = columns(behaviourFeatures(EVENTS, { ...OPTS, duration: 'secs', sessionGapMinutes: 60 }));
    expect(columns(behaviourFeatures(nan, { ...OPTS, duration: 'secs', sessionGapMinutes: 60 }))).toEqual(want);
    const arrow = new Table({
      user: vectorFromArray(nan.map((e) => e.user), new Utf8()),
      at: vectorFromArray(nan.map((e) => Date.parse(e.at)), new TimestampMillisecond()),
      kind: vectorFromArray(nan.map((e) => e.kind), new Utf8()),
      feature: vectorFromArray(nan.map((e) => e.feature), new Utf8()),
      secs: vectorFromArray(nan.map((e) => e.secs), new Float64()),
    });
    expect(columns(behaviourFeatures(arrow, { ...OPTS, duration: 'secs', sessionGapMinutes: 60 }))).toEqual(want);
    const inf = EVENTS.map((e, i) => (i === 5 ? { ...e, secs: Infinity } : e));
    expectError(() => behaviourFeatures(inf, { ...OPTS, duration: 'secs' }), 'E_NAN_INPUT', 'row 5', '"secs"');
  });

  it('counts feature-use events when there is no feature column', () => {
    const t = columns(behaviourFeatures(EVENTS, { customer: 'user', timestamp: 'at', type: 'kind' }));
    expect(t.features_used).toEqual([3, 0]);
    expect(t.features_per_day).toEqual([1.5, 0]);
  });

  it('ignores events after the as-of day', () => {
    // asOf 06-02: u1 keeps its two 06-01 sessions (2700 s, 60 s); u2 keeps only 06-02 23:50 (one 0 s session).
    const t = columns(behaviourFeatures(EVENTS, { ...OPTS, asOf: '2024-06-02T08:10:00Z', typeCounts: ['video_view'] }));
    expect(t.sessions).toEqual([2, 1]);
    expect(t.video_view).toEqual([0, 0]);
    expect(t.avg_session_seconds).toEqual([(2700 + 60) / 2, 0]);
    expect(t.tenure_days).toEqual([1, 0]);
    expect(t.days_since_last_activity).toEqual([1, 0]);
  });

  it('counts the whole as-of UTC day, as rfm does', () => {
    // asOf 2024-06-03: u1's 06-03 events (08:00-08:20) are on the as-of day, so they count and its last activity is 0 days back.
    const log = [...EVENTS, { user: 'u2', at: '2024-06-03T00:00:01Z', kind: 'page_view', sid: 'a', feature: null, secs: null }];
    const t = columns(behaviourFeatures(log, { ...OPTS, asOf: '2024-06-03', typeCounts: ['video_view'] }));
    expect(t.video_view).toEqual([1, 0]);
    expect(t.page_views).toEqual([4, 3]);
    expect(t.days_since_last_activity).toEqual([0, 0]);
    const r = rfm(log.map((e) => ({ ...e, amount: 1 })), { customer: 'user', date: 'at', amount: 'amount', asOf: '2024-06-03' });
    expect([...r.getChild('recency')!]).toEqual(t.days_since_last_activity);
  });

  it('reports the customers whose every event is after the as-of day, as rfm does', () => {
    // u3 is seen only on 06-04 and 06-05: after asOf 06-03 it has no activity to describe, so it is left out, and counted.
    const late = [
      { user: 'u3', at: '2024-06-04T10:00:00Z', kind: 'page_view', sid: 'c', feature: null, secs: 5 },
      { user: 'u3', at: '2024-06-05T10:00:00Z', kind: 'page_view', sid: 'c', feature: null, secs: 5 },
    ];
    const log = [...EVENTS, ...late];
    const table = behaviourFeatures(log, { ...OPTS, asOf: '2024-06-03' });
    expect(columns(table).user).toEqual(['u1', 'u2']);
    // left out: u2's 06-05 download and u3's two page views
    expect(JSON.parse(table.schema.metadata.get(BEHAVIOUR_AFTER_AS_OF)!)).toEqual({ rows: 3, customers: 1 });
    const r = rfm(log.map((e) => ({ ...e, amount: 1 })), { customer: 'user', date: 'at', amount: 'amount', asOf: '2024-06-03' });
    expect(JSON.parse(r.schema.metadata.get(RFM_AFTER_AS_OF)!)).toEqual({ rows: 3, customers: 1 });
    expect(behaviourFeatures(EVENTS, OPTS).schema.metadata.has(BEHAVIOUR_AFTER_AS_OF)).toBe(false);
  });

  it('counts an exact duplicate row twice, as its doc comment says', () => {
    // u1's 06-03 video_view repeated: one more video view and 100 more seconds in its third session, same sessions and days
    const once = columns(behaviourFeatures(EVENTS, { ...OPTS, duration: 'secs' }));
    const twice = columns(behaviourFeatures([...EVENTS, EVENTS[9]], { ...OPTS, duration: 'secs' }));
    expect(twice.video_view).toEqual([2, 0]);
    expect(twice.sessions).toEqual(once.sessions);
    expect(twice.active_days).toEqual(once.active_days);
    expect(twice.avg_session_seconds).toEqual([(once.avg_session_seconds[0] as number) + 100 / 3, once.avg_session_seconds[1]]);
  });

  it('reads a customer, session or feature id written as a number in some rows and as text in others as one id', () => {
    // records from JSON may hold the id 7 in one row and "7" in another: one customer (not two rows both "7"), one
    // session, one feature
    const log = [
      { user: 7, at: '2024-06-01T09:00:00Z', kind: 'page_view', sid: 1, feature: null },
      { user: '7', at: '2024-06-01T09:01:00Z', kind: 'feature_use', sid: '1', feature: 3 },
      { user: 7, at: '2024-06-01T09:02:00Z', kind: 'feature_use', sid: 1, feature: '3' },
      { user: 8, at: '2024-06-01T09:03:00Z', kind: 'page_view', sid: 2, feature: null },
    ];
    const t = columns(behaviourFeatures(log, { customer: 'user', timestamp: 'at', type: 'kind', session: 'sid', feature: 'feature' }));
    expect(t.user).toEqual([7, 8]);
    expect(t.sessions).toEqual([1, 1]);
    expect(t.page_views).toEqual([1, 1]);
    expect(t.avg_session_seconds).toEqual([120, 0]);
    expect(t.feature_use).toEqual([2, 0]);
    expect(t.features_used).toEqual([1, 0]);
    expect(t.features_per_day).toEqual([1, 0]);
  });

  it('counts a type written as a number in some rows and as text in others as one type', () => {
    // records from JSON may hold the type 7 in one row and "7" in another: both are the column "7"
    const log = [
      { user: 'u1', at: '2024-06-01T09:00:00Z', kind: 7 },
      { user: 'u1', at: '2024-06-01T09:01:00Z', kind: '7' },
      { user: 'u1', at: '2024-06-01T09:02:00Z', kind: 'page_view' },
      { user: 'u2', at: '2024-06-01T09:03:00Z', kind: '7' },
    ];
    const opts = { customer: 'user', timestamp: 'at', type: 'kind' } as const;
    const byDefault = columns(behaviourFeatures(log, opts));
    expect(Object.keys(byDefault).filter((k) => k === '7')).toEqual(['7']);
    expect(byDefault['7']).toEqual([2, 1]);
    expect(columns(behaviourFeatures(log, { ...opts, typeCounts: ['7'] }))['7']).toEqual([2, 1]);
    expect(columns(behaviourFeatures(log, { ...opts, typeCounts: { 7: 'sevens' } })).sevens).toEqual([2, 1]);
  });

  it('refuses a customer column named like an output column, and one column in two roles', () => {
    // a customer column "sessions" gave a table with two columns of that name
    const renamed = EVENTS.map(({ user, ...e }) => ({ ...e, sessions: user }));
    expectError(() => behaviourFeatures(renamed, { ...OPTS, customer: 'sessions' }), 'E_BAD_OPTION', '"customer"', 'output columns');
    // epoch-millisecond timestamps read as durations too would make every session last decades
    const ms = EVENTS.map((e) => ({ ...e, at: Date.parse(e.at) }));
    expectError(() => behaviourFeatures(ms, { ...OPTS, duration: 'at' }), 'E_BAD_OPTION', '"duration"', 'option "timestamp"');
    expectError(() => behaviourFeatures(EVENTS, { ...OPTS, session: 'user' }), 'E_BAD_OPTION', '"session"', 'option "customer"');
    expectError(() => behaviourFeatures(EVENTS, { ...OPTS, feature: 'kind' }), 'E_BAD_OPTION', '"feature"', 'option "type"');
  });

  it('refuses a negative event duration, naming its row', () => {
    const negative = EVENTS.map((e, i) => (i === 6 ? { ...e, secs: -20 } : e));
    expectError(() => behaviourFeatures(negative, { ...OPTS, duration: 'secs' }), 'E_NAN_INPUT', 'row 6', '"secs"', '-20');
  });

  it('refuses an asOf number that is not epoch milliseconds (microseconds, seconds, YYYYMMDD digits)', () => {
    // as milliseconds, 2024-06-06 in microseconds is the year 56,400: a tenure of 19.9 million days for everyone
    expectError(() => behaviourFeatures(EVENTS, { ...OPTS, asOf: Date.UTC(2024, 5, 6) * 1000 }), 'E_BAD_OPTION', '"asOf"', 'epoch microseconds');
    expectError(() => behaviourFeatures(EVENTS, { ...OPTS, asOf: Date.UTC(2024, 5, 6) / 1000 }), 'E_BAD_OPTION', '"asOf"', 'epoch seconds');
    expectError(() => behaviourFeatures(EVENTS, { ...OPTS, asOf: 20240606 }), 'E_BAD_OPTION', '"asOf"', 'YYYYMMDD');
    expect(columns(behaviourFeatures(EVENTS, { ...OPTS, asOf: Date.UTC(2024, 5, 6) })).tenure_days).toEqual([5, 4]);
    expect(columns(behaviourFeatures(EVENTS, { ...OPTS, asOf: new Date(Date.UTC(2024, 5, 6)) })).tenure_days).toEqual([5, 4]);
  });

  it('names count columns from a { type: column } map, zero for absent types', () => {
    const t = columns(behaviourFeatures(EVENTS, { ...OPTS, typeCounts: { blog_view: 'blogs_viewed', webinar: 'webinars' } }));
    expect(t.blogs_viewed).toEqual([1, 0]);
    expect(t.webinars).toEqual([0, 0]);
    expect(t.video_view).toBeUndefined();
  });

  it('gives the same table for an Arrow log, in any row order', () => {
    const expected = columns(behaviourFeatures(EVENTS, { ...OPTS, duration: 'secs' }));
    const arrow = new Table({
      user: vectorFromArray(EVENTS.map((e) => e.user), new Utf8()),
      at: vectorFromArray(EVENTS.map((e) => Date.parse(e.at)), new TimestampMillisecond()),
      kind: vectorFromArray(EVENTS.map((e) => e.kind)),
      feature: vectorFromArray(EVENTS.map((e) => e.feature), new Utf8()),
      secs: vectorFromArray(EVENTS.map((e) => e.secs), new Float64()),
    });
    expect(columns(behaviourFeatures(arrow, { ...OPTS, duration: 'secs' }))).toEqual(expected);
    const reversed = [...EVENTS].reverse();
    expect(columns(behaviourFeatures(reversed, { ...OPTS, duration: 'secs' }))).toEqual(expected);
  });

  it('names the row and column of bad input, and bad options', () => {
    expectError(() => behaviourFeatures(EVENTS, { ...OPTS, type: 'event' }), 'E_MISSING_COLUMN', '"event"');
    const badTime = EVENTS.map((e, i) => (i === 7 ? { ...e, at: 'tomorrow' } : e));
    expectError(() => behaviourFeatures(badTime, OPTS), 'E_PARSE', 'row 7', '"at"');
    const noFeature = EVENTS.map((e, i) => (i === 4 ? { ...e, feature: null } : e));
    expectError(() => behaviourFeatures(noFeature, OPTS), 'E_NAN_INPUT', 'row 4', '"feature"');
    const badSecs = EVENTS.map((e, i) => (i === 2 ? { ...e, secs: 'long' } : e));
    expectError(() => behaviourFeatures(badSecs as never, { ...OPTS, duration: 'secs' }), 'E_NON_NUMERIC', 'row 2', '"secs"');
    expectError(() => behaviourFeatures(EVENTS, { ...OPTS, sessionGapMinutes: 0 }), 'E_BAD_OPTION', '"sessionGapMinutes"');
    expectError(() => behaviourFeatures(EVENTS, { ...OPTS, typeCounts: ['sessions'] }), 'E_BAD_OPTION', '"typeCounts"', 'sessions');
    expectError(() => behaviourFeatures(EVENTS, { ...OPTS, typeCounts: 'blog_view' as never }), 'E_BAD_OPTION', '"typeCounts"');
    // a misspelt option was ignored: sessions fell back to the 30-minute rule
    expectError(() => behaviourFeatures(EVENTS, { ...OPTS, sesion: 'sid' } as never), 'E_BAD_OPTION', 'unknown option "sesion"', 'did you mean "session"');
    // null is refused, as the pipeline's options refuse it: it took the default in silence (pageViewTypes: null, meant
    // as "no page views", still counted page_view events as page views)
    for (const key of ['sessionGapMinutes', 'pageViewTypes', 'featureUseType', 'missingCustomer']) {
      expectError(() => behaviourFeatures(EVENTS, { ...OPTS, [key]: null } as never), 'E_BAD_OPTION', `option "${key}"`, 'got null');
    }
  });

  it('reads a column that the first record leaves out: records omit the keys an event has no value for', () => {
    // as JSON event logs are written: only feature-use events carry a feature, only some a duration
    const sparse = EVENTS.map(({ feature, secs, ...rest }) => ({ ...rest, ...(feature === null ? {} : { feature }), ...(secs === null ? {} : { secs }) }));
    expect(Object.hasOwn(sparse[0], 'feature')).toBe(false);
    const t = columns(behaviourFeatures(sparse, OPTS));
    expect(t.features_used).toEqual([2, 0]);
    expect(t.features_per_day).toEqual([1, 0]);
    expect(t).toEqual(columns(behaviourFeatures(EVENTS, OPTS)));
    // row 0 has no duration: 0 s, as a null is (u1's durations sum to 300 s over 3 sessions; u2's to 60 s over 2)
    const noFirstSecs = sparse.map((r, i) => (i === 0 ? { user: r.user, at: r.at, kind: r.kind, sid: r.sid } : r));
    expect(columns(behaviourFeatures(noFirstSecs, { ...OPTS, duration: 'secs', sessionGapMinutes: 60 })).avg_session_seconds).toEqual([(300 - 30) / 2, 60 / 2]);
    // a column no record has is still refused
    expectError(() => behaviourFeatures(sparse, { ...OPTS, feature: 'feat' }), 'E_MISSING_COLUMN', 'column "feat" is not in the log');
  });

  it('does not read the other cells of an event skipped for want of a customer id', () => {
    const junk = { user: null, at: null, kind: null, sid: null, feature: null, secs: -1 };
    const want = columns(behaviourFeatures(EVENTS, { ...OPTS, session: 'sid', duration: 'secs' }));
    expect(columns(behaviourFeatures([...EVENTS, junk] as never, { ...OPTS, session: 'sid', duration: 'secs', missingCustomer: 'skip' }))).toEqual(want);
    expect(want.sessions).toEqual([2, 1]);
    expectError(() => behaviourFeatures([...EVENTS, junk] as never, { ...OPTS, missingCustomer: 'error' }), 'E_NAN_INPUT', 'row 12', 'has no customer id');
  });

  it('does not read the type, session or feature of a skipped event either, whatever a footer record holds there', () => {
    // an export's summary record: no customer, and objects or lists where the ids would be
    const footers = [
      { user: null, at: null, kind: { total: 12 }, sid: null, feature: null, secs: null },
      { user: null, at: null, kind: 'feature_use', sid: { sessions: 3 }, feature: ['export', 'filters'], secs: null },
    ];
    const opts = { ...OPTS, session: 'sid', duration: 'secs' };
    const want = columns(behaviourFeatures(EVENTS, opts));
    expect(columns(behaviourFeatures([...footers, ...EVENTS] as never, { ...opts, missingCustomer: 'skip' }))).toEqual(want);
    expect(want.user).toEqual(['u1', 'u2']);
    expect(want.features_used).toEqual([2, 0]);
    // a customer's event holding a record there is still refused
    expectError(() => behaviourFeatures([{ ...EVENTS[0], kind: { total: 12 } }, ...EVENTS] as never, opts), 'E_PARSE', 'row 0, column "kind"');
  });
});
