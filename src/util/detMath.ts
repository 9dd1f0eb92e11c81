// Elementary functions that give the same bits on every JavaScript engine. `Math.log`, `exp`, `log1p`, `pow`, `sin`,
// `cos` and `asin` are left to the engine, and engines differ in the last bit: Node 20 (V8 11.3) and Chromium 131+
// (V8 13 on) disagree on 3 to 10% of arguments. Results a seeded fit computes with these (a mixture's
// log-determinants and weights, a mini-batch model's decay, a log-scaled column, haversine distances, normal draws)
// would then differ between Node and a browser. These are ports of fdlibm's e_log.c, e_exp.c, s_log1p.c, k_sin.c,
// k_cos.c, e_rem_pio2.c and e_asin.c (Sun Microsystems, 1993; as in FreeBSD's msun), an integer power by
// double-double squaring, frexp and ldexp: only the basic operations IEEE 754 rounds exactly, so one result everywhere,
// under 1 ulp of the exact value. V8 11.3's own Math functions are this same fdlibm code.

const f64 = new Float64Array(1);
const i32 = new Int32Array(f64.buffer);
// the high word (sign, exponent, top of the mantissa) is the second 32-bit word on little-endian machines
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

const highWord = (x: number): number => {
  f64[0] = x;
  return i32[HI];
};
const withHighWord = (x: number, hi: number): number => {
  f64[0] = x;
  i32[HI] = hi;
  return f64[0];
};

const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
const TWO54 = 18014398509481984;
const LG1 = 0.6666666666666735, LG2 = 0.3999999999940942, LG3 = 0.2857142874366239;
const LG4 = 0.22222198432149784, LG5 = 0.1818357216161805, LG6 = 0.15313837699209373;
const LG7 = 0.14798198605116586;

/** ln x, the same bits on every engine (fdlibm's __ieee754_log). */
export function log(x: number): number {
  const hx = highWord(x);
  // small enough for V8 to inline: zero, negatives, subnormals, infinities and NaN go to logEdge
  return hx < 0x00100000 || hx >= 0x7ff00000 ? logEdge(x, hx) : logOf(x, hx, 0);
}

function logEdge(x: number, hx: number): number {
  if (hx >= 0x7ff00000) return x + x;
  if (((hx & 0x7fffffff) | i32[LO]) === 0) return -Infinity;
  if (hx < 0) return NaN;
  // subnormal: scaled up by 2^54
  x *= TWO54;
  return logOf(x, highWord(x), -54);
}

// ln x for a normal x > 0 with high word hx, less 54 ln 2 when k0 is -54
function logOf(x: number, hx: number, k0: number): number {
  let k = k0 + (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i = (hx + 0x95f64) & 0x100000;
  // x or x / 2 normalised into [sqrt(2) / 2, sqrt(2))
  x = withHighWord(x, hx | (i ^ 0x3ff00000));
  k += i >> 20;
  const f = x - 1.0;
  if ((0x000fffff & (2 + hx)) < 3) return logNearOne(f, k);
  const dk = k;
  const s = f / (2.0 + f);
  const z = s * s;
  const w = z * z;
  const R = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7))) + w * (LG2 + w * (LG4 + w * LG6));
  const hfsq = 0.5 * f * f;
  if (((hx - 0x6147a) | (0x6b851 - hx)) > 0) return k === 0 ? f - (hfsq - s * (hfsq + R)) : dk * LN2_HI - ((hfsq - (s * (hfsq + R) + dk * LN2_LO)) - f);
  return k === 0 ? f - s * (f - R) : dk * LN2_HI - ((s * (f - R) - dk * LN2_LO) - f);
}

// -2^-20 <= f < 2^-20
function logNearOne(f: number, k: number): number {
  const dk = k;
  if (f === 0) return k === 0 ? 0 : dk * LN2_HI + dk * LN2_LO;
  const R = f * f * (0.5 - 0.33333333333333333 * f);
  return k === 0 ? f - R : dk * LN2_HI - ((R - dk * LN2_LO) - f);
}

const O_THRESHOLD = 709.782712893384;
const U_THRESHOLD = -745.1332191019411;
const INVLN2 = 1.4426950408889634;
const P1 = 0.16666666666666602, P2 = -0.0027777777777015593, P3 = 0.00006613756321437934;
const P4 = -0.0000016533902205465252, P5 = 4.1381367970572385e-8;
const TWOM1000 = 9.332636185032189e-302;

/** e^x, the same bits on every engine (fdlibm's __ieee754_exp). */
export function exp(x: number): number {
  let hx = highWord(x);
  const xsb = (hx >>> 31) & 1;
  hx &= 0x7fffffff;
  let hi = 0, lo = 0, k = 0;
  if (hx >= 0x40862e42) {
    // |x| >= 709.78...: NaN, infinities, overflow, underflow
    if (hx >= 0x7ff00000) return ((hx & 0xfffff) | i32[LO]) !== 0 ? x + x : xsb === 0 ? x : 0;
    if (x > O_THRESHOLD) return Infinity;
    if (x < U_THRESHOLD) return 0;
  }
  if (hx > 0x3fd62e42) {
    // |x| > ln2 / 2: x = k ln2 + r, |r| <= ln2 / 2
    if (hx < 0x3ff0a2b2) {
      // as V8 11.3 does: the reduction below gets e's last bit wrong
      if (x === 1) return Math.E;
      hi = xsb === 0 ? x - LN2_HI : x + LN2_HI;
      lo = xsb === 0 ? LN2_LO : -LN2_LO;
      k = 1 - xsb - xsb;
    } else {
      k = Math.trunc(INVLN2 * x + (xsb === 0 ? 0.5 : -0.5));
      hi = x - k * LN2_HI;
      lo = k * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    // |x| < 2^-28
    return 1 + x;
  }
  const t = x * x;
  const twopk = withHighWord(0, 0x3ff00000 + ((k >= -1021 ? k : k + 1000) << 20));
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k === 0) return 1 - ((x * c) / (c - 2.0) - x);
  const y = 1 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) return k === 1024 ? y * 2.0 * 2 ** 1023 : y * twopk;
  return y * twopk * TWOM1000;
}

/** ln(1 + x), accurate near 0, the same bits on every engine (fdlibm's log1p). */
export function log1p(x: number): number {
  const hx = highWord(x);
  const ax = hx & 0x7fffffff;
  // small enough for V8 to inline: x <= -1, |x| < 2^-29, infinities and NaN go to log1pEdge
  if (hx >= 0x7ff00000 || (hx < 0x3fda827a && (ax >= 0x3ff00000 || ax < 0x3e200000))) return log1pEdge(x, hx, ax);
  // sqrt(2) / 2 <= 1 + x < sqrt(2): f = x exactly
  if (hx < 0x3fda827a && (hx > 0 || hx <= (0xbfd2bec4 | 0))) return log1pOf(x, 0, 0, 1);
  return log1pReduced(x, hx);
}

function log1pEdge(x: number, hx: number, ax: number): number {
  if (hx >= 0x7ff00000) return x + x;
  if (ax >= 0x3ff00000) return x === -1 ? -Infinity : NaN;
  return ax < 0x3c900000 ? x : x - x * x * 0.5;
}

// 1 + x = 2^k u, u normalised into [sqrt(2) / 2, sqrt(2)), with the rounding of 1 + x put back as c
function log1pReduced(x: number, hx: number): number {
  let u = x, c = 0, hu: number;
  if (hx < 0x43400000) {
    u = 1.0 + x;
    hu = highWord(u);
    const k = (hu >> 20) - 1023;
    c = k > 0 ? 1.0 - (u - x) : x - (u - 1.0);
    c /= u;
  } else {
    hu = highWord(u);
  }
  let k = (hu >> 20) - 1023;
  hu &= 0x000fffff;
  if (hu < 0x6a09e) {
    u = withHighWord(u, hu | 0x3ff00000);
  } else {
    k += 1;
    u = withHighWord(u, hu | 0x3fe00000);
    hu = (0x00100000 - hu) >> 2;
  }
  return log1pOf(u - 1.0, k, c, hu);
}

// ln(1 + f) + k ln 2 + c; hu is 0 when |f| < 2^-20
function log1pOf(f: number, k: number, c: number, hu: number): number {
  const hfsq = 0.5 * f * f;
  if (hu === 0) {
    if (f === 0) return k === 0 ? 0 : k * LN2_HI + (c + k * LN2_LO);
    const R = hfsq * (1.0 - 0.66666666666666666 * f);
    return k === 0 ? f - R : k * LN2_HI - ((R - (k * LN2_LO + c)) - f);
  }
  const s = f / (2.0 + f);
  const z = s * s;
  const R = z * (LG1 + z * (LG2 + z * (LG3 + z * (LG4 + z * (LG5 + z * (LG6 + z * LG7))))));
  return k === 0 ? f - (hfsq - s * (hfsq + R)) : k * LN2_HI - ((hfsq - (s * (hfsq + R) + (k * LN2_LO + c))) - f);
}

/** C's frexp: [m, e] with x = m * 2^e and 0.5 <= |m| < 1 (m = x for 0, infinities, NaN). */
export function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  let shift = 0;
  f64[0] = x;
  if (((i32[HI] >>> 20) & 0x7ff) === 0) {
    // subnormal: scale into the normal range first
    f64[0] = x * TWO54;
    shift = 54;
  }
  const e = ((i32[HI] >>> 20) & 0x7ff) - 1022;
  i32[HI] = (i32[HI] & 0x800fffff) | (1022 << 20);
  return [f64[0], e - shift];
}

/** C's ldexp: x * 2^e, rounded once unless an intermediate step lands below the normal range (for |e| > 1000). */
export function ldexp(x: number, e: number): number {
  // factors of 2^+-1000 at most, each a normal number built from its bits
  for (; e > 1000; e -= 1000) x *= withHighWord(0, 2023 << 20);
  for (; e < -1000; e += 1000) x *= withHighWord(0, 23 << 20);
  return x * withHighWord(0, (e + 1023) << 20);
}

/** The smallest integer e with 2^e >= x, for a finite x > 0, exactly (no logarithm's rounding). */
export function ceilLog2(x: number): number {
  // x = m 2^e with m in [0.5, 1): e - 1 when m is 0.5, e otherwise
  const [m, e] = frexp(x);
  return m === 0.5 ? e - 1 : e;
}

// Dekker's exact product: a * b = p + err with p = fl(a * b), by Veltkamp's split (basic operations only, no fused multiply-add)
const SPLIT = 134217729;
let err = 0;
function twoProduct(a: number, b: number): number {
  const p = a * b;
  const ca = SPLIT * a, ah = ca - (ca - a), al = a - ah;
  const cb = SPLIT * b, bh = cb - (cb - b), bl = b - bh;
  err = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
  return p;
}

/**
 * x^n for 0 <= x <= 1 and an integer n >= 0, the same bits on every engine (`**` is not): repeated squaring in
 * double-double arithmetic (Dekker 1971), so within 1 ulp of the exact power where plain squaring would lose n ulps.
 */
export function powInt(x: number, n: number): number {
  let rh = 1, rl = 0, bh = x, bl = 0;
  for (let e = n; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) {
      const p = twoProduct(rh, bh), q = err + (rh * bl + rl * bh);
      rh = p + q;
      rl = q - (rh - p);
    }
    if (e > 1) {
      const p = twoProduct(bh, bh), q = err + 2 * bh * bl;
      bh = p + q;
      bl = q - (bh - p);
    }
  }
  return rh + rl;
}

// sin and cos: fdlibm's __kernel_sin, __kernel_cos and __ieee754_rem_pio2 (for |x| up to 2^19 pi / 2; beyond it the
// engine's, which no fit reaches: segkit takes them of angles in radians)
const S1 = -0.16666666666666632, S2 = 0.00833333333332249, S3 = -0.0001984126982985795;
const S4 = 0.0000027557313707070068, S5 = -2.5050760253406863e-8, S6 = 1.58969099521155e-10;
const C1 = 0.0416666666666666, C2 = -0.001388888888887411, C3 = 0.00002480158728947673;
const C4 = -2.7557314351390663e-7, C5 = 2.087572321298175e-9, C6 = -1.1359647557788195e-11;
const PIO2_1 = 1.5707963267341256, PIO2_1T = 6.077100506506192e-11;
const PIO2_2 = 6.077100506303966e-11, PIO2_2T = 2.0222662487959506e-21;
const PIO2_3 = 2.0222662487111665e-21, PIO2_3T = 8.4784276603689e-32;
const INVPIO2 = 0.6366197723675814;

// sin(x + y) for |x| <= pi / 4, y the tail of x (iy 0: none)
function kernelSin(x: number, y: number, iy: number): number {
  if ((highWord(x) & 0x7fffffff) < 0x3e400000 && Math.trunc(x) === 0) return x;
  const z = x * x, v = z * x;
  const r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  return iy === 0 ? x + v * (S1 + z * r) : x - ((z * (0.5 * y - v * r) - y) - v * S1);
}

// cos(x + y) for |x| <= pi / 4
function kernelCos(x: number, y: number): number {
  const ix = highWord(x) & 0x7fffffff;
  if (ix < 0x3e400000 && Math.trunc(x) === 0) return 1;
  const z = x * x;
  const r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  if (ix < 0x3fd33333) return 1 - (0.5 * z - (z * r - x * y));
  const qx = ix > 0x3fe90000 ? 0.28125 : withHighWord(0, ix - 0x00200000);
  return (1 - qx) - ((0.5 * z - qx) - (z * r - x * y));
}

// x - n pi / 2 as y0 + y1 (in `rem`), returns n; |x| between pi / 4 and 2^19 pi / 2
const rem = new Float64Array(2);
function remPio2(x: number, hx: number): number {
  const ix = hx & 0x7fffffff;
  if (ix < 0x4002d97c) {
    // |x| < 3 pi / 4: n = 1 or -1
    const sg = hx > 0 ? 1 : -1;
    let z = x - sg * PIO2_1;
    if (ix !== 0x3ff921fb) {
      rem[0] = z - sg * PIO2_1T;
      rem[1] = (z - rem[0]) - sg * PIO2_1T;
    } else {
      z -= sg * PIO2_2;
      rem[0] = z - sg * PIO2_2T;
      rem[1] = (z - rem[0]) - sg * PIO2_2T;
    }
    return sg;
  }
  const t0 = Math.abs(x);
  const n = Math.trunc(t0 * INVPIO2 + 0.5);
  const fn = n;
  let r = t0 - fn * PIO2_1;
  let w = fn * PIO2_1T;
  const j = ix >> 20;
  let y0 = r - w;
  if (j - ((highWord(y0) >> 20) & 0x7ff) > 16) {
    // a second round, good to 118 bits
    let t = r;
    w = fn * PIO2_2;
    r = t - w;
    w = fn * PIO2_2T - ((t - r) - w);
    y0 = r - w;
    if (j - ((highWord(y0) >> 20) & 0x7ff) > 49) {
      t = r;
      w = fn * PIO2_3;
      r = t - w;
      w = fn * PIO2_3T - ((t - r) - w);
      y0 = r - w;
    }
  }
  const y1 = (r - y0) - w;
  if (hx < 0) {
    rem[0] = -y0;
    rem[1] = -y1;
    return -n;
  }
  rem[0] = y0;
  rem[1] = y1;
  return n;
}

/** sin x, the same bits on every engine for |x| < 2^19 pi / 2 (fdlibm's sin). */
export function sin(x: number): number {
  const hx = highWord(x), ix = hx & 0x7fffffff;
  if (ix <= 0x3fe921fb) return kernelSin(x, 0, 0);
  if (ix > 0x413921fb) return Math.sin(x);
  const n = remPio2(x, hx);
  switch (n & 3) {
    case 0: return kernelSin(rem[0], rem[1], 1);
    case 1: return kernelCos(rem[0], rem[1]);
    case 2: return -kernelSin(rem[0], rem[1], 1);
    default: return -kernelCos(rem[0], rem[1]);
  }
}

/** cos x, the same bits on every engine for |x| < 2^19 pi / 2 (fdlibm's cos). */
export function cos(x: number): number {
  const hx = highWord(x), ix = hx & 0x7fffffff;
  if (ix <= 0x3fe921fb) return kernelCos(x, 0);
  if (ix > 0x413921fb) return Math.cos(x);
  const n = remPio2(x, hx);
  switch (n & 3) {
    case 0: return kernelCos(rem[0], rem[1]);
    case 1: return -kernelSin(rem[0], rem[1], 1);
    case 2: return -kernelCos(rem[0], rem[1]);
    default: return kernelSin(rem[0], rem[1], 1);
  }
}

const PIO2_HI = 1.5707963267948966, PIO2_LO = 6.123233995736766e-17, PIO4_HI = 0.7853981633974483;
const PS0 = 0.16666666666666666, PS1 = -0.3255658186224009, PS2 = 0.20121253213486293;
const PS3 = -0.04005553450067941, PS4 = 0.0007915349942898145, PS5 = 0.00003479331075960212;
const QS1 = -2.403394911734414, QS2 = 2.0209457602335057, QS3 = -0.6882839716054533;
const QS4 = 0.07703815055590194;

/** asin x, the same bits on every engine (fdlibm's __ieee754_asin). */
export function asin(x: number): number {
  const hx = highWord(x), ix = hx & 0x7fffffff;
  if (ix >= 0x3ff00000) return ((ix - 0x3ff00000) | i32[LO]) === 0 ? x * PIO2_HI + x * PIO2_LO : NaN;
  if (ix < 0x3fe00000) {
    // |x| < 0.5
    if (ix < 0x3e400000) return x;
    const t = x * x;
    const p = t * (PS0 + t * (PS1 + t * (PS2 + t * (PS3 + t * (PS4 + t * PS5)))));
    const q = 1 + t * (QS1 + t * (QS2 + t * (QS3 + t * QS4)));
    return x + x * (p / q);
  }
  const w0 = 1 - Math.abs(x);
  let t = w0 * 0.5;
  let p = t * (PS0 + t * (PS1 + t * (PS2 + t * (PS3 + t * (PS4 + t * PS5)))));
  let q = 1 + t * (QS1 + t * (QS2 + t * (QS3 + t * QS4)));
  const s = Math.sqrt(t);
  if (ix >= 0x3fef3333) {
    // |x| > 0.975
    t = PIO2_HI - (2.0 * (s + s * (p / q)) - PIO2_LO);
  } else {
    // s with its low word cleared
    f64[0] = s;
    i32[LO] = 0;
    const w = f64[0];
    const c = (t - w * w) / (s + w);
    const r = p / q;
    p = 2.0 * s * r - (PIO2_LO - 2.0 * c);
    q = PIO4_HI - 2.0 * w;
    t = PIO4_HI - (p - q);
  }
  return hx > 0 ? t : -t;
}
