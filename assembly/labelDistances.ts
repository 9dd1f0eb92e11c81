// Distances of rows to their own cluster's centroid, per cluster, in float64: the sums behind inertia,
// Calinski-Harabasz (within-cluster dispersion) and Davies-Bouldin (mean intra-cluster distance).

/** Adds w*|x_i - c_label|^2 into out[label] and w*|x_i - c_label| into out[k + label] for rows [row0, row1); centroids are float64. */
export function labelDistances(
  x: usize, stride: i32, d: i32, row0: i32, row1: i32,
  cent: usize, k: i32, labels: usize, weights: usize, out: usize,
): void {
  for (let i = row0; i < row1; i++) {
    const lab = load<i32>(labels + (<usize>i << 2));
    const cp = cent + ((<usize>(lab * d)) << 3);
    let acc: f64 = 0;
    for (let j = 0; j < d; j++) {
      const t = <f64>load<f32>(x + ((<usize>j * <usize>stride + <usize>i) << 2)) - load<f64>(cp + (<usize>j << 3));
      acc += t * t;
    }
    const w: f64 = weights ? <f64>load<f32>(weights + (<usize>i << 2)) : 1.0;
    const sq = out + (<usize>lab << 3);
    const lin = out + (<usize>(k + lab) << 3);
    store<f64>(sq, load<f64>(sq) + w * acc);
    store<f64>(lin, load<f64>(lin) + w * Math.sqrt(acc));
  }
}
