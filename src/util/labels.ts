// Checks on text labels (class names, arms, segment names) read from customer files.

/** `want`, or `want (2)`, `want (3)`, ... : the first that `taken` does not hold, then added to it. */
export function freshName(want: string, taken: Set<string>): string {
  let name = want;
  for (let c = 2; taken.has(name); c++) name = `${want} (${c})`;
  taken.add(name);
  return name;
}

/**
 * Two distinct labels that differ only by surrounding whitespace ("gold" and "gold "), or undefined: in exported
 * files these are almost always one label typed twice, and counting them apart splits a group silently.
 */
export function whitespaceTwins(labels: Iterable<string>): [string, string] | undefined {
  const byTrimmed = new Map<string, string>();
  for (const s of labels) {
    const t = s.trim();
    const other = byTrimmed.get(t);
    if (other !== undefined && other !== s) return other < s ? [other, s] : [s, other];
    byTrimmed.set(t, s);
  }
  return undefined;
}
