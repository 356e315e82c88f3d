/** One broken rule of a request: the field (`query.from`, `body.points`, `path.userId`, `header.content-type`) and the rule. */
export interface FieldError {
  field: string;
  rule: string;
}

export type AdminErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 503;

/** An admin request that cannot be served as asked: mapped to its HTTP status by the handler. */
export class AdminError extends Error {
  constructor(
    readonly status: AdminErrorStatus,
    message: string,
    readonly details?: unknown,
    /** Seconds a client should wait before asking again (503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

export const notFound = (what: string) => new AdminError(404, `${what} not found`);

export const invalidRequest = (errors: FieldError[]) => new AdminError(400, 'invalid request', errors);

/** Contention or throttling outlasted the retries: nothing was changed, asking again later is safe. */
export const busy = (reason: string) => new AdminError(503, reason, undefined, 1);

/** A cursor that is not one this listing issued: malformed, altered, or from another listing. `rule` says which. */
export class InvalidCursorError extends Error {
  constructor(readonly rule: string) {
    super(`cursor ${rule}`);
    this.name = 'InvalidCursorError';
  }
}
