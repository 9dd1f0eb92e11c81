// The Kolmogorov-Smirnov distributions as SciPy 1.10 computes them, so p-values agree to the last digits that matter:
// the one-sided Smirnov survival function (scipy.special.smirnov: van Mulbregt 2018, a double-double sum of the
// Birnbaum-Tingey terms) and the two-sided one-sample distribution (scipy.stats.kstwo: Simard & L'Ecuyer 2011's
// choice among Ruben-Gambino, Durbin's matrix (Marsaglia-Tsang-Wang), Pomeranz, Pelz-Good and 2 x Smirnov).

import { frexp } from '../util/detMath.js';

// ---------------------------------------------------------------------------------------------------------------
// double-double arithmetic (Hida, Li & Bailey's QD, as SciPy's cephes dd_real): a value is hi + lo, |lo| <= ulp(hi)/2

type DD = readonly [number, number];

const SPLITTER = 134217729; // 2^27 + 1
const SPLIT_THRESH = 6.69692879491417e299; // 2^996

function quickTwoSum(a: number, b: number): DD {
  const s = a + b;
  return [s, b - (s - a)];
}

function twoSum(a: number, b: number): DD {
  const s = a + b;
  const c = s - a;
  const d = b - c;
  const e = s - c;
  return [s, (a - e) + d];
}

function twoDiff(a: number, b: number): DD {
  const s = a - b;
  const c = s - a;
  const d = b + c;
  const e = s - c;
  return [s, (a - e) - d];
}

function split(a: number): DD {
  if (a > SPLIT_THRESH || a < -SPLIT_THRESH) {
    const s = a * 3.7252902984619140625e-9;
    const t = SPLITTER * s;
    const hi = t - (t - s);
    return [hi * 268435456, (s - hi) * 268435456];
  }
  const t = SPLITTER * a;
  const hi = t - (t - a);
  return [hi, a - hi];
}

function twoProd(a: number, b: number): DD {
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  const c = ah * bh - p;
  const d = c + ah * bl + al * bh;
  return [p, d + al * bl];
}

const ddAddDD = (a: DD, b: DD): DD => {
  let [s1, s2] = twoSum(a[0], b[0]);
  const [t1, t2] = twoSum(a[1], b[1]);
  s2 += t1;
  [s1, s2] = quickTwoSum(s1, s2);
  s2 += t2;
  return quickTwoSum(s1, s2);
};
const ddNeg = (a: DD): DD => [-a[0], -a[1]];
const ddSubDD = (a: DD, b: DD): DD => ddAddDD(a, ddNeg(b));
const ddAddDd = (a: DD, b: number): DD => {
  const [s1, s2] = twoSum(a[0], b);
  return quickTwoSum(s1, s2 + a[1]);
};
const ddSubdD = (a: number, b: DD): DD => {
  const [s1, s2] = twoSum(a, -b[0]);
  return quickTwoSum(s1, s2 - b[1]);
};
const ddMulDD = (a: DD, b: DD): DD => {
  const [p1, p2] = twoProd(a[0], b[0]);
  return quickTwoSum(p1, p2 + (a[0] * b[1] + a[1] * b[0]));
};
const ddMulDd = (a: DD, b: number): DD => {
  const [p1, e1] = twoProd(a[0], b);
  const [p2, e2] = twoProd(a[1], b);
  return quickTwoSum(p1, e2 + p2 + e1);
};
const ddMuldD = (a: number, b: DD): DD => ddMulDd(b, a);
function ddDiv(a: DD, b: DD): DD {
  const q1 = a[0] / b[0];
  let r = ddSubDD(a, ddMulDd(b, q1));
  const q2 = r[0] / b[0];
  r = ddSubDD(r, ddMulDd(b, q2));
  const q3 = r[0] / b[0];
  return ddAddDd(quickTwoSum(q1, q2), q3);
}
const dd = (a: number): DD => [a, 0];
const ddDivdd = (a: number, b: number): DD => ddDiv(dd(a), dd(b));
const ddDivDd = (a: DD, b: number): DD => ddDiv(a, dd(b));
const ddDivdD = (a: number, b: DD): DD => ddDiv(dd(a), b);
const ddInv = (a: DD): DD => ddDiv([1, 0], a);

function ddFloor(a: DD): DD {
  const hi = Math.floor(a[0]);
  if (hi === a[0]) return quickTwoSum(hi, Math.floor(a[1]));
  return [hi, 0];
}

// rFrexp's own view of a double's words (frexp without its array, in the register routines below)
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // the word holding sign and exponent

const POW2 = Float64Array.from({ length: 2098 }, (_, i) => 2 ** (i - 1074));

/** C's ldexp: x * 2^e, rounded once. */
export function ldexp(x: number, e: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  if (e >= -1022 && e <= 1023) {
    const r = x * POW2[e + 1074];
    // a product in the subnormal range would round twice below; exact otherwise
    if (r !== 0 && Math.abs(r) >= 2.2250738585072014e-308) return r;
  }
  const [m, me] = frexp(x);
  const t = me + e;
  if (t > 1024) return x > 0 ? Infinity : -Infinity;
  if (t >= -1021) return m * POW2[t + 1074];
  if (t < -1075) return x > 0 ? 0 : -0;
  // the result is subnormal: one rounding, from m * 2^t
  return (m * POW2[t + 1074 + 54]) * POW2[1074 - 54];
}


// ---------------------------------------------------------------------------------------------------------------
// Smirnov: one-sided one-sample KS survival function Pr(D+_n >= x)

const MINLOG = -7.451332191019412076235e2; // cephes: log(2^-1075)
const SMIRNOV_MAX_COMPUTE_N = 1000000;
const SM_UPPER_MAX_TERMS = 3;
const SM_UPPERSUM_MIN_N = 10;
const MAX_EXPONENT = 960;
const EPS = 2 ** -52;

function powD(a: DD, m: number): DD {
  if (m <= 0) return m === 0 ? [1, 0] : ddInv(powD(a, -m));
  if (a[0] === 0) return [0, 0];
  const ans = Math.pow(a[0], m);
  const r = a[1] / a[0];
  let adj = m * r;
  if (Math.abs(adj) > 1e-8) {
    if (Math.abs(adj) < 1e-4) adj += (m * r) * (((m - 1) / 2) * r);
    else adj = Math.expm1(m * Math.log1p(r));
  }
  return twoSum(ans, ans * adj);
}

function nextPowerOf2(x: number): number {
  const q = ldexp(x, 1 - 53);
  let L = Math.abs(q + x);
  if (L === 0) L = Math.abs(x);
  else if (Math.trunc(L) === L) L = Math.trunc(L);
  return L;
}

function pow4D(a: number, b: number, c: number, d: number, m: number): DD {
  if (m <= 0) return m === 0 ? [1, 0] : pow4D(c, d, a, b, -m);
  const A = twoSum(a, b), C = twoSum(c, d);
  if (A[0] === 0) return C[0] === 0 ? [NaN, NaN] : [0, 0];
  if (C[0] === 0) return A[0] < 0 ? [-Infinity, -Infinity] : [Infinity, Infinity];
  return powD(ddDiv(A, C), m);
}

// The summation loop below runs up to n times: the same double-double steps on scalar registers (no allocation).
let RH = 0, RL = 0, RE = 0;

function rQuickTwoSum(a: number, b: number): void {
  const s = a + b;
  RL = b - (s - a);
  RH = s;
}
function rTwoSum(a: number, b: number): void {
  const s = a + b;
  const c = s - a;
  RL = (a - (s - c)) + (b - c);
  RH = s;
}
function rTwoProd(a: number, b: number): void {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b), bl = b - bh;
  RL = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
  RH = p;
}
function rMul(ah: number, al: number, bh: number, bl: number): void {
  rTwoProd(ah, bh);
  rQuickTwoSum(RH, RL + (ah * bl + al * bh));
}
function rAdd(ah: number, al: number, bh: number, bl: number): void {
  rTwoSum(al, bl);
  const t1 = RH, t2 = RL;
  rTwoSum(ah, bh);
  rQuickTwoSum(RH, RL + t1);
  rQuickTwoSum(RH, RL + t2);
}
function rMulDd(ah: number, al: number, b: number): void {
  rTwoProd(al, b);
  const p2 = RH, e2 = RL;
  rTwoProd(ah, b);
  rQuickTwoSum(RH, e2 + p2 + RL);
}
function rDiv(ah: number, al: number, bh: number, bl: number): void {
  const q1 = ah / bh;
  rMulDd(bh, bl, q1);
  rAdd(ah, al, -RH, -RL);
  const q2 = RH / bh;
  const r1h = RH, r1l = RL;
  rMulDd(bh, bl, q2);
  rAdd(r1h, r1l, -RH, -RL);
  const q3 = RH / bh;
  rQuickTwoSum(q1, q2);
  const sh = RH, sl = RL;
  rTwoSum(sh, q3);
  rQuickTwoSum(RH, RL + sl);
}
function rFrexp(h: number, l: number): void {
  let m = h, ex = 0;
  if (h !== 0 && Number.isFinite(h)) {
    F64[0] = h;
    let shift = 0;
    if (((U32[HI] >>> 20) & 0x7ff) === 0) { F64[0] = h * 18014398509481984; shift = 54; }
    ex = ((U32[HI] >>> 20) & 0x7ff) - 1022 - shift;
    U32[HI] = (U32[HI] & 0x800fffff) | (1022 << 20);
    m = F64[0];
  }
  let b1 = ldexp(l, -ex);
  if (Math.abs(m) === 0.5 && m * b1 < 0) { m *= 2; b1 *= 2; ex -= 1; }
  RH = m; RL = b1; RE = ex;
}
function rPow(ah: number, al: number, m: number): void {
  if (m === 0) { RH = 1; RL = 0; return; }
  if (ah === 0) { RH = 0; RL = 0; return; }
  const ans = Math.pow(ah, m);
  const r = al / ah;
  let adj = m * r;
  if (Math.abs(adj) > 1e-8) {
    if (Math.abs(adj) < 1e-4) adj += (m * r) * (((m - 1) / 2) * r);
    else adj = Math.expm1(m * Math.log1p(r));
  }
  rTwoSum(ans, ans * adj);
}
/** (h + l)^m for m >= 1 as RH + RL times 2^RE (pow2Scaled_D). */
function rPowScaled(h: number, l: number, m: number): void {
  rFrexp(h, l);
  const yh = RH, yl = RL, yE = RE;
  if (m === 1) return;
  let maxExpt = MAX_EXPONENT;
  if ((m * (yh - 1)) / yh < -MAX_EXPONENT * Math.LN2) {
    const lg2y = Math.log(yh) / Math.LN2;
    if (m * lg2y <= -MAX_EXPONENT) maxExpt = Math.trunc(nextPowerOf2(-MAX_EXPONENT / lg2y + 1) / 2);
  }
  if (m <= maxExpt) {
    rPow(yh, yl, m);
    rFrexp(RH, RL);
    RE += m * yE;
    return;
  }
  const q = Math.trunc(m / maxExpt), r = m % maxExpt;
  let rh = 1, rl = 0, rE = 0;
  if (r > 0) { rPowScaled(yh, yl, r); rh = RH; rl = RL; rE = RE; }
  rPowScaled(yh, yl, maxExpt);
  const mh = RH, ml = RL, mE = RE;
  rPowScaled(mh, ml, q);
  const qE = RE;
  rMul(rh, rl, RH, RL);
  rFrexp(RH, RL);
  RE += qE + mE * q + rE + m * yE;
}

export interface ThreeProbs { sf: number; cdf: number; pdf: number }

const clip01 = (p: number): number => (p < 0 ? 0 : Math.min(p, 1));

/** From this n on, the survival function alone is summed in log space (below); the density keeps the exact sum. */
const SMIRNOV_LOG_SUM_N = 20000;
// ln 2 in two parts, the first with few enough bits that an exponent times it is exact (cephes' C1, C2)
const LN2_HI = 6.93145751953125e-1;
const LN2_LO = 1.42860682030941723212e-6;
const RENORM_HI = 2 ** 800, RENORM_LO = 2 ** -800;

/**
 * x times the sum over v = 0 .. nTerms - 1 of C(n, v) (1 - x - v/n)^(n - v) (x + v/n)^(v - 1) (every term positive),
 * each term as the exponential of its logarithm: the binomial kept as a double-double with a binary exponent (the
 * exact sum's recurrence), both bases as double-doubles, their logarithms corrected by the low part. Each term's
 * logarithm is then within about 1e-10 of the exact one, so the sum of these positive terms is within about 1e-10
 * relative of the double-double sum (checked against it), at a few logarithms per term instead of two
 * double-double powers: 20 to 40 times faster for n of 10^5 to 10^6, where the sum has up to n terms.
 */
function smirnovLogSum(n: number, x: number, nTerms: number): number {
  // the binomial C(n, j) as cH + cL times 2^cE, renormalised only when it nears the ends of the double range
  let cH = 1, cL = 0, cE = 0;
  // terms are added scaled by exp(-top), top the largest logarithm so far (Neumaier's compensated sum)
  let top = -Infinity, sum = 0, comp = 0;
  for (let j = 0; j < nTerms; j++) {
    let logTerm = cE * LN2_HI + Math.log(cH) + (cE * LN2_LO + cL / cH);
    if (n - j > 0) {
      rDivInt(n - j, n);
      { const h0 = RH, l0 = RL; rTwoSum(h0, -x); rQuickTwoSum(RH, RL + l0); }
      if (!(RH > 0)) return NaN;
      logTerm += (n - j) * (Math.log(RH) + RL / RH);
    }
    if (j - 1 !== 0) {
      rDivInt(j, n);
      { const h0 = RH, l0 = RL; rTwoSum(h0, x); rQuickTwoSum(RH, RL + l0); }
      logTerm += (j - 1) * (Math.log(RH) + RL / RH);
    }
    if (logTerm > top) {
      const scale = Math.exp(top - logTerm);
      sum *= scale;
      comp *= scale;
      top = logTerm;
    }
    const t = Math.exp(logTerm - top);
    const s2 = sum + t;
    comp += Math.abs(sum) >= t ? (sum - s2) + t : (t - s2) + sum;
    sum = s2;
    // C(n, j + 1) = C(n, j) (n - j) / (j + 1)
    rDivInt(n - j, j + 1);
    rMul(cH, cL, RH, RL);
    cH = RH; cL = RL;
    if (cH > RENORM_HI || cH < RENORM_LO) {
      rFrexp(cH, cL);
      cH = RH; cL = RL; cE += RE;
    }
  }
  return x * (sum + comp) * Math.exp(top);
}

/** a / b as RH + RL for integers a, b below 2^53 (one division, its remainder exact). */
function rDivInt(a: number, b: number): void {
  const q = a / b;
  rTwoProd(q, b);
  const lo = ((a - RH) - RL) / b;
  rQuickTwoSum(q, lo);
}

/** Pr(D+_n >= x), Pr(D+_n <= x) and the density: scipy.special.smirnov / smirnovc / -smirnovp. */
export function smirnovProbs(n: number, x: number, wantPdf = true): ThreeProbs {
  if (!(n > 0 && x >= 0 && x <= 1)) return { sf: NaN, cdf: NaN, pdf: NaN };
  if (n === 1) return { sf: 1 - x, cdf: x, pdf: 1 };
  if (x === 0) return { sf: 1, cdf: 0, pdf: 1 };
  if (x === 1) return { sf: 0, cdf: 1, pdf: 0 };
  // floor(n x) and its remainder, exactly
  const nxD = twoProd(n, x);
  const nxFloorD = ddFloor(nxD);
  let alpha = ddSubDD(nxD, nxFloorD)[0];
  let nxfl = Math.trunc(nxFloorD[0]);
  if (alpha === 1) { nxfl += 1; alpha = 0; }
  const nx = nxD[0];
  let n1mxfl = n - nxfl - (alpha === 0 ? 0 : 1);
  let n1mxceil = n - nxfl;
  if (alpha === 0) { n1mxfl -= 1; n1mxceil += 1; }

  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    const t = powD(twoSum(1, x), n - 1)[0];
    let pdf = ((nx + 1) * t) / (1 + x);
    const cdf = x * t;
    if (nxfl === 1) pdf -= 0.5;
    return { sf: 1 - cdf, cdf, pdf };
  }
  if (-2 * n * x * x < MINLOG) return { sf: 0, cdf: 1, pdf: 0 };
  if (nxfl >= n - 1) {
    const sf = powD(twoSum(1, -x), n)[0];
    return { sf, cdf: 1 - sf, pdf: (n * sf) / (1 - x) };
  }
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    const logp = -Math.pow(6 * n * x + 1, 2) / 18 / n;
    let sf: number, cdf: number;
    if (logp < -Math.LN2) { sf = Math.exp(logp); cdf = 1 - sf; } else { cdf = -Math.expm1(logp); sf = 1 - cdf; }
    return { sf, cdf, pdf: ((6 * n * x + 1) * 2 * sf) / 3 };
  }
  const nUpperTerms = n - n1mxceil + 1;
  const useUpper = (nUpperTerms <= 1 && x < 0.5)
    || (n >= SM_UPPERSUM_MIN_N && nUpperTerms <= SM_UPPER_MAX_TERMS && x <= 0.5 / Math.sqrt(n));

  let start = 0, step = 1, nTerms = n1mxfl + 1;
  if (useUpper) { start = n; step = -1; nTerms = n - n1mxceil + 1; }
  if (!wantPdf && !useUpper && n >= SMIRNOV_LOG_SUM_N) {
    // the lower sum (all its terms positive; the upper one has at most 3 terms, some negative)
    const prob = smirnovLogSum(n, x, nTerms);
    if (!Number.isNaN(prob)) return { sf: clip01(prob), cdf: clip01(1 - prob), pdf: NaN };
  }
  const vmid = Math.trunc(n / 2);
  const oneOverX = ddDivdd(1, x);
  let Aj: DD, dAjCoeff: DD;
  if (useUpper) {
    Aj = pow4D(1, x, 1, 0, n - 1);
    dAjCoeff = ddAddDD(ddDivdD(n - 1, twoSum(1, x)), oneOverX);
  } else {
    const t2 = pow4D(1, -x, 1, 0, n);
    Aj = ddDivDd(t2, x);
    dAjCoeff = ddDiv(ddSubdD(-1, twoProd(n - 1, x)), twoDiff(1, x));
    dAjCoeff = ddAddDD(ddDivDd(dAjCoeff, x), oneOverX);
  }
  let AjSum = ddAddDD([0, 0], Aj);
  let dAjSum = ddAddDD([0, 0], ddMulDD(Aj, dAjCoeff));
  let sumH = AjSum[0], sumL = AjSum[1];
  const dSum = { h: dAjSum[0], l: dAjSum[1] };
  let cH = 1, cL = 0, cE = 0;
  const updateBinomial = (j: number): void => {
    rDiv(n - j, 0, j + 1, 0);
    rMul(cH, cL, RH, RL);
    rFrexp(RH, RL);
    cH = RH; cL = RL; cE += RE;
  };
  const [oxH, oxL] = oneOverX;
  updateBinomial(0);
  for (let j = 1; j < nTerms; j++) {
    const v = start + j * step;
    // A_v = C(n, v) (1 - x - v/n)^(n - v) (x + v/n)^(v - 1)
    rDiv(n - v, 0, n, 0);
    { const h0 = RH, l0 = RL; rTwoSum(h0, -x); rQuickTwoSum(RH, RL + l0); }
    rPowScaled(RH, RL, n - v);
    const t2H = RH, t2L = RL, t2E = RE;
    rDiv(v, 0, n, 0);
    { const h0 = RH, l0 = RL; rTwoSum(h0, x); rQuickTwoSum(RH, RL + l0); }
    if (v - 1 >= 1) rPowScaled(RH, RL, v - 1);
    else { RH = 1; RL = 0; RE = 0; }
    const t1H = RH, t1L = RL, t1E = RE;
    rMul(t1H, t1L, t2H, t2L);
    rMul(RH, RL, cH, cL);
    const e = cE + t1E + t2E;
    const ah = ldexp(RH, e), al = ldexp(RL, e);
    if (Number.isFinite(ah) && ah !== 0) {
      if (wantPdf) {
        const c = ddAddDD(ddSubDD(ddDivdD(n * (v - 1), twoSum(nxfl + v, alpha)), ddDivdD((n - v) * n, twoDiff(n - nxfl - v, alpha))), [oxH, oxL]);
        const dA = ddMulDD([ah, al], c);
        rAdd(dSum.h, dSum.l, dA[0], dA[1]);
        dSum.h = RH; dSum.l = RL;
      }
      rAdd(sumH, sumL, ah, al);
      sumH = RH; sumL = RL;
    }
    if (ah !== 0) {
      if (4 * (nTerms - j) * Math.abs(ah) < EPS * sumH && j !== nTerms - 1) break;
    } else if (j > vmid) {
      break;
    }
    updateBinomial(j);
  }
  AjSum = [sumH, sumL];
  dAjSum = [dSum.h, dSum.l];
  const deriv = ddMuldD(x, dAjSum)[0];
  const prob = ddMuldD(x, AjSum)[0];
  let sf: number, cdf: number, pdf: number;
  if (step < 0) { cdf = prob; sf = 1 - prob; pdf = deriv; } else { cdf = 1 - prob; sf = prob; pdf = -deriv; }
  return { sf: clip01(sf), cdf: clip01(cdf), pdf: Math.max(0, pdf) };
}

/** scipy.special.smirnov(n, x): Pr(D+_n >= x). */
export const smirnov = (n: number, x: number): number => (Number.isNaN(x) ? NaN : smirnovProbs(n, x, false).sf);

// ---------------------------------------------------------------------------------------------------------------
// kolmogn: the two-sided one-sample statistic D_n (scipy.stats._ksstats)

const E128 = 128;
const EP128 = 2 ** 128;
const EM128 = 2 ** -128;
const SQRT2PI = Math.sqrt(2 * Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);
const MIN_LOG = -708;
const SQRT3 = Math.sqrt(3);
const PI2 = Math.PI ** 2, PI4 = Math.PI ** 4, PI6 = Math.PI ** 6;
const STIRLING = [-2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4,
  -5.952380952380952381e-4, 7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2];

function polyval(c: readonly number[], x: number): number {
  let s = 0;
  for (const v of c) s = s * x + v;
  return s;
}

/** log(n! / n^n) by Stirling's series, without forming n log n. */
function logNFactorialDivNPowN(n: number): number {
  const rn = 1 / n;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * polyval(STIRLING, rn / n);
}

const select = (cdfProb: number, sfProb: number, cdf: boolean): number => clip01(cdf ? cdfProb : sfProb);

function matmul(A: Float64Array, B: Float64Array, m: number): Float64Array<ArrayBuffer> {
  const C = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const a = A[i * m + k];
      if (a === 0) continue;
      for (let j = 0; j < m; j++) C[i * m + j] += a * B[k * m + j];
    }
  }
  return C;
}

/** Pr(D_n <= d) by Durbin's matrix, as Marsaglia, Tsang & Wang (2003) compute it: O(m^3 log n), m = 2 ceil(n d) - 1. */
function kolmognDMTW(n: number, d: number, cdf: boolean): number {
  if (d >= 1) return select(1, 0, cdf);
  const nd = n * d;
  if (nd <= 0.5) return select(0, 1, cdf);
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  let H = new Float64Array(m * m);
  const v = new Float64Array(m), w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    v[j - 1] = 1 - h ** j;
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] *= fac;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * fac;
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - (i - 1)];
  for (let r = 0; r < m; r++) H[r * m] = v[r];
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c];
  let P = new Float64Array(m * m);
  for (let i = 0; i < m; i++) P[i * m + i] = 1;
  let nn = n, expnt = 0, Hexpnt = 0;
  while (nn > 0) {
    if (nn % 2) { P = matmul(P, H, m); expnt += Hexpnt; }
    H = matmul(H, H, m);
    Hexpnt *= 2;
    if (Math.abs(H[(k - 1) * m + k - 1]) > EP128) {
      for (let q = 0; q < H.length; q++) H[q] /= EP128;
      Hexpnt += E128;
    }
    nn = Math.floor(nn / 2);
  }
  let p = P[(k - 1) * m + k - 1];
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) { p *= EP128; expnt -= E128; }
  }
  if (expnt !== 0) p = ldexp(p, expnt);
  return select(p, 1 - p, cdf);
}

function pomeranzJ1J2(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number, j2: number;
  if (i === 0) {
    j1 = -ll - ceilf - 1; j2 = ll + ceilf - 1;
  } else {
    const ip1div2 = Math.floor((i + 1) / 2), ip1mod2 = (i + 1) % 2;
    if (ip1mod2 === 0) {
      if (ip1div2 === n + 1) { j1 = n - ll - ceilf - 1; j2 = n + ll + ceilf - 1; }
      else { j1 = ip1div2 - 1 - ll - roundf - 1; j2 = ip1div2 + ll - 1 + ceilf - 1; }
    } else {
      j1 = ip1div2 - 1 - ll - 1; j2 = ip1div2 + ll + roundf - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Pr(D_n <= x) by Pomeranz's (1974) recursion. */
function kolmognPomeranz(n: number, x: number, cdf: boolean): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gpower = new Float64Array(npwrs), twogpower = new Float64Array(npwrs), onem2gpower = new Float64Array(npwrs);
  gpower[0] = twogpower[0] = onem2gpower[0] = 1;
  let expnt = 0;
  const gn = g / n, g2n = (2 * g) / n, om2gn = (1 - 2 * g) / n;
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = (gpower[m - 1] * gn) / m;
    twogpower[m] = (twogpower[m - 1] * g2n) / m;
    onem2gpower[m] = (onem2gpower[m - 1] * om2gn) / m;
  }
  let V0 = new Float64Array(npwrs), V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0, V1s = 0;
  let [j1, j2] = pomeranzJ1J2(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzJ1J2(i, n, ll, ceilf, roundf);
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower;
    const ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // np.convolve(V0[k1 - V0s : k1 - V0s + ln2], pwrs[:ln2]), entries [j1 - k1, j2 - k1]
      const off = k1 - V0s;
      const la = Math.min(ln2, npwrs - off);
      const convStart = j1 - k1, convLen = j2 - j1 + 1;
      let mx = 0;
      for (let q = 0; q < convLen; q++) {
        const at = convStart + q;
        let s = 0;
        for (let a = Math.max(0, at - ln2 + 1); a <= Math.min(at, la - 1); a++) s += V0[off + a] * pwrs[at - a];
        V1[q] = s;
        if (s > mx) mx = s;
      }
      if (mx > 0 && mx < EM128) {
        for (let q = 0; q < V1.length; q++) V1[q] *= EP128;
        expnt -= E128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s];
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > EP128) { ans *= EM128; expnt += E128; }
    ans *= m;
  }
  if (expnt !== 0) ans = ldexp(ans, expnt);
  return select(ans, 1 - ans, cdf);
}

/** Pelz & Good's (1976) approximation to Pr(D_n <= x). */
function kolmognPelzGood(n: number, x: number, cdf: boolean): number {
  if (x <= 0) return select(0, 1, cdf);
  if (x >= 1) return select(1, 0, cdf);
  const z = Math.sqrt(n) * x;
  const z2 = z ** 2, z3 = z ** 3, z4 = z ** 4, z6 = z ** 6;
  const qlog = -PI2 / 8 / z2;
  if (qlog < MIN_LOG) return select(0, 1, cdf);
  let q = Math.exp(qlog);
  const k1a = -z2, k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4, k2b = ((2 * z4 - 5 * z2) * PI2) / 4, k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64, k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16, k3b = (PI2 * (135 * z4 - 96 * z6)) / 4, k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m ** 2, m4 = m ** 4, m6 = m ** 6;
    const qp = Math.pow(q, 8 * k);
    const c = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = K[i] * qp + c[i];
  }
  const div = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = ((K[i] * q) * SQRT2PI) / div[i];
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0, k3extra = 0;
  const sqrt3z = SQRT3 * z;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qp = q ** k2;
    k2extra += k2 * qp;
    const kspi = Math.PI * k;
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * k2 * qp;
  }
  K[2] += k2extra * ((PI2 * SQRT2PI) / (-36 * z3));
  K[3] += k3extra * ((PI2 * SQRT2PI) / (216 * z6));
  for (let i = 0; i < 4; i++) K[i] /= Math.pow(n, i / 2);
  if (!cdf) {
    for (let i = 0; i < 4; i++) K[i] *= -1;
    K[0] += 1;
  }
  return K[0] + K[1] + K[2] + K[3];
}

function prodRubenGambino(n: number, t: number): number {
  let p = 1;
  for (let i = 1; i <= n; i++) p *= i * (1 / n) * (2 * t - 1);
  return p;
}

/** Pr(D_n <= x) (or Pr(D_n > x) with `cdf` false) for the two-sided one-sample KS statistic: scipy's kolmogn. */
export function kolmogn(n: number, x: number, cdf = true): number {
  if (Number.isNaN(n)) return n;
  if (!Number.isInteger(n) || n <= 0) return NaN;
  if (x >= 1) return select(1, 0, cdf);
  if (x <= 0) return select(0, 1, cdf);
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return select(0, 1, cdf);
    const prob = n <= 140 ? prodRubenGambino(n, t) : Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1));
    return select(prob, 1 - prob, cdf);
  }
  if (t >= n - 1) {
    const prob = 2 * (1 - x) ** n;
    return select(1 - prob, prob, cdf);
  }
  if (x >= 0.5) {
    const prob = 2 * smirnov(n, x);
    return select(1 - prob, prob, cdf);
  }
  const nxsquared = t * x;
  if (n <= 140) {
    if (nxsquared <= 0.754693) {
      const prob = kolmognDMTW(n, x, true);
      return select(prob, 1 - prob, cdf);
    }
    if (nxsquared <= 4) {
      const prob = kolmognPomeranz(n, x, true);
      return select(prob, 1 - prob, cdf);
    }
    const prob = 2 * smirnov(n, x);
    return select(1 - prob, prob, cdf);
  }
  if (!cdf) {
    if (nxsquared >= 370) return 0;
    if (nxsquared >= 2.2) return clip01(2 * smirnov(n, x));
  }
  let cdfprob: number;
  if (nxsquared >= 18) cdfprob = 1;
  else if (n <= 100000 && n * x ** 1.5 <= 1.4) cdfprob = kolmognDMTW(n, x, true);
  else cdfprob = kolmognPelzGood(n, x, true);
  return select(cdfprob, 1 - cdfprob, cdf);
}

/** scipy.stats.kstwo.sf(d, n): Pr(D_n >= d) on the distribution's support [1 / (2n), 1]. */
export function kstwoSf(d: number, n: number): number {
  if (Number.isNaN(d) || !Number.isInteger(n) || n <= 0) return NaN;
  if (d <= 0.5 / n) return 1;
  if (d >= 1) return 0;
  return kolmogn(n, d, false);
}
