// What an executor factory is given is checked when it is called: a misspelt or bad option is E_BAD_OPTION naming it,
// never ignored (a pool on every core) nor left to fail at the first pass with another library's error.
import { afterAll, describe, expect, it } from 'vitest';
import { bullmqExecutor, close, fileStore, piscinaExecutor, serveShards } from '../src/index.node.js';
import { failure } from './helpers.js';

afterAll(() => close());

describe('piscinaExecutor options', () => {
  it('an unknown option is refused, naming it and the closest known one', async () => {
    const e = await failure(() => piscinaExecutor({ thread: 2 } as never));
    expect([e.code, e.message]).toEqual(['E_BAD_OPTION', 'piscinaExecutor: unknown option "thread"; did you mean "threads"? (piscinaExecutor takes: threads, idleTimeout)']);
    expect((await failure(() => piscinaExecutor({ maxThreads: 2 } as never))).code).toBe('E_BAD_OPTION');
    expect((await failure(() => piscinaExecutor(null as never))).code).toBe('E_BAD_OPTION');
  });

  it('a bad idleTimeout is refused when the executor is made, not at its first pass', async () => {
    for (const idleTimeout of [-5, Number.NaN, '100']) {
      const e = await failure(() => piscinaExecutor({ threads: 2, idleTimeout: idleTimeout as number }));
      expect([e.code, e.message]).toEqual(['E_BAD_OPTION', expect.stringMatching(/^option "idleTimeout" must be a non-negative number of milliseconds, got /)]);
    }
    // what piscina takes is still taken
    for (const idleTimeout of [0, 250, Number.POSITIVE_INFINITY]) expect(piscinaExecutor({ threads: 2, idleTimeout }).threads).toBe(2);
  });

  it('threads that are not a positive integer are refused', async () => {
    for (const threads of [0, -1, 1.5, 'two', Number.NaN]) {
      const e = await failure(() => piscinaExecutor({ threads: threads as number }));
      expect([e.code, e.message]).toEqual(['E_BAD_OPTION', `option "threads" must be a positive integer, got ${String(threads)}`]);
    }
  });
});

describe('bullmqExecutor options', () => {
  const store = 'file:///tmp/segkit-unused';
  it('a workerTimeout that is not a positive number is refused, even one that compares as one', async () => {
    for (const workerTimeout of ['5000', true, [5000], 0, -1, Number.NaN]) {
      const e = await failure(() => bullmqExecutor({ connection: 'redis://127.0.0.1:1', store, workerTimeout: workerTimeout as number }));
      expect([e.code, e.message]).toEqual(['E_BAD_OPTION', expect.stringMatching(/^option "workerTimeout" must be a positive number of milliseconds, got /)]);
    }
    for (const workerTimeout of [1, 60_000, Number.POSITIVE_INFINITY]) expect(bullmqExecutor({ connection: 'redis://127.0.0.1:1', store, workerTimeout }).kind).toBe('bullmq');
  });
});

describe('the shard store of bullmqExecutor and serveShards', () => {
  it('a file: URL of a relative path is refused, not read as a folder at the root', async () => {
    for (const store of ['file:shared', 'file:./shared', 'FILE:../shared/x']) {
      const e = await failure(() => bullmqExecutor({ connection: 'redis://127.0.0.1:1', store }));
      expect([e.code, e.message]).toEqual(['E_BAD_OPTION', expect.stringMatching(/^option "store" must name an absolute path, as in file:\/\/\/shared\/segkit, got "[^"]+" \(read as file:\/\/\/shared/)]);
      await expect(serveShards({ connection: 'redis://127.0.0.1:1', store })).rejects.toMatchObject({ code: 'E_BAD_OPTION' });
    }
    for (const store of ['file:///tmp/segkit-unused', 'file:/tmp/segkit-unused', 'file://localhost/tmp/segkit-unused']) expect(bullmqExecutor({ connection: 'redis://127.0.0.1:1', store }).kind).toBe('bullmq');
  });

  it('a file: URL encoding a "/" or a NUL in its path is refused naming it, not a TypeError (nor a store that fails each write)', async () => {
    for (const store of ['file:///tmp/a%2Fb', 'file:///tmp/a%2fb/c', 'file:///tmp/a%00b']) {
      const e = await failure(() => bullmqExecutor({ connection: 'redis://127.0.0.1:1', store }));
      expect([e.code, e.message]).toEqual(['E_BAD_OPTION', `option "store" names no folder: ${JSON.stringify(store)} encodes a "/" or a NUL (%2F, %00) in its path`]);
      await expect(serveShards({ connection: 'redis://127.0.0.1:1', store })).rejects.toMatchObject({ code: 'E_BAD_OPTION' });
    }
    expect((await failure(() => fileStore('/tmp/a\0b'))).code).toBe('E_BAD_OPTION');
    expect(fileStore('/tmp/a%2Fb').url).toBe('file:///tmp/a%252Fb');
  });
});

describe('webWorkerExecutor options', () => {
  it('a startTimeout that is not a positive number of milliseconds is refused when the executor is made', async () => {
    const { webWorkerExecutor } = await import('../src/engine/webWorkerExecutor.js');
    for (const startTimeout of [0, -5, Number.NaN, '100']) {
      const e = await failure(() => webWorkerExecutor({ startTimeout: startTimeout as number }));
      expect([e.code, e.message]).toEqual(['E_BAD_OPTION', `option "startTimeout" must be a number of milliseconds > 0, got ${typeof startTimeout === 'string' ? `"${startTimeout}"` : String(startTimeout)}`]);
    }
    // a good one passes the options' checks: Node has no Web Workers, which is the next thing said
    for (const startTimeout of [250, Number.POSITIVE_INFINITY]) expect((await failure(() => webWorkerExecutor({ startTimeout }))).message).toContain('needs Web Workers');
  });
});
