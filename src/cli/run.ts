// The segkit command: parses the command line, runs one command, and always stops the worker pools before exiting.
// `main.ts` starts it (see hugePages.node.ts).
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { SegkitError } from '../util/errors.js';
import { close } from '../engine/defaultExecutor.js';
// the worker pool as the default executor (--threads), as the Node entry registers it
import '../engine/nodeDefault.node.js';
import { removeTemporaryFiles, writeFailure } from '../data/writeFileAtomic.node.js';
import { repeatsSignal } from './hugePages.node.js';
import { EXIT, errorJson, errorText, exitCodeFor } from './exitCodes.js';
import { refuseRepeatedOptions } from './repeatedOptions.js';

type Register = (program: Command, signal: AbortSignal) => void;

/**
 * Each command's module, in the order `segkit --help` lists them. A run loads only its own command's module (and
 * what that imports): loading every command took about 0.45 s of `segkit --help`'s 0.58 s, and pulled in the job
 * queue, the chart grammar and the statistics libraries for commands that use none of them.
 */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<Register>]> = [
  ['segment', async () => (await import('./segment.js')).registerSegment],
  ['score', async () => (await import('./score.js')).registerScore],
  ['update', async () => (await import('./update.js')).registerUpdate],
  ['rfm', async () => (await import('./rfm.js')).registerRfm],
  ['evaluate', async () => (await import('./evaluate.js')).registerEvaluate],
  ['choose-k', async () => (await import('./chooseK.js')).registerChooseK],
  ['explain', async () => (await import('./explain.js')).registerExplain],
  ['train', async () => (await import('./train.js')).registerTrain],
  ['compare', async () => (await import('./compare.js')).registerCompare],
  ['abtest', async () => (await import('./abtest.js')).registerAbTest],
  ['app', async () => (await import('./app.js')).registerApp],
  ['worker', async () => (await import('./worker.js')).registerWorker],
];

/**
 * The command named first on the command line, when it is one; none for the version alone; otherwise (help, a typo,
 * none) every command is registered.
 */
function commandsFor(argv: readonly string[]): ReadonlyArray<readonly [string, () => Promise<Register>]> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) return [];
  const named = COMMANDS.find(([name]) => name === argv[0]);
  return named ? [named] : COMMANDS;
}

// After Ctrl-C, how long the running step may take to notice the signal and clean up its temporary files.
const CANCEL_GRACE_MS = 3000;

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

async function program(signal: AbortSignal, json: boolean, argv: readonly string[]): Promise<Command> {
  const cmd = new Command('segkit')
    .description('Customer segmentation from the command line: k-means, mini-batch k-means and Gaussian-mixture segments, RFM scores, metrics and HTML reports')
    .version(version(), '-V, --version', 'print the segkit version')
    .helpCommand('help [command]', 'show help for a command')
    .exitOverride()
    .showSuggestionAfterError()
    // under --json the error goes to stdout as JSON instead, once the run has failed
    .configureOutput({ outputError: (text, write) => (json ? undefined : write(`segkit: ${text.trim()}\n`)) });
  const registers = await Promise.all(commandsFor(argv).map(([, load]) => load()));
  for (const register of registers) register(cmd, signal);
  refuseRepeatedOptions(cmd);
  cmd.addHelpText('after', `
Examples:
  $ segkit segment customers.csv --out segments.csv --model model.json --report report.html
  $ segkit score new-customers.csv --model model.json --out scored.csv
  $ segkit update model.json new-customers.csv --half-life 30
  $ segkit rfm transactions.csv --customer customer_id --date date --amount amount --out rfm.csv
  $ segkit choose-k customers.csv --k-range 2..10
  $ segkit evaluate segments.csv --labels segment --truth segment_truth
  $ segkit explain segments.csv --labels segment --report report.html --value monetary --audit gender
  $ segkit train labelled.csv --target segment --model classifier.json --cv 5
  $ segkit compare before.csv after.csv --model model.json --id customer_id --report changes.html
  $ segkit abtest results.csv --segment segment --group variant --outcome converted

Exit codes: 0 success, 1 failure (unreadable file, bad model, bad data), 2 bad usage, 130 cancelled (Ctrl-C),
143 stopped (SIGTERM), 129 stopped (SIGHUP); a cancelled run leaves every existing output file as it was.
With --json, errors are printed on stdout as { "error": { "code", "message", "hint" } }.
Set SEGKIT_DEBUG=1 to print stack traces and the steps of a run.`);
  return cmd;
}

/** Resolves when the command settles, or a grace period after Ctrl-C if it has not by then. */
function settleOrCancel(run: Promise<unknown>, signal: AbortSignal): Promise<void> {
  const done = run.then(() => undefined);
  const cancelled = new Promise<void>((resolve) => {
    const onAbort = () => {
      const timer = setTimeout(resolve, CANCEL_GRACE_MS);
      timer.unref();
      done.then(() => { clearTimeout(timer); resolve(); }, () => { clearTimeout(timer); resolve(); });
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([done, cancelled]);
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve());
  });
}

/** Whether --json is on the command line (before any "--"): errors are then JSON too, even usage errors. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** A write to standard output that failed other than by the reader closing it (EPIPE). */
let stdoutFailure: unknown;

async function main(): Promise<number> {
  const debug = process.env.SEGKIT_DEBUG === '1';
  const json = wantsJson(process.argv.slice(2));
  if (debug && /(^|:)glibc\.malloc\.hugetlb=1(:|$)/.test(process.env.GLIBC_TUNABLES ?? '')) process.stderr.write('segkit: huge pages for large arrays (glibc.malloc.hugetlb=1)\n');
  // (import.meta.resolve is there from Node 20.6)
  if (debug && typeof import.meta.resolve === 'function' && import.meta.resolve('#arrow').endsWith('/vendor/arrow.js')) process.stderr.write('segkit: apache-arrow from its one-file build\n');
  const oldSpace = debug ? process.execArgv.find((a) => a.startsWith('--initial-old-space-size=')) : undefined;
  if (oldSpace) process.stderr.write(`segkit: V8's old generation starts at ${oldSpace.split('=')[1]} MiB\n`);
  const controller = new AbortController();
  // A stopped run leaves no temporary file behind, however it ends.
  process.on('exit', removeTemporaryFiles);
  let stopCode: number = EXIT.cancelled;
  let first: { code: number; at: number } | undefined;
  const stop = (code: number) => () => {
    const at = performance.now();
    // The same signal again within a moment is one event delivered twice: Ctrl-C in a terminal reaches both this
    // process and the launcher that started it (main.ts), which passes on the signals it receives.
    if (first?.code === code && repeatsSignal(first.at)) return;
    // A second signal does not wait for the running step.
    if (first) process.exit(code);
    first = { code, at };
    stopCode = code;
    controller.abort(new Error(code === EXIT.cancelled ? 'interrupted' : code === EXIT.hangup ? 'hung up' : 'terminated'));
  };
  process.on('SIGINT', stop(EXIT.cancelled));
  process.on('SIGTERM', stop(EXIT.terminated));
  // the terminal closed (an SSH session dropped): stopped as SIGTERM stops a run, its temporary files removed
  process.on('SIGHUP', stop(EXIT.hangup));
  // A reader that stops early (segkit ... --out - | head) stops the work; that is not an error to report.
  let pipeClosed = false;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    // any other failure (a full disk) lost the result: the run fails, once it has ended
    if (error.code !== 'EPIPE') {
      stdoutFailure ??= error;
      return;
    }
    pipeClosed = true;
    controller.abort(error);
  });
  let code: number = EXIT.ok;
  let failure: unknown;
  try {
    const cmd = await program(controller.signal, json, process.argv.slice(2));
    await settleOrCancel(cmd.parseAsync(process.argv), controller.signal);
  } catch (error) {
    code = exitCodeFor(error);
    failure = error;
    // commander has printed its own usage messages already (unless --json asked for JSON).
    const report = !json && !(error instanceof CommanderError) && (debug || !controller.signal.aborted);
    if (report) process.stderr.write(`${errorText(error, debug)}\n`);
  }
  if (pipeClosed) code = EXIT.ok;
  else if (controller.signal.aborted) {
    code = stopCode;
    failure = new SegkitError('E_ABORTED', stopCode === EXIT.cancelled ? 'cancelled (Ctrl-C); no output file was replaced' : `stopped (${stopCode === EXIT.hangup ? 'SIGHUP' : 'SIGTERM'}); no output file was replaced`);
    if (!json) process.stderr.write('cancelled\n');
  }
  if (json && code !== EXIT.ok && failure !== undefined) {
    process.stdout.write(`${JSON.stringify(errorJson(failure))}\n`);
    if (debug && failure instanceof Error && failure.stack) process.stderr.write(`${failure.stack}\n`);
  }
  try {
    await close();
  } catch (error) {
    if (debug) process.stderr.write(`${errorText(error, debug)}\n`);
  }
  return code;
}

main().then(
  async (code) => {
    await Promise.all([flush(process.stdout), flush(process.stderr)]);
    if (stdoutFailure !== undefined && code === EXIT.ok) {
      process.stderr.write(`${errorText(writeFailure('-', stdoutFailure), process.env.SEGKIT_DEBUG === '1')}\n`);
      code = EXIT.failure;
    }
    process.exit(code);
  },
  (error) => {
    process.stderr.write(`${errorText(error, process.env.SEGKIT_DEBUG === '1')}\n`);
    process.exit(EXIT.failure);
  },
);
