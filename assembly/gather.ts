// Copying drawn rows of one column: 32-bit values moved as they are (a NaN keeps its bits). The drawn rows are
// scattered over the column, so each value is a cache miss: four rows a step, loaded into the lanes of one vector,
// keep more misses in flight than one row at a time (a 256k-row, 16-column gather: 11 ms instead of 20 here).

/** dst[q] = src[rows[q]] for q in [q0, q1) (rows: int32 row numbers). */
export function gatherColumn(src: usize, dst: usize, rows: usize, q0: i32, q1: i32): void {
  let q = q0;
  for (; q + 4 <= q1; q += 4) {
    const r = rows + (<usize>q << 2);
    let a = v128.load32_zero(src + (<usize>load<u32>(r) << 2));
    a = v128.load32_lane(src + (<usize>load<u32>(r, 4) << 2), a, 1);
    a = v128.load32_lane(src + (<usize>load<u32>(r, 8) << 2), a, 2);
    a = v128.load32_lane(src + (<usize>load<u32>(r, 12) << 2), a, 3);
    v128.store(dst + (<usize>q << 2), a);
  }
  for (; q < q1; q++) {
    store<i32>(dst + (<usize>q << 2), load<i32>(src + (<usize>load<u32>(rows + (<usize>q << 2)) << 2)));
  }
}

// Rows per block of `gatherRowMajor`: a first loop reads one word of each of the block's rows (a load each, nothing
// waiting on it, so many rows' cache misses are in flight at once), the second copies the rows, now in cache.
const TOUCH_BLOCK = 256;

/**
 * dst column j, row q = row rows[q] of a row-major copy (d values a row at src) for q in [q0, q1): the same bits as
 * `gatherColumn` on each column, with one cache line a row read instead of one a value. Four rows a step, moved to
 * the four columns' lanes by a 4 x 4 transpose; features past the last multiple of 4 a lane at a time.
 */
export function gatherRowMajor(src: usize, d: i32, dst: usize, stride: i32, rows: usize, q0: i32, q1: i32): i32 {
  const rowBytes = <usize>d << 2, colBytes = <usize>stride << 2;
  const d4 = d & ~3;
  let touched = 0;
  for (let b = q0; b < q1; b += TOUCH_BLOCK) {
    const e = min(q1, b + TOUCH_BLOCK);
    for (let q = b; q < e; q++) touched ^= load<i32>(src + <usize>load<u32>(rows + (<usize>q << 2)) * rowBytes);
    let q = b;
    for (; q + 4 <= e; q += 4) {
      const r = rows + (<usize>q << 2);
      const p0 = src + <usize>load<u32>(r) * rowBytes, p1 = src + <usize>load<u32>(r, 4) * rowBytes;
      const p2 = src + <usize>load<u32>(r, 8) * rowBytes, p3 = src + <usize>load<u32>(r, 12) * rowBytes;
      let out = dst + (<usize>q << 2);
      let o: usize = 0;
      for (let j = 0; j < d4; j += 4, o += 16) {
        const a = v128.load(p0 + o), c = v128.load(p1 + o), f = v128.load(p2 + o), g = v128.load(p3 + o);
        const ac0 = v128.shuffle<i32>(a, c, 0, 4, 1, 5), ac1 = v128.shuffle<i32>(a, c, 2, 6, 3, 7);
        const fg0 = v128.shuffle<i32>(f, g, 0, 4, 1, 5), fg1 = v128.shuffle<i32>(f, g, 2, 6, 3, 7);
        v128.store(out, v128.shuffle<i64>(ac0, fg0, 0, 2));
        v128.store(out + colBytes, v128.shuffle<i64>(ac0, fg0, 1, 3));
        v128.store(out + 2 * colBytes, v128.shuffle<i64>(ac1, fg1, 0, 2));
        v128.store(out + 3 * colBytes, v128.shuffle<i64>(ac1, fg1, 1, 3));
        out += colBytes << 2;
      }
      for (let j = d4; j < d; j++, o += 4) {
        let v = v128.load32_zero(p0 + o);
        v = v128.load32_lane(p1 + o, v, 1);
        v = v128.load32_lane(p2 + o, v, 2);
        v = v128.load32_lane(p3 + o, v, 3);
        v128.store(out, v);
        out += colBytes;
      }
    }
    for (; q < e; q++) {
      const p = src + <usize>load<u32>(rows + (<usize>q << 2)) * rowBytes;
      for (let j = 0; j < d; j++) store<i32>(dst + ((<usize>j * <usize>stride + <usize>q) << 2), load<i32>(p + (<usize>j << 2)));
    }
  }
  // returned so the touching loads are not optimised away
  return touched;
}
