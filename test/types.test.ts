// A consumer TypeScript project compiles against the published types: Node resolution sees the Node entry,
// bundler resolution sees the neutral one unless it targets Node (customConditions ["node"]).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const dir = mkdtempSync(path.join(tmpdir(), 'segkit-consumer-'));
mkdirSync(path.join(dir, 'node_modules'));
symlinkSync(ROOT, path.join(dir, 'node_modules', 'segkit'), 'dir');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONSUMER = `
import { readTable, kmeans, chooseK, type SegmentationModel } from 'segkit';
import { sampleCustomers } from 'segkit/sample';
const table = await readTable('customers.csv');
const choice = await chooseK([[1, 2], [3, 4], [5, 6]], { kRange: [2, 3] });
const model: SegmentationModel = await kmeans([[1, 2], [3, 4]], { k: choice.recommendedK });
export const out = [table.numRows, model.k, sampleCustomers({ n: 10 }).numRows];
`;

function compile(name: string, options: Record<string, unknown>, source = CONSUMER): { ok: boolean; output: string } {
  const p = path.join(dir, name);
  mkdirSync(p, { recursive: true });
  writeFileSync(path.join(p, 'main.ts'), source);
  writeFileSync(path.join(p, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(path.join(p, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [path.join(ROOT, 'node_modules', '@types')], ...options },
    files: ['main.ts'],
  }));
  try {
    return { ok: true, output: execFileSync(process.execPath, [TSC, '-p', p], { cwd: dir, encoding: 'utf8' }) };
  } catch (e) {
    return { ok: false, output: String((e as { stdout?: string }).stdout ?? e) };
  }
}

describe('a consumer project type-checks against segkit', () => {
  it('with moduleResolution node16 (the Node entry: readTable, kmeans, chooseK)', () => {
    const r = compile('node16', { module: 'node16', moduleResolution: 'node16' });
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  }, 60_000);

  it('with moduleResolution bundler targeting Node (customConditions: ["node"])', () => {
    const r = compile('bundler-node', { module: 'esnext', moduleResolution: 'bundler', customConditions: ['node'] });
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  }, 60_000);

  it('with moduleResolution bundler for browsers: the neutral types, which have no file reader', () => {
    const r = compile('bundler-browser', { module: 'esnext', moduleResolution: 'bundler' });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/TS2305: Module '"segkit"' has no exported member 'readTable'/);
    expect(r.output.trim().split('\n')).toHaveLength(1);
    const neutral = compile('bundler-neutral', { module: 'esnext', moduleResolution: 'bundler' }, CONSUMER.replace('readTable, ', '').replace("const table = await readTable('customers.csv');", 'const table = { numRows: 0 };'));
    expect(neutral.output).toBe('');
  }, 150_000);

  // the neutral types include vega-lite's (renderSvg takes a Vega-Lite spec): a compile takes 30 s or more on a loaded machine
  it('segkit/browser: the neutral API plus webWorkerExecutor, and its option types', () => {
    const r = compile('bundler-browser-build', { module: 'esnext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'] }, `
import { kmeans, buildReport, webWorkerExecutor, type WebWorkerExecutor } from 'segkit/browser';
const executor: WebWorkerExecutor = webWorkerExecutor({ threads: 2, sharedMemory: false, workerUrl: new URL('./segkit.worker.js', location.href) });
const model = await kmeans([[1, 2], [3, 4], [5, 6]], { k: 2, executor });
await executor.start();
export const out = [model.k, executor.sharedMemory, typeof buildReport];
// @ts-expect-error: not an option
webWorkerExecutor({ thread: 2 });
`);
    expect(r.output).toBe('');
    expect(r.ok).toBe(true);
  }, 120_000);
});

