// The shard op that labels a snapshot's rows as they load and makes pass 1 of its drift statistics on the same shard.
import { defineOp } from '../engine/shardOp.js';
import { labelUncentredOp } from '../core/kmeansOps.js';
import { scanScratch, scanShard, type ScanPartial, type ScanState } from '../metrics/driftOps.js';

export interface LabelScanState {
  /** labelUncentredOp's state: the model's offset, float32 centres and their norms. */
  label: { offset: Float32Array; cent: Float32Array; norms: Float32Array; k: number };
  scan: ScanState;
}

/**
 * labelUncentredOp and then pass 1 of the drift statistics on the shard just labelled, so a snapshot that is loaded
 * and labelled needs no pass of its own for its histograms. Returns the shard's sum of squares after centring (for
 * the range check that decides whether the labels stand) and the scan partial.
 */
export const driftLabelScanOp = defineOp<LabelScanState, { sumSquares: number; scan: ScanPartial }>({
  name: 'drift.labelScan',
  rows: (s, d) => labelUncentredOp.rows!(s.label, d),
  scratchBytes: (s, d, shardRows) => Math.max(labelUncentredOp.scratchBytes!(s.label, d, shardRows), scanScratch(s.scan, d, shardRows)),
  run(sh, s) {
    const sumSquares = labelUncentredOp.run(sh, s.label) as number;
    sh.scratch.reset();
    return { sumSquares, scan: scanShard(sh, s.scan) };
  },
}, import.meta.url);
