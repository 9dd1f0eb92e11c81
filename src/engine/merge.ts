/** Sums float64 partials element by element, in shard order (the one fold every additive partial uses). */
export function sumInShardOrder(partials: readonly Float64Array[], into?: Float64Array): Float64Array {
  const out = into ?? new Float64Array(partials[0]?.length ?? 0);
  for (const p of partials) for (let q = 0; q < p.length; q++) out[q] += p[q];
  return out;
}

/** Sums numbers in shard order. */
export function sumNumbers(partials: readonly number[]): number {
  let s = 0;
  for (const p of partials) s += p;
  return s;
}

/** Concatenates per-shard arrays in shard order. */
export function concatInShardOrder<T extends Float32Array | Float64Array | Int32Array>(partials: readonly T[]): T {
  const n = partials.reduce((a, p) => a + p.length, 0);
  const C = (partials[0]?.constructor ?? Float64Array) as new (n: number) => T;
  const out = new C(n);
  let at = 0;
  for (const p of partials) { out.set(p, at); at += p.length; }
  return out;
}
