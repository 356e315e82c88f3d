import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { functionBundleAliases } from '../infra/function-bundling';
import { FUNCTIONS, type FunctionName } from '../shared/topology';

const ROOT = path.join(__dirname, '..');

export interface BundleFigures {
  function: FunctionName;
  bundleKb: number;
  /** Median of fresh-process module initialisation times (require of the bundle, clients created, no invocation). */
  initMs: number;
  largestInputsKb: { path: string; kb: number }[];
}

/** Bundles each function as the stack does (esbuild, minified, SDK included) and times its initialisation in a fresh Node process. */
export async function measureBundles(runs = 5): Promise<BundleFigures[]> {
  const out = mkdtempSync(path.join(tmpdir(), 'hivis-bundles-'));
  const figures: BundleFigures[] = [];
  for (const [name, spec] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
    const outfile = path.join(out, `${name}.js`);
    const result = await build({
      entryPoints: [path.join(ROOT, spec.entry)],
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      mainFields: ['module', 'main'],
      outfile,
      metafile: true,
      logLevel: 'silent',
      // As the stack bundles them: the Lambda-only credential provider in place of the SDK's whole chain.
      alias: functionBundleAliases(),
    });
    const inputs = Object.entries(result.metafile.outputs[path.relative(process.cwd(), outfile)]?.inputs ?? {})
      .map(([p, v]) => ({ path: p.replace(/^.*node_modules\//, ''), kb: Math.round(v.bytesInOutput / 1024) }))
      .sort((a, b) => b.kb - a.kb)
      .slice(0, 5);
    const probe = path.join(out, `${name}-init.js`);
    writeFileSync(
      probe,
      `const t=process.hrtime.bigint();require(${JSON.stringify(outfile)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));`,
    );
    const env = {
      ...process.env,
      TABLE_NAME: 't',
      BUCKET_NAME: 'b',
      FILE_EVENTS_QUEUE_URL: 'http://q',
      MOMA_QUEUE_URL: 'http://q',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const times = Array.from({ length: runs }, () => Number(spawnSync(process.execPath, [probe], { env, encoding: 'utf8' }).stdout)).sort(
      (a, b) => a - b,
    );
    figures.push({
      function: name,
      bundleKb: Math.round(statSync(outfile).size / 1024),
      initMs: Math.round(times[Math.floor(times.length / 2)]! * 10) / 10,
      largestInputsKb: inputs,
    });
  }
  return figures;
}

if (require.main === module) {
  void measureBundles().then((f) => console.log(JSON.stringify(f, null, 1)));
}
