import { randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { CursorSigner } from '../../shared/adapters/dynamodb/admin-queries';
import { DynamoDbCustomerLedgerView } from '../../shared/adapters/dynamodb/customer-ledger-view';
import { indexKeys, keys } from '../../shared/adapters/dynamodb/table-keys';
import type { CustomerTokenIssuer } from '../../shared/auth/customer-token';
import { DEFAULT_PROGRAM, type ProgramConfig } from '../../shared/domain/program';
import type { CustomerContainer } from '../../shared/wiring/customer';

type Item = Record<string, unknown>;

/**
 * A table that answers the two requests the customers' adapter sends, as DynamoDB does: GetItem by key, and a Query of
 * one GSI1 partition newest first with an optional `<`/`<=` bound on the sort key, `Limit` and `ExclusiveStartKey`.
 */
export class MemoryGsi1Table {
  readonly items: Item[] = [];
  queries = 0;

  put(item: Item) {
    this.items.push(item);
  }

  async send(command: unknown): Promise<unknown> {
    if (command instanceof GetCommand) {
      const { PK, SK } = command.input.Key as { PK: string; SK: string };
      return { Item: this.items.find((i) => i.PK === PK && i.SK === SK) };
    }
    if (command instanceof QueryCommand) {
      this.queries += 1;
      const input = command.input;
      const values = input.ExpressionAttributeValues as Record<string, string>;
      const bound = /GSI1SK (<=?) :before/.exec(input.KeyConditionExpression ?? '')?.[1];
      const bytes = (s: unknown) => Buffer.from(String(s));
      let found = this.items
        .filter((i) => i.GSI1PK === values[':pk'])
        .filter((i) => {
          if (!bound) return true;
          const order = Buffer.compare(bytes(i.GSI1SK), bytes(values[':before']));
          return bound === '<' ? order < 0 : order <= 0;
        })
        .sort((a, b) => Buffer.compare(bytes(b.GSI1SK), bytes(a.GSI1SK)));
      const start = input.ExclusiveStartKey as Item | undefined;
      if (start) found = found.slice(found.findIndex((i) => i.PK === start.PK && i.SK === start.SK) + 1);
      const limit = input.Limit ?? found.length;
      const page = found.slice(0, limit);
      const last = page.at(-1);
      return {
        Items: page,
        LastEvaluatedKey: found.length > limit && last ? { PK: last.PK, SK: last.SK, GSI1PK: last.GSI1PK, GSI1SK: last.GSI1SK } : undefined,
      };
    }
    throw new Error('the customers adapter sent a request it must not send');
  }
}

export const CUSTOMER_TOKENS: CustomerTokenIssuer = { issuer: 'https://cognito-idp.test/customers', appClientId: 'loyalty-app' };

/** The customers' API over an in-memory table, with the real adapter and a real cursor signer. */
export function memoryCustomerApi(options: { program?: ProgramConfig; now?: string } = {}) {
  const table = new MemoryGsi1Table();
  const container: CustomerContainer = {
    tokens: CUSTOMER_TOKENS,
    ledger: new DynamoDbCustomerLedgerView(table as unknown as DynamoDBDocumentClient, 'loyalty', new CursorSigner(randomBytes(32))),
    program: options.program ?? DEFAULT_PROGRAM,
    clock: { now: () => new Date(options.now ?? '2026-06-01T00:00:00.000Z') },
  };
  return { table, container };
}

export function putCustomer(table: MemoryGsi1Table, userId: string, fields: Item = {}) {
  table.put({
    ...keys.customer(userId),
    entity: 'customer',
    userId,
    points: 0,
    lifetimePoints: 0,
    tier: 'Bronze',
    punchCount: 0,
    punchCardsCompleted: 0,
    purchaseCount: 0,
    createdAt: '2025-01-01T00:00:00.000Z',
    ...fields,
  });
}

/** An awarded sale as the ledger stores it, card hashes and all. */
export function putSale(table: MemoryGsi1Table, userId: string, transactionId: string, date: string, fields: Item = {}) {
  table.put({
    ...keys.sale(transactionId),
    GSI1PK: indexKeys.customerSales(userId),
    GSI1SK: `${date}#${transactionId}`,
    entity: 'sale',
    status: 'awarded',
    transactionId,
    userId,
    date,
    amountCents: 350,
    points: 35,
    purchasePoints: 35,
    bonusPoints: 0,
    product: 'Large Coffee',
    machineId: 'VEND-001',
    cardLast4: '1111',
    cardFullHash: 'hash-of-the-card',
    cardLast4Hash: 'hash-of-the-last-four',
    contentHash: 'content-hash',
    source: 'sqs hi-vis-notifications message m-1 record 0',
    ...fields,
  });
}

/** A movement of the MOVES#<userId> partition: a redemption, adjustment, expiry or tier change. */
export function putMove(table: MemoryGsi1Table, userId: string, kind: string, at: string, key: string, fields: Item = {}) {
  table.put({
    PK: keys.customer(userId).PK,
    SK: `${kind}#${key}`,
    GSI1PK: indexKeys.customerMoves(userId),
    GSI1SK: `${at}#${kind}#${key}`,
    userId,
    ...fields,
  });
}

/** A verified access token's claims, as API Gateway hands them to the function (flattened to strings). */
export function customerClaims(username: string, overrides: Record<string, unknown> = {}) {
  return {
    sub: `sub-of-${username}`,
    iss: CUSTOMER_TOKENS.issuer,
    client_id: CUSTOMER_TOKENS.appClientId,
    token_use: 'access',
    username,
    scope: 'aws.cognito.signin.user.admin',
    ...overrides,
  };
}
