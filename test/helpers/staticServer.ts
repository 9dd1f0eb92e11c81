import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The headers that make a page cross-origin isolated (SharedArrayBuffer, shared WebAssembly.Memory). */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
});

const TYPES: Record<string, string> = { js: 'text/javascript', mjs: 'text/javascript', html: 'text/html', css: 'text/css', csv: 'text/csv', json: 'application/json' };

export interface StaticServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A localhost server for browser tests: each route is a file path or the text to serve (with headers of its own); paths under
 * /isolated/ get the isolation headers, the same files elsewhere do not.
 */
export async function serveStatic(routes: Readonly<Record<string, string | { text: string; headers?: Record<string, string> }>>): Promise<StaticServer> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const isolated = url.pathname.startsWith('/isolated/');
    const name = isolated ? url.pathname.slice('/isolated'.length) : url.pathname;
    const route = routes[name];
    if (route === undefined) {
      res.writeHead(404).end();
      return;
    }
    const body = typeof route === 'string' ? readFileSync(route) : route.text;
    const extra = typeof route === 'string' ? {} : (route.headers ?? {});
    res.writeHead(200, { 'Content-Type': TYPES[name.split('.').pop()!] ?? 'application/octet-stream', 'Cache-Control': 'no-store', ...(isolated ? ISOLATION_HEADERS : {}), ...extra });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
