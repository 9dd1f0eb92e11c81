// Huge pages for the command's large arrays.
//
// A run over a million customers touches hundreds of MiB of new memory, and every 4 KiB page costs a fault the
// first time it is touched. On virtual machines that fault is dear: 3 to 6 ms per MiB on the one we measure on
// (bench/pageFaults.mjs), a large share of a `segkit score` run. numpy asks the kernel for transparent huge pages
// for every large array (madvise MADV_HUGEPAGE), so a pandas + scikit-learn script pays one fault per 2 MiB. Node
// has no such call, but glibc's malloc, which holds Node's ArrayBuffers, makes it for its large blocks under the
// tunable glibc.malloc.hugetlb=1, which is read only when a process starts. So the command starts itself once more with
// it set, when that can help: on Linux with glibc, transparent huge pages in "madvise" mode (with "always" every
// large block gets them anyway; with "never" none can), and GLIBC_TUNABLES not already naming glibc.malloc.hugetlb
// (which also keeps the relaunched process from starting another). SEGKIT_HUGE_PAGES=0 turns it off. (Raising
// malloc's mmap and trim thresholds as well, so freed blocks are reused, made `segkit segment` on the 1M-row file no
// faster in the runs measured: left out.)
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

const TUNABLE = 'glibc.malloc.hugetlb';
const THP_MODE = '/sys/kernel/mm/transparent_hugepage/enabled';

/** The selected mode in the kernel's transparent huge page setting ("always [madvise] never"), if it can be read. */
function thpMode(): string | undefined {
  try {
    return /\[(\w+)\]/.exec(readFileSync(THP_MODE, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** glibc 2.35 or later, the first with glibc.malloc.hugetlb. */
function glibc(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const [major, minor] = (report?.header?.glibcVersionRuntime ?? '').split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 35);
}

/**
 * GLIBC_TUNABLES for the relaunched process, or undefined when relaunching cannot help: not Linux with glibc, a
 * transparent huge page mode other than "madvise", the tunable already set (by the user, or because this is the
 * relaunched process), or SEGKIT_HUGE_PAGES=0. `mode` and `isGlibc` are asked only when needed.
 */
export function hugePageTunables(env: NodeJS.ProcessEnv, platform: string, mode: () => string | undefined, isGlibc: () => boolean): string | undefined {
  if (platform !== 'linux' || env.SEGKIT_HUGE_PAGES === '0') return undefined;
  const current = (env.GLIBC_TUNABLES ?? '').split(':').filter((t) => t !== '');
  const named = (name: string) => current.some((t) => t.startsWith(`${name}=`));
  if (named(TUNABLE)) return undefined;
  if (mode() !== 'madvise' || !isGlibc()) return undefined;
  return [...current, `${TUNABLE}=1`].join(':');
}

/** The condition under which "#arrow" resolves to apache-arrow's modules in one file (package.json "imports"). */
export const ARROW_BUNDLE = '--conditions=segkit-cli';

/**
 * V8's first old-generation limit in the relaunched process. The command's heap holds little (10 to 12 MB while
 * scoring a million rows), so V8 kept its limit low and ran a full collection every batch or two (29 of them in a
 * 1M-row `score`, against 5 with this); the garbage that can build up meanwhile is short-lived. Left out when the
 * user sets the flag.
 */
export const OLD_SPACE = '--initial-old-space-size=256';

/** The flags the relaunched process adds to this one's (`execArgv`, and NODE_OPTIONS): each unless already given. */
export function relaunchFlags(execArgv: readonly string[], nodeOptions = ''): string[] {
  const flags = [...execArgv, ...nodeOptions.split(/\s+/)];
  const out: string[] = [];
  if (!flags.includes(ARROW_BUNDLE)) out.push(ARROW_BUNDLE);
  // V8 reads the flag's name with dashes or underscores, its value after "=" or as the next argument
  if (!flags.some((a) => /^--initial[-_]old[-_]space[-_]size(=|$)/.test(a))) out.push(OLD_SPACE);
  return out;
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/**
 * Whether this process is the relaunched one (set by followLauncher). A signal its launcher passes on can arrive
 * after the same one sent to both (Ctrl-C in a terminal, systemd's stop): within REPEATED_SIGNAL_MS it is one.
 */
let relaunched = false;
const REPEATED_SIGNAL_MS = 300;

/** Whether a signal at this moment repeats the same one first received at `first` (performance.now()). */
export function repeatsSignal(first: number): boolean {
  return relaunched && performance.now() - first < REPEATED_SIGNAL_MS;
}

/** The launcher's process id, in the relaunched process's environment (and removed from it there). */
const LAUNCHED = 'SEGKIT_LAUNCHER_PID';
/** How often the relaunched process checks that its launcher is there. */
const WATCH_MS = 50;

/**
 * In the relaunched process: ends it, as SIGKILL would, within WATCH_MS of the launcher being gone. The launcher
 * passes on the signals it can catch, but not SIGKILL: without this, `kill -9` of the command's process would leave
 * the run going (a queue worker, say, finishing and taking jobs it was meant to drop). The check runs on a thread
 * of its own, as the main thread may be busy for seconds at a time.
 */
export function followLauncher(): void {
  const launcher = Number(process.env[LAUNCHED]);
  if (!(launcher > 0)) return;
  delete process.env[LAUNCHED];
  relaunched = true;
  const watcher = new Worker(
    `const { workerData } = require('node:worker_threads');
     const check = () => { if (process.ppid !== workerData.launcher) process.kill(process.pid, 'SIGKILL'); };
     check();
     setInterval(check, workerData.ms);`,
    { eval: true, workerData: { launcher, ms: WATCH_MS } },
  );
  watcher.unref();
}

/**
 * Runs this command again in a child process with huge pages for malloc's large blocks, passing on the signals this
 * process receives and ending as the child ends (its exit code, or the signal that stopped it). Resolves false,
 * having done nothing, when relaunching cannot help or the child cannot be started; otherwise never resolves.
 */
export function relaunchWithHugePages(): Promise<boolean> {
  // no command (help, the version) has no data to hold
  const command = process.argv[2];
  if (command === undefined || command.startsWith('-') || command === 'help') return Promise.resolve(false);
  const tunables = hugePageTunables(process.env, process.platform, thpMode, glibc);
  if (tunables === undefined) return Promise.resolve(false);
  return new Promise((resolve) => {
    // the child learns this process's id, to end when it is gone (followLauncher)
    let child: ChildProcess;
    try {
      // the relaunched process loads apache-arrow from one file (dist/vendor/arrow.js, made by app/build.mjs), and
      // starts V8's old generation larger
      child = spawn(process.execPath, [...process.execArgv, ...relaunchFlags(process.execArgv, process.env.NODE_OPTIONS), ...process.argv.slice(1)], {
        stdio: 'inherit',
        env: { ...process.env, GLIBC_TUNABLES: tunables, [LAUNCHED]: String(process.pid) },
      });
    } catch {
      // some failures to start are thrown rather than emitted (E2BIG, ELOOP, ...): the command then runs here
      resolve(false);
      return;
    }
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const handlers = FORWARDED.map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    let started = false;
    child.on('spawn', () => (started = true));
    // A failure to start: the command then runs here. (The child's own failures are its exit code.)
    child.on('error', () => {
      if (started) return;
      for (const [s, h] of handlers) process.off(s, h);
      resolve(false);
    });
    child.on('exit', (code, signal) => {
      if (signal) {
        for (const [s, h] of handlers) process.off(s, h);
        process.kill(process.pid, signal);
        // still here: a signal this process ignores (as process 1 of a container does): the shell's code for it
        process.exit(128 + (constants.signals[signal] ?? 0));
      }
      // the handlers stay while this process exits: a signal (a terminal's Ctrl-C again) in the moments exit takes
      // would otherwise end it by the signal, not with the run's code
      process.exit(code ?? 1);
    });
  });
}
