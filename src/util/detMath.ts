// Natural logarithm and exponential that give the same bits on every JavaScript engine. `Math.log`, `Math.exp` and
// `Math.log1p` are left to the engine, and engines differ in the last bit: Node 20 (V8 11.3) and Chromium 131+ (V8
// 13 on) disagree on 3 to 10% of arguments. Results a seeded fit computes with these (a mixture's log-determinants
// and weights, a mini-batch model's decay, a log-scaled column) would then differ between Node and a browser. These
// are ports of fdlibm's e_log.c, e_exp.c and s_log1p.c (Sun Microsystems, 1993; as in FreeBSD's msun), which use
// only the basic operations IEEE 754 rounds exactly, so they give one result everywhere; under 1 ulp of the exact
// value. V8 11.3's own Math.log, Math.exp and Math.log1p are this same code.

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

const LN2_HI = 6.93147180369123816490e-01;
const LN2_LO = 1.90821492927058770002e-10;
const TWO54 = 1.80143985094819840000e+16;
const LG1 = 6.666666666666735130e-01, LG2 = 3.999999999940941908e-01, LG3 = 2.857142874366239149e-01;
const LG4 = 2.222219843214978396e-01, LG5 = 1.818357216161805012e-01, LG6 = 1.531383769920937332e-01;
const LG7 = 1.479819860511658591e-01;

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

const O_THRESHOLD = 7.09782712893383973096e+02;
const U_THRESHOLD = -7.45133219101941108420e+02;
const INVLN2 = 1.44269504088896338700e+00;
const P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03, P3 = 6.61375632143793436117e-05;
const P4 = -1.65339022054652515390e-06, P5 = 4.13813679705723846039e-08;
const TWOM1000 = 9.33263618503218878990e-302;

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

/** The smallest integer e with 2^e >= x, for a finite x > 0, exactly (no logarithm's rounding). */
export function ceilLog2(x: number): number {
  let e = 0;
  let hx = highWord(x);
  if (hx < 0x00100000) {
    x *= TWO54;
    e = -54;
    hx = highWord(x);
  }
  e += (hx >> 20) - 1023;
  // x = m 2^e with m in [1, 2): e when m is 1, e + 1 otherwise
  return (hx & 0x000fffff) === 0 && i32[LO] === 0 ? e : e + 1;
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
