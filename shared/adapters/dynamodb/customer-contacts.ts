import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { CustomerContacts } from '../../notify/notify';
import { keys } from './table-keys';

/** The contact details kept on the customer's profile item. */
export class DynamoDbCustomerContacts implements CustomerContacts {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async pushEndpointOf(userId: string): Promise<string | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.customer(userId), ProjectionExpression: 'pushEndpoint' }),
    );
    const endpoint = out.Item?.pushEndpoint;
    return typeof endpoint === 'string' && endpoint !== '' ? endpoint : undefined;
  }
}
