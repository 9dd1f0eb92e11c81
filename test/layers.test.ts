// Every import points down the house (STYLE.md): no cycles, no floor importing a floor above it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
// top to bottom; a file may import its own floor or any floor below
const FLOORS = ['cli', 'index', 'report', 'explain', 'workflow', 'core', 'metrics', 'prep', 'features', 'data', 'engine', 'kernels', 'util'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const floorOf = (file: string): string => {
  const rel = path.relative(SRC, file);
  return rel.includes(path.sep) ? rel.split(path.sep)[0] : 'index';
};

const graph = new Map<string, string[]>();
for (const f of files(SRC)) {
  const text = readFileSync(f, 'utf8');
  const deps = [...text.matchAll(/(?:from\s+|import\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => path.resolve(path.dirname(f), m[1]).replace(/\.js$/, '.ts'));
  graph.set(f, deps);
}

describe('the import graph of src/', () => {
  it('resolves every relative import to a file', () => {
    expect(graph.size).toBeGreaterThan(0);
    expect([...graph.values()].some((deps) => deps.length > 0)).toBe(true);
    const missing = [...graph].flatMap(([f, deps]) => deps.filter((d) => !graph.has(d)).map((d) => `${path.relative(SRC, f)} -> ${path.relative(SRC, d)}`));
    expect(missing).toEqual([]);
  });

  it('has no cycle', () => {
    // Tarjan's strongly connected components: any component of more than one file is a cycle
    let index = 0;
    const idx = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string): void => {
      idx.set(v, index); low.set(v, index); index++;
      stack.push(v); on.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!graph.has(w)) continue;
        if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
      if (low.get(v) === idx.get(v)) {
        const comp: string[] = [];
        let w: string;
        do { w = stack.pop()!; on.delete(w); comp.push(path.relative(SRC, w)); } while (w !== v);
        if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(comp);
      }
    };
    for (const v of graph.keys()) if (!idx.has(v)) visit(v);
    expect(cycles).toEqual([]);
  });

  it('points down: no floor imports a floor above it, and nothing imports the sample generators', () => {
    const up: string[] = [];
    for (const [f, deps] of graph) {
      const from = floorOf(f);
      for (const d of deps) {
        const to = floorOf(d);
        if (to === 'sample' && from !== 'sample') up.push(`${path.relative(SRC, f)} -> ${path.relative(SRC, d)} (sample data is its own entry)`);
        if (from === 'sample' || to === 'sample') continue;
        if (FLOORS.indexOf(to) < FLOORS.indexOf(from)) up.push(`${path.relative(SRC, f)} -> ${path.relative(SRC, d)}`);
      }
    }
    expect(up).toEqual([]);
  });

  it('only kernels/ knows the wasm exports and memory layout; core/ and metrics/ never touch a heap, a pool or an executor class', () => {
    const wrong: string[] = [];
    for (const [f, deps] of graph) {
      const from = floorOf(f);
      for (const d of deps) {
        const rel = path.relative(SRC, d);
        if (from !== 'kernels' && from !== 'engine' && /^kernels[\\/](wasm|heap|wasmBytes)/.test(rel)) wrong.push(`${path.relative(SRC, f)} -> ${rel}`);
        if ((from === 'core' || from === 'metrics') && /^engine[\\/](heapExecutor|piscina|inline|loopback|worker)/.test(rel)) wrong.push(`${path.relative(SRC, f)} -> ${rel}`);
      }
      if (from !== 'kernels' && /\.kernels\.\w+\(/.test(readFileSync(f, 'utf8'))) wrong.push(`${path.relative(SRC, f)} calls a wasm export directly`);
    }
    expect(wrong).toEqual([]);
  });

  it('the neutral entry imports nothing from node:* (the Node entry adds the pool and files)', () => {
    const seen = new Set<string>();
    const reach = (f: string): void => {
      if (seen.has(f)) return;
      seen.add(f);
      for (const d of graph.get(f) ?? []) reach(d);
    };
    reach(path.join(SRC, 'index.ts'));
    expect(seen.size).toBeGreaterThan(1);
    const nodeOnly = [...seen].filter((f) => /from ['"]node:/.test(readFileSync(f, 'utf8'))).map((f) => path.relative(SRC, f));
    expect(nodeOnly).toEqual([]);
  });
});
