import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { AdminError, InvalidCursorError } from '../../shared/admin/errors';
import { asAdminError, mediaType, responseBody, serveAdminRequest, toApiRequest } from '../../shared/admin/http';
import { dayRange, MAX_RANGE_DAYS } from '../../shared/admin/request-rules';
import { ROUTES } from '../../shared/admin/routes';
import { TransientIngestError } from '../../shared/ingest/ingest-sale';
import { memoryAdmin } from '../support/admin-fakes';
import { authorizedContext } from '../support/lambda-events';

function event(routeKey: string, overrides: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey,
    rawPath: '/',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: authorizedContext(),
    ...overrides,
  };
}

function refusal(fn: () => unknown): AdminError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AdminError);
    return err as AdminError;
  }
  throw new Error('the request was accepted');
}

const ADJUST = 'POST /admin/users/{userId}/adjustments';
const json = { 'content-type': 'application/json' };

describe('admin request dates', () => {
  test('impossible calendar days are 400 naming the parameter', async () => {
    const { app } = memoryAdmin();
    for (const [query, field] of [
      ['from=2025-02-30', 'query.from'],
      ['to=2025-13-01', 'query.to'],
      ['from=2023-02-29&to=2023-03-01', 'query.from'],
      ['from=0000-01-01', 'query.from'],
    ] as const) {
      const err = await serveAdminRequest(
        ROUTES['GET /admin/failures']!,
        event('GET /admin/failures', { rawQueryString: query }),
        app,
      ).catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 400, details: [{ field, rule: 'must be a real calendar date' }] });
    }
  });

  test('a leap day is a real day', () => {
    expect(dayRange({ from: '2024-02-29', to: '2024-03-01' })).toEqual({ from: '2024-02-29', to: '2024-03-01' });
  });

  test(`a range over ${MAX_RANGE_DAYS} days is 400 naming the parameter, decided without expanding it`, async () => {
    const started = performance.now();
    const err = await serveAdminRequest(
      ROUTES['GET /admin/stats']!,
      event('GET /admin/stats', { rawQueryString: 'from=0001-01-01&to=9999-12-31' }),
      memoryAdmin().app,
    ).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(50);
    expect(err).toMatchObject({
      status: 400,
      details: [{ field: 'query.from', rule: expect.stringContaining(`at most ${MAX_RANGE_DAYS} days`) }],
    });
    expect(refusal(() => dayRange({ from: '2000-01-01' }, 30, '2025-01-01')).details).toEqual([
      { field: 'query.from', rule: expect.stringContaining('at most 366 days') },
    ]);
    expect(dayRange({ from: '2024-01-01', to: '2024-12-31' })).toEqual({ from: '2024-01-01', to: '2024-12-31' });
  });

  test('defaults: the last days up to `to`, never before year 1; from after to is 400', () => {
    expect(dayRange({}, 7, '2025-03-02')).toEqual({ from: '2025-02-24', to: '2025-03-02' });
    expect(dayRange({ to: '0001-01-03' }, 30)).toEqual({ from: '0001-01-01', to: '0001-01-03' });
    expect(refusal(() => dayRange({ from: '2025-02-01', to: '2025-01-01' })).details).toEqual([
      { field: 'query.from', rule: 'must not be after query.to' },
    ]);
  });
});

describe('admin request bodies', () => {
  test('a JSON route takes application/json, with a utf-8 charset at most; anything else is 415 naming the type', () => {
    expect(
      toApiRequest(event(ADJUST, { headers: { 'content-type': 'application/json; charset=UTF-8' }, body: '{"points":1}' })).body,
    ).toEqual({ points: 1 });
    for (const contentType of [
      'text/csv',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=latin1',
      'application/json, text/csv',
      'application/jsonx',
      undefined,
    ]) {
      const err = refusal(() =>
        toApiRequest(event(ADJUST, { headers: contentType ? { 'content-type': contentType } : {}, body: '{"points":1}' })),
      );
      expect(err.status).toBe(415);
      expect(err.message).toContain('application/json');
      expect(err.details).toEqual([{ field: 'header.content-type', rule: expect.stringContaining('must be application/json') }]);
    }
  });

  test('the import takes text/csv only', () => {
    expect(
      toApiRequest(event('POST /admin/import', { headers: { 'Content-Type': 'text/csv; charset=utf-8' }, body: 'a,b\n1,2' })).rawBody,
    ).toBe('a,b\n1,2');
    expect(refusal(() => toApiRequest(event('POST /admin/import', { headers: json, body: 'a,b' }))).status).toBe(415);
  });

  test('an empty body is fine where the body is optional, and content types are not asked of it', () => {
    expect(toApiRequest(event('POST /admin/dlq/redrive')).body).toBeUndefined();
    expect(toApiRequest(event('POST /admin/dlq/redrive', { body: '', headers: { 'content-type': 'text/csv' } })).body).toBeUndefined();
  });

  test('a route without a body ignores what is sent', () => {
    expect(toApiRequest(event('POST /admin/sync/start', { headers: { 'content-type': 'text/csv' }, body: '\u0000garbage' }))).toMatchObject(
      { body: undefined, rawBody: '' },
    );
  });

  test('invalid JSON, non-objects, deep nesting and prototype keys are 400 naming the field', () => {
    const send = (body: string) => refusal(() => toApiRequest(event(ADJUST, { headers: json, body })));
    expect(send('{"points":').details).toEqual([{ field: 'body', rule: 'must be valid JSON' }]);
    expect(send('NaN').details).toEqual([{ field: 'body', rule: 'must be valid JSON' }]);
    for (const body of ['[1]', '"x"', '12', 'null']) expect(send(body).details).toEqual([{ field: 'body', rule: 'must be a JSON object' }]);
    expect(send(`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`).details).toEqual([
      { field: expect.stringMatching(/^body\.a(\.0)+$/), rule: 'must nest at most 32 levels deep' },
    ]);
    expect(send('{"__proto__":{"points":5}}').details).toEqual([{ field: 'body.__proto__', rule: 'is not an accepted key' }]);
    expect(send('{"x":{"constructor":{}}}').details).toEqual([{ field: 'body.x.constructor', rule: 'is not an accepted key' }]);
    expect(send('{"reason":"\\ud800"}').details).toEqual([{ field: 'body.reason', rule: 'must be well-formed Unicode text' }]);
  });

  test('base64 bodies are decoded; invalid UTF-8 is 400', () => {
    const body = Buffer.from('{"points":3}').toString('base64');
    expect(toApiRequest(event(ADJUST, { headers: json, body, isBase64Encoded: true })).body).toEqual({ points: 3 });
    const invalid = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64');
    expect(refusal(() => toApiRequest(event(ADJUST, { headers: json, body: invalid, isBase64Encoded: true }))).details).toEqual([
      { field: 'body', rule: 'must be UTF-8 text' },
    ]);
  });

  test('a query parameter given twice is 400', () => {
    expect(refusal(() => toApiRequest(event('GET /admin/failures', { rawQueryString: 'limit=1&limit=2&limit=3' }))).details).toEqual([
      { field: 'query.limit', rule: 'must be given at most once' },
    ]);
    expect(toApiRequest(event('GET /admin/failures', { rawQueryString: 'limit=1&cursor=' })).query).toEqual(
      Object.assign(Object.create(null), { limit: '1', cursor: '' }),
    );
  });

  test('media types', () => {
    expect(mediaType('Application/JSON ; charset="utf-8"')).toBe('application/json');
    expect(mediaType('')).toBeUndefined();
    expect(mediaType('json')).toBeUndefined();
  });
});

describe('admin errors and responses', () => {
  test('errors of the layers below become AdminErrors; faults stay faults', () => {
    expect(asAdminError(new InvalidCursorError('was altered or was not issued by this API'))).toMatchObject({
      status: 400,
      message: 'invalid cursor',
      details: [{ field: 'query.cursor', rule: 'was altered or was not issued by this API' }],
    });
    expect(asAdminError(new TransientIngestError('the account kept changing'))).toMatchObject({ status: 503, retryAfterSeconds: 1 });
    expect(
      asAdminError(
        Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } }),
      )?.status,
    ).toBe(503);
    expect(
      asAdminError(
        Object.assign(new Error('one or more parameter values were invalid'), {
          name: 'ValidationException',
          $metadata: { httpStatusCode: 400 },
        }),
      ),
    ).toBeUndefined();
    expect(asAdminError(new TypeError('x is undefined'))).toBeUndefined();
  });

  test('responses carry no hash attribute and no card number, wherever it hides', () => {
    const body = responseBody({
      sale: {
        transactionId: 'T 4111 1111 1111 1111',
        cardFullHash: 'a'.repeat(64),
        cardLast4Hash: 'b',
        contentHash: 'c',
        cardLast4: '1111',
      },
      list: [{ nested: { fileHash: 'd' } }, 5555555555554444, 'ok'],
      '4012888888881881': 1,
      at: '2025-01-01T10:00:00.000Z',
      big: 12345678901234,
    });
    expect(body).not.toMatch(/4111 1111 1111 1111|5555555555554444|4012888888881881|Hash/);
    expect(JSON.parse(body)).toMatchObject({
      sale: { transactionId: 'T ************1111', cardLast4: '1111' },
      list: [{ nested: {} }, '************4444', 'ok'],
      at: '2025-01-01T10:00:00.000Z',
      big: 12345678901234,
    });
  });
});

test('the content type is judged before the bytes: an opaque upload to a JSON route is 415, not a decoding error', () => {
  const bytes = Buffer.from([0xff, 0xfe, 0x00]).toString('base64');
  expect(
    refusal(() =>
      toApiRequest(event(ADJUST, { headers: { 'content-type': 'application/octet-stream' }, body: bytes, isBase64Encoded: true })),
    ).status,
  ).toBe(415);
  expect(toApiRequest(event('PUT /admin/users/{userId}', { headers: json, body: ' \n' })).body).toBeUndefined();
});
