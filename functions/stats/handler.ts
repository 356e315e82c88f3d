import middy from '@middy/core';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { decodeStreamRecord, sequenceNumberOf, streamBatchId } from '../../shared/adapters/dynamodb/stream-images';
import type { ItemChange } from '../../shared/domain/committed-changes';
import { createJsonLogger, injectLambdaContext } from '../../shared/observability/json-logger';
import { recordStats } from '../../shared/stats/record-stats';
import { statsLedger } from '../../shared/wiring/stats';

const logger = createJsonLogger('stats');
const ledger = statsLedger();

export const handler = middy(async (event: DynamoDBStreamEvent) => {
  const records = event.Records;
  if (records.length === 0) return;
  const changes: ItemChange[] = [];
  for (const record of records) {
    const decoded = decodeStreamRecord(record);
    // A stored item the statistics cannot read is skipped, not retried: retrying would hold up the stream forever.
    if (decoded.ok) changes.push(decoded.change);
    else
      logger.warn('Stream record skipped: its item does not parse', { sequenceNumber: sequenceNumberOf(record), reason: decoded.reason });
  }
  const { deltas, outcome } = await recordStats(streamBatchId(records), changes, ledger);
  logger.info('Stats updated', { records: records.length, deltas, outcome });
}).use(injectLambdaContext(logger));
