// The shard op of scoring a k-means model behind an imputer and a scaler with the preparation in the pass (the command
// line's `score`): a module of its own, so bundles that never score that way leave it and the conversion out.
import { copyBlockRows, copyBlockStride } from '../kernels/assign.js';
import { rowPtr, rowValues, scratchCopy, shardColumn } from '../kernels/shard.js';
import { defineOp, type RowSpec } from '../engine/shardOp.js';
import { convertValues, type ValueStep } from '../prep/convertValues.js';
import { SegkitError } from '../util/errors.js';

const LABELS: RowSpec = { type: 'i32', fill: -1 };

/**
 * Labels rows loaded as a table holds them (float64, before preparation): each block of rows is converted by the
 * pipeline's imputer and scaler (`convertValues`: the float32 values the column-by-column transform makes) into
 * scratch, centred there by the model's offset and labelled, so the conversion runs on every thread. `ok` is false
 * when a value does not convert to a finite float32 (the caller then takes the step-by-step path, which names it);
 * `filled` counts the imputed values per feature, `sumSquares` is the sum of squares after centring.
 */
export const transformLabelOp = defineOp<
  { steps: ValueStep[]; offset: Float32Array; cent: Float32Array; norms: Float32Array; k: number },
  { filled: number[]; ok: boolean; sumSquares: number }
>({
  name: 'kmeans.transformLabel',
  rows: () => ({ labels: LABELS }),
  scratchBytes: (_s, d) => 4 * d * copyBlockStride(d) + 64,
  run(sh, s) {
    if (sh.dtype !== 'f64') throw new SegkitError('E_EXECUTOR', 'kmeans.transformLabel needs rows loaded as float64');
    rowValues(sh, 'labels', 'i32').fill(-1);
    const k = s.k, d = sh.d, B = copyBlockRows(d), S = copyBlockStride(d);
    const cent = scratchCopy(sh, s.cent), cnorm = scratchCopy(sh, s.norms), off = scratchCopy(sh, s.offset);
    const block = sh.scratch.alloc(4 * d * S);
    const labels = rowPtr(sh, 'labels');
    const kern = sh.mem.kernels;
    const cols = Array.from({ length: d }, (_, j) => shardColumn(sh, j) as Float64Array);
    const filled = new Array<number>(d).fill(0);
    let sumSquares = 0, ok = true;
    for (let r = 0; r < sh.rows && ok; r += B) {
      const b = Math.min(B, sh.rows - r);
      const mem = new Float32Array(sh.mem.memory.buffer);
      for (let j = 0; j < d && ok; j++) {
        const got = convertValues(cols[j], b, undefined, 0, mem, (block >>> 2) + j * S, s.steps[j], r);
        if (got < 0) ok = false;
        else filled[j] += got;
      }
      if (!ok) break;
      sumSquares += kern.centerColumns(block, S, d, 0, b, off, 0);
      kern.assign(block, S, d, 0, b, cent, cnorm, k, labels + 4 * (sh.row0 + r), 0, 0, 0);
    }
    return { filled, ok, sumSquares };
  },
}, import.meta.url);
