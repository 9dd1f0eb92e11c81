// The k-means++ pieces (Arthur & Vassilvitskii 2007, greedy variant as scikit-learn): distances of every row
// to candidate centres, in the direct (x - c)^2 form, 4 rows per f32x4, potentials accumulated in f64x2.

/** Rows per block: the block's columns stay in L1 while every candidate is measured against them. */
const BLOCK: i32 = 256;

@inline function sqDist4(x: usize, stride: i32, d: i32, i: i32, c: usize): v128 {
  let acc = f32x4.splat(0);
  let p = x + (<usize>i << 2);
  for (let j = 0; j < d; j++) {
    const t = f32x4.sub(v128.load(p), v128.load32_splat(c + (<usize>j << 2)));
    acc = f32x4.add(acc, f32x4.mul(t, t));
    p += <usize>stride << 2;
  }
  return acc;
}

@inline function sqDist1(x: usize, stride: i32, d: i32, i: i32, c: usize): f32 {
  let acc: f32 = 0;
  for (let j = 0; j < d; j++) {
    const t = load<f32>(x + ((<usize>j * <usize>stride + <usize>i) << 2)) - load<f32>(c + (<usize>j << 2));
    acc += t * t;
  }
  return acc;
}

// acc + w * v over four lanes, in float64
@inline function addLanes(acc: v128, v: v128, weights: usize, i: i32): v128 {
  const hi = v128.shuffle<f32>(v, v, 2, 3, 0, 1);
  let lo64 = f64x2.promote_low_f32x4(v);
  let hi64 = f64x2.promote_low_f32x4(hi);
  if (weights) {
    const w = v128.load(weights + (<usize>i << 2));
    lo64 = f64x2.mul(lo64, f64x2.promote_low_f32x4(w));
    hi64 = f64x2.mul(hi64, f64x2.promote_low_f32x4(v128.shuffle<f32>(w, w, 2, 3, 0, 1)));
  }
  return f64x2.add(acc, f64x2.add(lo64, hi64));
}

@inline function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

// Eight rows' values (two vectors) at p.
@inline function store8(p: usize, lo: v128, hi: v128): void {
  v128.store(p, lo);
  v128.store(p, hi, 16);
}

// Candidate t's distance column, addressed by the absolute row (0: none kept).
@inline function distColumn(dist: usize, d0: usize, col: usize, t: i32): usize {
  return dist ? d0 + <usize>t * col : 0;
}

// The potential of candidate c over rows [i, b1) of a block, the four-row groups then single rows added to acc in row
// order, plus the block's potential so far in acc; with `dist`, each row's squared distance to c goes to dist + 4 i.
function potentialRest(x: usize, stride: i32, d: i32, i: i32, b1: i32, c: usize, acc: v128, closest: usize, weights: usize, dist: usize): f64 {
  for (; i + 4 <= b1; i += 4) {
    const v = sqDist4(x, stride, d, i, c);
    if (dist) v128.store(dist + (<usize>i << 2), v);
    acc = addLanes(acc, f32x4.min(v, v128.load(closest + (<usize>i << 2))), weights, i);
  }
  let pot = hsum(acc);
  for (; i < b1; i++) {
    const w: f64 = weights ? <f64>load<f32>(weights + (<usize>i << 2)) : 1.0;
    const v = sqDist1(x, stride, d, i, c);
    if (dist) store<f32>(dist + (<usize>i << 2), v);
    pot += w * <f64>min<f32>(v, load<f32>(closest + (<usize>i << 2)));
  }
  return pot;
}

/**
 * For each of m candidates (rows of cand, m x d), adds sum_i w_i * min(closest_i, |x_i - cand|^2) over [row0, row1)
 * into out[t]. With `dist`, candidate t's squared distances go to dist + 4 (t * (row1 - row0) + i - row0), the very
 * values `updateClosest` would compute, so `takeClosest` can apply the chosen one without reading the rows again.
 */
export function candidatePotentials(
  x: usize, stride: i32, d: i32, row0: i32, row1: i32,
  cand: usize, m: i32, closest: usize, weights: usize, out: usize, dist: usize,
): void {
  const zero = f64x2.splat(0);
  const cd = <usize>d << 2;
  // candidate t's column, addressed by the absolute row
  const col = (<usize>(row1 - row0) << 2);
  const d0 = dist - (<usize>row0 << 2);
  for (let b0 = row0; b0 < row1; b0 += BLOCK) {
    const b1 = min<i32>(b0 + BLOCK, row1);
    let t = 0;
    // four candidates against eight rows at a time: each value and centre value loaded once for eight sums
    for (; t + 4 <= m; t += 4) {
      const c0 = cand + ((<usize>(t * d)) << 2);
      let acc0 = zero, acc1 = zero, acc2 = zero, acc3 = zero;
      let i = b0;
      for (; i + 8 <= b1; i += 8) {
        let a0 = f32x4.splat(0), a1 = a0, e0 = a0, e1 = a0, f0 = a0, f1 = a0, g0 = a0, g1 = a0;
        let p = x + (<usize>i << 2);
        for (let cp = c0; cp < c0 + cd; cp += 4) {
          const x0 = v128.load(p), x1 = v128.load(p, 16);
          let s = v128.load32_splat(cp);
          let u0 = f32x4.sub(x0, s), u1 = f32x4.sub(x1, s);
          a0 = f32x4.add(a0, f32x4.mul(u0, u0));
          a1 = f32x4.add(a1, f32x4.mul(u1, u1));
          s = v128.load32_splat(cp + cd);
          u0 = f32x4.sub(x0, s);
          u1 = f32x4.sub(x1, s);
          e0 = f32x4.add(e0, f32x4.mul(u0, u0));
          e1 = f32x4.add(e1, f32x4.mul(u1, u1));
          s = v128.load32_splat(cp + 2 * cd);
          u0 = f32x4.sub(x0, s);
          u1 = f32x4.sub(x1, s);
          f0 = f32x4.add(f0, f32x4.mul(u0, u0));
          f1 = f32x4.add(f1, f32x4.mul(u1, u1));
          s = v128.load32_splat(cp + 3 * cd);
          u0 = f32x4.sub(x0, s);
          u1 = f32x4.sub(x1, s);
          g0 = f32x4.add(g0, f32x4.mul(u0, u0));
          g1 = f32x4.add(g1, f32x4.mul(u1, u1));
          p += <usize>stride << 2;
        }
        const l0 = v128.load(closest + (<usize>i << 2)), l1 = v128.load(closest + (<usize>i << 2), 16);
        if (dist) {
          const q = d0 + (<usize>i << 2) + <usize>t * col;
          store8(q, a0, a1);
          store8(q + col, e0, e1);
          store8(q + 2 * col, f0, f1);
          store8(q + 3 * col, g0, g1);
        }
        acc0 = addLanes(addLanes(acc0, f32x4.min(a0, l0), weights, i), f32x4.min(a1, l1), weights, i + 4);
        acc1 = addLanes(addLanes(acc1, f32x4.min(e0, l0), weights, i), f32x4.min(e1, l1), weights, i + 4);
        acc2 = addLanes(addLanes(acc2, f32x4.min(f0, l0), weights, i), f32x4.min(f1, l1), weights, i + 4);
        acc3 = addLanes(addLanes(acc3, f32x4.min(g0, l0), weights, i), f32x4.min(g1, l1), weights, i + 4);
      }
      const o = out + (<usize>t << 3);
      store<f64>(o, load<f64>(o) + potentialRest(x, stride, d, i, b1, c0, acc0, closest, weights, distColumn(dist, d0, col, t)));
      store<f64>(o, load<f64>(o, 8) + potentialRest(x, stride, d, i, b1, c0 + cd, acc1, closest, weights, distColumn(dist, d0, col, t + 1)), 8);
      store<f64>(o, load<f64>(o, 16) + potentialRest(x, stride, d, i, b1, c0 + 2 * cd, acc2, closest, weights, distColumn(dist, d0, col, t + 2)), 16);
      store<f64>(o, load<f64>(o, 24) + potentialRest(x, stride, d, i, b1, c0 + 3 * cd, acc3, closest, weights, distColumn(dist, d0, col, t + 3)), 24);
    }
    // then two
    for (; t + 2 <= m; t += 2) {
      const c0 = cand + ((<usize>(t * d)) << 2);
      let acc0 = zero, acc1 = zero;
      let i = b0;
      for (; i + 8 <= b1; i += 8) {
        let a0 = f32x4.splat(0), a1 = a0, e0 = a0, e1 = a0;
        let p = x + (<usize>i << 2);
        for (let cp = c0; cp < c0 + cd; cp += 4) {
          const x0 = v128.load(p), x1 = v128.load(p, 16);
          const s0 = v128.load32_splat(cp), s1 = v128.load32_splat(cp + cd);
          const u0 = f32x4.sub(x0, s0), u1 = f32x4.sub(x1, s0), v0 = f32x4.sub(x0, s1), v1 = f32x4.sub(x1, s1);
          a0 = f32x4.add(a0, f32x4.mul(u0, u0));
          a1 = f32x4.add(a1, f32x4.mul(u1, u1));
          e0 = f32x4.add(e0, f32x4.mul(v0, v0));
          e1 = f32x4.add(e1, f32x4.mul(v1, v1));
          p += <usize>stride << 2;
        }
        const l0 = v128.load(closest + (<usize>i << 2)), l1 = v128.load(closest + (<usize>i << 2), 16);
        if (dist) {
          const q = d0 + (<usize>i << 2) + <usize>t * col;
          store8(q, a0, a1);
          store8(q + col, e0, e1);
        }
        acc0 = addLanes(addLanes(acc0, f32x4.min(a0, l0), weights, i), f32x4.min(a1, l1), weights, i + 4);
        acc1 = addLanes(addLanes(acc1, f32x4.min(e0, l0), weights, i), f32x4.min(e1, l1), weights, i + 4);
      }
      const o = out + (<usize>t << 3);
      store<f64>(o, load<f64>(o) + potentialRest(x, stride, d, i, b1, c0, acc0, closest, weights, distColumn(dist, d0, col, t)));
      store<f64>(o, load<f64>(o, 8) + potentialRest(x, stride, d, i, b1, c0 + cd, acc1, closest, weights, distColumn(dist, d0, col, t + 1)), 8);
    }
    if (t < m) {
      const o = out + (<usize>t << 3);
      store<f64>(o, load<f64>(o) + potentialRest(x, stride, d, b0, b1, cand + ((<usize>(t * d)) << 2), zero, closest, weights, distColumn(dist, d0, col, t)));
    }
  }
}

/** closest_i = min(closest_i, |x_i - c|^2) over [row0, row1) (first = 1 overwrites); returns sum_i w_i * closest_i. */
export function updateClosest(
  x: usize, stride: i32, d: i32, row0: i32, row1: i32,
  c: usize, closest: usize, weights: usize, first: i32,
): f64 {
  let acc = f64x2.splat(0);
  let i = row0;
  for (; i + 4 <= row1; i += 4) {
    let v = sqDist4(x, stride, d, i, c);
    if (!first) v = f32x4.min(v, v128.load(closest + (<usize>i << 2)));
    v128.store(closest + (<usize>i << 2), v);
    acc = addLanes(acc, v, weights, i);
  }
  let pot = hsum(acc);
  for (; i < row1; i++) {
    let v = sqDist1(x, stride, d, i, c);
    if (!first) v = min<f32>(v, load<f32>(closest + (<usize>i << 2)));
    store<f32>(closest + (<usize>i << 2), v);
    const w: f64 = weights ? <f64>load<f32>(weights + (<usize>i << 2)) : 1.0;
    pot += w * <f64>v;
  }
  return pot;
}

/**
 * `updateClosest` from distances `candidatePotentials` kept: closest_i = min(closest_i, dist_i) over [row0, row1),
 * dist + 4 (i - row0) holding row i's; returns sum_i w_i * closest_i, added in the order `updateClosest` adds it.
 */
export function takeClosest(row0: i32, row1: i32, dist: usize, closest: usize, weights: usize): f64 {
  const d0 = dist - (<usize>row0 << 2);
  let acc = f64x2.splat(0);
  let i = row0;
  for (; i + 4 <= row1; i += 4) {
    const v = f32x4.min(v128.load(d0 + (<usize>i << 2)), v128.load(closest + (<usize>i << 2)));
    v128.store(closest + (<usize>i << 2), v);
    acc = addLanes(acc, v, weights, i);
  }
  let pot = hsum(acc);
  for (; i < row1; i++) {
    const v = min<f32>(load<f32>(d0 + (<usize>i << 2)), load<f32>(closest + (<usize>i << 2)));
    store<f32>(closest + (<usize>i << 2), v);
    const w: f64 = weights ? <f64>load<f32>(weights + (<usize>i << 2)) : 1.0;
    pot += w * <f64>v;
  }
  return pot;
}

// The k-means|| bookkeeping over rows [row0, row1) (pointers address row 0 of their buffers).

/** Where dist_i < closest_i, closest_i = dist_i and owner_i = base + cand_i; returns sum_i closest_i, in row order. */
export function mergeClosest(closest: usize, owner: usize, cand: usize, dist: usize, row0: i32, row1: i32, base: i32): f64 {
  let pot: f64 = 0;
  for (let i = row0; i < row1; i++) {
    const o = <usize>i << 2;
    let c = load<f32>(closest + o);
    const v = load<f32>(dist + o);
    if (v < c) {
      c = v;
      store<f32>(closest + o, v);
      store<i32>(owner + o, base + load<i32>(cand + o));
    }
    pot += <f64>c;
  }
  return pot;
}

// murmur3's 32-bit finaliser, as the host's fmix32
@inline function fmix(h: u32): u32 {
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  return h ^ (h >> 16);
}

/**
 * The rows with w closest > 0 whose uniform (the host's indexUniforms with keys base and salt, at index start + i - row0,
 * below 2^32) is below l w closest / pot: their numbers i - row0 to out; returns how many.
 */
export function preselect(closest: usize, weights: usize, row0: i32, row1: i32, start: u32, base: u32, salt: u32, l: f64, pot: f64, out: usize): i32 {
  let n = 0;
  for (let i = row0; i < row1; i++) {
    const o = <usize>i << 2;
    const wc = (weights ? <f64>load<f32>(weights + o) : 1.0) * <f64>load<f32>(closest + o);
    if (wc > 0) {
      const u = <f64>fmix(fmix((start + <u32>(i - row0)) * 0x9e3779b1 ^ base) + salt) / 4294967296.0;
      if (u < (l * wc) / pot) {
        store<i32>(out + (<usize>n << 2), i - row0);
        n++;
      }
    }
  }
  return n;
}

/**
 * The k-means++ draws of one shard: the running potential acc, from `start`, adds each row's w * closest (closest
 * without weights) in float64, row by row; for each of `count` targets in ascending order (float64), out gets the
 * first row (absolute, in [row0, row1)) where acc >= target. Returns how many targets were reached; the walk stops
 * there, or when the targets run out.
 */
export function walkPotential(closest: usize, weights: usize, row0: i32, row1: i32, start: f64, targets: usize, count: i32, out: usize): i32 {
  let next = 0, acc = start;
  if (count <= 0) return 0;
  let t = load<f64>(targets);
  for (let i = row0; i < row1; i++) {
    const c = <f64>load<f32>(closest + (<usize>i << 2));
    acc += weights ? <f64>load<f32>(weights + (<usize>i << 2)) * c : c;
    while (acc >= t) {
      store<i32>(out + (<usize>next << 2), i);
      next++;
      if (next == count) return next;
      t = load<f64>(targets + (<usize>next << 3));
    }
  }
  return next;
}
