import { badOption } from '../util/errors.js';
import { checkOptions, orDefault } from '../util/options.js';
import { capitalise, featureWords, nameSegment, type FeatureZ } from './nameSegment.js';
import type { SegmentProfiles } from './profileSegments.js';
import { closeIsolates, isolate } from '../util/bidiText.js';

// Words that carry no meaning in a short label ("avg order value" reads as "order value").
const FILLER = new Set(['avg', 'average', 'mean', 'total', 'num', 'number', 'of', 'the', 'per', 'count', 'n', 'nb', 'sum', 'amt']);

/** The caller's label of a feature: its own keys only (a feature named "constructor" is no Object method). */
export function labelOf(labels: Readonly<Record<string, string>> | undefined, name: string): string | undefined {
  const v = labels && Object.hasOwn(labels, name) ? labels[name] : undefined;
  // a number or an empty label would be printed as "5" or as nothing
  if (v !== undefined && (typeof v != 'string' || !v)) throw badOption(`featureLabels.${name}`, v, 'a non-empty string');
  return v;
}

/** A feature's words in text: the caller's label, else the name read as words. */
export const featureLabel = (labels: Readonly<Record<string, string>> | undefined, name: string): string => labelOf(labels, name) ?? featureWords(name);

/**
 * Short labels for feature names, at most three words each and never two the same: filler words go first, then
 * trailing words; any two that would read the same keep their full words, so a label is never cut into ambiguity.
 */
export function shortLabels(names: readonly string[], labels: Readonly<Record<string, string>> = {}): string[] {
  if (!Array.isArray(names) || names.some((n) => typeof n != 'string')) throw badOption('names', names, 'an array of feature names');
  const given = names.map((n) => labelOf(labels, n));
  const full = names.map((n, j) => given[j] ?? featureWords(n));
  const short = full.map((w, j) => {
    if (given[j] !== undefined) return w;
    // a one-hot column's category is the data's text, whole: only the column's words are shortened
    const e = names[j].indexOf('=') > 0 ? w.indexOf('=') : w.length;
    const words = w.slice(0, e).split(' ');
    if (words.length <= 3) return w;
    const kept = words.filter((x) => !FILLER.has(x));
    return (kept.length > 0 ? kept : words).slice(0, 3).join(' ') + w.slice(e);
  });
  const count = new Map<string, number>();
  for (const s of short) count.set(s, (count.get(s) ?? 0) + 1);
  // full words that read the same too (total_spend, totalSpend): the column names
  return short.map((s, j) => ((count.get(s) ?? 0) > 1 ? (full.indexOf(full[j]) === full.lastIndexOf(full[j]) ? full[j] : names[j]) : s));
}

const wordList = (s: string) => s.split(/\s+/).filter(Boolean);
const words = (s: string) => wordList(s).length;
/** The first n words of s, closing the isolates of a label the cut ends inside (so no word after them is reordered). */
const cut = (s: string, n: number) => closeIsolates(wordList(s).slice(0, n).join(' '));

/** Refuses what is not profileSegments' result (a TypeError otherwise); names need sizes and z, descriptions means too. */
function checkProfiles(profiles: SegmentProfiles, means: boolean): void {
  // a segment without its size or z (or, to describe it, its means or the population's) read as a TypeError
  const segment = (s: SegmentProfiles['segments'][number]) => typeof s?.size == 'number' && Array.isArray(s.z) && (!means || Array.isArray(s.mean));
  if (!Array.isArray(profiles?.features) || (means && !Array.isArray(profiles.population?.mean)) || !Array.isArray(profiles.segments) || !profiles.segments.every(segment)) throw badOption('profiles', profiles, "profileSegments' result");
}

/** "High income, low spend": levels of the strongest features, within maxWords. */
function plainName(zs: readonly FeatureZ[], labels: ReadonlyMap<string, string>, terms: number, minAbsZ: number): string {
  const top = zs
    .map((f, i) => ({ f, i }))
    .filter(({ f }) => f.z !== 0 && Math.abs(f.z) >= minAbsZ)
    .sort((a, b) => Math.abs(b.f.z) - Math.abs(a.f.z) || a.i - b.i)
    .slice(0, terms);
  if (top.length === 0) return 'Typical customers';
  return capitalise(top.map(({ f }) => `${f.z >= 1 ? 'very high' : f.z > 0 ? 'high' : f.z <= -1 ? 'very low' : 'low'} ${isolate(labels.get(f.name)!)}`).join(', '));
}

export interface PersonaNameOptions {
  /** Words per name, at most, a number that tells equal names apart included (default 5; at least 2). */
  readonly maxWords?: number;
  /** Short labels for features, by feature name. */
  readonly featureLabels?: Readonly<Record<string, string>>;
}

/**
 * Short persona-style names for every segment ("Frequent, recent buyers", "High income, low spend"), at most
 * `maxWords` words and all different: the customer vocabulary of `nameSegment` when it fits, else the levels of
 * the two (or one) strongest features in short labels, the strongest alone cut to fit if nothing else does; names
 * still equal get " 2", " 3" in segment order, within maxWords too (a number that would give a name another
 * segment already has is skipped).
 */
export function personaNames(profiles: SegmentProfiles, options: PersonaNameOptions = {}): string[] {
  checkProfiles(profiles, false);
  checkOptions(options, ['maxWords', 'featureLabels'], 'personaNames');
  const maxWords = orDefault(options.maxWords, 5);
  // every name has two words at least ("Typical customers", "High income")
  if (!Number.isInteger(maxWords) || maxWords < 2) throw badOption('maxWords', maxWords, 'an integer >= 2');
  const labels = new Map(profiles.features.map((f, j) => [f, shortLabels(profiles.features, options.featureLabels)[j]]));
  const candidates = profiles.segments.map((s) => {
    if (s.size === 0) return ['Empty segment'];
    const zs = profiles.features.map((name, j) => ({ name, z: s.z[j] }));
    const out: string[] = [];
    for (const terms of [2, 1, 3]) {
      const vocab = nameSegment(zs, { maxTerms: terms });
      if (!vocab.startsWith('Customers with') && words(vocab) <= maxWords) out.push(vocab);
      const plain = plainName(zs, labels, terms, 0.25);
      if (words(plain) <= maxWords) out.push(plain);
    }
    // the last resort, cut to fit: a long label of the caller's, or "very" and a label of three words
    const one = plainName(zs, labels, 1, 0);
    out.push(words(one) > maxWords ? cut(capitalise(one.replace(/^Very /, '')), maxWords) : one);
    return [...new Set(out)];
  });
  // the first candidate of each, then later ones for names that clash
  const names = candidates.map((c) => c[0]);
  for (let round = 1; round < 6; round++) {
    const seen = new Map<string, number>();
    for (const n of names) seen.set(n, (seen.get(n) ?? 0) + 1);
    let changed = false;
    names.forEach((n, i) => {
      if ((seen.get(n) ?? 0) > 1 && candidates[i][round] && !names.includes(candidates[i][round])) {
        names[i] = candidates[i][round];
        changed = true;
      }
    });
    if (!changed) break;
  }
  // a number never makes a name another segment has ("High score 2" beside a feature score_2)
  const used = new Set(names);
  return names.map((n, i) => {
    if (names.indexOf(n) === i) return n;
    // the number is a word of the name: the name gives up its last word for it where there is no room
    const base = cut(n, maxWords - 1);
    let c = 2;
    while (used.has(`${base} ${c}`)) c++;
    used.add((n = `${base} ${c}`));
    return n;
  });
}

const fmt = (v: number): string => {
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a === 0) return '0';
  const [t, next] = a >= 10 ? [v.toFixed(1), 1000] : [v.toPrecision(2), 10];
  // a value rounding up into the next range takes that range's form: 999.96 is "1,000", 9.96 "10.0"
  return Math.abs(+t) >= next ? fmt(+t) : t;
};

/**
 * A segment described in plain words, strongest differences first: "Income far above average (72.1 against
 * 55.0 for all customers); spend below average (18.3 against 40.2)."
 */
export function describeSegment(profiles: SegmentProfiles, segment: number, options: { maxFeatures?: number; featureLabels?: Readonly<Record<string, string>>; /** Whom the profiles' population is (default "all customers"). */ population?: string } = {}): string {
  checkOptions(options, ['maxFeatures', 'featureLabels', 'population'], 'describeSegment');
  checkProfiles(profiles, true);
  const k = profiles.segments.length;
  if (!Number.isInteger(segment) || segment < 0 || segment >= k) throw badOption('segment', segment, `an integer from 0 to ${k - 1}`);
  const maxFeatures = orDefault(options.maxFeatures, 4);
  // 0 features would read "close to the average customer on every measure" whatever the segment
  if (!Number.isInteger(maxFeatures) || maxFeatures < 1) throw badOption('maxFeatures', maxFeatures, 'an integer >= 1');
  if (options.population !== undefined && typeof options.population !== 'string') throw badOption('population', options.population, 'text');
  const s = profiles.segments[segment];
  if (s.size === 0) return 'No customers.';
  const order = profiles.features.map((_, j) => j).filter((j) => Math.abs(s.z[j]) >= 0.25).sort((a, b) => Math.abs(s.z[b]) - Math.abs(s.z[a]) || a - b).slice(0, maxFeatures);
  if (order.length === 0) return 'Close to the average customer on every measure.';
  const parts = order.map((j, q) => {
    const z = s.z[j];
    const how = Math.abs(z) >= 1 ? 'far ' : Math.abs(z) < 0.5 ? 'slightly ' : '';
    const label = featureLabel(options.featureLabels, profiles.features[j]);
    const against = q === 0 ? ` for ${isolate(options.population ?? 'all customers')}` : '';
    const x = s.mean[j], y = profiles.population.mean[j];
    let a = fmt(x), b = fmt(y);
    // two means that round alike ("4.3 against 4.3") get the digits that tell them apart
    for (let p = 3; a === b && x !== y && p < 18; p++) (a = x.toPrecision(p)), (b = y.toPrecision(p));
    return `${isolate(q === 0 ? capitalise(label) : label)} ${how}${z > 0 ? 'above' : 'below'} average (${a} against ${b}${against})`;
  });
  return `${parts.join('; ')}.`;
}
