/** What the admin API answers (docs/openapi.yaml), as far as the console reads it. */
export type SyncState = 'running' | 'stopped' | 'partial';

export interface SyncStatus {
  state: SyncState;
  sources: Record<string, { state: string; lastProcessedAt: string | null }>;
  counts: {
    transactionsAwarded: number;
    pointsAwarded: number;
    reversed: number;
    duplicates: number;
    conflicts: number;
    failures: number;
    failuresResolved: number;
    unmatched: number;
  };
  queues: { name: string; waiting: number; inFlight: number; oldestMessageAgeSeconds: number | null }[];
}

export interface ConnectionCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Achievement {
  type: string;
  [detail: string]: unknown;
}

export interface Sale {
  transactionId: string;
  date: string;
  amountCents: number;
  product: string;
  machineId: string;
  cardLast4?: string;
  userId?: string;
  status: 'awarded' | 'unmatched' | 'reversed';
  points?: number;
  purchasePoints?: number;
  bonusPoints?: number;
  campaignPoints?: number;
  campaigns?: { campaignId: string; version: number; points: number; punch?: { of: number; completed: boolean } }[];
  balanceAfter?: number;
  tierBefore?: string;
  tierAfter?: string;
  punchCountAfter?: number;
  achievements?: Achievement[];
  source?: string;
  receivedAt?: string;
  awardedAt?: string;
  unmatchedReason?: string;
  candidateCount?: number;
  reversedAt?: string;
  reversedBy?: string;
  reversalReason?: string;
  conflicts?: Conflict[];
}

export interface Conflict {
  transactionId: string;
  detectedAt: string;
  /** The stored sale's status when the different delivery arrived. */
  existingStatus?: string;
  /** The delivery refused for carrying different content. */
  incoming?: Partial<Sale>;
}

export interface Failure {
  failureId: string;
  reason: string;
  source: string;
  status: 'open' | 'resolved' | string;
  retryable: boolean;
  raw?: string;
  rawTruncated?: boolean;
  transactionId?: string;
  errors?: { field: string; rule: string }[];
  occurrences?: number;
  firstSeenAt?: string;
  lastSeenAt?: string;
  resolvedAt?: string;
  outcome?: string;
}

export interface Customer {
  userId: string;
  name: string | null;
  email: string | null;
  pushEndpoint?: string | null;
  marketingConsent: boolean;
  marketingConsentAt: string | null;
  points: number;
  lifetimePoints: number;
  tier: string;
  punchCard: { punches: number; of: number; completed: number; bonusPoints: number };
  purchaseCount: number;
  cards: { cardId: string; last4: string; linkedAt: string }[];
  createdAt?: string;
  updatedAt?: string;
  /** The program's rewards, each with whether the balance covers it (GET /admin/users/{userId}). */
  rewards?: RewardOption[];
}

export interface RewardOption {
  id: string;
  name: string;
  kind: 'free_vend' | 'credit';
  points: number;
  valueCents: number;
  affordable: boolean;
}

export interface Redemption {
  redemptionId: string;
  userId: string;
  rewardId: string;
  rewardName: string;
  kind: 'free_vend' | 'credit';
  points: number;
  valueCents: number;
  code: string;
  status: 'issued' | 'reversed';
  createdAt: string;
  madeBy: string;
  balanceAfter: number;
  reversedAt?: string;
  reversedBy?: string;
  reversalReason?: string;
}

export interface StatsReport {
  from: string;
  to: string;
  byDay: { day: string; sales: number; amountCents: number; points: number; redemptions?: number; pointsRedeemed?: number }[];
  byMachine: { machineId: string; sales: number; amountCents: number; points: number }[];
  byProduct: { product: string; sales: number; amountCents: number; points: number }[];
}

export interface NotificationEntry {
  eventId: string;
  eventType: string;
  audience?: string;
  userId?: string;
  transactionId?: string;
  message: string;
  channels?: string[];
  occurredAt: string;
  publishedAt?: string;
  status?: string;
  balanceAfter?: number;
}

export interface AuditEntry {
  auditId: string;
  at: string;
  actorId: string;
  actorName: string;
  actorKind: 'user' | 'client';
  action: string;
  target: string;
  outcome: 'succeeded' | 'refused' | 'failed';
  status: number;
  requestId?: string;
  detail?: string;
}

export interface ImportResult {
  import: string;
  rows: number;
  awarded: number;
  duplicate: number;
  conflict: number;
  unmatched: number;
  failed: number;
  outcomes: { line: number; outcome: string; transactionId?: string; reason?: string }[];
  outcomesTruncated: boolean;
}

export interface CampaignDefinition {
  name: string;
  reward:
    | { kind: 'multiplier'; factor: number }
    | { kind: 'bonus'; points: number }
    | { kind: 'punch_card'; purchases: number; bonusPoints: number };
  when: {
    products?: string[];
    machines?: string[];
    daysOfWeek?: number[];
    hours?: { from: number; to: number };
    dates?: { from?: string; to?: string };
  };
  caps?: { perCustomerPerDay?: number; perCustomer?: number };
  stacking: 'additive' | 'best_of';
}

export interface CampaignView extends CampaignDefinition {
  id: string;
  version: number;
  status: 'scheduled' | 'active' | 'ended';
  validFrom: string;
  validTo: string | null;
  savedAt: string;
  savedBy: string;
  endedBy: string | null;
}

export interface CampaignList {
  timeZone: string;
  machineGroups: Record<string, string[]>;
  takesEffectAfterSeconds: number;
  items: CampaignView[];
}

export interface CampaignHistory {
  campaignId: string;
  current: CampaignView;
  versions: CampaignView[];
}
