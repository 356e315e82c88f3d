import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { reconcileFiles } from '../../shared/ingest/reconcile';
import { createJsonLogger, injectLambdaContext } from '../../shared/observability/json-logger';
import { RECONCILE_MIN_AGE_MS, WATCHED_PREFIXES } from '../../shared/topology';
import { reconcileContainer } from '../../shared/wiring/reconcile';

const logger = createJsonLogger('reconcile');

export const handler = middy(async (event: ScheduledEvent) => {
  const { bucket, deps, activity } = await reconcileContainer();
  const now = new Date(event.time ?? Date.now());
  const result = await reconcileFiles(bucket, Object.values(WATCHED_PREFIXES), RECONCILE_MIN_AGE_MS, { ...deps, now });
  if (result.requeued.length > 0)
    logger.warn('Re-queued files that were never processed', {
      count: result.requeued.length,
      keys: result.requeued.slice(0, 20).map((r) => r.key),
    });
  await activity.record('reconcile');
  logger.info('Reconciled', { scanned: result.scanned, requeued: result.requeued.length });
  return { scanned: result.scanned, requeued: result.requeued.length };
}).use(injectLambdaContext(logger));
