import { actorOf, type Principal } from '../auth/roles';
import { maskCardNumbersInText } from '../domain/card-number';
import { RETENTION_DAYS } from '../domain/retention';

/**
 * The audit trail: who did what to which record, when, and how it ended. An entry is written for every call
 * that changes something and every read of one customer's data, refused calls included; it never holds a card
 * number, and it is only ever appended.
 */
export interface AuditEntry {
  auditId: string;
  at: string;
  actorId: string;
  /** The operator's email (or username), or `client <id>` for a script. */
  actorName: string;
  actorKind: Principal['kind'];
  /** The route, as its API Gateway route key. */
  action: string;
  /** What the call was about: `customer:<id>`, `transaction:<id>`, `failure:<id>`, or a part of the system such as `sync`. */
  target: string;
  outcome: AuditOutcome;
  status: number;
  requestId: string;
  /** A short, masked note: the reason given for a reversal or adjustment, the card touched, the queue redriven. */
  detail?: string;
}

export type AuditOutcome = 'succeeded' | 'refused' | 'failed';

export interface AuditFilter {
  actor?: string;
  target?: string;
  action?: string;
  from: string;
  to: string;
}

export interface AuditPage {
  items: AuditEntry[];
  nextCursor?: string;
}

export interface AuditLog {
  /** Appends an entry; an entry with the same id is never overwritten. */
  append(entry: AuditEntry): Promise<void>;
  /** Newest first, within the filter's days. */
  list(filter: AuditFilter, limit: number, cursor?: string): Promise<AuditPage>;
}

/** Entries are kept at least this long (and then expire). */
export const AUDIT_RETENTION_DAYS = RETENTION_DAYS.audit;

export const MAX_AUDIT_TEXT = 256;

const bounded = (value: string, max = MAX_AUDIT_TEXT) => {
  const masked = maskCardNumbersInText(value);
  return masked.length > max ? `${masked.slice(0, max - 1)}…` : masked;
};

export interface AuditedCall {
  routeKey: string;
  path: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  requestId: string;
  status: number;
  detail?: string;
}

/** The record a call was about, named from its path (or its `customer` filter), else the part of the system it drives. */
export function auditTarget(call: Pick<AuditedCall, 'routeKey' | 'path' | 'query'>): string {
  const { path, query } = call;
  if (path.userId !== undefined) return `customer:${path.userId}`;
  if (path.transactionId !== undefined) return `transaction:${path.transactionId}`;
  if (path.failureId !== undefined) return `failure:${path.failureId}`;
  if (query.customer !== undefined) return `customer:${query.customer}`;
  if (query.userId !== undefined) return `customer:${query.userId}`;
  const [, route = ''] = call.routeKey.split(' ');
  return route.replace(/^\/admin\//, '').split('/')[0] || 'admin';
}

export function outcomeOf(status: number): AuditOutcome {
  if (status < 400) return 'succeeded';
  return status >= 500 ? 'failed' : 'refused';
}

export function auditEntry(call: AuditedCall, principal: Principal, at: Date, auditId: string): AuditEntry {
  const actor = actorOf(principal);
  const detail = [call.path.cardId !== undefined ? `card ${call.path.cardId}` : undefined, call.detail]
    .filter((d): d is string => Boolean(d))
    .join('; ');
  return {
    auditId,
    at: at.toISOString(),
    actorId: bounded(actor.actorId, 128),
    actorName: bounded(actor.actorName),
    actorKind: actor.actorKind,
    action: bounded(call.routeKey, 128),
    target: bounded(auditTarget(call)),
    outcome: outcomeOf(call.status),
    status: call.status,
    requestId: bounded(call.requestId, 128),
    ...(detail ? { detail: bounded(detail, 500) } : {}),
  };
}
