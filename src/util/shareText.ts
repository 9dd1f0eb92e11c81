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

/**
 * A PSI to three decimals, or as many more as keep it on its own side of the thresholds of its level: 0.2495, below
 * a significant shift's 0.25, reads 0.2495, never 0.250 beside the word "moderate".
 */
export function psiFigure(psi: number, t?: { readonly psiModerate: number; readonly psiSignificant: number }): string {
  let s = psi.toFixed(3);
  const levels = t ? [t.psiModerate, t.psiSignificant] : [];
  for (let p = 4; p <= 20 && levels.some((h) => Number(s) >= h !== psi >= h); p++) s = psi.toFixed(p);
  return s;
}
