// When the command starts itself again with huge pages for malloc's large blocks (src/cli/hugePages.node.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ARROW_BUNDLE, OLD_SPACE, hugePageTunables, relaunchFlags } from '../src/cli/hugePages.node.js';
import { BIN, ok, segkit } from './helpers/segkitCli.js';

const madvise = () => 'madvise';
const yes = () => true;

describe('hugePageTunables', () => {
  it('sets glibc.malloc.hugetlb=1 on Linux with glibc in madvise mode, keeping the tunables already set', () => {
    expect(hugePageTunables({}, 'linux', madvise, yes)).toBe('glibc.malloc.hugetlb=1');
    expect(hugePageTunables({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, 'linux', madvise, yes)).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
  });

  it('does nothing where it cannot help or is not wanted', () => {
    expect(hugePageTunables({}, 'darwin', madvise, yes)).toBeUndefined();
    expect(hugePageTunables({}, 'linux', () => 'always', yes)).toBeUndefined();
    expect(hugePageTunables({}, 'linux', () => 'never', yes)).toBeUndefined();
    expect(hugePageTunables({}, 'linux', () => undefined, yes)).toBeUndefined();
    // musl reads no GLIBC_TUNABLES
    expect(hugePageTunables({}, 'linux', madvise, () => false)).toBeUndefined();
    expect(hugePageTunables({ SEGKIT_HUGE_PAGES: '0' }, 'linux', madvise, yes)).toBeUndefined();
  });

  it('never relaunches a process that has the setting: the relaunched one, or one the user set', () => {
    expect(hugePageTunables({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }, 'linux', madvise, yes)).toBeUndefined();
    expect(hugePageTunables({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0' }, 'linux', madvise, yes)).toBeUndefined();
    // a different tunable that merely starts alike is not the setting
    expect(hugePageTunables({ GLIBC_TUNABLES: 'glibc.malloc.hugetlbx=1' }, 'linux', madvise, yes)).toBe('glibc.malloc.hugetlbx=1:glibc.malloc.hugetlb=1');
  });

  it('asks the kernel setting and the C library only when the environment allows a relaunch', () => {
    let asked = 0;
    const mode = () => { asked++; return 'madvise'; };
    hugePageTunables({ SEGKIT_HUGE_PAGES: '0' }, 'linux', mode, yes);
    hugePageTunables({}, 'win32', mode, yes);
    expect(asked).toBe(0);
  });
});

describe('relaunchFlags', () => {
  it('adds the one-file Arrow condition and the larger old generation, each unless already given', () => {
    expect(relaunchFlags([])).toEqual([ARROW_BUNDLE, OLD_SPACE]);
    expect(OLD_SPACE).toBe('--initial-old-space-size=256');
    expect(relaunchFlags(['--enable-source-maps', ARROW_BUNDLE])).toEqual([OLD_SPACE]);
    // another condition is another condition: ours is still added
    expect(relaunchFlags(['--conditions=development'])).toEqual([ARROW_BUNDLE, OLD_SPACE]);
    for (const mine of ['--initial-old-space-size=64', '--initial_old_space_size=64', '--initial-old-space-size']) {
      expect(relaunchFlags([mine])).toEqual([ARROW_BUNDLE]);
    }
    expect(relaunchFlags([], '--max-old-space-size=4096 --initial-old-space-size=32')).toEqual([ARROW_BUNDLE]);
    expect(relaunchFlags([], '--max-old-space-size=4096')).toEqual([ARROW_BUNDLE, OLD_SPACE]);
  });
});

describe('the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-hugepages-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'c.csv'), ['id,a,b', ...Array.from({ length: 40 }, (_, i) => `${i},${i % 7},${(i * 13) % 11}`)].join('\n'));
  const NOTE = 'segkit: huge pages for large arrays (glibc.malloc.hugetlb=1)';
  const ARROW_NOTE = 'segkit: apache-arrow from its one-file build';
  const OLD_NOTE = "segkit: V8's old generation starts at 256 MiB";
  let mode: string | undefined;
  try {
    mode = /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1];
  } catch {
    mode = undefined;
  }
  const glibc = typeof (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime === 'string';
  const applies = process.platform === 'linux' && mode === 'madvise' && glibc && !process.env.GLIBC_TUNABLES?.includes('glibc.malloc.hugetlb');
  if (!applies) console.warn(`hugePages.test: this machine's transparent huge page mode is ${mode ?? 'unknown'}${glibc ? '' : ' (no glibc)'}: the relaunch is not expected here`);

  it(`runs a command with the setting ${applies ? '(expected on this machine)' : '(not expected on this machine)'}, and without it under SEGKIT_HUGE_PAGES=0`, () => {
    const on = ok(dir, ['segment', 'c.csv', '--k', '2', '--seed', '1', '--quiet'], { env: { SEGKIT_DEBUG: '1' } });
    expect(on.stderr.includes(NOTE)).toBe(applies);
    // the relaunched process also loads apache-arrow from one file
    expect(on.stderr.includes(ARROW_NOTE)).toBe(applies);
    expect(on.stderr.includes(OLD_NOTE)).toBe(applies);
    const off = ok(dir, ['segment', 'c.csv', '--k', '2', '--seed', '1', '--quiet'], { env: { SEGKIT_DEBUG: '1', SEGKIT_HUGE_PAGES: '0' } });
    expect(off.stderr).not.toContain(NOTE);
    expect(off.stderr).not.toContain(ARROW_NOTE);
    expect(off.stderr).not.toContain(OLD_NOTE);
    // the same result either way, exit codes included
    expect(off.stdout).toBe(on.stdout);
    const failed = segkit(dir, ['segment', 'missing.csv', '--k', '2']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('missing.csv');
  });
});

/** The processes whose parent is `pid`, with their state (Z: ended, not yet reaped), from /proc. */
function childrenOf(pid: number): { pid: number; state: string }[] {
  const out: { pid: number; state: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after its last ")"
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid) out.push({ pid: Number(name), state });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function stateOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `segkit segment` on 100,000 rows with k chosen among 2 to 10 (seconds of work) in a new folder, and waits
 * for the relaunched run: undefined as `run` when the command runs as one process here (then there is nothing to
 * check, and it says so).
 */
async function longSegment(): Promise<{ dir: string; cli: ChildProcess; run?: { pid: number; state: string } }> {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-longrun-'));
  const lines = ['id,a,b,c,d'];
  for (let i = 0; i < 100_000; i++) lines.push(`${i},${(i * 7919) % 1000},${(i * 104729) % 997},${(i * 31) % 89},${i % 5}`);
  writeFileSync(join(dir, 'big.csv'), `${lines.join('\n')}\n`);
  const cli = spawn(process.execPath, [BIN, 'segment', 'big.csv', '--k', 'auto', '--k-range', '2..10', '--seed', '1', '--out', 'out.csv', '--quiet'], { cwd: dir, stdio: 'ignore' });
  let run: { pid: number; state: string } | undefined;
  for (let i = 0; i < 500 && !run && cli.exitCode === null; i++) {
    run = childrenOf(cli.pid!).find((c) => c.state !== 'Z');
    if (!run) await sleep(20);
  }
  if (!run) {
    console.warn('hugePages.test: the command ran as one process here (no relaunch): nothing to check');
    cli.kill('SIGKILL');
  }
  return { dir, cli, run };
}

describe.runIf(process.platform === 'linux')('a run ended by a signal', () => {
  it('ends its launcher by the same signal, so the caller sees what ended the work', async () => {
    const { dir, cli, run } = await longSegment();
    try {
      if (!run) return;
      const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        if (cli.exitCode !== null || cli.signalCode !== null) resolve({ code: cli.exitCode, signal: cli.signalCode });
        else cli.on('exit', (code, signal) => resolve({ code, signal }));
      });
      process.kill(run.pid, 'SIGKILL');
      expect(await ended).toEqual({ code: null, signal: 'SIGKILL' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.runIf(process.platform === 'linux')('kill -9 of the command', () => {
  it('ends the relaunched run too, within moments, in the middle of its work', async () => {
    const { dir, cli, run } = await longSegment();
    try {
      if (!run) return;
      await sleep(300);
      cli.kill('SIGKILL');
      let state = stateOf(run.pid);
      for (let i = 0; i < 50 && state !== undefined && state !== 'Z'; i++) {
        await sleep(20);
        state = stateOf(run.pid);
      }
      // ended (a zombie until its new parent reaps it) or already gone, with its output never written
      expect(state === undefined || state === 'Z').toBe(true);
      expect(readdirSync(dir).filter((f) => f.startsWith('out'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
