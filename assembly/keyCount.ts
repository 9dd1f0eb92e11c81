// Counting float32 values by their sortable key through lookup tables (the drift statistics' histograms).

/** The unsigned sortable key of float32 bits b (-0 as +0): larger keys, larger values. */
@inline function sortableKey(b: i32): i32 {
  return (b == <i32>0x80000000 ? 0 : b ^ ((b >> 31) & 0x7fffffff)) ^ <i32>0x80000000;
}

/** Whether float32 bits b are a NaN. */
@inline function isNaN32(b: i32): bool {
  return (b & 0x7fffffff) > 0x7f800000;
}

/** All ones in the lanes of float32 bits b that are a NaN. */
@inline function nan4(b: v128): v128 {
  return i32x4.gt_u(v128.and(b, i32x4.splat(0x7fffffff)), i32x4.splat(0x7f800000));
}

/** The sortable keys of four float32 values of bits b, as sortableKey, with a NaN's key 0 (block 0 holds only NaN bits). */
@inline function keys4(b: v128, nan: v128): v128 {
  const negz = i32x4.eq(b, i32x4.splat(<i32>0x80000000));
  const k = v128.xor(v128.xor(b, v128.and(i32x4.shr_s(b, 31), i32x4.splat(0x7fffffff))), i32x4.splat(<i32>0x80000000));
  return v128.andnot(v128.bitselect(i32x4.splat(<i32>0x80000000), k, negz), nan);
}

/** Added to every counter index an entry holds, so that a counted entry is >= 0 (see keyCount). */
const BIAS: i32 = 1 << 21;

/** Counts a present value of bits b in the block counters of copy `at` (the first histogram). */
@inline function countTop(b: i32, at: usize): void {
  const p = at + (<usize>(<u32>sortableKey(b) >>> 21) << 2);
  store<i32>(p, load<i32>(p) + 1);
}

/** Values whose keys are computed at once (four per step) before they are looked up one by one. */
const CHUNK: i32 = 1024;

/**
 * Looks up key u of row i: counts it (an entry >= 0), lists row i in `slow` (an entry of -1) or passes it by.
 * Returns the new length of the list.
 */
@inline function lookUp(u: i32, i: i32, bg: usize, sub: usize, base: usize, slow: usize, ns: i32): i32 {
  const x = load<i32>(bg + (<usize>(<u32>u >>> 21) << 2));
  const o = u & 0x1fffff;
  const e = load<i32>(sub + (<usize>((x >> 5) + (o >>> (x & 31))) << 2));
  if (e >= 0) {
    const p = base + (<usize>((e >> 5) + (o >>> (e & 31))) << 2);
    store<i32>(p, load<i32>(p) + 1);
  } else if (e == -1) {
    store<i32>(slow + (<usize>ns << 2), i);
    ns++;
  }
  return ns;
}

/**
 * For each present value of a float32 column (a NaN is never counted in a cell or listed: see below), the unsigned
 * sortable key u (-0 as +0) splits into a top block t = u >>> 21 and an offset o within it. Block t's entries of 2^g
 * keys start at entry s in `sub`, where bg[t] = s << 5 | g; an entry e >= 0 names counter
 * (e >> 5) - 2^21 + (o >>> (e & 31)) (the index of the entry's first key's counter less the shifted offset of that
 * key, plus 2^21, so that no mask is needed), which is incremented (int32); the rows of entries equal to -1 are listed
 * in `slow`, and values whose entry is below -1 are skipped. The `counters` counters are zeroed first. With bg = 0
 * there are no tables: each present value's counter is its block t (2,048 counters, counted in four copies at cnt that
 * are added into the first; `cnt` has room for 4 x 2,048). With `sum` non-zero, tables or not, the present values
 * are also added there (float64, in row order). Returns how many rows were listed. With tables, a NaN takes key 0:
 * block 0 holds only NaN bit patterns, so the tables must send it to a skipped or discarded entry (no cell lies
 * there). `cnt` then has room for `counters` counters and, 16-byte aligned after them, a chunk's keys (CHUNK values).
 */
export function keyCount(col: usize, rows: i32, bg: usize, sub: usize, cnt: usize, slow: usize, sum: usize, counters: i32): i32 {
  if (!bg) {
    // four copies of the counters, row i counting in copy i & 3 (the last rows past a multiple of four in copy 0): runs
    // of equal blocks do not wait on one counter; four values' keys at once, with no branch: a NaN counts in block 0,
    // which holds only NaN keys and is cleared at the end
    const copy: usize = 2048 << 2;
    memory.fill(cnt, 0, 4 * copy);
    let s: f64 = 0;
    let i = 0;
    for (; i + 4 <= rows; i += 4) {
      const a = col + (<usize>i << 2);
      const b = v128.load(a), nan = nan4(b);
      const top = i32x4.shr_u(keys4(b, nan), 21);
      const p0 = cnt + (<usize>i32x4.extract_lane(top, 0) << 2);
      store<i32>(p0, load<i32>(p0) + 1);
      const p1 = cnt + copy + (<usize>i32x4.extract_lane(top, 1) << 2);
      store<i32>(p1, load<i32>(p1) + 1);
      const p2 = cnt + 2 * copy + (<usize>i32x4.extract_lane(top, 2) << 2);
      store<i32>(p2, load<i32>(p2) + 1);
      const p3 = cnt + 3 * copy + (<usize>i32x4.extract_lane(top, 3) << 2);
      store<i32>(p3, load<i32>(p3) + 1);
      // a NaN adds +0: the sum starts at +0 and so is never -0, and s + 0 is s
      const v = v128.andnot(b, nan);
      s += <f64>f32x4.extract_lane(v, 0);
      s += <f64>f32x4.extract_lane(v, 1);
      s += <f64>f32x4.extract_lane(v, 2);
      s += <f64>f32x4.extract_lane(v, 3);
    }
    for (; i < rows; i++) {
      const a = col + (<usize>i << 2);
      const b = load<i32>(a);
      if (isNaN32(b)) continue;
      s += <f64>load<f32>(a);
      countTop(b, cnt);
    }
    for (let q: usize = 0; q < copy; q += 16) {
      const p = cnt + q;
      v128.store(p, i32x4.add(i32x4.add(v128.load(p), v128.load(p + copy)), i32x4.add(v128.load(p + 2 * copy), v128.load(p + 3 * copy))));
    }
    store<i32>(cnt, 0); // the NaNs
    if (sum) store<f64>(sum, s);
    return 0;
  }
  memory.fill(cnt, 0, <usize>counters << 2);
  const base = cnt - (<usize>BIAS << 2);
  let s: f64 = 0;
  // a chunk's keys, four at a time (a NaN's is 0, -0's is +0's), then looked up one by one: the lookups of four values
  // at a time overlap, and no key is computed on their path
  const keys = (cnt + (<usize>counters << 2) + 15) & ~(<usize>15);
  let ns = 0;
  for (let c0 = 0; c0 < rows; c0 += CHUNK) {
    const m = min<i32>(CHUNK, rows - c0);
    const src = col + (<usize>c0 << 2);
    let q = 0;
    for (; q + 4 <= m; q += 4) {
      const b = v128.load(src + (<usize>q << 2)), nan = nan4(b);
      v128.store(keys + (<usize>q << 2), keys4(b, nan));
      if (sum) {
        const v = v128.andnot(b, nan);
        s += <f64>f32x4.extract_lane(v, 0);
        s += <f64>f32x4.extract_lane(v, 1);
        s += <f64>f32x4.extract_lane(v, 2);
        s += <f64>f32x4.extract_lane(v, 3);
      }
    }
    // the last values of the column one by one: nothing past them is read
    for (; q < m; q++) {
      const b = load<i32>(src + (<usize>q << 2));
      store<i32>(keys + (<usize>q << 2), isNaN32(b) ? 0 : sortableKey(b));
      if (sum && !isNaN32(b)) s += <f64>load<f32>(src + (<usize>q << 2));
    }
    q = 0;
    for (; q + 4 <= m; q += 4) {
      const a = keys + (<usize>q << 2);
      ns = lookUp(load<i32>(a), c0 + q, bg, sub, base, slow, ns);
      ns = lookUp(load<i32>(a, 4), c0 + q + 1, bg, sub, base, slow, ns);
      ns = lookUp(load<i32>(a, 8), c0 + q + 2, bg, sub, base, slow, ns);
      ns = lookUp(load<i32>(a, 12), c0 + q + 3, bg, sub, base, slow, ns);
    }
    for (; q < m; q++) ns = lookUp(load<i32>(keys + (<usize>q << 2)), c0 + q, bg, sub, base, slow, ns);
  }
  if (sum) store<f64>(sum, s);
  return ns;
}
