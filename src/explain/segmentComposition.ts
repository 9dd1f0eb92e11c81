import { SegkitError, badOption, describe } from '../util/errors.js';
import { checkOptions, orDefault } from '../util/options.js';
import { binaryKey, valueReader } from '../data/utf8Text.js';

export interface CompositionGroup {
  readonly group: string;
  readonly count: number;
  /** Share of the segment's customers in this group. */
  readonly share: number;
  /** Share of all customers in this group. */
  readonly overallShare: number;
  /** share - overallShare (0.12: twelve percentage points more than in the whole base). */
  readonly difference: number;
  /** |difference| > threshold, the difference taken exactly from the counts (an exact 10 points is not more than 0.1). */
  readonly flagged: boolean;
}

export interface SegmentComposition {
  readonly threshold: number;
  /** Groups of the attribute, largest first (those named in `order` first, in that order), with their share of all customers. */
  readonly overall: readonly { readonly group: string; readonly count: number; readonly share: number }[];
  readonly segments: readonly { readonly segment: number; readonly size: number; readonly groups: readonly CompositionGroup[] }[];
  /** Every flagged (segment, group), largest difference first. */
  readonly flagged: readonly (CompositionGroup & { readonly segment: number })[];
}

export const MISSING_GROUP = '(missing)';

/**
 * Each segment's mix of an attribute (gender, age band, region) against the whole customer base, flagging the
 * segments where a group's share differs by more than `threshold` (default 0.1: ten percentage points). Missing
 * values form their own group, "(missing)" (or "((missing))" when a value is itself the text "(missing)", which stays
 * a group of its own). Rows with a negative segment (unassigned) count in neither. `attribute` is an array or an
 * Arrow column (`table.getChild('gender')`). `order` lists groups to show first, in that order (bands of a number,
 * lowest first); the rest follow, largest first.
 * @example
 * segmentComposition(labels, customers.gender).flagged; // [{ segment: 2, group: 'female', share: 0.71, overallShare: 0.52, ... }]
 */
export function segmentComposition(
  labels: ArrayLike<number>,
  attribute: ArrayLike<string | number | null | undefined> | { readonly length: number; get(index: number): unknown },
  options: { threshold?: number; order?: readonly string[] } = {},
): SegmentComposition {
  checkOptions(options, ['threshold', 'order'], 'segmentComposition');
  const order = orDefault<readonly string[], readonly string[]>(options.order, []);
  if (!Array.isArray(order) || order.some((g) => typeof g !== 'string')) throw badOption('order', order, 'an array of group names');
  const rank = new Map(order.map((g, q) => [g, q]));
  const threshold = orDefault(options.threshold, 0.1);
  if (typeof threshold !== 'number' || !(threshold >= 0 && threshold < 1)) throw badOption('threshold', threshold, 'a number from 0 up to, not including, 1');
  if (!labels || typeof labels.length !== 'number') throw new SegkitError('E_BAD_LABELS', `labels must be an array of segment ids, got ${describe(labels)}`);
  // a string has a length too: its characters would be read as the customers' values
  if (!attribute || typeof attribute.length !== 'number' || typeof attribute === 'string' || attribute instanceof String) throw new SegkitError('E_BAD_OPTION', `attribute must be an array of values, got ${describe(attribute)}`);
  if (attribute.length !== labels.length) throw new SegkitError('E_SHAPE_MISMATCH', `attribute has ${attribute.length} values for ${labels.length} labels`);
  // missing values are counted under null, apart from any value that reads "(missing)"
  // an Arrow column (a table's getChild) is read with get(): indexed, it gives undefined for every row, all "(missing)"
  // text keeps a U+FEFF that begins it ("\uFEFFwomen" is not "women"), and Binary reads as binaryKey gives it
  const at = (attribute as { get?: unknown }).get ? valueReader(attribute as never) : (i: number) => (attribute as ArrayLike<unknown>)[i];
  const groupOf = (v: unknown) => (v === null || v === undefined || v === '' || (typeof v === 'number' && Number.isNaN(v)) ? null : v instanceof Uint8Array ? binaryKey(v) : String(v));
  const total = new Map<string | null, number>();
  const per = new Map<number, Map<string | null, number>>();
  let n = 0;
  for (let i = 0; i < labels.length; i++) {
    const s = labels[i];
    if (!Number.isInteger(s)) throw new SegkitError('E_BAD_LABELS', `row ${i} has segment ${describe(s)}, not an integer`);
    if (s < 0) continue;
    const g = groupOf(at(i));
    total.set(g, (total.get(g) ?? 0) + 1);
    if (!per.has(s)) per.set(s, new Map());
    const m = per.get(s)!;
    m.set(g, (m.get(g) ?? 0) + 1);
    n++;
  }
  if (n === 0) throw new SegkitError('E_EMPTY_DATA', 'no row has a segment');
  let missing = MISSING_GROUP;
  while (total.has(missing)) missing = `(${missing})`;
  const overall = [...total].map(([key, count]) => ({ key, group: key ?? missing, count, share: count / n }))
    .sort((a, b) => (rank.get(a.group) ?? Infinity) - (rank.get(b.group) ?? Infinity) || b.count - a.count || (a.group < b.group ? -1 : 1));
  const segments = [...per.keys()].sort((a, b) => a - b).map((segment) => {
    const m = per.get(segment)!;
    let size = 0;
    for (const c of m.values()) size += c;
    const groups = overall.map((o) => {
      const count = m.get(o.key) ?? 0;
      const share = count / size;
      const difference = share - o.share;
      // the gap from the counts, |count x n - overall count x size| / (size x n), exact integers divided once: the
      // difference of two rounded shares reads an exact 10 points as 0.0999... or 0.1000...03, flagged by chance
      return { group: o.group, count, share, overallShare: o.share, difference, flagged: Math.abs(count * n - o.count * size) / (size * n) > threshold };
    });
    return { segment, size, groups };
  });
  const flagged = segments.flatMap((s) => s.groups.filter((g) => g.flagged).map((g) => ({ ...g, segment: s.segment })))
    .sort((a, b) => Math.abs(b.difference) - Math.abs(a.difference) || a.segment - b.segment);
  return { threshold, overall: overall.map(({ key: _, ...o }) => o), segments, flagged };
}
