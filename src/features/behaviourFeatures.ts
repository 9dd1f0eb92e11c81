import { makeVector, type Table, type Vector } from '#arrow';
import { singleChunk, tableFromColumns } from '../data/arrowTable.js';
import { SegkitError, badOption } from '../util/errors.js';
import { checkOptions as checkKnown, orDefault } from '../util/options.js';
import { lostBits, roundedSum } from '../util/compensatedSum.js';
import {
  columnOption,
  dateOption,
  distinctRoles,
  keyVector,
  logLength,
  readCustomerKeys,
  readKeys,
  readNumbers,
  readTimes,
  sortedKeyOrder,
  utcDay,
  DAY_MS,
  type LogInput,
} from '../data/logInput.js';

/**
 * Schema metadata key of a `behaviourFeatures` table made with `asOf`: JSON `{ rows, customers }`, the log rows after
 * the as-of day that were left out, and the customers absent from the table because all their events came after it
 * (as `RFM_AFTER_AS_OF` for `rfm`).
 */
export const BEHAVIOUR_AFTER_AS_OF = 'segkit.behaviour.afterAsOf';

export interface BehaviourFeaturesOptions {
  /** Column holding the customer id. */
  readonly customer: string;
  /** Column holding the event time: Date, epoch ms, ISO 8601 string (no offset = UTC), or Arrow Timestamp/Date. */
  readonly timestamp: string;
  /** Column holding the event type, e.g. page_view, blog_view, feature_use. */
  readonly type: string;
  /** Column holding the session id; without it, events are split into sessions by `sessionGapMinutes`. */
  readonly session?: string;
  /** Column holding each event's duration in seconds (missing or NaN = 0); without it, a session lasts from its first to its last event. */
  readonly duration?: string;
  /** Column naming the feature of a feature-use event; without it, features_used and features_per_day count feature-use events (per customer and per active day). */
  readonly feature?: string;
  /**
   * The analysis date: events after its UTC day are ignored (the whole day counts, as in `rfm`), and counted in the
   * table's schema metadata (BEHAVIOUR_AFTER_AS_OF). Default: the UTC day after the last event in the log.
   */
  readonly asOf?: Date | string | number;
  /** Inactivity longer than this starts a new session (the web-analytics convention). */
  readonly sessionGapMinutes?: number;
  /** Event types to count, one column each: a list (column named after the type) or { type: columnName }. Default: every type except the page-view types. */
  readonly typeCounts?: readonly string[] | Readonly<Record<string, string>>;
  /** Event types that count as page views. */
  readonly pageViewTypes?: readonly string[];
  /** The event type of feature use. */
  readonly featureUseType?: string;
  /** 'error' (default) or 'skip' rows whose customer id is missing. */
  readonly missingCustomer?: 'error' | 'skip';
}

/** Most type counts (types times customers) one call makes: 1 GiB of int32 counts. */
const COUNT_CELLS = 2 ** 28;

const OPTIONS = ['customer', 'timestamp', 'type', 'session', 'duration', 'feature', 'asOf', 'sessionGapMinutes', 'typeCounts', 'pageViewTypes', 'featureUseType', 'missingCustomer'];

const DEFAULTS = Object.freeze({
  sessionGapMinutes: 30,
  pageViewTypes: Object.freeze(['page_view']),
  featureUseType: 'feature_use',
  missingCustomer: 'error' as const,
});

const BUILT_IN = [
  'sessions',
  'page_views',
  'pages_per_session',
  'avg_session_seconds',
  'avg_sessions_per_day',
  'active_days',
  'features_used',
  'features_per_day',
  'tenure_days',
  'days_since_last_activity',
];

function stringList(name: string, v: unknown): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw badOption(name, v, 'an array of strings');
  return [...(v as string[])];
}

function checkOptions(options: BehaviourFeaturesOptions) {
  if (options === null || typeof options !== 'object') throw badOption('options', options, 'an object');
  // a misspelt option ("sesion") would otherwise be ignored and its default used in silence
  checkKnown(options, OPTIONS, 'behaviourFeatures');
  const o = options as unknown as Record<string, unknown>;
  const customer = columnOption(o, 'customer', true)!;
  const timestamp = columnOption(o, 'timestamp', true)!;
  const type = columnOption(o, 'type', true)!;
  const session = columnOption(o, 'session', false);
  const duration = columnOption(o, 'duration', false);
  const feature = columnOption(o, 'feature', false);
  // undefined is the default; null is checked as any value is (pageViewTypes: null is no way to say "none")
  const gap = orDefault(options.sessionGapMinutes, DEFAULTS.sessionGapMinutes);
  if (typeof gap !== 'number' || !(gap > 0) || !Number.isFinite(gap)) throw badOption('sessionGapMinutes', gap, 'a positive number of minutes');
  const pageViewTypes = stringList('pageViewTypes', orDefault(options.pageViewTypes, DEFAULTS.pageViewTypes));
  const featureUseType = orDefault(options.featureUseType, DEFAULTS.featureUseType);
  if (typeof featureUseType !== 'string') throw badOption('featureUseType', featureUseType, 'an event type name');
  const missingCustomer = orDefault(options.missingCustomer, DEFAULTS.missingCustomer);
  if (missingCustomer !== 'error' && missingCustomer !== 'skip') throw badOption('missingCustomer', missingCustomer, '"error" or "skip"');
  let typeCounts: [string, string][] | undefined;
  const tc = options.typeCounts;
  if (Array.isArray(tc)) typeCounts = stringList('typeCounts', tc).map((t) => [t, t]);
  else if (tc !== undefined) {
    if (tc === null || typeof tc !== 'object' || Object.values(tc).some((x) => typeof x !== 'string' || x === '')) {
      throw badOption('typeCounts', tc, 'an array of event types or an object { type: columnName }');
    }
    typeCounts = Object.entries(tc as Record<string, string>);
  }
  const asOf = options.asOf === undefined ? undefined : dateOption('asOf', options.asOf);
  if (BUILT_IN.includes(customer)) throw badOption('customer', customer, `a name other than the output columns ${BUILT_IN.join(', ')}`);
  // (a timestamp read as the durations too would give every session years)
  distinctRoles([['customer', customer], ['timestamp', timestamp], ['type', type], ['session', session], ['duration', duration], ['feature', feature]]);
  return { customer, timestamp, type, session, duration, feature, gapMs: gap * 60_000, pageViewTypes, featureUseType, missingCustomer, typeCounts, asOf };
}

/**
 * Behavioural features per customer from an event log (one row per page view, download, feature use, ...).
 *
 * Columns: sessions (distinct session ids, or runs of events with no gap over `sessionGapMinutes`),
 * page_views, pages_per_session, avg_session_seconds (summed event durations per session, or first-to-last
 * event span, with compensation: ten 0.1 s events are 1 s), active_days (distinct UTC days with an event), avg_sessions_per_day (sessions per active day),
 * one count per event type in `typeCounts`, features_used (distinct features among feature-use events),
 * features_per_day (distinct (day, feature) pairs per active day), tenure_days and days_since_last_activity
 * (whole UTC days from the first and last event to `asOf`). Events after the as-of UTC day are left out, and so is a
 * customer whose every event is after it (as in `rfm`): how many of each is in the schema metadata
 * (BEHAVIOUR_AFTER_AS_OF). Every row is an event: an exact duplicate row counts twice (in page_views, the type
 * counts, the summed durations, and features_used and features_per_day without a `feature` column), so deduplicate a
 * log that repeats rows. Rows are sorted by customer id.
 *
 * @example
 * const table = behaviourFeatures(events, { customer: 'customer_id', timestamp: 'timestamp', type: 'type',
 *   feature: 'feature', typeCounts: { blog_view: 'blogs_viewed', video_view: 'videos_viewed' } });
 */
export function behaviourFeatures(events: LogInput, options: BehaviourFeaturesOptions): Table {
  const o = checkOptions(options);
  const n = logLength(events);
  const { codes: cust, keys } = readCustomerKeys(events, o.customer, o.missingCustomer);
  const ms = readTimes(events, o.timestamp, cust);
  const types = readKeys(events, o.type, (row) => {
    if (cust[row] >= 0) throw new SegkitError('E_NAN_INPUT', `row ${row}, column "${o.type}" has no event type`);
  }, cust);
  const sessions = o.session
    ? readKeys(events, o.session, (row) => {
        if (cust[row] >= 0) throw new SegkitError('E_NAN_INPUT', `row ${row}, column "${o.session}" has no session id`);
      }, cust)
    : undefined;
  const duration = o.duration ? readNumbers(events, o.duration, 0, cust) : undefined;
  if (duration) {
    for (let i = 0; i < n; i++) {
      if (cust[i] >= 0 && duration[i] < 0) throw new SegkitError('E_NAN_INPUT', `row ${i}, column "${o.duration}" holds ${duration[i]}; a duration is 0 or more seconds`);
    }
  }
  const features = o.feature ? readKeys(events, o.feature, () => {}, cust) : undefined;

  // Per type code: is it a page view, a feature use, and which count column (-1: none) does it feed.
  const typeNames = types.keys.map(String);
  const nTypes = typeNames.length;
  const isPageView = new Uint8Array(nTypes);
  const isFeatureUse = new Uint8Array(nTypes);
  for (let t = 0; t < nTypes; t++) {
    isPageView[t] = o.pageViewTypes.includes(typeNames[t]) ? 1 : 0;
    isFeatureUse[t] = typeNames[t] === o.featureUseType ? 1 : 0;
  }
  const counted = o.typeCounts ?? [...typeNames].filter((t) => !o.pageViewTypes.includes(t)).sort().map((t): [string, string] => [t, t]);
  const reserved = new Set([o.customer, ...BUILT_IN]);
  for (const [t, column] of counted) {
    if (reserved.has(column)) throw badOption('typeCounts', t, `a type whose column name is not "${column}", which is taken`);
    reserved.add(column);
  }
  const countColumn = new Int32Array(nTypes).fill(-1);
  counted.forEach(([t], j) => {
    // readKeys reads a type written as 1 in some rows and "1" in others as one type
    const code = typeNames.indexOf(t);
    if (code >= 0) countColumn[code] = j;
  });
  const nCounts = counted.length;

  // Bucket the kept rows by customer (a stable counting sort), then order each customer's rows by time.
  // the whole as-of day counts, as in rfm: the outputs are whole UTC days, so an event at 00:00:01 is the day's as one at 00:00
  const asOfEnd = o.asOf === undefined ? Infinity : (utcDay(o.asOf) + 1) * DAY_MS;
  const k = keys.length;
  // a count column per type for every customer: a column of URLs or free text taken for the type would ask for more
  // memory than there is (and a table of as many columns), where the answer is to name the types to count
  if (nCounts * k > COUNT_CELLS) {
    const what = o.typeCounts ? `option "typeCounts" names ${nCounts.toLocaleString('en-US')} event types` : `column "${o.type}" has ${nCounts.toLocaleString('en-US')} event types to count`;
    throw new SegkitError('E_BAD_OPTION', `${what}: a count of each for ${k.toLocaleString('en-US')} customers is ${(nCounts * k).toLocaleString('en-US')} counts, more than ${COUNT_CELLS.toLocaleString('en-US')}`,
      o.typeCounts ? 'count fewer types per call (split typeCounts), or fewer customers' : `name the types to count with typeCounts (is "${o.type}" the event type column?)`);
  }
  const start = new Int32Array(k + 1);
  let maxMs = -Infinity, afterRows = 0;
  for (let i = 0; i < n; i++) {
    if (cust[i] < 0) continue;
    if (ms[i] >= asOfEnd) {
      afterRows++;
      continue;
    }
    start[cust[i] + 1]++;
    if (ms[i] > maxMs) maxMs = ms[i];
  }
  if (maxMs === -Infinity) throw new SegkitError('E_EMPTY_DATA', 'the log has no events with a customer id on or before asOf');
  for (let c = 0; c < k; c++) start[c + 1] += start[c];
  const rows = new Int32Array(start[k]);
  const fill = start.slice(0, k);
  for (let i = 0; i < n; i++) if (cust[i] >= 0 && ms[i] < asOfEnd) rows[fill[cust[i]]++] = i;
  const byTime = (a: number, b: number) => ms[a] - ms[b] || a - b;
  for (let c = 0; c < k; c++) {
    const slice = rows.subarray(start[c], start[c + 1]);
    let sorted = true;
    for (let j = 1; j < slice.length && sorted; j++) sorted = ms[slice[j - 1]] <= ms[slice[j]];
    if (!sorted) slice.sort(byTime);
  }

  const asOfDay = o.asOf === undefined ? utcDay(maxMs) + 1 : utcDay(o.asOf);
  const out = {
    sessions: new Int32Array(k),
    pageViews: new Int32Array(k),
    pagesPerSession: new Float64Array(k),
    avgSessionSeconds: new Float64Array(k),
    activeDays: new Int32Array(k),
    sessionsPerDay: new Float64Array(k),
    featuresUsed: new Int32Array(k),
    featuresPerDay: new Float64Array(k),
    tenure: new Int32Array(k),
    sinceLast: new Int32Array(k),
  };
  const counts = Array.from({ length: nCounts }, () => new Int32Array(k));
  // "Seen for this customer" stamps make distinct counts O(1) without a Set per customer.
  const sessionStamp = sessions ? new Int32Array(sessions.keys.length).fill(-1) : undefined;
  const sessionFirst = sessions ? new Float64Array(sessions.keys.length) : undefined;
  const sessionLast = sessions ? new Float64Array(sessions.keys.length) : undefined;
  const touched: number[] = [];
  const featureStamp = features ? new Int32Array(features.keys.length).fill(-1) : undefined;
  const featureDayStamp = features ? new Int32Array(features.keys.length).fill(-1) : undefined;
  let dayVisit = 0;
  // a customer's seconds, summed with compensation (Neumaier), so ten events of 0.1 s are 1 s as in pandas' groupby
  let seconds = 0, lost = 0;
  const add = (x: number): void => {
    const t = seconds + x;
    lost += lostBits(seconds, x, t);
    seconds = t;
  };

  for (let c = 0; c < k; c++) {
    const from = start[c], to = start[c + 1];
    if (from === to) continue;
    let nSessions = 0, pageViews = 0, activeDays = 0, featuresUsed = 0, featureDays = 0;
    let prevMs = NaN, sessionStart = NaN, prevDay = NaN;
    seconds = lost = 0;
    touched.length = 0;
    for (let j = from; j < to; j++) {
      const i = rows[j];
      const t = ms[i];
      const day = utcDay(t);
      if (day !== prevDay) {
        activeDays++;
        dayVisit++;
        prevDay = day;
      }
      if (sessions) {
        const s = sessions.codes[i];
        if (sessionStamp![s] !== c) {
          sessionStamp![s] = c;
          sessionFirst![s] = t;
          touched.push(s);
          nSessions++;
        }
        sessionLast![s] = t;
      } else if (!(t - prevMs <= o.gapMs)) {
        if (nSessions > 0 && !duration) add((prevMs - sessionStart) / 1000);
        nSessions++;
        sessionStart = t;
      }
      prevMs = t;
      const type = types.codes[i];
      if (isPageView[type]) pageViews++;
      if (countColumn[type] >= 0) counts[countColumn[type]][c]++;
      if (isFeatureUse[type]) {
        if (!features) {
          featuresUsed++;
          featureDays++;
        } else {
          const f = features.codes[i];
          if (f < 0) throw new SegkitError('E_NAN_INPUT', `row ${i}, column "${o.feature}" names no feature for a "${o.featureUseType}" event`);
          if (featureStamp![f] !== c) {
            featureStamp![f] = c;
            featuresUsed++;
          }
          if (featureDayStamp![f] !== dayVisit) {
            featureDayStamp![f] = dayVisit;
            featureDays++;
          }
        }
      }
      if (duration) add(duration[i]);
    }
    if (!duration) {
      if (sessions) for (const s of touched) add((sessionLast![s] - sessionFirst![s]) / 1000);
      else add((prevMs - sessionStart) / 1000);
    }
    out.sessions[c] = nSessions;
    out.pageViews[c] = pageViews;
    out.pagesPerSession[c] = pageViews / nSessions;
    out.avgSessionSeconds[c] = roundedSum(seconds, lost) / nSessions;
    out.activeDays[c] = activeDays;
    out.sessionsPerDay[c] = nSessions / activeDays;
    out.featuresUsed[c] = featuresUsed;
    out.featuresPerDay[c] = featureDays / activeDays;
    out.tenure[c] = asOfDay - utcDay(ms[rows[from]]);
    out.sinceLast[c] = asOfDay - utcDay(ms[rows[to - 1]]);
  }

  const order = sortedKeyOrder(keys, (c) => start[c + 1] > start[c]);
  const pick = <T extends Int32Array | Float64Array>(a: T): Vector => makeVector(a.constructor === Int32Array ? Int32Array.from(order, (c) => a[c]) : Float64Array.from(order, (c) => a[c]));
  const names = [o.customer, 'sessions', 'page_views', 'pages_per_session', 'avg_session_seconds', 'active_days', 'avg_sessions_per_day'];
  const columns = [
    keyVector(keys, order),
    pick(out.sessions),
    pick(out.pageViews),
    pick(out.pagesPerSession),
    pick(out.avgSessionSeconds),
    pick(out.activeDays),
    pick(out.sessionsPerDay),
  ];
  counted.forEach(([, column], j) => {
    names.push(column);
    columns.push(pick(counts[j]));
  });
  names.push('features_used', 'features_per_day', 'tenure_days', 'days_since_last_activity');
  columns.push(pick(out.featuresUsed), pick(out.featuresPerDay), pick(out.tenure), pick(out.sinceLast));
  const metadata = new Map<string, string>();
  if (o.asOf !== undefined) {
    let afterOnly = 0;
    for (let c = 0; c < k; c++) if (start[c + 1] === start[c]) afterOnly++;
    metadata.set(BEHAVIOUR_AFTER_AS_OF, JSON.stringify({ rows: afterRows, customers: afterOnly }));
  }
  return tableFromColumns(names, columns.map(singleChunk), metadata);
}
