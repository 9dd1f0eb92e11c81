// The segkit command's apache-arrow (dist/vendor/arrow.js, made by app/build.mjs): the package's own ES modules in one
// file, with every name the package exports, making the same bytes.
import * as arrow from 'apache-arrow';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from './helpers/segkitCli.js';
import { srcModulesMatching } from './helpers/srcModules.js';

const FILE = new URL('../dist/vendor/arrow.js', import.meta.url);
const built = existsSync(fileURLToPath(FILE));
if (!built) console.warn('arrowBundle.test: dist/vendor/arrow.js is not built (npm run build): skipped');

describe.skipIf(!built)('apache-arrow in one file, for the command', () => {
  it('exports every value the package exports, and nothing else', async () => {
    const bundle = (await import(FILE.href)) as typeof arrow;
    const names = (m: object) => Object.keys(m).filter((k) => (m as Record<string, unknown>)[k] !== undefined).sort();
    expect(names(bundle)).toEqual(names(arrow));
    expect(names(bundle).length).toBeGreaterThan(150);
  });

  it('is another copy of the classes, writing and reading the same IPC bytes, dictionaries included', async () => {
    const b = (await import(FILE.href)) as typeof arrow;
    expect(b.Table).not.toBe(arrow.Table);
    const make = (a: typeof arrow) => {
      const id = a.makeData({ type: new a.Int32(), length: 3, data: Int32Array.from([3, 1, 2]) });
      const x = a.makeData({ type: new a.Float64(), length: 3, data: Float64Array.from([0.5, -1, NaN]) });
      const dictionary = a.makeVector(a.vectorFromArray(['gold', 'silver'], new a.Utf8()));
      const plan = a.makeData({ type: new a.Dictionary(new a.Utf8(), new a.Int32(), 0), length: 3, data: Int32Array.from([1, 0, 1]), dictionary });
      const fields = [new a.Field('id', id.type), new a.Field('x', x.type), new a.Field('plan', plan.type)];
      const schema = new a.Schema(fields);
      const struct = a.makeData({ type: new a.Struct(fields), length: 3, nullCount: 0, children: [id, x, plan] });
      return a.tableToIPC(new a.Table(schema, [new a.RecordBatch(schema, struct)]), 'file');
    };
    const ours = make(b), theirs = make(arrow);
    expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
    const back = b.tableFromIPC(theirs);
    expect(back.numRows).toBe(3);
    expect(Array.from(back.getChild('x')!.toArray() as Float64Array)).toEqual([0.5, -1, NaN]);
    expect(Array.from({ length: 3 }, (_, i) => back.getChild('plan')!.get(i))).toEqual(['silver', 'gold', 'silver']);
  });
});

describe('one copy of apache-arrow in a process', () => {
  it('every module of src/ imports it as #arrow (or #arrow/ipc), so the command loads one copy', () => {
    const { total, matching: direct } = srcModulesMatching(/(?:from\s*|import\(\s*)['"]apache-arrow/);
    expect(total).toBeGreaterThan(100);
    expect(direct).toEqual([]);
  });
});

describe.skipIf(!built)('the command under the segkit-cli condition', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-arrowbundle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'c.csv'), ['id,a,b', ...Array.from({ length: 40 }, (_, i) => `${i},${i % 7},${(i * 13) % 11}`)].join('\n'));
  // as the relaunched command runs (hugePages.node.ts), here on any machine
  const run = (args: string[], conditions: string[]) => {
    const r = spawnSync(process.execPath, [...conditions, BIN, ...args, '--quiet'], { cwd: dir, encoding: 'utf8', env: { ...process.env, SEGKIT_HUGE_PAGES: '0' }, timeout: 120_000 });
    if (r.status !== 0) throw new Error(`segkit ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  };

  it('writes and reads Arrow files with one copy of Arrow: the same bytes as without it', () => {
    run(['segment', 'c.csv', '--k', '2', '--seed', '1', '--out', 'plain.arrow'], []);
    run(['segment', 'c.csv', '--k', '2', '--seed', '1', '--out', 'cli.arrow'], ['--conditions=segkit-cli']);
    const written = arrow.tableFromIPC(readFileSync(join(dir, 'cli.arrow')));
    expect(written.numRows).toBe(40);
    expect(written.schema.fields.map((f) => f.name)).toEqual(['id', 'a', 'b', 'segment', 'segment_name']);
    expect(readFileSync(join(dir, 'cli.arrow')).equals(readFileSync(join(dir, 'plain.arrow')))).toBe(true);
    // an Arrow file read and segmented again
    run(['segment', 'plain.arrow', '--k', '2', '--seed', '1', '--columns', 'a,b', '--out', 'plain.csv'], []);
    run(['segment', 'plain.arrow', '--k', '2', '--seed', '1', '--columns', 'a,b', '--out', 'cli.csv'], ['--conditions=segkit-cli']);
    expect(readFileSync(join(dir, 'cli.csv'), 'utf8')).toBe(readFileSync(join(dir, 'plain.csv'), 'utf8'));
  });

  it('refuses Arrow metadata with a list longer than its bytes, as the package\'s Arrow does (it ran out of memory)', () => {
    // byte 16624 of the fixture is in its footer: 27 gives the field "visits" 201,328,640 children
    const bytes = readFileSync(new URL('./fixtures/compressed-lz4.arrow', import.meta.url));
    bytes[16624] = 27;
    writeFileSync(join(dir, 'lists.arrow'), bytes);
    const r = spawnSync(process.execPath, ['--conditions=segkit-cli', '--max-old-space-size=256', BIN, 'segment', 'lists.arrow', '--k', '2', '--out', 'x.csv', '--quiet'], {
      cwd: dir, encoding: 'utf8', env: { ...process.env, SEGKIT_HUGE_PAGES: '0' }, timeout: 120_000,
    });
    expect(r.stderr).toContain('the input is not valid Arrow IPC data: its metadata holds a list of 201328640 entries in 89 bytes');
    expect(r.status).toBe(1);
  });
});
