// Text ids and keys against number ones: the forms a number column prints for the value a text cell holds.

/**
 * How a number column writes the value a text id or key holds: an integer exactly (BigInt, as an Int64 column prints
 * it, and as a float64 prints it only when it holds the integer exactly: "9007199254740993" is not 9007199254740992),
 * other decimal numbers as their float64; none for other text.
 */
function numberTexts(k: string): string[] {
  const t = k.trim();
  if (t === '') return [];
  if (/^[+-]?\d+$/.test(t)) {
    const b = BigInt(t);
    const x = Number(b);
    return Number.isFinite(x) && BigInt(x) === b ? [b.toString(), String(x)] : [b.toString()];
  }
  // decimal numbers only: JavaScript also reads "0x10" as 16, which no number column writes for a customer
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return [];
  const x = Number(t);
  return Number.isFinite(x) ? [String(x)] : [];
}

/**
 * The first text value (row, and the number form it matches) that equals one of `numbers` (as a number column
 * prints them) only once read as a number: "00042" against 42, never "42" against 42.
 */
export function textNumberClash(text: readonly (string | null)[], numbers: ReadonlySet<string | null>): { row: number; form: string } | undefined {
  for (let row = 0; row < text.length; row++) {
    const k = text[row];
    if (k === null) continue;
    const form = numberTexts(k).find((f) => f !== k && numbers.has(f));
    if (form !== undefined) return { row, form };
  }
  return undefined;
}
