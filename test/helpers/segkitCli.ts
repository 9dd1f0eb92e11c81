// Runs the built command (dist/cli/main.js) as a user would; `npm test` builds it first.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'dist', 'cli', 'main.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function environment(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, ...extra };
  if (!extra.SEGKIT_DEBUG) delete env.SEGKIT_DEBUG;
  return env;
}

/** Runs `segkit args...` in `cwd` to the end. */
export function segkit(cwd: string, args: readonly string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, input: options.input ?? '', encoding: 'utf8', env: environment(options.env), timeout: 120_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `segkit args...` and fails the test unless it exits 0. */
export function ok(cwd: string, args: readonly string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): Run {
  const r = segkit(cwd, args, options);
  if (r.code !== 0) throw new Error(`segkit ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r;
}

/**
 * Starts `segkit args...`, sends `signal` once `ready` (a check run on every stderr chunk and every 20 ms) says so,
 * and resolves with the exit status and output. SEGKIT_DEBUG=1 makes segkit print its steps on stderr.
 */
export function interrupted(cwd: string, args: readonly string[], signal: NodeJS.Signals, ready: (stderr: string) => boolean, options: { group?: boolean; againAfterMs?: number } = {}): Promise<Run & { signalled: boolean }> {
  return new Promise((resolve, reject) => {
    // with `group`, segkit leads a process group of its own and the signal goes to every process in it, as Ctrl-C
    // in a terminal does; otherwise to segkit's process alone, as `kill` does. With `againAfterMs`, the signal goes
    // to segkit's process once more that long after.
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: environment({ SEGKIT_DEBUG: '1' }), stdio: ['ignore', 'pipe', 'pipe'], detached: options.group === true });
    let stdout = '', stderr = '', signalled = false;
    const poll = setInterval(check, 20);
    function check() {
      if (!signalled && ready(stderr)) {
        signalled = true;
        if (options.group) process.kill(-child.pid!, signal);
        else child.kill(signal);
        if (options.againAfterMs !== undefined) setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill(signal), options.againAfterMs);
      }
    }
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      check();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ code, stdout, stderr, signalled });
    });
  });
}
