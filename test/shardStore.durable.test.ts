// The file store's writes as the kernel sees them (strace): each file flushed under its temporary name before the
// rename, and its directory flushed after, so a crash leaves the old file or the whole new one, never a part.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

// A folder the process may write in but not list (mode 0733, a drop box): no flush of it can be opened, which is no
// reason to refuse the write. Run as an unprivileged user (root reads every folder): by setpriv when run as root,
// where that user may read the built modules.
const ATOMIC = fileURLToPath(new URL('../dist/data/writeFileAtomic.node.js', import.meta.url));
const nobody = process.getuid?.() === 0
  ? spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', STORE, '-a', '-r', ATOMIC]).status === 0
  : process.platform !== 'win32';

describe.skipIf(!nobody)('a folder that may be written but not read', () => {
  it('takes the file store\'s shards and an atomic write, the flush of the folder left out', () => {
    const box = join(dir, 'box');
    mkdirSync(box);
    chmodSync(dir, 0o755);
    chmodSync(box, 0o733);
    const file = join(dir, 'run-box.mjs');
    writeFileSync(file, `import { fileStore } from ${JSON.stringify(STORE)};
import { writeFileAtomic } from ${JSON.stringify(ATOMIC)};
const said = (p) => p.then(() => 'ok', (e) => e.code + ' ' + e.message);
const store = fileStore(${JSON.stringify(join(box, 'store'))});
console.log(await said(store.put('job1/shard-000000.arrow', new Uint8Array([1, 2, 3]))));
console.log(await said(writeFileAtomic(${JSON.stringify(join(box, 'out.csv'))}, 'a\\n1\\n')));
`);
    chmodSync(file, 0o644);
    const asRoot = process.getuid?.() === 0;
    const r = asRoot
      ? spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, file], { encoding: 'utf8' })
      : spawnSync(process.execPath, [file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['ok', 'ok']);
    expect(readFileSync(join(box, 'store', 'job1', 'shard-000000.arrow'))).toEqual(Buffer.from([1, 2, 3]));
    expect(readFileSync(join(box, 'out.csv'), 'utf8')).toBe('a\n1\n');
  });
});
