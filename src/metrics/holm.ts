import { badOption } from '../util/errors.js';

/**
 * Holm's (1979) step-down adjustment of m p-values (statsmodels multipletests(method='holm')): sorted ascending,
 * adjusted_(i) = min(1, max_{j <= i} (m - j + 1) p_(j)); a hypothesis is rejected where adjusted <= alpha.
 * It controls the family-wise error rate under any dependence. NaN p-values stay NaN and do not count in m.
 * @example
 * holm([0.01, 0.04, 0.03, 0.005, 0.2]).adjusted; // [0.04, 0.09, 0.09, 0.025, 0.2]
 */
export function holm(pvalues: readonly number[], alpha = 0.05): { adjusted: number[]; reject: boolean[] } {
  if (!Array.isArray(pvalues)) throw badOption('pvalues', pvalues, 'an array of p-values');
  // a confidence (95) or a share given as text would reject every hypothesis, NaN none
  if (typeof alpha !== 'number' || !(alpha > 0 && alpha < 1)) throw badOption('alpha', alpha, 'a number between 0 and 1 (the family-wise error rate, e.g. 0.05)');
  // index by index: forEach and map skip the holes of a sparse array, which would leave a test out of m unrefused
  for (let i = 0; i < pvalues.length; i++) {
    const p = pvalues[i];
    if (typeof p !== 'number' || p < 0 || p > 1) throw badOption(`pvalues[${i}]`, p, 'a number from 0 to 1 (or NaN)');
  }
  const order = pvalues.map((_, i) => i).filter((i) => !Number.isNaN(pvalues[i])).sort((a, b) => pvalues[a] - pvalues[b] || a - b);
  const m = order.length;
  const adjusted = pvalues.map(() => NaN);
  let running = 0;
  order.forEach((i, rank) => {
    running = Math.max(running, (m - rank) * pvalues[i]);
    adjusted[i] = Math.min(1, running);
  });
  return { adjusted, reject: adjusted.map((a) => a <= alpha) };
}
