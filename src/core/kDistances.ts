import { badOption, throwIfAborted } from '../util/errors.js';
import { checkOptions, orDefault } from '../util/options.js';
import { assertResolution, toDataset, type DataInput } from '../data/dataset.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import { checkLatLon, EARTH_RADIUS_KM, epsGeometry, indexCoordinates, type DbscanMetric } from './epsNeighbours.js';
import { hdbscanCoreOp, hdbscanNeighboursOp } from './hdbscanOps.js';
import type { RunOptions } from './model.js';
import { buildKdTree } from './spatialIndex.js';
import { asin, cos, sin } from '../util/detMath.js';

export interface KDistancesOptions extends RunOptions {
  /** Neighbours counted, the row itself included (DBSCAN's minSamples). */
  k: number;
  metric?: DbscanMetric;
}

/**
 * The smallest eps (km) at which dbscan's haversine test, sin^2 form <= sin^2(eps / 2) (epsGeometry's limit), takes a
 * pair whose sin^2 form is v, searched from d, the distance the form gives: eps -> limit rounds unlike v -> d, so at d,
 * or a unit in the last place above it, the pair could still fall outside eps.
 */
function smallestEps(v: number, d: number): number {
  const passes = (e: number): boolean => e > 0 && epsGeometry(e, 'haversine').limit >= v;
  let lo = d, hi = d;
  for (let w = d * 2 ** -50; passes(lo); w *= 2) lo -= w;
  for (let w = d * 2 ** -50; !passes(hi); w *= 2) hi += w;
  for (;;) {
    const mid = lo + (hi - lo) / 2;
    if (mid === lo || mid === hi) return hi;
    if (passes(mid)) hi = mid;
    else lo = mid;
  }
}

/**
 * Each row's distance to its k-th nearest row, the row itself counted first (kilometres for haversine), in row
 * order: with k = minSamples, a row is a DBSCAN core point when this is at most eps (euclidean: at eps equal to it,
 * the rounding of the squared comparison decides; haversine: it is the smallest eps at which dbscan's test takes the
 * row's k nearest, so the row is core from eps equal to it on), so the sorted curve (the k-distance plot of Ester et al. 1996) shows how many
 * rows each eps makes core. kd-tree searches as shard ops.
 * @example
 * const d = await kDistances(rows, { k: 5 });
 * const sorted = Float64Array.from(d).sort().reverse();   // look for the knee
 */
export async function kDistances(data: DataInput, options: KDistancesOptions): Promise<Float64Array> {
  if (!options || typeof options !== 'object') throw badOption('options', options, 'an object with at least { k }');
  checkOptions(options, ['k', 'metric', 'executor', 'threads', 'signal'], 'kDistances');
  const ds = toDataset(data);
  assertResolution(ds);
  const { k } = options;
  if (!Number.isInteger(k) || k < 1 || k > ds.n) throw badOption('k', k, `an integer from 1 to the number of rows (${ds.n})`);
  const metric = orDefault(options.metric, 'euclidean');
  if (metric !== 'euclidean' && metric !== 'haversine') throw badOption('metric', metric, '"euclidean" or "haversine"');
  if (metric === 'haversine') checkLatLon(ds);
  throwIfAborted(options.signal);
  const ex = resolveExecutor(options);
  const { coords, lat, lon } = indexCoordinates(ds, metric);
  const { perm, spec: tree } = buildKdTree(coords, 32);
  const n = ds.n;
  const sorted = coords.map((c) => { const o = new Float64Array(n); for (let r = 0; r < n; r++) o[r] = c[perm[r]]; return o; });
  const handle = await ex.load({ columns: sorted }, { dtype: 'f64', replicate: true, signal: options.signal });
  try {
    const out = new Float64Array(n);
    if (lat && lon) {
      // the k nearest by the chord between unit vectors, whose rounding is too coarse for the distance itself (1e-9
      // of it at a metre): that is taken from dbscan's own test, the haversine sin^2 form of latitude and longitude
      const cosLat = lat.map((v) => cos(v));
      const parts = await ex.map(hdbscanNeighboursOp, handle, { tree, k }, { signal: options.signal });
      let at = 0;
      for (const { nn } of parts) {
        for (let q = 0; q < nn.length / k; q++, at++) {
          const i = perm[at];
          let v = 0;
          for (let t = 0; t < k; t++) {
            const j = perm[nn[q * k + t]], s0 = sin(0.5 * (lat[i] - lat[j])), s1 = sin(0.5 * (lon[i] - lon[j]));
            v = Math.max(v, s0 * s0 + cosLat[i] * cosLat[j] * s1 * s1);
          }
          out[i] = v > 0 ? smallestEps(v, 2 * asin(Math.min(1, Math.sqrt(v))) * EARTH_RADIUS_KM) : 0;
        }
      }
      return out;
    }
    const parts = await ex.map(hdbscanCoreOp, handle, { tree, k }, { signal: options.signal });
    let at = 0;
    for (const p of parts) {
      for (let q = 0; q < p.length; q++) out[perm[at + q]] = p[q];
      at += p.length;
    }
    return out;
  } finally {
    await ex.release(handle);
  }
}
