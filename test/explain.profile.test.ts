import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromRows, fromColumns } from '../src/data/dataset.js';
import { profileSegments } from '../src/explain/profileSegments.js';
import { nameSegment, uniqueSegmentNames, featureWords } from '../src/explain/nameSegment.js';
import { pca2 } from '../src/explain/pca2.js';
import { describeSegment, personaNames, shortLabels } from '../src/explain/personaName.js';
import { SegkitError } from '../src/util/errors.js';
import { rng, normal } from './helpers/reportFixture.js';

// Three hand-made segments; rows are interleaved so grouping by label is exercised.
const SEG = [
  [[5, 10, 500], [7, 12, 650], [3, 9, 480], [6, 11, 700]],
  [[200, 1, 20], [180, 2, 35], [220, 1, 15]],
  [[60, 4, 120], [90, 3, 100], [75, 5, 150], [70, 4, 90], [65, 6, 200]],
];
const ORDER = [0, 1, 2, 2, 0, 1, 2, 0, 2, 1, 0, 2];
function handMade() {
  const next = [0, 0, 0];
  const rows = ORDER.map((g) => SEG[g][next[g]++]);
  return { rows, labels: Int32Array.from(ORDER), data: fromRows(rows, { names: ['recency', 'frequency', 'monetary'] }) };
}

// Independent reference: plain arrays, Array.prototype.sort, population std with ddof 0.
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};
const std = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
};

describe('profileSegments', () => {
  it('matches an independent computation of sizes, means, medians and z', () => {
    const { rows, labels, data } = handMade();
    const p = profileSegments(data, labels, 3);
    expect(p.population.n).toBe(12);
    for (let j = 0; j < 3; j++) {
      const col = rows.map((r) => r[j]);
      expect(p.population.mean[j]).toBeCloseTo(mean(col), 10);
      expect(p.population.std[j]).toBeCloseTo(std(col), 10);
    }
    expect(p.segments).toHaveLength(3);
    p.segments.forEach((s, c) => {
      const own = SEG[c];
      expect(s.id).toBe(c);
      expect(s.size).toBe(own.length);
      expect(s.share).toBeCloseTo(own.length / 12, 12);
      for (let j = 0; j < 3; j++) {
        const col = own.map((r) => r[j]);
        expect(s.mean[j]).toBeCloseTo(mean(col), 10);
        expect(s.median[j]).toBe(median(col));
        const all = rows.map((r) => r[j]);
        expect(s.z[j]).toBeCloseTo((mean(col) - mean(all)) / std(all), 10);
      }
    });
    // A few values worked by hand: even-size median is the midpoint, odd-size the middle value.
    expect(p.segments[0].median[0]).toBe(5.5);
    expect(p.segments[0].mean[2]).toBe(582.5);
    expect(p.segments[1].median[1]).toBe(1);
    expect(p.segments[2].median[2]).toBe(120);
  });

  it('picks top features by |z| with a 0.25 floor and at most three', () => {
    const { rows, labels, data } = handMade();
    const p = profileSegments(data, labels, 3);
    const names = ['recency', 'frequency', 'monetary'];
    expect(p.segments).toHaveLength(3);
    p.segments.forEach((s, c) => {
      const expected = names
        .map((name, j) => {
          const all = rows.map((r) => r[j]);
          return { name, z: (mean(SEG[c].map((r) => r[j])) - mean(all)) / std(all) };
        })
        .filter((f) => Math.abs(f.z) >= 0.25)
        .sort((a, b) => Math.abs(b.z) - Math.abs(a.z))
        .slice(0, 3);
      expect(s.topFeatures.map((f) => f.name)).toEqual(expected.map((f) => f.name));
      s.topFeatures.forEach((f, i) => {
        expect(f.z).toBeCloseTo(expected[i].z, 10);
        expect(f.direction).toBe(expected[i].z > 0 ? 'high' : 'low');
      });
    });
    // Segment 2's recency z is -0.13 (numpy), under the floor.
    expect(p.segments[2].topFeatures.map((f) => f.name)).toEqual(['monetary', 'frequency']);
  });

  it('names the segments from the customer vocabulary', () => {
    const { labels, data } = handMade();
    const names = profileSegments(data, labels, 3).segments.map((s) => s.name);
    // z from numpy: [-1.02, 1.29, 1.35], [1.58, -1.16, -0.95], [-0.13, -0.34, -0.51] (recency, frequency, monetary).
    expect(names).toEqual(['Very high spend, very frequent, very recent buyers', 'Long-lapsed, rare, low spend buyers', 'Low spend, infrequent buyers']);
  });

  it('gives the same profile whatever ids the segments carry', () => {
    const { labels, data } = handMade();
    const perm = [2, 0, 1];
    const a = profileSegments(data, labels, 3);
    const b = profileSegments(data, labels.map((l) => perm[l]), 3);
    expect(a.segments).toHaveLength(3);
    expect(b.segments).toHaveLength(3);
    a.segments.forEach((s, c) => {
      const t = b.segments[perm[c]];
      expect(t.size).toBe(s.size);
      expect(t.median).toEqual(s.median);
      expect(t.z).toEqual(s.z);
      expect(t.name).toBe(s.name);
    });
  });

  it('computes exact medians on larger segments, ties and even sizes included', () => {
    const rand = rng(5);
    const n = 4001;
    const k = 3;
    const cont = Float32Array.from({ length: n }, () => normal(rand) * 100);
    const ties = Float32Array.from({ length: n }, () => Math.floor(rand() * 7));
    // Sizes 1334, 1334 and 1333: both parities, and past the 600 where selection starts sampling its pivot.
    const labels = Int32Array.from({ length: n }, (_, i) => i % k);
    const p = profileSegments(fromColumns({ columns: [cont, ties], names: ['a', 'b'] }), labels, k);
    expect(p.segments).toHaveLength(k);
    for (let c = 0; c < k; c++) {
      const idx = [...labels.keys()].filter((i) => labels[i] === c);
      expect(p.segments[c].size).toBe(idx.length);
      // Float32Array.sort is numeric; the midpoint of two float32 values is taken in float64 as numpy does.
      for (const [j, col] of [cont, ties].entries()) {
        const s = Float32Array.from(idx.map((i) => col[i])).sort();
        const h = s.length >> 1;
        expect(p.segments[c].median[j]).toBe(s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2);
      }
    }
    expect(p.segments.map((s) => s.size).some((m) => m % 2 === 0)).toBe(true);
    expect(p.segments.map((s) => s.size).some((m) => m % 2 === 1)).toBe(true);
  });

  it('summarises RFM labels per segment', () => {
    const { labels, data } = handMade();
    const rfm = ORDER.map((g, i) => (g === 0 ? 'Champions' : i % 2 ? 'At risk' : '__proto__'));
    const p = profileSegments(data, labels, 3, { rfmSegments: rfm });
    expect(p.segments[0].rfmMix).toEqual({ Champions: 1 });
    expect(p.segments).toHaveLength(3);
    p.segments.forEach((s, c) => {
      const own = rfm.filter((_, i) => ORDER[i] === c);
      const mix = s.rfmMix!;
      expect(Object.values(mix).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      for (const label of new Set(own)) expect(Object.prototype.hasOwnProperty.call(mix, label) && mix[label]).toBeCloseTo(own.filter((l) => l === label).length / own.length, 12);
      const shares = Object.values(mix);
      expect(shares).toEqual([...shares].sort((x, y) => y - x));
    });
    expect(profileSegments(data, labels, 3).segments[0].rfmMix).toBeUndefined();
  });

  it('keeps empty segments and constant columns finite where they can be', () => {
    const data = fromRows([[1, 5], [2, 5], [3, 5], [10, 5]], { names: ['spend', 'flat'] });
    const p = profileSegments(data, Int32Array.from([0, 0, 0, 1]), 3);
    expect(p.segments[2].size).toBe(0);
    expect(p.segments[2].share).toBe(0);
    expect(p.segments[2].mean).toHaveLength(2);
    expect(p.segments[2].mean.every(Number.isNaN)).toBe(true);
    expect(p.segments[2].z).toEqual([0, 0]);
    expect(p.segments[2].topFeatures).toEqual([]);
    expect(p.segments[2].name).toBe('Empty segment');
    // A constant column has std 0: z is 0, not NaN.
    expect(p.population.std[1]).toBe(0);
    expect(p.segments.map((s) => s.z[1])).toEqual([0, 0, 0]);
  });

  it('a constant float64 column (0.1 everywhere, summed with rounding) has std 0 and sets no segment apart', () => {
    const n = 1000;
    const spend = Float64Array.from({ length: n }, (_, i) => (i < 300 ? 1 : 0) + i * 1e-3);
    const flat = new Float64Array(n).fill(0.1);
    const labels = Int32Array.from({ length: n }, (_, i) => (i < 300 ? 0 : 1));
    const p = profileSegments({ n, d: 2, columns: [spend, flat], names: ['spend', 'flat'] }, labels, 2);
    expect(p.population.std[1]).toBe(0);
    expect(p.segments.map((s) => s.z[1])).toEqual([0, 0]);
    expect(p.segments.map((s) => s.topFeatures.map((f) => f.name))).toEqual([['spend'], ['spend']]);
    expect(p.segments.map((s) => s.name).join(' ')).not.toContain('flat');
  });

  it('float64 columns beside a column that is no array: refused naming that column, not a TypeError', () => {
    const labels = Int32Array.of(0, 1, 1);
    for (const bad of [null, undefined, 5]) {
      expect(() => profileSegments({ columns: [Float64Array.of(1, 2, 3), bad as never], names: ['spend', 'visits'] } as never, labels, 2))
        .toThrow(expect.objectContaining({ name: 'SegkitError', code: 'E_NON_NUMERIC', message: expect.stringContaining('column "visits"') }));
    }
    // arrays of numbers beside a Float64Array are profiled in float64 as before
    const p = profileSegments({ columns: [Float64Array.of(1, 2, 3), [4, 6, 8]], names: ['spend', 'visits'] } as never, labels, 2);
    expect(p.segments[1].mean).toEqual([2.5, 7]);
  });

  it('feature labels come from the caller\'s own keys: features named like Object methods keep their words', () => {
    const n = 400;
    const spend = Float64Array.from({ length: n }, (_, i) => (i < 200 ? 10 : 0) + (i % 7));
    const ctor = Float64Array.from({ length: n }, (_, i) => (i < 200 ? 0 : 5) + (i % 3));
    const labels = Int32Array.from({ length: n }, (_, i) => (i < 200 ? 0 : 1));
    const p = profileSegments({ n, d: 3, columns: [spend, ctor, ctor], names: ['spend', 'constructor', 'toString'] }, labels, 2);
    const given = { spend: 'money spent' };
    expect(shortLabels(p.features, given)).toEqual(['money spent', featureWords('constructor'), featureWords('toString')]);
    const text = describeSegment(p, 1, { featureLabels: given });
    expect(text).toBe('Constructor above average (6.0 against 3.5 for all customers); to string above average (6.0 against 3.5); money spent below average (3.0 against 8.0).');
    expect(personaNames(p, { featureLabels: given }).join(' ')).not.toContain('function');
  });

  it('a feature label that is not a non-empty string is refused naming the feature, not printed as "5" or as nothing', () => {
    const n = 400;
    const spend = Float64Array.from({ length: n }, (_, i) => (i < 200 ? 10 : 0) + (i % 7));
    const visits = Float64Array.from({ length: n }, (_, i) => (i < 200 ? 0 : 5) + (i % 3));
    const labels = Int32Array.from({ length: n }, (_, i) => (i < 200 ? 0 : 1));
    const p = profileSegments({ n, d: 2, columns: [spend, visits], names: ['spend', 'visits'] }, labels, 2);
    // a label that is text is used as given; one left undefined falls back to the feature's words
    expect(describeSegment(p, 0, { featureLabels: { spend: 'money spent', visits: undefined as unknown as string } }))
      .toBe('Visits below average (0.99 against 3.5 for all customers); money spent above average (13.0 against 8.0).');
    for (const bad of [5, '', null, ['money']]) {
      const featureLabels = { spend: bad } as unknown as Record<string, string>;
      for (const run of [() => shortLabels(p.features, featureLabels), () => describeSegment(p, 0, { featureLabels }), () => personaNames(p, { featureLabels })]) {
        let error: unknown;
        try {
          run();
        } catch (e) {
          error = e;
        }
        expect(error, JSON.stringify(bad)).toBeInstanceOf(SegkitError);
        expect((error as SegkitError).code).toBe('E_BAD_OPTION');
        expect((error as SegkitError).message).toContain('option "featureLabels.spend" must be a non-empty string');
      }
    }
  });

  it('does not modify the caller data', () => {
    const { labels, data } = handMade();
    const cols = data.columns.map((c) => c.slice());
    const lab = labels.slice();
    profileSegments(data, labels, 3);
    data.columns.forEach((c, j) => expect(c).toEqual(cols[j]));
    expect(labels).toEqual(lab);
  });

  it('rejects bad input naming the row or option', () => {
    const { labels, data } = handMade();
    expect(() => profileSegments(data, labels.subarray(1), 3)).toThrow(expect.objectContaining({ code: 'E_SHAPE_MISMATCH' }));
    const bad = labels.slice();
    bad[4] = 3;
    expect(() => profileSegments(data, bad, 3)).toThrow(expect.objectContaining({ code: 'E_BAD_LABELS', message: expect.stringContaining('row 4') }));
    expect(() => profileSegments(data, labels, 2.5)).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining('"k"') }));
    expect(() => profileSegments(data, labels, 3, { rfmSegments: ['a'] })).toThrow(expect.objectContaining({ code: 'E_SHAPE_MISMATCH' }));
    const rfm: unknown[] = ORDER.map(() => 'x');
    rfm[6] = 7;
    expect(() => profileSegments(data, labels, 3, { rfmSegments: rfm as string[] })).toThrow(expect.objectContaining({ message: expect.stringContaining('row 6') }));
    expect(() => profileSegments(data, labels, 3, { minAbsZ: -1 })).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining('"minAbsZ"') }));
    // an option it does not know is refused, naming the one meant, rather than profiled as if absent
    expect(() => profileSegments(data, labels, 3, { maxTopFeature: 1 } as never)).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining('unknown option "maxTopFeature"; did you mean "maxTopFeatures"?') }));
    expect(() => profileSegments(data, labels, 3, { min_abs_z: 1 } as never)).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining('did you mean "minAbsZ"?') }));
  });
});

describe('personaNames and describeSegment', () => {
  // segments 1 and 2 sit exactly at the population mean on every feature (z = 0), and so read alike
  const exactlyAverage = () => profileSegments(
    fromRows([[4, 1], [6, 3], [3, 5], [7, 5], [2, 4], [8, 6], [4, 7], [6, 9]], { names: ['income', 'visits'] }),
    Int32Array.from([0, 0, 1, 1, 2, 2, 3, 3]), 4,
  );

  it('never names a segment high or low on a feature it sits exactly average on', () => {
    const p = exactlyAverage();
    const sd = Math.sqrt(5.25);
    expect(p.population.std[1]).toBe(sd);
    expect(p.segments.map((s) => s.z)).toEqual([[0, -3 / sd], [0, 0], [0, 0], [0, 3 / sd]]);
    expect(personaNames(p)).toEqual(['Very low visits', 'Typical customers', 'Typical customers 2', 'Very high visits']);
  });

  it('refuses what is not feature names, or no data, naming it rather than failing with a TypeError', () => {
    for (const names of [null, undefined, 'income', [5]]) {
      expect(() => shortLabels(names as never)).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining('option "names" must be an array of feature names, got ') }));
    }
    expect(shortLabels(['avg_total_order_value_eur', 'spend'])).toEqual(['order value eur', 'spend']);
    expect(() => profileSegments(null as never, Int32Array.of(0), 1)).toThrow(expect.objectContaining({ code: 'E_EMPTY_DATA' }));
  });

  it('numbers names that read alike past the names other segments already have', () => {
    // segments 0 and 1 are alike (very high score, score_2 exactly average); segment 2 is very high on score_2
    const rows = [[1, 0], [1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [-1, -0.5], [-1, -0.5], [-1, -0.5], [-1, -0.5]];
    const p = profileSegments(fromRows(rows, { names: ['score', 'score_2'] }), Int32Array.from([0, 0, 1, 1, 2, 2, 3, 3, 3, 3]), 4);
    expect(p.segments.map((s) => s.z[1])).toEqual([0, 0, 1 / Math.sqrt(0.3), -0.5 / Math.sqrt(0.3)]);
    // "Very high score 2" is segment 2's own name (score_2): segment 1 is not given it as a number
    const names = personaNames(p);
    expect(names).toEqual(['Very high score', 'Very high score 3', 'Very high score 2', 'Very low score']);
    expect(new Set(names).size).toBe(4);
  });

  it('keeps every name within maxWords: a long label of the caller\'s is cut, a number takes the last word\'s place', () => {
    const within = (names: string[], max: number) => names.forEach((n) => expect(n.split(' ').length, n).toBeLessThanOrEqual(max));
    // one feature, z = -1 and +1; its label alone is five words
    const a = profileSegments(fromRows([[1], [1], [9], [9]], { names: ['grocery'] }), Int32Array.from([0, 0, 1, 1]), 2);
    expect(a.segments.map((s) => s.z)).toEqual([[-1], [1]]);
    const featureLabels = { grocery: 'monthly grocery spend in euros' };
    // "Very high monthly grocery spend in euros" (7 words) before
    expect(personaNames(a, { featureLabels })).toEqual(['Low monthly grocery spend in', 'High monthly grocery spend in']);
    expect(personaNames(a, { featureLabels, maxWords: 3 })).toEqual(['Low monthly grocery', 'High monthly grocery']);
    expect(personaNames(a, { maxWords: 2 })).toEqual(['Low grocery', 'High grocery']);
    // segments 0 and 1 alike, on a feature whose short label is three words: "Very high order value eur 2" (6) before
    const b = profileSegments(fromRows([[10], [10], [10], [10], [0], [0], [0], [0]], { names: ['avg_total_order_value_eur'] }), Int32Array.from([0, 0, 1, 1, 2, 2, 2, 2]), 3);
    expect(b.segments.map((s) => s.z)).toEqual([[1], [1], [-1]]);
    const named = personaNames(b);
    expect(named).toEqual(['Very high order value eur', 'Very high order value 2', 'Very low order value eur']);
    within(named, 5);
    expect(personaNames(b, { maxWords: 2 })).toEqual(['High order', 'High 2', 'Low order']);
    for (const max of [2, 3, 4, 5, 6]) {
      within(personaNames(a, { featureLabels, maxWords: max }), max);
      within(personaNames(b, { maxWords: max }), max);
      within(personaNames(exactlyAverage(), { maxWords: max }), max);
    }
  });

  it('gives two means that round alike the digits that tell them apart', () => {
    // ratings 4.3 and 4.2 (population 4.25), spend 55.02 and 54.98 (population 55.00): "4.3 against 4.3" before
    const rows = [...Array.from({ length: 4 }, () => [4.3, 55.02]), ...Array.from({ length: 4 }, () => [4.2, 54.98])];
    const p = profileSegments(fromRows(rows, { names: ['rating', 'spend'] }), Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]), 2);
    expect(describeSegment(p, 0)).toBe('Rating far above average (4.30 against 4.25 for all customers); spend far above average (55.02 against 55.00).');
    expect(describeSegment(p, 1)).toBe('Rating far below average (4.2 against 4.3 for all customers); spend far below average (54.98 against 55.00).');
  });

  it('writes a mean that rounds up to a thousand in the thousands\' form, "1,000", never "1000.0"', () => {
    const rows = [[999.96], [999.96], [0.04], [0.04]];
    const p = profileSegments(fromRows(rows, { names: ['spend'] }), Int32Array.from([0, 0, 1, 1]), 2);
    expect(describeSegment(p, 0)).toBe('Spend far above average (1,000 against 500.0 for all customers).');
    // 9.96 read "10" beside a population's "10.0", so the two never got the digits that tell them apart
    const q = profileSegments(fromRows([[9.96], [9.96], [10.12], [10.12]], { names: ['spend'] }), Int32Array.from([0, 0, 1, 1]), 2);
    expect(describeSegment(q, 0)).toBe('Spend far below average (9.96 against 10.0 for all customers).');
  });

  it('refuses a segment the profiles do not hold, and options it does not know or cannot use', () => {
    const p = exactlyAverage();
    expect(describeSegment(p, 3, { maxFeatures: 1 })).toBe('Visits far above average (8.0 against 5.0 for all customers).');
    const refused = (run: () => unknown, option: string) => {
      let error: unknown;
      try {
        run();
      } catch (e) {
        error = e;
      }
      expect(error, option).toBeInstanceOf(SegkitError);
      expect((error as SegkitError).code).toBe('E_BAD_OPTION');
      expect((error as SegkitError).message).toContain(`"${option}"`);
    };
    // 0 features said "Close to the average customer on every measure." of a segment far above it
    refused(() => describeSegment(p, 3, { maxFeatures: 0 }), 'maxFeatures');
    refused(() => describeSegment(p, 3, { maxFeatures: '2' as never }), 'maxFeatures');
    refused(() => describeSegment(p, 4), 'segment');
    refused(() => describeSegment(p, -1), 'segment');
    refused(() => describeSegment(p, 0, { maxFeature: 2 } as never), 'maxFeature');
    refused(() => personaNames(p, { maxWords: '3' as never }), 'maxWords');
    refused(() => personaNames(p, { maxWords: 0 }), 'maxWords');
    // every name has two words at least ("Typical customers"): one word was a promise no name kept
    refused(() => personaNames(p, { maxWords: 1 }), 'maxWords');
    refused(() => personaNames(p, { featureLabel: { visits: 'trips' } } as never), 'featureLabel');
    // what is not profileSegments' result: a TypeError before
    const population = { n: 3, mean: [1], std: [1] };
    // a segment without its size, z or means, or profiles without the population's means, were TypeErrors too
    for (const bad of [undefined, {}, { features: ['a'] }, { features: ['a'], population, segments: [{}] }, { features: ['a'], population, segments: [null] },
      { features: ['a'], population, segments: [{ size: 3, mean: [2] }] }]) {
      expect(() => personaNames(bad as never)).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining('option "profiles" must be profileSegments\' result') }));
      expect(() => describeSegment(bad as never, 0)).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining('option "profiles" must be profileSegments\' result') }));
    }
    // names read sizes and z alone (a hand-made profile of those names its segments); a description needs the means
    const noMeans = { features: ['a'], segments: [{ size: 3, z: [1.5] }, { size: 3, z: [-1.5] }] };
    expect(personaNames(noMeans as never)).toEqual(['Very high a', 'Very low a']);
    for (const bad of [noMeans, { features: ['a'], segments: [{ size: 3, z: [1], mean: [2] }] }]) {
      expect(() => describeSegment(bad as never, 0)).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining('option "profiles" must be profileSegments\' result') }));
    }
  });
});

describe('nameSegment', () => {
  it('reads RFM, engagement and unknown features', () => {
    expect(nameSegment([{ name: 'monetary', z: 0.8 }, { name: 'frequency', z: 0.6 }, { name: 'recency', z: -0.5 }])).toBe('High spend, frequent, recent buyers');
    expect(nameSegment([{ name: 'sessions', z: 0.6 }, { name: 'videos_viewed', z: 0.9 }])).toBe('Heavy video watchers, many sessions');
    expect(nameSegment([{ name: 'recency', z: 1.3 }, { name: 'page_views', z: -0.4 }])).toBe('Long-lapsed buyers, few page views');
    expect(nameSegment([{ name: 'avg_basket_size', z: 0.5 }])).toBe('Customers with high avg basket size');
    expect(nameSegment([{ name: 'avgBasketSize', z: -1.5 }])).toBe('Customers with very low avg basket size');
    expect(nameSegment([{ name: 'Days Since Last Purchase', z: -0.3 }])).toBe('Recent buyers');
    expect(nameSegment([{ name: 'discount_rate', z: 0.7 }, { name: 'tenure', z: -1.1 }])).toBe('New, deal-seeking customers');
  });

  it('reads features the vocabulary reads alike (spend and revenue) by their own words, never "high spend, low spend"', () => {
    // "Very high spend, low spend, recent buyers" and "Very frequent, frequent buyers" before
    expect(nameSegment([{ name: 'spend', z: 1.2 }, { name: 'total_revenue', z: -0.6 }, { name: 'recency', z: -0.5 }])).toBe('Recent buyers, very high spend, low total revenue');
    expect(nameSegment([{ name: 'orders', z: 1.2 }, { name: 'transactions', z: 0.6 }])).toBe('Customers with very high orders, high transactions');
    // segment 1 spends little and brings much revenue: it was named "Very high spend, infrequent, very low spend buyers"
    const p = profileSegments(fromRows([[10, 0, 1], [11, 1, 2], [0, 10, 1], [1, 11, 2], [5, 5, 9]], { names: ['spend', 'revenue', 'orders'] }), Int32Array.from([0, 0, 1, 1, 2]), 3);
    expect(p.segments.map((s) => s.name)).toEqual(['Infrequent buyers, very high spend, very low revenue', 'Infrequent buyers, very high revenue, very low spend', 'Very frequent buyers']);
  });

  it('keeps "heavy" with its own noun only', () => {
    // The strongest feature brings "buyers", so videos read as a trait, not "heavy buyers".
    expect(nameSegment([{ name: 'recency', z: -1.2 }, { name: 'videos_viewed', z: 0.5 }])).toBe('Very recent buyers, heavy viewing');
  });

  it('drops weak features, caps the terms and breaks ties by input order', () => {
    expect(nameSegment([{ name: 'a', z: 0.1 }, { name: 'b', z: -0.2 }])).toBe('Typical customers');
    expect(nameSegment([])).toBe('Typical customers');
    expect(nameSegment([{ name: 'a', z: 0.5 }, { name: 'b', z: -0.5 }, { name: 'c', z: 0.9 }, { name: 'd', z: 0.4 }])).toBe('Customers with high c, high a, low b');
    expect(nameSegment([{ name: 'a', z: 2 }, { name: 'b', z: 1 }], { maxTerms: 1 })).toBe('Customers with very high a');
    expect(nameSegment([{ name: 'a', z: Number.NaN }])).toBe('Typical customers');
  });

  it('never calls a feature the segment sits exactly average on (z = 0) high or low, even with minAbsZ 0', () => {
    expect(nameSegment([{ name: 'recency', z: -0.8 }, { name: 'spend', z: 0 }], { minAbsZ: 0 })).toBe('Recent buyers');
    expect(nameSegment([{ name: 'spend', z: 0 }, { name: 'sessions', z: -0 }], { minAbsZ: 0 })).toBe('Typical customers');
    // a constant column (std 0, so z 0 in every segment) named in a profile asked for every feature
    const data = fromRows([[1, 5], [2, 5], [3, 5], [4, 5], [5, 5], [6, 5]], { names: ['recency', 'spend'] });
    const p = profileSegments(data, Int32Array.from([0, 0, 0, 1, 1, 1]), 2, { minAbsZ: 0 });
    expect(p.segments.map((s) => s.z[1])).toEqual([0, 0]);
    expect(p.segments.map((s) => s.name)).toEqual(['Recent buyers', 'Lapsed buyers']);
  });

  it('is deterministic', () => {
    const f = [{ name: 'monetary', z: 1.1 }, { name: 'sessions', z: -0.3 }];
    expect(nameSegment(f)).toBe(nameSegment([...f]));
    expect(nameSegment(f)).toBe('Very high spend buyers, few sessions');
  });

  it('keeps a one-hot column\'s category as the data writes it, in words, short labels, names and descriptions', () => {
    // the category was read as words too: "device=i phone", "country=u s", "tier=a 1", "plan=pro plus"
    expect(featureWords('device=iPhone')).toBe('device=iPhone');
    expect(featureWords('country=U.S.')).toBe('country=U.S.');
    expect(featureWords('tier=A-1')).toBe('tier=A-1');
    expect(featureWords('city=MÜNCHEN')).toBe('city=MÜNCHEN');
    expect(featureWords('planType=Pro_Plus')).toBe('plan type=Pro_Plus');
    // only the column's words are shortened (the category was cut to "Very High")
    expect(shortLabels(['avg_order_value_bucket=Very High Spend', 'plan=pro plus', 'plan=Pro Plus'])).toEqual(['order value bucket=Very High Spend', 'plan=pro plus', 'plan=Pro Plus']);
    const rows = [[10, 1, 0], [11, 1, 0], [9, 1, 0], [10, 0, 1], [12, 0, 1], [11, 0, 1]];
    const p = profileSegments(fromRows(rows, { names: ['spend', 'device=iPhone', 'country=U.S.'] }), Int32Array.from([0, 0, 0, 1, 1, 1]), 2);
    const names = personaNames(p);
    expect(names).toEqual(['Very high device=iPhone', 'Very low device=iPhone']);
    expect(describeSegment(p, 1)).toContain('country=U.S.');
  });

  it('turns snake, camel and kebab case into words', () => {
    expect(featureWords('page_views')).toBe('page views');
    expect(featureWords('pageViews')).toBe('page views');
    expect(featureWords('page-views')).toBe('page views');
    expect(featureWords('___')).toBe('___');
  });

  it('rejects bad options', () => {
    expect(() => nameSegment([], { maxTerms: 0 })).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining('"maxTerms"') }));
    expect(() => nameSegment([], { strongZ: 0 })).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION' }));
    // features that are not { name, z }: a z of "1" was left out unread ("Typical customers"), the others threw TypeErrors
    for (const [features, what] of [
      [[{ name: 'spend', z: '1' }], 'option "features[0]" must be { name: text, z: number }, got "1"'],
      [[{ name: 'spend', z: 1 }, null], 'option "features[1]" must be { name: text, z: number }, got null'],
      [[{ name: 5, z: 1 }], 'option "features[0]" must be { name: text, z: number }, got 5'],
      ['spend', 'option "features" must be an array of { name, z }, got "spend"'],
    ] as const) {
      expect(() => nameSegment(features as never)).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining(what) }));
    }
    expect(() => uniqueSegmentNames('x' as never)).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining('option "profiles" must be an array') }));
    expect(() => nameSegment([{ name: 'a', z: 0.3 }], { minAbsZ: 0.5, maxTerm: 1 } as never)).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining('unknown option "maxTerm"; did you mean "maxTerms"?') }));
  });
});

describe('uniqueSegmentNames', () => {
  it('adds the next feature, then a counter, to names that collide', () => {
    const names = uniqueSegmentNames([
      [{ name: 'a', z: 1 }, { name: 'b', z: 0.15 }],
      [{ name: 'a', z: 1 }, { name: 'b', z: -0.15 }],
      [{ name: 'a', z: 1 }, { name: 'b', z: 0.15 }],
      [{ name: 'monetary', z: 0.5 }],
      null,
      null,
    ]);
    expect(names).toEqual([
      'Customers with very high a, high b',
      'Customers with very high a, low b',
      'Customers with very high a, high b (2)',
      'High spend buyers',
      'Empty segment',
      'Empty segment (2)',
    ]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives unique names in a real segmentation with two look-alike segments', () => {
    const rand = rng(9);
    const rows: number[][] = [];
    const labels: number[] = [];
    // Segments 1 and 2 come from the same distribution, so their base names agree.
    const centres = [[0, 0, 5], [4, 0, 0], [4, 0, 0]];
    centres.forEach((c, g) => {
      for (let i = 0; i < 40; i++) {
        rows.push(c.map((v) => v + normal(rand)));
        labels.push(g);
      }
    });
    const data = fromRows(rows, { names: ['monetary', 'sessions', 'recency'] });
    const segments = profileSegments(data, Int32Array.from(labels), 3).segments;
    const a = segments.map((s) => s.name);
    const b = profileSegments(data, Int32Array.from(labels), 3).segments.map((s) => s.name);
    expect(new Set(a).size).toBe(3);
    expect(a).toEqual(b);
    // Both look-alikes keep their base name (high monetary, low recency) and only gain a distinguishing tail.
    const base = nameSegment(segments[1].topFeatures);
    expect(base).toBe(nameSegment(segments[2].topFeatures));
    expect(base).toBe('Recent, high spend buyers');
    expect(a[1].startsWith(base.replace(/ buyers$/, ''))).toBe(true);
    expect(a[2].startsWith(base.replace(/ buyers$/, ''))).toBe(true);
  });
});

describe('pca2', () => {
  // Points on the axes with variances 18/3 and 2/3 (ddof 1), rotated by theta: the axes are the rotated unit vectors.
  function rotated(theta: number) {
    const c = Math.cos(theta);
    const s = Math.sin(theta);
    const base = [[3, 0], [-3, 0], [0, 1], [0, -1]];
    return fromRows(base.map(([x, y]) => [c * x - s * y, s * x + c * y]));
  }

  it('recovers a known 2-D rotation', () => {
    const t = Math.PI / 6;
    const p = pca2(rotated(t), { standardize: false });
    const tol = 5;
    expect(p.components[0][0]).toBeCloseTo(Math.cos(t), tol);
    expect(p.components[0][1]).toBeCloseTo(Math.sin(t), tol);
    expect(p.components[1][0]).toBeCloseTo(-Math.sin(t), tol);
    expect(p.components[1][1]).toBeCloseTo(Math.cos(t), tol);
    expect(p.explainedVariance[0]).toBeCloseTo(6, tol);
    expect(p.explainedVariance[1]).toBeCloseTo(2 / 3, tol);
    expect(p.explainedVarianceRatio[0]).toBeCloseTo(0.9, tol);
    expect(p.explainedVarianceRatio[1]).toBeCloseTo(0.1, tol);
    // Projections undo the rotation.
    const expected = [[3, 0], [-3, 0], [0, 1], [0, -1]];
    expect(p.x).toHaveLength(expected.length);
    expect(p.y).toHaveLength(expected.length);
    expected.forEach(([x, y], i) => {
      expect(p.x[i]).toBeCloseTo(x, tol);
      expect(p.y[i]).toBeCloseTo(y, tol);
    });
  });

  it('makes the largest loading of each axis positive', () => {
    const t = (2 * Math.PI) / 3;
    const p = pca2(rotated(t), { standardize: false });
    // (cos 120, sin 120) = (-0.5, 0.87) keeps its sign; the second axis (-0.87, -0.5) is flipped.
    expect(p.components[0][0]).toBeCloseTo(-0.5, 5);
    expect(p.components[0][1]).toBeCloseTo(Math.sqrt(3) / 2, 5);
    expect(p.components[1][0]).toBeCloseTo(Math.sqrt(3) / 2, 5);
    expect(p.components[1][1]).toBeCloseTo(0.5, 5);
  });

  it('samples rows with a seed and projects them as the full projection does', () => {
    const rand = rng(3);
    const rows = Array.from({ length: 300 }, () => [normal(rand), normal(rand) * 2, normal(rand) + 1]);
    const data = fromRows(rows);
    const full = pca2(data, { maxPoints: 1000 });
    expect(Array.from(full.rows)).toEqual([...Array(300).keys()]);
    const a = pca2(data, { maxPoints: 50, seed: 11 });
    const b = pca2(data, { maxPoints: 50, seed: 11 });
    const c = pca2(data, { maxPoints: 50, seed: 12 });
    expect(a.rows).toHaveLength(50);
    expect(Array.from(a.rows)).toEqual(Array.from(b.rows));
    expect(Array.from(a.rows)).not.toEqual(Array.from(c.rows));
    for (let t = 1; t < 50; t++) expect(a.rows[t]).toBeGreaterThan(a.rows[t - 1]);
    expect(a.x).toHaveLength(50);
    expect(a.y).toHaveLength(50);
    a.rows.forEach((r, t) => {
      expect(a.x[t]).toBe(full.x[r]);
      expect(a.y[t]).toBe(full.y[r]);
    });
    expect(a.components).toEqual(full.components);
  });

  it('handles one feature and constant features', () => {
    const one = pca2(fromRows([[1], [2], [4]]));
    expect(one.components[0]).toEqual([1]);
    expect(one.components[1]).toEqual([0]);
    expect(one.explainedVarianceRatio).toEqual([1, 0]);
    expect(Array.from(one.y)).toEqual([0, 0, 0]);
    const flat = pca2(fromRows([[1, 7], [2, 7], [4, 7]]));
    expect(flat.scale[1]).toBe(1);
    expect(flat.x).toHaveLength(3);
    expect(flat.y).toHaveLength(3);
    expect([...flat.x, ...flat.y].every(Number.isFinite)).toBe(true);
    expect(flat.explainedVarianceRatio[0]).toBeCloseTo(1, 12);
  });

  it('rejects bad options', () => {
    const data = rotated(0.3);
    expect(() => pca2(data, { maxPoints: 0 })).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining('"maxPoints"') }));
    expect(() => pca2(data, { seed: 0.5 })).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining('"seed"') }));
    expect(() => pca2(data, { standardize: 'yes' as never })).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION' }));
    // the British spelling was read as no option at all, and the features standardised regardless
    expect(() => pca2(data, { standardise: false } as never)).toThrow(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining('unknown option "standardise"; did you mean "standardize"?') }));
  });

  const PY = '/usr/bin/python3';
  const hasNumpy = existsSync(PY) && spawnSync(PY, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
  const hasSklearn = hasNumpy && spawnSync(PY, ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0;
  if (!hasNumpy) console.warn(`pca2 numpy comparison skipped: ${PY} with numpy is not available`);
  else if (!hasSklearn) console.warn(`pca2 scikit-learn comparison skipped: ${PY} cannot import sklearn (apt-get install python3-sklearn)`);

  it('agrees with scikit-learn on a constant column, fewer rows than columns, collinear columns and values far from zero', () => {
    // test/fixtures/pca2_edges.py: PCA(n_components=2) after StandardScaler (or not), on the float32 data
    const ref = JSON.parse(readFileSync(new URL('./fixtures/pca2-edges.json', import.meta.url), 'utf8'));
    expect(ref.cases).toHaveLength(10);
    for (const c of ref.cases as { name: string; standardize: boolean; X: number[][]; components: number[][]; explainedVariance: number[]; explainedVarianceRatio: number[]; scores: number[][] }[]) {
      const p = pca2(fromRows(c.X), { standardize: c.standardize });
      const at = `${c.name}, standardize ${c.standardize}`;
      for (let a = 0; a < 2; a++) {
        // scikit-learn 1.2 takes each axis's sign from the scores; pca2 makes its largest loading positive
        const sign = Math.sign(p.components[a].reduce((s, v, j) => s + v * c.components[a][j], 0));
        c.components[a].forEach((v, j) => expect(Math.abs(p.components[a][j] - sign * v), at).toBeLessThan(1e-9));
        const big = p.components[a].reduce((b, v, j) => (Math.abs(v) > Math.abs(p.components[a][b]) ? j : b), 0);
        expect(p.components[a][big], at).toBeGreaterThan(0);
        expect(Math.abs(p.explainedVariance[a] - c.explainedVariance[a]), at).toBeLessThan(1e-12 * Math.max(1, c.explainedVariance[0]));
        expect(Math.abs(p.explainedVarianceRatio[a] - c.explainedVarianceRatio[a]), at).toBeLessThan(1e-12);
        const xy = a === 0 ? p.x : p.y;
        c.scores.forEach((row, i) => expect(Math.abs(xy[i] - sign * row[a]), at).toBeLessThan(1e-9 * Math.max(1, Math.sqrt(c.explainedVariance[0]))));
      }
    }
  });

  it.skipIf(!hasNumpy)('agrees with numpy (eigh of the covariance) and scikit-learn on correlated data', () => {
    const rand = rng(21);
    const d = 8;
    const mix = Array.from({ length: d }, () => Array.from({ length: d }, () => normal(rand)));
    const rows = Array.from({ length: 400 }, () => {
      const z = Array.from({ length: d }, () => normal(rand));
      return mix.map((w, j) => w.reduce((s, wk, t) => s + wk * z[t], 0) * (j + 1) + j);
    });
    const data = fromRows(rows);
    // The float32 values the dataset holds, so both sides see the same numbers.
    const X = Array.from({ length: 400 }, (_, i) => data.columns.map((c) => c[i]));
    const script = `
import json, sys
import numpy as np
X = np.array(json.load(sys.stdin), dtype=np.float64)
out = {}
for std in (False, True):
    mu = X.mean(axis=0)
    sd = X.std(axis=0) if std else np.ones(X.shape[1])
    Z = (X - mu) / sd
    w, V = np.linalg.eigh(np.cov(Z, rowvar=False))
    order = np.argsort(w)[::-1]
    w, V = w[order], V[:, order]
    comps = V[:, :2].T
    for r in range(2):
        j = np.argmax(np.abs(comps[r]))
        comps[r] *= np.sign(comps[r, j])
    P = Z @ comps.T
    out['std' if std else 'raw'] = {'components': comps.tolist(), 'ev': w[:2].tolist(), 'ratio': (w[:2] / w.sum()).tolist(), 'x': P[:, 0].tolist(), 'y': P[:, 1].tolist()}
try:
    from sklearn.decomposition import PCA
    p = PCA(n_components=2, svd_solver='full').fit(X)
    out['sklearn'] = {'components': p.components_.tolist(), 'ratio': p.explained_variance_ratio_.tolist()}
except ImportError:
    pass
print(json.dumps(out))
`;
    const res = spawnSync(PY, ['-c', script], { input: JSON.stringify(X), encoding: 'utf8', maxBuffer: 1 << 24 });
    expect(res.status, res.stderr).toBe(0);
    const ref = JSON.parse(res.stdout);
    for (const [key, standardize] of [['raw', false], ['std', true]] as const) {
      const p = pca2(data, { standardize });
      const r = ref[key];
      for (let a = 0; a < 2; a++) {
        for (let j = 0; j < d; j++) expect(Math.abs(p.components[a][j] - r.components[a][j])).toBeLessThan(1e-9);
        expect(p.explainedVariance[a] / r.ev[a]).toBeCloseTo(1, 10);
        expect(p.explainedVarianceRatio[a]).toBeCloseTo(r.ratio[a], 10);
      }
      const scale = Math.max(...r.x.map(Math.abs));
      expect(p.x).toHaveLength(400);
      expect(p.y).toHaveLength(400);
      for (let i = 0; i < 400; i++) {
        expect(Math.abs(p.x[i] - r.x[i]) / scale).toBeLessThan(1e-9);
        expect(Math.abs(p.y[i] - r.y[i]) / scale).toBeLessThan(1e-9);
      }
    }
    if (hasSklearn) {
      // scikit-learn 1.2 picks signs from the scores, so axes agree up to sign.
      const p = pca2(data, { standardize: false });
      for (let a = 0; a < 2; a++) {
        const sign = Math.sign(p.components[a].reduce((s, v, j) => s + v * ref.sklearn.components[a][j], 0));
        for (let j = 0; j < d; j++) expect(Math.abs(p.components[a][j] - sign * ref.sklearn.components[a][j])).toBeLessThan(1e-8);
        expect(p.explainedVarianceRatio[a]).toBeCloseTo(ref.sklearn.ratio[a], 9);
      }
    }
  });
});
