// The fit behind `segkit segment`: one algorithm at a fixed k, or a k sweep (chooseK) that recommends one.
import { chooseK, defaultRestarts, type ChooseKOptions, type ChooseKResult } from '../workflow/chooseK.js';
import type { Dataset } from '../data/dataset.js';
import { gaussianMixture } from '../core/gaussianMixture.js';
import { kmeans, kmeansDefaults } from '../core/kmeans.js';
import { miniBatchKMeans } from '../core/miniBatchKMeans.js';
import type { SegmentationModel } from '../core/model.js';
import { UsageError } from './exitCodes.js';
import { checkDistinctK, checkFitFlags, sweepKs, type FitFlags } from './fitOptions.js';
import { formatNumber } from './formatTable.js';
import type { RunContext } from './runContext.js';
import { EXACT_SILHOUETTE_ROWS } from './silhouette.js';
import { executorFor } from '../engine/defaultExecutor.js';

/** A fitted model, with the figures of the algorithms that have them. */
export type Fitted = SegmentationModel & { inertia?: number; iterations?: number; converged?: boolean; lowerBound?: number; covarianceType?: string };

export interface Fit {
  model: Fitted;
  sweep?: ChooseKResult;
}

/** chooseK's options for the fit flags (k-means: exactly the options it always had). */
export function sweepOptions(f: FitFlags): Partial<ChooseKOptions> {
  if (f.algorithm === 'kmeans') return f.init === undefined ? {} : { init: f.init };
  if (f.algorithm !== 'minibatch-kmeans' && f.algorithm !== 'gmm') return {};
  return {
    algorithm: f.algorithm,
    ...(f.init === undefined ? {} : { init: f.init }),
    ...(f.algorithm === 'gmm' ? { covarianceType: f.covariance } : { batchSize: f.batchSize }),
  };
}

export async function fitSegments(data: Dataset, f: FitFlags & { readonly k: number | 'auto' }, ctx: RunContext): Promise<Fit> {
  checkFitFlags(f, f.k !== 'auto');
  const common = { seed: f.seed, nInit: f.nInit, maxIter: f.maxIter, threads: ctx.threads, signal: ctx.signal };
  const ex = executorFor(ctx.threads);
  ctx.step(`fitting ${data.n} rows x ${data.d} features (${ex.kind} executor, ${ex.threads} thread${ex.threads === 1 ? '' : 's'})`);
  if (f.k === 'auto') {
    const ks = sweepKs(f, data, ctx);
    const total = ks.length * (f.algorithm === 'gmm' ? f.covariance.length : 1);
    const bar = ctx.progress.start('choosing k', total);
    try {
      bar.update(0, `k = ${ks[0]}`);
      const sweep = await chooseK(data, {
        ...common, ...sweepOptions(f), kRange: ks, silhouetteSampleSize: EXACT_SILHOUETTE_ROWS, keepModels: true,
        onProgress: (p) => bar.update(p.done, p.done < total ? `k = ${ks[p.done % ks.length]}` : ''),
      });
      return { model: sweep.models!.get(sweep.recommendedK)! as Fitted, sweep };
    } finally {
      bar.stop();
    }
  }
  // the silhouette (and so the report) needs at least one cluster with two rows: more rows than segments
  if (f.k >= data.n) throw new UsageError(`--k: ${f.k} segments need more than ${f.k} rows to be judged, the data has ${data.n}`);
  checkDistinctK(f.k, data);
  const k = f.k;
  if (f.algorithm === 'kmeans') {
    // the same restarts as each k of a sweep, so --k 3 fits the model --k auto keeps at k = 3
    const runs = f.nInit ?? defaultRestarts(data.n);
    const maxIter = f.maxIter ?? kmeansDefaults.maxIter;
    const bar = ctx.progress.start(`fitting k = ${k}`, runs * maxIter);
    try {
      const model = await kmeans(data, {
        ...common, nInit: runs, k, ...(f.init === undefined ? {} : { init: f.init as 'k-means++' }),
        onProgress: (p) => bar.update(p.run * maxIter + p.iteration, `${runs > 1 ? `run ${p.run + 1}/${runs} · ` : ''}inertia ${formatNumber(p.inertia)}`),
      });
      return { model };
    } finally {
      bar.stop();
    }
  }
  if (f.algorithm === 'minibatch-kmeans') {
    const bar = ctx.progress.start(`fitting k = ${k}`, 1);
    try {
      const model = await miniBatchKMeans(data, {
        ...common, k, batchSize: f.batchSize, ...(f.init === undefined ? {} : { init: f.init as 'k-means++' }),
        onProgress: (p) => {
          bar.setTotal(p.steps);
          bar.update(p.step, `batch inertia ${formatNumber(p.batchInertia)}`);
        },
      });
      return { model };
    } finally {
      bar.stop();
    }
  }
  const runs = f.nInit ?? 1;
  const maxIter = f.maxIter ?? 100;
  const bar = ctx.progress.start(`fitting k = ${k}`, runs * maxIter);
  try {
    const model = await gaussianMixture(data, {
      ...common, k, covarianceType: f.covariance[0], ...(f.init === undefined ? {} : { init: f.init as 'kmeans' }),
      onProgress: (p) => bar.update(p.run * maxIter + p.iteration, `${runs > 1 ? `run ${p.run + 1}/${runs} · ` : ''}log-likelihood ${formatNumber(p.lowerBound)}`),
    });
    return { model };
  } finally {
    bar.stop();
  }
}
