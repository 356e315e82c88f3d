import { documentClient } from '../adapters/clients/dynamodb';
import { DynamoDbDueIndex, DynamoDbReviewLedger } from '../adapters/dynamodb/due-reviews';
import type { DueRunDeps } from '../expiry/run-due-reviews';
import { readProgram, readTableName } from './config';

/** The expiry and requalification run's composition root: the table (due days, histories, reviews) and the program. */
export function expirePointsDeps(env: NodeJS.ProcessEnv = process.env): Pick<DueRunDeps, 'index' | 'ledger' | 'program'> {
  const tableName = readTableName(env);
  return {
    index: new DynamoDbDueIndex(documentClient, tableName),
    ledger: new DynamoDbReviewLedger(documentClient, tableName),
    program: readProgram(env),
  };
}
