// Nearest-centroid assignment that skips what bounds prove: Elkan's (2003) lower bounds per centre, or per set of
// 2 or 4 centres as Yinyang's groups (Ding et al. 2015), with one upper bound and one global lower bound per row.
// Bounds are kept from the pass that computed them (stamp `tau`) and moved by each centre's whole displacement since
// (Newling & Fleuret 2016), so rows the bounds settle are read, never written. Centres sit in units of 4 slots,
// nearby centres together; a row computes whole units, 4 centres per f32x4, in the same float32 operation order
// as `assign`, so every distance it compares is bit for bit the one plain Lloyd compares.
//
// Layout: unit g's centres are cu + (g * d + j) * 16 (4 lanes per feature j); norms, orig (slot -> centre) per slot;
// slotOf per centre; per row: labels, tau (i32), upper, lower (f32), bounds (t f32, row-major). Tables from the
// pass stamp `base` on: pr[(tau - base) * k + a] = (displacement of a, largest displacement of any other centre);
// qt[(tau - base) * t + q] = largest displacement in set q; half[a] = half the distance from a to its nearest centre.

/** Relative inflation applied whenever a bound is rounded, larger than float32 rounding so bounds stay conservative. */
const GROW: f32 = 1.0 + 2.3841858e-7 * 4.0;
const SHRINK: f32 = 1.0 - 2.3841858e-7 * 4.0;

@inline function gatherF32(base: usize, idx: v128): v128 {
  let r = f32x4.splat(load<f32>(base + (<usize>i32x4.extract_lane(idx, 0) << 2)));
  r = f32x4.replace_lane(r, 1, load<f32>(base + (<usize>i32x4.extract_lane(idx, 1) << 2)));
  r = f32x4.replace_lane(r, 2, load<f32>(base + (<usize>i32x4.extract_lane(idx, 2) << 2)));
  return f32x4.replace_lane(r, 3, load<f32>(base + (<usize>i32x4.extract_lane(idx, 3) << 2)));
}

// Squared-distance terms ||c||^2 - 2 x.c of row i to the 4 centres of unit g (x.c summed over j in order, as `assign`).
@inline function unitDist(x: usize, stride: i32, d: i32, i: i32, cu: usize, norms: usize, g: i32): v128 {
  let acc = f32x4.splat(0);
  let p = x + (<usize>i << 2);
  let c = cu + (<usize>(g * d) << 4);
  const step = <usize>stride << 2;
  for (let j = 0; j < d; j++) {
    acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(p), v128.load(c)));
    p += step;
    c += 16;
  }
  return f32x4.sub(v128.load(norms + (<usize>g << 4)), f32x4.add(acc, acc));
}

// Two units in one sweep of the row's values (the row's loads are shared).
@inline function unitDist2(x: usize, stride: i32, d: i32, i: i32, cu: usize, norms: usize, g0: i32, g1: i32, out: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  let p = x + (<usize>i << 2);
  let c0 = cu + (<usize>(g0 * d) << 4), c1 = cu + (<usize>(g1 * d) << 4);
  const step = <usize>stride << 2;
  for (let j = 0; j < d; j++) {
    const xv = v128.load32_splat(p);
    a0 = f32x4.add(a0, f32x4.mul(xv, v128.load(c0)));
    a1 = f32x4.add(a1, f32x4.mul(xv, v128.load(c1)));
    p += step;
    c0 += 16;
    c1 += 16;
  }
  v128.store(out + (<usize>g0 << 4), f32x4.sub(v128.load(norms + (<usize>g0 << 4)), f32x4.add(a0, a0)));
  v128.store(out + (<usize>g1 << 4), f32x4.sub(v128.load(norms + (<usize>g1 << 4)), f32x4.add(a1, a1)));
}

// Squared norm of row i (float32; feeds bounds only, never a label).
@inline function rowNorm(x: usize, stride: i32, d: i32, i: i32): f32 {
  let s: f32 = 0;
  let p = x + (<usize>i << 2);
  for (let j = 0; j < d; j++) {
    const v = load<f32>(p);
    s += v * v;
    p += <usize>stride << 2;
  }
  return s;
}

// Moves row i's weighted values from cluster `old` (none when -1) to `lab` in the float64 sums.
@inline function moveRow(x: usize, stride: i32, d: i32, i: i32, old: i32, lab: i32, weights: usize, sums: usize, k: i32): void {
  const w: f64 = weights ? <f64>load<f32>(weights + (<usize>i << 2)) : 1.0;
  for (let j = 0; j < d; j++) {
    const v = w * <f64>load<f32>(x + ((<usize>j * <usize>stride + <usize>i) << 2));
    const add = sums + ((<usize>(lab * d + j)) << 3);
    store<f64>(add, load<f64>(add) + v);
    if (old >= 0) {
      const sub = sums + ((<usize>(old * d + j)) << 3);
      store<f64>(sub, load<f64>(sub) - v);
    }
  }
  const cnt = sums + ((<usize>(k * d)) << 3);
  store<f64>(cnt + (<usize>lab << 3), load<f64>(cnt + (<usize>lab << 3)) + w);
  if (old >= 0) store<f64>(cnt + (<usize>old << 3), load<f64>(cnt + (<usize>old << 3)) - w);
}

/**
 * Labels rows [row0, row1): rows whose bounds settle them keep their label; the others compute the units their
 * bounds cannot clear (all units when `force`, which also starts every row's bounds). Returns the labels changed;
 * stats[0] += rows that computed, stats[1] += units computed.
 */
export function assignBounded(
  x: usize, stride: i32, d: i32, row0: i32, row1: i32,
  cu: usize, norms: usize, orig: usize, slotOf: usize, units: i32, k: i32,
  labels: usize, tau: usize, upper: usize, lower: usize, bounds: usize, t: i32, s: i32,
  pr: usize, qt: usize, half: usize, base: i32, now: i32, refresh: i32, force: i32, slackF: f32,
  weights: usize, sums: usize, tmp: usize, stats: usize,
): i32 {
  let changed = 0, touched = 0, computed = 0;
  let cmax: f32 = 0;
  for (let c = 0; c < (units << 2); c++) {
    const v = load<f32>(norms + (<usize>c << 2));
    if (v < Infinity) cmax = max<f32>(cmax, v);
  }
  const dd = tmp;                                   // units x 4 f32
  const lt = tmp + (<usize>units << 4);             // t f32: bounds moved to this pass
  const need = lt + (((<usize>t << 2) + 15) & ~15); // units bytes
  const perUnit = s >= 4 ? 1 : 4 / s;               // sets per unit (s >= 4: one set spans s / 4 units)
  const vGrow = f32x4.splat(GROW), vShrink = f32x4.splat(SHRINK), vZero = f32x4.splat(0);
  const vBase = i32x4.splat(base), vK = i32x4.splat(k), vRefresh = i32x4.splat(refresh);

  let i0 = row0;
  while (i0 < row1) {
    // which of the next (up to) 4 rows the global bounds settle: bit r set = row i0 + r settled
    let settledMask = 0;
    const block = min<i32>(4, row1 - i0);
    if (!force) {
      if (block == 4) {
        const a4 = v128.load(labels + (<usize>i0 << 2));
        const t4 = v128.load(tau + (<usize>i0 << 2));
        const idx2 = i32x4.shl(i32x4.add(i32x4.mul(i32x4.sub(t4, vBase), vK), a4), 1);
        const un4 = f32x4.mul(f32x4.add(v128.load(upper + (<usize>i0 << 2)), gatherF32(pr, idx2)), vGrow);
        const ln4 = f32x4.mul(f32x4.max(f32x4.sub(v128.load(lower + (<usize>i0 << 2)), gatherF32(pr + 4, idx2)), vZero), vShrink);
        const ok = v128.and(f32x4.lt(un4, f32x4.max(ln4, gatherF32(half, a4))), i32x4.ge_s(t4, vRefresh));
        settledMask = i32x4.bitmask(ok);
      } else {
        for (let r = 0; r < block; r++) {
          const i = i0 + r;
          const a = load<i32>(labels + (<usize>i << 2));
          const ti = load<i32>(tau + (<usize>i << 2));
          const at = pr + ((<usize>((ti - base) * k + a)) << 3);
          const un = (load<f32>(upper + (<usize>i << 2)) + load<f32>(at)) * GROW;
          const ln = max<f32>(load<f32>(lower + (<usize>i << 2)) - load<f32>(at, 4), 0) * SHRINK;
          if (un < max<f32>(ln, load<f32>(half + (<usize>a << 2))) && ti >= refresh) settledMask |= 1 << r;
        }
      }
      if (settledMask == (1 << block) - 1) {
        i0 += block;
        continue;
      }
    }
    for (let r = 0; r < block; r++) {
      if ((settledMask >> r) & 1) continue;
      const i = i0 + r;
      const a = load<i32>(labels + (<usize>i << 2));
      const brow = bounds + ((<usize>i * <usize>t) << 2);
      let ga = -1;
      if (!force) {
        const ti = load<i32>(tau + (<usize>i << 2));
        const un = (load<f32>(upper + (<usize>i << 2)) + load<f32>(pr + ((<usize>((ti - base) * k + a)) << 3))) * GROW;
        const qrow = qt + ((<usize>((ti - base) * t)) << 2);
        let minl: f32 = Infinity;
        let q = 0;
        let mv = f32x4.splat(Infinity);
        for (; q + 4 <= t; q += 4) {
          const l = f32x4.mul(f32x4.max(f32x4.sub(v128.load(brow + (<usize>q << 2)), v128.load(qrow + (<usize>q << 2))), vZero), vShrink);
          v128.store(lt + (<usize>q << 2), l);
          mv = f32x4.min(mv, l);
        }
        minl = min<f32>(min<f32>(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), min<f32>(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
        for (; q < t; q++) {
          const l = max<f32>(load<f32>(brow + (<usize>q << 2)) - load<f32>(qrow + (<usize>q << 2)), 0) * SHRINK;
          store<f32>(lt + (<usize>q << 2), l);
          minl = min<f32>(minl, l);
        }
        if (un < minl) {
          // settled by the per-set bounds; a row whose stamp is about to leave the tables takes this pass's stamp
          if (ti < refresh) {
            store<f32>(upper + (<usize>i << 2), un);
            store<f32>(lower + (<usize>i << 2), minl);
            for (let qq = 0; qq < t; qq++) store<f32>(brow + (<usize>qq << 2), load<f32>(lt + (<usize>qq << 2)));
            store<i32>(tau + (<usize>i << 2), now);
          }
          continue;
        }
        ga = load<i32>(slotOf + (<usize>a << 2)) >> 2;
      }
      touched++;
      // the own unit first: the exact distance to the own centre tightens the upper bound
      memory.fill(need, 0, <usize>units);
      const xn = rowNorm(x, stride, d, i);
      const slack = slackF * (xn + cmax);
      if (force) {
        let g = 0;
        for (; g + 2 <= units; g += 2) unitDist2(x, stride, d, i, cu, norms, g, g + 1, dd);
        if (g < units) v128.store(dd + (<usize>g << 4), unitDist(x, stride, d, i, cu, norms, g));
        memory.fill(need, 1, <usize>units);
        computed += units;
      } else {
        v128.store(dd + (<usize>ga << 4), unitDist(x, stride, d, i, cu, norms, ga));
        store<u8>(need + <usize>ga, 1);
        computed++;
        const sa = load<i32>(slotOf + (<usize>a << 2));
        const ue = sqrt<f32>(max<f32>(load<f32>(dd + (<usize>sa << 2)) + xn + slack, 0)) * GROW;
        // units holding a set the exact bound does not clear, two per sweep of the row
        let pending = -1;
        for (let g = 0; g < units; g++) {
          if (g == ga) continue;
          let open = false;
          if (s >= 4) {
            // a set spanning several units is computed whole: its bound holds for all of them or none
            const q = (g << 2) / s;
            open = q == (ga << 2) / s || load<f32>(lt + (<usize>q << 2)) <= ue;
          } else {
            for (let q = g * perUnit; q < (g + 1) * perUnit; q++) if (load<f32>(lt + (<usize>q << 2)) <= ue) open = true;
          }
          if (!open) continue;
          store<u8>(need + <usize>g, 1);
          computed++;
          if (pending < 0) {
            pending = g;
          } else {
            unitDist2(x, stride, d, i, cu, norms, pending, g, dd);
            pending = -1;
          }
        }
        if (pending >= 0) v128.store(dd + (<usize>pending << 4), unitDist(x, stride, d, i, cu, norms, pending));
      }
      // nearest computed centre; equal distances go to the lower centre index, as a sequential scan would
      let best = f32x4.splat(Infinity);
      let bo = i32x4.splat(0x7fffffff);
      for (let g = 0; g < units; g++) {
        if (!load<u8>(need + <usize>g)) continue;
        const v = v128.load(dd + (<usize>g << 4));
        const o = v128.load(orig + (<usize>g << 4));
        const take = v128.or(f32x4.lt(v, best), v128.and(f32x4.eq(v, best), i32x4.lt_s(o, bo)));
        best = v128.bitselect(v, best, take);
        bo = v128.bitselect(o, bo, take);
      }
      let b1 = f32x4.extract_lane(best, 0), lab = i32x4.extract_lane(bo, 0);
      for (let r2 = 1; r2 < 4; r2++) {
        const v = r2 == 1 ? f32x4.extract_lane(best, 1) : r2 == 2 ? f32x4.extract_lane(best, 2) : f32x4.extract_lane(best, 3);
        const o = r2 == 1 ? i32x4.extract_lane(bo, 1) : r2 == 2 ? i32x4.extract_lane(bo, 2) : i32x4.extract_lane(bo, 3);
        if (v < b1 || (v == b1 && o < lab)) { b1 = v; lab = o; }
      }
      // new bounds: exact for computed units (the label's own slot excluded), moved for the others
      const vLab = i32x4.splat(lab);
      const vAdd = f32x4.splat(xn - slack);
      const vInf = f32x4.splat(Infinity);
      let lmin: f32 = Infinity;
      for (let g = 0; g < units; g++) {
        if (!load<u8>(need + <usize>g)) {
          const q0 = s >= 4 ? (g << 2) / s : g * perUnit, q1 = s >= 4 ? q0 + 1 : q0 + perUnit;
          for (let q = q0; q < q1; q++) {
            const l = load<f32>(lt + (<usize>q << 2));
            store<f32>(brow + (<usize>q << 2), l);
            lmin = min<f32>(lmin, l);
          }
          continue;
        }
        let l = f32x4.mul(f32x4.sqrt(f32x4.max(f32x4.add(v128.load(dd + (<usize>g << 4)), vAdd), vZero)), vShrink);
        l = v128.bitselect(vInf, l, i32x4.eq(v128.load(orig + (<usize>g << 4)), vLab));
        if (s == 1) {
          v128.store(brow + (<usize>(g << 2) << 2), l);
          lmin = min<f32>(lmin, min<f32>(min<f32>(f32x4.extract_lane(l, 0), f32x4.extract_lane(l, 1)), min<f32>(f32x4.extract_lane(l, 2), f32x4.extract_lane(l, 3))));
        } else {
          const m2 = f32x4.min(l, v128.shuffle<f32>(l, l, 1, 0, 3, 2));
          if (s == 2) {
            const e0 = f32x4.extract_lane(m2, 0), e1 = f32x4.extract_lane(m2, 2);
            store<f32>(brow + (<usize>(g << 1) << 2), e0);
            store<f32>(brow + (<usize>((g << 1) + 1) << 2), e1);
            lmin = min<f32>(lmin, min<f32>(e0, e1));
          } else {
            // a set of s >= 4 centres spans s / 4 units, computed together: the first unit starts its bound
            const e = min<f32>(f32x4.extract_lane(m2, 0), f32x4.extract_lane(m2, 2));
            const q = (g << 2) / s;
            const at = brow + (<usize>q << 2);
            store<f32>(at, (g << 2) % s == 0 ? e : min<f32>(load<f32>(at), e));
            lmin = min<f32>(lmin, e);
          }
        }
      }
      store<f32>(upper + (<usize>i << 2), sqrt<f32>(max<f32>(b1 + xn + slack, 0)) * GROW);
      store<f32>(lower + (<usize>i << 2), lmin);
      store<i32>(tau + (<usize>i << 2), now);
      store<i32>(labels + (<usize>i << 2), lab);
      if (lab != a) {
        changed++;
        if (sums) moveRow(x, stride, d, i, a, lab, weights, sums, k);
      }
    }
    i0 += block;
  }
  store<i32>(stats, load<i32>(stats) + touched);
  store<i32>(stats + 4, load<i32>(stats + 4) + computed);
  return changed;
}
