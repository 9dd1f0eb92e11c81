// The segkit command's @stdlib functions (dist/vendor/stdlib-*.js, made by app/build.mjs): each package with its
// dependencies in one file, giving the same values as the package.
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import kernelBetaincinv from '@stdlib/math-base-special-kernel-betaincinv';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { srcModulesMatching } from './helpers/srcModules.js';

const file = (name: string) => new URL(`../dist/vendor/stdlib-${name}.js`, import.meta.url);
const built = existsSync(fileURLToPath(file('kernel-betaincinv')));
if (!built) console.warn('stdlibBundle.test: dist/vendor/stdlib-*.js are not built (npm run build): skipped');

describe.skipIf(!built)('the @stdlib distributions in one file each, for the command', () => {
  const ps = [1e-300, 1e-12, 0.001, 0.025, 0.05, 0.3, 0.5, 0.7, 0.975, 0.999, 1 - 1e-12, 0, 1, NaN, -0.1];
  const xs = [-1e3, -37.5, -6, -1.96, -0.5, 0, 1e-9, 0.25, 1.644854, 3, 40, Infinity, -Infinity, NaN];
  const dfs = [0.5, 1, 2.5, 7, 29, 1e3, 1e7];
  const same = (a: number[], b: number[]) => expect(a.map((v) => Object.is(v, -0) ? 0 : v)).toEqual(b.map((v) => Object.is(v, -0) ? 0 : v));

  it('normal-cdf and normal-quantile give the package\'s values', async () => {
    const cdf = (await import(file('normal-cdf').href)).default as typeof normalCdf;
    const q = (await import(file('normal-quantile').href)).default as typeof normalQuantile;
    expect(cdf).not.toBe(normalCdf);
    for (const [mu, sigma] of [[0, 1], [3, 0.5], [-2, 10], [0, 0]]) {
      same(xs.map((x) => cdf(x, mu, sigma)), xs.map((x) => normalCdf(x, mu, sigma)));
      same(ps.map((p) => q(p, mu, sigma)), ps.map((p) => normalQuantile(p, mu, sigma)));
    }
    expect(cdf(1.959963984540054, 0, 1)).toBeCloseTo(0.975, 12);
  });

  it('t-cdf and kernel-betaincinv give the package\'s values', async () => {
    const cdf = (await import(file('t-cdf').href)).default as typeof tCdf;
    const inv = (await import(file('kernel-betaincinv').href)).default as typeof kernelBetaincinv;
    for (const df of dfs) {
      same(xs.map((x) => cdf(x, df)), xs.map((x) => tCdf(x, df)));
      for (const p of ps.filter((v) => v > 0 && v < 1)) {
        same(inv(df / 2, 0.5, p, 1 - p), kernelBetaincinv(df / 2, 0.5, p, 1 - p));
        same(inv(0.5, df / 2, p, 1 - p), kernelBetaincinv(0.5, df / 2, p, 1 - p));
      }
    }
  });

  it('under the segkit-cli condition the A/B tests load none of the packages\' modules', () => {
    const dist = fileURLToPath(new URL('../dist/', import.meta.url));
    const script = `import { createRequire } from 'node:module';
      const { welchTTest } = await import(${JSON.stringify(`${dist}metrics/welchTTest.js`)});
      await import(${JSON.stringify(`${dist}metrics/twoProportionZTest.js`)});
      await import(${JSON.stringify(`${dist}metrics/newcombeInterval.js`)});
      const r = welchTTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 11], 1e-6);
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes('@stdlib'));
      console.log(JSON.stringify({ p: [r.pvalue, ...r.ci], loaded: loaded.length }));`;
    const run = (args: string[]) => JSON.parse(execFileSync(process.execPath, [...args, '--input-type=module', '-e', script], { encoding: 'utf8' }));
    const bundled = run(['--conditions=segkit-cli']), packaged = run([]);
    expect(bundled.loaded).toBe(0);
    expect(packaged.loaded).toBeGreaterThan(100);
    expect(bundled.p).toEqual(packaged.p);
    expect(bundled.p[0]).toBeGreaterThan(0);
    expect(bundled.p[2] - bundled.p[1]).toBeGreaterThan(0);
  });
});

describe('@stdlib through #stdlib', () => {
  it('every module of src/ imports the distributions as #stdlib/<name>, so the command can load them in one file', () => {
    const { total, matching: direct } = srcModulesMatching(/(?:from\s*|import\(\s*)['"]@stdlib/);
    expect(total).toBeGreaterThan(100);
    expect(direct).toEqual([]);
    const through = srcModulesMatching(/from\s*['"]#stdlib\//).matching;
    expect(through.length).toBeGreaterThanOrEqual(3);
  });
});
