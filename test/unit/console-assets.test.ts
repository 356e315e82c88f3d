import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cacheControlOf, consoleSecurityHeaders, contentTypeOf, isConsoleBuildStale, resolveAssetPath } from '../../local/console-assets';
import { consoleConfigFor } from '../../shared/console-site';

const dist = path.resolve('/srv/console/dist');

describe('resolveAssetPath', () => {
  test.each([
    ['/', 'index.html'],
    ['/index.html', 'index.html'],
    ['/assets/index-abc123.js', path.join('assets', 'index-abc123.js')],
    ['/assets/a%20b.css', path.join('assets', 'a b.css')],
    ['/transactions', 'transactions'],
  ])('%s names %s inside the build', (raw, relative) => {
    const resolved = resolveAssetPath(dist, raw);
    expect(resolved).toEqual({ file: path.join(dist, relative), relative });
  });

  test.each([
    '/../package.json',
    '/assets/../../secret',
    '/%2e%2e/package.json',
    '/%2E%2E%2Fpackage.json',
    '/assets%2f..%2f..%2fetc%2fpasswd',
    '/assets%5c..%5csecret',
    '/index.html%00.js',
    '/a\\..\\b',
    '/%zz',
    '/./index.html',
  ])('%s is refused', (raw) => {
    expect(resolveAssetPath(dist, raw)).toHaveProperty('refused');
  });

  test('whatever it resolves stays inside the build', () => {
    for (const raw of ['/a/b/c', '//x', '/assets/', '/...', '/..a', '/a..']) {
      const resolved = resolveAssetPath(dist, raw);
      if ('file' in resolved) expect(resolved.file.startsWith(`${dist}${path.sep}`)).toBe(true);
    }
  });
});

describe('content types and caching', () => {
  test.each([
    ['index.html', 'text/html; charset=utf-8'],
    ['assets/app.js', 'text/javascript; charset=utf-8'],
    ['assets/app.CSS', 'text/css; charset=utf-8'],
    ['logo.svg', 'image/svg+xml'],
    ['font.woff2', 'font/woff2'],
    ['data.bin', 'application/octet-stream'],
  ])('%s is %s', (file, type) => expect(contentTypeOf(file)).toBe(type));

  test('index.html is never cached, hashed assets are cached for a year, the rest is revalidated', () => {
    expect(cacheControlOf('index.html')).toBe('no-store');
    expect(cacheControlOf(path.join('assets', 'index-abc.js'))).toBe('public, max-age=31536000, immutable');
    expect(cacheControlOf('favicon.svg')).toBe('no-cache');
  });
});

describe('configuration and headers', () => {
  test('the configuration names the Cognito endpoints of the console client', () => {
    expect(consoleConfigFor('http://127.0.0.1:9229', 'client-1', 'local')).toEqual({
      environment: 'local',
      auth: {
        authorizeUrl: 'http://127.0.0.1:9229/oauth2/authorize',
        tokenUrl: 'http://127.0.0.1:9229/oauth2/token',
        logoutUrl: 'http://127.0.0.1:9229/logout',
        clientId: 'client-1',
        scopes: 'openid email profile',
      },
    });
  });

  test('the CSP allows only the own origin, and Cognito to connect to and post forms to', () => {
    const headers = consoleSecurityHeaders('http://127.0.0.1:9229');
    const csp = headers['content-security-policy'];
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("connect-src 'self' http://127.0.0.1:9229;");
    expect(csp).toContain("form-action 'self' http://127.0.0.1:9229;");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    expect(headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' });
  });
});

describe('isConsoleBuildStale', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'console-'));
    await mkdir(path.join(dir, 'src', 'pages'), { recursive: true });
    await writeFile(path.join(dir, 'index.html'), '<!doctype html>');
    await writeFile(path.join(dir, 'vite.config.mts'), 'export default {}');
    await writeFile(path.join(dir, 'src', 'pages', 'a.ts'), 'export {}');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const touch = (file: string, secondsAgo: number) => {
    const at = new Date(Date.now() - secondsAgo * 1000);
    return utimes(path.join(dir, file), at, at);
  };
  const build = async (secondsAgo: number) => {
    await mkdir(path.join(dir, 'dist'), { recursive: true });
    await writeFile(path.join(dir, 'dist', 'index.html'), '<!doctype html>');
    await touch(path.join('dist', 'index.html'), secondsAgo);
  };
  const ageSources = async (secondsAgo: number) => {
    for (const f of ['index.html', 'vite.config.mts', path.join('src', 'pages', 'a.ts'), path.join('src', 'pages'), 'src'])
      await touch(f, secondsAgo);
  };

  test('a missing build is stale', async () => {
    expect(await isConsoleBuildStale(dir)).toBe(true);
  });

  test('a build newer than every source is current', async () => {
    await ageSources(100);
    await build(10);
    expect(await isConsoleBuildStale(dir)).toBe(false);
  });

  test.each([path.join('src', 'pages', 'a.ts'), 'index.html', 'vite.config.mts'])('a change to %s makes it stale', async (file) => {
    await ageSources(100);
    await build(10);
    await touch(file, 1);
    expect(await isConsoleBuildStale(dir)).toBe(true);
  });
});
