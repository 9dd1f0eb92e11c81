import { describe, expect, it } from 'vitest';
import { formatNumber, formatShare } from '../src/cli/formatTable.js';
import { fmtPct } from '../src/report/chartSpecs.js';

describe('formatNumber (numbers in the command line tables and explanations)', () => {
  it('keeps the significant digits and the sign of a small non-zero value', () => {
    expect(formatNumber(0.0004)).toBe('0.00040');
    expect(formatNumber(-0.0004)).toBe('-0.00040');
    expect(formatNumber(0.0015)).toBe('0.0015');
    expect(formatNumber(0.00999)).toBe('0.010');
    expect(formatNumber(1e-9)).toBe('1.0e-9');
    expect(formatNumber(-2.5e-12)).toBe('-2.5e-12');
    expect(formatNumber(Number.MIN_VALUE)).not.toMatch(/^-?0(\.0*)?$/);
  });

  it('shows zero, negative zero included, as 0', () => {
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(-0)).toBe('0');
  });

  it('reads a value that rounds up to 1,000 with a thousands separator, and rounds negative halves away from zero', () => {
    expect(formatNumber(999.96)).toBe('1,000');
    expect(formatNumber(-999.96)).toBe('-1,000');
    expect(formatNumber(99.996)).toBe('100.0');
    expect(formatNumber(-1234.5)).toBe('-1,235');
    expect(formatNumber(1234.5)).toBe('1,235');
  });

  it('keeps the usual forms elsewhere', () => {
    expect(formatNumber(0.012)).toBe('0.012');
    expect(formatNumber(-0.3)).toBe('-0.300');
    expect(formatNumber(12.345)).toBe('12.35');
    expect(formatNumber(123.45)).toBe('123.5');
    expect(formatNumber(1234567)).toBe('1,234,567');
    expect(formatNumber(42)).toBe('42');
    expect(formatNumber(NaN)).toBe('–');
    expect(formatNumber(Infinity)).toBe('–');
    expect(formatNumber(null)).toBe('–');
    expect(formatNumber(undefined)).toBe('–');
  });
});

describe('shares in percent (command line and report)', () => {
  it('never shows a share above 0 as 0.0%, nor one below 1 as 100.0%', () => {
    for (const f of [formatShare, fmtPct]) {
      // 3 customers of 10,000; 9,997 of 10,000
      expect([3 / 10000, 9997 / 10000, 0, 1, 0.5, 0.0005, 0.9994, 0.123456].map(f)).toEqual(['<0.1%', '>99.9%', '0.0%', '100.0%', '50.0%', '0.1%', '99.9%', '12.3%']);
    }
  });
});
