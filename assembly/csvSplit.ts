// Splitting CSV records and reading their plain decimals, as CsvLines.splitSlice does in TypeScript (src/data/
// csvCore.ts, its twin: the two must agree on every byte): UTF-8 records each ending in "\n", a one-byte delimiter,
// no quotes. Per field: where it starts and ends, and, in a column whose lane asks for it, the cell read as a plain
// decimal (a sign, digits, a point and digits, 1 to 15 digits in all, nothing else) with the note
// ColumnBuilder.plainNumber gives: bit 8 when the text is an integer, bits 0-7 how String(value) would differ from
// the text (0: it would not). A record the caller must judge itself (a CR before its LF, or another number of fields
// than `width`) stops the call before it.

/**
 * Splits the records of src[pos, size) (size > pos, src[size - 1] = "\n", 16 bytes of room after it), at most
 * maxRecords of them. Record r's field j: starts/ends (int32) at r * width + j, and where lanes[j] (uint8) asks and
 * the cell is a plain decimal, values (float64) and notes (int32, -1 for any other cell). recEnds[r] (int32): the
 * position of its "\n"; recSkips[r]: the empty lines before it. meta (int32 x 2): where the call stopped, and the
 * empty lines after the last record. Returns the records split.
 */
export function csvSplit(
  src: usize, size: i32, pos0: i32, width: i32, lanes: usize, delimiter: i32,
  starts: usize, ends: usize, values: usize, notes: usize, recEnds: usize, recSkips: usize, maxRecords: i32, meta: usize,
): i32 {
  const nl = i8x16.splat(10), dl = i8x16.splat(<i8>delimiter);
  let pos = pos0;
  let r = 0;
  let skipped = 0;
  while (pos < size && r < maxRecords) {
    if (<i32>load<u8>(src + pos) == 10) {
      pos++;
      skipped++;
      continue;
    }
    let fields = 0;
    let i = pos;
    const base = <usize>r * <usize>width;
    while (true) {
      const from = i;
      let k = -1, intStart = 0, intDigits = 0, fracDigits = 0;
      let digits: i64 = 0;
      const lane = fields < width ? <i32>load<u8>(lanes + <usize>fields) : 0;
      if (lane != 0) {
        k = i;
        let c = <i32>load<u8>(src + <usize>k);
        if (c == 45 || c == 43) c = <i32>load<u8>(src + <usize>(++k));
        intStart = k;
        while (<u32>(c - 48) < 10) {
          digits = digits * 10 + <i64>(c - 48);
          c = <i32>load<u8>(src + <usize>(++k));
        }
        intDigits = k - intStart;
        if (c == 46) {
          const fracStart = ++k;
          c = <i32>load<u8>(src + <usize>k);
          while (<u32>(c - 48) < 10) {
            digits = digits * 10 + <i64>(c - 48);
            c = <i32>load<u8>(src + <usize>(++k));
          }
          fracDigits = k - fracStart;
        }
        i = k;
      }
      let c = <i32>load<u8>(src + <usize>i);
      if (c != 10 && c != delimiter) {
        // to the next delimiter or line feed, 16 bytes at a time
        while (true) {
          const v = v128.load(src + <usize>i);
          const m = i8x16.bitmask(v128.or(i8x16.eq(v, nl), i8x16.eq(v, dl)));
          if (m != 0) {
            i += ctz(m);
            break;
          }
          i += 16;
        }
        c = <i32>load<u8>(src + <usize>i);
      }
      if (fields < width) {
        const q = base + <usize>fields;
        store<i32>(starts + (q << 2), from);
        store<i32>(ends + (q << 2), i);
        const n = intDigits + fracDigits;
        let note = -1;
        if (k == i && n > 0 && n <= 15 && !(lane == 2 && intDigits > 1 && <i32>load<u8>(src + <usize>intStart) == 48)) {
          const first = <i32>load<u8>(src + <usize>from);
          const last = <i32>load<u8>(src + <usize>(i - 1));
          const lead = <i32>load<u8>(src + <usize>intStart);
          const negative = first == 45;
          let v = <f64>digits;
          if (fracDigits != 0) {
            // 10^fracDigits, exact (fracDigits <= 15): the quotient is the correctly rounded decimal
            let p: i64 = 10;
            for (let f = 1; f < fracDigits; f++) p *= 10;
            v = v / <f64>p;
          }
          let form = 0;
          if (last == 48 || last == 46 || intDigits != 1 || fracDigits > 6 || intStart != from) {
            const plus = first == 43, noInt = intDigits == 0, dot = last == 46;
            if (plus || noInt || dot || (fracDigits > 0 && last == 48) || (intDigits > 1 && lead == 48) || (v < 1e-6 && (v > 0 || negative))) {
              form = 1 + (fracDigits | (plus ? 16 : 0) | (noInt ? 32 : 0) | (dot ? 64 : 0));
            }
          }
          store<f64>(values + (q << 3), negative ? -v : v);
          note = (fracDigits == 0 && last != 46 ? 256 : 0) | form;
        }
        store<i32>(notes + (q << 2), note);
      }
      fields++;
      if (c == 10) break;
      i++;
    }
    if (fields != width || (i > pos && <i32>load<u8>(src + <usize>(i - 1)) == 13)) break;
    store<i32>(recEnds + (<usize>r << 2), i);
    store<i32>(recSkips + (<usize>r << 2), skipped);
    skipped = 0;
    r++;
    pos = i + 1;
  }
  store<i32>(meta, pos);
  store<i32>(meta, skipped, 4);
  return r;
}
