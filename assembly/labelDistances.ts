// Distances of rows to their own cluster's centroid, per cluster, in float64: the sums behind inertia,
// Calinski-Harabasz (within-cluster dispersion) and Davies-Bouldin (mean intra-cluster distance).

/** Adds row i's w*acc and w*sqrt(acc) into its cluster's two sums. */
@inline function addRow(out: usize, k: i32, lab: i32, weights: usize, i: i32, acc: f64): void {
  const w: f64 = weights ? <f64>load<f32>(weights + (<usize>i << 2)) : 1.0;
  const sq = out + (<usize>lab << 3);
  const lin = out + (<usize>(k + lab) << 3);
  store<f64>(sq, load<f64>(sq) + w * acc);
  store<f64>(lin, load<f64>(lin) + w * Math.sqrt(acc));
}

/**
 * Adds w*|x_i - c_label|^2 into out[label] and w*|x_i - c_label| into out[k + label] for rows [row0, row1); centroids
 * are float64. Four rows at a time, one per float64 lane of two vectors: each row's sum runs over the features in the
 * same order as one row alone, and rows are added to the sums in row order, so the result is the scalar loop's.
 */
export function labelDistances(
  x: usize, stride: i32, d: i32, row0: i32, row1: i32,
  cent: usize, k: i32, labels: usize, weights: usize, out: usize,
): void {
  const step = <usize>stride << 2, db = <usize>d << 3;
  let i = row0;
  for (; i + 4 <= row1; i += 4) {
    const lp = labels + (<usize>i << 2);
    const l0 = load<i32>(lp), l1 = load<i32>(lp, 4), l2 = load<i32>(lp, 8), l3 = load<i32>(lp, 12);
    const c0 = cent + <usize>l0 * db, c1 = cent + <usize>l1 * db, c2 = cent + <usize>l2 * db, c3 = cent + <usize>l3 * db;
    let a = f64x2.splat(0), b = f64x2.splat(0);
    let p = x + (<usize>i << 2);
    for (let j: usize = 0; j < db; j += 8) {
      const v = v128.load(p);
      const ta = f64x2.sub(f64x2.promote_low_f32x4(v), f64x2.replace_lane(f64x2.splat(load<f64>(c0 + j)), 1, load<f64>(c1 + j)));
      const tb = f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)), f64x2.replace_lane(f64x2.splat(load<f64>(c2 + j)), 1, load<f64>(c3 + j)));
      a = f64x2.add(a, f64x2.mul(ta, ta));
      b = f64x2.add(b, f64x2.mul(tb, tb));
      p += step;
    }
    addRow(out, k, l0, weights, i, f64x2.extract_lane(a, 0));
    addRow(out, k, l1, weights, i + 1, f64x2.extract_lane(a, 1));
    addRow(out, k, l2, weights, i + 2, f64x2.extract_lane(b, 0));
    addRow(out, k, l3, weights, i + 3, f64x2.extract_lane(b, 1));
  }
  for (; i < row1; i++) {
    const lab = load<i32>(labels + (<usize>i << 2));
    const cp = cent + <usize>lab * db;
    let acc: f64 = 0;
    for (let j = 0; j < d; j++) {
      const t = <f64>load<f32>(x + ((<usize>j * <usize>stride + <usize>i) << 2)) - load<f64>(cp + (<usize>j << 3));
      acc += t * t;
    }
    addRow(out, k, lab, weights, i, acc);
  }
}
