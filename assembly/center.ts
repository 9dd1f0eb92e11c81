// Preparing data copied into the heap: per-column sums (for the mean) and centring in place (by the float32 mean), which keeps the
// ||c||^2 - 2 x.c distance expansion accurate in float32 (scikit-learn centres its data for the same reason).

/** Adds x over rows [row0, row1) of each column j into out[j] (float64). */
export function columnSums(x: usize, stride: i32, d: i32, row0: i32, row1: i32, out: usize): void {
  for (let j = 0; j < d; j++) {
    const col = x + ((<usize>j * <usize>stride) << 2);
    // four float64 pairs: 8 rows a step, each pair of rows its own running sum
    let a = f64x2.splat(0), b = a, c = a, e = a;
    let i = row0;
    for (; i + 8 <= row1; i += 8) {
      const p = col + (<usize>i << 2);
      a = f64x2.add(a, f64x2.promote_low_f32x4(v128.load64_zero(p)));
      b = f64x2.add(b, f64x2.promote_low_f32x4(v128.load64_zero(p, 8)));
      c = f64x2.add(c, f64x2.promote_low_f32x4(v128.load64_zero(p, 16)));
      e = f64x2.add(e, f64x2.promote_low_f32x4(v128.load64_zero(p, 24)));
    }
    a = f64x2.add(f64x2.add(a, b), f64x2.add(c, e));
    let s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
    for (; i < row1; i++) s += <f64>load<f32>(col + (<usize>i << 2));
    store<f64>(out + (<usize>j << 3), load<f64>(out + (<usize>j << 3)) + s);
  }
}

/** x = x - offset[j] (float32) in place over rows [row0, row1); returns sum of w * x^2 after centring (float64). */
export function centerColumns(x: usize, stride: i32, d: i32, row0: i32, row1: i32, offset: usize, weights: usize): f64 {
  let acc = f64x2.splat(0);
  let tail: f64 = 0;
  for (let j = 0; j < d; j++) {
    const col = x + ((<usize>j * <usize>stride) << 2);
    const o = load<f32>(offset + (<usize>j << 2));
    const ov = f32x4.splat(o);
    let i = row0;
    for (; i + 4 <= row1; i += 4) {
      const p = col + (<usize>i << 2);
      const v = f32x4.sub(v128.load(p), ov);
      v128.store(p, v);
      const lo = f64x2.promote_low_f32x4(v), hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
      let sl = f64x2.mul(lo, lo), sh = f64x2.mul(hi, hi);
      if (weights) {
        const w = v128.load(weights + (<usize>i << 2));
        sl = f64x2.mul(sl, f64x2.promote_low_f32x4(w));
        sh = f64x2.mul(sh, f64x2.promote_low_f32x4(v128.shuffle<f32>(w, w, 2, 3, 0, 1)));
      }
      acc = f64x2.add(acc, f64x2.add(sl, sh));
    }
    for (; i < row1; i++) {
      const p = col + (<usize>i << 2);
      const v = load<f32>(p) - o;
      store<f32>(p, v);
      const w: f64 = weights ? <f64>load<f32>(weights + (<usize>i << 2)) : 1.0;
      tail += w * <f64>v * <f64>v;
    }
  }
  return f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1) + tail;
}

/**
 * dst = src - offset[j] (float32) for `rows` rows of d columns (src and dst may be the same block); returns the sum of
 * the centred values' squares (float64) in two running pairs of rows, not in centerColumns' order: for range checks
 * only. Reads and writes whole groups of 4 rows: a column's rows past `rows` up to a multiple of 4 must be memory its
 * stride pads (their values are written to dst and left out of the sum).
 */
export function centreCopy(src: usize, srcStride: i32, dst: usize, dstStride: i32, d: i32, rows: i32, offset: usize): f64 {
  let a = f64x2.splat(0), b = a;
  const lanes = i32x4(0, 1, 2, 3);
  for (let j = 0; j < d; j++) {
    const from = src + ((<usize>j * <usize>srcStride) << 2);
    const to = dst + ((<usize>j * <usize>dstStride) << 2);
    const ov = v128.load32_splat(offset + (<usize>j << 2));
    for (let i = 0; i < rows; i += 4) {
      const p = <usize>i << 2;
      let v = f32x4.sub(v128.load(from + p), ov);
      v128.store(to + p, v);
      // the rows past the last are no values
      if (i + 4 > rows) v = v128.and(v, i32x4.lt_s(lanes, i32x4.splat(rows - i)));
      const lo = f64x2.promote_low_f32x4(v), hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
      a = f64x2.add(a, f64x2.mul(lo, lo));
      b = f64x2.add(b, f64x2.mul(hi, hi));
    }
  }
  a = f64x2.add(a, b);
  return f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
}
