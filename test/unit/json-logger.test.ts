import { injectLambdaContext as powertoolsContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createJsonLogger, injectLambdaContext, JsonLogger } from '../../shared/observability/json-logger';
import { createLogger } from '../../shared/observability/logger';
import { lambdaContext } from '../support/lambda-events';

/*
 * The JSON logger against the Powertools logger it replaces: the same calls, made through each, must write the same
 * lines (timestamps aside) to the same stream.
 */

const CARD = '4111111111111111';
type Line = { stream: 'stdout' | 'stderr'; line: Record<string, unknown> };

/** Every line written while `run` runs, parsed, with the stream it went to. */
async function captured(run: () => Promise<void> | void): Promise<Line[]> {
  const lines: Line[] = [];
  const spy = (stream: 'stdout' | 'stderr') =>
    jest.spyOn(process[stream], 'write').mockImplementation(((chunk: string | Uint8Array) => {
      for (const text of String(chunk).split('\n').filter(Boolean)) lines.push({ stream, line: JSON.parse(text) });
      return true;
    }) as never);
  const out = spy('stdout');
  const err = spy('stderr');
  try {
    await run();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return lines.map(({ stream, line }) => {
    const { timestamp, ...rest } = line;
    expect(typeof timestamp).toBe('string');
    return { stream, line: rest };
  });
}

const savedEnv = { ...process.env };
afterEach(() => {
  process.env = { ...savedEnv };
});

function withEnv(env: Record<string, string | undefined>) {
  for (const key of ['POWERTOOLS_LOG_LEVEL', 'LOG_LEVEL', 'AWS_LAMBDA_LOG_LEVEL', 'AWS_LAMBDA_INITIALIZATION_TYPE', '_X_AMZN_TRACE_ID'])
    delete process.env[key];
  Object.assign(process.env, env);
}

/** Makes the same calls through a Powertools logger and through the JSON logger, each inside a middy handler. */
async function bothLoggers(calls: (logger: Pick<JsonLogger, 'debug' | 'info' | 'warn' | 'error'>) => void, invocations = 1) {
  const context: Context = {
    ...lambdaContext('ingest-message'),
    awsRequestId: 'req-1',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:1:function:f',
  };
  const powertools = createLogger('ingest-message');
  const ours = createJsonLogger('ingest-message');
  const viaPowertools = middy(async () => calls(powertools)).use(powertoolsContext(powertools));
  const viaOurs = middy(async () => calls(ours)).use(injectLambdaContext(ours));
  const expected = await captured(async () => {
    for (let i = 0; i < invocations; i++) await viaPowertools({}, context);
  });
  const actual = await captured(async () => {
    for (let i = 0; i < invocations; i++) await viaOurs({}, context);
  });
  return { expected, actual };
}

describe('JsonLogger writes what the Powertools logger writes', () => {
  test('messages with attributes, errors and the Lambda context, card numbers masked everywhere', async () => {
    withEnv({
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      _X_AMZN_TRACE_ID: 'Root=1-abc-def;Parent=12;Sampled=1',
    });
    const failure = Object.assign(new Error(`card ${CARD} refused`), { name: 'ValidationException', $fault: 'client' });
    const { expected, actual } = await bothLoggers((logger) => {
      logger.info('Message ingested', { messageId: 'm-1', awarded: 1, duplicate: 0 });
      logger.warn(`Message stored as a failure: ${CARD}`, { messageId: 'm-2', reason: `bad card ${CARD}`, nested: { card: CARD, n: 1n } });
      logger.error('Notification failed', { sequenceNumber: '42', error: failure });
      logger.error('An error as the extra argument', failure);
      logger.info({ message: 'An object message', count: 3 }, 'a string extra', null);
      logger.debug('Dropped and kept keys', { level: 'no', service: 'no', empty: '', missing: undefined, none: null, zero: 0, no: false });
    }, 2);
    expect(actual).toEqual(expected);
    expect(JSON.stringify(actual)).not.toContain(CARD);
    // The first invocation of an on-demand environment is its cold start; the context is on every line.
    expect(actual[0]!.line).toMatchObject({
      level: 'INFO',
      service: 'ingest-message',
      cold_start: true,
      function_name: 'ingest-message',
      function_request_id: 'req-1',
      xray_trace_id: '1-abc-def',
    });
    expect(actual.at(-1)!.line).toMatchObject({ cold_start: false });
    // INFO and DEBUG to stdout, WARN and ERROR to stderr (the two reserved keys are warned about first).
    expect(actual.map((l) => l.stream).slice(0, 8)).toEqual([
      'stdout',
      'stderr',
      'stderr',
      'stderr',
      'stdout',
      'stderr',
      'stderr',
      'stdout',
    ]);
  });

  test.each([
    [{ POWERTOOLS_LOG_LEVEL: 'WARN' }],
    [{ LOG_LEVEL: 'error' }],
    [{ POWERTOOLS_LOG_LEVEL: 'SILENT' }],
    [{ AWS_LAMBDA_LOG_LEVEL: 'WARN', POWERTOOLS_LOG_LEVEL: 'DEBUG' }],
    [{}],
  ])('levels: %j', async (env) => {
    withEnv(env);
    const { expected, actual } = await bothLoggers((logger) => {
      logger.debug('debug');
      logger.info('info');
      logger.warn('warn');
      logger.error('error');
    });
    expect(actual).toEqual(expected);
  });

  test('no cold start is claimed where Lambda does not say the start was on demand', async () => {
    withEnv({});
    const { expected, actual } = await bothLoggers((logger) => logger.info('hello'));
    expect(actual).toEqual(expected);
    expect(actual[0]!.line.cold_start).toBe(false);
  });
});

describe('JsonLogger', () => {
  test('without a context, a line has no Lambda fields', async () => {
    const lines = await captured(() => new JsonLogger({ serviceName: 's', env: {} }).info('before any invocation', { a: 1 }));
    expect(lines).toEqual([
      { stream: 'stdout', line: { level: 'INFO', message: 'before any invocation', service: 's', sampling_rate: 0, a: 1 } },
    ]);
  });

  test('a cycle is dropped rather than failing the line', async () => {
    const looped: Record<string, unknown> = { name: 'loop' };
    looped.self = looped;
    const lines = await captured(() => new JsonLogger({ serviceName: 's', env: {} }).warn('cyclic', { looped }));
    expect(lines[0]!.line.looped).toEqual({ name: 'loop' });
  });

  test('POWERTOOLS_LOGGER_LOG_EVENT logs each invocation’s event, masked', async () => {
    const logger = createJsonLogger('s', { POWERTOOLS_LOGGER_LOG_EVENT: 'true' });
    const handler = middy(async () => undefined).use(injectLambdaContext(logger, { POWERTOOLS_LOGGER_LOG_EVENT: 'true' }));
    const lines = await captured(() => handler({ body: `card ${CARD}` }, lambdaContext('s')));
    expect(lines[0]!.line).toMatchObject({ message: 'Lambda invocation event', event: { body: 'card ************1111' } });
  });
});
