// Builds prep frames for step tests: number columns (null = missing) become numeric, string columns categorical.
import type { Frame, FrameColumn } from '../../src/prep/frame.js';

export function frame(cols: Record<string, readonly (number | string | null)[]>): Frame {
  const columns = Object.entries(cols).map(([name, values]): FrameColumn => {
    const isText = values.some((v) => typeof v === 'string');
    if (isText) return { kind: 'categorical', name, values: values.map((v) => (v === null ? null : String(v))) };
    return { kind: 'numeric', name, values: Float64Array.from(values, (v) => (v === null ? NaN : (v as number))) };
  });
  const n = columns[0].values.length;
  return { n, rows: Int32Array.from({ length: n }, (_, i) => i), columns };
}

export function col(f: Frame, name: string): number[] {
  const c = f.columns.find((x) => x.name === name);
  if (!c || c.kind !== 'numeric') throw new Error(`no numeric column ${name}`);
  return Array.from(c.values);
}

/**
 * The data of the scikit-learn comparisons. In Python:
 *   nan = np.nan
 *   X = np.array([[1.5, 10, 0.1], [2.0, 20, 0.0], [nan, 30, 0.3], [4.0, 40, 5.2], [100.0, 50, 0.7],
 *                 [3.5, 60, nan], [2.5, 70, 1.1], [nan, 80, 0.4], [3.0, 90, 0.9], [2.0, 1000, 2.2]])
 */
export const X = {
  x1: [1.5, 2.0, null, 4.0, 100.0, 3.5, 2.5, null, 3.0, 2.0],
  x2: [10, 20, 30, 40, 50, 60, 70, 80, 90, 1000],
  x3: [0.1, 0.0, 0.3, 5.2, 0.7, null, 1.1, 0.4, 0.9, 2.2],
};

/** Element-wise agreement to `digits` significant digits; null expects NaN. */
export function expectClose(actual: ArrayLike<number>, expected: readonly (number | null)[], digits = 12): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (e === null) {
      if (!Number.isNaN(a)) throw new Error(`[${i}]: expected NaN, got ${a}`);
    } else if (!(Math.abs(a - e) <= 10 ** -digits * Math.max(1, Math.abs(e)))) {
      throw new Error(`[${i}]: expected ${e}, got ${a}`);
    }
  }
}
