// A real Redis server and real `segkit worker` processes for the distributed tests: started on 127.0.0.1 on free
// ports, stopped by process id; `describeRedis` and `useRedis` give each test file the same set-up and clean-up.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe } from 'vitest';
import { close } from '../../src/index.node.js';

export const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
export const hasRedis = !!REDIS_SERVER && spawnSync(REDIS_SERVER, ['--version']).status === 0;
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const TEST_OPS = fileURLToPath(new URL('./testOps.mjs', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A port nothing listens on (for the unreachable-Redis checks). */
export const closedPort = freePort;

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.setTimeout(500, () => { s.destroy(); resolve(false); });
    s.on('error', () => resolve(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      got += d.toString();
      if (got.includes('\r\n')) { s.end(); resolve(got.startsWith('+PONG')); }
    });
  });
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** The server's process id (while it runs). */
  readonly pid: number;
  /** Stops the server (resumed first if paused); resolves once it has exited. */
  stop(): Promise<void>;
  /** Starts it again, empty, on the same port (after `stop`). */
  start(): Promise<void>;
  /** SIGSTOP: the server keeps its connections but answers nothing, as a hung host. */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
}

async function launch(port: number): Promise<ChildProcess> {
  const proc = spawn(REDIS_SERVER!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
  for (let i = 0; i < 400 && proc.exitCode === null && !(await ping(port)); i++) await new Promise((r) => setTimeout(r, 25));
  if (proc.exitCode !== null || !(await ping(port))) {
    proc.kill('SIGKILL');
    throw new Error(`redis-server did not start on port ${port}`);
  }
  return proc;
}

/** Starts redis-server in memory only (no persistence) on a free port. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let proc = await launch(port);
  const signal = (s: NodeJS.Signals) => {
    if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid!, s);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() { return proc.pid!; },
    stop: () => {
      signal('SIGCONT');
      return stopProcess(proc);
    },
    start: async () => {
      proc = await launch(port);
    },
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
  };
}

function stopProcess(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    process.kill(proc.pid!, signal);
  });
}

/** A running `segkit worker` process and everything it has printed. */
export class WorkerProcess {
  readonly proc: ChildProcess;
  out = '';
  readonly exited: Promise<number | null>;
  constructor(redis: string, store: string, args: readonly string[] = []) {
    // a process group of its own: `segkit` may run the worker as a child of a launcher (huge pages), and a SIGKILL,
    // which no launcher can pass on, must reach both, as when a machine dies
    this.proc = spawn(process.execPath, [CLI, 'worker', '--redis', redis, '--store', store, '--ops', TEST_OPS, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.proc.stdout!.on('data', (d) => { this.out += d.toString(); });
    this.proc.stderr!.on('data', (d) => { this.out += d.toString(); });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
  }
  get id(): string {
    return /worker (\S+) serving/.exec(this.out)?.[1] ?? '';
  }
  /** Resolves once the worker serves its queues. */
  async ready(): Promise<void> {
    for (let i = 0; i < 600 && !this.id; i++) {
      if (this.proc.exitCode !== null) throw new Error(`segkit worker exited with ${this.proc.exitCode}: ${this.out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!this.id) throw new Error(`segkit worker did not start: ${this.out}`);
  }
  /** Lines of the jobs it ran ("<time> job <id> <op> shard <s>: <ms> ms..."; not BullMQ's errors naming a job). */
  jobs(): string[] {
    return this.out.split('\n').filter((l) => /^\S+ job \S+ .* shard \d+: \d+\.\d ms/.test(l));
  }
  /** SIGKILL ends the whole process group at once; other signals go to the command, which passes them on. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (signal !== 'SIGKILL' || this.proc.exitCode !== null || this.proc.signalCode !== null) return stopProcess(this.proc, signal);
    return new Promise((resolve) => {
      this.proc.once('exit', () => resolve());
      process.kill(-this.proc.pid!, 'SIGKILL');
    });
  }
}

/** Starts `count` workers and waits until each serves its queues. */
export async function startWorkers(redis: string, store: string, count: number, args: readonly string[] = []): Promise<WorkerProcess[]> {
  const ws = Array.from({ length: count }, () => new WorkerProcess(redis, store, args));
  await Promise.all(ws.map((w) => w.ready()));
  return ws;
}

const noticed = new Set<string>();

/**
 * `describe` for tests that need redis-server: skipped when it is not installed, with a notice naming the file
 * (printed once per file).
 */
export function describeRedis(file: string): ReturnType<typeof describe.skipIf> {
  if (!hasRedis && !noticed.has(file)) {
    noticed.add(file);
    console.warn(`${file}: skipped, redis-server not found (install Debian's redis-server package to run it)`);
  }
  return describe.skipIf(!hasRedis);
}

export interface RedisSetupOptions {
  /** A temporary directory (this prefix under the system's), whose `store` folder is the file store. */
  dir?: string;
  /** `segkit worker` processes started on that store (default none), with these extra arguments. */
  workers?: number;
  workerArgs?: readonly string[];
  /** An ioredis client on the server, for the tests' own look-ups (default false). */
  client?: boolean;
}

/** What `useRedis` set up, valid inside the tests of its `describe`. */
export interface RedisSetup {
  readonly redis: RedisServer;
  readonly url: string;
  /** The temporary directory ('' without the `dir` option). */
  readonly dir: string;
  /** `file://` URL of its `store` folder. */
  readonly store: string;
  readonly client: Redis;
  /** The worker processes (a test may replace ones it killed). */
  workers: WorkerProcess[];
  /** The first of them. */
  readonly worker: WorkerProcess;
}

/**
 * Starts a redis-server before the tests of the enclosing `describe` (and, as asked, a temporary store, workers and
 * a client), and stops everything after them: the client, the workers (SIGTERM), the server, segkit's default
 * executor, and the directory goes. After-hooks a file adds itself run before these.
 */
export function useRedis(options: RedisSetupOptions = {}): RedisSetup {
  let redis: RedisServer | undefined, client: Redis | undefined, dir = '';
  const setup: RedisSetup = {
    get redis() { return redis!; },
    get url() { return redis!.url; },
    get dir() { return dir; },
    get store() { return pathToFileURL(path.join(dir, 'store')).href; },
    get client() { return client!; },
    workers: [],
    get worker() { return this.workers[0]; },
  };
  beforeAll(async () => {
    redis = await startRedis();
    if (options.dir) dir = mkdtempSync(path.join(tmpdir(), options.dir));
    if (options.workers) setup.workers = await startWorkers(redis.url, setup.store, options.workers, options.workerArgs);
    // loaded only here: a file without a client of its own loads ioredis when its executor connects, as before
    if (options.client) client = new (await import('ioredis')).Redis(redis.url);
  }, 120_000);
  afterAll(async () => {
    client?.disconnect();
    await Promise.all(setup.workers.map((w) => w.kill('SIGTERM')));
    await redis?.stop();
    await close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);
  return setup;
}
