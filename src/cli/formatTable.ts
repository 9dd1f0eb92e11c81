import { isolate } from '../util/bidiText.js';

/**
 * A number for people: thousands separators from 1,000 up, 2 or 1 decimals above 1 and 100, 3 decimals below 1, and 2
 * significant digits below 0.01 (an exponent below 1e-6), so a small value never reads as zero and keeps its sign.
 */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a === 0) return '0';
  // rounded half away from zero, as toFixed does; 999.96 reads "1,000", not "1000.0"
  if (Number.isInteger(v) || a >= 999.95) return v.toLocaleString('en-US', { maximumFractionDigits: 0 });
  if (a >= 99.995) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a >= 0.01) return v.toFixed(3);
  return v.toPrecision(2);
}

export { formatShare } from '../util/shareText.js';

/** "1 feature", "16 features": a count with its noun. */
export function counted(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

/**
 * A plain-text table: columns padded to their widest cell, numbers (`right`) aligned right. A cell holding
 * right-to-left text or bidirectional controls is isolated (see isolate), so it cannot reorder the cells after it;
 * the two invisible marks do not count toward its width.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[] = []): string {
  const widths = headers.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? '').length)));
  const pad = (c: string, w: number, start: boolean) => {
    const fill = ' '.repeat(Math.max(0, w - c.length));
    return start ? fill + isolate(c) : isolate(c) + fill;
  };
  const line = (cells: readonly string[]) =>
    cells
      .map((c, j) => pad(c, widths[j], !!right[j]))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w, j) => (headers[j] ? '-'.repeat(w) : ''))), ...rows.map(line)].join('\n');
}
