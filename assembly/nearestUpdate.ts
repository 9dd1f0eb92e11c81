// k-means|| candidate update: each row's closest squared distance to a new batch of candidates, kept when it beats
// the row's current closest, with the candidate that owns it. The ||c||^2 - 2 x.c form in f32, 8 rows x 2 candidates
// per step (as `assign`, without the second-nearest bookkeeping), potentials summed in f64.

@inline function keep(i: i32, best: f32, lab: i32, xn: f32, closest: usize, owner: usize, base: i32, weights: usize): f64 {
  const d1 = max<f32>(xn + best, 0);
  const p = closest + (<usize>i << 2);
  let c = load<f32>(p);
  if (d1 < c) {
    c = d1;
    store<f32>(p, d1);
    store<i32>(owner + (<usize>i << 2), base + lab);
  }
  return weights ? <f64>load<f32>(weights + (<usize>i << 2)) * <f64>c : <f64>c;
}

/** Rows [row0, row1): closest = min(closest, nearest of m candidates), owner = base + its index when it wins; returns sum w * closest. */
export function nearestUpdate(
  x: usize, stride: i32, d: i32, row0: i32, row1: i32,
  cent: usize, cnorm: usize, m: i32, base: i32,
  closest: usize, owner: usize, weights: usize,
): f64 {
  let pot: f64 = 0;
  const inf = f32x4.splat(Infinity);
  const step = <usize>stride << 2;
  let i0 = row0;
  for (; i0 + 8 <= row1; i0 += 8) {
    let ba = inf, bb = inf;
    let ia = i32x4.splat(0), ib = i32x4.splat(0);
    let c = 0;
    for (; c + 2 <= m; c += 2) {
      let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
      const c0 = cent + ((<usize>(c * d)) << 2);
      const c1 = c0 + ((<usize>d) << 2);
      let p = x + (<usize>i0 << 2);
      for (let j = 0; j < d; j++) {
        const x0 = v128.load(p), x1 = v128.load(p, 16);
        const s0 = f32x4.splat(load<f32>(c0 + (<usize>j << 2)));
        const s1 = f32x4.splat(load<f32>(c1 + (<usize>j << 2)));
        a00 = f32x4.add(a00, f32x4.mul(x0, s0));
        a01 = f32x4.add(a01, f32x4.mul(x1, s0));
        a10 = f32x4.add(a10, f32x4.mul(x0, s1));
        a11 = f32x4.add(a11, f32x4.mul(x1, s1));
        p += step;
      }
      const n0 = f32x4.splat(load<f32>(cnorm + (<usize>c << 2)));
      const n1 = f32x4.splat(load<f32>(cnorm + (<usize>(c + 1) << 2)));
      let da = f32x4.sub(n0, f32x4.add(a00, a00)), db = f32x4.sub(n0, f32x4.add(a01, a01));
      let la = f32x4.lt(da, ba), lb = f32x4.lt(db, bb);
      ba = v128.bitselect(da, ba, la); bb = v128.bitselect(db, bb, lb);
      ia = v128.bitselect(i32x4.splat(c), ia, la); ib = v128.bitselect(i32x4.splat(c), ib, lb);
      da = f32x4.sub(n1, f32x4.add(a10, a10)); db = f32x4.sub(n1, f32x4.add(a11, a11));
      la = f32x4.lt(da, ba); lb = f32x4.lt(db, bb);
      ba = v128.bitselect(da, ba, la); bb = v128.bitselect(db, bb, lb);
      ia = v128.bitselect(i32x4.splat(c + 1), ia, la); ib = v128.bitselect(i32x4.splat(c + 1), ib, lb);
    }
    if (c < m) {
      let a00 = f32x4.splat(0), a01 = f32x4.splat(0);
      const c0 = cent + ((<usize>(c * d)) << 2);
      let p = x + (<usize>i0 << 2);
      for (let j = 0; j < d; j++) {
        const s0 = f32x4.splat(load<f32>(c0 + (<usize>j << 2)));
        a00 = f32x4.add(a00, f32x4.mul(v128.load(p), s0));
        a01 = f32x4.add(a01, f32x4.mul(v128.load(p, 16), s0));
        p += step;
      }
      const n0 = f32x4.splat(load<f32>(cnorm + (<usize>c << 2)));
      const da = f32x4.sub(n0, f32x4.add(a00, a00)), db = f32x4.sub(n0, f32x4.add(a01, a01));
      const la = f32x4.lt(da, ba), lb = f32x4.lt(db, bb);
      ba = v128.bitselect(da, ba, la); bb = v128.bitselect(db, bb, lb);
      ia = v128.bitselect(i32x4.splat(c), ia, la); ib = v128.bitselect(i32x4.splat(c), ib, lb);
    }
    let xa = f32x4.splat(0), xb = f32x4.splat(0);
    let p = x + (<usize>i0 << 2);
    for (let j = 0; j < d; j++) {
      const x0 = v128.load(p), x1 = v128.load(p, 16);
      xa = f32x4.add(xa, f32x4.mul(x0, x0));
      xb = f32x4.add(xb, f32x4.mul(x1, x1));
      p += step;
    }
    pot += keep(i0, f32x4.extract_lane(ba, 0), i32x4.extract_lane(ia, 0), f32x4.extract_lane(xa, 0), closest, owner, base, weights);
    pot += keep(i0 + 1, f32x4.extract_lane(ba, 1), i32x4.extract_lane(ia, 1), f32x4.extract_lane(xa, 1), closest, owner, base, weights);
    pot += keep(i0 + 2, f32x4.extract_lane(ba, 2), i32x4.extract_lane(ia, 2), f32x4.extract_lane(xa, 2), closest, owner, base, weights);
    pot += keep(i0 + 3, f32x4.extract_lane(ba, 3), i32x4.extract_lane(ia, 3), f32x4.extract_lane(xa, 3), closest, owner, base, weights);
    pot += keep(i0 + 4, f32x4.extract_lane(bb, 0), i32x4.extract_lane(ib, 0), f32x4.extract_lane(xb, 0), closest, owner, base, weights);
    pot += keep(i0 + 5, f32x4.extract_lane(bb, 1), i32x4.extract_lane(ib, 1), f32x4.extract_lane(xb, 1), closest, owner, base, weights);
    pot += keep(i0 + 6, f32x4.extract_lane(bb, 2), i32x4.extract_lane(ib, 2), f32x4.extract_lane(xb, 2), closest, owner, base, weights);
    pot += keep(i0 + 7, f32x4.extract_lane(bb, 3), i32x4.extract_lane(ib, 3), f32x4.extract_lane(xb, 3), closest, owner, base, weights);
  }
  // tail rows, one at a time, in the same operation order as a SIMD lane
  for (let i = i0; i < row1; i++) {
    let best: f32 = Infinity, lab = 0;
    for (let c = 0; c < m; c++) {
      let acc: f32 = 0;
      const cp = cent + ((<usize>(c * d)) << 2);
      for (let j = 0; j < d; j++) acc += load<f32>(x + ((<usize>j * <usize>stride + <usize>i) << 2)) * load<f32>(cp + (<usize>j << 2));
      const dd = load<f32>(cnorm + (<usize>c << 2)) - (acc + acc);
      if (dd < best) { best = dd; lab = c; }
    }
    let xn: f32 = 0;
    for (let j = 0; j < d; j++) {
      const v = load<f32>(x + ((<usize>j * <usize>stride + <usize>i) << 2));
      xn += v * v;
    }
    pot += keep(i, best, lab, xn, closest, owner, base, weights);
  }
  return pot;
}
