import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { runDueReviews } from '../../shared/expiry/run-due-reviews';
import { createJsonLogger, injectLambdaContext } from '../../shared/observability/json-logger';
import { expirePointsDeps } from '../../shared/wiring/expire-points';

const logger = createJsonLogger('expirePoints');
const deps = expirePointsDeps();

/** Hourly: expires the points and reviews the tiers of the customers due by the schedule's time. */
export const handler = middy(async (event: ScheduledEvent, context: Context) => {
  const result = await runDueReviews({
    ...deps,
    now: new Date(event.time ?? Date.now()),
    timeLeftMs: () => context.getRemainingTimeInMillis(),
    onFailure: (userId, error) =>
      logger.error('Due review failed; the customer is looked at again within the hour', { userId, error: error as Error }),
  });
  if (!result.finished) logger.warn('Due reviews stopped for time; the next run continues from the checkpoint', { ...result });
  logger.info('Due reviews done', { ...result });
  return result;
}).use(injectLambdaContext(logger));
