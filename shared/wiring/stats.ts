import { documentClient } from '../adapters/clients/dynamodb';
import { DynamoDbStatsStore } from '../adapters/dynamodb/stats-store';
import type { StatsLedger } from '../stats/record-stats';
import { readTableName } from './config';

/** The stats function's composition root: the statistics items of the table, and nothing else. */
export function statsLedger(env: NodeJS.ProcessEnv = process.env): StatsLedger {
  return new DynamoDbStatsStore(documentClient, readTableName(env));
}
