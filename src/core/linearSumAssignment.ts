import { ceilLog2, ldexp } from '../util/detMath.js';
import { SegkitError, badOption, describe } from '../util/errors.js';

/** Costs up to 2^this leave the potentials far from float64's limit (1.8e308). */
const SAFE_EXPONENT = 900;

/**
 * The minimum-cost assignment of rows to columns (scipy.optimize.linear_sum_assignment): the Hungarian method
 * (Kuhn 1955, Munkres 1957) with potentials and shortest augmenting paths, O(r^2 c) for r <= c. A rectangular
 * matrix assigns every row of the smaller side; rows are returned ascending with their column. A cost of +Infinity
 * forbids its pair, as in SciPy; a matrix whose every complete assignment takes a forbidden pair is `E_BAD_OPTION`
 * ("infeasible"). NaN and -Infinity are refused.
 * @example
 * linearSumAssignment([[4, 1, 3], [2, 0, 5], [3, 2, 2]]); // { rows: [0, 1, 2], cols: [1, 0, 2], cost: 5 }
 */
export function linearSumAssignment(cost: readonly (readonly number[])[]): { rows: number[]; cols: number[]; cost: number } {
  if (!Array.isArray(cost)) throw badOption('cost', cost, 'a matrix (array of rows)');
  const r = cost.length;
  if (r === 0) return { rows: [], cols: [], cost: 0 };
  const c = cost[0]?.length ?? 0;
  // indexed loops: forEach passes over a hole ([1, , 3]), which then entered the search as NaN
  for (let i = 0; i < r; i++) {
    const row = cost[i];
    // (row 0 sets the length the others must have: a row 0 without one, null say, gives none to name)
    if (!Array.isArray(row)) throw new SegkitError('E_RAGGED_ROWS', `cost row ${i} is ${describe(row)}, not an array of ${typeof cost[0]?.length === 'number' ? `${c} ` : ''}numbers`);
    if (row.length !== c) throw new SegkitError('E_RAGGED_ROWS', `cost row ${i} has ${row.length} values, row 0 has ${c}`);
    for (let j = 0; j < c; j++) {
      const v = row[j];
      if (typeof v !== 'number' || Number.isNaN(v) || v === -Infinity) {
        throw new SegkitError('E_NAN_INPUT', `cost[${i}][${j}] is ${describe(v)}; costs must be numbers, or +Infinity for a pair that may not be taken`);
      }
    }
  }
  if (c === 0) return { rows: [], cols: [], cost: 0 };
  // work on n <= m (rows no more than columns), transposing when needed
  const flip = r > c;
  const n = flip ? c : r, m = flip ? r : c;
  // the potentials and reduced costs reach a few times the largest cost: costs near float64's limit would overflow them
  // (Infinity - Infinity is NaN, and the search for a column then never ends), so those are scaled by a power of two,
  // which keeps every cost's ratio to the others and so the optimal assignment
  let big = 0;
  for (const row of cost) for (const x of row) if (x !== Infinity) big = Math.max(big, Math.abs(x));
  const scale = big > 2 ** SAFE_EXPONENT ? ldexp(1, SAFE_EXPONENT - ceilLog2(big)) : 1;
  const a = (i: number, j: number): number => scale * (flip ? cost[j - 1][i - 1] : cost[i - 1][j - 1]);
  const u = new Float64Array(n + 1), v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1), way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(Infinity);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity, j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = a(i0, j) - u[i0] - v[j];
        if (cur < minv[j]) { minv[j] = cur; way[j] = j0; }
        if (minv[j] < delta) { delta = minv[j]; j1 = j; }
      }
      // no column is reachable at a finite cost: every assignment of the rows so far takes a forbidden pair
      if (delta === Infinity) {
        const [one, other] = flip ? ['column', 'row'] : ['row', 'column'];
        const who = i === 1 ? `${one} 0 can take no ${other}` : `${one}s 0 to ${i - 1} cannot each take a different ${other}`;
        throw new SegkitError('E_BAD_OPTION', `the cost matrix is infeasible: ${who} without a cost of +Infinity`);
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) { u[p[j]] += delta; v[j] -= delta; } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  const pairs: [number, number][] = [];
  for (let j = 1; j <= m; j++) if (p[j]) pairs.push(flip ? [j - 1, p[j] - 1] : [p[j] - 1, j - 1]);
  pairs.sort((x, y) => x[0] - y[0]);
  let total = 0;
  for (const [i, j] of pairs) total += cost[i][j];
  return { rows: pairs.map((q) => q[0]), cols: pairs.map((q) => q[1]), cost: total };
}
