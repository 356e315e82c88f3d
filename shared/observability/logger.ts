import { Logger } from '@aws-lambda-powertools/logger';
import { maskCardNumbersInText } from '../domain/card-number';

/** Every string a log line carries is masked: a card number hidden in an error message or an id never reaches the logs. */
const maskingReplacer = (_key: string, value: unknown) => {
  if (typeof value === 'string') return maskCardNumbersInText(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error)
    return { name: value.name, message: maskCardNumbersInText(value.message), stack: value.stack && maskCardNumbersInText(value.stack) };
  return value;
};

/** The Powertools logger of one function, with card numbers masked in everything it writes. */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName, jsonReplacerFn: maskingReplacer });
}
