// right-to-left letters (Hebrew, Arabic, Syriac, Thaana, NKo, their presentation forms, and the scripts of
// U+10800-10FFF and U+1E800-1EFFF) and the bidirectional marks, embeddings, overrides and isolates
const BIDI = /[\u0590-\u08ff\u200e\u200f\u202a-\u202e\u2066-\u2069\ufb1d-\ufdff\ufe70-\ufefe]|\ud802|\ud803|\ud83a|\ud83b/;

/**
 * Text from the data (a column, segment or category name) as it can stand among other text: unchanged unless it holds
 * right-to-left letters or bidirectional controls, else isolated between U+2068 and U+2069, which end any embedding
 * or override it opens, so a name such as "\u202Eabc" cannot show the numbers after it reversed. A U+2069 of its own
 * that closes no isolate of its own is left out (it would end the isolation early), and isolates it leaves open are
 * closed.
 */
export function isolate(text: string): string {
  return BIDI.test(text) ? `\u2068${closeIsolates(text)}\u2069` : text;
}

/** `text` with the isolates it opens and leaves open closed at its end, and any U+2069 that closes none left out. */
export function closeIsolates(text: string): string {
  let open = 0;
  const inner = text.replace(/[\u2066-\u2069]/g, (c) => (c < '\u2069' ? (open++, c) : open > 0 ? (open--, c) : ''));
  return inner + '\u2069'.repeat(open);
}
