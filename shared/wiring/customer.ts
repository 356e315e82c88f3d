import { documentClient } from '../adapters/clients/dynamodb';
import { loadCustomerCursorKey } from '../adapters/customer-cursor-key';
import { CursorSigner } from '../adapters/dynamodb/admin-queries';
import { DynamoDbCampaignBook } from '../adapters/dynamodb/campaign-book';
import { DynamoDbCustomerLedgerView } from '../adapters/dynamodb/customer-ledger-view';
import type { CustomerTokenIssuer } from '../auth/customer-token';
import type { CustomerDeps } from '../customer/ports';
import { CachedCampaignSource } from '../ingest/campaign-cache';
import { systemClock } from '../ingest/ports';
import { readCampaignCacheSeconds, readProgram, readTableName, required } from './config';
import { once } from './lazy';

export interface CustomerContainer extends CustomerDeps {
  /** Whose access tokens name a customer: the customers' pool and its app client. */
  tokens: CustomerTokenIssuer;
}

/** The customers' API's composition root, built from the environment once per process. */
export const customerContainer = once(async (): Promise<CustomerContainer> => {
  const env = process.env;
  const tokens: CustomerTokenIssuer = {
    issuer: required(env.CUSTOMER_POOL_ISSUER, 'CUSTOMER_POOL_ISSUER'),
    appClientId: required(env.CUSTOMER_APP_CLIENT_ID, 'CUSTOMER_APP_CLIENT_ID'),
  };
  const cursors = new CursorSigner(await loadCustomerCursorKey(env));
  const tableName = readTableName(env);
  return {
    tokens,
    ledger: new DynamoDbCustomerLedgerView(documentClient, tableName, cursors),
    program: readProgram(env),
    clock: systemClock,
    campaigns: new CachedCampaignSource(new DynamoDbCampaignBook(documentClient, tableName), readCampaignCacheSeconds(env) * 1_000),
  };
});
