import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { CustomerContact, CustomerContacts } from '../../notify/notify';
import { keys } from './table-keys';

/** The contact details kept on the customer's profile item. */
export class DynamoDbCustomerContacts implements CustomerContacts {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async contactOf(userId: string): Promise<CustomerContact | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.customer(userId), ProjectionExpression: 'pushEndpoint, marketingConsent' }),
    );
    if (!out.Item) return undefined;
    const endpoint = out.Item.pushEndpoint;
    return {
      pushEndpoint: typeof endpoint === 'string' && endpoint !== '' ? endpoint : undefined,
      marketingConsent: out.Item.marketingConsent === true,
    };
  }
}
