// The shard op of scoring a k-means model behind an imputer and a scaler with the preparation in the pass (the command
// line's `score`): a module of its own, so bundles that never score that way leave it and the conversion out.
import { centreAssignCopyShard, copyBlockStride } from '../kernels/assign.js';
import { rowValues, shardColumn, type Shard } from '../kernels/shard.js';
import { defineOp, type RowSpec } from '../engine/shardOp.js';
import { convertValues, type ValueStep } from '../prep/convertValues.js';
import { SegkitError } from '../util/errors.js';

const LABELS: RowSpec = { type: 'i32', fill: -1 };

/** A feature's null bitmap: column j's row i is missing where bit offset + i is clear. */
export interface NullBits { j: number; bits: Uint8Array; offset: number }

interface TransformLabelState { steps: ValueStep[]; nulls: NullBits[]; offset: Float32Array; cent: Float32Array; norms: Float32Array; k: number }
interface TransformLabelPartial { filled: number[]; ok: boolean; sumSquares: number }

/**
 * Labels rows loaded as a table holds them (float64, before preparation): each block of rows is converted by the
 * pipeline's imputer and scaler (`convertValues`: the float32 values the column-by-column transform makes, a null
 * as a missing value) into
 * scratch, centred there by the model's offset and labelled, so the conversion runs on every thread. `ok` is false
 * when a value does not convert to a finite float32 (the caller then takes the step-by-step path, which names it);
 * `filled` counts the imputed values per feature, `sumSquares` is the sum of squares after centring. Shards the
 * calling thread runs itself convert straight from the source columns (`runFrom`), which are then never copied in.
 */
export const transformLabelOp = defineOp<TransformLabelState, TransformLabelPartial>({
  name: 'kmeans.transformLabel',
  rows: () => ({ labels: LABELS }),
  scratchBytes: (_s, d) => 4 * d * copyBlockStride(d) + 64,
  run(sh, s) {
    // views made once the scratch is taken (taking it may grow the memory, which would detach earlier views)
    let cols: Float64Array[] | undefined;
    return transformLabel(sh, s, (j) => (cols ??= Array.from({ length: sh.d }, (_, q) => shardColumn(sh, q) as Float64Array))[j], 0);
  },
  // each block's values converted from the source columns, which are never copied in
  runFrom(sh, s, columns) {
    return transformLabel(sh, s, (j) => columns[j] as Float64Array, sh.start);
  },
}, import.meta.url);

/** The op's pass over one shard, column j's values for the shard's row r at `column(j)[base + r]`. */
function transformLabel(sh: Shard, s: TransformLabelState, column: (j: number) => Float64Array, base: number): TransformLabelPartial {
  if (sh.dtype !== 'f64') throw new SegkitError('E_EXECUTOR', 'kmeans.transformLabel needs rows loaded as float64');
  rowValues(sh, 'labels', 'i32').fill(-1);
  const d = sh.d;
  const filled = new Array<number>(d).fill(0);
  const nulls = new Array<NullBits | undefined>(d);
  for (const z of s.nulls) nulls[z.j] = z;
  let ok = true;
  // each block's columns converted into scratch where predict's rows would be copied, then centred and labelled
  const sumSquares = centreAssignCopyShard(sh, { cent: s.cent, norms: s.norms, k: s.k, labels: 'labels' }, s.offset, (mem, at, j, r, b) => {
    const z = nulls[j];
    const got = convertValues(column(j), b, z?.bits, z ? z.offset + sh.start + r : 0, mem, at, s.steps[j], base + r);
    if (got < 0) return (ok = false);
    filled[j] += got;
    return true;
  });
  return { filled, ok, sumSquares };
}
