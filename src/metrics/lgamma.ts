// logarithms from detMath, not Math: engines differ in the last bit, and a score must be the same in a browser
import { log, sin } from '../util/detMath.js';
// 0.5 * ln(2 pi)
const HALF_LOG_2PI = 0.91893853320467274178;
// Below this the Stirling series is not yet accurate to a double; smaller arguments are shifted up to it.
const STIRLING_MIN = 15;

// ln((k)!) for k = 0..22: every k! up to 22! is an exact double, so these are correctly rounded logs.
const LOG_FACTORIAL = (() => {
  const t = new Float64Array(23);
  let f = 1;
  for (let k = 1; k < t.length; k++) {
    f *= k;
    t[k] = log(f);
  }
  return t;
})();

// Stirling's series for ln Gamma(x), x >= 15, through the 1/x^13 term (Abramowitz and Stegun 6.1.41); the first
// omitted term is below 1e-19 there.
function stirling(x: number): number {
  const r = 1 / x;
  const r2 = r * r;
  const series =
    r * (1 / 12 + r2 * (-1 / 360 + r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360 + r2 * (1 / 156)))))));
  return (x - 0.5) * log(x) - x + HALF_LOG_2PI + series;
}

/**
 * ln |Gamma(x)|, as C's `lgamma` and scipy's `gammaln`. Integers up to 23 come from exact factorials (so
 * lgamma(1) = lgamma(2) = 0 exactly), x >= 15 from Stirling's series, other x > 0 from Stirling's series shifted
 * by the recurrence Gamma(x + 1) = x Gamma(x), and x < 0.5 from the reflection formula. Relative error is a few
 * ulp, absolute error below 1e-14 near the roots at 1 and 2.
 */
export function lgamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity || x === -Infinity) return Infinity;
  const integer = Number.isInteger(x);
  if (integer) {
    if (x <= 0) return Infinity;
    if (x <= LOG_FACTORIAL.length) return LOG_FACTORIAL[x - 1];
  }
  if (x >= STIRLING_MIN) return stirling(x);
  // |sin(pi x)| from x less its nearest integer (exact): pi x itself rounds by ulp(pi x), all of sin near an integer
  if (x < 0.5) return log(Math.PI / Math.abs(sin(Math.PI * (x - Math.round(x))))) - lgamma(1 - x);
  let z = x;
  let product = 1;
  while (z < STIRLING_MIN) {
    product *= z;
    z += 1;
  }
  return stirling(z) - log(product);
}
