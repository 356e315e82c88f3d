import { campaignsInForce } from '../domain/campaigns';
import { CARD_FORMAT_RULE, containsCardNumber, normalizeCardNumber } from '../domain/card-number';
import { type CampaignOffer, matchCustomer, planAward } from '../domain/loyalty';
import { describeErrors, type FieldError, type MomaSale, momaRecordSchema, ownMomaFields, validateMomaRecord } from '../domain/moma-record';
import type { ProgramConfig } from '../domain/program';
import { describeOrigin, type SaleOrigin, saleContentHash, storableSale } from '../domain/sale';
import { classifyError, describeError, TransientIngestError } from './errors';
import { retryOptimistically } from './optimistic-retry';
import type {
  CampaignSource,
  CardHasher,
  CardHashes,
  Clock,
  CustomerDirectory,
  ExistingSale,
  FailureReport,
  FailureStore,
  LoyaltyLedger,
  SaleRecord,
} from './ports';

export type SaleOutcome = 'awarded' | 'duplicate' | 'conflict' | 'unmatched';
export type RecordOutcome = SaleOutcome | 'failed';

export interface IngestDeps {
  program: ProgramConfig;
  hasher: CardHasher;
  directory: CustomerDirectory;
  ledger: LoyaltyLedger;
  failures: FailureStore;
  clock: Clock;
  /** The campaigns; none apply when absent. Cached by the composition root: never read per sale. */
  campaigns?: CampaignSource;
  /** Waits before a retry; injected so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
  maxAttempts?: number;
}

export { TransientIngestError } from './errors';
export { backoffMs } from './optimistic-retry';

const schemaCache = new WeakMap<ProgramConfig, ReturnType<typeof momaRecordSchema>>();
function schemaFor(program: ProgramConfig) {
  let schema = schemaCache.get(program);
  if (!schema) {
    schema = momaRecordSchema(program.maxAmountCents);
    schemaCache.set(program, schema);
  }
  return schema;
}

/**
 * Validates one raw Moma record and ingests it. An invalid record, or one DynamoDB refuses for what it holds (a
 * permanent error), is stored as a failure and never thrown, so its neighbours go on; only transient errors propagate.
 */
export async function ingestRecord(raw: unknown, origin: SaleOrigin, failureKey: string, deps: IngestDeps): Promise<RecordOutcome> {
  const validation = validateMomaRecord(raw, schemaFor(deps.program));
  if (!validation.ok) {
    await deps.failures.recordFailure({
      sourceId: failureKey,
      source: describeOrigin(origin),
      reason: `invalid record: ${describeErrors(validation.errors)}`,
      errors: validation.errors,
      raw,
      transactionId: ownString(raw, 'transactionId'),
      retry: retryCopy(raw, deps),
    });
    return 'failed';
  }
  try {
    return await ingestSale(validation.sale, origin, deps);
  } catch (err) {
    if (classifyError(err) === 'transient') throw err;
    await deps.failures.recordFailure({
      sourceId: failureKey,
      source: describeOrigin(origin),
      reason: `sale could not be stored: ${describeError(err)}`,
      raw,
      transactionId: validation.sale.transactionId,
      retry: retryCopy(raw, deps),
    });
    return 'failed';
  }
}

function ownString(raw: unknown, field: string): string | undefined {
  if (!raw || typeof raw !== 'object' || !Object.hasOwn(raw, field)) return undefined;
  const value = (raw as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
}

/** Longest field text worth a retry copy: a record over these bounds fails validation again, whatever is fixed. */
const RETRY_FIELD_LIMIT = 256;

/**
 * What a retry of a failed record needs: its Moma fields without the card number, and the card's keyed hashes.
 * None when a retry could only fail or mislead: a field far over its bound, or a card number in the transaction id
 * (the masked id would be a different sale). Such a failure is not retryable; Moma must send the sale again.
 */
function retryCopy(raw: unknown, deps: Pick<IngestDeps, 'hasher'>): FailureReport['retry'] {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const { cardNumber, ...fields } = ownMomaFields(raw);
  const oversize = Object.values(fields).some((value) => typeof value === 'string' && value.length > RETRY_FIELD_LIMIT);
  const transactionId = fields.transactionId;
  if (oversize || (typeof transactionId === 'string' && containsCardNumber(transactionId))) return undefined;
  const card = typeof cardNumber === 'string' ? normalizeCardNumber(cardNumber) : undefined;
  return { record: { ...fields }, card: card ? deps.hasher.hash(card) : undefined };
}

/**
 * Retries a stored failure's record. The card comes as its keyed hashes (the number was never stored), so the
 * record is validated with its last four standing in for the card and matched on the hashes.
 */
export async function retryRecord(
  copy: NonNullable<FailureReport['retry']>,
  origin: SaleOrigin,
  deps: IngestDeps,
): Promise<{ ok: true; outcome: SaleOutcome } | { ok: false; errors: FieldError[] }> {
  if (!copy.card)
    return {
      ok: false,
      errors: [
        { field: 'cardNumber', rule: `${CARD_FORMAT_RULE}; the stored record has no usable card number, so Moma must send the sale again` },
      ],
    };
  const validation = validateMomaRecord({ ...copy.record, cardNumber: copy.card.lastFour }, schemaFor(deps.program));
  if (!validation.ok) return { ok: false, errors: validation.errors };
  return { ok: true, outcome: await ingestSale(validation.sale, origin, deps, copy.card) };
}

export function toSaleRecord(
  sale: MomaSale,
  origin: SaleOrigin,
  deps: Pick<IngestDeps, 'hasher' | 'clock'>,
  knownCard?: CardHashes,
): SaleRecord {
  const card = knownCard ?? deps.hasher.hash(sale.cardNumber);
  const stored = storableSale(sale);
  return {
    transactionId: stored.transactionId,
    date: new Date(stored.date).toISOString(),
    amountCents: stored.amount,
    product: stored.product,
    machineId: stored.machineId,
    cardLast4: card.lastFour,
    cardFullHash: card.fullHash,
    cardLast4Hash: card.lastFourHash,
    contentHash: saleContentHash(stored),
    source: describeOrigin(origin),
    receivedAt: deps.clock.now().toISOString(),
  };
}

/** Matches a valid sale to a customer and awards it exactly once, or holds it as unmatched. */
export async function ingestSale(sale: MomaSale, origin: SaleOrigin, deps: IngestDeps, knownCard?: CardHashes): Promise<SaleOutcome> {
  const card = knownCard ?? deps.hasher.hash(sale.cardNumber);
  const record = toSaleRecord(sale, origin, deps, card);
  const match = matchCustomer(await deps.directory.findCustomersByCard(card));
  if (match.kind === 'unmatched') {
    const held = await deps.ledger.holdUnmatched(record, match.reason, match.candidates);
    return held.kind === 'held' ? 'unmatched' : settleExisting(record, held.existing, deps);
  }
  return awardToCustomer(record, match.userId, deps);
}

/**
 * Awards a recorded sale to a customer: read the account, plan the award (pure), commit both in one
 * transaction guarded by the account's version. Contention is retried with jittered backoff; a sale that
 * is already recorded is never retried.
 */
export async function awardToCustomer(record: SaleRecord, userId: string, deps: IngestDeps): Promise<SaleOutcome> {
  const offer = await campaignOffer(record, deps);
  const outcome = await retryOptimistically<SaleOutcome>(async (attempt) => {
    // The version condition catches a stale read, so the first read can be the cheaper eventually consistent one.
    const account = await deps.ledger.getAccount(userId, { consistent: attempt > 1 });
    if (!account) {
      // A card linked to a customer who no longer exists: keep the sale for review rather than guess.
      const held = await deps.ledger.holdUnmatched(record, 'unknown_card', 0);
      return { kind: 'done', value: held.kind === 'held' ? 'unmatched' : await settleExisting(record, held.existing, deps) };
    }
    const plan = planAward(account, record.amountCents, deps.program, offer);
    const result = await deps.ledger.commitAward(record, plan);
    if (result.kind === 'committed') return { kind: 'done', value: 'awarded' };
    if (result.kind === 'exists') return { kind: 'done', value: await settleExisting(record, result.existing, deps) };
    // The account moved under us: whatever this process remembers about the card may be as old.
    if (result.reason === 'stale_account')
      deps.directory.forgetCard?.({ fullHash: record.cardFullHash, lastFourHash: record.cardLast4Hash });
    return { kind: 'retry', reason: result.reason };
  }, deps);
  if (outcome.kind === 'gave_up')
    throw new TransientIngestError(`sale ${record.transactionId}: gave up after ${outcome.attempts} attempts (${outcome.reason})`);
  return outcome.value;
}

/** The campaigns in force at the sale's date, from the cached versions. */
async function campaignOffer(record: SaleRecord, deps: IngestDeps): Promise<CampaignOffer | undefined> {
  if (!deps.campaigns) return undefined;
  // A sale dated ahead of its processing is awarded under the versions this process can know are in force.
  const inForceAt = Date.parse(record.date) <= Date.parse(record.receivedAt) ? record.date : record.receivedAt;
  const campaigns = campaignsInForce(await deps.campaigns.versions(), inForceAt);
  if (campaigns.length === 0) return undefined;
  return {
    sale: { product: record.product, machineId: record.machineId, date: record.date, processedAt: record.receivedAt },
    settings: { timeZone: deps.program.timeZone, machineGroups: deps.program.machineGroups, campaigns },
  };
}

async function settleExisting(record: SaleRecord, existing: ExistingSale, deps: IngestDeps): Promise<SaleOutcome> {
  if (existing.contentHash === record.contentHash) return 'duplicate';
  await deps.ledger.recordConflict(record, existing);
  return 'conflict';
}
