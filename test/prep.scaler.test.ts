import { describe, expect, it } from 'vitest';
import { Scaler } from '../src/prep/scaler.js';
import { failure } from './helpers.js';
import { baseMessage } from '../src/util/errors.js';
import { X, col, expectClose, frame } from './helpers/prepFrames.js';

const data = () => frame(X);
const column = (rows: readonly (readonly (number | null)[])[], j: number) => rows.map((r) => r[j]);

// Python (scikit-learn 1.2.1), X as in helpers/prepFrames.ts (scalers skip NaN when fitting and keep it when transforming):
//   sc = StandardScaler().fit(X); print(sc.mean_, sc.scale_, sc.transform(X))
//   sc = MinMaxScaler().fit(X);   print(sc.data_min_, sc.data_range_, sc.transform(X))
//   sc = RobustScaler().fit(X);   print(sc.center_, sc.scale_, sc.transform(X))
const N = null;
const sklearn = {
  standard: {
    center: [14.8125, 145.0, 1.2111111111111112],
    scale: [32.207275478531244, 286.0506948077561, 1.5437648384851919],
    Y: [
      [-0.4133382846640927, -0.4719443177396525, -0.7197411700355741],
      [-0.39781384204760095, -0.43698547938856713, -0.7845178753387759],
      [N, -0.40202664103748176, -0.5901877594291709],
      [-0.33571607158163397, -0.3670678026863964, 2.5838708004277113],
      [2.644976910784781, -0.332108964335311, -0.3310809382163642],
      [-0.35124051419812574, -0.29715012598422563, N],
      [-0.38228939943110923, -0.26219128763314026, -0.07197411700355745],
      [N, -0.2272324492820549, -0.5254110541259692],
      [-0.36676495681461746, -0.19227361093096954, -0.20152752760996084],
      [-0.39781384204760095, 2.988980679017799, 0.640569641331661],
    ],
  },
  minmax: {
    center: [1.5, 10.0, 0.0],
    scale: [98.5, 990.0, 5.2],
    Y: [
      [0.0, 0.0, 0.019230769230769232],
      [0.005076142131979695, 0.0101010101010101, 0.0],
      [N, 0.020202020202020204, 0.05769230769230768],
      [0.025380710659898477, 0.0303030303030303, 1.0],
      [0.9999999999999999, 0.0404040404040404, 0.13461538461538458],
      [0.02030456852791878, 0.05050505050505051, N],
      [0.010152284263959392, 0.06060606060606061, 0.21153846153846154],
      [N, 0.0707070707070707, 0.07692307692307693],
      [0.015228426395939085, 0.08080808080808081, 0.17307692307692307],
      [0.005076142131979695, 1.0, 0.4230769230769231],
    ],
  },
  robust: {
    center: [2.75, 55.0, 0.7],
    scale: [1.625, 45.0, 0.8],
    Y: [
      [-0.7692307692307693, -1.0, -0.7499999999999999],
      [-0.46153846153846156, -0.7777777777777778, -0.8749999999999999],
      [N, -0.5555555555555556, -0.49999999999999994],
      [0.7692307692307693, -0.3333333333333333, 5.625],
      [59.84615384615385, -0.1111111111111111, 0.0],
      [0.46153846153846156, 0.1111111111111111, N],
      [-0.15384615384615385, 0.3333333333333333, 0.5000000000000001],
      [N, 0.5555555555555556, -0.3749999999999999],
      [0.15384615384615385, 0.7777777777777778, 0.25000000000000006],
      [-0.46153846153846156, 21.0, 1.8750000000000002],
    ],
  },
};

describe('Scaler', () => {
  for (const method of ['standard', 'minmax', 'robust'] as const) {
    it(`matches scikit-learn's ${method} scaler, missing values kept`, async () => {
      const s = await new Scaler({ method }).fit(data());
      expectClose(s.centers, sklearn[method].center, 14);
      expectClose(s.scales, sklearn[method].scale, 14);
      const out = s.transform(data()).frame;
      ['x1', 'x2', 'x3'].forEach((name, j) => expectClose(col(out, name), column(sklearn[method].Y, j), 13));
    });
  }

  it("robust's center is np.nanmedian to the last bit (the mean of the two middle values), not the 50th percentile's interpolation", async () => {
    // X = np.array([[0.22, 1.5, 15.025], [7.93, nan, 78.538], [-5.0, 0.7, -1.0], [20.0, 3.3, 100.0], [nan, 0.35, 200.0], [nan, 4.0, -50.0]])
    // sc = RobustScaler().fit(X); print(sc.center_, sc.scale_, sc.transform(X))
    // (np.nanpercentile(X, 50, axis=0) is [4.074999999999999, 1.5, 46.781499999999994])
    const f = () => frame({ a: [0.22, 7.93, -5.0, 20.0, null, null], b: [1.5, null, 0.7, 3.3, 0.35, 4.0], c: [15.025, 78.538, -1.0, 100.0, 200.0, -50.0] });
    const s = await new Scaler({ method: 'robust' }).fit(f());
    expect(s.centers).toEqual([4.075, 1.5, 46.7815]);
    expect(s.scales).toEqual([12.032499999999999, 2.5999999999999996, 91.62825000000001]);
    const out = s.transform(f()).frame;
    expect(col(out, 'a')).toEqual([-0.3203822979430709, 0.3203822979430708, -0.7542073550799917, 1.3234988572615833, NaN, NaN]);
    expect(col(out, 'b')).toEqual([0.0, NaN, -0.30769230769230776, 0.6923076923076923, -0.44230769230769235, 0.9615384615384617]);
    expect(col(out, 'c')).toEqual([-0.34657979389544163, 0.3465797938954416, -0.5214712711418149, 0.580808866261224, 1.6721753389375, -1.05624084275319]);
  });

  it('log1p then standardise matches np.log1p + StandardScaler', async () => {
    // L = np.log1p(X); sc = StandardScaler().fit(L); print(sc.mean_, sc.scale_, sc.transform(L)[3])
    const s = await new Scaler({ method: 'log1p' }).fit(data());
    expect(s.methods).toEqual(['log1pStandard', 'log1pStandard', 'log1pStandard']);
    expectClose(s.centers, [1.6851510581096585, 4.070941979615471, 0.6218073627459666], 14);
    expectClose(s.scales, [1.1279803645846203, 1.1311553449017928, 0.5413200673019924], 14);
    const out = s.transform(data()).frame;
    expectClose(['x1', 'x2', 'x3'].map((c) => col(out, c)[3]), [-0.06712275147044748, -0.31593354044770067, 2.221868358399674], 13);
  });

  it('log1p alone is Math.log1p, and methods can differ per column', async () => {
    const s = await new Scaler({ method: 'none', standardize: false, byColumn: { x2: 'log1p', x3: 'minmax' } }).fit(data());
    const out = s.transform(data()).frame;
    expect(col(out, 'x2')).toEqual(X.x2.map((v) => Math.log1p(v)));
    expect(col(out, 'x1')).toEqual(X.x1.map((v) => (v === null ? NaN : v)));
    expect(col(out, 'x3')[3]).toBe(1);
  });

  it('a constant column keeps scale 1, as scikit-learn does', async () => {
    for (const method of ['standard', 'minmax', 'robust'] as const) {
      const s = await new Scaler({ method }).fit(frame({ c: [0.1, 0.1, 0.1], v: [1, 2, 3] }));
      expect(s.scales[0]).toBe(1);
      expect(col(s.transform(frame({ c: [0.1, 1.1, 0.1], v: [1, 2, 3] })).frame, 'c')).toEqual([0.1 - s.centers[0], 1.1 - s.centers[0], 0.1 - s.centers[0]]);
    }
  });

  it('log1p rejects values at or below -1, naming row and column', async () => {
    const err = await failure(() => new Scaler({ method: 'log1p' }).fit(frame({ spend: [3, 0, -1, 4] })));
    expect(err?.code).toBe('E_NAN_INPUT');
    expect(err?.message).toMatch(/row 2, column "spend"/);
  });

  it('leaves the input frame alone and names bad options', async () => {
    const f = data();
    const before = Array.from(f.columns[1].values as Float64Array);
    (await new Scaler().fit(f)).transform(f);
    expect(Array.from(f.columns[1].values as Float64Array)).toEqual(before);
    expect(() => new Scaler({ method: 'zscore' as never })).toThrowError(/scaler\.method/);
    expect(() => new Scaler({ byColumn: { x1: 'log' as never } })).toThrowError(/scaler\.byColumn\.x1/);
    expect(() => new Scaler({ standardize: 'yes' as never })).toThrowError(/scaler\.standardize/);
  });

  it('round-trips through JSON; a zero or missing scale is a bad model', async () => {
    const s = await new Scaler({ method: 'robust' }).fit(data());
    const back = Scaler.fromJSON(JSON.parse(JSON.stringify(s)));
    expect(col(back.transform(data()).frame, 'x3')).toEqual(col(s.transform(data()).frame, 'x3'));
    const json = s.toJSON();
    expect(() => Scaler.fromJSON({ ...json, scales: [1, 0, 1] }, 'steps[1]')).toThrowError(/"steps\[1\]\.scales\[1\]"/);
    expect(() => Scaler.fromJSON({ ...json, scales: [1, 1] }, 'steps[1]')).toThrowError(/"steps\[1\]\.scales" has 2 entries, expected 3/);
    expect(() => Scaler.fromJSON({ ...json, methods: ['robust', 'robust', 'log2'] })).toThrowError(/"methods\[2\]"/);
  });

  it('a value whose square overflows float64 is named by its row when standard scaling is fitted, never taken for a constant column', async () => {
    const f = frame({ a: [1, 1.5, 10, 10.5, 20, 1e200], b: [1, 2, 3, 4, 5, 6] });
    const e = await failure(() => new Scaler({ method: 'standard' }).fit(f));
    expect(e.code).toBe('E_NAN_INPUT');
    expect(e.message).toMatch(/^row 5, column "a" holds 1e\+200: the standard scaling statistics of the column overflow float64/);
    expect(e.hint).toMatch(/log1p/);
    // log1p first brings it within range
    const fitted = await new Scaler({ method: 'log1p' }).fit(f);
    expect(Number.isFinite(fitted.scales[0])).toBe(true);
  });
  it('refuses at fit a center or scale its saved model could not hold (beyond float32), rather than a model that saves but never loads', async () => {
    const huge = await failure(() => new Scaler({ method: 'minmax' }).fit(frame({ a: [1e39, 2e39, 1.5e39] })));
    expect(huge.code).toBe('E_NAN_INPUT');
    expect(baseMessage(huge)).toBe('the minmax scaling center 1e+39 of column "a" is outside the float32 range a saved model holds');
    // population standard deviation of [0, 1e-50, 2e-50] is 8.2e-51, which float32 rounds to 0
    const tiny = await failure(() => new Scaler({ method: 'standard' }).fit(frame({ a: [0, 1e-50, 2e-50] })));
    expect(tiny.code).toBe('E_NAN_INPUT');
    expect(baseMessage(tiny)).toMatch(/^the standard scaling scale 8\.16\d*e-51 of column "a" is outside the float32 range a saved model holds$/);
    // its values are too small: a larger unit brings them within range, a smaller one (or log1p, or clipping) never does
    expect(tiny.hint).toBe('rescale the column (multiply it by a power of ten)');
    expect(huge.hint).toBe('rescale the column (divide it by a power of ten), clip it, or scale it with log1p');
    // within range, the fitted scaler saves and loads to the same statistics
    const fitted = await new Scaler({ method: 'minmax' }).fit(frame({ a: [1e38, 2e38, 1.5e38] }));
    const back = Scaler.fromJSON(JSON.parse(JSON.stringify(fitted.toJSON())));
    expect([back.centers, back.scales]).toEqual([[1e38], [1e38]]);
  });
});
