import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { CardHashes, CustomerDirectory } from '../../ingest/ports';
import { GSI1, GSI2, indexKeys } from './table-keys';

/** Finds the customers who linked a card, through the card-hash indexes. */
export class DynamoDbCustomerDirectory implements CustomerDirectory {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async findCustomersByCard(card: CardHashes, limit = 2): Promise<string[]> {
    const byFull = card.fullHash !== undefined;
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: byFull ? GSI1 : GSI2,
        KeyConditionExpression: '#pk = :hash',
        ExpressionAttributeNames: { '#pk': byFull ? 'GSI1PK' : 'GSI2PK' },
        ExpressionAttributeValues: {
          ':hash': byFull ? indexKeys.cardByFullHash(card.fullHash!) : indexKeys.cardByLastFourHash(card.lastFourHash),
        },
        ProjectionExpression: 'userId',
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => String(item.userId));
  }
}
