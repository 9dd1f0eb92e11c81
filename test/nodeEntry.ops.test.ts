// A process serving shards (serveShards, `segkit worker`) runs only the ops it has loaded, never code sent to it: the
// Node entry must register every shard op segkit defines, including those of modules the neutral entry loads on
// first use.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

describe('the Node entry', () => {
  it('registers every shard op segkit defines', async () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => {
        const p = path.join(dir, f);
        return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
      });
    const names = files(SRC)
      .filter((f) => !f.endsWith('shardOp.ts') && /\bdefineOp\s*[<(]/.test(readFileSync(f, 'utf8')))
      .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/name:\s*'([\w.]+)'/g)].map((m) => m[1]));
    expect(names.length).toBeGreaterThan(10);
    expect(names).toContain('tree.growLocal');
    await import('../src/index.node.js');
    const { registeredOps } = await import('../src/engine/shardOp.js');
    const registered = new Set(registeredOps().map((op) => op.name));
    expect(names.filter((n) => !registered.has(n))).toEqual([]);
  });
});
