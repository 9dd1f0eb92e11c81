// Runs the built command (dist/cli/main.js); `npm test` builds it first.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = join(fileURLToPath(new URL('..', import.meta.url)), 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'segkit-rfm-invoices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rfmRows(log: string): Record<string, string[]> {
  writeFileSync(join(dir, 'log.csv'), log);
  const r = spawnSync(process.execPath, [BIN, 'rfm', 'log.csv', '--customer', 'customer', '--date', 'date', '--amount', 'amount', '--invoice', 'invoice', '--out', '-', '--quiet'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(r.stderr);
  const [header, ...lines] = r.stdout.trim().split('\n').map((l) => l.split(','));
  expect(header.slice(0, 4)).toEqual(['customer', 'recency', 'frequency', 'monetary']);
  return Object.fromEntries(lines.map((l) => [l[0], l.slice(1, 4)]));
}

describe('segkit rfm invoice ids', () => {
  it('reads invoice ids as written: 1.10 and 1.1, or 1E5 and 100000, are two orders, not one', () => {
    // every invoice looks like a number, so a reader inferring types would make 1.10 and 1.1 one float
    const rows = rfmRows(
      'customer,date,amount,invoice\n' +
        'A,2024-01-01,10,1.10\nA,2024-01-02,20,1.1\n' +
        'B,2024-01-03,5,1E5\nB,2024-01-04,6,100000\n' +
        'C,2024-01-04,7,2.5\nC,2024-01-04,8,2.5\n',
    );
    // the last day is 2024-01-04, so recency counts to 2024-01-05
    expect(rows).toEqual({ A: ['3', '2', '30.0'], B: ['1', '2', '11.0'], C: ['1', '1', '15.0'] });
  });
});
