import { SegkitError, badOption, describe } from '../util/errors.js';
import { checkOptions as checkOptionNames } from '../util/options.js';

/** 'concave' bends like a knee (flattens after rising), 'convex' like an elbow (an inertia-vs-k curve). */
export type KneeCurve = 'concave' | 'convex';
export type KneeDirection = 'increasing' | 'decreasing';

export interface KneedleOptions {
  readonly curve?: KneeCurve;
  readonly direction?: KneeDirection;
  /** S in the paper: how far the difference curve must fall below a local maximum; larger is more conservative. */
  readonly sensitivity?: number;
}

export interface KneedleResult {
  /** x at the knee, or null when the curve has none. */
  readonly knee: number | null;
  /** Index of the knee in the inputs, or null. */
  readonly kneeIndex: number | null;
  /** y at the knee, or null. */
  readonly kneeY: number | null;
  /** x scaled to [0, 1], in input order. */
  readonly xNormalized: Float64Array;
  /**
   * The difference curve, in input order: how far each normalised point lies from the straight line joining the
   * ends, signed so that the bend is a maximum. The knee is the local maximum after which it falls below `threshold`.
   */
  readonly difference: Float64Array;
  /** The threshold the difference fell below after the knee: its maximum minus S times the mean normalised x step (0 past a local minimum). */
  readonly threshold: number | null;
}

const DEFAULTS: Required<KneedleOptions> = Object.freeze({ curve: 'concave', direction: 'increasing', sensitivity: 1 });

// Differences this small are rounding noise of a straight segment, not curvature.
const FLAT = 1e-12;

function checkOptions(options: KneedleOptions | undefined): Required<KneedleOptions> {
  // a misspelt name ('sensitivty', 'curve_type') would otherwise leave its default in force unseen
  checkOptionNames(options, Object.keys(DEFAULTS), 'kneedle');
  const o = { ...DEFAULTS, ...options };
  if (o.curve !== 'concave' && o.curve !== 'convex') throw badOption('curve', o.curve, '"concave" or "convex"');
  if (o.direction !== 'increasing' && o.direction !== 'decreasing') throw badOption('direction', o.direction, '"increasing" or "decreasing"');
  if (typeof o.sensitivity !== 'number' || !Number.isFinite(o.sensitivity) || o.sensitivity < 0) {
    throw badOption('sensitivity', o.sensitivity, 'a finite number >= 0');
  }
  return o;
}

function checkSeries(x: ArrayLike<number>, y: ArrayLike<number>): void {
  for (const [name, a] of [['x', x], ['y', y]] as const) {
    if (!Array.isArray(a) && !ArrayBuffer.isView(a)) throw new SegkitError('E_BAD_OPTION', `${name} must be an array of numbers, got ${describe(a)}`);
  }
  if (x.length !== y.length) throw new SegkitError('E_SHAPE_MISMATCH', `x has ${x.length} values but y has ${y.length}`);
  if (x.length === 0) throw new SegkitError('E_EMPTY_DATA', 'x and y are empty');
  for (let i = 0; i < x.length; i++) {
    for (const [name, a] of [['x', x], ['y', y]] as const) {
      const v = a[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new SegkitError('E_NAN_INPUT', `${name}[${i}] is ${describe(v)}; the curve must hold finite numbers`);
      }
    }
    if (i > 0 && !(x[i] > x[i - 1])) {
      throw new SegkitError('E_BAD_OPTION', `x must be strictly increasing, but x[${i}] = ${x[i]} follows x[${i - 1}] = ${x[i - 1]}`, 'sort the points by x and drop repeated x values');
    }
  }
}

function normalize(a: ArrayLike<number>): Float64Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    if (a[i] < lo) lo = a[i];
    if (a[i] > hi) hi = a[i];
  }
  const out = new Float64Array(a.length);
  // halved where the span of finite values overflows (beyond 1.8e308)
  const h = hi - lo < Infinity ? 1 : 0.5;
  const span = hi * h - lo * h;
  if (span > 0) for (let i = 0; i < a.length; i++) out[i] = (a[i] * h - lo * h) / span;
  return out;
}

/**
 * Finds the knee (or elbow) of a sampled curve with Kneedle (Satopää, Albrecht, Irwin and Raghavan, "Finding a
 * 'Kneedle' in a Haystack", ICDCS Workshops 2011), offline and without smoothing: scale both axes to [0, 1], take
 * the difference between the curve and the diagonal, and declare the first local maximum after which the
 * difference falls below that maximum minus `sensitivity` times the mean x step before the next local maximum; a
 * local minimum on the way resets that threshold to 0, as in the paper and the `kneed` reference (local extrema are
 * taken strictly, the endpoints excluded). Decreasing-concave and increasing-convex curves
 * are mirrored in x (exactly, also for uneven x) so that all four shapes reduce to a concave increasing one.
 *
 * @example
 * // the elbow of an inertia-vs-k curve: knee === 3
 * const { knee } = kneedle([1, 2, 3, 4, 5, 6], [1000, 420, 180, 150, 130, 120], { curve: 'convex', direction: 'decreasing' });
 */
export function kneedle(x: ArrayLike<number>, y: ArrayLike<number>, options?: KneedleOptions): KneedleResult {
  const { curve, direction, sensitivity } = checkOptions(options);
  checkSeries(x, y);
  const n = x.length;
  const xNormalized = normalize(x);
  const yNormalized = normalize(y);
  const mirror = (curve === 'concave') !== (direction === 'increasing');
  const invert = curve === 'convex';
  const src = (k: number) => (mirror ? n - 1 - k : k);

  // D[k] in the concave-increasing frame, where the knee is where y has risen most above the diagonal.
  const D = new Float64Array(n);
  const difference = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = src(k);
    const xs = mirror ? 1 - xNormalized[i] : xNormalized[i];
    const ys = invert ? 1 - yNormalized[i] : yNormalized[i];
    const d = ys - xs;
    D[k] = Math.abs(d) < FLAT ? 0 : d;
    difference[i] = D[k];
  }
  const none: KneedleResult = { knee: null, kneeIndex: null, kneeY: null, xNormalized, difference, threshold: null };
  if (n < 3) return none;

  // Mean step of the normalised x, (1 - 0) / (n - 1), as the paper's threshold uses.
  const step = 1 / (n - 1);
  let candidate = -1;
  let threshold = NaN;
  for (let k = 1; k < n - 1; k++) {
    // A plateau counts once, at its first point.
    if (D[k - 1] < D[k] && D[k] >= D[k + 1]) {
      candidate = k;
      threshold = D[k] - sensitivity * step;
    }
    // past a local minimum the curve has risen again: only a fall below the diagonal still marks the last maximum
    if (candidate >= 0 && D[k - 1] > D[k] && D[k] < D[k + 1]) threshold = 0;
    if (candidate >= 0 && D[k + 1] < threshold) {
      const i = src(candidate);
      return { knee: x[i], kneeIndex: i, kneeY: y[i], xNormalized, difference, threshold };
    }
  }
  return none;
}
