import { Int32, Utf8, makeVector, type Table } from '#arrow';
import { checkOptions, orDefault } from '../util/options.js';
import { createRandom, type Random } from '../util/random.js';
import { badOption } from '../util/errors.js';
import { dataFromValues, singleChunk, tableFromColumns } from '../data/arrowTable.js';
import { checkSeed, clamp, logNormal, pickWeighted, round } from './sampleHelpers.js';

export type SampleSegment = 'Power users' | 'Content researchers' | 'Bargain one-timers' | 'Dormant' | 'New trials';

/** The ground-truth segments and their default shares of the customer base. */
export const SAMPLE_SEGMENTS: Readonly<Record<SampleSegment, number>> = Object.freeze({
  'Power users': 0.15,
  'Content researchers': 0.25,
  'Bargain one-timers': 0.22,
  Dormant: 0.23,
  'New trials': 0.15,
});

export interface SampleCustomersOptions {
  /** Number of customers. */
  readonly n?: number;
  /** Integer seed: the same seed gives the same table, byte for byte. */
  readonly seed?: number;
  /** Relative weights of the segments to draw; segments left out are not drawn. Default SAMPLE_SEGMENTS. */
  readonly segments?: Readonly<Partial<Record<SampleSegment, number>>>;
}

const DEFAULTS = Object.freeze({ n: 1000, seed: 42, segments: SAMPLE_SEGMENTS });

type Spread = readonly [median: number, sigma: number];

/** Behaviour over a 90-day window. Counts are log-normal (skewed), `zero` is the chance of none at all. */
interface Profile {
  readonly activeDays: readonly [median: number, sigma: number, min: number, max: number];
  readonly sessionsPerDay: Spread;
  readonly pagesPerSession: Spread;
  readonly blogs: readonly [median: number, sigma: number, zero: number];
  readonly videos: readonly [median: number, sigma: number, zero: number];
  readonly whitepapers: readonly [median: number, sigma: number, zero: number];
  readonly features: readonly [mean: number, sd: number, min: number, max: number];
  readonly featuresPerDay: Spread;
  readonly sessionSeconds: Spread;
  readonly converted: number;
  readonly age: readonly [mean: number, sd: number];
}

const PROFILES: Readonly<Record<SampleSegment, Profile>> = Object.freeze({
  'Power users': {
    activeDays: [26, 0.25, 12, 70],
    sessionsPerDay: [2.3, 0.12],
    pagesPerSession: [8, 0.2],
    blogs: [5, 0.5, 0.05],
    videos: [8, 0.4, 0.05],
    whitepapers: [1.5, 0.6, 0.3],
    features: [15, 1.5, 10, 20],
    featuresPerDay: [5, 0.15],
    sessionSeconds: [1300, 0.12],
    converted: 0.9,
    age: [35, 8],
  },
  'Content researchers': {
    activeDays: [14, 0.25, 5, 35],
    sessionsPerDay: [1.25, 0.08],
    pagesPerSession: [5, 0.15],
    blogs: [38, 0.25, 0],
    videos: [18, 0.25, 0],
    whitepapers: [6, 0.3, 0],
    features: [2.5, 1, 0, 5],
    featuresPerDay: [0.4, 0.3],
    sessionSeconds: [650, 0.2],
    converted: 0.2,
    age: [42, 10],
  },
  'Bargain one-timers': {
    activeDays: [1.4, 0.35, 1, 3],
    sessionsPerDay: [1.05, 0.05],
    pagesPerSession: [5.5, 0.2],
    blogs: [1, 0.5, 0.7],
    videos: [1, 0.5, 0.85],
    whitepapers: [1, 0.3, 0.97],
    features: [0.4, 0.6, 0, 2],
    featuresPerDay: [0.5, 0.3],
    sessionSeconds: [420, 0.2],
    converted: 1,
    age: [29, 7],
  },
  Dormant: {
    activeDays: [6, 0.3, 2, 14],
    sessionsPerDay: [1.03, 0.03],
    pagesPerSession: [1.3, 0.15],
    blogs: [2, 0.5, 0.3],
    videos: [1, 0.5, 0.5],
    whitepapers: [1, 0.3, 0.85],
    features: [3.5, 1, 1, 6],
    featuresPerDay: [0.9, 0.2],
    sessionSeconds: [60, 0.25],
    converted: 0.25,
    age: [48, 11],
  },
  'New trials': {
    activeDays: [7, 0.25, 3, 14],
    sessionsPerDay: [2, 0.12],
    pagesPerSession: [6.5, 0.2],
    blogs: [4, 0.5, 0.1],
    videos: [5, 0.4, 0.1],
    whitepapers: [1.5, 0.5, 0.3],
    features: [9, 1.2, 6, 13],
    featuresPerDay: [3, 0.15],
    sessionSeconds: [850, 0.2],
    converted: 0.12,
    age: [31, 8],
  },
});

const GENDERS = [['female', 0.49], ['male', 0.49], ['other', 0.02]] as const;
const COUNTRIES = [
  ['United Kingdom', 0.35],
  ['United States', 0.15],
  ['Germany', 0.12],
  ['France', 0.1],
  ['Netherlands', 0.07],
  ['Spain', 0.06],
  ['Ireland', 0.05],
  ['Australia', 0.05],
  ['Canada', 0.05],
] as const;
const AGE_MISSING = 0.03;
/** The longest a session may last on average; sampleEvents needs it to fit sessions into a day. */
export const MAX_SESSION_SECONDS = 1800;

function checkSegments(segments: unknown): [SampleSegment, number][] {
  if (segments === null || typeof segments !== 'object' || Array.isArray(segments)) throw badOption('segments', segments, 'an object { segment: weight }');
  const entries = Object.entries(segments as Record<string, unknown>);
  for (const [name, w] of entries) {
    if (!Object.hasOwn(PROFILES, name)) throw badOption('segments', name, `one of ${Object.keys(PROFILES).join(', ')}`);
    if (typeof w !== 'number' || !(w >= 0) || !Number.isFinite(w)) throw badOption(`segments["${name}"]`, w, 'a weight >= 0');
  }
  if (!entries.some(([, w]) => (w as number) > 0)) throw badOption('segments', segments, 'at least one weight above 0');
  return entries as [SampleSegment, number][];
}

/** Exact counts by largest remainder, so a seed's segment sizes are n x weight up to rounding. */
function segmentLabels(rng: Random, n: number, weights: [SampleSegment, number][]): SampleSegment[] {
  let total = weights.reduce((s, [, w]) => s + w, 0);
  // weights only relative: ones whose sum, or n times it, overflows (two of 1e308) are taken relative to the largest
  if (!Number.isFinite(n * total)) {
    const top = Math.max(...weights.map(([, w]) => w));
    weights = weights.map(([name, w]) => [name, w / top]);
    total = weights.reduce((s, [, w]) => s + w, 0);
  }
  const quotas = weights.map(([name, w]) => ({ name, exact: (n * w) / total, count: Math.floor((n * w) / total) }));
  let left = n - quotas.reduce((s, q) => s + q.count, 0);
  for (const q of [...quotas].sort((a, b) => b.exact - b.count - (a.exact - a.count))) {
    if (left-- <= 0) break;
    q.count++;
  }
  const labels: SampleSegment[] = [];
  for (const q of quotas) for (let i = 0; i < q.count; i++) labels.push(q.name);
  for (let i = labels.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [labels[i], labels[j]] = [labels[j], labels[i]];
  }
  return labels;
}

const count = (rng: Random, [median, sigma, zero]: readonly [number, number, number]): number =>
  rng.next() < zero ? 0 : Math.max(0, Math.round(logNormal(rng, median, sigma)));

/**
 * Seeded synthetic customers with known segments (`segment_truth`): demographics (age with a few missing
 * values, gender, country), 90 days of web behaviour and whether they bought (`converted`). The behaviour
 * columns are exactly what `behaviourFeatures` computes from `sampleEvents` of the same table, and
 * `sampleTransactions` gives the converted customers a purchase history to match.
 *
 * @example
 * const customers = sampleCustomers({ n: 2000, seed: 7 });
 * customers.getChild('segment_truth')?.get(0); // e.g. 'Content researchers'
 */
export function sampleCustomers(options: SampleCustomersOptions = {}): Table {
  checkOptions(options, ['n', 'seed', 'segments'], 'sampleCustomers');
  const n = orDefault(options.n, DEFAULTS.n);
  if (!Number.isSafeInteger(n) || n < 1) throw badOption('n', n, 'a positive integer');
  const seed = checkSeed(orDefault(options.seed, DEFAULTS.seed));
  const weights = checkSegments(orDefault(options.segments, DEFAULTS.segments));
  const rng = createRandom(seed);
  const labels = segmentLabels(rng, n, weights);

  const width = Math.max(6, String(n).length);
  const ids = new Array<string>(n);
  const age = new Array<number | null>(n);
  const gender = new Array<string>(n);
  const country = new Array<string>(n);
  const ints = { sessions: new Int32Array(n), page_views: new Int32Array(n), blogs_viewed: new Int32Array(n), videos_viewed: new Int32Array(n), whitepapers_viewed: new Int32Array(n), features_used: new Int32Array(n), converted: new Int32Array(n) };
  const floats = { pages_per_session: new Float64Array(n), features_per_day: new Float64Array(n), avg_sessions_per_day: new Float64Array(n), avg_session_seconds: new Float64Array(n) };

  for (let i = 0; i < n; i++) {
    const p = PROFILES[labels[i]];
    ids[i] = `cust-${String(i + 1).padStart(width, '0')}`;
    const a = Math.round(clamp(p.age[0] + p.age[1] * rng.normal(), 18, 85));
    age[i] = rng.next() < AGE_MISSING ? null : a;
    gender[i] = pickWeighted(rng, GENDERS);
    country[i] = pickWeighted(rng, COUNTRIES);

    const days = clamp(Math.round(logNormal(rng, p.activeDays[0], p.activeDays[1])), p.activeDays[2], p.activeDays[3]);
    const sessions = clamp(Math.round(days * logNormal(rng, ...p.sessionsPerDay)), days, 5 * days);
    const pages = Math.max(sessions, Math.round(sessions * logNormal(rng, ...p.pagesPerSession)));
    const blogs = count(rng, p.blogs);
    const videos = count(rng, p.videos);
    const whitepapers = count(rng, p.whitepapers);
    const features = clamp(Math.round(p.features[0] + p.features[1] * rng.normal()), p.features[2], p.features[3]);
    // Distinct (day, feature) pairs: each used feature at least once, at most every feature every day.
    const featureDays = features === 0 ? 0 : clamp(Math.round(days * logNormal(rng, ...p.featuresPerDay)), features, features * days);
    const events = pages + blogs + videos + whitepapers + featureDays;
    // At least one second per event; at most MAX_SESSION_SECONDS per session on average.
    const seconds = clamp(Math.round(sessions * logNormal(rng, ...p.sessionSeconds)), events, MAX_SESSION_SECONDS * sessions);

    ints.sessions[i] = sessions;
    ints.page_views[i] = pages;
    ints.blogs_viewed[i] = blogs;
    ints.videos_viewed[i] = videos;
    ints.whitepapers_viewed[i] = whitepapers;
    ints.features_used[i] = features;
    ints.converted[i] = rng.next() < p.converted ? 1 : 0;
    // Four decimals keep the CSV readable and still let sampleEvents recover the exact integer counts.
    floats.pages_per_session[i] = round(pages / sessions, 4);
    floats.features_per_day[i] = round(featureDays / days, 4);
    floats.avg_sessions_per_day[i] = round(sessions / days, 4);
    floats.avg_session_seconds[i] = round(seconds / sessions, 4);
  }

  const names = [
    'customer_id', 'age', 'gender', 'country', 'sessions', 'page_views', 'pages_per_session', 'blogs_viewed', 'videos_viewed',
    'whitepapers_viewed', 'features_used', 'features_per_day', 'avg_sessions_per_day', 'avg_session_seconds', 'converted', 'segment_truth',
  ];
  const vec = (name: string) => {
    switch (name) {
      case 'customer_id':
        return makeVector(dataFromValues(ids, new Utf8()));
      case 'age':
        return makeVector(dataFromValues(age, new Int32()));
      case 'gender':
        return makeVector(dataFromValues(gender, new Utf8()));
      case 'country':
        return makeVector(dataFromValues(country, new Utf8()));
      case 'segment_truth':
        return makeVector(dataFromValues(labels, new Utf8()));
      default:
        return name in ints
          ? makeVector(ints[name as keyof typeof ints])
          : makeVector(floats[name as keyof typeof floats]);
    }
  };
  return tableFromColumns(names, names.map((name) => singleChunk(vec(name))));
}
