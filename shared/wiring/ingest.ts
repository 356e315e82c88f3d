import { HmacCardHasher } from '../adapters/card-hasher';
import { documentClient } from '../adapters/clients/dynamodb';
import { DynamoDbCampaignBook } from '../adapters/dynamodb/campaign-book';
import { DynamoDbCustomerDirectory } from '../adapters/dynamodb/customer-directory';
import { DynamoDbFailureStore } from '../adapters/dynamodb/failure-store';
import { DynamoDbLoyaltyLedger } from '../adapters/dynamodb/loyalty-ledger';
import { DynamoDbSourceActivity } from '../adapters/dynamodb/source-activity';
import { loadCardPeppers } from '../adapters/pepper';
import { AwardPacker } from '../ingest/award-packer';
import { CachedCampaignSource } from '../ingest/campaign-cache';
import { CachingCustomerDirectory } from '../ingest/card-cache';
import type { IngestDeps } from '../ingest/ingest-sale';
import { systemClock } from '../ingest/ports';
import { readCampaignCacheSeconds, readConfig } from './config';
import { once } from './lazy';

/**
 * What every ingest path needs (DynamoDB and the card pepper), built from the environment once per process. The
 * process's concurrent awards share transactions, and its cards, accounts and campaigns are remembered briefly.
 */
export const ingestContainer = once(async () => {
  const config = readConfig();
  const peppers = await loadCardPeppers();
  const deps: IngestDeps = {
    program: config.program,
    hasher: new HmacCardHasher(peppers),
    directory: new CachingCustomerDirectory(new DynamoDbCustomerDirectory(documentClient, config.tableName)),
    ledger: new AwardPacker(new DynamoDbLoyaltyLedger(documentClient, config.tableName, config.program.retention, config.program)),
    failures: new DynamoDbFailureStore(documentClient, config.tableName),
    clock: systemClock,
    campaigns: new CachedCampaignSource(new DynamoDbCampaignBook(documentClient, config.tableName), readCampaignCacheSeconds() * 1_000),
  };
  return { config, deps, activity: new DynamoDbSourceActivity(documentClient, config.tableName) };
});
