// The side-by-side anchors: scikit-learn through the shared anchor script (when it and python3-sklearn exist).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const script = process.env.SEGKIT_SKLEARN_BENCH ?? fileURLToPath(new URL('../../shared/anchors/sklearn_bench.py', import.meta.url));
const python = '/usr/bin/python3';

export const sklearnAvailable = (() => {
  if (!existsSync(script) || !existsSync(python)) return false;
  try {
    execFileSync(python, ['-c', 'import sklearn'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Median seconds of `repeats` runs of a scikit-learn workload (null when scikit-learn is not available). */
export function sklearn(workload, { n, d, k, threads, repeats = 3, iters } = {}) {
  if (!sklearnAvailable) return null;
  const runs = [];
  for (let r = 0; r < repeats; r++) {
    const args = [script, workload, '--n', String(n), '--d', String(d), '--k', String(k), '--threads', String(threads)];
    if (iters) args.push('--iters', String(iters));
    const out = execFileSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
    runs.push(JSON.parse(out.trim().split('\n').pop()));
  }
  runs.sort((a, b) => a.seconds - b.seconds);
  return runs[Math.floor(runs.length / 2)];
}
