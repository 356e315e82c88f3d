import { DeleteCommand, type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';

/**
 * DynamoDB Local keeps items past their TTL; DynamoDB deletes them in the background. This does the same locally:
 * each item whose TTL attribute is in the past is deleted (a REMOVE on the stream, as a TTL deletion is, and only
 * if it is still expired when deleted). It answers how many it deleted.
 */
export async function sweepExpired(db: DynamoDBDocumentClient, tableName: string, ttlAttribute: string, now = new Date()) {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  let deleted = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: '#ttl < :now',
        ProjectionExpression: 'PK, SK',
        ExpressionAttributeNames: { '#ttl': ttlAttribute },
        ExpressionAttributeValues: { ':now': nowSeconds },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      try {
        await db.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { PK: item.PK, SK: item.SK },
            ConditionExpression: '#ttl < :now',
            ExpressionAttributeNames: { '#ttl': ttlAttribute },
            ExpressionAttributeValues: { ':now': nowSeconds },
          }),
        );
        deleted++;
      } catch (err) {
        // Renewed (an unmatched sale assigned, a failure seen again) since the scan: it stays.
        if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return deleted;
}
