// The order of the file-system calls behind every segkit write: a temporary file, flushed, renamed, the folder flushed.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

const calls: string[] = [];

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const name = (p: unknown) => (String(p).endsWith('.tmp') ? 'temp' : basename(String(p)));
  return {
    ...fs,
    open: async (path: string, flags: string) => {
      const handle = await fs.open(path, flags);
      const what = name(path);
      calls.push(`open ${what} ${flags}`);
      return new Proxy(handle, {
        get(target, key) {
          const value = Reflect.get(target, key);
          if (typeof value !== 'function') return value;
          if (key === 'sync' || key === 'writeFile' || key === 'close') {
            return (...args: unknown[]) => {
              calls.push(`${String(key)} ${what}`);
              return value.apply(target, args);
            };
          }
          return value.bind(target);
        },
      });
    },
    rename: async (from: string, to: string) => {
      calls.push(`rename ${name(from)} -> ${name(to)}`);
      return fs.rename(from, to);
    },
  };
});

const { AtomicFile, writeFileAtomic } = await import('../src/data/writeFileAtomic.node.js');
const { writeTable } = await import('../src/data/writeTable.node.js');
const { readCsv } = await import('../src/data/readCsv.js');

const dir = mkdtempSync(join(tmpdir(), 'segkit-atomic-'));
const folder = basename(dir);

afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  calls.length = 0;
});

describe('atomic writes', () => {
  it('writeFileAtomic: the data goes to a temporary file, which is flushed, closed, renamed over the target, and the folder is flushed', async () => {
    writeFileSync(join(dir, 'model.json'), 'old');
    await writeFileAtomic(join(dir, 'model.json'), 'new');
    expect(calls).toEqual(['open temp wx', 'writeFile temp', 'sync temp', 'close temp', 'rename temp -> model.json', `open ${folder} r`, `sync ${folder}`, `close ${folder}`]);
    expect(readFileSync(join(dir, 'model.json'), 'utf8')).toBe('new');
  });

  it('writeTable and the streaming writer (segkit score) go the same way', async () => {
    await writeTable(join(dir, 't.csv'), await readCsv('a\n1\n'));
    expect(calls).toEqual(['open temp wx', 'writeFile temp', 'sync temp', 'close temp', 'rename temp -> t.csv', `open ${folder} r`, `sync ${folder}`, `close ${folder}`]);
    calls.length = 0;
    const file = await AtomicFile.open(join(dir, 'scored.csv'));
    await file.write('a,segment\n');
    await file.write(new TextEncoder().encode('1,0\n'));
    await file.commit();
    expect(calls).toEqual(['open temp wx', 'writeFile temp', 'writeFile temp', 'sync temp', 'close temp', 'rename temp -> scored.csv', `open ${folder} r`, `sync ${folder}`, `close ${folder}`]);
    expect(readFileSync(join(dir, 'scored.csv'), 'utf8')).toBe('a,segment\n1,0\n');
  });

  it('a cancelled write leaves the target as it was and removes its temporary file', async () => {
    writeFileSync(join(dir, 'keep.json'), 'old');
    const controller = new AbortController();
    const file = await AtomicFile.open(join(dir, 'keep.json'));
    await file.write('new');
    controller.abort();
    await expect(file.commit(controller.signal)).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(calls).not.toContain('rename temp -> keep.json');
    expect(readFileSync(join(dir, 'keep.json'), 'utf8')).toBe('old');
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await expect(writeFileAtomic(join(dir, 'keep.json'), 'newer', controller.signal)).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(readFileSync(join(dir, 'keep.json'), 'utf8')).toBe('old');
  });
});
