/** A share in percent to one decimal; a share above 0 never reads 0.0%, nor one below 1 100.0% (<0.1%, >99.9%). */
export function formatShare(v: number): string {
  const t = (v * 100).toFixed(1);
  return t === '0.0' && v > 0 ? '<0.1%' : t === '100.0' && v < 1 ? '>99.9%' : `${t}%`;
}
