import normalQuantile from '#stdlib/normal-quantile';
import { badOption } from '../util/errors.js';

/** Wilson's score interval for x successes in n trials. */
export function wilsonInterval(x: number, n: number, z: number): [number, number] {
  const p = x / n;
  const den = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / den;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / den;
  return [centre - half, centre + half];
}

function checkCount(name: string, x: number, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw badOption(`n${name}`, n, 'a positive integer (trials)');
  if (!Number.isInteger(x) || x < 0 || x > n) throw badOption(`x${name}`, x, `an integer from 0 to n${name} = ${n} (successes)`);
}

/**
 * Newcombe's (1998) hybrid score interval (method 10, no continuity correction) for the difference of two
 * proportions x1/n1 - x2/n2: Wilson intervals per arm, combined. statsmodels' confint_proportions_2indep(method='newcomb').
 * @example
 * newcombeInterval(56, 70, 48, 80); // [0.0524, 0.3339]
 */
export function newcombeInterval(x1: number, n1: number, x2: number, n2: number, confidence = 0.95): [number, number] {
  checkCount('1', x1, n1);
  checkCount('2', x2, n2);
  if (typeof confidence !== 'number' || !(confidence > 0 && confidence < 1)) throw badOption('confidence', confidence, 'a number between 0 and 1');
  // the quantile of the tail probability itself: 1 - (1 - confidence) / 2 would round it, and z with it by 2e-6 of
  // its value at confidence 1 - 1e-12 (statsmodels takes norm.isf(alpha / 2))
  const z = -normalQuantile((1 - confidence) / 2, 0, 1);
  const p1 = x1 / n1, p2 = x2 / n2;
  const [l1, u1] = wilsonInterval(x1, n1, z);
  const [l2, u2] = wilsonInterval(x2, n2, z);
  const d = p1 - p2;
  return [d - Math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + Math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)];
}
