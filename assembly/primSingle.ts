// Single linkage from the vectors in O(n d) memory: Prim's algorithm as SciPy's mst_single_linkage and fastcluster's
// MST_linkage_core_vector run it (Müllner 2011, fig. 6), float64 distances summed feature by feature. Unmerged
// points stay packed at the front of a working copy in blocks of 8 (feature j of the block's 8 points side by
// side), swept with four independent f64x2 sums; ties go to the lowest original row, as SciPy's ascending scan.

/** Byte address of feature j of packed point p: blocks of 8 points, d features of 8 doubles each. */
@inline function at8(work: usize, p: i32, j: i32, d: i32): usize {
  return work + ((<usize>(p >> 3) * <usize>d) << 6) + (<usize>j << 6) + (<usize>(p & 7) << 3);
}

/**
 * x: column-major float64 data (n rows, column stride `stride`). Scratch: work (cap x d float64, cap a multiple
 * of 8 above n), pos (cap int32), dmin (cap float64), cur (d float64). out: (n - 1) x 3 float64 rows (previous
 * point, new point, distance), in Prim's order.
 */
export function primSingle(x: usize, stride: i32, n: i32, d: i32, cap: i32, work: usize, pos: usize, dmin: usize, cur: usize, out: usize): void {
  for (let p = 0; p < cap; p++) {
    for (let j = 0; j < d; j++) store<f64>(at8(work, p, j, d), p < n ? load<f64>(x + ((<usize>j * <usize>stride + <usize>p) << 3)) : 0);
    store<i32>(pos + (<usize>p << 2), p);
    store<f64>(dmin + (<usize>p << 3), Infinity);
  }
  let active = n;
  let xp = 0;
  let xid = 0;
  for (let k = 0; k < n - 1; k++) {
    // take point xid out of the packed set, keeping its coordinates
    for (let j = 0; j < d; j++) store<f64>(cur + (<usize>j << 3), load<f64>(at8(work, xp, j, d)));
    active--;
    if (xp != active) {
      for (let j = 0; j < d; j++) store<f64>(at8(work, xp, j, d), load<f64>(at8(work, active, j, d)));
      store<i32>(pos + (<usize>xp << 2), load<i32>(pos + (<usize>active << 2)));
      store<f64>(dmin + (<usize>xp << 3), load<f64>(dmin + (<usize>active << 3)));
    }
    let best = Infinity;
    let bestId = 0x7fffffff;
    let bestP = 0;
    for (let b = 0; (b << 3) < active; b++) {
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
      let q = work + ((<usize>b * <usize>d) << 6);
      for (let j = 0; j < d; j++) {
        const c = v128.load64_splat(cur + (<usize>j << 3));
        const t0 = f64x2.sub(c, v128.load(q)), t1 = f64x2.sub(c, v128.load(q, 16));
        const t2 = f64x2.sub(c, v128.load(q, 32)), t3 = f64x2.sub(c, v128.load(q, 48));
        a0 = f64x2.add(a0, f64x2.mul(t0, t0));
        a1 = f64x2.add(a1, f64x2.mul(t1, t1));
        a2 = f64x2.add(a2, f64x2.mul(t2, t2));
        a3 = f64x2.add(a3, f64x2.mul(t3, t3));
        q += 64;
      }
      const dp = dmin + (<usize>b << 6);
      const m0 = f64x2.min(v128.load(dp), f64x2.sqrt(a0));
      const m1 = f64x2.min(v128.load(dp, 16), f64x2.sqrt(a1));
      const m2 = f64x2.min(v128.load(dp, 32), f64x2.sqrt(a2));
      const m3 = f64x2.min(v128.load(dp, 48), f64x2.sqrt(a3));
      v128.store(dp, m0);
      v128.store(dp, m1, 16);
      v128.store(dp, m2, 32);
      v128.store(dp, m3, 48);
      // most blocks hold nothing nearer than the best so far
      const mm = f64x2.min(f64x2.min(m0, m1), f64x2.min(m2, m3));
      if (min<f64>(f64x2.extract_lane(mm, 0), f64x2.extract_lane(mm, 1)) > best) continue;
      const end = min<i32>(8, active - (b << 3));
      for (let l = 0; l < end; l++) {
        const p = (b << 3) + l;
        const v = load<f64>(dmin + (<usize>p << 3));
        const id = load<i32>(pos + (<usize>p << 2));
        if (v < best || (v == best && id < bestId)) { best = v; bestId = id; bestP = p; }
      }
    }
    const o = out + (<usize>(k * 3) << 3);
    store<f64>(o, <f64>xid);
    store<f64>(o + 8, <f64>bestId);
    store<f64>(o + 16, best);
    xid = bestId;
    xp = bestP;
  }
}
