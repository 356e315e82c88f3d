import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { documentClient } from '../../shared/adapters/clients/dynamodb';
import { DynamoDbStatsStore } from '../../shared/adapters/dynamodb/stats-store';
import { batchDeltas } from '../../shared/domain/stats';
import { createLogger } from '../../shared/observability/logger';
import { readConfig } from '../../shared/wiring/config';

const logger = createLogger('stats');
const config = readConfig();
const store = new DynamoDbStatsStore(documentClient, config.tableName);

const image = (value: unknown) => (value ? unmarshall(value as Record<string, AttributeValue>) : undefined);

export const handler = middy(async (event: DynamoDBStreamEvent) => {
  const records = event.Records;
  if (records.length === 0) return;
  const deltas = batchDeltas(records.map((r) => ({ old: image(r.dynamodb?.OldImage), new: image(r.dynamodb?.NewImage) })));
  // The batch's identity: the stream delivers the same records again after a failure, and they must count once.
  const batchId = `${records[0]!.dynamodb?.SequenceNumber}-${records[records.length - 1]!.dynamodb?.SequenceNumber}`;
  const outcome = deltas.length > 0 ? await store.apply(batchId, deltas) : 'applied';
  logger.info('Stats updated', { records: records.length, deltas: deltas.length, outcome });
}).use(injectLambdaContext(logger));
