// Stepping between neighbouring float32 values, through their bit patterns.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The next float32 above a finite float32 value. */
export function nextUp32(v: number): number {
  if (v === 0) return 1.401298464324817e-45;
  f32[0] = v;
  u32[0] += v > 0 ? 1 : -1;
  return f32[0];
}

/** The next float32 below a finite float32 value. */
export function nextDown32(v: number): number {
  if (v === 0) return -1.401298464324817e-45;
  f32[0] = v;
  u32[0] += v > 0 ? -1 : 1;
  return f32[0];
}
