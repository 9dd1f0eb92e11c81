// segkit worker: a long-running process that runs shard ops for bullmq executors (fits and scoring spread over machines).
import { repeatsSignal } from './hugePages.node.js';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Command, Option } from 'commander';
import { SegkitError, serveShards } from '../index.node.js';
import { integer } from './optionParsers.js';
import { queueName, redisUrl, storeUrl } from './executorOptions.js';

interface WorkerFlags {
  readonly redis: string;
  readonly store: string;
  readonly queue: string;
  readonly concurrency: number;
  readonly lockMs: number;
  readonly ops?: string[];
  readonly quiet?: boolean;
}

const EXAMPLES = `
Examples:
  $ segkit worker --redis redis://10.0.0.5:6379 --store file:///mnt/segkit --concurrency 2
  $ segkit worker --redis rediss://:secret@redis.internal:6380 --store file:///mnt/segkit --ops ./my-ops.mjs

Run one worker per core on every machine that reaches Redis and the store. It keeps each shard it is given while
the fit lasts, logs one line per job, and on SIGTERM finishes its running jobs before it exits; a worker that dies
has its jobs retried by the others once their locks expire (--lock-ms).`;

export function registerWorker(program: Command, signal: AbortSignal): void {
  program
    .command('worker')
    .description('serve shard ops for bullmq executors (segkit score --executor redis://..., bullmqExecutor())')
    .addOption(new Option('--redis <url>', 'Redis URL: redis://host:6379, rediss:// for TLS, redis://:password@host').argParser(redisUrl('--redis')).makeOptionMandatory())
    .addOption(new Option('--store <url>', 'where callers put shards, as this machine reaches it (file:///shared/dir)').argParser(storeUrl('--store')).makeOptionMandatory())
    .addOption(new Option('--concurrency <n>', 'jobs at once: overlaps store reads (compute is one thread: run a worker per core)').argParser(integer(1)).default(1))
    .addOption(new Option('--queue <name>', 'queue name shared with the callers').argParser(queueName('--queue')).default('segkit'))
    .addOption(new Option('--lock-ms <ms>', 'job lock: a dead worker\'s job is retried elsewhere this long after it died').argParser(integer(1000, 2 ** 31 - 1)).default(30_000))
    .option('--ops <modules...>', 'modules defining more shard ops, loaded at start (jobs only name registered ops)')
    .option('-q, --quiet', 'no line per job (start, stop and failures are still logged)')
    .addHelpText('after', EXAMPLES)
    .action((flags: WorkerFlags) => runWorker(flags, signal));
}

async function runWorker(f: WorkerFlags, signal: AbortSignal): Promise<void> {
  for (const m of f.ops ?? []) {
    try {
      await import(pathToFileURL(path.resolve(m)).href);
    } catch (error) {
      throw new SegkitError('E_IO', `cannot load op module "${m}": ${(error as Error).message}`, undefined, { cause: error });
    }
  }
  const log = (line: string) => void process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  const worker = await serveShards({ connection: f.redis, store: f.store, queue: f.queue, concurrency: f.concurrency, lockDuration: f.lockMs, log, logJobs: !f.quiet });
  // A worker is a service: SIGTERM is how it is told to stop (running jobs finish, exit 0), not a cancellation;
  // a second SIGTERM ends it at once. Ctrl-C cancels as in every command.
  process.removeAllListeners('SIGTERM');
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => {
      const at = performance.now();
      // the second SIGTERM: unless it is the first one again, passed on by the launcher (see hugePages.node.ts)
      process.on('SIGTERM', () => {
        if (!repeatsSignal(at)) process.exit(143);
      });
      resolve();
    });
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await worker.close();
}
