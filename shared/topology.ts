/**
 * The system's topology, described once. The CDK stack (infra/) and the local runtime (local/) both
 * build from this, so functions, triggers, batch sizes and schedules cannot drift apart.
 */

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
  fileEvents: { defaultName: 'hi-vis-file-events', visibilityTimeoutSeconds: 3_600, maxReceiveCount: 5, retentionDays: 14, dlqRetentionDays: 14, localVisibilityTimeoutSeconds: 5 },
  moma: { defaultName: 'hi-vis-notifications', visibilityTimeoutSeconds: 180, maxReceiveCount: 5, retentionDays: 14, dlqRetentionDays: 14, localVisibilityTimeoutSeconds: 2 },
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
  /** HTTP API routes, as API Gateway route keys: `METHOD /path/{param}`. */
  | { type: 'http'; routes: readonly string[] };

export interface FunctionSpec {
  /** Handler file, relative to the repository root; it exports `handler`. */
  entry: string;
  memoryMb: number;
  timeoutSeconds: number;
  trigger: Trigger;
  description: string;
}

export type FunctionName = 'ingestFile' | 'ingestMessage' | 'reconcile';

export const FUNCTIONS: Record<FunctionName, FunctionSpec> = {
  ingestFile: {
    entry: 'functions/ingest-file/handler.ts',
    memoryMb: 1_024,
    timeoutSeconds: 600,
    trigger: { type: 'sqs', queue: 'fileEvents', batchSize: 1, maxBatchingWindowSeconds: 0, maxConcurrency: 20, localPollers: 2 },
    description: 'Streams Moma files from S3 and awards their sales',
  },
  ingestMessage: {
    entry: 'functions/ingest-message/handler.ts',
    memoryMb: 512,
    timeoutSeconds: 30,
    trigger: { type: 'sqs', queue: 'moma', batchSize: 10, maxBatchingWindowSeconds: 1, localPollers: 4 },
    description: 'Awards real-time Moma sale messages',
  },
  reconcile: {
    entry: 'functions/reconcile/handler.ts',
    memoryMb: 256,
    timeoutSeconds: 120,
    trigger: { type: 'schedule', everyMinutes: 5 },
    description: 'Re-queues Moma files that were never processed',
  },
};

/** A file-processing worker hands the rest of a file to a fresh invocation when this little time is left. */
export const FILE_YIELD_MARGIN_MS = 60_000;

/** Reconcile leaves recent files to their S3 notifications. */
export const RECONCILE_MIN_AGE_MS = 3 * 60_000;
