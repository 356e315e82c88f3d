import { MOMA_FILE_LIFECYCLE } from '../shared/domain/retention';
import type { HiVisStackProps } from './hi-vis-stack';

type ContextReader = (key: string) => unknown;

/** The stack's settings from CDK context (`cdk.json` or `-c key=value`), each checked with a message naming it. */
export function stackPropsFromContext(read: ContextReader): HiVisStackProps {
  const text = (key: string) => {
    const value = read(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
      throw new Error(`context ${key} must be a string, number or boolean`);
    return String(value).trim();
  };
  const momaAccountId = text('momaAccountId');
  const momaExternalId = text('momaExternalId');
  if (momaAccountId !== undefined && !/^\d{12}$/.test(momaAccountId))
    throw new Error(`context momaAccountId must be Moma's 12-digit AWS account id, not "${momaAccountId}"`);
  if (momaExternalId !== undefined && !/^[\w+=,.@:/-]{2,1224}$/.test(momaExternalId))
    throw new Error('context momaExternalId must be 2 to 1224 letters, digits or +=,.@:/-_ (agreed with Moma)');
  if (momaAccountId !== undefined && momaExternalId === undefined)
    throw new Error(
      'context momaExternalId is required with momaAccountId: another account may assume the role only with the external id agreed with Moma',
    );
  return {
    bucketName: text('bucketName'),
    momaQueueName: text('momaQueueName'),
    programConfig: text('programConfig'),
    consoleUrls: text('consoleUrls')
      ?.split(',')
      .map((url) => url.trim())
      .filter(Boolean),
    authDomainPrefix: text('authDomainPrefix'),
    trail: flag(text('trail'), 'trail', true),
    sourceMaps: flag(text('sourceMaps'), 'sourceMaps', false),
    momaFileRetentionDays: days(text('momaFileRetentionDays'), 'momaFileRetentionDays', MOMA_FILE_LIFECYCLE.defaultRetentionDays),
    momaAccountId,
    momaExternalId,
    tableWarmWriteUnits: writeUnits(text('tableWarmWriteUnits')),
    customerAppOrigins: origins(text('customerAppOrigins')),
  };
}

/** Comma-separated origins (`https://app.example`): scheme, host and port only, as CORS compares them. */
function origins(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const listed = value
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of listed) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin || parsed.protocol !== 'https:')
      throw new Error(`context customerAppOrigins must be https origins like https://app.example (no path), not "${origin}"`);
  }
  return listed;
}

function writeUnits(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  // DynamoDB's floor for a pre-warmed table is the default it already has; its ceiling is the account's table quota.
  if (!Number.isInteger(n) || n < 4_000 || n > 40_000)
    throw new Error(`context tableWarmWriteUnits must be a whole number of write units a second from 4000 to 40000, not "${value}"`);
  return n;
}

function flag(value: string | undefined, key: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new Error(`context ${key} must be true or false, not "${value}"`);
}

function days(value: string | undefined, key: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 36_500)
    throw new Error(`context ${key} must be a whole number of days from 1 to 36500, not "${value}"`);
  return n;
}
