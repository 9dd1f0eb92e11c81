// Counting float32 values by their sortable key through lookup tables (the drift statistics' histograms).

/** The unsigned sortable key of float32 bits b (-0 as +0): larger keys, larger values. */
@inline function sortableKey(b: i32): i32 {
  return (b == <i32>0x80000000 ? 0 : b ^ ((b >> 31) & 0x7fffffff)) ^ <i32>0x80000000;
}

/**
 * For each present value of a float32 column (NaN skipped), the unsigned sortable key u (-0 as +0) splits into a
 * top block t = u >>> 21 and an offset o within it. Block t's entries of 2^g keys start at entry s in `sub`, where
 * bg[t] = s << 5 | g; an entry e >= 0 names counter (e >> 5) + ((o mod 2^g) >>> (e & 31)), which is incremented
 * (int32); the rows of entries equal to -1 are listed in `slow`, and values whose entry is below -1 are skipped.
 * With bg = 0 there are no tables: each present value's counter is its block t, and with `sum` non-zero the present
 * values are also added there (float64, in row order). Returns how many rows were listed.
 */
export function keyCount(col: usize, rows: i32, bg: usize, sub: usize, cnt: usize, slow: usize, sum: usize): i32 {
  let ns = 0;
  let s: f64 = 0;
  if (!bg) {
    // no tables: counter t is block t (the first histogram), with no table to look through
    for (let i = 0; i < rows; i++) {
      const b = load<i32>(col + (<usize>i << 2));
      if ((b & 0x7fffffff) > 0x7f800000) continue;
      const u = sortableKey(b);
      s += <f64>load<f32>(col + (<usize>i << 2));
      const p = cnt + (<usize>(<u32>u >>> 21) << 2);
      store<i32>(p, load<i32>(p) + 1);
    }
    if (sum) store<f64>(sum, s);
    return 0;
  }
  for (let i = 0; i < rows; i++) {
    const b = load<i32>(col + (<usize>i << 2));
    if ((b & 0x7fffffff) > 0x7f800000) continue;
    const u = sortableKey(b);
    const x = load<i32>(bg + (<usize>(<u32>u >>> 21) << 2));
    const g = x & 31;
    const o = u & 0x1fffff;
    const e = load<i32>(sub + (<usize>((x >> 5) + (o >>> g)) << 2));
    if (e >= 0) {
      const p = cnt + (<usize>((e >> 5) + ((o & ((1 << g) - 1)) >>> (e & 31))) << 2);
      store<i32>(p, load<i32>(p) + 1);
    } else if (e == -1) {
      store<i32>(slow + (<usize>ns << 2), i);
      ns++;
    }
  }
  return ns;
}
