// Distances from each row to every centroid (the `transform` of k-means), direct (x - c)^2 form, 4 rows per f32x4.

/** Writes |x_i - c_t| (or its square when squared = 1) to out[(i - row0) * k + t] for rows [row0, row1). */
export function distances(
  x: usize, stride: i32, d: i32, row0: i32, row1: i32,
  cent: usize, k: i32, squared: i32, out: usize,
): void {
  let i = row0;
  for (; i + 4 <= row1; i += 4) {
    for (let t = 0; t < k; t++) {
      const cp = cent + ((<usize>(t * d)) << 2);
      let acc = f32x4.splat(0);
      let p = x + (<usize>i << 2);
      for (let j = 0; j < d; j++) {
        const v = f32x4.sub(v128.load(p), v128.load32_splat(cp + (<usize>j << 2)));
        acc = f32x4.add(acc, f32x4.mul(v, v));
        p += <usize>stride << 2;
      }
      if (!squared) acc = f32x4.sqrt(acc);
      const o = out + ((<usize>((i - row0) * k + t)) << 2);
      const kk = <usize>k << 2;
      store<f32>(o, f32x4.extract_lane(acc, 0));
      store<f32>(o + kk, f32x4.extract_lane(acc, 1));
      store<f32>(o + 2 * kk, f32x4.extract_lane(acc, 2));
      store<f32>(o + 3 * kk, f32x4.extract_lane(acc, 3));
    }
  }
  for (; i < row1; i++) {
    for (let t = 0; t < k; t++) {
      const cp = cent + ((<usize>(t * d)) << 2);
      let acc: f32 = 0;
      for (let j = 0; j < d; j++) {
        const v = load<f32>(x + ((<usize>j * <usize>stride + <usize>i) << 2)) - load<f32>(cp + (<usize>j << 2));
        acc += v * v;
      }
      store<f32>(out + ((<usize>((i - row0) * k + t)) << 2), squared ? acc : sqrt<f32>(acc));
    }
  }
}
