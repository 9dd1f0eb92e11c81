import { DataType, type Table } from '#arrow';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { checkParent, writeFileAtomic } from '../data/writeFileAtomic.node.js';
import { parseNumberText } from '../data/columnBuilder.js';
import { normalisationNote } from './labelForms.js';
import { isolate } from '../util/bidiText.js';
import { UsageError } from './exitCodes.js';
import { abTestChart } from '../report/abTestChart.js';
import { renderSvg } from '../report/renderSvg.js';
import { abTest } from '../workflow/abTest.js';
import { finiteNumber } from './optionParsers.js';
import { formatTable } from './formatTable.js';
import { atRow, checkPaths, inputName, readInput, requireColumn } from './readInput.js';
import { SegkitError, restate } from '../util/errors.js';
import { addCommonOptions, RunContext, type CommonFlags } from './runContext.js';
import { fixedOrTwoDigits } from '../util/shareText.js';

interface AbFlags extends CommonFlags {
  readonly segment: string;
  readonly group: string;
  readonly outcome: string;
  readonly control?: string;
  readonly metric: 'auto' | 'proportion' | 'mean';
  readonly confidence: number;
  readonly chart?: string;
}

const EXAMPLES = `
Examples:
  $ segkit abtest results.csv --segment segment --group variant --outcome converted
  $ segkit abtest results.csv --segment segment --group arm --outcome revenue --control holdout --chart uplift.svg
  $ segkit abtest results.parquet --segment segment --group variant --outcome converted --json

Per segment: the uplift of each variant over the control with a confidence interval (Newcombe's hybrid score
interval for 0/1 outcomes, Welch's for numbers), p-values adjusted across segments by Holm's method, and the
overall effect. The test assumes random assignment and one look at fixed-size data: no correction for peeking.`;

export function registerAbTest(program: Command, signal: AbortSignal): void {
  const cmd = program
    .command('abtest')
    .description('read an A/B test segment by segment: uplift, intervals, Holm-adjusted p-values')
    .argument('<input>', 'one row per customer: segment, group and outcome columns')
    .requiredOption('--segment <column>', 'the segment column')
    .requiredOption('--group <column>', 'the arm column (control and variants)')
    .requiredOption('--outcome <column>', 'the outcome: 0/1 (conversion) or a number (revenue)')
    .option('--control <name>', 'the control arm (needed with more than two arms, or two of which not exactly one is named control, ctrl, A, baseline or holdout)')
    .addOption(new Option('--metric <kind>', 'proportion (0/1 outcomes), mean, or auto').choices(['auto', 'proportion', 'mean']).default('auto'))
    .addOption(new Option('--confidence <level>', 'confidence of the intervals').argParser(confidenceLevel).default(0.95))
    .option('--chart <file>', 'write the uplift chart as SVG');
  addCommonOptions(cmd);
  cmd.addHelpText('after', EXAMPLES);
  cmd.action((input: string, flags: AbFlags) => runAbTest(input, flags, new RunContext(signal, flags)));
}

/** abTest's words for its options, as the flags that set them. */
function flagNames(error: unknown, f: AbFlags): unknown {
  if (!(error instanceof SegkitError)) return error;
  return restate(error, (message) => message
    .replace(/^option "control" is (.*), which is not a value of "[^"]*"/, () => `--control ${JSON.stringify(f.control)} is not a value of the --group column "${f.group}"`)
    .replace(/^metric "proportion" needs 0\/1 outcomes, but "[^"]*"/, `--metric proportion needs 0/1 outcomes, but the --outcome column "${f.outcome}"`),
  (hint) => hint?.replace(/^pass control \(--control NAME\)/, 'pass --control NAME'));
}

/** --confidence: a share strictly between 0 and 1. */
function confidenceLevel(value: string): number {
  const n = finiteNumber(value);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('must be a number between 0 and 1, e.g. 0.95.');
  return n;
}

/** A p-value to 4 decimals (2 digits below 1e-4), or more where those would carry it to the other side of `alpha`. */
function fmtP(p: number | null, alpha: number): string {
  if (p === null || !Number.isFinite(p)) return '–';
  const small = p < 1e-4;
  let t = small ? p.toExponential(1) : p.toFixed(4);
  // 0.05004 is not "0.0500" beside a blank significance at alpha 0.05
  for (let d = small ? 2 : 5; d < 20 && Number(t) <= alpha !== p <= alpha; d++) t = small ? p.toExponential(d) : p.toFixed(d);
  return t;
}

/**
 * --control as the arm a column of numbers holds: "1.0" or "01", as the file writes it, is the arm 1 (the column's
 * values are numbers, named as JavaScript writes them). Any other column, or text that is no number, is left as given.
 */
function numberArm(table: Table, group: string, control: string): string {
  const type = table.getChild(group)?.type;
  // the CSV reader's grammar of a number: Number() also takes "0x1", "0b1" and "\u00a01", which no file writes as 1
  const v = parseNumberText(control, false);
  if (!(DataType.isInt(type) || DataType.isFloat(type)) || v === undefined || !Number.isFinite(v) || (DataType.isInt(type) && !Number.isSafeInteger(v))) return control;
  return String(v);
}

async function runAbTest(input: string, f: AbFlags, ctx: RunContext): Promise<void> {
  if (f.chart === '-') throw new UsageError('--chart needs a file path');
  for (const [a, b] of [['segment', 'group'], ['segment', 'outcome'], ['group', 'outcome']] as const) {
    if (f[a] === f[b]) throw new UsageError(`--${a} and --${b} name the same column "${f[a]}"`);
  }
  checkPaths([['the input', input]], [['--chart', f.chart]]);
  if (f.chart !== undefined) await checkParent(f.chart, '--chart');
  const table = await readInput(input, ctx);
  for (const [option, column] of [['--segment', f.segment], ['--group', f.group], ['--outcome', f.outcome]] as const) requireColumn(table, column, option, input);
  let r;
  try {
    r = abTest(table, { segment: f.segment, group: f.group, outcome: f.outcome, control: f.control === undefined ? undefined : numberArm(table, f.group, f.control), metric: f.metric, confidence: f.confidence });
  } catch (error) {
    throw atRow(flagNames(error, f), table, inputName(input));
  }
  // segments or groups that look alike but are different strings (composed and decomposed accents)
  for (const [option, column, values] of [['--segment', f.segment, r.segments.map((c) => c.segment)], ['--group', f.group, [r.control, ...r.segments.map((c) => c.treatment)]]] as const) {
    const forms = normalisationNote(new Set(values.filter((x): x is string => typeof x === 'string')), option, column);
    if (forms) ctx.note(forms);
  }
  if (f.chart !== undefined) await writeFileAtomic(f.chart, await renderSvg(abTestChart(r), { idPrefix: 'ab-' }), ctx.signal);
  if (ctx.json) {
    ctx.printJson({ input, ...r, files: { chart: f.chart } });
    return;
  }
  const scale = r.metric === 'proportion' ? 100 : 1;
  const unit = r.metric === 'proportion' ? ' (pp)' : '';
  const v = (x: number) => (Number.isFinite(x) ? fixedOrTwoDigits(x * scale, r.metric === 'proportion' ? 2 : 3) : '–');
  // a conversion rate below 1 gets the decimals that keep it below 100 (29,999 of 30,000 is 99.997, never 100.00)
  const rate = (x: number) => {
    let t = v(x);
    for (let p = 3; r.metric === 'proportion' && x < 1 && Number(t) >= 100 && p < 20; p++) t = (x * 100).toFixed(p);
    return t;
  };
  // a bound beyond the float64 range (Infinity) is not a missing one: it reads as past the largest double
  const bound = (x: number) => (x === Infinity ? `above ${Number.MAX_VALUE.toPrecision(4)}` : x === -Infinity ? `below -${Number.MAX_VALUE.toPrecision(4)}` : v(x));
  // the overall rows' name, never a segment's ("ALL (overall)" beside a segment named ALL)
  const segmentNames = new Set(r.segments.map((c) => c.segment));
  let all = 'ALL';
  for (let i = 1; segmentNames.has(all); i++) all = `ALL (overall${i > 1 ? ` ${i}` : ''})`;
  const rows = [...r.segments, ...r.overall].map((c) => [
    c.segment ?? all, c.treatment, String(c.nControl), String(c.nTreatment), rate(c.controlValue), rate(c.treatmentValue),
    v(c.uplift), `${bound(c.ci[0])} to ${bound(c.ci[1])}`, fmtP(c.pvalue, 1 - r.confidence), fmtP(c.adjustedPValue, 1 - r.confidence), c.significant ? 'yes' : '',
  ]);
  const what = r.metric === 'proportion' ? 'rate' : 'mean';
  ctx.print([
    `control: ${isolate(r.control)} · ${r.metric === 'proportion' ? 'conversion rates (%)' : 'means'} · ${+(r.confidence * 100).toPrecision(10)}% intervals`,
    '',
    formatTable(['segment', 'variant', 'n control', 'n variant', `${what} control`, `${what} variant`, `uplift${unit}`, 'interval', 'p', 'p (Holm)', 'significant'], rows,
      [false, false, true, true, true, true, true, true, true, true, false]),
    '',
    r.summary,
    '',
    'Assumptions:',
    ...r.assumptions.map((a) => `  - ${a}`),
  ].join('\n'));
  if (f.chart) ctx.note(`wrote the chart to ${f.chart}`);
}
