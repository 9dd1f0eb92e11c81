import { SegkitError, badOption, describe } from '../util/errors.js';

/** Where table bytes can come from without a file system: text, bytes, a web stream or any async iterable (Node streams are). */
export type ByteSource =
  | string
  | Uint8Array
  | ArrayBuffer
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array | string>;

// 64 KiB slices keep the parser's internal buffers small whatever the input size.
const SLICE = 1 << 16;
// the most bytes offered to a reader that takes them as they are at once (a multiple of SLICE)
const TAKEN = 1 << 20;

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
export function rawChunks(source: ByteSource, what: string): AsyncIterable<Uint8Array | string> {
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

/** A TextDecoder label, checked; the readers' `encoding` option. */
export function encodingOption(encoding: unknown): string {
  if (encoding === undefined) return 'utf-8';
  try {
    if (typeof encoding !== 'string') throw new TypeError();
    return new TextDecoder(encoding).encoding;
  } catch {
    throw badOption('encoding', encoding, 'an encoding TextDecoder knows, e.g. "utf-8", "latin1", "windows-1252" or "utf-16le"');
  }
}

/** Length of the UTF-8 sequence a lead byte starts, and the range its second byte must be in; 0 when it starts none. */
function utf8Lead(b: number): [number, number, number] {
  if (b < 0x80) return [1, 0, 0];
  if (b >= 0xc2 && b <= 0xdf) return [2, 0x80, 0xbf];
  if (b === 0xe0) return [3, 0xa0, 0xbf];
  if (b === 0xed) return [3, 0x80, 0x9f];
  if (b >= 0xe1 && b <= 0xef) return [3, 0x80, 0xbf];
  if (b === 0xf0) return [4, 0x90, 0xbf];
  if (b >= 0xf1 && b <= 0xf3) return [4, 0x80, 0xbf];
  if (b === 0xf4) return [4, 0x80, 0x8f];
  return [0, 0, 0];
}

/** Offset of the first byte of `bytes` (which start a sequence) that is not valid UTF-8, or -1. */
function firstInvalidUtf8(bytes: Uint8Array, final: boolean): number {
  let i = 0;
  while (i < bytes.length) {
    const [length, lo, hi] = utf8Lead(bytes[i]);
    if (length === 0) return i;
    if (length === 1) {
      i++;
      continue;
    }
    if (i + length > bytes.length) return final ? i : -1;
    if (bytes[i + 1] < lo || bytes[i + 1] > hi) return i;
    for (let k = 2; k < length; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    i += length;
  }
  return -1;
}

/** The bytes at the end of `bytes` that start a sequence they do not finish (at most 3; none when the end is whole). */
function unfinishedTail(bytes: Uint8Array): Uint8Array {
  for (let k = 1; k <= 3 && k <= bytes.length; k++) {
    const b = bytes[bytes.length - k];
    if ((b & 0xc0) === 0x80) continue;
    return utf8Lead(b)[0] > k ? bytes.slice(bytes.length - k) : new Uint8Array(0);
  }
  return new Uint8Array(0);
}

function joinBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function countNewlines(bytes: Uint8Array, end: number): number {
  let n = 0;
  for (let i = bytes.indexOf(10); i !== -1 && i < end; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}

/** The hint for text that looks like UTF-16 or UTF-32 (a byte order mark, NUL characters) read in another encoding. */
export const UTF16_HINT = 'it looks like UTF-16 or UTF-32 text: read UTF-16 with encoding "utf-16le" (or "utf-16be"), convert UTF-32 to UTF-8';

/**
 * Decodes bytes in the given encoding, refusing what is not valid in it: a wrong byte would otherwise become U+FFFD
 * and make different names equal (Müller and Möller in a Latin-1 file). The error names the line.
 */
class Decoder {
  private readonly decoder: TextDecoder;
  private lines = 0;
  // UTF-8: the bytes the streaming decoder holds back from the slices so far (a sequence they started and did not
  // finish), so an error names the line and byte of the sequence wherever the slices were cut
  private held: Uint8Array = new Uint8Array(0);
  // whether any bytes were decoded yet
  private begun = false;

  constructor(private readonly encoding: string, private readonly what: string) {
    this.decoder = new TextDecoder(encoding, { fatal: true });
  }

  decode(bytes: Uint8Array | undefined): string {
    try {
      const text = bytes === undefined ? this.decoder.decode() : this.decoder.decode(bytes, { stream: true });
      if (bytes !== undefined && bytes.length > 0) this.begun = true;
      if (bytes !== undefined && this.encoding === 'utf-8') {
        this.lines += countNewlines(bytes, bytes.length);
        this.held = unfinishedTail(bytes.length < 3 ? joinBytes(this.held, bytes) : bytes);
      }
      return text;
    } catch (error) {
      throw this.invalid(bytes ?? new Uint8Array(0), error);
    }
  }

  /**
   * Whether bytes may be taken as they are, leaving the decoder as decoding them would: UTF-8, after the first bytes
   * decoded (the decoder drops a byte order mark only there), with nothing held back from the chunks so far.
   */
  whole(): boolean {
    return this.encoding === 'utf-8' && this.begun && this.held.length === 0;
  }

  /** Bytes taken without decoding them, holding `lines` line breaks. */
  skip(lines: number): void {
    this.lines += lines;
  }

  /**
   * A text chunk between byte chunks: a character the bytes before it left unfinished is invalid (it would otherwise
   * come out after the text), and the text's line breaks count toward the lines errors name.
   */
  text(chunk: string): string {
    if (this.held.length > 0) this.decode(undefined);
    for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', i + 1)) this.lines++;
    return chunk;
  }

  private invalid(bytes: Uint8Array, cause: unknown): SegkitError {
    const hint = 'read it in its own encoding: encoding "latin1" (or "windows-1252", "utf-16le"); on the command line, --encoding latin1';
    if (this.encoding !== 'utf-8') return new SegkitError('E_PARSE', `${this.what} is not valid ${this.encoding}`, hint, { cause });
    // the held bytes hold no line break: the lines before them are all counted
    const all = joinBytes(this.held, bytes);
    const at = Math.max(0, firstInvalidUtf8(all, true));
    const line = 1 + this.lines + countNewlines(all, at);
    const byte = all[at] === undefined ? '' : ` (byte 0x${all[at].toString(16).toUpperCase().padStart(2, '0')})`;
    // 0xFF or 0xFE in the first bytes (the byte order mark of UTF-16 or UTF-32) or NUL bytes: latin1 would read garbage
    return new SegkitError('E_PARSE', `line ${line}: ${this.what} is not valid UTF-8${byte}`, (!this.begun && at < 4 && all[at] > 0xfd) || all.includes(0) ? UTF16_HINT : hint, { cause });
  }
}

/**
 * Decodes any source to text in slices (UTF-8 unless `encoding` names another); a leading BOM in byte input is
 * dropped by TextDecoder. Bytes invalid in the encoding are an E_PARSE error naming the line.
 */
export function textChunks(source: ByteSource, what = 'the input', encoding = 'utf-8'): AsyncGenerator<string> {
  return chunksOf(source, what, encoding) as AsyncGenerator<string>;
}

/**
 * A reader that can take some UTF-8 bytes as they are, without their text: told a chunk of whole characters (nothing
 * held back from the chunks before), it returns the line breaks it took, or -1 when it took none.
 */
export type TakeBytes = (bytes: Uint8Array) => number;

/**
 * textChunks, offering each chunk of UTF-8 input (1 MiB at most) to `take` first: undefined stands for a chunk it
 * took, the chunk's text for one it did not. Invalid bytes are refused as textChunks refuses them, naming the line.
 */
export function textOrTaken(source: ByteSource, what: string, encoding: string, take: TakeBytes): AsyncGenerator<string | undefined> {
  return chunksOf(source, what, encoding, take);
}

async function* chunksOf(source: ByteSource, what: string, encoding: string, take?: TakeBytes): AsyncGenerator<string | undefined> {
  if (typeof source === 'string') {
    yield* sliceString(source);
    return;
  }
  const decoder = new Decoder(encoding, what);
  // in slices: text of 128 KiB or more takes its own freshly mapped pages in V8's heap, and so does every copy the
  // parser makes of it, where smaller strings reuse the young generation's pages. On the benchmark's 110 MB CSV
  // (1 MiB file chunks), `segkit segment` took 240-255k page faults and 7.4-7.7 s, against 198-200k and 6.7-6.9 s.
  function* decoded(bytes: Uint8Array): Generator<string | undefined> {
    for (let at = 0; at < bytes.length; at += TAKEN) {
      const piece = bytes.subarray(at, at + TAKEN);
      if (take && decoder.whole()) {
        const lines = take(piece);
        if (lines >= 0) {
          decoder.skip(lines);
          yield undefined;
          continue;
        }
      }
      for (let i = 0; i < piece.length; i += SLICE) {
        const text = decoder.decode(piece.subarray(i, i + SLICE));
        if (text) yield text;
      }
    }
  }
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    yield* decoded(source instanceof Uint8Array ? source : new Uint8Array(source));
  } else {
    for await (const chunk of rawChunks(source, what)) {
      if (typeof chunk === 'string') {
        if (chunk) yield decoder.text(chunk);
      } else if (chunk instanceof Uint8Array) {
        yield* decoded(chunk);
      } else {
        throw new SegkitError('E_BAD_OPTION', `${what} yielded ${describe(chunk)}; chunks must be Uint8Array or string`);
      }
    }
  }
  const tail = decoder.decode(undefined);
  if (tail) yield tail;
}

// Node's own check (SIMD), where the runtime has one: browsers and older runtimes use the loop below
const nativeIsAscii = ((globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }).process?.getBuiltinModule?.('buffer') as
  { isAscii?: (bytes: Uint8Array) => boolean } | undefined)?.isAscii;

/** Whether isAscii uses the runtime's own check. @internal */
export const nativeAscii = nativeIsAscii !== undefined;

/** Whether every byte is ASCII (below 0x80): four at a time where they are aligned, eight words an iteration. */
export function isAscii(bytes: Uint8Array): boolean {
  if (nativeIsAscii) return nativeIsAscii(bytes);
  return isAsciiLoop(bytes);
}

/** isAscii without the runtime's help. @internal */
export function isAsciiLoop(bytes: Uint8Array): boolean {
  const n = bytes.length;
  let i = 0;
  while (i < n && ((bytes.byteOffset + i) & 3) !== 0) if (bytes[i++] >= 0x80) return false;
  if (i === n) return true;
  const words = new Int32Array(bytes.buffer, bytes.byteOffset + i, (n - i) >> 2);
  const whole = words.length & ~7;
  let a = 0, b = 0;
  for (let w = 0; w < whole; w += 8) {
    a |= words[w] | words[w + 1] | words[w + 2] | words[w + 3];
    b |= words[w + 4] | words[w + 5] | words[w + 6] | words[w + 7];
  }
  for (let w = whole; w < words.length; w++) a |= words[w];
  if (((a | b) & 0x80808080) !== 0) return false;
  for (i += 4 * words.length; i < n; i++) if (bytes[i] >= 0x80) return false;
  return true;
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
export async function collectText(source: ByteSource, what = 'the input', encoding = 'utf-8'): Promise<string> {
  let text = '';
  for await (const chunk of textChunks(source, what, encoding)) text += chunk;
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
