/**
 * The built console stays small and fits its Content-Security-Policy: its JavaScript under 150 KB gzipped in
 * total, and an index.html with no inline script or style for the policy to refuse. Run after `npm run console:build`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const LIMIT_BYTES = 150 * 1024;
const dist = path.join(__dirname, '..', 'console', 'dist');

const problems: string[] = [];
let files: string[] = [];
try {
  files = readdirSync(path.join(dist, 'assets'));
} catch {
  problems.push(`${path.relative(process.cwd(), dist)}/assets is missing: run npm run console:build first`);
}
const scripts = files.filter((f) => f.endsWith('.js'));
const sizes = scripts.map((f) => ({ file: f, gzipped: gzipSync(readFileSync(path.join(dist, 'assets', f)), { level: 9 }).length }));
const total = sizes.reduce((n, s) => n + s.gzipped, 0);
for (const s of sizes) console.log(`  ${s.file.padEnd(32)} ${(s.gzipped / 1024).toFixed(1)} KB gzipped`);
console.log(`console JavaScript: ${(total / 1024).toFixed(1)} KB gzipped (limit ${LIMIT_BYTES / 1024} KB)`);
if (files.length && scripts.length === 0) problems.push('the build has no JavaScript');
if (total > LIMIT_BYTES)
  problems.push(`the console's JavaScript is ${(total / 1024).toFixed(1)} KB gzipped, over the ${LIMIT_BYTES / 1024} KB budget`);

if (files.length) {
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  for (const tag of html.match(/<script\b[^>]*>/gi) ?? [])
    if (!/\bsrc=/.test(tag)) problems.push(`index.html has an inline script (${tag}): the CSP refuses it`);
  if (/<style\b/i.test(html)) problems.push('index.html has a <style> element: the CSP refuses it');
  if (/\sstyle=/i.test(html)) problems.push('index.html has a style attribute: the CSP refuses it');
  if (/\bhttps?:\/\//i.test(html.replace(/<!--[\s\S]*?-->/g, ''))) problems.push('index.html loads something from another origin');
}

if (problems.length) {
  for (const p of problems) console.error(`✗ ${p}`);
  process.exit(1);
}
