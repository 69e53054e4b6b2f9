import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** Where `npm run build` puts the console and GraphiQL: dist/web, seen from src/server (tsx) or dist/src/server (node). */
const CANDIDATES = ['../../dist/web/', '../../web/'].map((path) => fileURLToPath(new URL(path, import.meta.url)));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

/** The only style attributes the console's chart library (Chartist) writes; web/src/chart.tsx sets the height. */
export const CHART_STYLE_ATTRIBUTES = ['overflow: visible;', 'width: 100%; height: 260px;'];
const styleHashes = CHART_STYLE_ATTRIBUTES.map((style) => `'sha256-${createHash('sha256').update(style).digest('base64')}'`).join(' ');

/** The console's policy: scripts and styles only from this origin (no inline script; style attributes only those hashed), GraphQL only to it. */
export const CONSOLE_CSP =
  `default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-hashes' ${styleHashes}; img-src 'self' data:; font-src 'self' data:; ` +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/** GraphiQL's dialogs inject <style> elements (radix scroll lock), so styles may be inline; scripts still may not. */
export const GRAPHIQL_CSP = CONSOLE_CSP.replace(/style-src [^;]+;/, "style-src 'self' 'unsafe-inline';");

interface Asset {
  body: Buffer;
  gzipped?: Buffer;
  type: string;
  /** Vite puts content hashes in the names under assets/: such a file never changes. */
  immutable: boolean;
}

/** One built single-page app: its files by URL path, read once at start-up (a closed set: nothing outside it is served). */
export class WebSite {
  private constructor(
    private readonly files: Map<string, Asset>,
    private readonly csp: string,
  ) {}

  static load(dir: string, base: string, csp: string): WebSite | null {
    if (!existsSync(join(dir, 'index.html'))) return null;
    const files = new Map<string, Asset>();
    for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      const path = join(dir, file);
      const type = TYPES[extname(file)];
      if (!type || file.startsWith('.vite')) continue;
      const url = base + relative(dir, path).split(sep).join('/');
      files.set(url, { body: readFileSync(path), type, immutable: url.startsWith(`${base}assets/`) });
    }
    return new WebSite(files, csp);
  }

  has(pathname: string): boolean {
    return this.files.has(pathname);
  }

  /** Sends the file at this URL path (`/` style paths; the base itself is its index.html); false when there is none. */
  send(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    const asset = this.files.get(pathname) ?? (pathname.endsWith('/') ? this.files.get(`${pathname}index.html`) : undefined);
    if (!asset) return false;
    res.statusCode = 200;
    res.setHeader('content-type', asset.type);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    if (asset.immutable) res.setHeader('cache-control', 'public, max-age=31536000, immutable');
    else res.setHeader('cache-control', 'no-cache');
    if (asset.type.startsWith('text/html')) {
      res.setHeader('content-security-policy', this.csp);
      res.setHeader('x-frame-options', 'DENY');
    }
    let body = asset.body;
    if (asset.type !== 'image/png' && asset.type !== 'font/woff2' && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      // Compressed on first request, kept: the files never change while the process runs.
      body = asset.gzipped ??= gzipSync(asset.body);
      res.setHeader('content-encoding', 'gzip');
    }
    res.setHeader('vary', 'Origin, Accept-Encoding');
    res.setHeader('content-length', body.length);
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }
}

/** The console at `/` and GraphiQL at `/graphiql/`, each null when the package was built without it. */
export interface WebApps {
  console: WebSite | null;
  graphiql: WebSite | null;
}

export function loadWebApps(): WebApps {
  // web/ sources have no console/index.html: only a build output matches.
  const root = CANDIDATES.find((dir) => existsSync(join(dir, 'console', 'index.html')));
  if (!root) return { console: null, graphiql: null };
  return {
    console: WebSite.load(join(root, 'console'), '/', CONSOLE_CSP),
    graphiql: WebSite.load(join(root, 'graphiql'), '/graphiql/', GRAPHIQL_CSP),
  };
}

/** A browser navigating (not fetch or curl): it asks for HTML. */
export function wantsHtml(req: IncomingMessage): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && /\btext\/html\b/.test(String(req.headers.accept ?? ''));
}
