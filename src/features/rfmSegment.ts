import { badOption } from '../util/errors.js';

export type RfmSegmentName =
  | 'Champions'
  | 'Loyal'
  | 'Potential Loyalist'
  | 'New Customers'
  | 'Promising'
  | 'Need Attention'
  | 'About to Sleep'
  | 'At Risk'
  | "Can't Lose Them"
  | 'Hibernating';

/** The segment of a customer whose every order was cancelled: no scores, never a grid cell. */
export const CANCELLED_SEGMENT = 'Cancelled';

/** One cell range of the R-by-FM grid: both bounds inclusive, scores 1-5. */
export interface RfmSegmentRule {
  readonly segment: RfmSegmentName;
  readonly r: readonly [number, number];
  readonly fm: readonly [number, number];
}

/*
 * The widely used 5x5 R-by-FM grid (the regex map popularised by the Kaggle and Putler RFM write-ups,
 * `[1-2][1-2]` Hibernating ... `5[4-5]` Champions), with FM = round-half-up((F + M) / 2).
 * The ten ranges tile the grid exactly once:
 *
 *          FM=1            FM=2                FM=3                FM=4            FM=5
 *   R=5    New Customers   Potential Loyalist  Potential Loyalist  Champions       Champions
 *   R=4    Promising       Potential Loyalist  Potential Loyalist  Loyal           Loyal
 *   R=3    About to Sleep  About to Sleep      Need Attention      Loyal           Loyal
 *   R=2    Hibernating     Hibernating         At Risk             At Risk         Can't Lose Them
 *   R=1    Hibernating     Hibernating         At Risk             At Risk         Can't Lose Them
 *
 * Hibernating is the segment some write-ups call Lost.
 */
export const RFM_SEGMENT_RULES: readonly RfmSegmentRule[] = Object.freeze(
  (
    [
      ['Champions', [5, 5], [4, 5]],
      ['Loyal', [3, 4], [4, 5]],
      ['Potential Loyalist', [4, 5], [2, 3]],
      ['New Customers', [5, 5], [1, 1]],
      ['Promising', [4, 4], [1, 1]],
      ['Need Attention', [3, 3], [3, 3]],
      ['About to Sleep', [3, 3], [1, 2]],
      ['At Risk', [1, 2], [3, 4]],
      ["Can't Lose Them", [1, 2], [5, 5]],
      ['Hibernating', [1, 2], [1, 2]],
    ] as const
  ).map(([segment, r, fm]) => Object.freeze({ segment, r: Object.freeze(r), fm: Object.freeze(fm) })),
);

// GRID[(r - 1) * 5 + (fm - 1)] is the index of the rule covering that cell.
const GRID = new Int8Array(25).fill(-1);
RFM_SEGMENT_RULES.forEach((rule, i) => {
  for (let r = rule.r[0]; r <= rule.r[1]; r++) for (let fm = rule.fm[0]; fm <= rule.fm[1]; fm++) GRID[(r - 1) * 5 + fm - 1] = i;
});

/** FM: the mean of the F and M scores, halves rounded up. */
export const fmScore = (f: number, m: number): number => (f + m + 1) >> 1;

/** Index into RFM_SEGMENT_RULES for already-checked integer scores; the hot path of `rfm`. */
export const rfmSegmentIndex = (r: number, f: number, m: number): number => GRID[(r - 1) * 5 + fmScore(f, m) - 1];

function checkScore(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1 || v > 5) throw badOption(name, v, 'an integer score from 1 to 5');
}

/**
 * The named segment of an R, F, M score triple, by RFM_SEGMENT_RULES.
 * @example rfmSegment(5, 4, 5) // 'Champions'
 */
export function rfmSegment(r: number, f: number, m: number): RfmSegmentName {
  checkScore('r', r);
  checkScore('f', f);
  checkScore('m', m);
  return RFM_SEGMENT_RULES[rfmSegmentIndex(r, f, m)].segment;
}
