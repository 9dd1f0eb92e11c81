// Vega-Lite specs for the report's plain-words sections: what drives the segments, what they are worth, and their
// mix of a text column. Labels are never cut: axis labels have no length limit and long ones wrap.
import type { TopLevelSpec } from 'vega-lite';
import { SEGMENT_COLOURS_40 } from './colours.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const FONT = 'Helvetica Neue, Helvetica, Arial, sans-serif';
const CONFIG = Object.freeze({
  font: FONT,
  background: 'white',
  padding: 6,
  view: { stroke: null },
  axis: { labelFontSize: 12, titleFontSize: 12, titleFontWeight: 600, labelColor: '#333', titleColor: '#222', gridColor: '#eceff3', domainColor: '#9aa3ad', tickColor: '#9aa3ad', labelLimit: 0 },
  legend: { labelFontSize: 12, titleFontSize: 12, titleFontWeight: 600, labelLimit: 0, orient: 'bottom', direction: 'horizontal' },
});

/** Wraps a label at spaces into lines of at most `width` characters (a longer word keeps its own line). */
export function wrapLabel(text: string, width = 28): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

// Categories carry their own line breaks; the axis splits them into lines (no user text in the expression).
const wrapped = (label: string) => wrapLabel(label).join('\n');
const lineAxis = () => ({ labelExpr: "split(datum.value, '\\n')", labelLimit: 0, title: null, labelPadding: 6 });

/** Horizontal bars of feature importance, largest first. */
export function importanceSpec(labels: readonly string[], importances: ArrayLike<number>, subtitle: string): TopLevelSpec {
  const values = labels.map((feature, j) => ({ feature: wrapped(feature), importance: importances[j] })).sort((a, b) => b.importance - a.importance);
  const lines = Math.max(...labels.map((l) => wrapLabel(l).length));
  return {
    $schema: SCHEMA,
    title: { text: 'What sets the segments apart', subtitle },
    width: 520,
    height: { step: 18 + 14 * lines },
    data: { values },
    mark: { type: 'bar', color: '#3b6ea8', cornerRadiusEnd: 3 },
    encoding: {
      y: { field: 'feature', type: 'nominal', sort: values.map((v) => v.feature), axis: lineAxis() },
      x: { field: 'importance', type: 'quantitative', title: 'Importance', axis: { format: '.0%' } },
    },
    config: CONFIG,
  } as TopLevelSpec;
}

/** Each segment's share of customers against its share of a value (revenue). */
export function valueSpec(segments: readonly string[], customers: readonly number[], value: readonly number[], valueName: string): TopLevelSpec {
  const measures = ['Share of customers', `Share of ${valueName}`];
  const values = segments.flatMap((segment, s) => [
    { segment: wrapped(segment), measure: measures[0], share: customers[s] },
    { segment: wrapped(segment), measure: measures[1], share: value[s] },
  ]);
  const lines = Math.max(...segments.map((l) => wrapLabel(l).length));
  return {
    $schema: SCHEMA,
    title: { text: 'What each segment is worth', subtitle: `Share of customers against share of ${valueName}` },
    width: 520,
    height: { step: 34 + 14 * Math.max(0, lines - 2) },
    data: { values },
    mark: { type: 'bar', cornerRadiusEnd: 2 },
    encoding: {
      y: { field: 'segment', type: 'nominal', sort: segments.map(wrapped), axis: lineAxis() },
      yOffset: { field: 'measure', type: 'nominal', sort: measures },
      x: { field: 'share', type: 'quantitative', title: null, axis: { format: '.0%' } },
      color: { field: 'measure', type: 'nominal', scale: { domain: measures, range: ['#9aa3ad', '#e07b39'] }, legend: { title: null } },
    },
    config: CONFIG,
  } as TopLevelSpec;
}

/** Each segment's mix of a text column, as 100% bars, with the customers they are compared with (`order[0]`) on top. */
export function mixSpec(rows: readonly { segment: string; group: string; share: number }[], order: readonly string[], column: string): TopLevelSpec {
  const lines = Math.max(...order.map((l) => wrapLabel(l).length));
  // set2 has eight colours, tableau20 twenty: past them two groups would share a colour, and the bars would not tell
  // them apart
  const groups = new Set(rows.map((r) => r.group)).size;
  return {
    $schema: SCHEMA,
    title: { text: `Mix by ${column}`, subtitle: `Share of each ${column} in every segment and among ${order[0].toLowerCase()}` },
    width: 520,
    height: { step: 22 + 14 * Math.max(0, lines - 1) },
    data: { values: rows.map((r) => ({ ...r, segment: wrapped(r.segment) })) },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'segment', type: 'nominal', sort: order.map(wrapped), axis: lineAxis() },
      x: { field: 'share', type: 'quantitative', stack: 'normalize', title: null, axis: { format: '.0%' } },
      color: { field: 'group', type: 'nominal', scale: groups > 20 ? { range: [...SEGMENT_COLOURS_40] } : { scheme: groups > 8 ? 'tableau20' : 'set2' }, legend: { title: column } },
      order: { field: 'group' },
    },
    config: CONFIG,
  } as TopLevelSpec;
}
