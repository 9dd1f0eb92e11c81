// Copying drawn rows of one column: 32-bit values moved as they are (a NaN keeps its bits).

/** dst[q] = src[rows[q]] for q in [q0, q1) (rows: int32 row numbers). */
export function gatherColumn(src: usize, dst: usize, rows: usize, q0: i32, q1: i32): void {
  for (let q = q0; q < q1; q++) {
    store<i32>(dst + (<usize>q << 2), load<i32>(src + (<usize>load<u32>(rows + (<usize>q << 2)) << 2)));
  }
}
