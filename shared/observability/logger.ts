import { Logger } from '@aws-lambda-powertools/logger';
import { maskingReplacer } from './masking';

/**
 * The Powertools logger of one function, with card numbers masked in everything it writes. Only ingest-file still
 * uses it (its handler applies Powertools' own injectLambdaContext); the others use the JSON logger of
 * json-logger.ts, which writes the same lines in about 3 KB instead of 21.
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName, jsonReplacerFn: maskingReplacer });
}
