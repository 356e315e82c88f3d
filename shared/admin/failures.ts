import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../adapters/dynamodb/table-keys';
import { buildUpdate } from '../adapters/dynamodb/update-expression';
import { describeErrors } from '../domain/moma-record';
import { type IngestDeps, retryRecord } from '../ingest/ingest-sale';
import type { FailureReport } from '../ingest/ports';
import { AdminError, notFound } from './errors';

/** Reprocesses a stored failure after a fix (a corrected customer, a changed program rule, a code fix). */
export async function retryFailure(failureId: string, deps: IngestDeps & { db: DynamoDBDocumentClient; tableName: string }) {
  const failure = (await deps.db.send(new GetCommand({ TableName: deps.tableName, Key: keys.failure(failureId), ConsistentRead: true })))
    .Item;
  if (!failure) throw notFound(`failure ${failureId}`);
  if (failure.status === 'resolved') return { failureId, status: 'resolved', outcome: failure.outcome, alreadyResolved: true };
  if (!failure.retryRecord) {
    throw new AdminError(
      409,
      `failure ${failureId} cannot be retried: the input could not be read as a record (${failure.reason}); correct the source and send it again`,
    );
  }
  const copy = JSON.parse(String(failure.retryRecord)) as NonNullable<FailureReport['retry']>;
  const result = await retryRecord(copy, { kind: 'admin', action: `retry of failure ${failureId} (${failure.source})` }, deps);
  const now = new Date().toISOString();
  if (!result.ok) {
    const reason = `invalid record: ${describeErrors(result.errors)}`;
    await deps.db.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: keys.failure(failureId),
        ...buildUpdate({ set: { reason, errors: result.errors, lastRetryAt: now }, add: { retries: 1 } }),
      }),
    );
    throw new AdminError(422, `failure ${failureId} still fails: ${reason}`, result.errors);
  }
  await deps.db.send(
    new UpdateCommand({
      TableName: deps.tableName,
      Key: keys.failure(failureId),
      ...buildUpdate({ set: { status: 'resolved', outcome: result.outcome, resolvedAt: now, lastRetryAt: now }, add: { retries: 1 } }),
    }),
  );
  return { failureId, status: 'resolved', outcome: result.outcome, alreadyResolved: false };
}
