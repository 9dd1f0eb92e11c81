import { badOption } from '../util/errors.js';
import { checkOptions as checkKeys } from '../util/options.js';
import { isolate } from '../util/bidiText.js';
import { freshName } from '../util/labels.js';

/** A feature and how far a segment sits from the population on it, in population standard deviations. */
export interface FeatureZ {
  readonly name: string;
  readonly z: number;
}

export interface NameSegmentOptions {
  /** At most this many features go into the name. */
  readonly maxTerms?: number;
  /** Features closer to the population than this (|z|) are left out. */
  readonly minAbsZ?: number;
  /** From this |z| on a feature is called "very" high or low. */
  readonly strongZ?: number;
}

const DEFAULTS: Required<NameSegmentOptions> = Object.freeze({ maxTerms: 3, minAbsZ: 0.25, strongZ: 1 });

type Level = 'veryLow' | 'low' | 'high' | 'veryHigh';

/**
 * How one known feature reads in a name. `adj` words go before the noun ("recent buyers"); a `trait` goes after it
 * ("..., many sessions"). `bound` adjectives ("heavy") only make sense with their own noun.
 */
interface Vocab {
  readonly keys: readonly string[];
  readonly noun?: string;
  readonly adj?: Readonly<Record<Level, string>>;
  readonly bound?: boolean;
  readonly trait?: Readonly<Record<Level, string>>;
}

const counted = (many: string, few: string): Record<Level, string> => ({
  veryHigh: `very many ${many}`,
  high: `many ${many}`,
  low: `few ${few}`,
  veryLow: `very few ${few}`,
});
const graded = (what: string): Record<Level, string> => ({
  veryHigh: `very high ${what}`,
  high: `high ${what}`,
  low: `low ${what}`,
  veryLow: `very low ${what}`,
});

// Customer vocabulary; keys are compared after normalising to lower snake_case.
const VOCAB: readonly Vocab[] = [
  {
    keys: ['recency', 'recency_days', 'days_since_last_purchase', 'days_since_last_order', 'days_since_last_visit', 'last_purchase_days'],
    noun: 'buyers',
    adj: { veryLow: 'very recent', low: 'recent', high: 'lapsed', veryHigh: 'long-lapsed' },
  },
  {
    keys: ['frequency', 'orders', 'num_orders', 'n_orders', 'order_count', 'purchases', 'num_purchases', 'purchase_count', 'transactions', 'num_transactions', 'transaction_count'],
    noun: 'buyers',
    adj: { veryHigh: 'very frequent', high: 'frequent', low: 'infrequent', veryLow: 'rare' },
  },
  {
    keys: ['monetary', 'spend', 'total_spend', 'spending', 'revenue', 'total_revenue', 'amount', 'total_amount', 'sales', 'clv', 'ltv', 'lifetime_value'],
    noun: 'buyers',
    adj: { veryHigh: 'very high spend', high: 'high spend', low: 'low spend', veryLow: 'very low spend' },
  },
  {
    keys: ['avg_order_value', 'average_order_value', 'aov', 'basket_value', 'avg_basket_value', 'mean_order_value'],
    noun: 'buyers',
    adj: { veryHigh: 'very big-basket', high: 'big-basket', low: 'small-basket', veryLow: 'very small-basket' },
  },
  {
    keys: ['videos_viewed', 'videos_watched', 'video_views', 'videos', 'watch_time', 'minutes_watched'],
    noun: 'video watchers',
    bound: true,
    adj: { veryHigh: 'very heavy', high: 'heavy', low: 'light', veryLow: 'very light' },
    trait: { veryHigh: 'very heavy viewing', high: 'heavy viewing', low: 'light viewing', veryLow: 'very light viewing' },
  },
  { keys: ['sessions', 'num_sessions', 'session_count', 'visits', 'num_visits'], trait: counted('sessions', 'sessions') },
  { keys: ['page_views', 'pageviews', 'num_page_views', 'pages_viewed'], trait: counted('page views', 'page views') },
  { keys: ['clicks', 'num_clicks'], trait: counted('clicks', 'clicks') },
  { keys: ['returns', 'num_returns', 'return_count', 'return_rate'], trait: counted('returns', 'returns') },
  { keys: ['session_duration', 'avg_session_duration', 'time_on_site', 'dwell_time'], trait: { veryHigh: 'very long visits', high: 'long visits', low: 'short visits', veryLow: 'very short visits' } },
  { keys: ['tenure', 'tenure_days', 'tenure_months', 'customer_age_days', 'days_since_first_purchase', 'days_since_signup'], adj: { veryHigh: 'long-standing', high: 'established', low: 'newer', veryLow: 'new' } },
  { keys: ['discount_rate', 'discount_share', 'discount_usage', 'coupon_use', 'coupon_rate', 'promo_share'], adj: { veryHigh: 'bargain-hunting', high: 'deal-seeking', low: 'full-price', veryLow: 'full-price' } },
  { keys: ['age', 'customer_age'], adj: { veryHigh: 'much older', high: 'older', low: 'younger', veryLow: 'much younger' } },
  { keys: ['email_opens', 'email_open_rate', 'email_clicks', 'email_engagement'], trait: { veryHigh: 'very email-engaged', high: 'email-engaged', low: 'rarely open emails', veryLow: 'ignore emails' } },
];

const BY_KEY = new Map<string, Vocab>();
for (const v of VOCAB) for (const k of v.keys) BY_KEY.set(k, v);

/** "avgBasketSize", "avg-basket size" and "AVG_BASKET_SIZE" all become "avg_basket_size". */
function snake(name: string): string {
  return name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[\s\-.]+/g, '_')
    .toLowerCase();
}

/**
 * Readable words for a feature name: snake_case, camelCase and kebab-case become spaced lower-case words. In a one-hot
 * column "<column>=<category>" only the column is read as words: the category is the data's own text, kept as written
 * ("device=iPhone", not "device=i phone"; "country=U.S.", not "country=u s").
 */
export function featureWords(name: string): string {
  const eq = name.indexOf('=');
  if (eq > 0) return `${featureWords(name.slice(0, eq))}=${name.slice(eq + 1)}`;
  const words = snake(name).split('_').filter((w) => w.length > 0);
  return words.length > 0 ? words.join(' ') : name;
}

function levelOf(z: number, strongZ: number): Level {
  if (z >= 0) return z >= strongZ ? 'veryHigh' : 'high';
  return z <= -strongZ ? 'veryLow' : 'low';
}

function checkOptions(options: NameSegmentOptions): Required<NameSegmentOptions> {
  checkKeys(options, Object.keys(DEFAULTS), 'nameSegment');
  const o = { ...DEFAULTS, ...options };
  if (!Number.isInteger(o.maxTerms) || o.maxTerms < 1) throw badOption('maxTerms', o.maxTerms, 'an integer >= 1');
  if (!(o.minAbsZ >= 0) || !Number.isFinite(o.minAbsZ)) throw badOption('minAbsZ', o.minAbsZ, 'a finite number >= 0');
  if (!(o.strongZ > 0) || !Number.isFinite(o.strongZ)) throw badOption('strongZ', o.strongZ, 'a finite number > 0');
  return o;
}

/** Refuses features that are not { name: text, z: number } (a z of "1" was left out unread, a name of 5 threw a TypeError). */
function checkFeatures(features: readonly FeatureZ[]): void {
  if (!Array.isArray(features)) throw badOption('features', features, 'an array of { name, z }');
  features.forEach((f, i) => {
    if (typeof f?.name != 'string' || typeof f.z != 'number') throw badOption(`features[${i}]`, f && (typeof f.name == 'string' ? f.z : f.name), '{ name: text, z: number }');
  });
}

/** Features ranked by |z|, largest first; ties keep input order so names never depend on sort stability. */
function ranked(features: readonly FeatureZ[], minAbsZ: number): FeatureZ[] {
  return features
    .map((f, i) => ({ f, i }))
    // z = 0 (the population's mean, or a constant feature) is neither high nor low, whatever minAbsZ allows
    .filter(({ f }) => Number.isFinite(f.z) && f.z !== 0 && Math.abs(f.z) >= minAbsZ)
    .sort((a, b) => Math.abs(b.f.z) - Math.abs(a.f.z) || a.i - b.i)
    .map(({ f }) => f);
}

export const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Items in words: "3", "3 and 5", "3, 5 and 7". */
export function listWords(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Segments without customers in words: "segment 3 has no customers in these data", "segments 3 and 5 have ...". */
export function noCustomers(segments: readonly string[], where: string): string {
  const one = segments.length === 1;
  return `${one ? 'segment' : 'segments'} ${listWords(segments)} ${one ? 'has' : 'have'} no customers in ${where}`;
}

/** The name a segment without a name of its own goes by ("segment 3"), as a bare model and an empty component are named. */
export const idName = (id: number): string => `segment ${id}`;

/** Whether a segment's name says no more than its id ("segment 3", "Segment 3"). */
export const onlyId = (name: string, id: number): boolean => name.toLowerCase() === idName(id);

/**
 * A short marketer-friendly name for a segment from how it differs from the population.
 *
 * Rules, applied in order so the result is deterministic:
 * 1. Features are ranked by |z| (ties: input order); those with |z| < `minAbsZ` or z = 0 are dropped; the first `maxTerms` are used.
 * 2. Each becomes words by level: |z| >= `strongZ` is "very high"/"very low", otherwise "high"/"low".
 *    Known customer features have their own words (recency: low = "recent"; frequency: "frequent"; monetary:
 *    "high spend"; videos_viewed: "heavy video watchers"; sessions: "many sessions"; ...). Other names are
 *    split into words ("avg_basket_size" -> "high avg basket size"), as are features the vocabulary reads alike
 *    (spend and revenue: "high spend, low revenue", never "high spend, low spend").
 * 3. The noun comes from the strongest feature that has one ("buyers", "video watchers"), else "customers".
 *    Adjectives go before the noun, other traits after a comma: "High spend, frequent, recent buyers",
 *    "Heavy video watchers, many sessions". With no adjective: "Customers with high avg basket size".
 * 4. A segment with no feature past `minAbsZ` is "Typical customers".
 *
 * @example
 * nameSegment([{ name: 'monetary', z: 0.8 }, { name: 'frequency', z: 0.6 }, { name: 'recency', z: -0.5 }]);
 * // "High spend, frequent, recent buyers"
 */
export function nameSegment(features: readonly FeatureZ[], options: NameSegmentOptions = {}): string {
  const o = checkOptions(options);
  checkFeatures(features);
  const top = ranked(features, o.minAbsZ).slice(0, o.maxTerms);
  if (top.length === 0) return 'Typical customers';
  // features the vocabulary reads alike (spend and revenue both "spend") read by their own words, never "high spend, low spend"
  const known = top.map((f) => BY_KEY.get(snake(f.name)));
  const terms = top.map((f, q) => ({ f, vocab: known.indexOf(known[q]) === known.lastIndexOf(known[q]) ? known[q] : undefined, level: levelOf(f.z, o.strongZ) }));
  const noun = terms.find((t) => t.vocab?.noun)?.vocab?.noun ?? 'customers';
  const adjectives: string[] = [];
  const traits: string[] = [];
  for (const { f, vocab, level } of terms) {
    if (vocab?.adj && (!vocab.bound || vocab.noun === noun)) adjectives.push(vocab.adj[level]);
    // the name's own words stand isolated: an override or right-to-left text in it cannot reorder the words after it
    else traits.push((vocab?.trait ?? graded(isolate(featureWords(f.name))))[level]);
  }
  if (adjectives.length === 0) return capitalise(`${noun} with ${traits.join(', ')}`);
  const head = `${adjectives.join(', ')} ${noun}`;
  return capitalise(traits.length > 0 ? `${head}, ${traits.join(', ')}` : head);
}

/**
 * Names for every segment of one segmentation, all different. Segments whose names collide get one more feature
 * at a time (down to |z| >= 0.1, at most 5 terms); any still equal get " (2)", " (3)", ... in segment order.
 * Used by profileSegments; `profiles[i]` holds every feature's z for segment i (null for an empty segment).
 */
export function uniqueSegmentNames(profiles: readonly (readonly FeatureZ[] | null)[], options: NameSegmentOptions = {}): string[] {
  const o = checkOptions(options);
  if (!Array.isArray(profiles)) throw badOption('profiles', profiles, 'an array');
  const names = profiles.map((p) => (p === null ? 'Empty segment' : nameSegment(p, o)));
  const collisions = () => {
    const count = new Map<string, number>();
    for (const n of names) count.set(n, (count.get(n) ?? 0) + 1);
    return names.map((n) => (count.get(n) ?? 0) > 1);
  };
  const extendedMinZ = Math.min(0.1, o.minAbsZ);
  for (let terms = o.maxTerms + 1; terms <= Math.max(5, o.maxTerms); terms++) {
    const clash = collisions();
    if (!clash.some(Boolean)) break;
    profiles.forEach((p, i) => {
      if (clash[i] && p !== null) names[i] = nameSegment(p, { ...o, maxTerms: terms, minAbsZ: extendedMinZ });
    });
  }
  const used = new Set<string>();
  const seen = new Map<string, number>();
  const out = names.map((n) => {
    const c = (seen.get(n) ?? 0) + 1;
    seen.set(n, c);
    return c === 1 ? n : '';
  });
  out.forEach((n) => n && used.add(n));
  return out.map((n, i) => n || freshName(names[i], used));
}
