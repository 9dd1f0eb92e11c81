// Single linkage from the vectors in O(n d) memory: Prim's algorithm as SciPy's mst_single_linkage and fastcluster's
// MST_linkage_core_vector run it (Müllner 2011, fig. 6), float64 distances summed feature by feature, two candidates
// per f64x2. Unmerged points stay packed at the front of a column-major working copy (swap removal), so each step
// touches only them; ties go to the lowest original row, as SciPy's ascending scan gives.

/**
 * x: column-major float64 data (n rows, column stride `stride`). work: (d columns of `cap` >= n + 2) float64,
 * pos: cap int32, dmin: cap float64, cur: d float64 (scratch). out: (n - 1) x 3 float64 rows (previous point,
 * new point, distance), in Prim's order.
 */
export function primSingle(x: usize, stride: i32, n: i32, d: i32, cap: i32, work: usize, pos: usize, dmin: usize, cur: usize, out: usize): void {
  const cstep = <usize>cap << 3;
  for (let j = 0; j < d; j++) {
    memory.copy(work + <usize>j * cstep, x + ((<usize>j * <usize>stride) << 3), <usize>n << 3);
    store<f64>(work + <usize>j * cstep + (<usize>n << 3), 0);
    store<f64>(work + <usize>j * cstep + (<usize>(n + 1) << 3), 0);
  }
  for (let p = 0; p < n; p++) {
    store<i32>(pos + (<usize>p << 2), p);
    store<f64>(dmin + (<usize>p << 3), Infinity);
  }
  let active = n;
  let xp = 0;
  let xid = 0;
  for (let k = 0; k < n - 1; k++) {
    // take point xid out of the packed set, keeping its coordinates
    for (let j = 0; j < d; j++) store<f64>(cur + (<usize>j << 3), load<f64>(work + <usize>j * cstep + (<usize>xp << 3)));
    active--;
    if (xp != active) {
      for (let j = 0; j < d; j++) {
        const col = work + <usize>j * cstep;
        store<f64>(col + (<usize>xp << 3), load<f64>(col + (<usize>active << 3)));
      }
      store<i32>(pos + (<usize>xp << 2), load<i32>(pos + (<usize>active << 2)));
      store<f64>(dmin + (<usize>xp << 3), load<f64>(dmin + (<usize>active << 3)));
    }
    let best = Infinity;
    let bestId = 0x7fffffff;
    let bestP = 0;
    for (let p = 0; p < active; p += 2) {
      let acc = f64x2.splat(0);
      let q = work + (<usize>p << 3);
      for (let j = 0; j < d; j++) {
        const t = f64x2.sub(f64x2.splat(load<f64>(cur + (<usize>j << 3))), v128.load(q));
        acc = f64x2.add(acc, f64x2.mul(t, t));
        q += cstep;
      }
      const dist = f64x2.sqrt(acc);
      const dp = dmin + (<usize>p << 3);
      const m = f64x2.min(v128.load(dp), dist);
      v128.store(dp, m);
      const d0 = f64x2.extract_lane(m, 0);
      const id0 = load<i32>(pos + (<usize>p << 2));
      if (d0 < best || (d0 == best && id0 < bestId)) { best = d0; bestId = id0; bestP = p; }
      if (p + 1 < active) {
        const d1 = f64x2.extract_lane(m, 1);
        const id1 = load<i32>(pos + (<usize>(p + 1) << 2));
        if (d1 < best || (d1 == best && id1 < bestId)) { best = d1; bestId = id1; bestP = p + 1; }
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
