import type { ConnectionCheck } from './ports';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

/** Runs every check (all of them, even after one fails) and explains each failure with a fix. */
export async function testConnection(checks: ConnectionCheck[]): Promise<{ ok: boolean; checks: CheckResult[] }> {
  const results = await Promise.all(
    checks.map(async (check): Promise<CheckResult> => {
      try {
        return { name: check.name, ok: true, detail: await check.probe() };
      } catch (err) {
        return { name: check.name, ok: false, detail: explain(err as Error & { name: string }, check) };
      }
    }),
  );
  return { ok: results.every((r) => r.ok), checks: results };
}

/** A fix for each way a probe fails, keyed by what AWS answered; a hint names only settings the function reads. */
function explain(err: Error & { name: string }, check: ConnectionCheck): string {
  const what = `${err.name}: ${err.message}`;
  if (
    /CredentialsProviderError|UnrecognizedClientException|InvalidClientTokenId|ExpiredToken|SignatureDoesNotMatch|InvalidAccessKeyId/.test(
      err.name + err.message,
    )
  ) {
    return `${what}. Connection failed: check the AWS credentials in the environment (or the function's role).`;
  }
  if (/AccessDenied|AccessDeniedException|Forbidden|AuthorizationError/.test(err.name))
    return `${what}. The role is not allowed to ${check.needs}: grant it and try again.`;
  if (/QueueDoesNotExist|NonExistentQueue|AWS\.SimpleQueueService\.NonExistentQueue/.test(err.name + err.message)) {
    return `${what}. The queue does not exist: check ${configured(check, 'the queue URL')} against the stack's queue URL outputs, and that the queue was not deleted.`;
  }
  if (/NoSuchBucket/.test(err.name))
    return `${what}. The bucket does not exist: check ${configured(check, 'the bucket name')} against the stack's BucketName output.`;
  if (/ResourceNotFound|NotFound/.test(err.name))
    return `${what}. The resource does not exist: check the stack is deployed and its outputs are the ones configured.`;
  if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|TimeoutError/.test(err.name + err.message))
    return `${what}. The service could not be reached: check the endpoint and the network.`;
  return `${what}. Could not ${check.needs}.`;
}

const configured = (check: ConnectionCheck, otherwise: string) => (check.setting ? `${check.setting} (${otherwise})` : otherwise);
