import { describeErrors } from '../domain/moma-record';
import { type IngestDeps, retryRecord } from '../ingest/ingest-sale';
import type { FailureReport } from '../ingest/ports';
import { AdminError, notFound } from './errors';
import type { FailureRecords } from './ports';

/** Reprocesses a stored failure after a fix (a corrected customer, a changed program rule, a code fix). */
export async function retryFailure(failureId: string, deps: IngestDeps & { storedFailures: FailureRecords }) {
  const failure = await deps.storedFailures.get(failureId);
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
  const at = new Date().toISOString();
  if (!result.ok) {
    const reason = `invalid record: ${describeErrors(result.errors)}`;
    await deps.storedFailures.retryFailed(failureId, { reason, errors: result.errors, at });
    throw new AdminError(422, `failure ${failureId} still fails: ${reason}`, result.errors);
  }
  await deps.storedFailures.resolved(failureId, { outcome: result.outcome, at });
  return { failureId, status: 'resolved', outcome: result.outcome, alreadyResolved: false };
}
