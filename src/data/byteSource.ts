import { SegkitError, describe } from '../util/errors.js';

/** Where table bytes can come from without a file system: text, bytes, a web stream or any async iterable (Node streams are). */
export type ByteSource =
  | string
  | Uint8Array
  | ArrayBuffer
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array | string>;

// 64 KiB slices keep the parser's internal buffers small whatever the input size.
const SLICE = 1 << 16;

function isReadableStream(x: unknown): x is ReadableStream<Uint8Array> {
  return !!x && typeof (x as ReadableStream).getReader === 'function';
}

function isAsyncIterable(x: unknown): x is AsyncIterable<Uint8Array | string> {
  return !!x && typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

export function isByteSource(x: unknown): x is ByteSource {
  return typeof x === 'string' || x instanceof Uint8Array || x instanceof ArrayBuffer || isReadableStream(x) || isAsyncIterable(x);
}

function badSource(what: string, source: unknown): SegkitError {
  return new SegkitError(
    'E_BAD_OPTION',
    `${what} must be a string, a Uint8Array, an ArrayBuffer, a ReadableStream or an async iterable of chunks, got ${describe(source)}`,
  );
}

// Web streams are read through a reader because not every browser makes them async iterable.
async function* streamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array | string> {
  const reader = stream.getReader();
  let done = false;
  try {
    while (true) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** The raw chunks of a non-string, non-buffer source. */
function rawChunks(source: ByteSource, what: string): AsyncIterable<Uint8Array | string> {
  if (isReadableStream(source)) return streamChunks(source);
  if (isAsyncIterable(source)) return source;
  throw badSource(what, source);
}

function* sliceString(text: string): Generator<string> {
  for (let i = 0; i < text.length; ) {
    let end = Math.min(i + SLICE, text.length);
    // never split a surrogate pair: a lone half would be re-encoded as U+FFFD
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end++;
    yield text.slice(i, end);
    i = end;
  }
}

/** Decodes any source to UTF-8 text in slices; a leading BOM in byte input is dropped by TextDecoder. */
export async function* textChunks(source: ByteSource, what = 'the input'): AsyncGenerator<string> {
  if (typeof source === 'string') {
    yield* sliceString(source);
    return;
  }
  const decoder = new TextDecoder('utf-8');
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
    for (let i = 0; i < bytes.length; i += SLICE) {
      const text = decoder.decode(bytes.subarray(i, i + SLICE), { stream: true });
      if (text) yield text;
    }
  } else {
    for await (const chunk of rawChunks(source, what)) {
      if (typeof chunk === 'string') {
        if (chunk) yield chunk;
      } else if (chunk instanceof Uint8Array) {
        const text = decoder.decode(chunk, { stream: true });
        if (text) yield text;
      } else {
        throw new SegkitError('E_BAD_OPTION', `${what} yielded ${describe(chunk)}; chunks must be Uint8Array or string`);
      }
    }
  }
  const tail = decoder.decode();
  if (tail) yield tail;
}

/** All of a source's bytes in one array (binary formats need random access). */
export async function collectBytes(source: ByteSource, what = 'the input'): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof source === 'string') return new TextEncoder().encode(source);
  const parts: Uint8Array[] = [];
  let total = 0;
  const encoder = new TextEncoder();
  for await (const chunk of rawChunks(source, what)) {
    const part = typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
    if (!(part instanceof Uint8Array)) {
      throw new SegkitError('E_BAD_OPTION', `${what} yielded ${describe(chunk)}; chunks must be Uint8Array or string`);
    }
    parts.push(part);
    total += part.length;
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** All of a source as one string, without a leading BOM. */
export async function collectText(source: ByteSource, what = 'the input'): Promise<string> {
  let text = '';
  for await (const chunk of textChunks(source, what)) text += chunk;
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
