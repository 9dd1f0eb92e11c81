// Rows whose category a model's one-hot encoder did not see at fit time (a missing value too, in a column that had
// none): encoded as no category (all zeros), as the encoder's handleUnknown "ignore" says, and told to the user rather
// than passed over; likewise the missing values a model's imputer fills with the values it learnt at fit time.
import type { ImputerReport } from '../prep/imputer.js';
import type { OneHotEncoderReport } from '../prep/oneHotEncoder.js';
import type { PipelineReport } from '../prep/pipeline.js';
import type { StepReport } from '../prep/step.js';

/** Adds a transform's rows with unseen categories, by column, to `into`. */
export function countUnknown(into: Map<string, number>, report: PipelineReport | null | undefined): void {
  for (const step of report?.steps ?? []) {
    if (step.kind !== 'oneHotEncoder') continue;
    for (const c of (step as OneHotEncoderReport).columns) if (c.unknown > 0) into.set(c.column, (into.get(c.column) ?? 0) + c.unknown);
  }
}

/** A note naming each column and its rows with unseen categories, or undefined when there are none. */
export function unknownNote(counts: ReadonlyMap<string, number>, what: string): string | undefined {
  if (counts.size === 0) return undefined;
  const parts = [...counts].map(([column, n]) => `${column} ${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'}`);
  return `${what} holds categories (or missing values) the model did not see at fit time (${parts.join(', ')}): they are encoded as no category (all zeros)`;
}

/** Adds the missing values a transform's imputer filled, by column, to `into`. */
export function countFilled(into: Map<string, number>, steps: readonly StepReport[] | undefined): void {
  for (const step of steps ?? []) {
    if (step.kind !== 'imputer') continue;
    for (const c of (step as ImputerReport).columns) if (c.filled > 0) into.set(c.column, (into.get(c.column) ?? 0) + c.filled);
  }
}

/** A note naming each column and its missing values the model's imputer filled, or undefined when there are none. */
export function filledNote(counts: ReadonlyMap<string, number>, what: string): string | undefined {
  if (counts.size === 0) return undefined;
  const parts = [...counts].map(([column, n]) => `${column} ${n.toLocaleString('en-US')}`);
  return `filled missing values of ${what} with the model's fill values (learnt at fit time): ${parts.join(', ')}`;
}
