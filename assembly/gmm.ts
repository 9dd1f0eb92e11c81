// Gaussian-mixture EM over a block of rows: float32 columns read as float64, two rows per f64x2, four per group,
// eight groups per block. Per row: every component's weighted log-density through its Cholesky precision
// (scikit-learn's `_estimate_log_gaussian_prob`: -0.5 |P^T (x - mu)|^2 + const), the log-sum-exp and the
// responsibilities; then, per block, the sufficient statistics N_k, sum r (x - mu_k) and sum r (x - mu_k)(x - mu_k)^T,
// shifted by the current means so no digits cancel, summed in registers over the block's rows.
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

// exp on both lanes (Cephes' Pade form on [-ln2/2, ln2/2], then 2^n through the exponent bits): within 2 ulp, and 0
// below -708 where the result would be subnormal. The arguments here are never positive.
@inline function exp2(x: v128): v128 {
  const small = f64x2.lt(x, f64x2.splat(-708.0));
  const n = f64x2.nearest(f64x2.mul(x, f64x2.splat(1.4426950408889634)));
  let r = f64x2.sub(x, f64x2.mul(n, f64x2.splat(0.693145751953125)));
  r = f64x2.sub(r, f64x2.mul(n, f64x2.splat(1.42860682030941723212e-6)));
  const rr = f64x2.mul(r, r);
  let p = f64x2.add(f64x2.mul(rr, f64x2.splat(1.26177193074810590878e-4)), f64x2.splat(3.02994407707441961300e-2));
  p = f64x2.mul(r, f64x2.add(f64x2.mul(p, rr), f64x2.splat(9.99999999999999999910e-1)));
  let q = f64x2.add(f64x2.mul(rr, f64x2.splat(3.00198505138664455042e-6)), f64x2.splat(2.52448340349684104192e-3));
  q = f64x2.add(f64x2.mul(q, rr), f64x2.splat(2.27265548208155028766e-1));
  q = f64x2.add(f64x2.mul(q, rr), f64x2.splat(2.00000000000000000009));
  const e = f64x2.add(f64x2.splat(1.0), f64x2.mul(f64x2.splat(2.0), f64x2.div(p, f64x2.sub(q, p))));
  const ni = i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(v128.bitselect(f64x2.splat(0), n, small)));
  const scale = i64x2.shl(i64x2.add(ni, i64x2.splat(1023)), 52);
  return v128.andnot(f64x2.mul(e, scale), small);
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
  const half = f64x2.splat(0.5);
  let total: f64 = 0;
  for (let b0 = row0; b0 < row1; b0 += GROUPS * 4) {
    const groups = min<i32>(GROUPS, (row1 - b0 + 3) >> 2);
    // the block's log-sum-exps summed as their maxima plus one log of the product of their sums (each in [1, k])
    let bsum: f64 = 0, prod: f64 = 1;
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
        // log-sum-exp per row, both lanes at once; responsibilities to RB
        for (let h = 0; h < 2; h++) {
          // pointer steps over the components: their log-densities (LP) and responsibilities (RB) of this row pair
          const lp0 = vec(LP, h), le = vec(LP, 2 * k), rb0 = vec(RB, 2 * g + h);
          let best = v128.load(lp0);
          for (let lp = lp0 + 32; lp < le; lp += 32) best = f64x2.max(best, v128.load(lp));
          let s = zero;
          for (let lp = lp0, rb = rb0; lp < le; lp += 32, rb += GROUPS << 5) {
            const e = exp2(f64x2.sub(v128.load(lp), best));
            v128.store(rb, e);
            s = f64x2.add(s, e);
          }
          const inv = f64x2.div(f64x2.splat(1.0), s);
          const l0 = 2 * h, l1 = 2 * h + 1;
          // lanes past row1 get no responsibility
          const keep = i64x2.replace_lane(i64x2.splat(l0 < live ? -1 : 0), 1, l1 < live ? -1 : 0);
          for (let lp = lp0, rb = rb0; lp < le; lp += 32, rb += GROUPS << 5) {
            v128.store(rb, v128.and(f64x2.mul(v128.load(rb), inv), keep));
          }
          for (let l = l0; l <= l1 && l < live; l++) {
            const lane = l & 1;
            const bl = lane ? f64x2.extract_lane(best, 1) : f64x2.extract_lane(best, 0);
            const sl = lane ? f64x2.extract_lane(s, 1) : f64x2.extract_lane(s, 0);
            bsum += bl;
            prod *= sl;
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
            if (maxOut) store<f64>(maxOut + (<usize>r << 3), lane ? f64x2.extract_lane(inv, 1) : f64x2.extract_lane(inv, 0));
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
    total += bsum + Math.log(prod);
    if (!stats) continue;
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
      const acc = vec(ACC, c * per);
      accAdd(acc, n);
      const mu = means + (<usize>(c * d) << 3);
      if (cov == FULL) {
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
      } else {
        const xs = <usize>(d << 5), re = vec(rc, 2 * groups);
        for (let j = 0; j < d; j++) {
          const s = v128.load64_splat(mu + (<usize>j << 3));
          let s1 = zero, s2 = zero;
          // pointer steps: the group's row pair of feature j, and its responsibilities
          let xp = vec(XB, 2 * j), rp = rc;
          for (; rp < re; rp += 32) {
            const za = f64x2.sub(v128.load(xp), s), zb = f64x2.sub(v128.load(xp, 16), s);
            const wa = f64x2.mul(v128.load(rp), za), wb = f64x2.mul(v128.load(rp, 16), zb);
            s1 = f64x2.add(s1, f64x2.add(wa, wb));
            s2 = f64x2.add(s2, f64x2.add(f64x2.mul(wa, za), f64x2.mul(wb, zb)));
            xp += xs;
          }
          accAdd(vec(acc, 1 + j), s1);
          if (cov != TIED) accAdd(vec(acc, 1 + d + j), s2);
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
