/** An admin request that cannot be served as asked: mapped to its HTTP status by the handler. */
export class AdminError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 422,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

export const notFound = (what: string) => new AdminError(404, `${what} not found`);
