import { _parse, $constructor, $ZodError, type $ZodIssue } from 'zod/v4/core';
import * as z from '../support/zod-mini';

export const TIER_NAMES = ['Bronze', 'Silver', 'Gold', 'Platinum'] as const;
export type TierName = (typeof TIER_NAMES)[number];

const tierSchema = z.object({
  name: z.enum(TIER_NAMES),
  /** Lifetime points (every point ever earned, bonuses included) needed to reach this tier. */
  minLifetimePoints: z.number().check(z.int(), z.nonnegative()),
  /** Multiplier applied to purchase points earned while in this tier. */
  multiplier: z.number().check(z.positive()),
});

const isTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

const rewardSchema = z.object({
  /** Stable id the redemption requests name. */
  id: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be lower-case letters, digits and dashes (at most 40)')),
  name: z.string().check(z.minLength(1), z.maxLength(80)),
  /** `free_vend`: one vend up to `valueCents`; `credit`: `valueCents` off a purchase. */
  kind: z.enum(['free_vend', 'credit']),
  points: z.number().check(z.int(), z.positive()),
  valueCents: z.number().check(z.int(), z.positive()),
});
export type Reward = z.infer<typeof rewardSchema>;

const DEFAULT_REWARDS: Reward[] = [
  { id: 'free-vend', name: 'Free vend (up to $3.00)', kind: 'free_vend', points: 300, valueCents: 300 },
  { id: 'credit-5', name: '$5.00 credit', kind: 'credit', points: 500, valueCents: 500 },
];
const EXPIRY_OFF = { mode: 'off' as const, days: 365, noticeDays: 14 };
const NO_DOWNGRADES = { windowMonths: 12, downgrade: 'none' as const, noticeDays: 30 };

const days = z.number().check(z.int(), z.gte(1), z.lte(3_650));

export const programConfigSchema = z
  .object({
    /** The time zone campaigns' days and hours, and expiry dates, are read in (IANA name). */
    timeZone: z._default(z.string().check(z.refine(isTimeZone, 'must be an IANA time zone, e.g. Europe/London')), 'UTC'),
    /** Named groups of machine ids a campaign can target as `group:<name>`. */
    machineGroups: z._default(
      z.record(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be letters, digits, _ or - (at most 40)')), z.array(z.string())),
      {},
    ),
    /** What customers can redeem their points for. */
    rewards: z._default(z.array(rewardSchema).check(z.maxLength(50)), DEFAULT_REWARDS),
    /**
     * Points expiry: `off`; `inactivity` (all points go once the customer earned nothing for `days`); `age` (each
     * earning's remainder goes `days` after it was earned). Customers are told `noticeDays` before.
     */
    expiry: z._default(
      z.object({ mode: z.enum(['off', 'inactivity', 'age']), days, noticeDays: z.number().check(z.int(), z.gte(0), z.lte(365)) }),
      EXPIRY_OFF,
    ),
    /**
     * Tier requalification over the points earned in the last `windowMonths`: `none` keeps every tier reached,
     * `one_down` drops one tier at most, `to_window` drops to the tier the window supports. `noticeDays` before a drop,
     * the customer is told.
     */
    requalification: z._default(
      z.object({
        windowMonths: z.number().check(z.int(), z.gte(1), z.lte(60)),
        downgrade: z.enum(['none', 'one_down', 'to_window']),
        noticeDays: z.number().check(z.int(), z.gte(0), z.lte(365)),
      }),
      NO_DOWNGRADES,
    ),
    pointsPerDollar: z.number().check(z.int(), z.positive()),
    /** Sales above this amount (in cents) are rejected as implausible. */
    maxAmountCents: z.number().check(z.int(), z.positive()),
    punchCard: z.object({
      purchasesPerCard: z.number().check(z.int(), z.positive()),
      bonusPoints: z.number().check(z.int(), z.nonnegative()),
    }),
    tiers: z.array(tierSchema).check(z.minLength(1)),
    notifications: z.object({
      pointsAwarded: z.boolean(),
      /**
       * Customer notifications sent only to customers who consented to marketing messages. The others (a completed
       * punch card, a bonus, a new tier, points about to expire or expired, a tier about to drop or dropped) are service
       * messages about the account, sent to every customer.
       */
      consentRequiredFor: z._default(
        z.array(
          z.enum([
            'points_awarded',
            'punch_card_completed',
            'bonus_awarded',
            'tier_upgraded',
            'points_expiring',
            'points_expired',
            'tier_will_downgrade',
            'tier_downgraded',
          ]),
        ),
        ['points_awarded'],
      ),
    }),
    retention: z._default(
      z.object({
        /** Days an awarded sale is kept from its date; null keeps it as long as the account exists. */
        salesDays: z.nullable(z.number().check(z.int(), z.gte(30), z.lte(36_500))),
      }),
      { salesDays: null },
    ),
  })
  .check(
    z.refine((c) => c.tiers[0]?.minLifetimePoints === 0, { message: 'the first tier must start at 0 lifetime points', path: ['tiers'] }),
    z.refine((c) => c.tiers.every((t, i) => i === 0 || t.minLifetimePoints > c.tiers[i - 1]!.minLifetimePoints), {
      message: 'tiers must be in strictly increasing order of minLifetimePoints',
      path: ['tiers'],
    }),
    z.refine((c) => new Set(c.rewards.map((r) => r.id)).size === c.rewards.length, {
      message: 'reward ids must be unique',
      path: ['rewards'],
    }),
    // Expiry and requalification read the customer's sales: sales expired by retention before them would be missing.
    z.refine((c) => c.retention.salesDays === null || c.expiry.mode === 'off' || c.retention.salesDays >= c.expiry.days, {
      message: 'retention.salesDays must be at least expiry.days: expiry reads the sales whose points it expires',
      path: ['retention', 'salesDays'],
    }),
    z.refine(
      (c) =>
        c.retention.salesDays === null ||
        c.requalification.downgrade === 'none' ||
        c.retention.salesDays >= c.requalification.windowMonths * 31,
      {
        message: "retention.salesDays must cover requalification.windowMonths: a tier review counts the window's sales",
        path: ['retention', 'salesDays'],
      },
    ),
  );

/**
 * What classic zod's `.parse` throws, and so what an invalid override has always failed start-up with: an Error named
 * ZodError, its message the issues as JSON, its stack from the caller of the parse (classic's format/flatten helpers
 * aside: nothing calls them).
 */
const ZodError = $constructor<$ZodError, $ZodIssue[]>(
  'ZodError',
  (inst, issues) => {
    $ZodError.init(inst, issues);
    inst.name = 'ZodError';
  },
  undefined,
  { Parent: Error },
);
const parseProgram = _parse(ZodError);

export type ProgramConfig = z.infer<typeof programConfigSchema>;

export const DEFAULT_PROGRAM: ProgramConfig = {
  timeZone: 'UTC',
  machineGroups: {},
  rewards: DEFAULT_REWARDS,
  expiry: EXPIRY_OFF,
  requalification: NO_DOWNGRADES,
  pointsPerDollar: 10,
  maxAmountCents: 100_000,
  punchCard: { purchasesPerCard: 10, bonusPoints: 50 },
  tiers: [
    { name: 'Bronze', minLifetimePoints: 0, multiplier: 1 },
    { name: 'Silver', minLifetimePoints: 500, multiplier: 1 },
    { name: 'Gold', minLifetimePoints: 2_000, multiplier: 1 },
    { name: 'Platinum', minLifetimePoints: 5_000, multiplier: 1 },
  ],
  notifications: { pointsAwarded: true, consentRequiredFor: ['points_awarded'] },
  retention: { salesDays: null },
};

/**
 * Reads the program from a JSON override (for example the PROGRAM_CONFIG environment variable).
 * Fields not given keep their defaults; an invalid override is an error at start-up, never a silent default.
 */
export function loadProgramConfig(json: string | undefined): ProgramConfig {
  if (!json) return DEFAULT_PROGRAM;
  const override = JSON.parse(json) as Partial<ProgramConfig>;
  return parseProgram(programConfigSchema, { ...DEFAULT_PROGRAM, ...override });
}

export function tierFor(lifetimePoints: number, program: ProgramConfig): TierName {
  let tier = program.tiers[0]!;
  for (const candidate of program.tiers) {
    if (lifetimePoints >= candidate.minLifetimePoints) tier = candidate;
  }
  return tier.name;
}

export function multiplierFor(tier: TierName, program: ProgramConfig): number {
  return program.tiers.find((t) => t.name === tier)?.multiplier ?? 1;
}

/** Points for a purchase: floor(amountCents * pointsPerDollar / 100 * multiplier), integer arithmetic where possible. */
export function purchasePoints(amountCents: number, tier: TierName, program: ProgramConfig): number {
  const base = amountCents * program.pointsPerDollar;
  const multiplier = multiplierFor(tier, program);
  if (multiplier === 1) return Math.floor(base / 100);
  return Math.floor((base * multiplier) / 100);
}
