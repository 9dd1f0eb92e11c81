// The file store's writes as the kernel sees them (strace): each file flushed under its temporary name before the
// rename, and its directory flushed after, so a crash leaves the old file or the whole new one, never a part.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const STORE = fileURLToPath(new URL('../dist/engine/shardStore.node.js', import.meta.url));

// strace, and a kernel that lets it trace (a container may forbid ptrace)
const canTrace = spawnSync('strace', ['-f', '-o', '/dev/null', 'true']).status === 0;
if (!canTrace) console.warn('shardStore.durable.test: skipped, strace is missing or may not trace here (install Debian\'s strace package to run it)');

const dir = mkdtempSync(join(tmpdir(), 'segkit-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The calls of one run of `script`: "fsync <path>", "rename <from> <to>", "mkdir <path>", in the order made. */
function traced(script: string): string[] {
  const log = join(dir, 'trace.txt'), file = join(dir, 'run.mjs');
  writeFileSync(file, script);
  const r = spawnSync('strace', ['-f', '-y', '-qq', '-e', 'trace=fsync,fdatasync,rename,renameat,renameat2,mkdir,mkdirat', '-o', log, process.execPath, file], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const calls: string[] = [];
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    // `1234 fsync(21</tmp/x/a.tmp>) = 0`, `1234 renameat2(AT_FDCWD</..>, "/tmp/x/a.tmp", AT_FDCWD</..>, "/tmp/x/a", 0) = 0`
    const sync = /\b(?:fsync|fdatasync)\(\d+<([^>]*)>\) = 0/.exec(line);
    if (sync) calls.push(`fsync ${sync[1]}`);
    const moved = /\brename(?:at2?)?\((?:[^,]*, )?"([^"]*)", (?:[^,]*, )?"([^"]*)"/.exec(line);
    if (moved && / = 0$/.test(line)) calls.push(`rename ${moved[1]} ${moved[2]}`);
    const made = /\bmkdir(?:at)?\((?:[^,]*, )?"([^"]*)"/.exec(line);
    if (made && / = 0$/.test(line)) calls.push(`mkdir ${made[1]}`);
  }
  return calls;
}

describe.skipIf(!canTrace)('the file store writes durably', () => {
  it('flushes each file before its rename, and its directory after; a folder it makes is flushed in its parent', () => {
    const root = join(dir, 'store');
    const calls = traced(`import { fileStore } from ${JSON.stringify(STORE)};
const store = fileStore(${JSON.stringify(root)});
await store.put('job1/shard-000000.arrow', new Uint8Array([1, 2, 3]));
await store.put('job1/shard-000000.arrow', new Uint8Array([4, 5]));
`);
    const target = join(root, 'job1', 'shard-000000.arrow');
    expect(readFileSync(target)).toEqual(Buffer.from([4, 5]));
    expect(readdirSync(join(root, 'job1'))).toEqual(['shard-000000.arrow']);
    // the store's own calls, with its temporary names made plain
    const mine = calls.filter((c) => c.includes(dir)).map((c) => c.replaceAll(/\.[0-9a-f]{12}\.tmp/g, '.tmp'));
    const temp = `${target}.tmp`;
    expect(mine).toEqual([
      `mkdir ${root}`, `fsync ${dir}`, `mkdir ${join(root, 'job1')}`, `fsync ${root}`,
      `fsync ${temp}`, `rename ${temp} ${target}`, `fsync ${join(root, 'job1')}`,
      `fsync ${temp}`, `rename ${temp} ${target}`, `fsync ${join(root, 'job1')}`,
    ]);
  });
});
