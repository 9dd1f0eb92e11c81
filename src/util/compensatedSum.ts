// Neumaier's compensated summation, the one step every compensated sum in segkit takes: a running sum s, a value x
// added to it as t = s + x, and the bits that addition rounded away kept apart, to be added back once at the end.

/** What rounding t = s + x lost: (s + x) exactly is t + lostBits(s, x, t). */
export const lostBits = (s: number, x: number, t: number): number => (Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s);

/** A compensated sum rounded once: `sum` with the bits its additions lost; an infinite sum as it is (Infinity - Infinity would make it NaN). */
export const roundedSum = (sum: number, lost: number): number => (Number.isFinite(sum) ? sum + lost : sum);
