import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, ScanCommand, type ScanCommandOutput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { indexKeys, keys } from './table-keys';

/**
 * Puts every live customer who holds points, or a tier above the first, on the scheduled expiry and requalification
 * run's day `dueAt`, unless it has a day already. Awards do this from the first sale after a policy is switched on;
 * this is the one-off for the customers who were there before (a full scan, in parallel segments: run it once, by
 * hand, when switching expiry or requalification on).
 */
export async function enrolCustomersForReview(
  db: DynamoDBDocumentClient,
  tableName: string,
  options: { dueAt: string; lowestTier: string; segments?: number; onPage?: (seen: number) => void },
): Promise<{ seen: number; enrolled: number }> {
  const segments = options.segments ?? 4;
  const totals = await Promise.all(
    Array.from({ length: segments }, (_, segment) => enrolSegment(db, tableName, options, segment, segments)),
  );
  return totals.reduce((a, b) => ({ seen: a.seen + b.seen, enrolled: a.enrolled + b.enrolled }), { seen: 0, enrolled: 0 });
}

async function enrolSegment(
  db: DynamoDBDocumentClient,
  tableName: string,
  options: { dueAt: string; lowestTier: string; onPage?: (seen: number) => void },
  segment: number,
  segments: number,
) {
  let seen = 0;
  let enrolled = 0;
  let startKey: ScanCommandOutput['LastEvaluatedKey'];
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: tableName,
        Segment: segment,
        TotalSegments: segments,
        FilterExpression:
          'SK = :profile AND entity = :customer AND attribute_not_exists(erasure) AND attribute_not_exists(GSI3PK) AND (points > :zero OR tier <> :lowest)',
        ExpressionAttributeValues: { ':profile': 'PROFILE', ':customer': 'customer', ':zero': 0, ':lowest': options.lowestTier },
        ProjectionExpression: 'userId',
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      seen += 1;
      if (typeof item.userId === 'string' && (await enrol(db, tableName, item.userId, options.dueAt))) enrolled += 1;
    }
    options.onPage?.(seen);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return { seen, enrolled };
}

async function enrol(db: DynamoDBDocumentClient, tableName: string, userId: string, dueAt: string): Promise<boolean> {
  try {
    await db.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.customer(userId),
        UpdateExpression: 'SET GSI3PK = :partition, GSI3SK = :sort',
        // An award or the run may have scheduled it meanwhile; an erasure may have begun.
        ConditionExpression: 'entity = :customer AND attribute_not_exists(erasure) AND attribute_not_exists(GSI3PK)',
        ExpressionAttributeValues: { ':partition': indexKeys.dueOn(dueAt), ':sort': `${dueAt}#${userId}`, ':customer': 'customer' },
      }),
    );
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return false;
    throw err;
  }
}
