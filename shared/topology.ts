/**
 * The system's topology, described once. The CDK stack (infra/) and the local runtime (local/) both
 * build from this, so functions, triggers, batch sizes and schedules cannot drift apart.
 */

import type { Role } from './auth/roles';

export const WATCHED_PREFIXES = { transactions: 'transactions/', imports: 'imports/' } as const;

export type QueueName = 'fileEvents' | 'moma';

export interface QueueSpec {
  /** Default physical name; the Moma queue's can be overridden by CDK context. */
  defaultName: string;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  retentionDays: number;
  dlqRetentionDays: number;
  /**
   * The local stack shortens the visibility timeout so a failed message is retried, and reaches its DLQ,
   * within seconds; pollers extend it with a heartbeat while a handler is still working.
   */
  localVisibilityTimeoutSeconds: number;
}

export const QUEUES: Record<QueueName, QueueSpec> = {
  fileEvents: {
    defaultName: 'hi-vis-file-events',
    visibilityTimeoutSeconds: 3_600,
    maxReceiveCount: 5,
    retentionDays: 14,
    dlqRetentionDays: 14,
    localVisibilityTimeoutSeconds: 5,
  },
  moma: {
    defaultName: 'hi-vis-notifications',
    visibilityTimeoutSeconds: 180,
    maxReceiveCount: 5,
    retentionDays: 14,
    dlqRetentionDays: 14,
    localVisibilityTimeoutSeconds: 2,
  },
};

export type Trigger =
  | {
      type: 'sqs';
      queue: QueueName;
      batchSize: number;
      maxBatchingWindowSeconds: number;
      maxConcurrency?: number;
      /** Concurrent pollers on the local stack, standing in for Lambda's concurrent invocations. */
      localPollers: number;
    }
  | { type: 'schedule'; everyMinutes: number }
  /** Routes of one of the HTTP APIs, as API Gateway route keys: `METHOD /path/{param}`. */
  | { type: 'http'; api: HttpApiName; routes: readonly string[] }
  /**
   * The table's stream. `filters` are Lambda event filter patterns (any one must match); the local stream
   * poller applies the same patterns.
   */
  | { type: 'stream'; batchSize: number; maxBatchingWindowSeconds: number; filters: readonly StreamFilter[]; retryAttempts: number };

/**
 * The two HTTP APIs: the operators' (`/admin/*`, tokens of the operators' pool) and the customers' (`/customer/*`,
 * tokens of the customers' pool), each with its own JWT authorizer, so a token of one pool reaches no route of the other.
 */
export type HttpApiName = 'admin' | 'customer';

/** A Lambda event filter pattern over a DynamoDB stream record: leaves are lists of accepted values. */
export interface StreamFilter {
  eventName?: readonly string[];
  dynamodb: { NewImage?: Record<string, { S?: readonly string[]; BOOL?: readonly boolean[] }> };
}

/** The DynamoDB operations a function calls on the table (Query includes the table's indexes). */
export type TableOperation = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query' | 'ConditionCheckItem';

/**
 * What a function's code reaches, and how. Both runtimes derive a function's environment from this: a resource
 * in the list is the environment variable(s) naming it, and in the stack also the grant for exactly this access.
 * A function gets nothing it does not list.
 */
export interface FunctionUses {
  /** TABLE_NAME. */
  table?: readonly TableOperation[];
  /** BUCKET_NAME: `list` its keys, `read` the objects under the watched prefixes. */
  bucket?: readonly ('list' | 'read')[];
  /** FILE_EVENTS_QUEUE_URL: `send` to it, `inspect` its depth. */
  fileEventsQueue?: readonly ('send' | 'inspect')[];
  /** MOMA_QUEUE_URL. */
  momaQueue?: readonly ('send' | 'inspect')[];
  /** FILE_EVENTS_DLQ_URL and MOMA_DLQ_URL: `inspect` their depth, `redrive` them to the queues they serve. */
  deadLetterQueues?: readonly ('inspect' | 'redrive')[];
  /** CARD_PEPPER_SECRET_ID in the cloud, CARD_PEPPER_FILE locally: `read` its value, `describe` it (does it exist?). */
  cardPepper?: readonly ('read' | 'describe')[];
  /** ACHIEVEMENTS_TOPIC_ARN in the cloud (the topic and customers' push endpoints), NOTIFICATION_SINK_FILE locally. */
  achievements?: readonly ('publish' | 'describe')[];
  /** PROGRAM_CONFIG, the program rules' override, set only where a deployment gives one. */
  programConfig?: true;
  /**
   * CAMPAIGN_CACHE_SECONDS: how long a function trusts the campaigns it loaded from the table. The admin API dates a
   * campaign change that far ahead, so every function awards a sale under the same versions.
   */
  campaigns?: true;
  /** SYNC_TARGETS: the event source mappings and rule of `SYNC_SOURCES`, which it may switch on and off. */
  syncControl?: true;
  /** QUEUE_AGE_METRICS: where the queues' oldest-message age is read (CloudWatch in the cloud). */
  queueAgeMetrics?: true;
  /** AUDIT_TABLE_NAME: `append` entries (a conditional put, never an update or delete), `read` them. */
  auditLog?: readonly ('append' | 'read')[];
  /** OPERATOR_POOL_ID: `read` an operator's email for the audit trail (the access token names the user only by id). */
  operators?: readonly 'read'[];
  /** CUSTOMER_POOL_ISSUER and CUSTOMER_APP_CLIENT_ID: whose access tokens name a customer (checked again in code; no grant). */
  customerTokens?: true;
  /** CUSTOMER_CURSOR_KEY_SECRET_ID in the cloud, CUSTOMER_CURSOR_KEY_FILE locally: `read` the key the history cursors are signed with. */
  customerCursorKey?: readonly 'read'[];
}

export type Resource = keyof FunctionUses;

export interface FunctionSpec {
  /** Handler file, relative to the repository root; it exports `handler`. */
  entry: string;
  memoryMb: number;
  timeoutSeconds: number;
  trigger: Trigger;
  description: string;
  uses: FunctionUses;
}

export type FunctionName = 'ingestFile' | 'ingestMessage' | 'reconcile' | 'stats' | 'notify' | 'adminApi' | 'customerApi' | 'expirePoints';

/**
 * The admin API's routes, as API Gateway route keys, each with the role it needs (a viewer reads; an admin may
 * call every route) and whether a call is written to the audit trail: every change, and every read of one
 * customer's data (`customer-read`: when the call names a customer).
 */
export interface AdminRoute {
  readonly route: string;
  readonly role: Role;
  readonly audit?: 'always' | 'customer-read';
}

export const ADMIN_API: readonly AdminRoute[] = [
  { route: 'POST /admin/sync/start', role: 'admin', audit: 'always' },
  { route: 'POST /admin/sync/stop', role: 'admin', audit: 'always' },
  { route: 'GET /admin/sync/status', role: 'viewer' },
  { route: 'POST /admin/sync/test', role: 'admin' },
  { route: 'GET /admin/transactions', role: 'viewer', audit: 'customer-read' },
  { route: 'GET /admin/transactions/{transactionId}', role: 'viewer', audit: 'always' },
  { route: 'POST /admin/transactions/{transactionId}/reverse', role: 'admin', audit: 'always' },
  { route: 'GET /admin/conflicts', role: 'viewer' },
  { route: 'GET /admin/failures', role: 'viewer' },
  { route: 'POST /admin/failures/{failureId}/retry', role: 'admin', audit: 'always' },
  { route: 'POST /admin/dlq/redrive', role: 'admin', audit: 'always' },
  { route: 'GET /admin/unmatched', role: 'viewer' },
  { route: 'POST /admin/unmatched/{transactionId}/assign', role: 'admin', audit: 'always' },
  { route: 'GET /admin/users', role: 'viewer', audit: 'always' },
  { route: 'PUT /admin/users/{userId}', role: 'admin', audit: 'always' },
  { route: 'GET /admin/users/{userId}', role: 'viewer', audit: 'always' },
  { route: 'GET /admin/users/{userId}/export', role: 'admin', audit: 'always' },
  { route: 'POST /admin/users/{userId}/erase', role: 'admin', audit: 'always' },
  { route: 'POST /admin/users/{userId}/cards', role: 'admin', audit: 'always' },
  { route: 'DELETE /admin/users/{userId}/cards/{cardId}', role: 'admin', audit: 'always' },
  { route: 'GET /admin/users/{userId}/transactions', role: 'viewer', audit: 'always' },
  { route: 'POST /admin/users/{userId}/adjustments', role: 'admin', audit: 'always' },
  { route: 'POST /admin/users/{userId}/redemptions', role: 'admin', audit: 'always' },
  { route: 'GET /admin/users/{userId}/redemptions', role: 'viewer', audit: 'always' },
  { route: 'POST /admin/users/{userId}/redemptions/{redemptionId}/reverse', role: 'admin', audit: 'always' },
  { route: 'POST /admin/import', role: 'admin', audit: 'always' },
  { route: 'GET /admin/stats', role: 'viewer' },
  { route: 'GET /admin/campaigns', role: 'viewer' },
  { route: 'POST /admin/campaigns', role: 'admin', audit: 'always' },
  { route: 'GET /admin/campaigns/{campaignId}', role: 'viewer' },
  { route: 'PUT /admin/campaigns/{campaignId}', role: 'admin', audit: 'always' },
  { route: 'POST /admin/campaigns/{campaignId}/end', role: 'admin', audit: 'always' },
  { route: 'GET /admin/notifications', role: 'viewer' },
  { route: 'GET /admin/audit', role: 'admin' },
];

export const ADMIN_ROUTES: readonly string[] = ADMIN_API.map((r) => r.route);

/** The route table entry of a route key; undefined for a key that is not a route. */
export const adminRoute = (routeKey: string): AdminRoute | undefined => ADMIN_API.find((r) => r.route === routeKey);

/**
 * The customers' own read API: every route answers only for the customer the access token names (its `username`),
 * so no route takes a customer id.
 */
export const CUSTOMER_ROUTES: readonly string[] = ['GET /customer/me', 'GET /customer/me/history'];

/** What "Start/Stop AWS Sync" switches: the two ingest paths' event source mappings and the reconcile schedule. */
export const SYNC_SOURCES = { files: 'ingestFile', messages: 'ingestMessage', reconcile: 'reconcile' } as const satisfies Record<
  string,
  FunctionName
>;
export type SyncSource = keyof typeof SYNC_SOURCES;

export const FUNCTIONS: Record<FunctionName, FunctionSpec> = {
  ingestFile: {
    entry: 'functions/ingest-file/handler.ts',
    memoryMb: 1_024,
    timeoutSeconds: 600,
    trigger: { type: 'sqs', queue: 'fileEvents', batchSize: 1, maxBatchingWindowSeconds: 0, maxConcurrency: 20, localPollers: 2 },
    description: 'Streams Moma files from S3 and awards their sales',
    uses: {
      table: ['GetItem', 'PutItem', 'UpdateItem', 'Query', 'ConditionCheckItem'],
      bucket: ['read'],
      fileEventsQueue: ['send'],
      cardPepper: ['read'],
      programConfig: true,
      campaigns: true,
    },
  },
  ingestMessage: {
    entry: 'functions/ingest-message/handler.ts',
    memoryMb: 512,
    timeoutSeconds: 30,
    trigger: { type: 'sqs', queue: 'moma', batchSize: 10, maxBatchingWindowSeconds: 1, localPollers: 4 },
    description: 'Awards real-time Moma sale messages',
    uses: {
      table: ['GetItem', 'PutItem', 'UpdateItem', 'Query', 'ConditionCheckItem'],
      cardPepper: ['read'],
      programConfig: true,
      campaigns: true,
    },
  },
  reconcile: {
    entry: 'functions/reconcile/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 120,
    trigger: { type: 'schedule', everyMinutes: 5 },
    description: 'Re-queues Moma files that were never processed',
    uses: { table: ['BatchGetItem', 'UpdateItem'], bucket: ['list'], fileEventsQueue: ['send'] },
  },
  stats: {
    entry: 'functions/stats/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 60,
    // Large batches: each writes one item per day, machine and product it touches (in a transaction), so the more
    // sales a batch holds, the fewer writes each costs; a second's wait is nothing to a dashboard.
    trigger: {
      type: 'stream',
      batchSize: 500,
      maxBatchingWindowSeconds: 1,
      filters: [{ dynamodb: { NewImage: { entity: { S: ['sale', 'conflict', 'failure', 'redemption'] } } } }],
      retryAttempts: 10,
    },
    description: 'Aggregates sales, points and review counts by day, machine and product',
    uses: { table: ['UpdateItem', 'PutItem', 'ConditionCheckItem'] },
  },
  notify: {
    entry: 'functions/notify/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 60,
    trigger: {
      type: 'stream',
      batchSize: 25,
      maxBatchingWindowSeconds: 0,
      filters: [
        { dynamodb: { NewImage: { entity: { S: ['sale'] }, status: { S: ['awarded', 'unmatched'] } } } },
        // The expiry run's records are written once: only their creation means anything.
        { eventName: ['INSERT'], dynamodb: { NewImage: { entity: { S: ['expiry', 'tier_change', 'notice'] } } } },
      ],
      retryAttempts: 10,
    },
    description: 'Announces awards, punch cards, bonuses, tier upgrades, unmatched sales, expiries and tier reviews',
    uses: { table: ['GetItem', 'PutItem', 'UpdateItem'], achievements: ['publish'], programConfig: true },
  },
  adminApi: {
    entry: 'functions/admin-api/handler.ts',
    memoryMb: 512,
    timeoutSeconds: 29,
    trigger: { type: 'http', api: 'admin', routes: ADMIN_ROUTES },
    description: "The operators' admin API",
    uses: {
      table: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'ConditionCheckItem'],
      bucket: ['list'],
      fileEventsQueue: ['send', 'inspect'],
      momaQueue: ['send', 'inspect'],
      deadLetterQueues: ['inspect', 'redrive'],
      cardPepper: ['read', 'describe'],
      achievements: ['describe'],
      programConfig: true,
      campaigns: true,
      syncControl: true,
      queueAgeMetrics: true,
      auditLog: ['append', 'read'],
      operators: ['read'],
    },
  },
  customerApi: {
    entry: 'functions/customer-api/handler.ts',
    memoryMb: 512,
    timeoutSeconds: 10,
    trigger: { type: 'http', api: 'customer', routes: CUSTOMER_ROUTES },
    description: "The customers' own read API (balance, tier, rewards, history)",
    uses: { table: ['GetItem', 'Query'], customerTokens: true, customerCursorKey: ['read'], programConfig: true, campaigns: true },
  },
  expirePoints: {
    entry: 'functions/expire-points/handler.ts',
    memoryMb: 512,
    // A run stops early enough to save its checkpoint; the next one continues from there.
    timeoutSeconds: 300,
    trigger: { type: 'schedule', everyMinutes: 60 },
    description: 'Expires points and requalifies tiers of the customers due, with their notices',
    // Query: the due days (GSI3) and each customer's history (GSI1, its own partition); Put/Update in transactions.
    uses: { table: ['GetItem', 'Query', 'PutItem', 'UpdateItem'], programConfig: true },
  },
};

/**
 * How long the functions cache the campaigns (once per process and period, never per sale), and so how far ahead of
 * its saving a campaign change takes effect. The local stack, where nothing is deployed, waits half a second only.
 */
export const CAMPAIGN_CACHE = { seconds: 15, localSeconds: 0.5 } as const;

/** A file-processing worker hands the rest of a file to a fresh invocation when this little time is left. */
export const FILE_YIELD_MARGIN_MS = 60_000;

/** Reconcile leaves recent files to their S3 notifications. */
export const RECONCILE_MIN_AGE_MS = 3 * 60_000;
