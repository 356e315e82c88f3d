import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { addCustomer } from '../../local/local-client';
import { HmacCardHasher } from '../../shared/adapters/card-hasher';
import { DynamoDbCustomerDirectory } from '../../shared/adapters/dynamodb/customer-directory';
import { DynamoDbCustomerStore } from '../../shared/adapters/dynamodb/customer-store';
import { DynamoDbFailureStore } from '../../shared/adapters/dynamodb/failure-store';
import { DynamoDbFileLedger } from '../../shared/adapters/dynamodb/file-ledger';
import { DynamoDbLoyaltyLedger } from '../../shared/adapters/dynamodb/loyalty-ledger';
import { DynamoDbSaleReader } from '../../shared/adapters/dynamodb/sale-reader';
import { tableDefinition } from '../../shared/adapters/dynamodb/table-definition';
import { DEFAULT_PROGRAM } from '../../shared/domain/program';
import { AwardPacker } from '../../shared/ingest/award-packer';
import { CachingCustomerDirectory } from '../../shared/ingest/card-cache';
import type { IngestDeps } from '../../shared/ingest/ingest-sale';
import { systemClock } from '../../shared/ingest/ports';

export const TEST_PEPPER = 'test-pepper-0123456789abcdef0123456789abcdef';

/** A fresh table on the run's DynamoDB Local, with the real adapters wired to it as the ingest functions wire them. */
export async function createTestTable() {
  const endpoint = process.env.HIVIS_TEST_DYNAMODB_ENDPOINT;
  if (!endpoint)
    throw new Error('HIVIS_TEST_DYNAMODB_ENDPOINT is not set: run integration tests through jest (global setup starts DynamoDB Local)');
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const tableName = `hivis-test-${randomUUID().slice(0, 8)}`;
  await client.send(new CreateTableCommand(tableDefinition(tableName)));
  const hasher = new HmacCardHasher(TEST_PEPPER);
  const customers = new DynamoDbCustomerStore(db, tableName);
  const deps: IngestDeps = {
    program: DEFAULT_PROGRAM,
    hasher,
    directory: new CachingCustomerDirectory(new DynamoDbCustomerDirectory(db, tableName)),
    ledger: new AwardPacker(new DynamoDbLoyaltyLedger(db, tableName)),
    failures: new DynamoDbFailureStore(db, tableName),
    clock: systemClock,
  };
  return {
    client,
    db,
    tableName,
    deps,
    customers,
    sales: new DynamoDbSaleReader(db, tableName),
    files: new DynamoDbFileLedger(db, tableName),
    addCustomer: (userId: string, ...cardNumbers: string[]) => addCustomer(customers, hasher, userId, ...cardNumbers),
    async destroy() {
      await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
      client.destroy();
    },
  };
}

export type TestTable = Awaited<ReturnType<typeof createTestTable>>;
