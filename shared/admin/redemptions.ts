import { randomBytes } from 'node:crypto';
import type { LoyaltyAccount } from '../domain/loyalty';
import type { ProgramConfig } from '../domain/program';
import { findReward, planRedemption, planRedemptionReversal, redemptionCode, rewardsFor } from '../domain/redemption';
import { type RetryOptions, retryOptimistically } from '../ingest/optimistic-retry';
import type { Clock, LoyaltyLedger } from '../ingest/ports';
import { existingCustomer } from './customers';
import { AdminError, busy, invalidRequest, notFound } from './errors';
import type { ChangeAuthor, CustomerStore, Redemptions, StoredRedemption } from './ports';

export interface RedemptionDeps extends RetryOptions {
  customers: CustomerStore;
  ledger: Pick<LoyaltyLedger, 'getAccount'>;
  redemptions: Redemptions;
  program: ProgramConfig;
  clock: Clock;
  /** A fresh redemption code: from crypto's randomness unless a test gives its own. */
  newCode?: () => string;
}

export interface Redeemed {
  /** False when the idempotency key had redeemed this reward already: nothing more was taken. */
  redeemed: boolean;
  redemption: StoredRedemption;
  balance: number;
}

export interface ReversedRedemption {
  reversed: true;
  redemption: StoredRedemption;
  balance: number;
}

const newRedemptionCode = () => redemptionCode(randomBytes);

/**
 * The account to change, read strongly: a customer erased or being erased has none (410), nor does one who never
 * existed (404).
 */
async function accountOf(userId: string, deps: RedemptionDeps): Promise<LoyaltyAccount> {
  const account = await deps.ledger.getAccount(userId, { consistent: true });
  if (account) return account;
  await existingCustomer(userId, deps);
  throw new AdminError(410, `customer ${userId} was erased or is being erased`);
}

/**
 * Redeems a reward of the program's catalogue for points, once per idempotency key: the redemption and the balance
 * it leaves are written together, only if the account is as read and its balance covers the cost, so concurrent
 * redemptions never take a balance below zero. The same key again answers the redemption it made (when it named the
 * same reward; another reward is a 409). A short balance is a 409 naming the balance and the cost.
 */
export async function redeemReward(
  userId: string,
  request: { rewardId: string; idempotencyKey: string },
  by: ChangeAuthor,
  deps: RedemptionDeps,
): Promise<Redeemed> {
  await existingCustomer(userId, deps);
  const reward = findReward(deps.program.rewards, request.rewardId);
  const code = (deps.newCode ?? newRedemptionCode)();

  /** What the key redeemed before: the same redemption again, or a 409 when it was another reward. */
  const replay = async (earlier: StoredRedemption): Promise<Redeemed> => {
    if (earlier.rewardId !== request.rewardId)
      throw new AdminError(
        409,
        `idempotency key ${request.idempotencyKey} was already used to redeem ${earlier.rewardId}, not ${request.rewardId}: use a new key for a new redemption`,
        { existing: earlier },
      );
    return { redeemed: false, redemption: earlier, balance: (await accountOf(userId, deps)).points };
  };

  const outcome = await retryOptimistically<Redeemed>(async () => {
    if (!reward) {
      // A reward since taken out of the catalogue still answers a request asked again with its key.
      const earlier = await deps.redemptions.get(userId, request.idempotencyKey);
      if (earlier) return { kind: 'done', value: await replay(earlier) };
      const offered = deps.program.rewards.map((r) => r.id).join(', ') || 'none';
      throw invalidRequest([{ field: 'body.rewardId', rule: `is not a reward of the program (its rewards: ${offered})` }]);
    }
    const account = await accountOf(userId, deps);
    const plan = planRedemption(account, reward);
    if (plan.kind === 'short') {
      // The balance may be short because this very request was served before: that answer stands.
      const earlier = await deps.redemptions.get(userId, request.idempotencyKey);
      if (earlier) return { kind: 'done', value: await replay(earlier) };
      throw new AdminError(
        409,
        `the balance of ${plan.balance} points does not cover ${reward.id} (${reward.name}), which costs ${plan.cost} points`,
        { balance: plan.balance, cost: plan.cost, rewardId: reward.id },
      );
    }
    const at = deps.clock.now().toISOString();
    const result = await deps.redemptions.redeem(
      { userId, idempotencyKey: request.idempotencyKey, reward, code, madeBy: by, at },
      plan.before,
      plan.after,
    );
    if (result.kind === 'redeemed')
      return { kind: 'done', value: { redeemed: true, redemption: result.redemption, balance: plan.after.points } };
    if (result.kind === 'exists') return { kind: 'done', value: await replay(result.redemption) };
    return { kind: 'retry', reason: 'stale_account' };
  }, deps);
  if (outcome.kind === 'done') return outcome.value;
  throw busy(
    `could not redeem ${request.rewardId}: the customer's account kept changing under concurrent updates; nothing was redeemed, try again`,
  );
}

/** Reverses an issued redemption: its points go back to the balance, exactly, once; reversing it again is a 409. */
export async function reverseRedemption(
  userId: string,
  redemptionId: string,
  reason: string,
  by: ChangeAuthor,
  deps: RedemptionDeps,
): Promise<ReversedRedemption> {
  await existingCustomer(userId, deps);
  const outcome = await retryOptimistically<ReversedRedemption>(async () => {
    const redemption = await deps.redemptions.get(userId, redemptionId);
    if (!redemption) {
      // Gone meanwhile because an erasure moved it: say that (410), not that it never was.
      await existingCustomer(userId, deps);
      throw notFound(`redemption ${redemptionId} of customer ${userId}`);
    }
    if (redemption.status !== 'issued')
      throw new AdminError(
        409,
        `redemption ${redemptionId} was already reversed${redemption.reversedAt ? ` (${redemption.reversedAt})` : ''}`,
        {
          redemption,
        },
      );
    const account = await accountOf(userId, deps);
    const after = planRedemptionReversal(account, redemption);
    const result = await deps.redemptions.reverse(redemption, account, after, { reason, by, at: deps.clock.now().toISOString() });
    if (result === 'applied') {
      const reversed = (await deps.redemptions.get(userId, redemptionId)) ?? { ...redemption, status: 'reversed' as const };
      return { kind: 'done', value: { reversed: true, redemption: reversed, balance: after.points } };
    }
    // Stale: the account changed since it was read. Otherwise the redemption changed under us (reversed meanwhile):
    // read it again at once and say so.
    return result === 'stale'
      ? { kind: 'retry', reason: 'stale_account' }
      : { kind: 'retry', reason: 'redemption_changed', backoff: false };
  }, deps);
  if (outcome.kind === 'done') return outcome.value;
  throw busy(
    `could not reverse redemption ${redemptionId}: the customer's account kept changing under concurrent updates; nothing was reversed, try again`,
  );
}

/** A customer's redemptions, newest first. */
export async function customerRedemptions(userId: string, page: { limit: number; cursor?: string }, deps: RedemptionDeps) {
  await existingCustomer(userId, deps);
  return deps.redemptions.list(userId, page.limit, page.cursor);
}

/** The program's rewards, each marked whether this balance covers it. */
export const rewardsWithin = (points: unknown, program: ProgramConfig) => rewardsFor(Number(points ?? 0), program.rewards);
