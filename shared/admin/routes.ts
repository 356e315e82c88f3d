import * as z from 'zod';
import { actorOf, type Principal } from '../auth/roles';
import {
  type CampaignDeps,
  campaignBody,
  campaignChangeBody,
  campaignHistory,
  changeCampaign,
  createCampaign,
  endCampaign,
  expectedVersion,
  listCampaigns,
} from './campaigns';
import { testConnection } from './connection-test';
import { importCsv } from './csv-import';
import { adjustPoints, customerSales, findCustomers, getCustomer, linkCard, refuseErased, removeCard, saveCustomer } from './customers';
import { redriveDeadLetters } from './dlq';
import { AdminError } from './errors';
import { retryFailure } from './failures';
import type { ApiResult, Route } from './http';
import type { AdminContainer, ChangeAuthor } from './ports';
import { eraseCustomer, exportCustomer, type PrivacyDeps } from './privacy';
import { customerRedemptions, type RedemptionDeps, redeemReward, reverseRedemption, rewardsWithin } from './redemptions';
import {
  adjustmentBody,
  bodyOrEmpty,
  cardBody,
  cardId,
  cursor,
  customerId,
  dayRange,
  failureId,
  id,
  idempotencyKey,
  isoDay,
  limit,
  listQuery,
  parse,
  profileBody,
  redemptionBody,
  redemptionReversalBody,
  text,
} from './request-rules';
import { assignSale, reverseSale, saleWithConflicts } from './sales';
import { salesStats } from './stats';
import { setSync, startSync, syncStatus } from './sync';

const ok = (body: unknown, status = 200): ApiResult => ({ status, body });

/** The caller as the records of a change name its author. */
function authorOf(principal: Principal): ChangeAuthor {
  const { actorId, actorName } = actorOf(principal);
  return { id: actorId, name: actorName };
}

/** What the admin API shows of a sale: its card only by last four, never the keyed hashes. */
function redactSale(sale: object) {
  const { cardFullHash: _full, cardLast4Hash: _last4, contentHash: _content, ...shown } = sale as Record<string, unknown>;
  return shown;
}

const privacyDeps = (app: AdminContainer): PrivacyDeps => ({
  customers: app.customers,
  records: app.records,
  erasure: app.erasure,
  cursors: app.exportCursors,
  queries: app.queries,
  audit: app.audit,
  program: app.deps.program,
  clock: app.clock,
});

const campaignDeps = (app: AdminContainer): CampaignDeps => ({
  campaigns: app.campaigns,
  program: app.deps.program,
  takesEffectAfterSeconds: app.campaignDelaySeconds,
  now: () => app.clock.now(),
});

const campaignId = z.string().regex(/^cmp-[0-9a-f]{16}$/, 'must be a campaign id (cmp- and 16 hex characters)');

const redactPage = <T extends { items: object[] }>(page: T) => ({ ...page, items: page.items.map(redactSale) });

const redemptionDeps = (app: AdminContainer): RedemptionDeps => ({
  ...app.deps,
  customers: app.customers,
  redemptions: app.redemptions,
  clock: app.clock,
});

/** Every route of the admin API, by API Gateway route key: decode the request, call the use case, shape the answer. */
export const ROUTES: Record<string, Route> = {
  'POST /admin/sync/start': async (_req, app) => ok(await startSync(app.sync, app.fileRequeue)),

  'POST /admin/sync/stop': async (_req, app) => ok(await setSync(app.sync, false)),

  'GET /admin/sync/status': async (_req, app) => ok(await syncStatus(app)),

  'POST /admin/sync/test': async (_req, app) => ok(await testConnection(app.checks)),

  'GET /admin/transactions': async (req, app) => {
    const q = parse(listQuery.extend({ customer: id.optional(), machine: id.optional() }), req.query, 'query');
    const range = dayRange(q);
    const page = q.customer
      ? await app.queries.customerSales(q.customer, q.limit, q.cursor, range)
      : await app.queries.byDay('sales', range, q.limit, q.cursor, { machineId: q.machine });
    return ok(redactPage(page));
  },

  'GET /admin/transactions/{transactionId}': async (req, app) => {
    const { transactionId } = parse(z.object({ transactionId: id }), req.path, 'path');
    const { sale, conflicts } = await saleWithConflicts(transactionId, app);
    return ok({
      ...redactSale(sale),
      conflicts: conflicts.map((c) => ({ ...c, incoming: c.incoming && redactSale(c.incoming as object) })),
    });
  },

  'POST /admin/transactions/{transactionId}/reverse': async (req, app) => {
    const { transactionId } = parse(z.object({ transactionId: id }), req.path, 'path');
    const { reason } = parse(z.object({ reason: text(500).default('refund') }), bodyOrEmpty(req.body), 'body');
    const result = await reverseSale(transactionId, reason, authorOf(req.principal), {
      ...app.deps,
      sales: app.sales,
      changes: app.changes,
    });
    return { ...ok({ ...result, sale: result.sale && redactSale(result.sale) }), auditNote: `reason: ${reason}` };
  },

  'GET /admin/conflicts': async (req, app) => {
    const q = parse(listQuery, req.query, 'query');
    const page = await app.queries.byDay('conflicts', dayRange(q), q.limit, q.cursor);
    const items = page.items.map(({ existingContentHash: _hash, ...conflict }) => ({
      ...conflict,
      incoming: conflict.incoming && redactSale(conflict.incoming as object),
    }));
    return ok({ ...page, items });
  },

  'GET /admin/failures': async (req, app) => {
    const q = parse(listQuery, req.query, 'query');
    const page = await app.queries.byDay('failures', dayRange(q), q.limit, q.cursor);
    return ok({ ...page, items: page.items.map(({ retryRecord, ...failure }) => ({ ...failure, retryable: Boolean(retryRecord) })) });
  },

  'POST /admin/failures/{failureId}/retry': async (req, app) => {
    const path = parse(z.object({ failureId }), req.path, 'path');
    return ok(await retryFailure(path.failureId, { ...app.deps, storedFailures: app.storedFailures }));
  },

  'POST /admin/dlq/redrive': async (req, app) => {
    const { queue } = parse(z.object({ queue: z.enum(['moma', 'fileEvents', 'all']).default('all') }), bodyOrEmpty(req.body), 'body');
    return { ...ok(await redriveDeadLetters(queue, app), 202), auditNote: `queue: ${queue}` };
  },

  'GET /admin/unmatched': async (req, app) => {
    const q = parse(listQuery, req.query, 'query');
    return ok(redactPage(await app.queries.byDay('unmatched', dayRange(q, 90), q.limit, q.cursor)));
  },

  'POST /admin/unmatched/{transactionId}/assign': async (req, app) => {
    const { transactionId } = parse(z.object({ transactionId: id }), req.path, 'path');
    const { userId } = parse(z.object({ userId: customerId }), bodyOrEmpty(req.body), 'body');
    refuseErased(await app.customers.getCustomer(userId), userId);
    return ok(await assignSale(transactionId, userId, { ...app.deps, sales: app.sales }));
  },

  'PUT /admin/users/{userId}': async (req, app) => {
    const { userId } = parse(z.object({ userId: customerId }), req.path, 'path');
    const profile = parse(profileBody, bodyOrEmpty(req.body), 'body');
    const { customer, created } = await saveCustomer(
      { userId, ...profile },
      { customers: app.customers, program: app.deps.program, clock: app.clock },
    );
    return ok(customer, created ? 201 : 200);
  },

  'GET /admin/users': async (req, app) => {
    const q = parse(
      z.object({
        userId: customerId.optional(),
        cardLast4: z
          .string()
          .regex(/^\d{4}$/, 'must be 4 digits')
          .optional(),
      }),
      req.query,
      'query',
    );
    if ((q.userId === undefined) === (q.cardLast4 === undefined))
      throw new AdminError(400, 'invalid request', [{ field: 'query', rule: 'give exactly one of userId and cardLast4' }]);
    const deps = { customers: app.customers, program: app.deps.program, hasher: app.deps.hasher, directory: app.deps.directory };
    const found = await findCustomers(q.userId !== undefined ? { userId: q.userId } : { cardLast4: q.cardLast4! }, deps);
    const searched = q.userId !== undefined ? `id ${q.userId}` : `card ending ${q.cardLast4}`;
    return { ...ok(found), auditNote: `search by ${searched}: ${found.items.map((c) => c.userId).join(', ') || 'none found'}` };
  },

  'GET /admin/users/{userId}/export': async (req, app) => {
    const { userId } = parse(z.object({ userId: customerId }), req.path, 'path');
    const { cursor: at } = parse(z.object({ cursor: cursor.optional() }), req.query, 'query');
    const part = await exportCustomer(userId, at, privacyDeps(app));
    return { ...ok(part), auditNote: `export, part ${part.section}` };
  },

  'POST /admin/users/{userId}/erase': async (req, app) => {
    const { userId } = parse(z.object({ userId: customerId }), req.path, 'path');
    const { reason } = parse(z.object({ reason: text(500).min(1, 'is required') }), bodyOrEmpty(req.body), 'body');
    const result = await eraseCustomer(userId, privacyDeps(app));
    return {
      ...ok(result, result.complete ? 200 : 202),
      auditNote: `reason: ${reason}; ${result.complete ? 'erasure complete' : 'erasure in progress, call again'}`,
    };
  },

  'GET /admin/users/{userId}': async (req, app) => {
    const { userId } = parse(z.object({ userId: customerId }), req.path, 'path');
    const customer = await getCustomer(userId, { customers: app.customers, program: app.deps.program });
    return ok({ ...customer, rewards: rewardsWithin(customer.points, app.deps.program) });
  },

  'POST /admin/users/{userId}/cards': async (req, app) => {
    const { userId } = parse(z.object({ userId: customerId }), req.path, 'path');
    const { cardNumber } = parse(cardBody, bodyOrEmpty(req.body), 'body');
    return ok(
      await linkCard(userId, cardNumber, {
        ...app.deps,
        customers: app.customers,
        sales: app.sales,
        queries: app.queries,
        changes: app.changes,
      }),
      201,
    );
  },

  'DELETE /admin/users/{userId}/cards/{cardId}': async (req, app) => {
    const path = parse(z.object({ userId: customerId, cardId }), req.path, 'path');
    await removeCard(path.userId, path.cardId, app);
    return ok({ userId: path.userId, cardId: path.cardId, removed: true });
  },

  'GET /admin/users/{userId}/transactions': async (req, app) => {
    const { userId } = parse(z.object({ userId: customerId }), req.path, 'path');
    const q = parse(z.object({ limit, cursor }), req.query, 'query');
    return ok(redactPage(await customerSales(userId, q, app)));
  },

  'POST /admin/users/{userId}/adjustments': async (req, app) => {
    const { userId } = parse(z.object({ userId: customerId }), req.path, 'path');
    const body = parse(adjustmentBody, bodyOrEmpty(req.body), 'body');
    const result = await adjustPoints(userId, body, authorOf(req.principal), app);
    return { ...ok(result, result.applied ? 201 : 200), auditNote: `${body.points} points: ${body.reason}` };
  },

  'POST /admin/users/{userId}/redemptions': async (req, app) => {
    const { userId } = parse(z.object({ userId: customerId }), req.path, 'path');
    const body = parse(redemptionBody, bodyOrEmpty(req.body), 'body');
    const result = await redeemReward(userId, body, authorOf(req.principal), redemptionDeps(app));
    const { redemption } = result;
    return {
      ...ok(result, result.redeemed ? 201 : 200),
      auditNote: `${redemption.rewardId} for ${redemption.points} points, key ${redemption.redemptionId}${result.redeemed ? '' : ' (already redeemed)'}`,
    };
  },

  'GET /admin/users/{userId}/redemptions': async (req, app) => {
    const { userId } = parse(z.object({ userId: customerId }), req.path, 'path');
    const q = parse(z.object({ limit, cursor }), req.query, 'query');
    return ok(await customerRedemptions(userId, q, redemptionDeps(app)));
  },

  'POST /admin/users/{userId}/redemptions/{redemptionId}/reverse': async (req, app) => {
    const path = parse(z.object({ userId: customerId, redemptionId: idempotencyKey }), req.path, 'path');
    const { reason } = parse(redemptionReversalBody, bodyOrEmpty(req.body), 'body');
    const result = await reverseRedemption(path.userId, path.redemptionId, reason, authorOf(req.principal), redemptionDeps(app));
    return { ...ok(result), auditNote: `redemption ${path.redemptionId}: ${reason}` };
  },

  'POST /admin/import': async (req, app) => ok(await importCsv(req.rawBody, app.deps)),

  'GET /admin/audit': async (req, app) => {
    const q = parse(listQuery.extend({ actor: id.optional(), target: id.optional(), action: id.optional() }), req.query, 'query');
    const { from, to } = dayRange(q, 30);
    return ok(await app.audit.list({ actor: q.actor, target: q.target, action: q.action, from, to }, q.limit, q.cursor));
  },

  'GET /admin/notifications': async (req, app) => {
    const q = parse(listQuery, req.query, 'query');
    return ok(await app.queries.byDay('notifications', dayRange(q, 30), q.limit, q.cursor));
  },

  'GET /admin/campaigns': async (_req, app) => ok(await listCampaigns(campaignDeps(app))),

  'POST /admin/campaigns': async (req, app) => {
    const definition = parse(campaignBody, bodyOrEmpty(req.body), 'body');
    const created = await createCampaign(definition, authorOf(req.principal), campaignDeps(app));
    return { ...ok(created, 201), auditNote: `campaign ${created.campaignId} "${definition.name}" created` };
  },

  'GET /admin/campaigns/{campaignId}': async (req, app) => {
    const { campaignId: campaign } = parse(z.object({ campaignId }), req.path, 'path');
    return ok(await campaignHistory(campaign, campaignDeps(app)));
  },

  'PUT /admin/campaigns/{campaignId}': async (req, app) => {
    const { campaignId: campaign } = parse(z.object({ campaignId }), req.path, 'path');
    const { expectedVersion: expected, ...definition } = parse(campaignChangeBody, bodyOrEmpty(req.body), 'body');
    const changed = await changeCampaign(campaign, expected, definition, authorOf(req.principal), campaignDeps(app));
    return { ...ok(changed), auditNote: `campaign ${campaign} version ${expected + 1}` };
  },

  'POST /admin/campaigns/{campaignId}/end': async (req, app) => {
    const { campaignId: campaign } = parse(z.object({ campaignId }), req.path, 'path');
    const { expectedVersion: expected } = parse(expectedVersion, bodyOrEmpty(req.body), 'body');
    return {
      ...ok(await endCampaign(campaign, expected, authorOf(req.principal), campaignDeps(app))),
      auditNote: `campaign ${campaign} ended`,
    };
  },

  'GET /admin/stats': async (req, app) => {
    const q = parse(z.object({ from: isoDay.optional(), to: isoDay.optional() }), req.query, 'query');
    return ok(await salesStats(dayRange(q, 7), app));
  },
};
