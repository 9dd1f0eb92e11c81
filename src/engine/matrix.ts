import { SegkitError, describe, throwIfAborted } from '../util/errors.js';
import { centerShard, columnSumsShard } from '../kernels/center.js';
import { shardColumn, type AnyTypedArray } from '../kernels/shard.js';
import { loadThenMap, scanThenMap, type Executor, type Handle, type LoadOptions, type ShardSource } from './executor.js';
import { sumInShardOrder, sumNumbers } from './merge.js';
import { defineOp, type ShardOp } from './shardOp.js';
import { ceilLog2 } from '../util/detMath.js';

/** Unweighted float64 column sums of the loaded values. */
export const columnSumsOp = defineOp<null, Float64Array>({ name: 'matrix.columnSums', scratchBytes: (_s, d) => 8 * d, run: (sh) => columnSumsShard(sh) }, import.meta.url);

/** Subtracts the float32 offset in place; returns the sum of w * x^2 after (not finite when a value is not). */
export const centreOp = defineOp<{ offset: Float32Array }, number>({ name: 'matrix.centre', run: (sh, s) => centerShard(sh, s.offset) }, import.meta.url);

/** Unweighted float64 sum of squares of the loaded values, column by column. */
export const sumSquaresOp = defineOp<null, number>({
  name: 'matrix.sumSquares',
  run(sh) {
    let s = 0;
    for (let j = 0; j < sh.d; j++) {
      const c = shardColumn(sh, j);
      for (let i = 0; i < c.length; i++) s += c[i] * c[i];
    }
    return s;
  },
}, import.meta.url);

/** Multiplies the loaded values by a power of two in place (exact, barring subnormals). */
export const scaleOp = defineOp<{ factor: number }, null>({
  name: 'matrix.scale',
  run(sh, s) {
    for (let j = 0; j < sh.d; j++) {
      const c = shardColumn(sh, j);
      for (let i = 0; i < c.length; i++) c[i] *= s.factor;
    }
    return null;
  },
}, import.meta.url);

/** The first non-finite value of the shard: [row in the dataset, column], or null. */
export const findNonFiniteOp = defineOp<null, number[] | null>({
  name: 'matrix.findNonFinite',
  run(sh) {
    let best: number[] | null = null;
    for (let j = 0; j < sh.d; j++) {
      const c = shardColumn(sh, j);
      for (let i = 0; i < c.length; i++) {
        if (c[i] - c[i] !== 0) {
          if (!best || i < best[0] - sh.start) best = [sh.start + i, j];
          break;
        }
      }
    }
    return best;
  },
}, import.meta.url);

/** The shard's row with the largest squared norm (stored values, float64): [norm, dataset row], or null for no rows. */
export const widestRowOp = defineOp<null, [number, number] | null>({
  name: 'matrix.widestRow',
  run(sh) {
    const cols = Array.from({ length: sh.d }, (_, j) => shardColumn(sh, j));
    let best: [number, number] | null = null;
    for (let i = 0; i < sh.rows; i++) {
      let r = 0;
      for (let j = 0; j < sh.d; j++) r += cols[j][i] * cols[j][i];
      if (!best || r > best[0]) best = [r, sh.start + i];
    }
    return best;
  },
}, import.meta.url);

/** The loaded values of the given rows (dataset row numbers, ascending) that fall in this shard: rows x d, row-major. */
export const rowsOp = defineOp<{ rows: Int32Array }, Float64Array>({
  name: 'matrix.rows',
  run(sh, s) {
    const mine = s.rows.filter((r) => r >= sh.start && r < sh.start + sh.rows);
    const out = new Float64Array(mine.length * sh.d);
    for (let j = 0; j < sh.d; j++) {
      const c = shardColumn(sh, j);
      mine.forEach((r, q) => { out[q * sh.d + j] = c[r - sh.start]; });
    }
    return out;
  },
}, import.meta.url);

/** A dataset loaded into an executor as float32 columns: stored value = (x - offset) * scale. */
export interface Matrix {
  readonly ex: Executor;
  readonly handle: Handle;
  readonly n: number;
  readonly d: number;
  readonly names: readonly string[];
  /** Float32 values (held in float64) subtracted from each column on the way in: the column means, or given. */
  readonly offset: Float64Array;
  /** A power of two: 1 unless the values would overflow (or underflow) float32 squared distances. */
  readonly scale: number;
  /** Sum of w * |stored row|^2, float64 (unweighted when there are no weights). */
  readonly sumSquares: number;
  /** Unweighted sum of |stored row|^2. */
  readonly sumSquaresUnweighted: number;
  readonly weights?: Float32Array;
  readonly totalWeight: number;
  release(): Promise<void>;
}

export interface LoadMatrixOptions {
  /** Subtract these values (a fitted model's) instead of the column means. */
  offset?: Float64Array;
  weights?: Float32Array;
  /** Per-row inputs loaded with the rows (labels, ...). */
  rows?: Record<string, AnyTypedArray>;
  /** Squared norm of other vectors (a model's centres, after the offset) that share the kernels' float32 range. */
  alsoSquaredNorm?: number;
  /**
   * Scoring: the scale comes from `alsoSquaredNorm` (the model's range) alone, so no row's result depends on the
   * other rows of the batch; a row so far from the model that its products with the centres leave float32 is
   * refused by its row number (a row whose own squared norm does is still labelled: distances to it are not finite).
   */
  modelScale?: boolean;
  /**
   * Refuse, as scoring does, a row so far from the model (`alsoSquaredNorm`) that scoring could not label it, whatever
   * the scale: learning from a row must not move a centre by a row the model cannot score.
   */
  refuseFar?: boolean;
  replicate?: boolean;
  shardRows?: number;
  signal?: AbortSignal;
}

/** What float32 centring does to a column of values far apart in magnitude, and what to do about it. */
export const CENTRED_FLOAT32 = 'each column is held in float32 less its mean, which keeps about 7 significant digits of the column\'s range';
export const CENTRED_HINT = 'a column holds values far apart in magnitude (an extreme value?): clip, log-transform or rescale it, or drop the extreme rows';

/** Squared distances stay well inside float32 (max 3.4e38) below this, and well above its smallest normal. */
const HIGH = 1e36, LOW = 1e-24, TARGET = 1e24;

/** Squared norm (stored coordinates) below which a vector's squared distances to the loaded rows stay inside float32. */
export const SQUARED_NORM_LIMIT = HIGH;

/**
 * The power of two a load scales its centred values by, from the largest of their sum of squares over n rows and the
 * squared norms of vectors sharing the kernels' range: 1 unless squared distances would overflow or underflow float32.
 */
export function rangeScale(rangeOf: number, n: number): number {
  if (!(rangeOf > HIGH || (rangeOf > 0 && rangeOf / n < LOW))) return 1;
  const target = rangeOf > HIGH ? TARGET : n;
  return 2 ** -ceilLog2(Math.sqrt(rangeOf / target));
}

/**
 * Checks sample weights: one finite, non-negative number per row that float32 holds (a positive one as positive,
 * unless `float64`: the caller sums the weights as given), not all zero; with `signed`, negative ones and any sum too.
 */
export function checkWeights(weights: ArrayLike<number> | undefined, n: number, option = 'sampleWeight', float64 = false, signed = false): Float32Array | undefined {
  if (weights === undefined) return undefined;
  if (!weights || typeof weights.length !== 'number') throw new SegkitError('E_BAD_OPTION', `option "${option}" must be an array of numbers, got ${describe(weights)}`);
  if (weights.length !== n) throw new SegkitError('E_SHAPE_MISMATCH', `option "${option}" has ${weights.length} values for ${n} rows`);
  const out = new Float32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    if (typeof w !== 'number' || !Number.isFinite(w) || (w < 0 && !signed) || !Number.isFinite(Math.fround(w))) {
      throw new SegkitError('E_BAD_OPTION', `option "${option}" at row ${i} is ${describe(w)}; weights must be finite, ${signed ? '' : 'non-negative and '}within float32's range (3.4e38)`);
    }
    out[i] = w;
    // a positive weight below float32's smallest (1.4e-45) would drop its row from the fit without a word
    if (w > 0 && out[i] === 0 && !float64) {
      throw new SegkitError('E_BAD_OPTION', `option "${option}" at row ${i} is ${w}, which float32 holds as 0 (its smallest positive value is 1.4e-45)`, 'rescale the weights (only their ratios matter)');
    }
    sum += w;
  }
  if (!(sum > 0) && !signed) throw new SegkitError('E_BAD_OPTION', `option "${option}" sums to 0; at least one row needs a positive weight`);
  return out;
}

/**
 * Loads float32 columns into an executor and centres them there (the caller's arrays are never touched): by
 * `offset` when given, else by the column means merged in shard order. The same pass checks every value again
 * (a caller may have changed its arrays since they were checked) and measures the data's range: values whose
 * squared distances would overflow float32 are scaled by a power of two, which changes no comparison.
 */
export async function loadMatrix(ex: Executor, ds: MatrixSource, o: LoadMatrixOptions = {}): Promise<Matrix> {
  const options = loadOptions(o);
  if (o.offset) return centreLoaded(ex, await ex.load(shardSource(ds, o), options), ds, o);
  // the column sums of each shard as soon as its rows are in (on executors that overlap the copy with a pass)
  const { handle, partials } = await loadThenMap(ex, shardSource(ds, o), columnSumsOp, null, options);
  return centreLoaded(ex, handle, ds, o, undefined, sumInShardOrder(partials));
}

/**
 * `loadMatrix` by the column means with the first pass of what follows fused into the centring: each shard is centred
 * and then run through `op` while its values are still in cache, saving a read of every value from memory.
 * `stateOf` gives the pass's state from the offset (the float32 values, as float64), or undefined for no fused pass
 * (the rows are then centred alone). The pass's partials come back when it ran and the rows needed no scaling; else
 * the caller runs its pass as usual.
 */
export async function loadMatrixPassing<S, P>(
  ex: Executor, ds: MatrixSource, o: Omit<LoadMatrixOptions, 'offset'>,
  op: ShardOp<{ offset: Float32Array; then: S }, { sumSquares: number; then: P }>, stateOf: (offset: Float64Array) => S | undefined,
): Promise<{ m: Matrix; partials?: P[] }> {
  const { handle, partials } = await loadThenMap(ex, shardSource(ds, o), columnSumsOp, null, loadOptions(o));
  let passed: P[] | undefined;
  const m = await centreLoaded(ex, handle, ds, o, undefined, sumInShardOrder(partials), async (offset) => {
    const state = stateOf(offset);
    if (state === undefined) return undefined;
    const parts = await ex.map(op, handle, { offset: Float32Array.from(offset), then: state }, { signal: o.signal });
    passed = parts.map((p) => p.then);
    return sumNumbers(parts.map((p) => p.sumSquares));
  });
  return { m, partials: m.scale === 1 ? passed : undefined };
}

type MatrixSource = { n: number; d: number; columns: readonly Float32Array[]; names: readonly string[] };

const loadOptions = (o: LoadMatrixOptions): LoadOptions => ({ replicate: o.replicate, shardRows: o.shardRows, signal: o.signal });

function shardSource(ds: MatrixSource, o: LoadMatrixOptions): ShardSource {
  const rows: Record<string, AnyTypedArray> = { ...(o.rows ?? {}) };
  if (o.weights) rows.weights = o.weights;
  return { columns: ds.columns, rows };
}

/**
 * `loadMatrix` by a given offset fused with one pass: every shard is centred and then run through `op` (whose state
 * carries the float32 offset and the pass's own state), on executors that can while the rest is still copying in.
 * The pass's partials come back unless the rows had to be scaled, in which case the caller runs its pass again.
 */
export async function loadMatrixThen<S, P>(
  ex: Executor, ds: MatrixSource, o: LoadMatrixOptions & { offset: Float64Array },
  op: ShardOp<{ offset: Float32Array; then: S }, { sumSquares: number; then: P }>, state: S,
): Promise<{ m: Matrix; partials?: P[] }> {
  const offset = Float32Array.from(o.offset);
  const { handle, partials } = await loadThenMap(ex, shardSource(ds, o), op, { offset, then: state }, loadOptions(o));
  const m = await centreLoaded(ex, handle, ds, o, sumNumbers(partials.map((p) => p.sumSquares)));
  return { m, partials: m.scale === 1 ? partials.map((p) => p.then) : undefined };
}

const SCAN_SHARD_VALUES = 1 << 18;

/**
 * Runs `op` once over the rows as they are (not centred; shards the calling thread runs are read from the columns
 * and never copied in): an op that centres each block of rows by the float32 `offset` in its own scratch, and
 * returns the shard's sum of squares after centring. That sum must show what a centring load would find: every
 * value finite and no row range that needs scaling. Then the handle comes back (the caller reads the op's per-row
 * outputs and releases it); else, or when vectors of squared norm `alsoSquaredNorm` need scaling, undefined (the
 * handle let go), and the caller loads the rows centred, which names the cell or scales.
 */
export async function loadUncentredThen<S>(
  ex: Executor, ds: MatrixSource, o: { alsoSquaredNorm: number; signal?: AbortSignal }, op: ShardOp<S, number>, state: S,
): Promise<Handle | undefined> {
  if (rangeScale(o.alsoSquaredNorm, 1) !== 1) return undefined;
  // shards of about 1 MiB: the calling thread and the workers meet within a shard's time of each other
  const shardRows = Math.max(1024, Math.floor(SCAN_SHARD_VALUES / ds.d / 16) * 16);
  const { handle, partials } = await scanThenMap(ex, { columns: ds.columns, rows: {} }, op, state, { signal: o.signal, shardRows });
  if (sumNumbers(partials) <= HIGH) return handle;
  await ex.release(handle);
  return undefined;
}

/**
 * The checks, centring and range scaling of `loadMatrix` on loaded rows (`centred`: they were centred by `o.offset`
 * already, with this sum of squares; `sums`: the column sums, already merged in shard order; `centre`: centres the
 * rows by the offset in place of `centreOp`, giving the sum of squares after, or undefined to leave it to `centreOp`).
 */
async function centreLoaded(
  ex: Executor, handle: Handle, ds: MatrixSource, o: LoadMatrixOptions, centred?: number, sums?: Float64Array,
  centre?: (offset: Float64Array) => Promise<number | undefined>,
): Promise<Matrix> {
  const signal = o.signal;
  try {
    const d = ds.d, n = ds.n;
    // names the first value that is not a finite number (the data may have changed since it was checked)
    const refuseNonFinite = async (): Promise<void> => {
      const found = (await ex.map(findNonFiniteOp, handle, null, { signal })).find((p) => p !== null);
      if (!found) return;
      const [row, j] = found;
      const v = ds.columns[j][row];
      if (Number.isFinite(v)) {
        throw new SegkitError('E_NAN_INPUT', `row ${row}, column "${ds.names[j]}" holds ${v}, which overflows float32 once the column is centred`, 'rescale the column (divide it by a power of ten) before clustering');
      }
      throw new SegkitError('E_NAN_INPUT', `row ${row}, column "${ds.names[j]}" holds ${describe(v)}; features must be finite numbers`, 'impute or drop missing values before clustering (see the prep module)');
    };
    let offset = o.offset;
    if (!offset) {
      const total = sums ?? sumInShardOrder(await ex.map(columnSumsOp, handle, null, { signal }));
      if (!total.every(Number.isFinite)) await refuseNonFinite();
      offset = Float64Array.from(total, (s) => s / n);
    }
    // the float32 value is what is subtracted, in fit and predict alike
    offset = Float64Array.from(offset, Math.fround);
    let sumSquares = centred ?? (await centre?.(offset)) ?? sumNumbers(await ex.map(centreOp, handle, { offset: Float32Array.from(offset) }, { signal }));
    if (!Number.isFinite(sumSquares)) await refuseNonFinite();
    let sumSquaresUnweighted = o.weights ? sumNumbers(await ex.map(sumSquaresOp, handle, null, { signal })) : sumSquares;
    const scale = o.modelScale ? rangeScale(o.alsoSquaredNorm ?? 0, 1) : rangeScale(Math.max(sumSquaresUnweighted, o.alsoSquaredNorm ?? 0), n);
    if (scale !== 1) {
      await ex.map(scaleOp, handle, { factor: scale }, { signal });
      sumSquares = sumNumbers(await ex.map(centreOp, handle, { offset: new Float32Array(d) }, { signal }));
      sumSquaresUnweighted = o.weights ? sumNumbers(await ex.map(sumSquaresOp, handle, null, { signal })) : sumSquares;
    }
    // the scale scoring uses, and the factor from this matrix's scale to it
    const scoring = o.modelScale ? scale : rangeScale(o.alsoSquaredNorm ?? 0, 1);
    const toScoring = scoring / scale;
    if ((o.modelScale || o.refuseFar) && sumSquaresUnweighted * toScoring * toScoring > HIGH) {
      // labels compare |c|^2 - 2 x.c (a row's own |x|^2 only enters its distances): a row is refused, the farthest
      // named, only where x.c could leave float32
      const widest = (await ex.map(widestRowOp, handle, null, { signal })).reduce<[number, number] | null>((a, b) => (b && (!a || b[0] > a[0]) ? b : a), null);
      if (widest && Math.sqrt(widest[0]) * toScoring * Math.sqrt(o.alsoSquaredNorm ?? 0) * scoring > HIGH) {
        const row = widest[1];
        let j = 0;
        for (let q = 1; q < d; q++) if (Math.abs(ds.columns[q][row] - offset[q]) > Math.abs(ds.columns[j][row] - offset[j])) j = q;
        throw new SegkitError('E_NAN_INPUT', `row ${row}, column "${ds.names[j]}" holds ${ds.columns[j][row]}: the row lies too far from the model's centres for float32 distances (the centres lie within ${Math.sqrt(o.alsoSquaredNorm ?? 0).toPrecision(3)} of the column means)`,
          o.modelScale ? 'check the row\'s units, or leave it out: every other row is scored the same whatever the batch holds'
            : 'check the row\'s units, or leave it out: this model could not score it, and is unchanged');
      }
    }
    throwIfAborted(signal);
    let totalWeight = n;
    if (o.weights) {
      totalWeight = 0;
      for (let i = 0; i < n; i++) totalWeight += o.weights[i];
    }
    return {
      ex, handle, n, d, names: ds.names, offset, scale, sumSquares, sumSquaresUnweighted, weights: o.weights, totalWeight,
      release: () => ex.release(handle),
    };
  } catch (e) {
    await ex.release(handle);
    throw e;
  }
}

/** Loaded values of the given rows (ascending dataset row numbers), row-major float64, fetched from their shards only. */
export async function fetchRows(m: Matrix, rows: readonly number[], signal?: AbortSignal): Promise<Float64Array> {
  const sorted = Int32Array.from(new Set(rows)).sort();
  const shards = [...new Set(Array.from(sorted, (r) => Math.floor(r / m.handle.shardRows)))];
  const parts = await m.ex.map(rowsOp, m.handle, { rows: sorted }, { shards, signal });
  const all = new Float64Array(sorted.length * m.d);
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  const out = new Float64Array(rows.length * m.d);
  rows.forEach((r, q) => {
    const i = sorted.indexOf(r);
    out.set(all.subarray(i * m.d, (i + 1) * m.d), q * m.d);
  });
  return out;
}
