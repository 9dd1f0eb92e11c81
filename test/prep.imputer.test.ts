import { describe, expect, it } from 'vitest';
import { Imputer } from '../src/prep/imputer.js';
import { SegkitError, baseMessage } from '../src/util/errors.js';
import { X, col, expectClose, frame } from './helpers/prepFrames.js';

const data = () => frame(X);

describe('Imputer', () => {
  // Python (scikit-learn 1.2.1), X as in helpers/prepFrames.ts:
  //   for s in ['mean', 'median', 'most_frequent']:
  //       imp = SimpleImputer(strategy=s).fit(X); print(imp.statistics_, imp.transform(X)[:, 0])
  const sklearn = {
    mean: { stat: [14.8125, 145.0, 1.2111111111111112], col0: [1.5, 2.0, 14.8125, 4.0, 100.0, 3.5, 2.5, 14.8125, 3.0, 2.0] },
    median: { stat: [2.75, 55.0, 0.7], col0: [1.5, 2.0, 2.75, 4.0, 100.0, 3.5, 2.5, 2.75, 3.0, 2.0] },
    mostFrequent: { stat: [2.0, 10.0, 0.0], col0: [1.5, 2.0, 2.0, 4.0, 100.0, 3.5, 2.5, 2.0, 3.0, 2.0] },
  } as const;

  for (const strategy of ['mean', 'median', 'mostFrequent'] as const) {
    it(`matches SimpleImputer(strategy=${strategy})`, async () => {
      const imp = await new Imputer({ strategy }).fit(data());
      expectClose(imp.statistics, sklearn[strategy].stat, 14);
      const { frame: out, report } = imp.transform(data());
      expectClose(col(out, 'x1'), sklearn[strategy].col0, 14);
      expect(report).toEqual({ kind: 'imputer', columns: [{ column: 'x1', filled: 2 }, { column: 'x2', filled: 0 }, { column: 'x3', filled: 1 }] });
    });
  }

  it('matches SimpleImputer(strategy="constant", fill_value=-1)', async () => {
    // SimpleImputer(strategy='constant', fill_value=-1).fit(X).transform(X)[:, 0]
    const out = (await new Imputer({ strategy: 'constant', fillValue: -1 }).fit(data())).transform(data()).frame;
    expect(col(out, 'x1')).toEqual([1.5, 2.0, -1.0, 4.0, 100.0, 3.5, 2.5, -1.0, 3.0, 2.0]);
  });

  it('takes a strategy per column', async () => {
    const imp = await new Imputer({ strategy: 'mean', byColumn: { x1: 'median', x3: 7 } }).fit(data());
    expect(imp.toJSON()).toEqual({ kind: 'imputer', columns: ['x1', 'x2', 'x3'], strategies: ['median', 'mean', 'constant'], values: [2.75, 145, 7] });
    const out = imp.transform(data()).frame;
    expect(col(out, 'x3')[5]).toBe(7);
  });

  it('ties in mostFrequent go to the smallest value', async () => {
    const imp = await new Imputer({ strategy: 'mostFrequent' }).fit(frame({ a: [5, 3, 5, 3, null, 9] }));
    expect(imp.statistics).toEqual([3]);
  });

  it('only touches the listed columns and leaves the input frame alone', async () => {
    const f = data();
    const before = f.columns.map((c) => Array.from(c.values as Float64Array));
    const out = (await new Imputer({ columns: ['x3'] }).fit(f)).transform(f).frame;
    expect(Number.isNaN(col(out, 'x1')[2])).toBe(true);
    expect(col(out, 'x3')[5]).toBeCloseTo(1.2111111111111112, 14);
    expect(f.columns.map((c) => Array.from(c.values as Float64Array))).toEqual(before);
  });

  it('rejects a column with nothing to compute from, and bad options by name', async () => {
    await expect(new Imputer().fit(frame({ a: [null, null] }))).rejects.toThrowError(expect.objectContaining({ code: 'E_EMPTY_DATA' }));
    expect(() => new Imputer({ strategy: 'mode' as never })).toThrowError(/imputer\.strategy/);
    expect(() => new Imputer({ fillValue: NaN })).toThrowError(/imputer\.fillValue/);
    await expect(new Imputer({ byColumn: { nope: 'mean' } }).fit(data())).rejects.toThrowError(/imputer\.byColumn\.nope/);
    expect(() => new Imputer({ strategy: 'median', colums: ['x'] } as never)).toThrowError(/imputer\.colums/);
    expect(() => new Imputer().transform(data())).toThrowError(expect.objectContaining({ code: 'E_BAD_MODEL' }));
  });

  it('round-trips through JSON and checks every field', async () => {
    const imp = await new Imputer({ strategy: 'median' }).fit(data());
    const back = Imputer.fromJSON(JSON.parse(JSON.stringify(imp)));
    expect(col(back.transform(data()).frame, 'x1')).toEqual(col(imp.transform(data()).frame, 'x1'));
    const json = imp.toJSON();
    const bad = (patch: object, path: string) => {
      try {
        Imputer.fromJSON({ ...json, ...patch }, 'steps[0]');
        throw new Error('accepted');
      } catch (err) {
        expect(err).toBeInstanceOf(SegkitError);
        expect((err as SegkitError).code).toBe('E_BAD_MODEL');
        expect((err as SegkitError).message).toContain(`"${path}"`);
      }
    };
    bad({ values: [1, '2', 3] }, 'steps[0].values[1]');
    bad({ values: [1, 2] }, 'steps[0].values');
    bad({ strategies: ['mean', 'mean', 'average'] }, 'steps[0].strategies[2]');
    bad({ columns: ['x1', 'x1', 'x3'] }, 'steps[0].columns[1]');
    bad({ extra: 1 }, 'steps[0].extra');
    await new Imputer().fit(data());
    await expect(Imputer.fromJSON(json).fit(data())).rejects.toThrowError(/cannot be refitted/);
  });
  it('refuses at fit a fill value its saved model could not hold (beyond float32), rather than a model that saves but never loads', async () => {
    // the mean of 1e39 and 2e39 is 1.5e39; a model file holds fill values as float32, and fromJSON refuses one beyond it
    const f = frame({ a: [1e39, 2e39, null] });
    const err = await new Imputer({ strategy: 'mean' }).fit(f).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(SegkitError);
    expect((err as SegkitError).code).toBe('E_NAN_INPUT');
    expect(baseMessage(err as SegkitError)).toBe('the mean of column "a" is 1.5e+39, outside the float32 range a saved model holds');
    expect(() => new Imputer({ strategy: 'constant', fillValue: 1e39 })).toThrowError(/"imputer\.fillValue"/);
    expect(() => new Imputer({ byColumn: { a: -1e39 } })).toThrowError(/"imputer\.byColumn\.a"/);
    // the largest float32 itself saves and loads
    const ok = await new Imputer({ strategy: 'constant', fillValue: 3.4028234663852886e38 }).fit(f);
    expect(Imputer.fromJSON(JSON.parse(JSON.stringify(ok.toJSON()))).statistics).toEqual([3.4028234663852886e38]);
  });
});
