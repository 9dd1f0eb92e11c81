/** A number for people: thousands separators for large values, 3 significant decimals for small ones. */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (Number.isInteger(v) || a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a === 0) return '0';
  return v.toFixed(3);
}

export const formatShare = (v: number): string => `${(v * 100).toFixed(1)}%`;

/** A plain-text table: columns padded to their widest cell, numbers (`right`) aligned right. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[] = []): string {
  const widths = headers.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, j) => (right[j] ? c.padStart(widths[j]) : c.padEnd(widths[j])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w, j) => (headers[j] ? '-'.repeat(w) : ''))), ...rows.map(line)].join('\n');
}
