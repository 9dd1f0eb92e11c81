// Nearest-centroid assignment over a block of rows, column-major, 8 rows x 4 centroids per step (each centroid value
// loaded straight into four lanes, v128.load32_splat: the inner loop only loads, multiplies and adds).
// Distances use the ||c||^2 - 2 x.c form in f32 (V8's SIMD throughput is the limit), with ||x||^2 added back
// for the reported squared distance. Every centre is measured for every row: the plain pass (first passes, predict,
// relocation); `assignBounded` skips what bounds prove and compares the same float32 values.

@inline function colPtr(x: usize, stride: i32, j: i32): usize {
  return x + ((<usize>j * <usize>stride) << 2);
}

// Records one row's result (the rows past the last 8-row block): label and distance; returns 1 if the label changed.
// The f64 cluster sums are updated afterwards, row by row, each sum taking its rows in row order.
@inline function finish(i: i32, best1: f32, lab: i32, xn: f32, labels: usize, dist: usize): i32 {
  if (dist) store<f32>(dist + (<usize>i << 2), max<f32>(xn + best1, 0));
  const old = load<i32>(labels + (<usize>i << 2));
  store<i32>(labels + (<usize>i << 2), lab);
  return old == lab ? 0 : 1;
}

// Moves row i's weighted values from cluster `old` (none when -1) to `lab` (another cluster) in the f64 sums.
// Pointer steps down the row's column values; without weights each value is added as it is (1 * v is v, the same
// bits as before), and features go in pairs through f64x2 (each sum still takes its rows in row order).
@inline export function moveRow(x: usize, stride: i32, d: i32, i: i32, old: i32, lab: i32, weights: usize, sums: usize, k: i32): void {
  const step = <usize>stride << 2;
  let p = x + (<usize>i << 2);
  let add = sums + ((<usize>(lab * d)) << 3);
  const pairs = add + ((<usize>(d & ~1)) << 3);
  const w: f64 = weights ? <f64>load<f32>(weights + (<usize>i << 2)) : 1.0;
  if (weights) {
    const wv = f64x2.splat(w);
    if (old >= 0) {
      let sub = sums + ((<usize>(old * d)) << 3);
      for (; add < pairs; add += 16, sub += 16) {
        const v = f64x2.mul(wv, f64x2.replace_lane(f64x2.splat(<f64>load<f32>(p)), 1, <f64>load<f32>(p + step)));
        v128.store(add, f64x2.add(v128.load(add), v));
        v128.store(sub, f64x2.sub(v128.load(sub), v));
        p += step << 1;
      }
      if (d & 1) {
        const v = w * <f64>load<f32>(p);
        store<f64>(add, load<f64>(add) + v);
        store<f64>(sub, load<f64>(sub) - v);
      }
    } else {
      for (; add < pairs; add += 16) {
        const v = f64x2.mul(wv, f64x2.replace_lane(f64x2.splat(<f64>load<f32>(p)), 1, <f64>load<f32>(p + step)));
        v128.store(add, f64x2.add(v128.load(add), v));
        p += step << 1;
      }
      if (d & 1) store<f64>(add, load<f64>(add) + w * <f64>load<f32>(p));
    }
  } else if (old >= 0) {
    let sub = sums + ((<usize>(old * d)) << 3);
    for (; add < pairs; add += 16, sub += 16) {
      const v = f64x2.replace_lane(f64x2.splat(<f64>load<f32>(p)), 1, <f64>load<f32>(p + step));
      v128.store(add, f64x2.add(v128.load(add), v));
      v128.store(sub, f64x2.sub(v128.load(sub), v));
      p += step << 1;
    }
    if (d & 1) {
      const v = <f64>load<f32>(p);
      store<f64>(add, load<f64>(add) + v);
      store<f64>(sub, load<f64>(sub) - v);
    }
  } else {
    for (; add < pairs; add += 16) {
      const v = f64x2.replace_lane(f64x2.splat(<f64>load<f32>(p)), 1, <f64>load<f32>(p + step));
      v128.store(add, f64x2.add(v128.load(add), v));
      p += step << 1;
    }
    if (d & 1) store<f64>(add, load<f64>(add) + <f64>load<f32>(p));
  }
  const cnt = sums + ((<usize>(k * d)) << 3);
  store<f64>(cnt + (<usize>lab << 3), load<f64>(cnt + (<usize>lab << 3)) + w);
  if (old >= 0) store<f64>(cnt + (<usize>old << 3), load<f64>(cnt + (<usize>old << 3)) - w);
}

// Moves the changed rows of the 8-row block at i0 between clusters, row by row: each sum still takes its rows in
// order. oa, ob hold the old labels of rows 0-3 and 4-7, na, nb the new ones.
@inline function moveBlock(x: usize, stride: i32, d: i32, i0: i32, oa: v128, ob: v128, na: v128, nb: v128, weights: usize, sums: usize, k: i32): void {
  let o = oa, n = na;
  for (let l = 0; l < 8; l++) {
    if (l == 4) { o = ob; n = nb; }
    const old = i32x4.extract_lane(o, 0), lab = i32x4.extract_lane(n, 0);
    if (old != lab) moveRow(x, stride, d, i0 + l, old, lab, weights, sums, k);
    o = v128.shuffle<i32>(o, o, 1, 2, 3, 0);
    n = v128.shuffle<i32>(n, n, 1, 2, 3, 0);
  }
}

/** Labels rows [row0, row1) with their nearest centroid (k x d, row-major, at cent); returns how many labels changed. */
export function assign(
  x: usize, stride: i32, d: i32, row0: i32, row1: i32,
  cent: usize, cnorm: usize, k: i32,
  labels: usize, dist: usize, weights: usize, sums: usize,
): i32 {
  let changed = 0;
  const inf = f32x4.splat(Infinity);
  const step = <usize>stride << 2;
  const dd = (<usize>d) << 2;
  let i0 = row0;
  for (; i0 + 8 <= row1; i0 += 8) {
    let b1a = inf, b1b = inf;
    let ia = i32x4.splat(0), ib = i32x4.splat(0);
    let c = 0;
    // four centroids at a time: 8 sums in registers, each row value and centroid value loaded once
    for (; c + 4 <= k; c += 4) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let e0 = f32x4.splat(0), e1 = f32x4.splat(0), e2 = f32x4.splat(0), e3 = f32x4.splat(0);
      // pointer steps: centroid c's value j (centroid c + q's is q d values further) and the block's rows of feature j
      let cp = cent + ((<usize>(c * d)) << 2);
      const ce = cp + dd;
      let p = x + (<usize>i0 << 2);
      for (; cp < ce; cp += 4) {
        const x0 = v128.load(p), x1 = v128.load(p, 16);
        let s = v128.load32_splat(cp);
        a0 = f32x4.add(a0, f32x4.mul(x0, s));
        e0 = f32x4.add(e0, f32x4.mul(x1, s));
        s = v128.load32_splat(cp + dd);
        a1 = f32x4.add(a1, f32x4.mul(x0, s));
        e1 = f32x4.add(e1, f32x4.mul(x1, s));
        s = v128.load32_splat(cp + 2 * dd);
        a2 = f32x4.add(a2, f32x4.mul(x0, s));
        e2 = f32x4.add(e2, f32x4.mul(x1, s));
        s = v128.load32_splat(cp + 3 * dd);
        a3 = f32x4.add(a3, f32x4.mul(x0, s));
        e3 = f32x4.add(e3, f32x4.mul(x1, s));
        p += step;
      }
      let n = v128.load32_splat(cnorm + (<usize>c << 2));
      let da = f32x4.sub(n, f32x4.add(a0, a0)), db = f32x4.sub(n, f32x4.add(e0, e0));
      let la = f32x4.lt(da, b1a), lb = f32x4.lt(db, b1b);
      b1a = v128.bitselect(da, b1a, la);
      b1b = v128.bitselect(db, b1b, lb);
      ia = v128.bitselect(i32x4.splat(c), ia, la);
      ib = v128.bitselect(i32x4.splat(c), ib, lb);
      n = v128.load32_splat(cnorm + (<usize>(c + 1) << 2));
      da = f32x4.sub(n, f32x4.add(a1, a1));
      db = f32x4.sub(n, f32x4.add(e1, e1));
      la = f32x4.lt(da, b1a);
      lb = f32x4.lt(db, b1b);
      b1a = v128.bitselect(da, b1a, la);
      b1b = v128.bitselect(db, b1b, lb);
      ia = v128.bitselect(i32x4.splat(c + 1), ia, la);
      ib = v128.bitselect(i32x4.splat(c + 1), ib, lb);
      n = v128.load32_splat(cnorm + (<usize>(c + 2) << 2));
      da = f32x4.sub(n, f32x4.add(a2, a2));
      db = f32x4.sub(n, f32x4.add(e2, e2));
      la = f32x4.lt(da, b1a);
      lb = f32x4.lt(db, b1b);
      b1a = v128.bitselect(da, b1a, la);
      b1b = v128.bitselect(db, b1b, lb);
      ia = v128.bitselect(i32x4.splat(c + 2), ia, la);
      ib = v128.bitselect(i32x4.splat(c + 2), ib, lb);
      n = v128.load32_splat(cnorm + (<usize>(c + 3) << 2));
      da = f32x4.sub(n, f32x4.add(a3, a3));
      db = f32x4.sub(n, f32x4.add(e3, e3));
      la = f32x4.lt(da, b1a);
      lb = f32x4.lt(db, b1b);
      b1a = v128.bitselect(da, b1a, la);
      b1b = v128.bitselect(db, b1b, lb);
      ia = v128.bitselect(i32x4.splat(c + 3), ia, la);
      ib = v128.bitselect(i32x4.splat(c + 3), ib, lb);
    }
    // then two, then one: the same sums in the same order
    for (; c + 2 <= k; c += 2) {
      let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
      let cp = cent + ((<usize>(c * d)) << 2);
      const ce = cp + dd;
      let p = x + (<usize>i0 << 2);
      for (; cp < ce; cp += 4) {
        const x0 = v128.load(p);
        const x1 = v128.load(p, 16);
        const s0 = v128.load32_splat(cp);
        const s1 = v128.load32_splat(cp + dd);
        a00 = f32x4.add(a00, f32x4.mul(x0, s0));
        a01 = f32x4.add(a01, f32x4.mul(x1, s0));
        a10 = f32x4.add(a10, f32x4.mul(x0, s1));
        a11 = f32x4.add(a11, f32x4.mul(x1, s1));
        p += step;
      }
      const n0 = v128.load32_splat(cnorm + (<usize>c << 2));
      const n1 = v128.load32_splat(cnorm + (<usize>(c + 1) << 2));
      // centroid c
      let da = f32x4.sub(n0, f32x4.add(a00, a00));
      let db = f32x4.sub(n0, f32x4.add(a01, a01));
      let la = f32x4.lt(da, b1a), lb = f32x4.lt(db, b1b);
      b1a = v128.bitselect(da, b1a, la);
      b1b = v128.bitselect(db, b1b, lb);
      ia = v128.bitselect(i32x4.splat(c), ia, la);
      ib = v128.bitselect(i32x4.splat(c), ib, lb);
      // centroid c + 1
      da = f32x4.sub(n1, f32x4.add(a10, a10));
      db = f32x4.sub(n1, f32x4.add(a11, a11));
      la = f32x4.lt(da, b1a);
      lb = f32x4.lt(db, b1b);
      b1a = v128.bitselect(da, b1a, la);
      b1b = v128.bitselect(db, b1b, lb);
      ia = v128.bitselect(i32x4.splat(c + 1), ia, la);
      ib = v128.bitselect(i32x4.splat(c + 1), ib, lb);
    }
    if (c < k) {
      let a00 = f32x4.splat(0), a01 = f32x4.splat(0);
      const c0 = cent + ((<usize>(c * d)) << 2);
      let p = x + (<usize>i0 << 2);
      for (let j = 0; j < d; j++) {
        const s0 = v128.load32_splat(c0 + (<usize>j << 2));
        a00 = f32x4.add(a00, f32x4.mul(v128.load(p), s0));
        a01 = f32x4.add(a01, f32x4.mul(v128.load(p, 16), s0));
        p += step;
      }
      const n0 = v128.load32_splat(cnorm + (<usize>c << 2));
      const da = f32x4.sub(n0, f32x4.add(a00, a00));
      const db = f32x4.sub(n0, f32x4.add(a01, a01));
      const la = f32x4.lt(da, b1a), lb = f32x4.lt(db, b1b);
      b1a = v128.bitselect(da, b1a, la);
      b1b = v128.bitselect(db, b1b, lb);
      ia = v128.bitselect(i32x4.splat(c), ia, la);
      ib = v128.bitselect(i32x4.splat(c), ib, lb);
    }
    const lp = labels + (<usize>i0 << 2);
    const oldA = v128.load(lp), oldB = v128.load(lp, 16);
    if (dist) {
      // squared norms of the 8 rows (only for the distances), same summation order as the scalar path
      let xa = f32x4.splat(0), xb = f32x4.splat(0);
      let p = x + (<usize>i0 << 2);
      for (let j = 0; j < d; j++) {
        const x0 = v128.load(p), x1 = v128.load(p, 16);
        xa = f32x4.add(xa, f32x4.mul(x0, x0));
        xb = f32x4.add(xb, f32x4.mul(x1, x1));
        p += step;
      }
      const zero = f32x4.splat(0);
      v128.store(dist + (<usize>i0 << 2), f32x4.max(f32x4.add(xa, b1a), zero));
      v128.store(dist + (<usize>i0 << 2), f32x4.max(f32x4.add(xb, b1b), zero), 16);
    }
    v128.store(lp, ia);
    v128.store(lp, ib, 16);
    changed += popcnt<i32>(i32x4.bitmask(i32x4.ne(oldA, ia))) + popcnt<i32>(i32x4.bitmask(i32x4.ne(oldB, ib)));
    if (sums && !i32x4.all_true(i32x4.eq(oldA, ia)) || sums && !i32x4.all_true(i32x4.eq(oldB, ib))) {
      moveBlock(x, stride, d, i0, oldA, oldB, ia, ib, weights, sums, k);
    }
  }
  // tail rows, one at a time, with the same operation order as a SIMD lane
  for (let i = i0; i < row1; i++) {
    let b1: f32 = Infinity, lab = 0;
    for (let c = 0; c < k; c++) {
      let acc: f32 = 0;
      const cp = cent + ((<usize>(c * d)) << 2);
      for (let j = 0; j < d; j++) {
        acc += load<f32>(colPtr(x, stride, j) + (<usize>i << 2)) * load<f32>(cp + (<usize>j << 2));
      }
      const dc = load<f32>(cnorm + (<usize>c << 2)) - (acc + acc);
      if (dc < b1) { b1 = dc; lab = c; }
    }
    let xn: f32 = 0;
    if (dist) {
      for (let j = 0; j < d; j++) {
        const v = load<f32>(colPtr(x, stride, j) + (<usize>i << 2));
        xn += v * v;
      }
    }
    const old = load<i32>(labels + (<usize>i << 2));
    changed += finish(i, b1, lab, xn, labels, dist);
    if (sums && old != lab) moveRow(x, stride, d, i, old, lab, weights, sums, k);
  }
  return changed;
}
