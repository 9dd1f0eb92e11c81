// Gaussian-mixture EM over a block of rows: float32 columns read as float64, two rows per f64x2, four per step.
// Per row: every component's weighted log-density through its Cholesky precision (scikit-learn's
// `_estimate_log_gaussian_prob`: -0.5 |P^T (x - mu)|^2 + const), the log-sum-exp and the responsibilities; then
// the sufficient statistics N_k, sum r (x - mu_k) and sum r (x - mu_k)(x - mu_k)^T, shifted by the current means
// so no digits cancel. Work O(rows k d^2) for full, O(rows k d) for diag and spherical.

const FULL: i32 = 0;
const TIED: i32 = 1;

@inline function vec(p: usize, q: i32): usize {
  return p + (<usize>q << 4);
}

// adds a vector into an accumulator slot
@inline function accAdd(p: usize, v: v128): void {
  v128.store(p, f64x2.add(v128.load(p), v));
}

/**
 * Rows [row0, row1) of column-major x (float32). cov: 0 full, 1 tied, 2 diag (spherical is diag with one value
 * repeated). means: k x d (the shift of the statistics as well). prec: full, k packed lower triangles of P^T (row j
 * holds P[0..j][j]); tied, one such triangle then k x d values P^T mu; diag, k x d. consts: k values
 * log w + log det P - d/2 log 2 pi. src: 0 responsibilities by the E-step, 1 one-hot from int32 labels at srcPtr,
 * 2 float64 rows of k at srcPtr, 3 every row 1 (k = 1). Per-row pointers address row row0 (0: not wanted).
 * stats: per component N, S1 (d), S2 (m; packed like P^T for full, the diagonal for diag, none for tied), added to.
 * work: 16 (6d + 2k + k(1 + d + m)) bytes. Returns the sum of the rows' log-sum-exp.
 */
export function gmm(
  x: usize, stride: i32, d: i32, row0: i32, row1: i32, k: i32, cov: i32,
  means: usize, prec: usize, consts: usize, src: i32, srcPtr: usize,
  stats: usize, respOut: usize, labelsOut: usize, scoreOut: usize, maxOut: usize, work: usize,
): f64 {
  const m: i32 = cov == FULL ? (d * (d + 1)) >> 1 : cov == TIED ? 0 : d;
  const XV = work;
  const ZV = vec(XV, 2 * d);
  const WV = vec(ZV, 2 * d);
  const LP = vec(WV, 2 * d);
  const ACC = vec(LP, 2 * k);
  const per = 1 + d + m;
  const zero = f64x2.splat(0);
  if (stats) for (let q = 0; q < k * per; q++) v128.store(vec(ACC, q), zero);
  const half = f64x2.splat(0.5);
  let total: f64 = 0;
  for (let i0 = row0; i0 < row1; i0 += 4) {
    // the four rows as two f64x2 (lanes past row1 are read, since columns are padded, and then ignored)
    let p = x + (<usize>i0 << 2);
    for (let j = 0; j < d; j++) {
      const v = v128.load(p);
      v128.store(vec(XV, 2 * j), f64x2.promote_low_f32x4(v));
      v128.store(vec(XV, 2 * j + 1), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
      p += <usize>stride << 2;
    }
    const live = min<i32>(4, row1 - i0);
    if (src == 0) {
      if (cov == TIED) {
        // u = P^T x once; each component then only subtracts its P^T mu
        let off = 0;
        for (let j = 0; j < d; j++) {
          let ya = zero, yb = zero;
          for (let t = 0; t <= j; t++) {
            const s = f64x2.splat(load<f64>(prec + (<usize>(off + t) << 3)));
            ya = f64x2.add(ya, f64x2.mul(s, v128.load(vec(XV, 2 * t))));
            yb = f64x2.add(yb, f64x2.mul(s, v128.load(vec(XV, 2 * t + 1))));
          }
          v128.store(vec(ZV, 2 * j), ya);
          v128.store(vec(ZV, 2 * j + 1), yb);
          off += j + 1;
        }
      }
      const tri = (d * (d + 1)) >> 1;
      for (let c = 0; c < k; c++) {
        let qa = zero, qb = zero;
        const mu = means + (<usize>(c * d) << 3);
        if (cov == FULL) {
          for (let j = 0; j < d; j++) {
            const s = f64x2.splat(load<f64>(mu + (<usize>j << 3)));
            v128.store(vec(WV, 2 * j), f64x2.sub(v128.load(vec(XV, 2 * j)), s));
            v128.store(vec(WV, 2 * j + 1), f64x2.sub(v128.load(vec(XV, 2 * j + 1)), s));
          }
          const pk = prec + (<usize>(c * tri) << 3);
          let off = 0;
          for (let j = 0; j < d; j++) {
            let ya = zero, yb = zero;
            for (let t = 0; t <= j; t++) {
              const s = f64x2.splat(load<f64>(pk + (<usize>(off + t) << 3)));
              ya = f64x2.add(ya, f64x2.mul(s, v128.load(vec(WV, 2 * t))));
              yb = f64x2.add(yb, f64x2.mul(s, v128.load(vec(WV, 2 * t + 1))));
            }
            qa = f64x2.add(qa, f64x2.mul(ya, ya));
            qb = f64x2.add(qb, f64x2.mul(yb, yb));
            off += j + 1;
          }
        } else if (cov == TIED) {
          const pm = prec + (<usize>(tri + c * d) << 3);
          for (let j = 0; j < d; j++) {
            const s = f64x2.splat(load<f64>(pm + (<usize>j << 3)));
            const ya = f64x2.sub(v128.load(vec(ZV, 2 * j)), s);
            const yb = f64x2.sub(v128.load(vec(ZV, 2 * j + 1)), s);
            qa = f64x2.add(qa, f64x2.mul(ya, ya));
            qb = f64x2.add(qb, f64x2.mul(yb, yb));
          }
        } else {
          const pc = prec + (<usize>(c * d) << 3);
          for (let j = 0; j < d; j++) {
            const s = f64x2.splat(load<f64>(mu + (<usize>j << 3)));
            const w = f64x2.splat(load<f64>(pc + (<usize>j << 3)));
            const ya = f64x2.mul(w, f64x2.sub(v128.load(vec(XV, 2 * j)), s));
            const yb = f64x2.mul(w, f64x2.sub(v128.load(vec(XV, 2 * j + 1)), s));
            qa = f64x2.add(qa, f64x2.mul(ya, ya));
            qb = f64x2.add(qb, f64x2.mul(yb, yb));
          }
        }
        const kc = f64x2.splat(load<f64>(consts + (<usize>c << 3)));
        v128.store(vec(LP, 2 * c), f64x2.sub(kc, f64x2.mul(half, qa)));
        v128.store(vec(LP, 2 * c + 1), f64x2.sub(kc, f64x2.mul(half, qb)));
      }
      // log-sum-exp per row (scalar exp and log, the same code in every build); responsibilities overwrite LP
      for (let l = 0; l < 4; l++) {
        const base = LP + (<usize>(l >> 1) << 4) + (<usize>(l & 1) << 3);
        if (l >= live) {
          for (let c = 0; c < k; c++) store<f64>(base + (<usize>c << 5), 0);
          continue;
        }
        let best = load<f64>(base), arg = 0;
        for (let c = 1; c < k; c++) {
          const v = load<f64>(base + (<usize>c << 5));
          if (v > best) { best = v; arg = c; }
        }
        let s: f64 = 0;
        for (let c = 0; c < k; c++) {
          const e = Math.exp(load<f64>(base + (<usize>c << 5)) - best);
          store<f64>(base + (<usize>c << 5), e);
          s += e;
        }
        const lse = best + Math.log(s);
        total += lse;
        const inv = 1.0 / s;
        const r = i0 + l - row0;
        for (let c = 0; c < k; c++) {
          const a = base + (<usize>c << 5);
          const e = load<f64>(a) * inv;
          store<f64>(a, e);
          if (respOut) store<f64>(respOut + (<usize>(r * k + c) << 3), e);
        }
        if (labelsOut) store<i32>(labelsOut + (<usize>r << 2), arg);
        if (scoreOut) store<f64>(scoreOut + (<usize>r << 3), lse);
        if (maxOut) store<f64>(maxOut + (<usize>r << 3), inv);
      }
    } else {
      for (let l = 0; l < 4; l++) {
        const base = LP + (<usize>(l >> 1) << 4) + (<usize>(l & 1) << 3);
        const r = i0 + l - row0;
        for (let c = 0; c < k; c++) {
          let v: f64 = 0;
          if (l < live) {
            if (src == 1) v = load<i32>(srcPtr + (<usize>r << 2)) == c ? 1.0 : 0.0;
            else if (src == 2) v = load<f64>(srcPtr + (<usize>(r * k + c) << 3));
            else v = 1.0;
          }
          store<f64>(base + (<usize>c << 5), v);
        }
      }
    }
    if (!stats) continue;
    for (let c = 0; c < k; c++) {
      const ra = v128.load(vec(LP, 2 * c)), rb = v128.load(vec(LP, 2 * c + 1));
      // rows with no responsibility add exact zeros: skipping them changes no bit
      if (!v128.any_true(v128.or(f64x2.ne(ra, zero), f64x2.ne(rb, zero)))) continue;
      const acc = vec(ACC, c * per);
      accAdd(acc, f64x2.add(ra, rb));
      const mu = means + (<usize>(c * d) << 3);
      for (let j = 0; j < d; j++) {
        const s = f64x2.splat(load<f64>(mu + (<usize>j << 3)));
        const za = f64x2.sub(v128.load(vec(XV, 2 * j)), s);
        const zb = f64x2.sub(v128.load(vec(XV, 2 * j + 1)), s);
        const wa = f64x2.mul(ra, za), wb = f64x2.mul(rb, zb);
        accAdd(vec(acc, 1 + j), f64x2.add(wa, wb));
        if (cov == FULL) {
          v128.store(vec(ZV, 2 * j), za);
          v128.store(vec(ZV, 2 * j + 1), zb);
          v128.store(vec(WV, 2 * j), wa);
          v128.store(vec(WV, 2 * j + 1), wb);
        } else if (cov != TIED) {
          accAdd(vec(acc, 1 + d + j), f64x2.add(f64x2.mul(wa, za), f64x2.mul(wb, zb)));
        }
      }
      if (cov == FULL) {
        let q = 1 + d;
        for (let j = 0; j < d; j++) {
          const za = v128.load(vec(ZV, 2 * j)), zb = v128.load(vec(ZV, 2 * j + 1));
          for (let t = 0; t <= j; t++) {
            accAdd(vec(acc, q), f64x2.add(f64x2.mul(v128.load(vec(WV, 2 * t)), za), f64x2.mul(v128.load(vec(WV, 2 * t + 1)), zb)));
            q++;
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
