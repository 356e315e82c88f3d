import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { type Campaign, latestVersions, localTime } from '../domain/campaigns';
import { containsCardNumber } from '../domain/card-number';
import type { ProgramConfig } from '../domain/program';
import { AdminError, invalidRequest, notFound } from './errors';
import type { CampaignBook, ChangeAuthor, SavedCampaignVersion } from './ports';
import { isoDay, isWellFormed } from './request-rules';

/**
 * Campaigns as operators manage them: created, changed and ended through the admin API, every change a new version in
 * force from `takesEffectAfterSeconds` after it is saved (the time every function's cache takes to see it), so a sale
 * is always awarded under the versions in force at its date, by whichever function awards it.
 */

const term = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine(isWellFormed, 'must be well-formed Unicode text')
    .refine((v) => !containsCardNumber(v), 'must not contain a card number');
const whole = (min: number, max: number) =>
  z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

const rewardBody = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('multiplier'),
      factor: z.number({ error: 'must be a number' }).gt(1, 'must be more than 1').max(25, 'must be at most 25'),
    }),
    z.strictObject({ kind: z.literal('bonus'), points: whole(1, 100_000) }),
    z.strictObject({ kind: z.literal('punch_card'), purchases: whole(2, 100), bonusPoints: whole(1, 100_000) }),
  ],
  { error: 'must be { kind: multiplier, factor }, { kind: bonus, points } or { kind: punch_card, purchases, bonusPoints }' },
);

const conditionsBody = z.strictObject({
  products: z.array(term(80)).min(1, 'must list at least one product or be left out').max(50, 'must list at most 50').optional(),
  machines: z.array(term(64)).min(1, 'must list at least one machine or be left out').max(200, 'must list at most 200').optional(),
  daysOfWeek: z
    .array(whole(1, 7))
    .min(1, 'must list at least one day or be left out')
    .max(7, 'must list at most 7 days')
    .refine((days) => new Set(days).size === days.length, 'must not repeat a day')
    .optional(),
  hours: z
    .strictObject({ from: whole(0, 23), to: whole(0, 24) })
    .refine((h) => h.from !== h.to, 'from and to must differ (from after to runs over midnight)')
    .optional(),
  dates: z
    .strictObject({ from: isoDay.optional(), to: isoDay.optional() })
    .refine((d) => !d.from || !d.to || d.from <= d.to, 'from must not be after to')
    .optional(),
});

const campaignFields = z.strictObject({
  name: term(80),
  reward: rewardBody,
  when: conditionsBody.default({}),
  caps: z.strictObject({ perCustomerPerDay: whole(1, 1_000_000).optional(), perCustomer: whole(1, 10_000_000).optional() }).optional(),
  stacking: z.enum(['additive', 'best_of'], { error: 'must be additive or best_of' }).default('additive'),
});
const punchCardsAdd: [(c: { reward: { kind: string }; stacking: string }) => boolean, { message: string; path: string[] }] = [
  (c) => c.reward.kind !== 'punch_card' || c.stacking === 'additive',
  { message: 'a punch card always adds to the other campaigns: must be additive', path: ['stacking'] },
];

/** A new campaign. */
export const campaignBody = campaignFields.refine(...punchCardsAdd);
export type CampaignDefinition = z.output<typeof campaignBody>;

const version = whole(1, 1_000_000);
/** A change: the whole new definition, and the version it replaces. */
export const campaignChangeBody = campaignFields.extend({ expectedVersion: version }).refine(...punchCardsAdd);
export const expectedVersion = z.strictObject({ expectedVersion: version });

export interface CampaignDeps {
  campaigns: CampaignBook;
  program: ProgramConfig;
  /** How long after it is saved a change takes effect. */
  takesEffectAfterSeconds: number;
  now(): Date;
}

const newCampaignId = () => `cmp-${randomBytes(8).toString('hex')}`;

/** Names of machine groups a definition refers to that the program does not have, by the field naming them. */
function refuseUnknownGroups(definition: CampaignDefinition, program: ProgramConfig): void {
  const errors = (definition.when.machines ?? []).flatMap((machine, i) =>
    machine.startsWith('group:') && !Object.hasOwn(program.machineGroups, machine.slice(6))
      ? [{ field: `body.when.machines.${i}`, rule: `names no machine group of the program (it has: ${groupNames(program) || 'none'})` }]
      : [],
  );
  if (errors.length > 0) throw invalidRequest(errors);
}

const groupNames = (program: ProgramConfig) => Object.keys(program.machineGroups).join(', ');

/** What a version of a campaign is at `now`: waiting to take effect, in force, or over (replaced, ended or past its dates). */
export function campaignStatus(version: SavedCampaignVersion, now: Date, timeZone: string): 'scheduled' | 'active' | 'ended' {
  const at = now.getTime();
  if (version.validTo !== undefined && Date.parse(version.validTo) <= at) return 'ended';
  const today = localTime(now.toISOString(), timeZone).day;
  const dates = version.campaign.when.dates;
  if (dates?.to && dates.to < today) return 'ended';
  if (Date.parse(version.validFrom) > at || (dates?.from && dates.from > today)) return 'scheduled';
  return 'active';
}

const shown = (version: SavedCampaignVersion, deps: CampaignDeps) => ({
  ...version.campaign,
  status: campaignStatus(version, deps.now(), deps.program.timeZone),
  validFrom: version.validFrom,
  validTo: version.validTo ?? null,
  savedAt: version.savedAt,
  savedBy: version.savedBy,
  endedBy: version.endedBy ?? null,
});

/** Every campaign at its latest version, newest saved first, with the settings a form needs. */
export async function listCampaigns(deps: CampaignDeps) {
  const latest = [...latestVersions(await deps.campaigns.versions()).values()].sort((a, b) => b.savedAt.localeCompare(a.savedAt));
  return {
    timeZone: deps.program.timeZone,
    machineGroups: deps.program.machineGroups,
    takesEffectAfterSeconds: deps.takesEffectAfterSeconds,
    items: latest.map((version) => shown(version, deps)),
  };
}

/** One campaign with all its versions, newest first. */
export async function campaignHistory(campaignId: string, deps: CampaignDeps) {
  const versions = (await deps.campaigns.versions())
    .filter((v) => v.campaign.id === campaignId)
    .sort((a, b) => b.campaign.version - a.campaign.version);
  if (versions.length === 0) throw notFound(`campaign ${campaignId}`);
  return { campaignId, current: shown(versions[0]!, deps), versions: versions.map((v) => shown(v, deps)) };
}

const effectiveFrom = (deps: CampaignDeps) => new Date(deps.now().getTime() + deps.takesEffectAfterSeconds * 1_000).toISOString();

/**
 * Campaigns open at once, at most: every award weighs each one in force, and a customer's item keeps its use of each
 * (the item every award rewrites).
 */
export const MAX_OPEN_CAMPAIGNS = 50;

export async function createCampaign(definition: CampaignDefinition, by: ChangeAuthor, deps: CampaignDeps) {
  refuseUnknownGroups(definition, deps.program);
  const open = [...latestVersions(await deps.campaigns.versions()).values()].filter((v) => v.validTo === undefined);
  if (open.length >= MAX_OPEN_CAMPAIGNS)
    throw new AdminError(409, `${open.length} campaigns are open, the most there may be: end one before creating another`);
  const campaign: Campaign = { id: newCampaignId(), version: 1, ...definition };
  const result = await deps.campaigns.save(campaign, effectiveFrom(deps), by, deps.now().toISOString());
  if (result === 'conflict') throw new AdminError(409, 'a campaign with this id already exists: send the request again');
  return campaignHistory(campaign.id, deps);
}

async function openLatest(campaignId: string, expected: number, deps: CampaignDeps): Promise<SavedCampaignVersion> {
  const latest = latestVersions(await deps.campaigns.versions()).get(campaignId);
  if (!latest) throw notFound(`campaign ${campaignId}`);
  if (latest.validTo !== undefined) throw new AdminError(409, `campaign ${campaignId} has ended; create a new campaign instead`);
  if (latest.campaign.version !== expected)
    throw new AdminError(409, `campaign ${campaignId} is at version ${latest.campaign.version}, not ${expected}: reload it and try again`, {
      currentVersion: latest.campaign.version,
    });
  return latest;
}

/** A new version of the campaign, replacing `expectedVersion` (which must still be its latest, open one). */
export async function changeCampaign(
  campaignId: string,
  expected: number,
  definition: CampaignDefinition,
  by: ChangeAuthor,
  deps: CampaignDeps,
) {
  refuseUnknownGroups(definition, deps.program);
  await openLatest(campaignId, expected, deps);
  const campaign: Campaign = { id: campaignId, version: expected + 1, ...definition };
  const result = await deps.campaigns.save(campaign, effectiveFrom(deps), by, deps.now().toISOString());
  if (result === 'conflict') throw new AdminError(409, `campaign ${campaignId} was changed meanwhile: reload it and try again`);
  return campaignHistory(campaignId, deps);
}

/** Ends the campaign: sales dated from `takesEffectAfterSeconds` on earn nothing from it. */
export async function endCampaign(campaignId: string, expected: number, by: ChangeAuthor, deps: CampaignDeps) {
  const latest = await openLatest(campaignId, expected, deps);
  // A version not in force yet ends before it starts.
  const at = [effectiveFrom(deps), latest.validFrom].sort().at(-1)!;
  const result = await deps.campaigns.end(campaignId, expected, at, by);
  if (result === 'conflict') throw new AdminError(409, `campaign ${campaignId} was changed meanwhile: reload it and try again`);
  return campaignHistory(campaignId, deps);
}
