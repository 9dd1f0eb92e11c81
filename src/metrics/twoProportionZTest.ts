import normalCdf from '#stdlib/normal-cdf';
import { badOption } from '../util/errors.js';

/**
 * Two-sided z-test of p1 = p2 with the pooled proportion (statsmodels' proportions_ztest; the chi-square test of
 * the 2 x 2 table without continuity correction). NaN when both arms are all successes or all failures.
 */
export function twoProportionZTest(x1: number, n1: number, x2: number, n2: number): { statistic: number; pvalue: number } {
  for (const [name, x, n] of [['1', x1, n1], ['2', x2, n2]] as const) {
    if (!Number.isInteger(n) || n < 1) throw badOption(`n${name}`, n, 'a positive integer (trials)');
    if (!Number.isInteger(x) || x < 0 || x > n) throw badOption(`x${name}`, x, `an integer from 0 to ${n}`);
  }
  const p = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  const statistic = (x1 / n1 - x2 / n2) / se;
  return { statistic, pvalue: Number.isFinite(statistic) ? 2 * normalCdf(-Math.abs(statistic), 0, 1) : NaN };
}
