// Gaussian-mixture EM over a block of rows: float32 columns read as float64, two rows per f64x2, four per group,
// eight groups per block. Per row: every component's weighted log-density through its Cholesky precision
// (scikit-learn's `_estimate_log_gaussian_prob`: -0.5 |P^T (x - mu)|^2 + const), the log-sum-exp and the
// responsibilities; then, per block, the sufficient statistics N_k, sum r (x - mu_k) and sum r (x - mu_k)(x - mu_k)^T
// (the diagonal for diag, none for tied), shifted by the current means so no digits cancel (a component far from the
// column means with a small spread, such as a spike of equal values, keeps its variance), summed in registers over
// the block's rows; for diag and tied each feature's rows are loaded once for two components.
// Work O(rows k d^2) for full, O(rows k d) for diag and spherical.

const FULL: i32 = 0;
const TIED: i32 = 1;
/** Groups of 4 rows per block: the block's rows, shifted rows and responsibilities stay in L1. */
const GROUPS: i32 = 8;

@inline function vec(p: usize, q: i32): usize {
  return p + (<usize>q << 4);
}

@inline function accAdd(p: usize, v: v128): void {
  v128.store(p, f64x2.add(v128.load(p), v));
}

// exp on both lanes (Cephes' Pade form on [-ln2/2, ln2/2], then 2^n through the exponent bits): within 2 ulp. The
// arguments here are never positive; below -600 the result is 0 (under 1e-260, whose products with the rows would
// be subnormal and slow, and change no sum).
@inline function exp2(x: v128): v128 {
  // n = round(x / ln2) by the 1.5 * 2^52 shift, which also leaves n in the low bits of t
  const t = f64x2.add(f64x2.mul(x, f64x2.splat(1.4426950408889634)), f64x2.splat(6755399441055744.0));
  const n = f64x2.sub(t, f64x2.splat(6755399441055744.0));
  let r = f64x2.sub(x, f64x2.mul(n, f64x2.splat(0.693145751953125)));
  r = f64x2.sub(r, f64x2.mul(n, f64x2.splat(1.42860682030941723212e-6)));
  const rr = f64x2.mul(r, r);
  let p = f64x2.add(f64x2.mul(rr, f64x2.splat(1.26177193074810590878e-4)), f64x2.splat(3.02994407707441961300e-2));
  p = f64x2.mul(r, f64x2.add(f64x2.mul(p, rr), f64x2.splat(9.99999999999999999910e-1)));
  let q = f64x2.add(f64x2.mul(rr, f64x2.splat(3.00198505138664455042e-6)), f64x2.splat(2.52448340349684104192e-3));
  q = f64x2.add(f64x2.mul(q, rr), f64x2.splat(2.27265548208155028766e-1));
  q = f64x2.add(f64x2.mul(q, rr), f64x2.splat(2.00000000000000000009));
  const e = f64x2.add(f64x2.splat(1.0), f64x2.mul(f64x2.splat(2.0), f64x2.div(p, f64x2.sub(q, p))));
  // 2^n: (n + 1023) << 52, from the low bits of t (n is in [-866, 0] where the result is kept)
  const scale = i64x2.shl(i64x2.add(t, i64x2.splat(1023)), 52);
  return v128.andnot(f64x2.mul(e, scale), f64x2.lt(x, f64x2.splat(-600.0)));
}

/**
 * Rows [row0, row1) of column-major x (float32). cov: 0 full, 1 tied, 2 diag (spherical is diag with one value
 * repeated). means: k x d (the shift of the statistics as well). prec: full, k packed lower triangles of P^T (row j
 * holds P[0..j][j]); tied, one such triangle then k x d values P^T mu; diag, k x d. consts: k values
 * log w + log det P - d/2 log 2 pi. src: 0 responsibilities by the E-step, 1 one-hot from int32 labels at srcPtr,
 * 2 float64 rows of k at srcPtr, 3 every row 1 (k = 1). Per-row pointers address row row0 (0: not wanted).
 * stats: per component N, S1 (d), S2 (m; packed like P^T for full, the diagonal for diag, none for tied), added to.
 * work: 16 (52d + 18k + k(1 + d + m)) bytes. Returns the sum of the rows' log-sum-exp.
 */
export function gmm(
  x: usize, stride: i32, d: i32, row0: i32, row1: i32, k: i32, cov: i32,
  means: usize, prec: usize, consts: usize, src: i32, srcPtr: usize,
  stats: usize, respOut: usize, labelsOut: usize, scoreOut: usize, maxOut: usize, work: usize,
): f64 {
  const m: i32 = cov == FULL ? (d * (d + 1)) >> 1 : cov == TIED ? 0 : d;
  const tri = (d * (d + 1)) >> 1;
  // XB[g][j] rows of the block; ZV, WV one group's shifted rows; LP one group's log-densities; RB[c][g] the block's
  // responsibilities; ZB, WB[g][j] the block's shifted and weighted rows for one component (full); ACC the sums
  const XB = work;
  const ZV = vec(XB, GROUPS * 2 * d);
  const WV = vec(ZV, 2 * d);
  const LP = vec(WV, 2 * d);
  const RB = vec(LP, 2 * k);
  const ZB = vec(RB, GROUPS * 2 * k);
  const WB = vec(ZB, GROUPS * 2 * d);
  const ACC = vec(WB, GROUPS * 2 * d);
  const per = 1 + d + m;
  const zero = f64x2.splat(0);
  if (stats) for (let q = 0; q < k * per; q++) v128.store(vec(ACC, q), zero);
  const half = f64x2.splat(0.5), one = f64x2.splat(1.0);
  let total: f64 = 0;
  for (let b0 = row0; b0 < row1; b0 += GROUPS * 4) {
    const groups = min<i32>(GROUPS, (row1 - b0 + 3) >> 2);
    // the block's log-sum-exps summed as their maxima plus one log of the product of their sums (each in [1, k])
    let bsumV = zero, prodV = one;
    for (let g = 0; g < groups; g++) {
      const i0 = b0 + 4 * g;
      // the four rows as two f64x2 (lanes past row1 are read, since columns are padded, and then ignored)
      let p = x + (<usize>i0 << 2);
      const xg = vec(XB, g * 2 * d);
      for (let xp = xg, xe = vec(xg, 2 * d); xp < xe; xp += 32) {
        const v = v128.load(p);
        v128.store(xp, f64x2.promote_low_f32x4(v));
        v128.store(xp, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)), 16);
        p += <usize>stride << 2;
      }
      const live = min<i32>(4, row1 - i0);
      if (src == 0) {
        if (cov == TIED) {
          // u = P^T x once; each component then only subtracts its P^T mu
          let pp = prec, zp = ZV;
          for (let xe = xg + 32; xe <= vec(xg, 2 * d); xe += 32) {
            let ya = zero, yb = zero;
            for (let xp = xg; xp < xe; xp += 32) {
              const s = v128.load64_splat(pp);
              ya = f64x2.add(ya, f64x2.mul(s, v128.load(xp)));
              yb = f64x2.add(yb, f64x2.mul(s, v128.load(xp, 16)));
              pp += 8;
            }
            v128.store(zp, ya);
            v128.store(zp, yb, 16);
            zp += 32;
          }
        }
        let c = 0;
        if (cov != FULL && cov != TIED) {
          // diagonal: two components at a time, the group's row pair loaded once for both (each sum in the same
          // order as one component alone)
          const cd = <usize>d << 3;
          for (; c + 2 <= k; c += 2) {
            let qa0 = zero, qb0 = zero, qa1 = zero, qb1 = zero;
            let mp = means + (<usize>(c * d) << 3), pp = prec + (<usize>(c * d) << 3), xp = xg;
            const me = mp + cd;
            for (; mp < me; mp += 8) {
              const xa = v128.load(xp), xb = v128.load(xp, 16);
              let s = v128.load64_splat(mp), w = v128.load64_splat(pp);
              let ya = f64x2.mul(w, f64x2.sub(xa, s)), yb = f64x2.mul(w, f64x2.sub(xb, s));
              qa0 = f64x2.add(qa0, f64x2.mul(ya, ya));
              qb0 = f64x2.add(qb0, f64x2.mul(yb, yb));
              s = v128.load64_splat(mp + cd);
              w = v128.load64_splat(pp + cd);
              ya = f64x2.mul(w, f64x2.sub(xa, s));
              yb = f64x2.mul(w, f64x2.sub(xb, s));
              qa1 = f64x2.add(qa1, f64x2.mul(ya, ya));
              qb1 = f64x2.add(qb1, f64x2.mul(yb, yb));
              pp += 8;
              xp += 32;
            }
            const k0 = v128.load64_splat(consts + (<usize>c << 3)), k1 = v128.load64_splat(consts + (<usize>(c + 1) << 3));
            v128.store(vec(LP, 2 * c), f64x2.sub(k0, f64x2.mul(half, qa0)));
            v128.store(vec(LP, 2 * c + 1), f64x2.sub(k0, f64x2.mul(half, qb0)));
            v128.store(vec(LP, 2 * c + 2), f64x2.sub(k1, f64x2.mul(half, qa1)));
            v128.store(vec(LP, 2 * c + 3), f64x2.sub(k1, f64x2.mul(half, qb1)));
          }
        }
        for (; c < k; c++) {
          let qa = zero, qb = zero;
          const mu = means + (<usize>(c * d) << 3);
          if (cov == FULL) {
            for (let j = 0; j < d; j++) {
              const s = v128.load64_splat(mu + (<usize>j << 3));
              v128.store(vec(WV, 2 * j), f64x2.sub(v128.load(vec(xg, 2 * j)), s));
              v128.store(vec(WV, 2 * j + 1), f64x2.sub(v128.load(vec(xg, 2 * j + 1)), s));
            }
            // pointer steps: the packed triangle is read in order, row j against the shifted row pairs 0..j
            let pp = prec + (<usize>(c * tri) << 3);
            for (let we = WV + 32; we <= vec(WV, 2 * d); we += 32) {
              let ya = zero, yb = zero;
              for (let wp = WV; wp < we; wp += 32) {
                const s = v128.load64_splat(pp);
                ya = f64x2.add(ya, f64x2.mul(s, v128.load(wp)));
                yb = f64x2.add(yb, f64x2.mul(s, v128.load(wp, 16)));
                pp += 8;
              }
              qa = f64x2.add(qa, f64x2.mul(ya, ya));
              qb = f64x2.add(qb, f64x2.mul(yb, yb));
            }
          } else if (cov == TIED) {
            let pm = prec + (<usize>(tri + c * d) << 3);
            for (let zp = ZV; zp < WV; zp += 32) {
              const s = v128.load64_splat(pm);
              const ya = f64x2.sub(v128.load(zp), s);
              const yb = f64x2.sub(v128.load(zp, 16), s);
              qa = f64x2.add(qa, f64x2.mul(ya, ya));
              qb = f64x2.add(qb, f64x2.mul(yb, yb));
              pm += 8;
            }
          } else {
            // pointer steps over the features: mean, precision, the group's row pair
            let mp = mu, pp = prec + (<usize>(c * d) << 3), xp = xg;
            const me = mu + (<usize>d << 3);
            for (; mp < me; mp += 8) {
              const s = v128.load64_splat(mp);
              const w = v128.load64_splat(pp);
              const ya = f64x2.mul(w, f64x2.sub(v128.load(xp), s));
              const yb = f64x2.mul(w, f64x2.sub(v128.load(xp, 16), s));
              qa = f64x2.add(qa, f64x2.mul(ya, ya));
              qb = f64x2.add(qb, f64x2.mul(yb, yb));
              pp += 8;
              xp += 32;
            }
          }
          const kc = v128.load64_splat(consts + (<usize>c << 3));
          v128.store(vec(LP, 2 * c), f64x2.sub(kc, f64x2.mul(half, qa)));
          v128.store(vec(LP, 2 * c + 1), f64x2.sub(kc, f64x2.mul(half, qb)));
        }
        // log-sum-exp of the four rows, both row pairs at once (two independent chains); responsibilities to RB
        const le = vec(LP, 2 * k), rb0 = vec(RB, 2 * g);
        let ba = v128.load(LP), bb = v128.load(LP, 16);
        for (let lp = LP + 32; lp < le; lp += 32) {
          ba = f64x2.max(ba, v128.load(lp));
          bb = f64x2.max(bb, v128.load(lp, 16));
        }
        let sa = zero, sb = zero;
        // pointer steps over the components: their log-densities (LP) and responsibilities (RB) of the row pairs
        for (let lp = LP, rb = rb0; lp < le; lp += 32, rb += GROUPS << 5) {
          const ea = exp2(f64x2.sub(v128.load(lp), ba)), eb = exp2(f64x2.sub(v128.load(lp, 16), bb));
          v128.store(rb, ea);
          v128.store(rb, eb, 16);
          sa = f64x2.add(sa, ea);
          sb = f64x2.add(sb, eb);
        }
        const inva = f64x2.div(one, sa), invb = f64x2.div(one, sb);
        // lanes past row1 get no responsibility and add nothing to the block's sums
        const keepa = i64x2.replace_lane(i64x2.splat(live > 0 ? -1 : 0), 1, live > 1 ? -1 : 0);
        const keepb = i64x2.replace_lane(i64x2.splat(live > 2 ? -1 : 0), 1, live > 3 ? -1 : 0);
        const ra = v128.and(inva, keepa), rbv = v128.and(invb, keepb);
        for (let rb = rb0, re = vec(rb0, GROUPS * 2 * k); rb < re; rb += GROUPS << 5) {
          v128.store(rb, f64x2.mul(v128.load(rb), ra));
          v128.store(rb, f64x2.mul(v128.load(rb, 16), rbv), 16);
        }
        bsumV = f64x2.add(bsumV, f64x2.add(v128.and(ba, keepa), v128.and(bb, keepb)));
        prodV = f64x2.mul(prodV, f64x2.mul(v128.bitselect(sa, one, keepa), v128.bitselect(sb, one, keepb)));
        if (respOut | labelsOut | scoreOut | maxOut) {
          for (let l = 0; l < live; l++) {
            const lane = l & 1, h = l >> 1;
            const bv = h ? bb : ba, sv = h ? sb : sa, iv = h ? invb : inva;
            const bl = lane ? f64x2.extract_lane(bv, 1) : f64x2.extract_lane(bv, 0);
            const sl = lane ? f64x2.extract_lane(sv, 1) : f64x2.extract_lane(sv, 0);
            const r = i0 + l - row0;
            if (respOut) {
              for (let c = 0; c < k; c++) store<f64>(respOut + (<usize>(r * k + c) << 3), load<f64>(vec(RB, (c * GROUPS + g) * 2 + h) + (<usize>lane << 3)));
            }
            if (labelsOut) {
              const base = LP + (<usize>h << 4) + (<usize>lane << 3);
              let top = load<f64>(base), arg = 0;
              for (let c = 1; c < k; c++) {
                const v = load<f64>(base + (<usize>c << 5));
                if (v > top) { top = v; arg = c; }
              }
              store<i32>(labelsOut + (<usize>r << 2), arg);
            }
            if (scoreOut) store<f64>(scoreOut + (<usize>r << 3), bl + Math.log(sl));
            if (maxOut) store<f64>(maxOut + (<usize>r << 3), lane ? f64x2.extract_lane(iv, 1) : f64x2.extract_lane(iv, 0));
          }
        }
      } else {
        for (let l = 0; l < 4; l++) {
          const r = i0 + l - row0;
          for (let c = 0; c < k; c++) {
            let v: f64 = 0;
            if (l < live) {
              if (src == 1) v = load<i32>(srcPtr + (<usize>r << 2)) == c ? 1.0 : 0.0;
              else if (src == 2) v = load<f64>(srcPtr + (<usize>(r * k + c) << 3));
              else v = 1.0;
            }
            store<f64>(vec(RB, (c * GROUPS + g) * 2 + (l >> 1)) + (<usize>(l & 1) << 3), v);
          }
        }
      }
    }
    total += (f64x2.extract_lane(bsumV, 0) + f64x2.extract_lane(bsumV, 1)) + Math.log(f64x2.extract_lane(prodV, 0) * f64x2.extract_lane(prodV, 1));
    if (!stats) continue;
    // LP is free until the next block: it lists the `used` components, those with responsibility in this block
    let used = 0;
    for (let c = 0; c < k; c++) {
      const rc = vec(RB, c * GROUPS * 2);
      // a component with no responsibility in the block adds exact zeros: skipping it changes no bit
      let any = zero, n = zero;
      for (let g = 0; g < groups; g++) {
        const ra = v128.load(vec(rc, 2 * g)), rb = v128.load(vec(rc, 2 * g + 1));
        any = v128.or(any, v128.or(f64x2.ne(ra, zero), f64x2.ne(rb, zero)));
        n = f64x2.add(n, f64x2.add(ra, rb));
      }
      if (!v128.any_true(any)) continue;
      accAdd(vec(ACC, c * per), n);
      store<i32>(LP + (<usize>used << 2), c);
      used++;
    }
    if (cov != FULL) {
      // two components at a time, each feature's row pairs loaded once for the two (each sum in the same order as
      // one component alone)
      const xs = <usize>(d << 5), ge = <usize>groups << 5;
      let t = 0;
      for (; t + 2 <= used; t += 2) {
        const c0 = load<i32>(LP + (<usize>t << 2)), c1 = load<i32>(LP + (<usize>t << 2), 4);
        const r0 = vec(RB, c0 * GROUPS * 2), r1 = vec(RB, c1 * GROUPS * 2);
        const m0 = means + (<usize>(c0 * d) << 3), m1 = means + (<usize>(c1 * d) << 3);
        for (let j = 0; j < d; j++) {
          const s0 = v128.load64_splat(m0 + (<usize>j << 3)), s1 = v128.load64_splat(m1 + (<usize>j << 3));
          let a0 = zero, a1 = zero, q0 = zero, q1 = zero;
          let xp = vec(XB, 2 * j);
          for (let o: usize = 0; o < ge; o += 32) {
            const xa = v128.load(xp), xb = v128.load(xp, 16);
            let za = f64x2.sub(xa, s0), zb = f64x2.sub(xb, s0);
            let wa = f64x2.mul(v128.load(r0 + o), za), wb = f64x2.mul(v128.load(r0 + o, 16), zb);
            a0 = f64x2.add(a0, f64x2.add(wa, wb));
            q0 = f64x2.add(q0, f64x2.add(f64x2.mul(wa, za), f64x2.mul(wb, zb)));
            za = f64x2.sub(xa, s1);
            zb = f64x2.sub(xb, s1);
            wa = f64x2.mul(v128.load(r1 + o), za);
            wb = f64x2.mul(v128.load(r1 + o, 16), zb);
            a1 = f64x2.add(a1, f64x2.add(wa, wb));
            q1 = f64x2.add(q1, f64x2.add(f64x2.mul(wa, za), f64x2.mul(wb, zb)));
            xp += xs;
          }
          accAdd(vec(ACC, c0 * per + 1 + j), a0);
          accAdd(vec(ACC, c1 * per + 1 + j), a1);
          if (cov != TIED) {
            accAdd(vec(ACC, c0 * per + 1 + d + j), q0);
            accAdd(vec(ACC, c1 * per + 1 + d + j), q1);
          }
        }
      }
      for (; t < used; t++) {
        const c = load<i32>(LP + (<usize>t << 2));
        const rc = vec(RB, c * GROUPS * 2), acc = vec(ACC, c * per), mu = means + (<usize>(c * d) << 3);
        for (let j = 0; j < d; j++) {
          const s = v128.load64_splat(mu + (<usize>j << 3));
          let s1 = zero, s2 = zero;
          let xp = vec(XB, 2 * j);
          for (let o: usize = 0; o < ge; o += 32) {
            const za = f64x2.sub(v128.load(xp), s), zb = f64x2.sub(v128.load(xp, 16), s);
            const wa = f64x2.mul(v128.load(rc + o), za), wb = f64x2.mul(v128.load(rc + o, 16), zb);
            s1 = f64x2.add(s1, f64x2.add(wa, wb));
            s2 = f64x2.add(s2, f64x2.add(f64x2.mul(wa, za), f64x2.mul(wb, zb)));
            xp += xs;
          }
          accAdd(vec(acc, 1 + j), s1);
          if (cov != TIED) accAdd(vec(acc, 1 + d + j), s2);
        }
      }
      continue;
    }
    for (let t = 0; t < used; t++) {
      const c = load<i32>(LP + (<usize>t << 2));
      const rc = vec(RB, c * GROUPS * 2);
      const acc = vec(ACC, c * per);
      const mu = means + (<usize>(c * d) << 3);
      // group by group: the shifted and weighted rows in L1, the d(d+1)/2 products added to the sums
      for (let g = 0; g < groups; g++) {
        const ra = v128.load(vec(rc, 2 * g)), rb = v128.load(vec(rc, 2 * g + 1));
        if (!v128.any_true(v128.or(f64x2.ne(ra, zero), f64x2.ne(rb, zero)))) continue;
        // pointer steps over the features: row pair, shifted and weighted pairs, mean, sum
        let xp = vec(XB, g * 2 * d), zp = ZB, sp = vec(acc, 1);
        for (let mp = mu, me = mu + (<usize>d << 3); mp < me; mp += 8) {
          const s = v128.load64_splat(mp);
          const za = f64x2.sub(v128.load(xp), s), zb = f64x2.sub(v128.load(xp, 16), s);
          const wa = f64x2.mul(ra, za), wb = f64x2.mul(rb, zb);
          v128.store(zp, za);
          v128.store(zp, zb, 16);
          v128.store(zp + (WB - ZB), wa);
          v128.store(zp + (WB - ZB), wb, 16);
          accAdd(sp, f64x2.add(wa, wb));
          xp += 32;
          zp += 32;
          sp += 16;
        }
        // pointer steps: the packed sums in order, row j's shifted pair against the weighted pairs 0..j
        let ap = vec(acc, 1 + d);
        for (let zp = ZB, ze = vec(ZB, 2 * d), we = WB + 32; zp < ze; zp += 32, we += 32) {
          const za = v128.load(zp), zb = v128.load(zp, 16);
          for (let wp = WB; wp < we; wp += 32) {
            accAdd(ap, f64x2.add(f64x2.mul(v128.load(wp), za), f64x2.mul(v128.load(wp, 16), zb)));
            ap += 16;
          }
        }
      }
    }
  }
  if (stats) {
    for (let q = 0; q < k * per; q++) {
      const v = v128.load(vec(ACC, q));
      const o = stats + (<usize>q << 3);
      store<f64>(o, load<f64>(o) + (f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1)));
    }
  }
  return total;
}
