import { DataType, type Table } from '#arrow';
import { type Command, Option } from 'commander';
import { SegkitError, throwIfAborted } from '../util/errors.js';
import { fromColumns, type Dataset } from '../data/dataset.js';
import type { PipelineResult } from '../prep/pipeline.js';
import { explainAssignment, explainsAssignments, type Assignment } from '../explain/explainAssignment.js';
import { permutationImportance } from '../explain/permutationImportance.js';
import { segmentRules, type SegmentRules } from '../explain/segmentRules.js';
import { segmentComposition } from '../explain/segmentComposition.js';
import { checkParent, writeFileAtomic } from '../data/writeFileAtomic.node.js';
import { UsageError } from './exitCodes.js';
import { replacedProbaColumns } from './probaColumns.js';
import { segmentRows } from './evaluate.js';
import { counted, formatNumber, formatShare, formatTable } from './formatTable.js';
import { idList, integer, seedValue } from './optionParsers.js';
import { addFormatOption, addPrepOptions, formatFlag, noValues, prepareUnscaled, type PrepFlags } from './prepOptions.js';
import { atRow, checkPaths, inFile, inputName, readInput, requireColumn, rowName, targetError } from './readInput.js';
import { addCommonOptions, RunContext, type CommonFlags } from './runContext.js';
import { loadModel, readForModel } from './score.js';
import { innerModel } from './bareModel.js';
import { addReportOptions, checkReportFlags, reportExtras, reportColumns, valueValues, type ReportFlags } from './reportOptions.js';
import { buildReport } from '../report/buildReport.js';
import { profileSegments } from '../explain/profileSegments.js';
import { noCustomers, onlyId } from '../explain/nameSegment.js';
import { conditionText } from '../core/treeEnsemble.js';
import { isolate } from '../util/bidiText.js';
import { shortNumber } from '../core/tree.js';
import { binaryKey, valueReader } from '../data/utf8Text.js';
import { normalisationNote } from './labelForms.js';

interface ExplainFlags extends PrepFlags, CommonFlags, ReportFlags {
  readonly labels: string;
  readonly model?: string;
  readonly rows?: string[];
  readonly maxDepth: number;
  readonly repeats: number;
  readonly seed: number;
  readonly report?: string;
  readonly format?: string;
}

const EXAMPLES = `
Examples:
  $ segkit explain segments.csv --labels segment
  $ segkit explain segments.csv --labels segment --rows c0012,c0450 --model model.json
  $ segkit explain segments.csv --labels segment --report report.html --value monetary --audit gender,country

Rules are thresholds on the features (in the customers' units; in scaled ones with --scale) that put customers
in their segment, found by a surrogate decision tree; fidelity is the share of customers they put in their own
segment. Importance is the share of customers whose segment changes when a feature's values are shuffled among
them (with --model, the model's own segments; otherwise the rules'). --rows explains single customers by id (--id).`;

export function registerExplain(program: Command, signal: AbortSignal): void {
  const cmd = program
    .command('explain')
    .description('why customers are in their segments: rules, importance, single customers, a report to act on')
    .argument('<input>', 'table with the features and a segment column (e.g. the output of segkit segment)')
    .requiredOption('--labels <column>', 'column holding each row\'s segment')
    .option('--model <file>', 'the model that assigned the segments (segkit segment or train --model), to explain with')
    .addOption(new Option('--rows <ids>', 'explain these customers, by id (comma-separated)').argParser(idList));
  addPrepOptions(cmd, true);
  cmd
    .addOption(new Option('--max-depth <n>', 'conditions per rule, at most').argParser(integer(1)).default(3))
    .addOption(new Option('--repeats <n>', 'shuffles per feature for importance').argParser(integer(1)).default(3))
    .addOption(new Option('--seed <n>', 'seed of the shuffles').argParser(seedValue).default(0))
    .option('--report <file>', 'write an HTML report for the people who act on the segments');
  addReportOptions(cmd);
  addFormatOption(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText('after', EXAMPLES);
  cmd.action((input: string, flags: ExplainFlags) => {
    checkReportFlags(cmd, flags, true);
    return runExplain(input, flags, cmd, new RunContext(signal, flags));
  });
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/** Table rows of the given ids in the id column. */
function rowsById(table: Table, idColumn: string | null, ids: readonly string[]): number[] {
  if (!idColumn) throw new UsageError('--rows: the table has no id column; name it with --id');
  const column = table.getChild(idColumn)!;
  const idAt = valueReader(column);
  // a column of numbers holds 12000 for the 12000.0 (or 1.2e4) the file shows: an id is asked for as written
  const numbers = DataType.isFloat(column.type) || DataType.isInt(column.type);
  const keyOf = (id: string): string => (numbers && DECIMAL.test(id.trim()) ? String(Number(id)) : id);
  const wanted = new Set(ids.map(keyOf));
  const at = new Map<string, number>();
  for (let i = 0; i < table.numRows; i++) {
    // a Binary id (Parquet text without its UTF8 annotation) is its text, as rfm reads it, not its byte values
    const v = idAt(i), id = v instanceof Uint8Array ? binaryKey(v) : String(v);
    if (!wanted.has(id)) continue;
    // two customers under one asked-for id: which one is meant cannot be told
    const before = at.get(id);
    if (before !== undefined) {
      // as the file numbers them: lines of a CSV file (its header is line 1), rows counted from 1 otherwise
      const [a, b] = [rowName(table, before), rowName(table, i)];
      const both = a.startsWith('line ') ? `lines ${a.slice(5)} and ${b.slice(5)}` : `rows ${a.slice(4)} and ${b.slice(4)}`;
      throw new SegkitError('E_DUPLICATE_ID', `--rows: id "${id}" is in ${both} of column "${idColumn}": which customer to explain is ambiguous`, 'make the ids unique, or name the id column with --id');
    }
    at.set(id, i);
  }
  return ids.map((id) => {
    const r = at.get(keyOf(id));
    if (r === undefined) throw new UsageError(`--rows: no customer has id "${id}" in column "${idColumn}"`);
    return r;
  });
}

async function runExplain(input: string, f: ExplainFlags, cmd: Command, ctx: RunContext): Promise<void> {
  if (f.report === '-') throw new UsageError('--report needs a file path');
  checkPaths([['the input', input], ['--model', f.model]], [['--report', f.report]]);
  if (f.report !== undefined) await checkParent(f.report, '--report');
  const what = inputName(input);
  const saved = f.model !== undefined ? await loadModel(f.model) : undefined;
  if (saved && f.rows && !explainsAssignments(innerModel(saved.model))) {
    throw new UsageError(`--rows with --model: "${f.model}" holds ${/^[aeiou]/.test(saved.kind) ? 'an' : 'a'} ${saved.kind} model, and single customers are explained with a kmeans, minibatch-kmeans, tree or forest model; leave out --model to explain them by the rules`);
  }
  // with a model, its columns are read with their types, as score reads them
  const table = saved ? await readForModel(input, ctx, saved, formatFlag(f)) : await readInput(input, ctx, formatFlag(f));
  requireColumn(table, f.labels, '--labels', input);
  const names = table.schema.fields.map((x) => x.name);
  const companion = f.labels.endsWith('_name') ? f.labels.slice(0, -5) : `${f.labels}_name`;
  // a column with no value at all explains nothing (read as numbers for the model, it could not be imputed here)
  const empty = names.filter((name) => noValues(table.getChild(name), table.numRows));
  if (empty.length > 0) ctx.note(`left out of the rules: ${empty.map((c) => `"${c}"`).join(', ')}, with no value in any row`);
  const notFeatures = [f.labels, ...(names.includes(companion) ? [companion] : []), ...reportColumns(f, table, input, (m) => ctx.note(m)), ...empty];
  // the labels' membership probabilities (segkit segment --proba) describe the labels: no features either
  const probabilities = replacedProbaColumns(table, f.labels.endsWith('_name') ? companion : f.labels);
  const { prep, prepared } = await prepareUnscaled(cmd, f, table, input, ctx, notFeatures, probabilities);
  // scaling asked for moves the thresholds out of the customers' units: "income > 0.05" would read as 5 cents
  if (cmd.getOptionValueSource('scale') !== 'default' && f.scale !== 'none') ctx.note(`--scale ${f.scale}: the rules' thresholds are in scaled units, not the customers'`);
  // text labels are numbered in sorted order (with the model, by its ids); their names are what the segments are
  // shown by. Rows in no segment (a density model's noise) are left out: they are no segment to explain
  const segmented = segmentRows(table, f.labels, companion, what, prepared.dataset, prepared.rowIndex);
  const { dataset, rowIndex, note } = segmented;
  if (note) ctx.note(note);
  const forms = segmented.names && normalisationNote(segmented.names, '--labels', f.labels);
  if (forms) ctx.note(forms);
  // text labels that are the model's segment names take its ids, as its own report and output number them
  const byModel = saved && segmented.names ? modelIds(segmented.names, saved.names) : undefined;
  if (saved && segmented.names && !byModel) ctx.note(`the names in "${f.labels}" are not all the model's segment names: the segments are numbered by name, and the model's segments with no customer here are not named`);
  const labels = byModel ? segmented.labels.map((l) => byModel[l]) : segmented.labels;
  const labelNames = saved && byModel ? [...saved.names] : segmented.names;
  const labelOf = byModel ? (row: number) => { const l = segmented.labelOf(row); return l < 0 ? -1 : byModel[l]; } : segmented.labelOf;
  // the customers --rows asks about, found (and refused when in no segment) before any work
  const asked = f.rows ? rowsById(table, f.id ?? prep.id, f.rows) : undefined;
  asked?.forEach((r, q) => {
    if (labelOf(r) < 0) throw new UsageError(`--rows: customer "${f.rows![q]}" is in no segment (the noise of a density model): explain customers of a segment`);
  });
  const run = { threads: ctx.threads, signal: ctx.signal };
  const bar = ctx.progress.start('finding rules', 3);
  let rules: SegmentRules, importance, modelName: string;
  // the model's own features, from the same rows through its own preparation (once: importance and --rows use them)
  let own: { rows: PipelineResult; at: Map<number, number> } | undefined;
  try {
    rules = await segmentRules(dataset, labels, { ...run, maxDepth: f.maxDepth, ...(labelNames ? { names: labelNames } : {}) }).catch((e) => { throw inFile(targetError(e, '--labels', f.labels), what); });
    bar.update(1, 'importance');
    if (saved) {
      let modelRows: PipelineResult;
      try {
        modelRows = saved.pipeline.transform(table);
      } catch (error) {
        throw atRow(error, table, what);
      }
      const at = new Map<number, number>(Array.from(modelRows.rowIndex, (r, i) => [r, i]));
      own = { rows: modelRows, at };
      const keep = Int32Array.from(rowIndex.filter((r) => at.has(r)), (r) => at.get(r)!);
      const mds: Dataset = fromColumns({ columns: modelRows.dataset.columns.map((c) => Float32Array.from(keep, (i) => c[i])), names: modelRows.dataset.names });
      importance = await permutationImportance(saved.model, mds, undefined, { ...run, repeats: f.repeats, seed: f.seed });
      modelName = `the model (${saved.kind})`;
    } else {
      // the rules' own segments are the target, as with a model: the share whose segment in the rules changes (against
      // the labels it would be a loss of fidelity, which a shuffle that happens to fix a rule's misses lowers, even below 0)
      importance = await permutationImportance(rules.tree, dataset, undefined, { ...run, repeats: f.repeats, seed: f.seed });
      modelName = 'the rules';
    }
  } finally {
    bar.stop();
  }
  throwIfAborted(ctx.signal);

  let single: { id: string; row: number; label: number; why: Assignment }[] = [];
  if (asked) {
    const rows = asked;
    if (saved && own) {
      const { rows: t, at } = own;
      const vectors = rows.map((r, q) => {
        const i = at.get(r);
        if (i === undefined) throw new UsageError(`--rows: customer "${f.rows![q]}" is dropped by the model's outlier rule`);
        return t.dataset.columns.map((c) => c[i]);
      });
      // a bare model file's view scores; the model it holds explains
      const why = await explainAssignment(innerModel(saved.model), vectors, run);
      single = why.map((w, q) => ({ id: f.rows![q], row: rows[q], label: labelOf(rows[q]), why: w }));
    } else {
      const at = new Map(Array.from(rowIndex, (r, i) => [r, i]));
      const vectors = rows.map((r) => dataset.columns.map((c) => c[at.get(r)!]));
      const why = await explainAssignment(rules.tree, vectors, run);
      single = why.map((w, q) => ({ id: f.rows![q], row: rows[q], label: labelOf(rows[q]), why: w }));
    }
  }

  // text labels show as their names: the file's segments by the labels' text, the explained model's by its segment
  // names (the rules' are the labels'); whole-number labels as segment ids
  const labelText = (seg: number) => `segment ${labelNames ? isolate(JSON.stringify(labelNames[seg])) : seg}`;
  const assignedName = (seg: number) => (labelNames ? (saved ? saved.names[seg] : labelNames[seg]) : undefined);
  const assignedText = (seg: number) => `segment ${labelNames ? isolate(JSON.stringify(assignedName(seg))) : seg}`;
  // with names, a customer is where the explained model puts it when the names agree (a model numbers its own segments)
  const agrees = (label: number, w: Assignment) => (labelNames ? labelNames[label] === assignedName(w.segment) : label === w.segment);
  let k = 0;
  for (const l of labels) if (l + 1 > k) k = l + 1;
  // segment ids need not run from 0 without a gap: the count is of those present, and the ids with no customer in
  // the file (below the largest, or the model's own) are named once, never described as segments
  if (saved && (!labelNames || byModel)) k = Math.max(k, saved.k);
  const held = new Set(labels);
  const present = held.size;
  const absent = labelNames && !byModel ? [] : Array.from({ length: k }, (_, c) => c).filter((c) => !held.has(c));
  // the labels are what the segments are: a mix of them would show each segment as all of its own label
  const extras = reportExtras(f, table, rowIndex, [f.labels, companion]);
  const composition = extras.audit.map((a) => ({ column: a.name, ...segmentComposition(labels, a.values, { threshold: f.auditThreshold, order: a.order }) }));
  if (f.report !== undefined) {
    const profiles = profileSegments(dataset, labels, k);
    // rows in no segment are the report's own "Unassigned" group and counted in every share, as segment's report counts them
    const inSegment = new Set(rowIndex);
    const noise = Array.from(prepared.rowIndex.keys()).filter((i) => !inSegment.has(prepared.rowIndex[i]));
    const unassigned = noise.length > 0 ? {
      size: noise.length, share: noise.length / prepared.rowIndex.length,
      means: prepared.dataset.columns.map((c) => noise.reduce((a, i) => a + c[i], 0) / noise.length),
      ...(f.value !== undefined ? { value: valueValues(table, f.value, Int32Array.from(noise, (i) => prepared.rowIndex[i])).reduce((a, b) => a + b, 0) } : {}),
    } : undefined;
    const html = await buildReport({
      ...(unassigned ? { unassigned } : {}),
      ...(labelNames ? { segmentNames: labelNames.slice(0, k) } : {}),
      title: f.title, data: dataset, labels, k, profiles, centroids: profiles.segments.map((s) => s.mean),
      rules, importance: { featureNames: importance.featureNames, importances: importance.importances, method: 'permutation' },
      ...extras,
    });
    await writeFileAtomic(f.report, html, ctx.signal);
  }

  const summary = {
    rows: dataset.n, features: [...dataset.names], segments: present, ...(absent.length ? { absentSegments: absent, ...(labelNames ? { absentSegmentNames: absent.map((c) => labelNames[c]) } : {}) } : {}), fidelity: rules.fidelity,
    rules: rules.segments.map((s) => ({ segment: s.segment, ...(s.name !== undefined ? { name: s.name } : {}), size: s.size, recall: s.recall, precision: s.precision, rules: s.rules.map((r) => ({ text: r.text, conditions: r.conditions, confidence: r.confidence, count: r.count })) })),
    importance: { of: modelName, baseline: importance.baseline, features: importance.featureNames.map((name, j) => ({ feature: name, importance: importance.importances[j], std: importance.std[j] })) },
    ...(single.length ? { customers: single.map((s) => ({ id: s.id, segment: s.label, ...(labelNames ? { segmentName: labelNames[s.label] } : {}), assigned: s.why.segment, ...(labelNames ? { assignedName: assignedName(s.why.segment) } : {}), filled: filledFeatures(table, s.row, s.why.featureNames), runnerUp: s.why.runnerUp, ...(labelNames ? { runnerUpName: assignedName(s.why.runnerUp) } : {}), gap: s.why.gap, base: s.why.base, method: s.why.method, contributions: Object.fromEntries(s.why.featureNames.map((n, j) => [n, s.why.contributions[j]])), ...(s.why.path ? { path: s.why.path } : {}) })) } : {}),
    ...(composition.length ? { composition: composition.map((c) => ({ column: c.column, threshold: c.threshold, flagged: labelNames ? c.flagged.map((g) => ({ ...g, name: labelNames[g.segment] })) : c.flagged })) } : {}),
    ...(f.report !== undefined ? { report: f.report } : {}),
  };
  if (ctx.json) {
    ctx.printJson(summary);
    return;
  }
  const out: string[] = [`${dataset.n.toLocaleString('en-US')} customers · ${present} segments in ${isolate(`"${f.labels}"`)} · ${counted(dataset.d, 'feature')}`];
  if (absent.length) out.push(noCustomers(absent.map((c) => (labelNames && !onlyId(labelNames[c], c) ? isolate(JSON.stringify(labelNames[c])) : String(c))), 'this file'));
  out.push('');
  out.push(`how to find each segment (these rules put ${formatShare(rules.fidelity)} of customers in their own segment):`);
  // a segment without a rule is helped by deeper rules only when some of its customers are in a rule the depth limit
  // cut short: every shallower rule stopped for another reason (one value, too few customers), which depth leaves
  const t = rules.tree.tree, C = rules.tree.nClasses, depth = new Int32Array(t.feature.length), cut = new Set<number>();
  t.feature.forEach((feature, i) => {
    if (feature >= 0) depth[t.left[i]] = depth[t.right[i]] = depth[i] + 1;
    else if (depth[i] === f.maxDepth) for (let c = 0; c < C; c++) if (t.value[i * C + c] > 0) cut.add(rules.tree.classes[c]);
  });
  for (const s of rules.segments) {
    out.push(`  ${labelText(s.segment)} (${s.size.toLocaleString('en-US')} customer${s.size === 1 ? '' : 's'}; the rules find ${formatShare(s.recall)} of them, ${formatShare(s.precision)} of those they pick are in it)`);
    for (const r of s.rules) out.push(`    ${r.text}`);
    if (s.rules.length === 0) out.push(!cut.has(s.segment) ? '    no rule picks it out: other segments\' customers outnumber its own wherever the rules look' : `    no rule of this depth picks it out (try --max-depth ${f.maxDepth + 1})`);
  }
  out.push('', `importance: customers whose segment in ${modelName} changes when a feature is shuffled`);
  const order = importance.featureNames.map((_, j) => j).sort((a, b) => importance.importances[b] - importance.importances[a]);
  out.push(formatTable(['feature', 'changed', '± sd'], order.map((j) => [importance.featureNames[j], formatShare(importance.importances[j]), formatShare(importance.std[j])]), [false, true, true]));
  for (const s of single) {
    const w = s.why;
    // the customer's own segment, and the one the explained model gives it when that differs
    const own = agrees(s.label, w) ? `${labelText(s.label)}, runner-up` : `${labelText(s.label)}; ${modelName} put it in ${assignedText(w.segment)}, runner-up`;
    out.push('', `customer ${isolate(s.id)}: ${own} ${assignedText(w.runnerUp)} (${w.method}; gap ${formatNumber(w.gap)})`);
    const filled = filledFeatures(table, s.row, w.featureNames);
    if (filled.length > 0) out.push(`  missing in the file, filled by the preparation: ${filled.map(isolate).join(', ')}`);
    // the customer's float32 value and the split's bound in as many digits as tell them apart, as the rules give
    // them (two decimals read 1234568 > 1234567.5 as "1,234,568 > 1,234,568")
    if (w.path) out.push(`  path: ${w.path.map((p) => conditionText([{ feature: `${isolate(p.feature)} = ${shortNumber(p.value)}`, op: p.op, threshold: p.threshold }])).join(', ')}`);
    const top = w.featureNames.map((_, j) => j).filter((j) => w.contributions[j] !== 0).sort((a, b) => Math.abs(w.contributions[b]) - Math.abs(w.contributions[a])).slice(0, 5);
    out.push(`  for ${assignedText(w.segment)} over ${labelNames ? assignedText(w.runnerUp) : w.runnerUp}: ${top.map((j) => `${isolate(w.featureNames[j])} ${w.contributions[j] > 0 ? '+' : ''}${formatNumber(w.contributions[j])}`).join(', ') || 'no feature'}`);
  }
  for (const c of composition) {
    out.push('', `composition by ${isolate(`"${c.column}"`)} (flagged: a group's share differs from all customers by more than ${formatShare(c.threshold)}):`);
    if (c.flagged.length === 0) out.push('  no segment differs that much');
    for (const g of c.flagged) out.push(`  ${labelText(g.segment)}: ${isolate(g.group)} ${formatShare(g.share)} vs ${formatShare(g.overallShare)} of all customers`);
  }
  if (f.report !== undefined) out.push('', `wrote ${f.report}`);
  ctx.print(out.join('\n'));
}

/** The model's segment id of each text label, when every label is one of the model's segment names (all different). */
function modelIds(labelNames: readonly string[], modelNames: readonly string[]): Int32Array | undefined {
  const id = new Map(modelNames.map((name, c) => [name, c]));
  if (id.size !== modelNames.length || labelNames.some((name) => !id.has(name))) return undefined;
  return Int32Array.from(labelNames, (name) => id.get(name)!);
}

/** The features (by column name) whose cell is empty in the customer's row of the file: the values shown were filled in. */
function filledFeatures(table: Table, row: number, featureNames: readonly string[]): string[] {
  return featureNames.filter((name) => {
    const column = table.getChild(name);
    return column !== null && !column.isValid(row);
  });
}
