// Silhouette's heavy part: for each row a, the sum of its distances to the rows of every cluster.
// Rows are laid out grouped by cluster (segments starting at multiples of 4). B rows are swept in tiles so a
// tile stays in cache while the block of A rows passes over it, as in a blocked matrix product.

// out[at] += the four lanes of acc, added in float64 in lane order
function addSum(out: usize, at: i32, acc: v128): void {
  const sum = <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
  const o = out + (<usize>at << 3);
  store<f64>(o, load<f64>(o) + sum);
}

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
      // four A rows at a time: four independent sums per feature hide the add latency, and each B vector is loaded
      // once for the four; every distance and every sum keeps a one-row loop's operation order. A last group of
      // fewer rows repeats its last row in the missing lanes, whose sums are not kept
      for (let a = a0; a < a1; a += 4) {
        const n4 = min<i32>(4, a1 - a);
        const o1 = <usize>(min<i32>(1, n4 - 1) << 2), o2 = <usize>(min<i32>(2, n4 - 1) << 2), o3 = <usize>(min<i32>(3, n4 - 1) << 2);
        let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
        for (let b = s; b < e; b += 4) {
          let q0 = f32x4.splat(0), q1 = q0, q2 = q0, q3 = q0;
          let pb = x + (<usize>b << 2);
          let pa = x + (<usize>a << 2);
          for (let j = 0; j < d; j++) {
            const xb = v128.load(pb);
            const t0 = f32x4.sub(xb, v128.load32_splat(pa));
            const t1 = f32x4.sub(xb, v128.load32_splat(pa + o1));
            const t2 = f32x4.sub(xb, v128.load32_splat(pa + o2));
            const t3 = f32x4.sub(xb, v128.load32_splat(pa + o3));
            q0 = f32x4.add(q0, f32x4.mul(t0, t0));
            q1 = f32x4.add(q1, f32x4.mul(t1, t1));
            q2 = f32x4.add(q2, f32x4.mul(t2, t2));
            q3 = f32x4.add(q3, f32x4.mul(t3, t3));
            pb += step;
            pa += step;
          }
          // lanes past the segment's end add nothing
          const live = b + 4 > e ? i32x4.lt_s(i32x4.add(laneIdx, i32x4.splat(b)), eVec) : i32x4.splat(-1);
          c0 = f32x4.add(c0, v128.and(f32x4.sqrt(q0), live));
          c1 = f32x4.add(c1, v128.and(f32x4.sqrt(q1), live));
          c2 = f32x4.add(c2, v128.and(f32x4.sqrt(q2), live));
          c3 = f32x4.add(c3, v128.and(f32x4.sqrt(q3), live));
        }
        addSum(out, (a - a0) * k + c, c0);
        if (n4 > 1) addSum(out, (a + 1 - a0) * k + c, c1);
        if (n4 > 2) addSum(out, (a + 2 - a0) * k + c, c2);
        if (n4 > 3) addSum(out, (a + 3 - a0) * k + c, c3);
      }
    }
  }
}
