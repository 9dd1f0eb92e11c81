import { type Command, Option } from 'commander';
import { MISSING_TOKENS } from '../data/csvCore.js';
import { integer, naList, decimalMark, delimiterValue, encodingValue } from './optionParsers.js';
import { Progress } from './progress.js';

/** Flags every command takes. */
export interface CommonFlags {
  readonly threads?: number;
  readonly quiet?: boolean;
  readonly json?: boolean;
  readonly delimiter?: string;
  readonly decimal?: '.' | ',';
  readonly encoding?: string;
  readonly na?: string[];
}

export function addCommonOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--delimiter <char>', 'CSV field separator: auto (detect , ; tab | from the header), or the character (tab for tabs)').argParser(delimiterValue))
    .addOption(new Option('--decimal <mark>', 'decimal mark of numbers in CSV: . or , (for 1,5)').argParser(decimalMark))
    .addOption(new Option('--encoding <name>', 'text encoding of the input (utf-8, latin1, windows-1252, utf-16le, ...)').argParser(encodingValue))
    .addOption(new Option('--na <list>', `cells that mean "missing", comma-separated, besides the empty cell (default: ${MISSING_TOKENS.join(',')})`).argParser(naList))
    .addOption(new Option('--threads <n>', 'worker threads (default: all cores)').argParser(integer(1)))
    .option('--json', 'print a machine-readable summary on stdout (errors too)')
    .option('-q, --quiet', 'no progress bars or notes on stderr');
}

/** How text inputs are read: the reader options the flags ask for. */
export interface ReadSettings {
  /** Given with --delimiter; undefined: detected for CSV, a tab for TSV. */
  readonly delimiter?: string;
  readonly decimal: '.' | ',';
  readonly encoding?: string;
  /** Cells read as missing, the empty cell included. */
  readonly nullValues: readonly string[];
  /** The reading options given (--delimiter, --decimal, --encoding, --na): each applies to some formats only. */
  readonly given: readonly string[];
}

/** What one command run needs from the process: the cancel signal, progress bars, notes and the two output streams. */
export class RunContext {
  readonly signal: AbortSignal;
  readonly progress: Progress;
  readonly quiet: boolean;
  readonly json: boolean;
  readonly threads: number | undefined;
  readonly read: ReadSettings;
  /** Every note given, for the --json summary. */
  readonly notices: string[] = [];

  constructor(signal: AbortSignal, flags: CommonFlags) {
    this.signal = signal;
    this.quiet = flags.quiet === true;
    this.json = flags.json === true;
    this.threads = flags.threads;
    this.progress = new Progress(this.quiet);
    this.read = {
      ...(flags.delimiter !== undefined && flags.delimiter !== 'auto' ? { delimiter: flags.delimiter } : {}),
      decimal: flags.decimal ?? '.',
      ...(flags.encoding !== undefined ? { encoding: flags.encoding } : {}),
      nullValues: ['', ...(flags.na ?? MISSING_TOKENS)],
      given: (['delimiter', 'decimal', 'encoding', 'na'] as const).filter((o) => flags[o] !== undefined).map((o) => `--${o}`),
    };
  }

  /** A note for people on stderr (never with --quiet); kept for the --json summary either way. */
  note(line: string): void {
    this.notices.push(line);
    if (this.quiet) return;
    this.progress.stop();
    process.stderr.write(`${line}\n`);
  }

  /** A step of the run on stderr with SEGKIT_DEBUG=1, for people (and tests) following a long run. */
  step(what: string): void {
    if (process.env.SEGKIT_DEBUG === '1') process.stderr.write(`segkit: ${what}\n`);
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
