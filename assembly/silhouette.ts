// Silhouette's heavy part: for each row a, the sum of its distances to the rows of every cluster.
// Rows are laid out grouped by cluster (segments starting at multiples of 4). B rows are swept in tiles so a
// tile stays in cache while the block of A rows passes over it, as in a blocked matrix product.

/** out[(a - a0) * k + c] += sum over rows b of cluster c of |x_a - x_b|, for rows a in [a0, a1); B in tiles of `tile` rows. */
export function silhouetteSums(
  x: usize, stride: i32, d: i32, a0: i32, a1: i32, rows: i32, tile: i32,
  segStart: usize, segEnd: usize, k: i32, out: usize,
): void {
  const laneIdx = i32x4(0, 1, 2, 3);
  const step = <usize>stride << 2;
  for (let b0 = 0; b0 < rows; b0 += tile) {
    const b1 = min<i32>(b0 + tile, rows);
    for (let c = 0; c < k; c++) {
      const s = max<i32>(load<i32>(segStart + (<usize>c << 2)), b0);
      const e = min<i32>(load<i32>(segEnd + (<usize>c << 2)), b1);
      if (s >= e) continue;
      const eVec = i32x4.splat(e);
      for (let a = a0; a < a1; a++) {
        let acc = f32x4.splat(0);
        for (let b = s; b < e; b += 4) {
          let sq = f32x4.splat(0);
          let pb = x + (<usize>b << 2);
          let pa = x + (<usize>a << 2);
          for (let j = 0; j < d; j++) {
            const t = f32x4.sub(v128.load(pb), f32x4.splat(load<f32>(pa)));
            sq = f32x4.add(sq, f32x4.mul(t, t));
            pb += step;
            pa += step;
          }
          let dist = f32x4.sqrt(sq);
          if (b + 4 > e) dist = v128.and(dist, i32x4.lt_s(i32x4.add(laneIdx, i32x4.splat(b)), eVec));
          acc = f32x4.add(acc, dist);
        }
        const sum = <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
        const o = out + ((<usize>((a - a0) * k + c)) << 3);
        store<f64>(o, load<f64>(o) + sum);
      }
    }
  }
}
