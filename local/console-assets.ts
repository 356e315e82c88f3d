import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { type ConsoleConfig, consoleContentSecurityPolicy } from '../shared/console-site';

/** The headers every console response carries. */
export function consoleSecurityHeaders(cognitoOrigin: string): Record<string, string> {
  return {
    'content-security-policy': consoleContentSecurityPolicy(cognitoOrigin),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** index.html is never cached (it names the current assets); hashed assets under assets/ never change; the rest is revalidated. */
export function cacheControlOf(relativePath: string): string {
  const normalised = relativePath.split(path.sep).join('/');
  if (normalised === 'index.html') return 'no-store';
  if (normalised.startsWith('assets/')) return 'public, max-age=31536000, immutable';
  return 'no-cache';
}

/**
 * The file a request path names inside `distDir`, or why it may not be served. The path is the raw (percent-encoded)
 * request path: an encoded slash or backslash, a NUL, a backslash or a dot segment is refused, and the resolved file must
 * stay inside `distDir`.
 */
export function resolveAssetPath(distDir: string, rawPath: string): { file: string; relative: string } | { refused: string } {
  if (/%(2f|5c|00)/i.test(rawPath)) return { refused: 'encoded slashes and NUL are not allowed in the path' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { refused: 'malformed percent-encoding in the path' };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { refused: 'NUL and backslashes are not allowed in the path' };
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) return { refused: 'dot segments are not allowed in the path' };
  const root = path.resolve(distDir);
  const file = path.resolve(root, ...segments);
  const relative = path.relative(root, file);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
    return relative === '' ? { file: path.join(root, 'index.html'), relative: 'index.html' } : { refused: 'outside the console' };
  }
  return { file, relative };
}

async function newestMtime(entry: string): Promise<number> {
  const info = await stat(entry).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const child of await readdir(entry)) newest = Math.max(newest, await newestMtime(path.join(entry, child)));
  return newest;
}

/** The console's sources, whose change makes a build stale. */
export const consoleSources = (consoleDir: string) => [
  path.join(consoleDir, 'src'),
  path.join(consoleDir, 'index.html'),
  path.join(consoleDir, 'vite.config.mts'),
];

/** The build is missing (no dist/index.html) or older than one of the console's sources. */
export async function isConsoleBuildStale(consoleDir: string): Promise<boolean> {
  const built = await stat(path.join(consoleDir, 'dist', 'index.html')).catch(() => undefined);
  if (!built) return true;
  let newestSource = 0;
  for (const source of consoleSources(consoleDir)) newestSource = Math.max(newestSource, await newestMtime(source));
  return newestSource > built.mtimeMs;
}

const BUILD_TIMEOUT_MS = 180_000;

/**
 * Builds the console (`npm run console:build`) when its build is missing or stale. A failed build is logged, never
 * thrown: the stack starts anyway and the console answers with a page saying it is not built.
 */
export async function ensureConsoleBuilt(options: { consoleDir: string; log: (line: string) => void }): Promise<boolean> {
  const { consoleDir } = options;
  const distIndex = path.join(consoleDir, 'dist', 'index.html');
  if (!existsSync(path.join(consoleDir, 'vite.config.mts'))) {
    options.log('the console has no sources here (console/vite.config.mts): serving a page saying it is not built');
    return existsSync(distIndex);
  }
  if (!(await isConsoleBuildStale(consoleDir))) return true;
  options.log('building the console (npm run console:build)...');
  const outcome = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'console:build'], {
      cwd: path.dirname(consoleDir),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-2_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, output: err.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
  if (outcome.code !== 0) {
    options.log(`the console build failed (exit ${outcome.code}): ${outcome.output.trim().split('\n').slice(-5).join(' | ')}`);
    return existsSync(distIndex);
  }
  options.log('console built');
  return existsSync(distIndex);
}

const NOT_BUILT_PAGE = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Hi-Vis console not built</title></head>
<body>
<h1>The console is not built</h1>
<p>Run <code>npm run console:build</code> and reload this page; the start log says why the build on start did not succeed.</p>
<p>The admin API is served here under <code>/admin/</code> all the same.</p>
</body>
</html>
`;

export interface ConsoleSiteOptions {
  distDir: string;
  config: ConsoleConfig;
  /** The origin allowed in connect-src and form-action (the Cognito endpoint). */
  cognitoOrigin: string;
}

/** Serves the built console and its configuration: GET and HEAD only, index.html for any path naming no file. */
export function createConsoleSite(options: ConsoleSiteOptions) {
  const security = consoleSecurityHeaders(options.cognitoOrigin);
  const configBody = `${JSON.stringify(options.config, null, 2)}\n`;

  const answer = (req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer | string) => {
    res.writeHead(status, { ...security, ...headers, 'content-length': String(Buffer.byteLength(body)) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  return async function serveConsole(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return answer(req, res, 405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }, 'Method not allowed\n');
    if (rawPath === '/console-config.json')
      return answer(req, res, 200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, configBody);
    const resolved = resolveAssetPath(options.distDir, rawPath);
    if ('refused' in resolved) return answer(req, res, 400, { 'content-type': 'text/plain; charset=utf-8' }, `${resolved.refused}\n`);
    const found = await readFileIfAny(resolved.file);
    if (found)
      return answer(
        req,
        res,
        200,
        { 'content-type': contentTypeOf(resolved.file), 'cache-control': cacheControlOf(resolved.relative) },
        found,
      );
    // A missing hashed asset is a stale page asking for an old build: a 404, not index.html served as JavaScript.
    if (resolved.relative.split(path.sep)[0] === 'assets')
      return answer(req, res, 404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, 'Not found\n');
    const index = await readFileIfAny(path.join(options.distDir, 'index.html'));
    return answer(
      req,
      res,
      index ? 200 : 503,
      { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
      index ?? NOT_BUILT_PAGE,
    );
  };
}

async function readFileIfAny(file: string): Promise<Buffer | undefined> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  return readFile(file);
}
