// Nearest-centroid assignment that skips what bounds prove: Elkan's (2003) lower bounds per centre, or per set of
// 2, 4, 8, ... centres as Yinyang's groups (Ding et al. 2015), one upper and one global lower bound per row.
// Bounds are kept from the pass that computed them (stamp `tau`) and moved by each centre's whole displacement since
// (Newling & Fleuret 2016), so rows the row bounds settle are read, not written, until their stamp grows old. Centres
// sit in units of 4 slots, nearby centres together; a row computes whole units, in the same float32 operation order
// as `assign`, so every distance it compares is bit for bit the one plain Lloyd compares. Every phase runs 4 rows per
// f32x4.
//
// Layout: unit g's centres at cu + (g * d + j) * 16 (4 lanes per feature j); norms and orig (slot -> centre) per
// slot; slotOf per centre. Per row: labels, tau (i32), upper, lower (f32); the shard's `bounds` region holds its
// t set bounds column by column (set q of shard row r at bnd + (q * rows + r) * 4), private to this kernel. With a
// row-major copy (xr not 0), row i's d values at xr + i * d * 4, written by every `force` pass; rows that are not
// a run of 4 are then read from it.
// Tables from the stamp `base` on: pr[(tau - base) * k + a] = (displacement of a, largest displacement of any other
// centre); qt[(tau - base) * t + q] = largest displacement in set q; half[a] = half the distance from a to its
// nearest other centre.

import { moveRow } from './assign';

/** Relative inflation applied whenever a bound is rounded, larger than float32 rounding so bounds stay conservative. */
const GROW: f32 = 1.0 + 2.3841858e-7 * 4.0;
const SHRINK: f32 = 1.0 - 2.3841858e-7 * 4.0;
/** Touched rows per batch: a batch is gathered into per-unit lists and computed 4 rows at a time. */
const CH: i32 = 128; // the tmp size in src/kernels/assignBounded.ts follows from it

// NaN never occurs here, so pmin / pmax (one instruction each) stand in for min / max, whose NaN and signed-zero
// rules cost V8 several instructions; lane-wise selects replace data-dependent branches.

// Loads the 32-bit values at base + idx_r * 4 into lane r (float32 or int32 alike: v128 lanes are bits).
@inline function gather32(base: usize, idx: v128): v128 {
  let r = v128.load32_splat(base + (<usize>i32x4.extract_lane(idx, 0) << 2));
  r = v128.load32_lane(base + (<usize>i32x4.extract_lane(idx, 1) << 2), r, 1);
  r = v128.load32_lane(base + (<usize>i32x4.extract_lane(idx, 2) << 2), r, 2);
  return v128.load32_lane(base + (<usize>i32x4.extract_lane(idx, 3) << 2), r, 3);
}

// Stores lane r of v (its 32 bits, float32 or int32) at base + idx_r * 4 for the lanes whose bit is set in `valid`.
@inline function scatter32(base: usize, idx: v128, v: v128, valid: i32): void {
  store<i32>(base + (<usize>i32x4.extract_lane(idx, 0) << 2), i32x4.extract_lane(v, 0));
  if (valid & 2) store<i32>(base + (<usize>i32x4.extract_lane(idx, 1) << 2), i32x4.extract_lane(v, 1));
  if (valid & 4) store<i32>(base + (<usize>i32x4.extract_lane(idx, 2) << 2), i32x4.extract_lane(v, 2));
  if (valid & 8) store<i32>(base + (<usize>i32x4.extract_lane(idx, 3) << 2), i32x4.extract_lane(v, 3));
}

// ||c||^2 - 2 x.c for 4 rows (lanes) and each of the 4 centres of unit g (out: 4 vectors, one per slot), x.c summed
// over j in order as `assign` sums it, so each lane is bit for bit the plain pass's value. Rows in one run of 4 are
// loaded as one vector; others lane by lane. With `xn`, also the rows' squared norms. Its own function (called from
// several places, so never inlined) keeps its chains in registers.
function unitRows(x: usize, stride: i32, d: i32, cu: usize, norms: usize, g: i32, rows: v128, run: bool, out: usize, xn: usize, xr: usize): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0), nn = f32x4.splat(0);
  const c = cu + (<usize>(g * d) << 4);
  const step = <usize>stride << 2;
  const p0 = x + (<usize>i32x4.extract_lane(rows, 0) << 2);
  let off: usize = 0;
  // the unit's values of feature j at cj: a pointer stepping 16 bytes a feature
  const ce = c + (<usize>d << 4);
  if (run) {
    for (let cj = c; cj < ce; cj += 16) {
      const xv = v128.load(p0 + off);
      a0 = f32x4.add(a0, f32x4.mul(xv, v128.load32_splat(cj)));
      a1 = f32x4.add(a1, f32x4.mul(xv, v128.load32_splat(cj, 4)));
      a2 = f32x4.add(a2, f32x4.mul(xv, v128.load32_splat(cj, 8)));
      a3 = f32x4.add(a3, f32x4.mul(xv, v128.load32_splat(cj, 12)));
      nn = f32x4.add(nn, f32x4.mul(xv, xv));
      off += step;
    }
  } else {
    // the four rows' values: from the row-major copy when there is one (a row's values side by side, a few cache
    // lines a row), else down the columns (a line a value)
    let p1: usize, p2: usize, p3: usize, q0 = p0, js = step;
    if (xr) {
      const rs = <usize>d << 2;
      q0 = xr + <usize>i32x4.extract_lane(rows, 0) * rs;
      p1 = xr + <usize>i32x4.extract_lane(rows, 1) * rs;
      p2 = xr + <usize>i32x4.extract_lane(rows, 2) * rs;
      p3 = xr + <usize>i32x4.extract_lane(rows, 3) * rs;
      js = 4;
    } else {
      p1 = x + (<usize>i32x4.extract_lane(rows, 1) << 2);
      p2 = x + (<usize>i32x4.extract_lane(rows, 2) << 2);
      p3 = x + (<usize>i32x4.extract_lane(rows, 3) << 2);
    }
    for (let cj = c; cj < ce; cj += 16) {
      let xv = v128.load32_splat(q0 + off);
      xv = v128.load32_lane(p1 + off, xv, 1);
      xv = v128.load32_lane(p2 + off, xv, 2);
      xv = v128.load32_lane(p3 + off, xv, 3);
      a0 = f32x4.add(a0, f32x4.mul(xv, v128.load32_splat(cj)));
      a1 = f32x4.add(a1, f32x4.mul(xv, v128.load32_splat(cj, 4)));
      a2 = f32x4.add(a2, f32x4.mul(xv, v128.load32_splat(cj, 8)));
      a3 = f32x4.add(a3, f32x4.mul(xv, v128.load32_splat(cj, 12)));
      nn = f32x4.add(nn, f32x4.mul(xv, xv));
      off += js;
    }
  }
  const nb = norms + (<usize>g << 4);
  v128.store(out, f32x4.sub(v128.load32_splat(nb), f32x4.add(a0, a0)));
  v128.store(out, f32x4.sub(v128.load32_splat(nb, 4), f32x4.add(a1, a1)), 16);
  v128.store(out, f32x4.sub(v128.load32_splat(nb, 8), f32x4.add(a2, a2)), 32);
  v128.store(out, f32x4.sub(v128.load32_splat(nb, 12), f32x4.add(a3, a3)), 48);
  if (xn) v128.store(xn, nn);
}

// Appends batch slot q to unit g's list without a branch: the slot is written, the count grows only when `on` (0/1).
@inline function append(lists: usize, counts: usize, g: i32, q: i32, on: i32): void {
  const cp = counts + (<usize>g << 2);
  const c = load<i32>(cp);
  store<i32>(lists + (<usize>(g * (CH + 4) + c) << 2), q);
  store<i32>(cp, c + on);
}

// The batch's working memory in tmp (slots are a batch's rows, in row order): rowsT (CH + 4 i32), ltB (t x (CH + 4)
// f32: each set's bounds moved to this pass, by slot), olists (units x (CH + 4) i32: the slots owning each unit),
// ocounts (units i32), mv ((CH + 4) x 2 i32: old and new label by slot), then for the 4 rows being finished: sv
// (units x 4 v128: distance terms by unit and slot, lanes = rows), lt4 (t v128), acc (t v128), xn4 (v128), done
// (units u8), cl (units i32: the units computed).
@inline function offLt(): usize { return <usize>(CH + 4) << 2; }
@inline function offOl(t: i32): usize { return offLt() + (<usize>(t * (CH + 4)) << 2); }

/**
 * Phases 2-4 for a batch of nt touched rows (in row order), 4 rows sharing an own unit at a time: the own unit (the
 * exact distance to the own centre), the units the exact upper bound does not clear for any of the 4, the nearest
 * computed centre (equal distances go to the lower centre index, as a sequential scan would) and new bounds (exact
 * for computed units, the label's own slot excluded; moved for the others); then the sum moves in row order.
 * Its own function (called from two places, so never inlined): the scan for touched rows stays small.
 */
function processBatch(
  x: usize, stride: i32, d: i32, cu: usize, norms: usize, orig: usize, slotOf: usize, units: i32, k: i32,
  labels: usize, tau: usize, upper: usize, lower: usize, bnd: usize, nrows: i32, row0: i32, t: i32, s: i32,
  now: i32, force: i32, slackF: f32, cmax: f32, weights: usize, sums: usize, tmp: usize, nt: i32, stats: usize, xr: usize,
): i32 {
  let changed = 0, computed = 0;
  const rowsT = tmp, ltB = tmp + offLt();
  // a forced batch is consecutive rows: their row-major copy is written as they come into cache for the pass
  if (force && xr) rowMajor(x, stride, d, load<i32>(rowsT), load<i32>(rowsT + (<usize>(nt - 1) << 2)) + 1, xr);
  const olists = tmp + offOl(t);
  const ocounts = olists + (<usize>(units * (CH + 4)) << 2);
  const mv = ocounts + (<usize>units << 2);
  const sv = (mv + (<usize>(CH + 4) << 3) + 15) & ~15;
  const lt4 = sv + (<usize>units << 6);
  const acc = lt4 + (<usize>t << 4);
  const xn4 = acc + (<usize>t << 4);
  const done = xn4 + 16;
  const cl = (done + <usize>units + 3) & ~3;
  const lw = (CH + 4) << 2;                  // bytes per set column of ltB
  const ls = ctz<i32>(s);                    // s is a power of two: shifts, never a division
  const vShrink = f32x4.splat(SHRINK), vGrow = f32x4.splat(GROW), vZero = f32x4.splat(0);
  const vInf = f32x4.splat(Infinity), vNone = i32x4.splat(0x7fffffff), vLane = i32x4(0, 1, 2, 3);
  const vSlackF = f32x4.splat(slackF), vCmax = f32x4.splat(cmax);
  // pad the batch to a multiple of 4 with its last row (those lanes are never written back)
  for (let q = nt; q < ((nt + 3) & ~3); q++) {
    store<i32>(rowsT + (<usize>q << 2), load<i32>(rowsT + (<usize>(nt - 1) << 2)));
    for (let qs = 0; qs < t; qs++) store<f32>(ltB + <usize>(qs * lw) + (<usize>q << 2), Infinity);
  }
  // the slots by own unit (forced: one list of every slot, whose rows compute every unit)
  memory.fill(ocounts, 0, <usize>units << 2);
  memory.fill(done, 0, <usize>units);
  if (force) {
    for (let q = 0; q < nt; q++) store<i32>(olists + (<usize>q << 2), q);
    store<i32>(ocounts, nt);
  } else {
    for (let q = 0; q < nt; q++) {
      const g = load<i32>(slotOf + (<usize>load<i32>(labels + (<usize>load<i32>(rowsT + (<usize>q << 2)) << 2)) << 2)) >> 2;
      append(olists, ocounts, g, q, 1);
    }
  }
  const owners = force ? 1 : units;
  for (let g0 = 0; g0 < owners; g0++) {
    const list = olists + (<usize>(g0 * (CH + 4)) << 2);
    const cnt = load<i32>(ocounts + (<usize>g0 << 2));
    if (cnt == 0) continue;
    const last = load<i32>(list + (<usize>(cnt - 1) << 2));
    for (let q = cnt; q < ((cnt + 3) & ~3); q++) store<i32>(list + (<usize>q << 2), last);
    for (let q = 0; q < cnt; q += 4) {
      const n4 = min<i32>(4, cnt - q);
      const valid = (1 << n4) - 1;
      const slots = v128.load(list + (<usize>q << 2));
      const rows4 = gather32(rowsT, slots);
      const run = i32x4.all_true(i32x4.eq(rows4, i32x4.add(i32x4.splat(i32x4.extract_lane(rows4, 0)), vLane)));
      const old = run ? v128.load(labels + (<usize>i32x4.extract_lane(rows4, 0) << 2)) : gather32(labels, rows4);
      // the units computed for these rows: the own unit (all of them when forced) first
      let nc = 0;
      if (force) {
        for (let g = 0; g < units; g++) {
          unitRows(x, stride, d, cu, norms, g, rows4, run, sv + (<usize>g << 6), g == 0 ? xn4 : 0, xr);
          store<i32>(cl + (<usize>g << 2), g);
        }
        nc = units;
      } else {
        unitRows(x, stride, d, cu, norms, g0, rows4, run, sv + (<usize>g0 << 6), xn4, xr);
        store<i32>(cl, g0);
        store<u8>(done + <usize>g0, 1);
        nc = 1;
        // the exact upper bound of each row, from its own slot
        const lane = v128.and(gather32(slotOf, old), i32x4.splat(3));
        const o = sv + (<usize>g0 << 6);
        let own = v128.bitselect(v128.load(o), v128.load(o, 16), i32x4.eq(lane, i32x4.splat(0)));
        own = v128.bitselect(v128.load(o, 32), own, i32x4.eq(lane, i32x4.splat(2)));
        own = v128.bitselect(v128.load(o, 48), own, i32x4.eq(lane, i32x4.splat(3)));
        const xn = v128.load(xn4);
        const ue = f32x4.mul(f32x4.sqrt(f32x4.pmax(f32x4.add(f32x4.add(own, xn), f32x4.mul(vSlackF, f32x4.add(xn, vCmax))), vZero)), vGrow);
        // sets the exact upper bound does not clear (for any of the rows): their units are computed too
        const ownSet = (g0 << 2) >> ls;
        for (let qs = 0; qs < t; qs++) {
          const l = gather32(ltB + <usize>(qs * lw), slots);
          v128.store(lt4 + (<usize>qs << 4), l);
          // a set spanning several units is computed whole, the own unit's set included
          if (qs != ownSet && !v128.any_true(v128.and(f32x4.le(l, ue), i32x4.lt_s(vLane, i32x4.splat(n4))))) continue;
          const g1 = (qs << ls) >> 2, g2 = min<i32>(units, max<i32>(g1 + 1, ((qs + 1) << ls) >> 2));
          for (let g = g1; g < g2; g++) {
            if (load<u8>(done + <usize>g)) continue;
            store<u8>(done + <usize>g, 1);
            unitRows(x, stride, d, cu, norms, g, rows4, run, sv + (<usize>g << 6), 0, xr);
            store<i32>(cl + (<usize>nc << 2), g);
            nc++;
          }
        }
      }
      computed += nc * n4;
      // the nearest computed centre of each row
      let best = vInf, bo = vNone;
      for (let u = 0; u < nc; u++) {
        const g = load<i32>(cl + (<usize>u << 2));
        const o = sv + (<usize>g << 6), og = orig + (<usize>g << 4);
        for (let c = 0; c < 4; c++) {
          const v = v128.load(o + (<usize>c << 4));
          const oc = v128.load32_splat(og + (<usize>c << 2));
          const take = v128.or(f32x4.lt(v, best), v128.and(f32x4.eq(v, best), i32x4.lt_s(oc, bo)));
          best = v128.bitselect(v, best, take);
          bo = v128.bitselect(oc, bo, take);
        }
      }
      const lab = bo;
      const xn = v128.load(xn4);
      const slack = f32x4.mul(vSlackF, f32x4.add(xn, vCmax));
      const add = f32x4.sub(xn, slack);
      // set bounds: exact over the computed units (the label's own slot excluded), moved for the others
      for (let qs = 0; qs < t; qs++) v128.store(acc + (<usize>qs << 4), force ? vInf : v128.load(lt4 + (<usize>qs << 4)));
      // a computed set starts from infinity (sets never mix computed and moved units)
      if (!force) {
        for (let u = 0; u < nc; u++) {
          const g = load<i32>(cl + (<usize>u << 2));
          for (let slot = g << 2; slot < (g + 1) << 2; slot++) if ((slot & (s - 1)) == 0) v128.store(acc + (<usize>(slot >> ls) << 4), vInf);
        }
      }
      for (let u = 0; u < nc; u++) {
        const g = load<i32>(cl + (<usize>u << 2));
        const o = sv + (<usize>g << 6);
        for (let c = 0; c < 4; c++) {
          const slot = (g << 2) + c;
          let l = f32x4.mul(f32x4.sqrt(f32x4.pmax(f32x4.add(v128.load(o + (<usize>c << 4)), add), vZero)), vShrink);
          l = v128.bitselect(vInf, l, i32x4.eq(v128.load32_splat(orig + (<usize>slot << 2)), lab));
          const ap = acc + (<usize>(slot >> ls) << 4);
          v128.store(ap, f32x4.pmin(v128.load(ap), l));
        }
        store<u8>(done + <usize>g, 0);
      }
      const up4 = f32x4.mul(f32x4.sqrt(f32x4.pmax(f32x4.add(best, f32x4.add(xn, slack)), vZero)), vGrow);
      let lmin = vInf;
      if (run && valid == 15) {
        const r0 = i32x4.extract_lane(rows4, 0);
        const b0 = bnd + (<usize>(r0 - row0) << 2);
        for (let qs = 0; qs < t; qs++) {
          const l = v128.load(acc + (<usize>qs << 4));
          v128.store(b0 + (<usize>(qs * nrows) << 2), l);
          lmin = f32x4.pmin(lmin, l);
        }
        v128.store(upper + (<usize>r0 << 2), up4);
        v128.store(lower + (<usize>r0 << 2), lmin);
        v128.store(tau + (<usize>r0 << 2), i32x4.splat(now));
        v128.store(labels + (<usize>r0 << 2), lab);
      } else {
        const at = i32x4.sub(rows4, i32x4.splat(row0));
        for (let qs = 0; qs < t; qs++) {
          const l = v128.load(acc + (<usize>qs << 4));
          scatter32(bnd + (<usize>(qs * nrows) << 2), at, l, valid);
          lmin = f32x4.pmin(lmin, l);
        }
        scatter32(upper, rows4, up4, valid);
        scatter32(lower, rows4, lmin, valid);
        scatter32(tau, rows4, i32x4.splat(now), valid);
        scatter32(labels, rows4, lab, valid);
      }
      // old and new labels by slot, for the moves below
      const at2 = i32x4.shl(slots, 1);
      scatter32(mv, at2, old, valid);
      scatter32(mv + 4, at2, lab, valid);
    }
  }
  // the sum moves of changed labels, in row order (the order plain Lloyd adds them in)
  for (let q = 0; q < nt; q++) {
    const o = load<i32>(mv + (<usize>q << 3)), l = load<i32>(mv + (<usize>q << 3), 4);
    if (o == l) continue;
    changed++;
    if (sums) moveRow(x, stride, d, load<i32>(rowsT + (<usize>q << 2)), o, l, weights, sums, k);
  }
  store<i32>(stats + 4, load<i32>(stats + 4) + computed);
  return changed;
}

// Copies rows [row0, row1) of the columns at x into xr, row i's d values at xr + i * d * 4: blocks of 4 rows by 4
// features turned with shuffles, the rest one value at a time.
function rowMajor(x: usize, stride: i32, d: i32, row0: i32, row1: i32, xr: usize): void {
  const step = <usize>stride << 2, rs = <usize>d << 2, d4 = d & ~3;
  let i = row0;
  for (; i + 4 <= row1; i += 4) {
    const q = xr + <usize>i * rs;
    let p = x + (<usize>i << 2);
    for (let j = 0; j < d4; j += 4) {
      const a = v128.load(p), b = v128.load(p + step), c = v128.load(p + 2 * step), e = v128.load(p + 3 * step);
      const t0 = v128.shuffle<i32>(a, b, 0, 4, 1, 5), t1 = v128.shuffle<i32>(a, b, 2, 6, 3, 7);
      const t2 = v128.shuffle<i32>(c, e, 0, 4, 1, 5), t3 = v128.shuffle<i32>(c, e, 2, 6, 3, 7);
      const o = q + (<usize>j << 2);
      v128.store(o, v128.shuffle<i32>(t0, t2, 0, 1, 4, 5));
      v128.store(o + rs, v128.shuffle<i32>(t0, t2, 2, 3, 6, 7));
      v128.store(o + 2 * rs, v128.shuffle<i32>(t1, t3, 0, 1, 4, 5));
      v128.store(o + 3 * rs, v128.shuffle<i32>(t1, t3, 2, 3, 6, 7));
      p += step << 2;
    }
    for (let j = d4; j < d; j++) {
      for (let r = 0; r < 4; r++) store<f32>(q + <usize>r * rs + (<usize>j << 2), load<f32>(x + <usize>j * step + (<usize>(i + r) << 2)));
    }
  }
  for (; i < row1; i++) {
    for (let j = 0; j < d; j++) store<f32>(xr + <usize>i * rs + (<usize>j << 2), load<f32>(x + <usize>j * step + (<usize>i << 2)));
  }
}

/**
 * Labels rows [row0, row1): rows whose bounds settle them keep their label; the others compute the units their
 * bounds cannot clear (all units when `force`, which also starts every row's bounds). Returns the labels changed;
 * stats[0] += rows that computed, stats[1] += units computed. `bnd` is this shard's bounds region, `tmp` scratch,
 * `xr` the row-major copy or 0.
 */
export function assignBounded(
  x: usize, stride: i32, d: i32, row0: i32, row1: i32,
  cu: usize, norms: usize, orig: usize, slotOf: usize, units: i32, k: i32,
  labels: usize, tau: usize, upper: usize, lower: usize, bnd: usize, t: i32, s: i32,
  pr: usize, qt: usize, half: usize, base: i32, now: i32, refresh: i32, force: i32, slackF: f32,
  weights: usize, sums: usize, tmp: usize, stats: usize, xr: usize,
): i32 {
  let changed = 0, touched = 0;
  let cmax: f32 = 0;
  for (let c = 0; c < (units << 2); c++) {
    const v = load<f32>(norms + (<usize>c << 2));
    if (v < Infinity && v > cmax) cmax = v;
  }
  const nrows = row1 - row0;
  const rowsT = tmp, ltB = tmp + offLt();
  const lw = (CH + 4) << 2;
  const vGrow = f32x4.splat(GROW), vShrink = f32x4.splat(SHRINK), vZero = f32x4.splat(0), vInf = f32x4.splat(Infinity);
  const vLane = i32x4(0, 1, 2, 3);

  let i0 = row0, nt = 0;
  while (true) {
    // 1. which rows the bounds settle, 4 at a time; the others, in row order, fill a batch of up to CH rows
    nt = 0;
    for (; i0 < row1 && nt <= CH - 4; i0 += 4) {
      const rows4 = i32x4.add(i32x4.splat(i0), vLane);
      const liveBits = i32x4.bitmask(i32x4.lt_s(rows4, i32x4.splat(row1)));
      if (force) {
        for (let r = 0; r < 4; r++) {
          if (!((liveBits >> r) & 1)) break;
          store<i32>(rowsT + (<usize>nt << 2), i0 + r);
          nt++;
        }
        continue;
      }
      // a partial last block reads its last row in the missing lanes (never written back). The 4 rows of a block
      // share one stamp: a block with a touched row is restamped whole, so its tables' rows are splats
      const full = liveBits == 15;
      const rowsC = full ? rows4 : i32x4.min_s(rows4, i32x4.splat(row1 - 1));
      const a4 = full ? v128.load(labels + (<usize>i0 << 2)) : gather32(labels, rowsC);
      const u4 = full ? v128.load(upper + (<usize>i0 << 2)) : gather32(upper, rowsC);
      const l4 = full ? v128.load(lower + (<usize>i0 << 2)) : gather32(lower, rowsC);
      const ti = load<i32>(tau + (<usize>i0 << 2));
      const idx2 = i32x4.shl(i32x4.add(i32x4.splat((ti - base) * k), a4), 1);
      const un4 = f32x4.mul(f32x4.add(u4, gather32(pr, idx2)), vGrow);
      const ln4 = f32x4.mul(f32x4.pmax(f32x4.sub(l4, gather32(pr + 4, idx2)), vZero), vShrink);
      const fresh = ti >= refresh;
      let settled = f32x4.lt(un4, f32x4.pmax(ln4, gather32(half, a4)));
      if (fresh && ((i32x4.bitmask(settled) | ~liveBits) & 15) == 15) continue;
      // the per-set bounds of the 4 rows, moved to this pass
      const at = i32x4.sub(rowsC, i32x4.splat(row0));
      const qrow = qt + (<usize>((ti - base) * t) << 2);
      let minl = vInf;
      for (let qs = 0; qs < t; qs++) {
        const colq = bnd + (<usize>(qs * nrows) << 2);
        const b = full ? v128.load(colq + (<usize>(i0 - row0) << 2)) : gather32(colq, at);
        const l = f32x4.mul(f32x4.pmax(f32x4.sub(b, v128.load32_splat(qrow + (<usize>qs << 2))), vZero), vShrink);
        v128.store(ltB + <usize>(qs * lw) + (<usize>nt << 2), l);
        minl = f32x4.pmin(minl, l);
      }
      settled = v128.or(settled, f32x4.lt(un4, minl));
      const open = (i32x4.bitmask(settled) ^ 15) & liveBits;
      // restamp the block: moved bounds for every row (the touched rows rewrite theirs after computing). A block the
      // set bounds settle takes them too: its row bounds, moved from this pass, settle it again in the next passes,
      // where moved from an old stamp they had failed pass after pass (skewed 1M x 16, k = 8: up to two fifths of the
      // blocks; the bounded passes 1 to 8% faster in four runs)
      if (full) {
        v128.store(upper + (<usize>i0 << 2), un4);
        v128.store(lower + (<usize>i0 << 2), minl);
        v128.store(tau + (<usize>i0 << 2), i32x4.splat(now));
        for (let qs = 0; qs < t; qs++) v128.store(bnd + (<usize>(qs * nrows + i0 - row0) << 2), v128.load(ltB + <usize>(qs * lw) + (<usize>nt << 2)));
      } else {
        scatter32(upper, rows4, un4, liveBits);
        scatter32(lower, rows4, minl, liveBits);
        scatter32(tau, rows4, i32x4.splat(now), liveBits);
        for (let qs = 0; qs < t; qs++) scatter32(bnd + (<usize>(qs * nrows) << 2), at, v128.load(ltB + <usize>(qs * lw) + (<usize>nt << 2)), liveBits);
      }
      // touched lanes join the batch: their moved set bounds go to their batch columns
      let lane = 0;
      for (let r = 0; r < 4; r++) {
        if (!((open >> r) & 1)) continue;
        if (r != lane) {
          for (let qs = 0; qs < t; qs++) {
            const col2 = ltB + <usize>(qs * lw);
            store<f32>(col2 + (<usize>(nt + lane) << 2), load<f32>(col2 + (<usize>(nt + r) << 2)));
          }
        }
        store<i32>(rowsT + (<usize>(nt + lane) << 2), i0 + r);
        lane++;
      }
      nt += lane;
    }
    touched += nt;
    if (i0 >= row1) break;
    changed += processBatch(x, stride, d, cu, norms, orig, slotOf, units, k, labels, tau, upper, lower, bnd, nrows, row0, t, s, now, force, slackF, cmax, weights, sums, tmp, nt, stats, xr);
  }
  if (nt > 0) changed += processBatch(x, stride, d, cu, norms, orig, slotOf, units, k, labels, tau, upper, lower, bnd, nrows, row0, t, s, now, force, slackF, cmax, weights, sums, tmp, nt, stats, xr);
  store<i32>(stats, load<i32>(stats) + touched);
  return changed;
}
