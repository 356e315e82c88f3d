import '../local/sdk-notice';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalStack } from '../local/local-stack';
import { coreShare, cpuSeconds } from './process-cpu';

export interface IdleFigures {
  seconds: number;
  /**
   * Share of one core, averaged over the window: the stack's Node process, DynamoDB Local's JVM, the other child
   * processes (cognito-local), and all of them.
   */
  nodeCore: number;
  dynamoDbLocalCore: number;
  otherChildrenCore: number;
  totalCore: number;
}

/** The local stack with nothing to do: started fresh, left to settle, then its CPU measured over a window. */
export async function measureIdle(settleSeconds = 10, windowSeconds = 30): Promise<IdleFigures> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'hivis-idle-'));
  const stack = await startLocalStack({ stateDir, fresh: true, log: () => undefined });
  try {
    await new Promise((r) => setTimeout(r, settleSeconds * 1000));
    const before = cpuSeconds();
    const started = Date.now();
    await new Promise((r) => setTimeout(r, windowSeconds * 1000));
    const share = coreShare(before, cpuSeconds(), (Date.now() - started) / 1000);
    const round = (n: number) => Math.round(n * 1000) / 1000;
    return {
      seconds: windowSeconds,
      nodeCore: round(share.node),
      dynamoDbLocalCore: round(share.jvm),
      otherChildrenCore: round(share.children - share.jvm),
      totalCore: round(share.node + share.children),
    };
  } finally {
    await stack.stop();
  }
}

if (require.main === module) {
  void measureIdle().then((figures) => console.log(JSON.stringify(figures)));
}
