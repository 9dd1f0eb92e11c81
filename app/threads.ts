// The app's thread count: every core, or the page address's ?threads=N.

/** The most Web Workers ?threads may ask for beyond the cores: each one loads the kernels and keeps them. */
export const MAX_ASKED_THREADS = 64;

/**
 * The Web Workers for a page with `cores` cores whose address asks for `asked` (?threads=N, null when absent): N
 * when it is a whole number from 1 to the larger of the cores and MAX_ASKED_THREADS, written in digits; else every
 * core, with a note saying why the request was not taken (2.5, abc, 0x4, 1e9).
 */
export function appThreads(asked: string | null, cores: number): { threads: number; note?: string } {
  const all = Number.isInteger(cores) && cores > 0 ? cores : 1;
  if (asked === null) return { threads: all };
  const most = Math.max(all, MAX_ASKED_THREADS);
  const n = /^\s*\d+\s*$/.test(asked) ? Number(asked) : Number.NaN;
  if (n >= 1 && n <= most) return { threads: n };
  return { threads: all, note: `?threads=${asked} is not a whole number from 1 to ${most}, so every core is used.` };
}
