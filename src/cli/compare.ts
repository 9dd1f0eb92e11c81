import type { Command } from 'commander';
import { Option } from 'commander';
import { tableFromArrays } from '#arrow';
import { checkParent, commitAll, stageFile, type Staged } from '../data/writeFileAtomic.node.js';
import { stageTable } from '../data/writeTable.node.js';
import { buildChangesReport, movedUnassigned } from '../report/changesReport.js';
import { compareSnapshots } from '../workflow/compareSnapshots.js';
import { psiFigure } from '../util/shareText.js';
import { UsageError } from './exitCodes.js';
import { formatNumber, formatShare, formatTable } from './formatTable.js';
import type { Table } from '#arrow';
import { SegkitError, baseMessage } from '../util/errors.js';
import { checkPaths, csvHeader, inFile, inputFormat, inputName, outputFormat, readerOptions, requireColumn, rowName } from './readInput.js';
import { idsAsWritten, type IdsAsWritten } from './idsAsWritten.js';
import { addCommonOptions, RunContext, type CommonFlags } from './runContext.js';
import { requireNumberColumn } from './reportOptions.js';
import { loadModel, missingWords, readForModel } from './score.js';

/** How the movers' file and the migration table name no segment. */
const UNASSIGNED = 'Unassigned';

/** The columns of the movers' file besides the id. */
const MOVER_COLUMNS = ['segment_before', 'segment_after', 'segment_before_id', 'segment_after_id'];

interface CompareFlags extends CommonFlags {
  readonly model: string;
  readonly id: string;
  readonly value?: string;
  readonly out?: string;
  readonly report?: string;
  readonly ksMethod?: 'auto' | 'exact' | 'asymp';
}

const EXAMPLES = `
Examples:
  $ segkit compare january.csv february.csv --model model.json --id customer_id
  $ segkit compare before.csv after.csv --model model.json --id customer_id --out moves.csv --report changes.html --json
  $ segkit compare q1.parquet q2.parquet --model model.json --id customer_id --value revenue

Scores both snapshots with the model and reports: a migration matrix (segment before by segment after, with new
and gone customers), growth per segment, per-feature drift (PSI at the baseline's deciles: below 0.1 stable,
0.1 to 0.25 moderate, above 0.25 significant, by convention; the exact two-sample KS statistic and p-value),
the value per segment (--value), and whether to keep or refit the model, and why.
--out writes the customers who changed segment (id, from, to).`;

export function registerCompare(program: Command, signal: AbortSignal): void {
  const cmd = program
    .command('compare')
    .description('compare two snapshots of the same customers under one model: who moved, drift, keep or refit')
    .argument('<before>', 'the earlier customer table (.csv .tsv .json .ndjson .arrow .parquet)')
    .argument('<after>', 'the later customer table, with the same columns')
    .requiredOption('--model <file>', 'model JSON written by segkit segment --model')
    .requiredOption('--id <column>', 'the customer id column, in both snapshots')
    .option('--value <column>', 'a value column (revenue, margin) to total per segment')
    .option('--out <file>', 'write the movers (id, segment before, segment after) to a table file')
    .option('--report <file>', 'write a self-contained HTML report (Sankey, growth, drift table)')
    .addOption(new Option('--ks-method <method>', 'KS p-value: exact, asymp, or auto (exact up to 10,000 rows)').choices(['auto', 'exact', 'asymp']).default('auto'));
  addCommonOptions(cmd);
  cmd.addHelpText('after', EXAMPLES);
  cmd.action((before: string, after: string, flags: CompareFlags) => runCompare(before, after, flags, new RunContext(signal, flags)));
}

async function runCompare(beforePath: string, afterPath: string, f: CompareFlags, ctx: RunContext): Promise<void> {
  if (f.report === '-') throw new UsageError('--report needs a file path');
  if (f.out === '-' && ctx.json) throw new UsageError('--out - and --json both write to stdout; write the table to a file or drop --json');
  if (f.out !== undefined) outputFormat(f.out, '--out');
  // the first snapshot would read all of standard input, leaving none for the second
  if (beforePath === '-' && afterPath === '-') throw new UsageError('<before> and <after> both read standard input (-): give at least one of them as a file');
  // the id column comes first in the movers' file: one of its other columns of the same name would replace it
  if (f.out !== undefined && MOVER_COLUMNS.includes(f.id)) {
    throw new UsageError(`--id: column "${f.id}" has the name of a column of the movers' file --out writes (${MOVER_COLUMNS.join(', ')}); rename the column`);
  }
  checkPaths([['the before input', beforePath], ['the after input', afterPath], ['--model', f.model]], [['--out', f.out], ['--report', f.report]]);
  // before the work: an output folder that does not exist is an error, and no other output is written first
  if (f.out !== undefined) await checkParent(f.out, '--out');
  if (f.report !== undefined) await checkParent(f.report, '--report');
  const model = await loadModel(f.model);
  // CSV or TSV output gives the ids as they were written (007, 1E5, +4915112345, 12000.0), as segment and score do:
  // a CSV snapshot's id column is read as text, and matched as the numbers type inference would have made of it
  const csvOut = f.out === '-' || (f.out !== undefined && ['csv', 'tsv'].includes(outputFormat(f.out, '--out')));
  const textIds = async (path: string): Promise<string[]> => {
    if (!csvOut || model.pipeline.inputs.some((c) => c.name === f.id)) return [];
    return (await csvHeader(path, inputFormat(path, undefined), ctx))?.includes(f.id) ? [f.id] : [];
  };
  // the model's columns with their types, as score reads them: a word among numbers names its line
  // a reading option applies to the snapshot whose format reads it (--na for a CSV one beside a Parquet one)
  // (`asRead`, the table as read, names rows by their file lines)
  const read = async (path: string, label: string, other: string): Promise<IdsAsWritten & { asRead: Table }> => {
    const text = await textIds(path);
    const table = await readForModel(path, ctx, model, undefined, label, [inputFormat(other, undefined)], text);
    return { ...(text.length ? idsAsWritten(table, f.id, readerOptions(inputFormat(path, undefined), ctx.read).decimal) : { table }), asRead: table };
  };
  const { table: before, asRead: beforeAsRead } = await read(beforePath, 'reading before', afterPath);
  const { table: after, texts: afterTexts, asRead: afterAsRead } = await read(afterPath, 'reading after', beforePath);
  const afterTable = after;
  requireColumn(beforeAsRead, f.id, '--id', beforePath);
  requireColumn(afterAsRead, f.id, '--id', afterPath);
  if (f.value === f.id) throw new UsageError(`--id and --value both name column "${f.id}": give the value column (revenue, margin) to --value`);
  if (f.value !== undefined) {
    requireNumberColumn(beforeAsRead, f.value, '--value', beforePath);
    requireNumberColumn(afterAsRead, f.value, '--value', afterPath);
  }
  const bar = ctx.progress.start('comparing', 1);
  let r;
  try {
    r = await compareSnapshots(model, before, after, { id: f.id, value: f.value, ksMethod: f.ksMethod, threads: ctx.threads, signal: ctx.signal });
  } catch (error) {
    // a value the model's preparation leaves missing, in the command line's words, as score says it
    throw missingWords(snapshotError(error, { table: beforeAsRead, path: beforePath }, { table: afterAsRead, path: afterPath }), model);
  } finally {
    bar.stop();
  }
  // the movers and the report replace their files together, once both are written: a failure or Ctrl-C before
  // that replaces neither
  const outputs: Staged[] = [];
  try {
    if (f.out !== undefined) {
      ctx.step(`writing ${f.out}`);
      outputs.push(await stageTable(f.out, moversTable(r, f, afterTexts, afterTable), { signal: ctx.signal }));
    }
    if (f.report !== undefined) {
      ctx.step(`writing ${f.report}`);
      outputs.push(await stageFile(f.report, await buildChangesReport(r, { title: `${beforePath} → ${afterPath}` }), ctx.signal));
    }
  } catch (error) {
    await Promise.all(outputs.map((file) => file.discard()));
    throw error;
  }
  await commitAll(outputs, ctx.signal);
  if (ctx.json) {
    ctx.printJson({
      before: beforePath, after: afterPath, rowsBefore: r.rowsBefore, rowsAfter: r.rowsAfter, k: r.k,
      migration: r.migration, segments: r.segments, drift: r.drift, recommendation: r.recommendation,
      thresholds: r.thresholds, conventions: r.conventions, movers: r.movers.id.length,
      files: { out: f.out, report: f.report },
    });
    return;
  }
  const m = r.migration;
  // customers that moved into or out of no segment (a density model's unassigned rows): a column and a row of their own
  const none = movedUnassigned(m);
  const text = [
    `${r.rowsBefore.toLocaleString('en-US')} customers before, ${r.rowsAfter.toLocaleString('en-US')} after · ${m.returning.toLocaleString('en-US')} in both · ${m.moved.toLocaleString('en-US')} changed segment`,
    '',
    formatTable(
      ['before \\ after', ...m.segments, ...(none ? [UNASSIGNED.toLowerCase()] : []), 'gone'],
      [
        ...m.segments.map((s, i) => [s, ...m.counts[i].map(String), ...(none ? [String(m.toUnassigned[i])] : []), String(m.gone[i])]),
        ...(none ? [[UNASSIGNED.toLowerCase(), ...m.fromUnassigned.map(String), String(m.unassignedBoth), String(m.unassignedGone)]] : []),
        ['new', ...m.new.map(String), ...(none ? [''] : []), ''],
      ],
      [false, ...m.segments.map(() => true), ...(none ? [true] : []), true],
    ),
    '',
    formatTable(
      ['segment', 'before', 'after', 'change', 'share before', 'share after', ...(f.value ? ['value before', 'value after'] : [])],
      [
        ...r.segments.map((s) => [s.name, String(s.before), String(s.after), `${s.change >= 0 ? '+' : ''}${s.change}`, formatShare(s.shareBefore), formatShare(s.shareAfter), ...(f.value ? [formatNumber(s.valueBefore), formatNumber(s.valueAfter)] : [])]),
        // shares are of every row: the rows in no segment get a line of their own, as segment prints them
        ...(m.unscoredBefore + m.unscoredAfter > 0 ? [[UNASSIGNED.toLowerCase(), String(m.unscoredBefore), String(m.unscoredAfter), `${m.unscoredAfter >= m.unscoredBefore ? '+' : ''}${m.unscoredAfter - m.unscoredBefore}`, formatShare(m.unscoredBefore / r.rowsBefore), formatShare(m.unscoredAfter / r.rowsAfter), ...(f.value ? ['', ''] : [])]] : []),
      ],
      [false, true, true, true, true, true, true, true],
    ),
    '',
    formatTable(
      ['feature', 'drift', 'PSI', 'KS D', 'KS p', 'mean before', 'mean after'],
      r.drift.map((d) => [d.feature, d.level ?? '–', d.psi ? psiFigure(d.psi.value, r.thresholds) : '–', d.ks ? d.ks.statistic.toFixed(4) : '–', d.ks && !Number.isNaN(d.ks.pvalue) ? d.ks.pvalue.toPrecision(3) : '–', formatNumber(d.meanBefore), formatNumber(d.meanAfter)]),
      [false, false, true, true, true, true, true],
    ),
    '',
    `${r.recommendation.action.toUpperCase()}: ${r.recommendation.text}`,
    `PSI levels are conventions (below ${r.thresholds.psiModerate} stable, ${r.thresholds.psiModerate} to ${r.thresholds.psiSignificant} moderate, above significant), not tests.`,
  ].join('\n');
  // with the movers on stdout, people still get the summary, on stderr
  if (f.out === '-') ctx.note(text);
  else ctx.print(text);
  if (f.out !== undefined && f.out !== '-') ctx.note(`wrote ${r.movers.id.length.toLocaleString('en-US')} movers to ${f.out}`);
  if (f.report) ctx.note(`wrote the report to ${f.report}`);
}

/** The movers' ids (numbers) as the after snapshot wrote them (`texts`, by row of its id column). */
/** The movers' file: each customer who changed segment, with the segment before and after (names and ids). */
function moversTable(r: Awaited<ReturnType<typeof compareSnapshots>>, f: CompareFlags, afterTexts: readonly (string | null)[] | undefined, afterTable: Table): Table {
  const names = r.migration.segments;
  const ids = afterTexts ? writtenIds(r.movers.id, afterTable, f.id, afterTexts) : r.movers.id;
  const numeric = ids.every((v) => typeof v === 'number');
  const int32 = numeric && ids.every((v) => Number.isInteger(v) && Math.abs(v as number) < 2 ** 31);
  // whole-number ids beyond 32 bits (9876543210) stay integers: as float64 they were written 9876543210.0
  const whole = numeric && ids.every((v) => Number.isSafeInteger(v));
  const idColumn = int32 ? Int32Array.from(ids as number[]) : whole ? BigInt64Array.from(ids as number[], (v) => BigInt(v)) : numeric ? Float64Array.from(ids as number[]) : ids.map(String);
  const [before, after, beforeId, afterId] = MOVER_COLUMNS;
  return tableFromArrays({
    [f.id]: idColumn as never,
    [before]: Array.from(r.movers.from, (c) => (c < 0 ? UNASSIGNED : names[c])),
    [after]: Array.from(r.movers.to, (c) => (c < 0 ? UNASSIGNED : names[c])),
    [beforeId]: Int32Array.from(r.movers.from),
    [afterId]: Int32Array.from(r.movers.to),
  });
}

function writtenIds(ids: readonly (string | number)[], after: Table, id: string, texts: readonly (string | null)[]): string[] {
  const wanted = new Set(ids);
  const written = new Map<string | number, string>();
  let row = 0;
  for (const v of after.getChild(id)!) {
    if (wanted.has(v as number)) written.set(v as number, texts[row]!);
    row++;
  }
  return ids.map((v) => written.get(v) ?? String(v));
}

/**
 * An error of compareSnapshots said in the files' terms: the snapshot it names becomes its file, and the rows it
 * names (0-based table rows) become file lines (CSV) or 1-based rows.
 */
function snapshotError(error: unknown, before: { table: Table; path: string }, after: { table: Table; path: string }): unknown {
  if (!(error instanceof SegkitError)) return error;
  const message = baseMessage(error);
  const m = /^snapshot "(before|after)"(,|:)? ?/.exec(message);
  if (!m) return inFile(error, `${inputName(before.path)} (before), ${inputName(after.path)} (after)`);
  const side = m[1] === 'before' ? before : after;
  const row = (r: string) => rowName(side.table, Number(r));
  const rest = message.slice(m[0].length)
    .replace(/^row (\d+)\b/, (_, r: string) => row(r))
    .replace(/\(row (\d+)\)/, (_, r: string) => `(${row(r)})`)
    // the other snapshot, and the row of it the message names (bytes 80 in one file, the number 80 in the other)
    .replace(/snapshot "(before|after)"([^()]*)(?:\(row (\d+)\))?/, (_, other: string, between: string, r?: string) => {
      const o = other === 'before' ? before : after;
      return `${inputName(o.path)} (${other})${between}${r === undefined ? '' : `(${rowName(o.table, Number(r))})`}`;
    })
    .replace(/\(rows (\d+) and (\d+)\)/, (_, a: string, b: string) => {
      const [x, y] = [row(a), row(b)];
      return x.startsWith('line ') ? `(lines ${x.slice(5)} and ${y.slice(5)})` : `(rows ${x.slice(4)} and ${y.slice(4)})`;
    });
  const joined = m[2] === undefined ? ` ${rest}` : `: ${rest}`;
  return new SegkitError(error.code, `${inputName(side.path)} (${m[1]})${joined}`, error.hint, { cause: error });
}
