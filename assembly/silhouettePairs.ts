// Silhouette's heavy part in pairs of blocks: rows are laid out grouped by cluster (segments starting at multiples of
// 4), and each distance between a row of block A and a row of block B is computed once and added to both sides:
// to the A row's sum over B's clusters and to the B row's sum over A's clusters. A block paired with itself adds to
// its A rows only (every distance of the block, each once from each side).

// out[at] += the four lanes of acc, added in float64 in lane order
function addSum(out: usize, at: i32, acc: v128): void {
  const sum = <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
  const o = out + (<usize>at << 3);
  store<f64>(o, load<f64>(o) + sum);
}

/**
 * For rows a in [a0, a1) and b in [b0, b1) of the column-major matrix x: outA[(a - a0) * k + c(b)] += |x_a - x_b|
 * (float64, k a row) and, unless outB is 0, outB[(b - b0) * w + c(a) - c0] += |x_a - x_b|, where A's rows lie in
 * clusters [c0, c0 + w). acc is float32 scratch of w * (b1 - b0) values, for B's sums while A's rows pass. Rows
 * past a segment's end (padding) are neither read as A rows nor counted as B rows.
 */
export function silhouettePairs(
  x: usize, stride: i32, d: i32, a0: i32, a1: i32, b0: i32, b1: i32,
  segStart: usize, segEnd: usize, k: i32, c0: i32, w: i32, outA: usize, outB: usize, acc: usize,
): void {
  const laneIdx = i32x4(0, 1, 2, 3);
  const step = <usize>stride << 2;
  const bn = b1 - b0;
  const both = outB != 0;
  if (both) memory.fill(acc, 0, <usize>(w * bn) << 2);
  for (let cb = 0; cb < k; cb++) {
    const bs = max<i32>(load<i32>(segStart + (<usize>cb << 2)), b0);
    const be = min<i32>(load<i32>(segEnd + (<usize>cb << 2)), b1);
    if (bs >= be) continue;
    const eVec = i32x4.splat(be);
    for (let ca = c0; ca < c0 + w; ca++) {
      const as = max<i32>(load<i32>(segStart + (<usize>ca << 2)), a0);
      const ae = min<i32>(load<i32>(segEnd + (<usize>ca << 2)), a1);
      if (as >= ae) continue;
      const accRow = acc + (<usize>((ca - c0) * bn) << 2);
      // four A rows at a time: four independent sums per feature hide the add latency, and each B vector is loaded
      // once for the four. A last group of fewer rows repeats its last row in the missing lanes, whose distances
      // are kept by neither side
      for (let a = as; a < ae; a += 4) {
        const n4 = min<i32>(4, ae - a);
        const o1 = <usize>(min<i32>(1, n4 - 1) << 2), o2 = <usize>(min<i32>(2, n4 - 1) << 2), o3 = <usize>(min<i32>(3, n4 - 1) << 2);
        const m1 = i32x4.splat(n4 > 1 ? -1 : 0), m2 = i32x4.splat(n4 > 2 ? -1 : 0), m3 = i32x4.splat(n4 > 3 ? -1 : 0);
        let c0v = f32x4.splat(0), c1v = c0v, c2v = c0v, c3v = c0v;
        for (let b = bs; b < be; b += 4) {
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
          const live = b + 4 > be ? i32x4.lt_s(i32x4.add(laneIdx, i32x4.splat(b)), eVec) : i32x4.splat(-1);
          const s0 = v128.and(f32x4.sqrt(q0), live), s1 = v128.and(f32x4.sqrt(q1), live);
          const s2 = v128.and(f32x4.sqrt(q2), live), s3 = v128.and(f32x4.sqrt(q3), live);
          c0v = f32x4.add(c0v, s0);
          c1v = f32x4.add(c1v, s1);
          c2v = f32x4.add(c2v, s2);
          c3v = f32x4.add(c3v, s3);
          if (both) {
            const p = accRow + (<usize>(b - b0) << 2);
            const v = f32x4.add(f32x4.add(f32x4.add(s0, v128.and(s1, m1)), v128.and(s2, m2)), v128.and(s3, m3));
            v128.store(p, f32x4.add(v128.load(p), v));
          }
        }
        addSum(outA, (a - a0) * k + cb, c0v);
        if (n4 > 1) addSum(outA, (a + 1 - a0) * k + cb, c1v);
        if (n4 > 2) addSum(outA, (a + 2 - a0) * k + cb, c2v);
        if (n4 > 3) addSum(outA, (a + 3 - a0) * k + cb, c3v);
      }
    }
  }
  if (!both) return;
  // B's sums, float32 over this block's A rows, into float64
  for (let ca = 0; ca < w; ca++) {
    for (let b = 0; b < bn; b++) {
      const o = outB + (<usize>(b * w + ca) << 3);
      store<f64>(o, load<f64>(o) + <f64>load<f32>(acc + (<usize>(ca * bn + b) << 2)));
    }
  }
}
