// The README's examples run as written: its library example (first ```js block under "Using the library") against
// the built package, and every `npx segkit` command of the "Command line" block, in order, from a copy of this folder's
// sample files.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from './helpers/segkitCli.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The first fenced block of `language` after the heading `heading`. */
function block(heading: string, language: string): string {
  const at = README.indexOf(`\n## ${heading}\n`);
  if (at < 0) throw new Error(`the README has no "## ${heading}" section`);
  const m = new RegExp('```' + language + '\\n([\\s\\S]*?)\\n```').exec(README.slice(at));
  if (!m) throw new Error(`no \`\`\`${language} block under "## ${heading}"`);
  return m[1];
}

let dir = '';

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run "npm run build" first (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), 'segkit-readme-'));
  mkdirSync(join(dir, 'examples'));
  for (const name of ['customers.csv', 'transactions.csv']) copyFileSync(join(ROOT, 'examples', name), join(dir, 'examples', name));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the README', () => {
  it('runs its library example as written, against the built package', () => {
    const code = block('Using the library', 'js');
    const entry = pathToFileURL(join(ROOT, 'dist', 'index.node.js')).href;
    const script = code.replace(/from 'segkit'/g, `from '${entry}'`);
    expect(script).not.toContain("from 'segkit'");
    // the files it reads: customer tables with the sample's columns
    const files = [...code.matchAll(/'([^'\s]+\.csv)'/g)].map((m) => m[1]);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) copyFileSync(join(ROOT, 'examples', 'customers.csv'), join(dir, file));
    writeFileSync(join(dir, 'example.mjs'), script);
    const r = spawnSync(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // the reason for k, then the inertia and the silhouette; then the scored count
    expect(r.stdout).toMatch(/k = \d+/);
    expect(r.stdout).toContain('2000 new customers scored');
  });

  it('the edge example\'s model file is what the command its comment shows writes', () => {
    const source = readFileSync(join(ROOT, 'examples', 'edge', 'score.mjs'), 'utf8');
    const line = /^\/\/\s+(npx segkit segment .*?)\s+#/m.exec(source)![1];
    const args = line.split(/\s+/).slice(2).map((a) => (a === 'examples/edge/model.json' ? join(dir, 'edge-model.json') : a));
    const r = spawnSync(process.execPath, [BIN, ...args, '--quiet'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${line}\nexited ${r.status}: ${r.stderr}`);
    expect(JSON.parse(readFileSync(join(dir, 'edge-model.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(ROOT, 'examples', 'edge', 'model.json'), 'utf8')));
  }, 120_000);

  it('runs every command of its command-line block as written', () => {
    const lines = block('Command line', 'sh').split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const line of lines) {
      expect(line.startsWith('npx segkit '), line).toBe(true);
      const args = line.replace(/\s#.*$/, '').trim().split(/\s+/).slice(2);
      const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
      if (r.status !== 0) throw new Error(`${line}\nexited ${r.status}: ${r.stderr}`);
    }
    for (const file of ['segments.csv', 'model.json', 'report.html', 'scored.parquet', 'rfm.csv']) expect(existsSync(join(dir, file)), file).toBe(true);
    // a dozen commands one after another, each a process of its own: on a loaded 2-core machine past the default minute
  }, 240_000);
});
