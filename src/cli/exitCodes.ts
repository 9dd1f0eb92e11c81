import { CommanderError } from 'commander';
import { SegkitError, baseMessage } from '../util/errors.js';

/** The process exit codes of the segkit command. */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2, hangup: 129, cancelled: 130, terminated: 143 });

/** A command line that cannot run as given: a bad option value, a column the file does not have, clashing options. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

// Library errors whose cure is a different option value rather than different data.
const USAGE_CODES = new Set(['E_BAD_OPTION', 'E_TOO_FEW_DISTINCT']);

export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof SegkitError) {
    if (error.code === 'E_ABORTED') return EXIT.cancelled;
    return USAGE_CODES.has(error.code) ? EXIT.usage : EXIT.failure;
  }
  return EXIT.failure;
}

/** One line for stderr; the stack only with SEGKIT_DEBUG=1. */
export function errorText(error: unknown, debug: boolean): string {
  const known = error instanceof SegkitError || error instanceof UsageError;
  const message = error instanceof Error ? error.message : String(error);
  const line = `segkit: error: ${known ? '' : 'internal error: '}${message.replace(/\s*\n\s*/g, ' ')}`;
  if (debug && error instanceof Error && error.stack) return `${line}\n${error.stack}`;
  return line;
}

/** The --json form of an error: a stable code ("E_USAGE" for command-line mistakes), the message and the hint. */
export function errorJson(error: unknown): { error: { code: string; message: string; hint: string | null } } {
  if (error instanceof SegkitError) return { error: { code: error.code, message: baseMessage(error), hint: error.hint ?? null } };
  if (error instanceof CommanderError || error instanceof UsageError) {
    const message = error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim();
    return { error: { code: 'E_USAGE', message, hint: 'segkit <command> --help shows the options and examples' } };
  }
  return { error: { code: 'E_INTERNAL', message: error instanceof Error ? error.message : String(error), hint: 'SEGKIT_DEBUG=1 prints the stack trace' } };
}
