// The TypeScript modules of src/, for tests that check how the package's code imports a dependency.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../src/', import.meta.url));

/** Every module of src/ (its path under src/) and how many there are, with those whose text matches `pattern`. */
export function srcModulesMatching(pattern: RegExp): { total: number; matching: string[] } {
  const files = (readdirSync(ROOT, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  return { total: files.length, matching: files.filter((f) => pattern.test(readFileSync(ROOT + f, 'utf8'))) };
}
