import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Command, InvalidArgumentError, Option } from 'commander';
import sirv from 'sirv';
import { SegkitError } from '../util/errors.js';
import { integer } from './optionParsers.js';

/** The static app in the package (built by `npm run build`), the same from dist/cli/ and from src/cli/. */
export const APP_DIR = fileURLToPath(new URL('../../dist/app/', import.meta.url));

export const DEFAULT_APP_PORT = 8790;

/**
 * The two headers that make the page cross-origin isolated (so Web Workers can share its WebAssembly.Memory), and a
 * Content-Security-Policy that lets it connect nowhere and run no code generated from strings.
 */
export const APP_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
});

export interface AppServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the app (or the folder `dir`) on 127.0.0.1 (port 0: any free port) with APP_HEADERS on every response. */
export async function startAppServer(options: { port?: number; dir?: string } = {}): Promise<AppServer> {
  const dir = options.dir ?? APP_DIR;
  if (!existsSync(path.join(dir, 'index.html'))) throw new SegkitError('E_IO', `the app is not built (${path.join(dir, 'index.html')} is missing)`, 'run `npm run build`');
  const serve = sirv(dir, { etag: true, setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache') });
  const server = createServer((req, res) => {
    // set before anything is answered: a 404 or a 405 carries them as a file does
    for (const [k, v] of Object.entries(APP_HEADERS)) res.setHeader(k, v);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    // sirv's byte ranges throw on a reversed one (stopping the server) and misread a suffix one; the files are small
    delete req.headers.range;
    // a file gone since the server started (a rebuild) ends its response rather than stopping the server
    res.once('pipe', (source) => source.once('error', () => res.destroy()));
    serve(req, res, () => {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    });
  });
  const port = options.port ?? DEFAULT_APP_PORT;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new SegkitError('E_IO', `port ${port} is in use`, 'choose another with --port, or --port 0 for any free one') : e),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** --port: 0 (any free port) to 65535. */
function portNumber(value: string): number {
  const n = integer(0)(value);
  if (n > 65535) throw new InvalidArgumentError('must be a port number from 0 to 65535.');
  return n;
}

const EXAMPLES = `
Examples:
  $ segkit app              # then open the printed address
  $ segkit app --port 0     # any free port

The page reads the file in the browser, segments it on every core (Web Workers sharing one WebAssembly memory:
the server sends Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp), and
offers the segments CSV, the model JSON and the report HTML as downloads. Nothing is uploaded.`;

export function registerApp(program: Command, signal: AbortSignal): void {
  program
    .command('app')
    .description('serve the segkit app on localhost: segment a CSV, Parquet or Arrow file in the browser')
    .addOption(new Option('--port <n>', 'port on 127.0.0.1 (0: any free port)').argParser(portNumber).default(DEFAULT_APP_PORT))
    .addHelpText('after', EXAMPLES)
    .action(async (flags: { port: number }) => {
      const app = await startAppServer({ port: flags.port });
      process.stdout.write(`segkit app: ${app.url}\n(serving ${APP_DIR}; Ctrl-C stops it)\n`);
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await app.close();
    });
}
