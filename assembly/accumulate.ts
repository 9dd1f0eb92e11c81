// Per-cluster weighted sums and weights of a block of rows, given their labels (f64 accumulation).

/** Adds w*x of rows [row0, row1) into sums[label*d + j] and w into sums[k*d + label]. */
export function accumulate(
  x: usize, stride: i32, d: i32, row0: i32, row1: i32,
  labels: usize, weights: usize, k: i32, sums: usize,
): void {
  const cnt = sums + ((<usize>(k * d)) << 3);
  for (let j = 0; j < d; j++) {
    const col = x + ((<usize>j * <usize>stride) << 2);
    const base = sums + (<usize>j << 3);
    for (let i = row0; i < row1; i++) {
      const lab = load<i32>(labels + (<usize>i << 2));
      const w: f64 = weights ? <f64>load<f32>(weights + (<usize>i << 2)) : 1.0;
      const at = base + ((<usize>(lab * d)) << 3);
      store<f64>(at, load<f64>(at) + w * <f64>load<f32>(col + (<usize>i << 2)));
    }
  }
  for (let i = row0; i < row1; i++) {
    const lab = load<i32>(labels + (<usize>i << 2));
    const w: f64 = weights ? <f64>load<f32>(weights + (<usize>i << 2)) : 1.0;
    store<f64>(cnt + (<usize>lab << 3), load<f64>(cnt + (<usize>lab << 3)) + w);
  }
}
