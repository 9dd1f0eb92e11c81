// What "within eps" means for DBSCAN and its model: the index coordinates of each metric, the search radius and the
// exact threshold, and the spatial index that serves radius searches.
import { SegkitError } from '../util/errors.js';
import { finiteCopies, type Dataset } from '../data/dataset.js';
import { buildGrid, buildKdTree, type BuiltIndex } from './spatialIndex.js';
import { cos, sin } from '../util/detMath.js';

export type DbscanMetric = 'euclidean' | 'haversine';

/** Grids serve up to three index dimensions (3^d cells to visit); above that a kd-tree. */
const MAX_GRID_DIMS = 3;

/** Mean earth radius (IUGG), kilometres: haversine eps is eps / EARTH_RADIUS_KM radians. */
export const EARTH_RADIUS_KM = 6371.0088;

/** Checks latitude/longitude data for the haversine metric: two columns, latitudes within [-90, 90]. */
export function checkLatLon(ds: Dataset): void {
  if (ds.d !== 2) {
    throw new SegkitError('E_BAD_OPTION', `option "metric" is "haversine", which needs exactly two columns (latitude, longitude in degrees); the data has ${ds.d} (${ds.names.join(', ')})`);
  }
  const lat = ds.columns[0];
  for (let i = 0; i < ds.n; i++) {
    if (!(Math.abs(lat[i]) <= 90)) {
      throw new SegkitError('E_BAD_OPTION', `row ${i}, column "${ds.names[0]}" holds latitude ${lat[i]}, beyond [-90, 90] (option "metric" is "haversine")`, 'the first column must be the latitude and the second the longitude, in degrees');
    }
  }
}

/** Index coordinates (float64): the features, or unit vectors on the sphere for haversine, whose chord grows with the great-circle distance. */
export function indexCoordinates(ds: Dataset, metric: DbscanMetric): { coords: Float64Array[]; lat?: Float64Array; lon?: Float64Array } {
  const copies = finiteCopies(ds);
  if (metric === 'euclidean') return { coords: copies };
  const n = ds.n;
  // numpy's radians: x * (pi / 180)
  const lat = copies[0].map((v) => v * (Math.PI / 180));
  const lon = copies[1].map((v) => v * (Math.PI / 180));
  const ux = new Float64Array(n), uy = new Float64Array(n), uz = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = cos(lat[i]);
    ux[i] = c * cos(lon[i]);
    uy[i] = c * sin(lon[i]);
    uz[i] = sin(lat[i]);
  }
  return { coords: [ux, uy, uz], lat, lon };
}

/**
 * Search radius in index coordinates (r2, squared), the exact threshold (limit), and `inner`: a radius in index
 * coordinates within which every pair passes the exact test, rounding included.
 */
export function epsGeometry(eps: number, metric: DbscanMetric): { r2: number; limit: number; inner: number } {
  if (metric === 'euclidean') {
    // float32 rows lie less than 1e40 apart: a larger eps reaches every row, and its square must stay finite
    const e = Math.min(eps, EPS_REACHES_ALL);
    return { r2: e * e, limit: e * e, inner: e * INNER };
  }
  const rad = eps / EARTH_RADIUS_KM;
  const s = sin(0.5 * rad);
  // the chord of the arc, widened past the rounding of the unit vectors: a candidate filter, never the decision
  const chord = rad >= Math.PI ? 2 : 2 * s;
  const r = chord * (1 + 1e-9) + 1e-12;
  // from half the circumference on, every pair is within eps; sin^2(eps / 2) falls again past it, so the limit is
  // one the sin^2 form (at most 1, rounding aside) never exceeds
  return { r2: r * r, limit: rad >= Math.PI ? 2 : s * s, inner: chord * INNER };
}

/** An eps beyond any distance between float32 rows (they lie within 6.8e38 sqrt(d) of each other). */
const EPS_REACHES_ALL = 1e150;

/** Float64 rounding of the coordinates, the cell arithmetic and the exact test stays far below this relative margin. */
const INNER = 1 - 1e-6;

/**
 * The spatial index for radius searches: in up to three dimensions, a grid whose cell diagonal is `inner` (any two
 * rows of one cell are within eps, so a cell of minSamples rows is all core, and one tested pair links two cells:
 * Gunawan's grid DBSCAN, 2013); else, or when the extent would need too many cells, a kd-tree.
 */
export function epsIndex(coords: readonly Float64Array[], r2: number, inner: number): BuiltIndex {
  const dims = coords.length;
  const side = inner / Math.sqrt(dims);
  // a search visits (2 reach + 1)^dims cells: 2 cells each way, unless haversine's widened radius outgrows an eps of
  // centimetres (a million cells each way at 1e-12 km); then the tree
  const reach = Math.ceil(Math.sqrt(r2) / side);
  const grid = dims <= MAX_GRID_DIMS && reach <= 2 ? buildGrid(coords, side, reach) : null;
  return grid ?? buildKdTree(coords, 32);
}

