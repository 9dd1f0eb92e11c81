// A row-major copy of a block of column-major rows: what `gatherRowMajor` (assembly/gather.ts) reads drawn rows from,
// one cache line a row instead of one a value. Four rows and four features a step through a 4 x 4 transpose.

/** Rows [row0, row1) of the column-major x (column j at x + 4 j stride) as rows of d values at out (bits as they are). */
export function toRowMajor(x: usize, stride: i32, d: i32, row0: i32, row1: i32, out: usize): void {
  const colBytes = <usize>stride << 2, rowBytes = <usize>d << 2;
  const d4 = d & ~3;
  let i = row0;
  for (; i + 4 <= row1; i += 4) {
    const o = out + <usize>(i - row0) * rowBytes;
    let p = x + (<usize>i << 2);
    let jo: usize = 0;
    for (let j = 0; j < d4; j += 4, jo += 16) {
      const a = v128.load(p), c = v128.load(p + colBytes), f = v128.load(p + 2 * colBytes), g = v128.load(p + 3 * colBytes);
      const ac0 = v128.shuffle<i32>(a, c, 0, 4, 1, 5), ac1 = v128.shuffle<i32>(a, c, 2, 6, 3, 7);
      const fg0 = v128.shuffle<i32>(f, g, 0, 4, 1, 5), fg1 = v128.shuffle<i32>(f, g, 2, 6, 3, 7);
      v128.store(o + jo, v128.shuffle<i64>(ac0, fg0, 0, 2));
      v128.store(o + rowBytes + jo, v128.shuffle<i64>(ac0, fg0, 1, 3));
      v128.store(o + 2 * rowBytes + jo, v128.shuffle<i64>(ac1, fg1, 0, 2));
      v128.store(o + 3 * rowBytes + jo, v128.shuffle<i64>(ac1, fg1, 1, 3));
      p += colBytes << 2;
    }
    for (let j = d4; j < d; j++, jo += 4) {
      const v = v128.load(p);
      store<i32>(o + jo, i32x4.extract_lane(v, 0));
      store<i32>(o + rowBytes + jo, i32x4.extract_lane(v, 1));
      store<i32>(o + 2 * rowBytes + jo, i32x4.extract_lane(v, 2));
      store<i32>(o + 3 * rowBytes + jo, i32x4.extract_lane(v, 3));
      p += colBytes;
    }
  }
  for (; i < row1; i++) {
    const o = out + <usize>(i - row0) * rowBytes;
    for (let j = 0; j < d; j++) store<i32>(o + (<usize>j << 2), load<i32>(x + ((<usize>j * <usize>stride + <usize>i) << 2)));
  }
}
