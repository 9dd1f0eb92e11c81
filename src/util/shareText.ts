/**
 * `x` to `decimals` decimals, or two significant digits below 0.01, where those decimals would read a small value as
 * 0.00 or -0.00 (means of an outcome in thousands, a rare conversion's percentage points).
 */
export const fixedOrTwoDigits = (x: number, decimals: number): string => (x !== 0 && Math.abs(x) < 0.01 ? x.toPrecision(2) : x.toFixed(decimals));

/** A share in percent to one decimal; a share above 0 never reads 0.0%, nor one below 1 100.0% (<0.1%, >99.9%). */
export function formatShare(v: number): string {
  const t = (v * 100).toFixed(1);
  return t === '0.0' && v > 0 ? '<0.1%' : t === '100.0' && v < 1 ? '>99.9%' : `${t}%`;
}
