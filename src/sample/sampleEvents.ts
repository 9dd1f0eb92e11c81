import { TimestampMillisecond, Utf8, makeVector, type Table } from '#arrow';
import { checkOptions, orDefault } from '../util/options.js';
import { createRandom, type Random } from '../util/random.js';
import { SegkitError, badOption } from '../util/errors.js';
import { dateOption, readKeys, readNumbers, type LogInput } from '../data/logInput.js';
import { dataFromValues, singleChunk, tableFromColumns } from '../data/arrowTable.js';
import { MAX_SESSION_SECONDS } from './sampleCustomers.js';
import { DAY_MS, SAMPLE_END, allocate, checkSeed, sampleDistinct, shuffle } from './sampleHelpers.js';

export interface SampleEventsOptions {
  /** Integer seed. */
  readonly seed?: number;
  /** Length of the observation window in days; it must hold every customer's active days. */
  readonly days?: number;
  /** The window ends at the start of this UTC day. */
  readonly end?: Date | string | number;
}

const DEFAULTS = Object.freeze({ seed: 42, days: 90, end: SAMPLE_END });

export const SAMPLE_FEATURES: readonly string[] = Object.freeze([
  'dashboards', 'reports', 'export', 'import', 'alerts', 'api', 'integrations', 'segments', 'filters', 'sharing',
  'comments', 'templates', 'scheduling', 'billing', 'permissions', 'audit_log', 'search', 'notifications', 'mobile_app', 'sso',
]);

// Sessions are at least this far apart, so the 30-minute inactivity rule finds exactly the generated sessions.
const SESSION_GAP_S = 31 * 60;
// Event durations (the time to the next event in the session) stay within the 30-minute rule.
const MAX_EVENT_S = 1800;
const MAX_SESSION_S = 7200;
const MAX_SESSIONS_PER_DAY = 5;
const DAY_START_S = 6 * 3600;
const DAY_END_S = 86_399;

type EventType = 'page_view' | 'blog_view' | 'video_view' | 'whitepaper_download' | 'feature_use';

/** Which part of the window a segment is active in: Dormant customers early on, New trials only lately. */
function activeRange(segment: string, days: number, activeDays: number): [number, number] {
  if (segment === 'Dormant') return [0, Math.max(activeDays, Math.floor(days * 0.45))];
  if (segment === 'New trials') return [Math.max(0, days - Math.max(activeDays, 21)), days];
  return [0, days];
}

function recovered(row: number, column: string, v: number, ok: boolean): number {
  if (!ok || !Number.isInteger(v) || v < 0) {
    throw new SegkitError('E_BAD_OPTION', `row ${row}, column "${column}" does not describe a sample customer (derived ${v})`, 'pass a table made by sampleCustomers');
  }
  return v;
}

interface Plan {
  readonly id: string;
  readonly days: number[];
  readonly sessionsPerDay: Int32Array;
  readonly sessionEvents: { type: EventType; feature: string | null }[][];
  readonly seconds: number;
}

function plan(rng: Random, id: string, segment: string, c: Record<string, number>, row: number, windowDays: number): Plan {
  const sessions = recovered(row, 'sessions', c.sessions, c.sessions >= 1);
  const activeDays = recovered(row, 'avg_sessions_per_day', Math.round(sessions / c.avg_sessions_per_day), true);
  if (activeDays < 1 || sessions > MAX_SESSIONS_PER_DAY * activeDays) recovered(row, 'avg_sessions_per_day', activeDays, false);
  if (activeDays > windowDays) throw badOption('days', windowDays, `at least ${activeDays} (row ${row} is active on ${activeDays} days)`);
  const pages = recovered(row, 'page_views', c.page_views, c.page_views >= sessions);
  const features = recovered(row, 'features_used', c.features_used, c.features_used <= SAMPLE_FEATURES.length);
  const featureDays = recovered(row, 'features_per_day', Math.round(c.features_per_day * activeDays), true);
  if (featureDays < features || featureDays > features * activeDays) recovered(row, 'features_per_day', featureDays, false);
  const counts: [EventType, number][] = [
    ['blog_view', recovered(row, 'blogs_viewed', c.blogs_viewed, true)],
    ['video_view', recovered(row, 'videos_viewed', c.videos_viewed, true)],
    ['whitepaper_download', recovered(row, 'whitepapers_viewed', c.whitepapers_viewed, true)],
  ];
  const seconds = recovered(row, 'avg_session_seconds', Math.round(c.avg_session_seconds * sessions), c.avg_session_seconds <= MAX_SESSION_SECONDS);

  const [lo, hi] = activeRange(segment, windowDays, activeDays);
  const days = sampleDistinct(rng, activeDays, lo, hi);
  const sessionsPerDay = allocate(rng, sessions, activeDays, 1, MAX_SESSIONS_PER_DAY);
  const firstSession = new Int32Array(activeDays + 1);
  for (let d = 0; d < activeDays; d++) firstSession[d + 1] = firstSession[d] + sessionsPerDay[d];

  // Every session opens with a page view; the rest of each session's events are shuffled after it.
  const sessionEvents: { type: EventType; feature: string | null }[][] = Array.from({ length: sessions }, () => []);
  const pagesPer = allocate(rng, pages, sessions, 1);
  for (let s = 0; s < sessions; s++) for (let k = 0; k < pagesPer[s]; k++) sessionEvents[s].push({ type: 'page_view', feature: null });
  for (const [type, total] of counts) {
    const per = allocate(rng, total, sessions, 0);
    for (let s = 0; s < sessions; s++) for (let k = 0; k < per[s]; k++) sessionEvents[s].push({ type, feature: null });
  }
  // features_used distinct features over featureDays distinct (day, feature) pairs, each feature at least once.
  const chosen = sampleDistinct(rng, features, 0, SAMPLE_FEATURES.length).map((f) => SAMPLE_FEATURES[f]);
  const cells = new Set<number>();
  for (let f = 0; f < features; f++) cells.add(rng.int(activeDays) * features + f);
  const free = shuffle(rng, Array.from({ length: activeDays * features }, (_, x) => x).filter((x) => !cells.has(x)));
  for (let j = 0; cells.size < featureDays; j++) cells.add(free[j]);
  for (const cell of [...cells].sort((a, b) => a - b)) {
    const d = Math.floor(cell / features);
    const s = firstSession[d] + rng.int(sessionsPerDay[d]);
    sessionEvents[s].push({ type: 'feature_use', feature: chosen[cell % features] });
  }
  for (const events of sessionEvents) {
    const rest = shuffle(rng, events.slice(1));
    events.splice(1, rest.length, ...rest);
  }
  return { id, days, sessionsPerDay, sessionEvents, seconds };
}

/**
 * A web event log for customers made by `sampleCustomers`: one row per page view, blog view, video view,
 * whitepaper download or feature use, with session ids and per-event durations (seconds to the next event).
 * `behaviourFeatures(events, { customer: 'customer_id', timestamp: 'timestamp', type: 'type', session: 'session_id',
 * duration: 'duration', feature: 'feature' })` gives back the customers' behaviour columns, and the 30-minute
 * rule finds the same sessions as the ids. Dormant customers are active early in the window, New trials late.
 *
 * @example
 * const events = sampleEvents(sampleCustomers({ n: 200, seed: 1 }), { seed: 1, days: 90 });
 */
export function sampleEvents(customers: LogInput, options: SampleEventsOptions = {}): Table {
  checkOptions(options, ['seed', 'days', 'end'], 'sampleEvents');
  const seed = checkSeed(orDefault(options.seed, DEFAULTS.seed));
  const windowDays = orDefault(options.days, DEFAULTS.days);
  if (!Number.isSafeInteger(windowDays) || windowDays < 1) throw badOption('days', windowDays, 'a positive integer');
  const endDay = Math.floor(dateOption('end', orDefault(options.end, DEFAULTS.end)) / DAY_MS);
  // the window starts on a day a Date can hold (100,000,000 days before 1970 at the earliest)
  if (endDay - windowDays < -1e8) {
    // an end too early for any window names end rather than a bound on days below 1
    if (1e8 + endDay < 1) throw badOption('end', options.end, 'a day after the earliest a Date holds (a window of days ends there)');
    throw badOption('days', windowDays, `at most ${1e8 + endDay} with this end (the window would start before the earliest date a Date holds)`);
  }
  const rng = createRandom(seed);

  const id = readKeys(customers, 'customer_id', (row) => {
    throw new SegkitError('E_NAN_INPUT', `row ${row}, column "customer_id" is empty`);
  });
  const segment = readKeys(customers, 'segment_truth', () => {});
  const numeric = ['sessions', 'page_views', 'blogs_viewed', 'videos_viewed', 'whitepapers_viewed', 'features_used', 'features_per_day', 'avg_sessions_per_day', 'avg_session_seconds'];
  const cols = Object.fromEntries(numeric.map((name) => [name, readNumbers(customers, name)]));

  const customerOut: string[] = [];
  const sessionOut: number[] = [];
  const timeOut: number[] = [];
  const typeOut: string[] = [];
  const featureOut: (string | null)[] = [];
  const durationOut: number[] = [];
  let sessionId = 0;
  for (let row = 0; row < id.codes.length; row++) {
    const c = Object.fromEntries(numeric.map((name) => [name, cols[name][row]]));
    const seg = segment.codes[row] < 0 ? '' : String(segment.keys[segment.codes[row]]);
    const p = plan(rng, String(id.keys[id.codes[row]]), seg, c, row, windowDays);
    const sizes = p.sessionEvents.map((e) => e.length);
    // Seconds per session, then per event: at least 1 s per event, at most 30 min per event and 2 h per session.
    const perSession = allocate(rng, p.seconds, sizes.length, sizes, sizes.map((e) => Math.min(MAX_EVENT_S * e, MAX_SESSION_S)));
    let s = 0;
    for (let d = 0; d < p.days.length; d++) {
      const k = p.sessionsPerDay[d];
      let busy = 0;
      for (let j = 0; j < k; j++) busy += perSession[s + j];
      // Sessions fall between 06:00 and midnight, so consecutive days are hours apart; 5 x 2 h + gaps < 18 h.
      const idle = allocate(rng, DAY_END_S - DAY_START_S - busy - (k - 1) * SESSION_GAP_S, k + 1, 0);
      let t = (endDay - windowDays + p.days[d]) * 86_400 + DAY_START_S + idle[0];
      for (let j = 0; j < k; j++, s++) {
        sessionId++;
        const events = p.sessionEvents[s];
        const durations = allocate(rng, perSession[s], events.length, 1, MAX_EVENT_S);
        for (let e = 0; e < events.length; e++) {
          customerOut.push(p.id);
          sessionOut.push(sessionId);
          timeOut.push(t * 1000);
          typeOut.push(events[e].type);
          featureOut.push(events[e].feature);
          durationOut.push(durations[e]);
          t += durations[e];
        }
        t += SESSION_GAP_S + idle[j + 1];
      }
    }
  }
  // Logs arrive in time order; ties keep customer and session order.
  const order = Array.from(timeOut, (_, i) => i).sort((a, b) => timeOut[a] - timeOut[b] || a - b);
  const take = <T>(a: T[]) => order.map((i) => a[i]);
  const columns = [
    makeVector(dataFromValues(take(customerOut), new Utf8())),
    makeVector(Int32Array.from(take(sessionOut))),
    makeVector(dataFromValues(take(timeOut), new TimestampMillisecond('UTC'))),
    makeVector(dataFromValues(take(typeOut), new Utf8())),
    makeVector(dataFromValues(take(featureOut), new Utf8())),
    makeVector(Int32Array.from(take(durationOut))),
  ];
  return tableFromColumns(['customer_id', 'session_id', 'timestamp', 'type', 'feature', 'duration'], columns.map(singleChunk));
}
