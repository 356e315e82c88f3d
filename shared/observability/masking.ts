import { maskCardNumbersInText } from '../domain/card-number';

/** Every string a log line carries is masked: a card number hidden in an error message or an id never reaches the logs. */
export const maskingReplacer = (_key: string, value: unknown) => {
  if (typeof value === 'string') return maskCardNumbersInText(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error)
    return { name: value.name, message: maskCardNumbersInText(value.message), stack: value.stack && maskCardNumbersInText(value.stack) };
  return value;
};
