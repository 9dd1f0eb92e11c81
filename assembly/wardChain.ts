// Ward linkage from the vectors in O(n d) memory: the nearest-neighbour chain (Müllner 2011, fig. 7; SciPy's nn_chain)
// over cluster centroids, d(A, B)^2 = 2 |A| |B| / (|A| + |B|) |c_A - c_B|^2, float64, two candidates per f64x2.
// Clusters live in SciPy's slots (a merge keeps the larger slot); active clusters stay packed at the front of a
// working copy, in blocks of 8. Ties prefer the previous chain element, then the lowest slot, as SciPy's scan does.
// Each cluster caches its nearest neighbour (lowest slot among ties): Ward is reducible, so a merge can only make
// the new cluster nearer than before to others, and only clusters whose neighbour was merged must search again.
// A merge costs one sweep from the new centroid instead of the two or three full searches of a plain chain.

/** Byte address of feature j of packed cluster p: blocks of 8 clusters, d features of 8 doubles each. */
@inline function at8(work: usize, p: i32, j: i32, d: i32): usize {
  return work + ((<usize>(p >> 3) * <usize>d) << 6) + (<usize>j << 6) + (<usize>(p & 7) << 3);
}

@inline function wardTo(cur: usize, nx: f64, work: usize, size: usize, p: i32, d: i32): f64 {
  let s: f64 = 0;
  for (let j = 0; j < d; j++) {
    const t = load<f64>(cur + (<usize>j << 3)) - load<f64>(at8(work, p, j, d));
    s += t * t;
  }
  const ny = load<f64>(size + (<usize>p << 3));
  return ((2 * nx * ny) / (nx + ny)) * s;
}

/**
 * Sweeps every active cluster from the cluster at packed position xp (centroid copied to cur): returns its nearest
 * (lowest slot among ties) in nnSlot/nnDist[xp]; when `update` (xp is a new cluster, made of slots xs and ys),
 * a cache that pointed at xs or ys is cleared, and every other cache is offered xp. Caches are kept by packed
 * position. Eight clusters per step, four independent f64x2 sums (each summed feature by feature, as the scalar
 * form); a block whose distances beat neither the best so far nor any cache is not looked at lane by lane.
 */
function sweep(xp: i32, active: i32, d: i32, work: usize, size: usize, slot: usize, cur: usize, wbuf: usize, nnSlot: usize, nnDist: usize, update: bool, xs: i32, ys: i32): void {
  const nx = load<f64>(size + (<usize>xp << 3));
  const nxv = f64x2.splat(nx);
  const two = f64x2.mul(f64x2.splat(2), nxv);
  const me = load<i32>(slot + (<usize>xp << 2));
  const xsv = i32x4.splat(xs), ysv = i32x4.splat(ys);
  let best: f64 = Infinity;
  let bestSlot = 0x7fffffff;
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
    const sz = size + (<usize>b << 6);
    let ny = v128.load(sz);
    const w0 = f64x2.mul(f64x2.div(f64x2.mul(two, ny), f64x2.add(nxv, ny)), a0);
    ny = v128.load(sz, 16);
    const w1 = f64x2.mul(f64x2.div(f64x2.mul(two, ny), f64x2.add(nxv, ny)), a1);
    ny = v128.load(sz, 32);
    const w2 = f64x2.mul(f64x2.div(f64x2.mul(two, ny), f64x2.add(nxv, ny)), a2);
    ny = v128.load(sz, 48);
    const w3 = f64x2.mul(f64x2.div(f64x2.mul(two, ny), f64x2.add(nxv, ny)), a3);
    if ((xp >> 3) != b) {
      const mm = f64x2.min(f64x2.min(w0, w1), f64x2.min(w2, w3));
      let look = min<f64>(f64x2.extract_lane(mm, 0), f64x2.extract_lane(mm, 1)) <= best;
      if (update && !look) {
        const nd = nnDist + (<usize>b << 6);
        const le = v128.or(
          v128.or(f64x2.le(w0, v128.load(nd)), f64x2.le(w1, v128.load(nd, 16))),
          v128.or(f64x2.le(w2, v128.load(nd, 32)), f64x2.le(w3, v128.load(nd, 48))),
        );
        const ns = nnSlot + (<usize>b << 5);
        const s0 = v128.load(ns), s1 = v128.load(ns, 16);
        const hit = v128.or(v128.or(i32x4.eq(s0, xsv), i32x4.eq(s0, ysv)), v128.or(i32x4.eq(s1, xsv), i32x4.eq(s1, ysv)));
        look = v128.any_true(le) || v128.any_true(hit);
      }
      if (!look) continue;
    }
    v128.store(wbuf, w0);
    v128.store(wbuf, w1, 16);
    v128.store(wbuf, w2, 32);
    v128.store(wbuf, w3, 48);
    const end = min<i32>(8, active - (b << 3));
    for (let l = 0; l < end; l++) {
      const pp = (b << 3) + l;
      if (pp == xp) continue;
      const v = load<f64>(wbuf + (<usize>l << 3));
      const s = load<i32>(slot + (<usize>pp << 2));
      if (v < best || (v == best && s < bestSlot)) { best = v; bestSlot = s; }
      if (update) {
        const ns = nnSlot + (<usize>pp << 2), nd = nnDist + (<usize>pp << 3);
        const cs = load<i32>(ns);
        if (cs == xs || cs == ys) {
          store<i32>(ns, -1);
          store<f64>(nd, -Infinity);
        } else if (cs >= 0) {
          const cd = load<f64>(nd);
          if (v < cd || (v == cd && me < cs)) { store<i32>(ns, me); store<f64>(nd, v); }
        }
      }
    }
  }
  store<i32>(nnSlot + (<usize>xp << 2), bestSlot);
  store<f64>(nnDist + (<usize>xp << 3), best);
}

/**
 * x: column-major float64 data (n rows, stride). Scratch: work (cap x d float64 in blocks of 8, cap a multiple of
 * 8 above n), size, nnDist (cap float64), slot, nnSlot (cap int32: per packed position, its slot and the slot of
 * its nearest cluster, -1 = search again), at (n int32: the position of each slot, -1 once merged away), chain
 * (n int32), cur (d float64), wbuf (8 float64). out: (n - 1) x 3 float64 rows (slot, slot, squared Ward
 * distance), in merge order.
 */
export function wardChain(
  x: usize, stride: i32, n: i32, d: i32, cap: i32, work: usize, size: usize, slot: usize, at: usize, chain: usize,
  cur: usize, wbuf: usize, nnSlot: usize, nnDist: usize, out: usize,
): void {
  for (let p = 0; p < cap; p++) {
    for (let j = 0; j < d; j++) store<f64>(at8(work, p, j, d), p < n ? load<f64>(x + ((<usize>j * <usize>stride + <usize>p) << 3)) : 0);
    store<i32>(slot + (<usize>p << 2), p);
    store<f64>(size + (<usize>p << 3), 1);
    store<i32>(nnSlot + (<usize>p << 2), -1);
    store<f64>(nnDist + (<usize>p << 3), -Infinity);
  }
  for (let p = 0; p < n; p++) store<i32>(at + (<usize>p << 2), p);
  let active = n;
  let len = 0;
  let lowest = 0;
  for (let k = 0; k < n - 1; k++) {
    if (len == 0) {
      // start a chain at the lowest active slot (it only grows: a merge keeps the larger slot)
      while (load<i32>(at + (<usize>lowest << 2)) < 0) lowest++;
      store<i32>(chain, lowest);
      len = 1;
    }
    let xs = 0, ys = 0;
    let best: f64 = 0;
    while (true) {
      xs = load<i32>(chain + (<usize>(len - 1) << 2));
      const xp = load<i32>(at + (<usize>xs << 2));
      if (load<i32>(nnSlot + (<usize>xp << 2)) < 0) {
        for (let j = 0; j < d; j++) store<f64>(cur + (<usize>j << 3), load<f64>(at8(work, xp, j, d)));
        sweep(xp, active, d, work, size, slot, cur, wbuf, nnSlot, nnDist, false, -1, -1);
      }
      ys = load<i32>(nnSlot + (<usize>xp << 2));
      best = load<f64>(nnDist + (<usize>xp << 3));
      if (len > 1) {
        const prev = load<i32>(chain + (<usize>(len - 2) << 2));
        // the nearest is at most as far as the previous element; a tie keeps the previous one
        if (ys != prev) {
          for (let j = 0; j < d; j++) store<f64>(cur + (<usize>j << 3), load<f64>(at8(work, xp, j, d)));
          const dp = wardTo(cur, load<f64>(size + (<usize>xp << 3)), work, size, load<i32>(at + (<usize>prev << 2)), d);
          if (dp == best) ys = prev;
        }
        if (ys == prev) break;
      }
      store<i32>(chain + (<usize>len << 2), ys);
      len++;
    }
    len -= 2;
    if (xs > ys) { const t = xs; xs = ys; ys = t; }
    const px = load<i32>(at + (<usize>xs << 2)), py = load<i32>(at + (<usize>ys << 2));
    const nx = load<f64>(size + (<usize>px << 3)), ny = load<f64>(size + (<usize>py << 3));
    const o = out + (<usize>(k * 3) << 3);
    store<f64>(o, <f64>xs);
    store<f64>(o + 8, <f64>ys);
    store<f64>(o + 16, best);
    // the merged cluster takes slot ys: its centroid is the size-weighted mean
    const tot = nx + ny;
    for (let j = 0; j < d; j++) {
      const cx = load<f64>(at8(work, px, j, d)), cy = load<f64>(at8(work, py, j, d));
      store<f64>(at8(work, py, j, d), (nx * cx + ny * cy) / tot);
    }
    store<f64>(size + (<usize>py << 3), tot);
    // slot xs leaves the packed set; the last packed cluster takes its place
    active--;
    store<i32>(at + (<usize>xs << 2), -1);
    if (px != active) {
      for (let j = 0; j < d; j++) store<f64>(at8(work, px, j, d), load<f64>(at8(work, active, j, d)));
      const moved = load<i32>(slot + (<usize>active << 2));
      store<i32>(slot + (<usize>px << 2), moved);
      store<i32>(at + (<usize>moved << 2), px);
      store<f64>(size + (<usize>px << 3), load<f64>(size + (<usize>active << 3)));
      store<i32>(nnSlot + (<usize>px << 2), load<i32>(nnSlot + (<usize>active << 2)));
      store<f64>(nnDist + (<usize>px << 3), load<f64>(nnDist + (<usize>active << 3)));
    }
    store<f64>(size + (<usize>active << 3), 1);
    store<i32>(nnSlot + (<usize>active << 2), -1);
    store<f64>(nnDist + (<usize>active << 3), -Infinity);
    if (active < 2) break;
    // the new cluster finds its nearest, clears caches that pointed at xs or ys, and is offered to the others
    const np = load<i32>(at + (<usize>ys << 2));
    for (let j = 0; j < d; j++) store<f64>(cur + (<usize>j << 3), load<f64>(at8(work, np, j, d)));
    sweep(np, active, d, work, size, slot, cur, wbuf, nnSlot, nnDist, true, xs, ys);
  }
}
