// Text labels that look alike on screen but are different strings: the same letters composed and decomposed.

/** A string with every character outside printable ASCII written as \uXXXX, so that two look-alikes show apart. */
const escaped = (s: string): string => JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * A note when two of `labels` differ only by Unicode normalisation ("café" with a composed é, U+00E9, and with an e
 * and a combining accent, U+0301), which read as the same word but are different strings: they are counted as two
 * segments or classes, as scikit-learn and pandas count different strings, and the note says so, showing the two
 * forms apart. Undefined when there is no such pair.
 */
export function normalisationNote(labels: Iterable<string>, option: string, column: string): string | undefined {
  const byForm = new Map<string, string>();
  const pairs: [string, string][] = [];
  for (const s of labels) {
    const form = s.normalize('NFC');
    const other = byForm.get(form);
    if (other !== undefined && other !== s) pairs.push(other < s ? [other, s] : [s, other]);
    else byForm.set(form, s);
  }
  if (pairs.length === 0) return undefined;
  const [a, b] = pairs[0];
  const more = pairs.length > 1 ? ` (and ${pairs.length - 1} more such pair${pairs.length > 2 ? 's' : ''})` : '';
  return `${option}: column "${column}" holds ${escaped(a)} and ${escaped(b)}${more}, which look alike but differ in Unicode normalisation (composed and decomposed accents); they count as two labels, as different text does: write the labels in one form (NFC) to count them as one`;
}
