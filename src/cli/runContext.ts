import { type Command, Option } from 'commander';
import { integer } from './optionParsers.js';
import { Progress } from './progress.js';

/** Flags every command takes. */
export interface CommonFlags {
  readonly threads?: number;
  readonly quiet?: boolean;
  readonly json?: boolean;
}

export function addCommonOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--threads <n>', 'worker threads (default: all cores)').argParser(integer(1)))
    .option('--json', 'print a machine-readable summary on stdout')
    .option('-q, --quiet', 'no progress bars or notes on stderr');
}

/** What one command run needs from the process: the cancel signal, progress bars and the two output streams. */
export class RunContext {
  readonly signal: AbortSignal;
  readonly progress: Progress;
  readonly quiet: boolean;
  readonly json: boolean;
  readonly threads: number | undefined;

  constructor(signal: AbortSignal, flags: CommonFlags) {
    this.signal = signal;
    this.quiet = flags.quiet === true;
    this.json = flags.json === true;
    this.threads = flags.threads;
    this.progress = new Progress(this.quiet);
  }

  /** A note for people on stderr (never with --quiet). */
  note(line: string): void {
    if (this.quiet) return;
    this.progress.stop();
    process.stderr.write(`${line}\n`);
  }

  /** The command's result on stdout. */
  print(text: string): void {
    this.progress.stop();
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  printJson(value: unknown): void {
    this.print(JSON.stringify(value, (_key, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2));
  }
}
