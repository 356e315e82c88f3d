import * as z from 'zod';
import { invalidRequest } from '../admin/errors';
import { cursor, limit, parse } from '../admin/request-rules';
import { liveAccount } from './account';
import { campaignNames } from './campaign-names';
import { type Movement, movementOf, optional } from './movements';
import type { CustomerDeps } from './ports';

const historyQuery = z.object({ limit, cursor });

/** A parameter no route of this API takes (a customer id above all) is refused, not ignored. */
function refuseUnknownParameters(query: Record<string, string>, accepted: readonly string[]) {
  const unknown = Object.keys(query).filter((key) => !accepted.includes(key));
  if (unknown.length > 0)
    throw invalidRequest(unknown.map((key) => ({ field: `query.${key.slice(0, 64)}`, rule: 'is not a parameter of this route' })));
}

/** `GET /customer/me` takes no parameters. */
export const refuseParameters = (query: Record<string, string>) => refuseUnknownParameters(query, []);

/**
 * `GET /customer/me/history`: every movement of the customer's points, newest first (sales, redemptions,
 * adjustments, expiries, tier changes), a page at a time; the cursor is signed and valid only for this customer.
 */
export async function customerHistory(
  userId: string,
  query: Record<string, string>,
  deps: Pick<CustomerDeps, 'ledger' | 'campaigns'>,
): Promise<{ items: Movement[]; nextCursor?: string }> {
  refuseUnknownParameters(query, ['limit', 'cursor']);
  const asked = parse(historyQuery, query, 'query');
  await liveAccount(userId, deps);
  const page = await deps.ledger.history(userId, asked.limit, asked.cursor);
  const names = campaignNames((await deps.campaigns?.versions()) ?? []);
  const items = page.entries
    .map(movementOf)
    .filter((movement) => movement !== undefined)
    .map((movement) =>
      movement.kind === 'sale' && movement.campaigns
        ? { ...movement, campaigns: movement.campaigns.map((c) => ({ ...c, ...optional('name', names.name(c.campaignId, c.version)) })) }
        : movement,
    );
  return { items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
}
