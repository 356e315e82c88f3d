import { CAMPAIGN_CACHE, FUNCTIONS, type FunctionUses, type QueueName, type Resource } from '../shared/topology';

/** The local stand-ins for what the functions use. */
export interface LocalResources {
  tableName: string;
  bucket: string;
  queues: Record<QueueName, { url: string; dlqUrl: string }>;
  pepperFile: string;
  notificationSinkFile: string;
  syncTargets: Record<string, { type: 'mapping'; id: string } | { type: 'rule'; name: string }>;
  auditTableName: string;
  userPoolId: string;
  customerTokens: { issuer: string; appClientId: string };
  customerCursorKeyFile: string;
}

/** The variables naming each resource on the local stack: the same names as the stack's bindings, local values. */
const VARIABLES: { [R in Resource]-?: (local: LocalResources) => Record<string, string> } = {
  table: (local) => ({ TABLE_NAME: local.tableName }),
  bucket: (local) => ({ BUCKET_NAME: local.bucket }),
  fileEventsQueue: (local) => ({ FILE_EVENTS_QUEUE_URL: local.queues.fileEvents.url }),
  momaQueue: (local) => ({ MOMA_QUEUE_URL: local.queues.moma.url }),
  deadLetterQueues: (local) => ({ FILE_EVENTS_DLQ_URL: local.queues.fileEvents.dlqUrl, MOMA_DLQ_URL: local.queues.moma.dlqUrl }),
  cardPepper: (local) => ({ CARD_PEPPER_FILE: local.pepperFile }),
  // No topic locally: achievements are appended to a file.
  achievements: (local) => ({ NOTIFICATION_SINK_FILE: local.notificationSinkFile }),
  // An override in the shell's environment reaches the functions as it is.
  programConfig: () => ({}),
  campaigns: () => ({ CAMPAIGN_CACHE_SECONDS: String(CAMPAIGN_CACHE.localSeconds) }),
  syncControl: (local) => ({ SYNC_TARGETS: JSON.stringify(local.syncTargets) }),
  queueAgeMetrics: () => ({ QUEUE_AGE_METRICS: 'none' }),
  auditLog: (local) => ({ AUDIT_TABLE_NAME: local.auditTableName }),
  operators: (local) => ({ OPERATOR_POOL_ID: local.userPoolId }),
  customerTokens: (local) => ({
    CUSTOMER_POOL_ISSUER: local.customerTokens.issuer,
    CUSTOMER_APP_CLIENT_ID: local.customerTokens.appClientId,
  }),
  customerCursorKey: (local) => ({ CUSTOMER_CURSOR_KEY_FILE: local.customerCursorKeyFile }),
};

export function environmentFor(uses: FunctionUses, local: LocalResources): Record<string, string> {
  return Object.assign({}, ...(Object.keys(uses) as Resource[]).map((resource) => VARIABLES[resource](local)));
}

/**
 * The functions' environment on the local stack. They share one process, and so one environment: it holds what
 * any of them uses, derived from the topology as the stack derives each function's own.
 */
export function localFunctionsEnvironment(local: LocalResources): Record<string, string> {
  return Object.assign({}, ...Object.values(FUNCTIONS).map((spec) => environmentFor(spec.uses, local)));
}
