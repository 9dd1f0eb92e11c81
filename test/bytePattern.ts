/** `length` bytes of a seeded pattern that differs from block to block (never 0, so no run of zeros). */
export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = 1 + ((x >>> 0) % 255);
  }
  return out;
}
