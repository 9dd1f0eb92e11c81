import { describe, expect, it } from 'vitest';
import { OneHotEncoder } from '../src/prep/oneHotEncoder.js';
import type { Frame } from '../src/prep/frame.js';
import { SegkitError } from '../src/util/errors.js';
import { frame } from './helpers/prepFrames.js';
import { pipeline } from '../src/prep/pipeline.js';
import { countUnknown } from '../src/cli/unknownCategories.js';

/** The numeric columns of a frame as rows, for comparing with scikit-learn's dense output. */
function rows(f: Frame): { names: string[]; rows: number[][] } {
  const cols = f.columns.filter((c) => c.kind === 'numeric');
  return { names: cols.map((c) => c.name), rows: Array.from({ length: f.n }, (_, i) => cols.map((c) => c.values[i] as number)) };
}

function error(fn: () => unknown): SegkitError {
  try {
    fn();
  } catch (e) {
    return e as SegkitError;
  }
  throw new Error('no error');
}

const plan = ['gold', 'silver', 'gold', 'bronze', 'free', 'free', 'gold', 'silver', 'trial', 'free', 'gold'];

describe('OneHotEncoder', () => {
  it('buckets infrequent categories as scikit-learn max_categories does', async () => {
    // Python (scikit-learn 1.2.1):
    //   plan = np.array([...the list above...], dtype=object).reshape(-1, 1)
    //   enc = OneHotEncoder(max_categories=3, handle_unknown='ignore', sparse_output=False).fit(plan)
    //   enc.get_feature_names_out(['plan'])  -> ['plan_free', 'plan_gold', 'plan_infrequent_sklearn']
    //   enc.infrequent_categories_           -> [['bronze', 'silver', 'trial']]
    //   enc.transform([['silver'], ['gold'], ['platinum'], ['free'], ['trial']])
    //     -> [[0,0,1], [0,1,0], [0,0,0], [1,0,0], [0,0,1]]
    const enc = await new OneHotEncoder({ columns: ['plan'], maxCategories: 3 }).fit(frame({ plan }));
    expect(enc.categories).toEqual([{ column: 'plan', categories: ['free', 'gold'], infrequent: ['bronze', 'silver', 'trial'] }]);
    const { frame: out, report } = enc.transform(frame({ plan: ['silver', 'gold', 'platinum', 'free', 'trial'] }));
    expect(rows(out)).toEqual({
      names: ['plan=free', 'plan=gold', 'plan=other'],
      rows: [[0, 0, 1], [0, 1, 0], [0, 0, 0], [1, 0, 0], [0, 0, 1]],
    });
    expect(report).toEqual({ kind: 'oneHotEncoder', columns: [{ column: 'plan', unknown: 1, missing: 0 }] });
  });

  it('gives missing values a column of their own, last, as scikit-learn does with NaN', async () => {
    // region = np.array(['north','east',np.nan,'west','east',np.nan,'north'], dtype=object).reshape(-1, 1)
    // enc = OneHotEncoder(handle_unknown='ignore', sparse_output=False).fit(region)
    //   -> ['region_east', 'region_north', 'region_west', 'region_nan']
    // enc.transform([['west'], [np.nan], ['south']]) -> [[0,0,1,0], [0,0,0,1], [0,0,0,0]]
    const enc = await new OneHotEncoder().fit(frame({ region: ['north', 'east', null, 'west', 'east', null, 'north'] }));
    expect(rows(enc.transform(frame({ region: ['west', null, 'south'] })).frame)).toEqual({
      names: ['region=east', 'region=north', 'region=west', 'region=(missing)'],
      rows: [[0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]],
    });
  });

  it('counts a missing value of a column that had none at fit time among the values encoded as all zeros', async () => {
    // region = np.array(['north', 'east', 'west'], dtype=object).reshape(-1, 1)
    // OneHotEncoder(handle_unknown='ignore', sparse_output=False).fit(region).transform([['west'], [None], ['south']])
    //   -> [[0, 0, 1], [0, 0, 0], [0, 0, 0]]
    const enc = await new OneHotEncoder().fit(frame({ region: ['north', 'east', 'west'] }));
    const { frame: out, report } = enc.transform(frame({ region: ['west', null, 'south'] }));
    expect(rows(out)).toEqual({ names: ['region=east', 'region=north', 'region=west'], rows: [[0, 0, 1], [0, 0, 0], [0, 0, 0]] });
    expect(report).toEqual({ kind: 'oneHotEncoder', columns: [{ column: 'region', unknown: 2, missing: 1 }] });
    // the command line's note on rows encoded as no category counts them from this report
    const counts = new Map<string, number>();
    countUnknown(counts, { rowsIn: 3, rowsOut: 3, steps: [report] });
    expect([...counts]).toEqual([['region', 2]]);
    // a missing value with a column of its own, or the most frequent category in its place, is no unknown value
    const withColumn = await new OneHotEncoder().fit(frame({ region: ['north', null] }));
    expect(withColumn.transform(frame({ region: ['north', null] })).report.columns).toEqual([{ column: 'region', unknown: 0, missing: 1 }]);
    const filled = await new OneHotEncoder({ missing: 'mostFrequent' }).fit(frame({ region: ['north', 'east', 'north'] }));
    expect(filled.transform(frame({ region: ['east', null] })).report.columns).toEqual([{ column: 'region', unknown: 0, missing: 1 }]);
  });

  it("imputes missing values with the most frequent category when asked, also at scoring time", async () => {
    const enc = await new OneHotEncoder({ missing: 'mostFrequent' }).fit(frame({ c: ['b', 'a', 'b', 'a', null] }));
    // a and b tie with 2 each: the first in sorted order wins, then the missing value counts for it.
    const out = rows(enc.transform(frame({ c: [null, 'b'] })).frame);
    expect(out).toEqual({ names: ['c=a', 'c=b'], rows: [[1, 0], [0, 1]] });
    const noMissing = await new OneHotEncoder({ missing: 'mostFrequent' }).fit(frame({ c: ['b', 'b', 'a'] }));
    expect(rows(noMissing.transform(frame({ c: [null, 'a'] })).frame).rows).toEqual([[0, 1], [1, 0]]);
  });

  it('breaks count ties in maxCategories by sorted order', async () => {
    // counts: d 3, a 2, c 2, b 2, e 1 -> keep d and the first tied one, a; the rest share "other".
    // (scikit-learn 1.2.1's max_categories=3 keeps the last tied one instead: ['x0_c', 'x0_d', 'x0_infrequent_sklearn'])
    const enc = await new OneHotEncoder({ columns: ['k'], maxCategories: 3 }).fit(frame({ k: ['d', 'd', 'd', 'c', 'c', 'a', 'a', 'b', 'b', 'e'] }));
    expect(enc.categories[0]).toEqual({ column: 'k', categories: ['a', 'd'], infrequent: ['b', 'c', 'e'] });
  });

  it('keeps every category of a column of exactly maxCategories categories', async () => {
    // counts: d 3, c 2, a 1 with maxCategories 3: three columns, no "other" bucket
    // (scikit-learn 1.2.1's max_categories=3 moves the rarest alone into its infrequent column: ['k_c', 'k_d', 'k_infrequent_sklearn'])
    const enc = await new OneHotEncoder({ columns: ['k'], maxCategories: 3 }).fit(frame({ k: ['d', 'd', 'd', 'c', 'c', 'a'] }));
    expect(enc.categories[0]).toEqual({ column: 'k', categories: ['a', 'c', 'd'], infrequent: [] });
    // one category more, and the two rarest share it, as scikit-learn gives them
    const more = await new OneHotEncoder({ columns: ['k'], maxCategories: 3 }).fit(frame({ k: ['d', 'd', 'd', 'c', 'c', 'a', 'b', 'b', 'b', 'b'] }));
    expect(more.categories[0]).toEqual({ column: 'k', categories: ['b', 'd'], infrequent: ['a', 'c'] });
  });

  it("'auto' picks categorical columns with at most maxCategories values and leaves the rest", async () => {
    const f = frame({ few: ['x', 'y', 'x', 'y'], many: ['a', 'b', 'c', 'd'], n: [1, 2, 3, 4] });
    const enc = await new OneHotEncoder({ maxCategories: 3 }).fit(f);
    expect(enc.columns).toEqual(['few']);
    expect(enc.transform(f).frame.columns.map((c) => `${c.name}:${c.kind}`)).toEqual(['few=x:numeric', 'few=y:numeric', 'many:categorical', 'n:numeric']);
  });

  it("'error' names the row and column of an unknown or unexpected missing value", async () => {
    const enc = await new OneHotEncoder({ columns: ['plan'], handleUnknown: 'error' }).fit(frame({ plan: ['a', 'b'] }));
    const unknown = error(() => enc.transform(frame({ plan: ['a', 'zz'] })));
    expect(unknown.code).toBe('E_UNKNOWN_CATEGORY');
    expect(unknown.message).toMatch(/row 1, column "plan" holds the category "zz"/);
    const missing = error(() => enc.transform(frame({ plan: [null, 'a'] })));
    expect(missing.code).toBe('E_NAN_INPUT');
    expect(missing.message).toMatch(/row 0, column "plan" is missing/);
  });

  it('refuses labels that clash with a category, and bad options by name', async () => {
    await expect(new OneHotEncoder({ columns: ['c'], maxCategories: 2 }).fit(frame({ c: ['other', 'other', 'x', 'y'] }))).rejects.toThrowError(/oneHotEncoder\.otherLabel/);
    expect(() => new OneHotEncoder({ maxCategories: 1 })).toThrowError(/oneHotEncoder\.maxCategories/);
    expect(() => new OneHotEncoder({ handleUnknown: 'infrequent' as never })).toThrowError(/oneHotEncoder\.handleUnknown/);
    expect(() => new OneHotEncoder({ columns: 'all' as never })).toThrowError(/oneHotEncoder\.columns/);
  });

  it('refuses null options by name, as the imputer and scaler do, rather than taking their defaults', async () => {
    // scikit-learn's max_categories=None is no limit: a null here gave the default 20 in silence, and 25 categories
    // came out as 19 columns and an "other" bucket
    const c = Array.from({ length: 25 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    expect(() => pipeline({ encode: { columns: ['c'], maxCategories: null as never } })).toThrowError(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringMatching(/option "encode\.maxCategories" must be an integer >= 2 or Infinity, got null/) }));
    const all = await pipeline({ encode: { columns: ['c'], maxCategories: Infinity }, scale: false }).fit(c.map((v) => ({ c: v })));
    expect(all.featureNames).toEqual(c.map((v) => `c=${v}`));
    for (const key of ['columns', 'handleUnknown', 'missing', 'otherLabel', 'missingLabel']) {
      expect(() => new OneHotEncoder({ [key]: null } as never)).toThrowError(expect.objectContaining({ code: 'E_BAD_OPTION', message: expect.stringContaining(`option "oneHotEncoder.${key}"`) }));
    }
  });

  it('round-trips through JSON and rejects inconsistent models', async () => {
    const enc = await new OneHotEncoder({ columns: ['plan'], maxCategories: 3 }).fit(frame({ plan: [...plan.slice(0, 10), null] }));
    const back = OneHotEncoder.fromJSON(JSON.parse(JSON.stringify(enc)));
    const test = frame({ plan: ['silver', null, 'gold', 'zz'] });
    expect(rows(back.transform(test).frame)).toEqual(rows(enc.transform(test).frame));
    const json = enc.toJSON();
    const col0 = json.columns[0];
    const bad = (columns: unknown, path: RegExp) => expect(() => OneHotEncoder.fromJSON({ ...json, columns }, 'm')).toThrowError(path);
    bad([{ ...col0, infrequent: ['gold'] }], /"m\.columns\[0\]\.infrequent\[0\]" repeats/);
    bad([{ ...col0, missingColumn: 'yes' }], /"m\.columns\[0\]\.missingColumn"/);
    bad([{ ...col0, fill: 'gold' }], /"m\.columns\[0\]\.fill"/);
    bad([col0, col0], /"m\.columns\[1\]\.name" repeats/);
  });

  it('refuses output names that are already column names, instead of two columns of one name', async () => {
    // "plan=pro" already exists: a feature filter that dropped the constant one by name dropped the one-hot column too.
    const f = frame({ 'plan=pro': [5, 5, 5], plan: ['pro', 'free', 'pro'], x: [1, 2, 3] });
    await expect(new OneHotEncoder({ columns: ['plan'] }).fit(f)).rejects.toMatchObject({ code: 'E_BAD_OPTION', message: expect.stringMatching(/"plan=pro".*"plan"/) });
    // two encoded columns: a="b=c" and "a=b"="c" both give "a=b=c"
    const g = frame({ a: ['b=c', 'z'], 'a=b': ['c', 'd'] });
    await expect(new OneHotEncoder({ columns: ['a', 'a=b'] }).fit(g)).rejects.toMatchObject({ code: 'E_BAD_OPTION', message: expect.stringContaining('"a=b=c"') });
    const { dataset, report } = await pipeline({ columns: ['plan=pro', 'plan', 'x'], encode: ['plan'], scale: false, dropLowVariance: true })
      .fitTransform([{ 'plan=pro': 5, plan: 'pro', x: 1 }, { 'plan=pro': 5, plan: 'free', x: 2 }, { 'plan=pro': 5, plan: 'pro', x: 3 }])
      .catch((err: SegkitError) => ({ dataset: undefined, report: err.code }));
    expect(dataset).toBeUndefined();
    expect(report).toBe('E_BAD_OPTION');
  });
});
