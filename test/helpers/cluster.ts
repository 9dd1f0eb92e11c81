// A real Redis server and real `segkit worker` processes for the distributed tests and benchmarks: started on
// 127.0.0.1 on free ports, stopped by process id.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

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
  stop(): Promise<void>;
}

/** Starts redis-server in memory only (no persistence) on a free port. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const proc = spawn(REDIS_SERVER!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await ping(port)); i++) await new Promise((r) => setTimeout(r, 50));
  if (!(await ping(port))) {
    proc.kill('SIGKILL');
    throw new Error(`redis-server did not start on port ${port}`);
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop: () => stopProcess(proc) };
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
