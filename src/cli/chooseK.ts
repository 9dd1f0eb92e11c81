import type { Command } from 'commander';
import { bestBySilhouette, chooseK } from '../workflow/chooseK.js';
import { throwIfAborted } from '../util/errors.js';
import { addFitOptions, checkFitFlags, checkGivenFlags, sweepKs, type FitFlags } from './fitOptions.js';
import { sweepOptions } from './fitModel.js';
import { addLinkageOption, linkageWords } from './densityOptions.js';
import type { Linkage } from '../core/agglomerativeModel.js';
import { UsageError } from './exitCodes.js';
import { counted, formatNumber, formatTable } from './formatTable.js';
import { addFormatOption, addPrepOptions, formatFlag, prepareFeatures, type PrepFlags } from './prepOptions.js';
import { readInput } from './readInput.js';
import { addCommonOptions, RunContext, type CommonFlags } from './runContext.js';
import { EXACT_SILHOUETTE_ROWS } from './silhouette.js';

interface ChooseKFlags extends PrepFlags, FitFlags, CommonFlags {
  readonly format?: string;
  readonly linkage?: Linkage;
}

const EXAMPLES = `
Examples:
  $ segkit choose-k customers.csv
  $ segkit choose-k customers.parquet --k-range 3..12 --seed 7 --json
  $ segkit choose-k customers.csv --columns recency,frequency,monetary --scale log

For each k: inertia, silhouette (exact up to ${EXACT_SILHOUETTE_ROWS.toLocaleString('en-US')} rows, seeded sample above), Calinski-Harabasz and
Davies-Bouldin, then the recommended k: the elbow of the inertia curve (Kneedle) weighed against the best silhouette.`;

export function registerChooseK(program: Command, signal: AbortSignal): void {
  const cmd = program
    .command('choose-k')
    .description('fit k-means (or cut one agglomerative tree) for a range of k and recommend the number of segments')
    .argument('<input>', 'customer table (.csv .tsv .json .ndjson .arrow .parquet), or - for CSV on stdin');
  addPrepOptions(cmd);
  addFitOptions(cmd);
  addLinkageOption(cmd);
  addFormatOption(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText('after', EXAMPLES);
  cmd.action(async (input: string, flags: ChooseKFlags) => {
    checkGivenFlags(cmd, flags.algorithm);
    return runChooseK(input, flags, new RunContext(signal, flags));
  });
}

async function runChooseK(input: string, f: ChooseKFlags, ctx: RunContext): Promise<void> {
  if (f.algorithm === 'dbscan' || f.algorithm === 'hdbscan') throw new UsageError(`choose-k: --algorithm ${f.algorithm} finds the number of segments itself; run segkit segment --algorithm ${f.algorithm}`);
  if (f.linkage !== undefined && f.algorithm !== 'agglomerative') throw new UsageError(`--linkage applies only with --algorithm agglomerative (got --algorithm ${f.algorithm})`);
  checkFitFlags(f, false);
  const table = await readInput(input, ctx, formatFlag(f));
  const { result: prepared, report } = await prepareFeatures(f, table, input, ctx);
  const { dataset } = prepared;
  throwIfAborted(ctx.signal);
  const ks = sweepKs(f, dataset, ctx);
  ctx.step(`choosing k for ${dataset.n} rows x ${dataset.d} features`);
  const total = ks.length * (f.algorithm === 'gmm' ? f.covariance.length : 1);
  const bar = ctx.progress.start('choosing k', total);
  let result;
  try {
    bar.update(0, `k = ${ks[0]}`);
    result = await chooseK(dataset, {
      kRange: ks, seed: f.seed, nInit: f.nInit, maxIter: f.maxIter, threads: ctx.threads, signal: ctx.signal,
      // agglomerative: one tree, cut at every k
      ...(f.algorithm === 'agglomerative' ? { algorithm: 'agglomerative' as const, linkage: f.linkage ?? 'ward' } : {}),
      silhouetteSampleSize: EXACT_SILHOUETTE_ROWS, ...sweepOptions(f),
      onProgress: (p) => bar.update(p.done, p.done < total ? `k = ${ks[p.done % ks.length]}` : ''),
    }).catch((error: unknown) => { throw linkageWords(error); });
  } finally {
    bar.stop();
  }
  const { table: sweep, elbowK, silhouetteK, stabilityK, stabilityOfRecommended, recommendedK, evidence, reason, bicK, aicK, covarianceType, notFitted } = result;
  const sampleSize = dataset.n > EXACT_SILHOUETTE_ROWS ? EXACT_SILHOUETTE_ROWS : null;
  if (ctx.json) {
    const mixture = bicK !== undefined ? { bicK, aicK, covarianceType } : {};
    ctx.printJson({ rows: dataset.n, features: [...dataset.names], silhouetteSampleSize: sampleSize, table: sweep, elbowK, silhouetteK, stabilityK, recommendedK, stabilityOfRecommended, evidence, reason, ...mixture, ...(notFitted ? { notFitted } : {}), ...report, notices: ctx.notices });
    return;
  }
  if (bicK !== undefined) {
    const aicRow = sweep.reduce((a, b) => (b.aic! < a.aic! ? b : a));
    const silRow = bestBySilhouette(sweep);
    const mark = (r: (typeof sweep)[number]) => [r.k === recommendedK && r.covarianceType === covarianceType ? 'recommended (lowest BIC)' : '', r === aicRow ? 'lowest AIC' : '', r === silRow && !Number.isNaN(r.silhouette) ? 'best silhouette' : ''].filter(Boolean).join(', ');
    ctx.print([
      `${dataset.n.toLocaleString('en-US')} rows · ${counted(dataset.d, 'feature')} · Gaussian mixtures${sampleSize ? ` · silhouette on ${sampleSize.toLocaleString('en-US')} sampled rows` : ''}`,
      '',
      formatTable(
        ['k', 'covariance', 'BIC', 'AIC', 'log-likelihood', 'silhouette', 'iterations', ''],
        sweep.map((r) => [String(r.k), r.covarianceType!, formatNumber(r.bic!), formatNumber(r.aic!), formatNumber(r.logLikelihood!), formatNumber(r.silhouette), String(r.iterations), mark(r)]),
        [true, false, true, true, true, true, true, false],
      ),
      '',
      `recommended k = ${recommendedK} (${covarianceType} covariances; ${evidence} evidence)`,
      reason,
    ].join('\n'));
    return;
  }
  const mark = (k: number) => [k === recommendedK ? 'recommended' : '', k === elbowK ? 'elbow' : '', k === silhouetteK ? 'best silhouette' : '', k === stabilityK ? 'most stable' : ''].filter(Boolean).join(', ');
  // the stability column when it was measured (k-means with resampling on)
  const stable = stabilityK !== null;
  const pick = <T,>(cells: T[]): T[] => (stable ? cells : cells.filter((_, j) => j !== 3));
  ctx.print([
    `${dataset.n.toLocaleString('en-US')} rows · ${counted(dataset.d, 'feature')}${sampleSize ? ` · silhouette on ${sampleSize.toLocaleString('en-US')} sampled rows` : ''}`,
    '',
    formatTable(
      pick(['k', 'inertia', 'silhouette', 'stability', 'Calinski-Harabasz', 'Davies-Bouldin', 'iterations', '']),
      sweep.map((r) => pick([String(r.k), formatNumber(r.inertia), formatNumber(r.silhouette), formatNumber(r.stability), formatNumber(r.calinskiHarabasz), formatNumber(r.daviesBouldin), String(r.iterations), mark(r.k)])),
      pick([true, true, true, true, true, true, true, false]),
    ),
    '',
    `recommended k = ${recommendedK} (${evidence} evidence)`,
    reason,
  ].join('\n'));
}
