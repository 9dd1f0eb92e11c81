// segkit/browser: one ES module plus its worker script, loadable from <script type="module"> on any static host.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (p: string) => readFileSync(path.join(ROOT, p), 'utf8');
const pkg = JSON.parse(read('package.json'));

/** Module specifiers of static imports, re-exports and dynamic imports with a literal argument. */
function specifiers(code: string): string[] {
  const found = [
    ...code.matchAll(/\bimport\s*(?:[\w$*{}\s,]+from\s*)?["'`]([^"'`]+)["'`]/g),
    ...code.matchAll(/\bexport\s*(?:\*|\{[^}]*\})\s*from\s*["'`]([^"'`]+)["'`]/g),
    ...code.matchAll(/\bimport\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g),
  ];
  return found.map((m) => m[1]);
}

describe('the browser build', () => {
  it('is routed by package.json: segkit/browser with its own types', () => {
    expect(pkg.exports['./browser']).toEqual({ types: './dist/index.browser.d.ts', default: './dist/browser/segkit.js' });
    expect(pkg.files).toContain('dist');
  });

  for (const file of ['dist/browser/segkit.js', 'dist/browser/segkit.worker.js']) {
    it(`${file} imports nothing by bare name, nothing from Node, and is one file`, () => {
      const code = read(file);
      expect(code.length).toBeGreaterThan(10_000);
      const specs = specifiers(code);
      expect(specs.filter((s) => !s.startsWith('./') && !s.startsWith('../') && !s.startsWith('/'))).toEqual([]);
      // nothing relative either: the module is whole (its worker script is found by URL, not imported)
      expect(specs).toEqual([]);
      expect(code).not.toMatch(/["'`]node:/);
      expect(code).not.toMatch(/\brequire\s*\(\s*["'`]/);
    });
  }

  it('the worker script registers every shard op segkit defines (each module that calls defineOp is imported by it)', () => {
    const src = path.join(ROOT, 'src');
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => {
        const p = path.join(dir, f);
        return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
      });
    const defining = files(src).filter((f) => !f.endsWith('shardOp.ts') && /\bdefineOp\s*[<(]/.test(readFileSync(f, 'utf8')));
    expect(defining.length).toBeGreaterThanOrEqual(4);
    // the worker entry's import closure
    const seen = new Set<string>();
    const visit = (f: string) => {
      if (seen.has(f)) return;
      seen.add(f);
      for (const m of readFileSync(f, 'utf8').matchAll(/(?:from\s+|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)) visit(path.resolve(path.dirname(f), m[1]).replace(/\.js$/, '.ts'));
    };
    visit(path.join(src, 'index.worker.ts'));
    expect(defining.filter((f) => !seen.has(f)).map((f) => path.relative(src, f))).toEqual([]);
    // and the bundle holds them: every op name appears in it
    const worker = read('dist/browser/segkit.worker.js');
    const names = defining.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/name:\s*'([\w.]+)'/g)].map((m) => m[1]));
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((n) => !worker.includes(n))).toEqual([]);
  });

  it('the worker script carries no report, reader or Arrow code (it only runs shard ops)', () => {
    const worker = read('dist/browser/segkit.worker.js');
    // the kernels (both wasm modules, embedded) and the shard ops: about 136 KB; a report, reader or Arrow library
    // would add hundreds
    expect(worker.length).toBeLessThan(140_000);
    expect(worker).not.toContain('vega');
    expect(worker).not.toContain('RecordBatch');
  });
});
