import '../local/sdk-notice';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { freePort } from '../local/servers';
import { measureCeiling, round } from './ceiling';

/**
 * Why each ceiling measurement has a DynamoDB Local of its own: three ceiling measurements in a row on one instance,
 * each on a new table deleted afterwards. With streams (the default) the second and third run several times slower,
 * with several times the JVM CPU per award; with `nostream` they do not.
 *
 *   node --import tsx bench/dynamodb-local-streams.ts [nostream] [memory]
 */
async function main() {
  const withoutStream = process.argv.includes('nostream');
  const dataDir = process.argv.includes('memory') ? undefined : mkdtempSync(path.join(tmpdir(), 'hivis-streams-'));
  const dynamodb = await startDynamoDbLocal({ port: await freePort(), dataDir });
  try {
    for (let run = 1; run <= 3; run++) {
      const m = await measureCeiling({
        endpoint: dynamodb.endpoint,
        label: `run${run}`,
        customers: 200,
        concurrency: 72,
        warmupSeconds: 5,
        windowSeconds: 5,
        windows: 2,
        withoutStream,
      });
      console.log(
        `run ${run}${withoutStream ? ' (no stream)' : ''}: ${m.windows.map((w) => w.awardsPerSec).join(', ')} awards/s, JVM ${round(m.cpuSecondsPerAward.jvm * 1000, 1)} ms per award`,
      );
    }
  } finally {
    await dynamodb.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
