import type { Session } from './auth';

/** An answer of the admin API other than success: its status, message and, for a 400, each field and rule. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: { field: string; rule: string }[] = [],
  ) {
    super(message);
  }

  /** The message as the operator reads it: the API's own words, with the fields it names. */
  get explanation(): string {
    const fields = this.errors.map((e) => `${e.field} ${e.rule}`).join('; ');
    return fields ? `${this.message}: ${fields}` : this.message;
  }
}

export type Query = Record<string, string | number | undefined>;

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** The admin API on this origin, called with the operator's access token; one refresh and retry after a 401. */
export class AdminApi {
  constructor(private readonly session: Session) {}

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.call<T>('GET', withQuery(path, query));
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body === undefined ? undefined : { type: 'application/json', text: JSON.stringify(body) });
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PUT', path, { type: 'application/json', text: JSON.stringify(body) });
  }

  delete<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  postText<T>(path: string, type: string, text: string): Promise<T> {
    return this.call<T>('POST', path, { type, text });
  }

  private async call<T>(method: string, path: string, body?: { type: string; text: string }, retried = false): Promise<T> {
    const token = this.session.accessToken;
    if (!token) throw new ApiError(401, 'signed out: sign in again');
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': body.type } : {}) },
        body: body?.text,
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'the admin API did not answer: check the network and try again');
    }
    if (response.status === 401 && !retried && (await this.session.refresh())) return this.call<T>(method, path, body, true);
    const payload = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (!response.ok) {
      const message = typeof payload?.message === 'string' ? payload.message : `the admin API answered ${response.status}`;
      const errors = Array.isArray(payload?.errors) ? (payload.errors as { field: string; rule: string }[]) : [];
      if (response.status === 401) this.session.clear();
      throw new ApiError(response.status, message, errors);
    }
    return payload as T;
  }
}

export function withQuery(path: string, query: Query): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export const segment = (value: string) => encodeURIComponent(value);
