// The one file that runs inside the Web Workers of webWorkerExecutor (bundled with segkit's own shard ops into
// segkit.worker.js). With a shared memory it instantiates the kernels over the page's memory and runs shards handed
// out by an atomic counter, allocating nothing there (the caller reserved this worker's scratch region); without
// one it is a shard holder: it keeps the shards it was sent once and runs ops on them, only states and partials
// crossing per pass.
import { SegkitError, baseMessage } from '../util/errors.js';
import { Scratch, type AnyTypedArray, type KernelMemory } from '../kernels/shard.js';
import { instantiateKernels } from '../kernels/wasm.js';
import { layoutShard, now, runOp, YIELD_MS } from './heapExecutor.js';
import { yieldToEventLoop } from '../util/eventLoop.js';
import { ShardHolder } from './shardHolder.js';
import { decodeState, encodePartial, kernelsFor, opByName, type ShardOp } from './shardOp.js';
import type { FromWorker, ToWorker, WireError } from './webWorkerProtocol.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
}

const loaded = new Map<string, Promise<unknown>>();

/** The op of that name, after loading the module that defines it (ops bundled with this file need none). */
async function resolveOp(name: string, module: string | undefined): Promise<ShardOp<unknown, unknown>> {
  if (module) {
    let p = loaded.get(module);
    if (!p) {
      p = import(/* @vite-ignore */ module);
      loaded.set(module, p);
      // a load that failed (the network, a file not there yet) is tried again by the next pass that names it
      p.catch(() => loaded.delete(module));
    }
    await p;
  }
  return opByName(name);
}

const wire = (e: unknown): WireError =>
  e instanceof SegkitError ? { code: e.code, message: baseMessage(e), ...(e.hint ? { hint: e.hint } : {}) } : { message: e instanceof Error ? e.message : String(e) };

const buffersOf = (values: readonly AnyTypedArray[]): ArrayBuffer[] => values.map((v) => v.buffer as ArrayBuffer);

/** Serves one Web Worker: call once, at the top level of the worker's script. */
export function serveWebWorker(scope: WorkerScope): void {
  let shared: KernelMemory | undefined;
  const holder = new ShardHolder();
  const running = new Set<number>();
  const stops = new Set<number>();
  const reply = (id: number, value?: unknown, transfer: Transferable[] = []) => scope.postMessage({ t: 'reply', id, value }, transfer);

  const handle = async (m: ToWorker): Promise<void> => {
    switch (m.t) {
      case 'init':
        if (m.memory) shared = { kernels: await instantiateKernels(m.memory, true), memory: m.memory };
        return reply(m.id);
      case 'pass': {
        if (!shared) throw new SegkitError('E_EXECUTOR', 'this worker has no shared memory');
        const mem = shared;
        const ctl = new Int32Array(mem.memory.buffer, m.ctl, 2);
        const partials: [number, unknown][] = [];
        try {
          const op = await resolveOp(m.op, m.module);
          await kernelsFor(op, mem);
          const scratch = new Scratch(m.slot, m.slotBytes);
          const buffers = new Map(m.layout.buffers);
          while (Atomics.load(ctl, 1) === 0) {
            const i = Atomics.add(ctl, 0, 1);
            if (i >= m.list.length) break;
            scratch.reset();
            partials.push([i, runOp(op, layoutShard(m.layout, m.list[i], mem, scratch, buffers), m.state)]);
          }
        } catch (e) {
          // the other threads stop taking shards: the pass has failed
          Atomics.store(ctl, 1, 1);
          throw e;
        }
        return reply(m.id, partials);
      }
      case 'shard':
        await holder.receiveShard(m.handle, m.layout, m.shard, m.columns, m.inputs);
        return reply(m.id);
      case 'all':
        await holder.receiveAll(m.handle, m.layout, m.shards, m.columns, m.inputs);
        return reply(m.id);
      case 'map': {
        const partials: [number, Uint8Array][] = [];
        // running from the start: a stop that arrives while the op's module loads still stops the pass
        running.add(m.id);
        const stopped = () => {
          if (stops.has(m.id)) throw new SegkitError('E_ABORTED', 'the pass was stopped');
        };
        try {
          const op = await resolveOp(m.op, m.module);
          stopped();
          let last = now();
          await holder.run(op, m.handle, m.shards, () => decodeState(op, m.state), (s, p) => partials.push([s, encodePartial(op, p)]), async () => {
            // let a stop (or a release) in between shards
            if (now() - last >= YIELD_MS) {
              await yieldToEventLoop();
              last = now();
            }
            stopped();
          });
        } finally {
          running.delete(m.id);
          stops.delete(m.id);
        }
        return reply(m.id, partials, partials.map(([, b]) => b.buffer as ArrayBuffer));
      }
      case 'stop':
        if (running.has(m.of)) stops.add(m.of);
        return reply(m.id);
      case 'read': {
        const parts: AnyTypedArray[] = [];
        for (const s of m.shards) parts.push(await holder.readRows(m.handle, m.name, s));
        return reply(m.id, parts, buffersOf(parts));
      }
      case 'write':
        for (const [s, values] of m.parts) await holder.writeRows(m.handle, m.name, s, values);
        return reply(m.id);
      case 'writeAll':
        await holder.writeAll(m.handle, m.name, m.values);
        return reply(m.id);
      case 'release':
        await holder.release(m.handle);
        return reply(m.id);
    }
  };

  scope.onmessage = (event) => {
    const m = event.data;
    handle(m).catch((e: unknown) => scope.postMessage({ t: 'reply', id: m.id, error: wire(e) }));
  };
}
