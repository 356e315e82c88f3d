import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Listed, SaleReader, StoredSale } from '../../admin/ports';
import { keys, withoutKeys } from './table-keys';

/** Sales read back by id (consistently: an admin acts on what it just read), and the conflicts recorded under them. */
export class DynamoDbSaleReader implements SaleReader {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getSale(transactionId: string): Promise<StoredSale | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.sale(transactionId), ConsistentRead: true }));
    return out.Item ? (withoutKeys(out.Item) as unknown as StoredSale) : undefined;
  }

  /** The versions of this sale that arrived with other content, stored beside it. */
  async conflictsOf(transactionId: string): Promise<Listed[]> {
    const sale = keys.sale(transactionId);
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': sale.PK, ':prefix': keys.conflict(transactionId, '').SK },
      }),
    );
    return (out.Items ?? []).map(withoutKeys);
  }
}
