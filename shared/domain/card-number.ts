/** Card numbers as Moma sends them: digits, optionally grouped with spaces or dashes. */

export type CardKind = 'full' | 'lastFour';

export interface NormalizedCard {
  kind: CardKind;
  digits: string;
  lastFour: string;
}

export const CARD_FORMAT_RULE = 'must be 4 digits (last four) or 12 to 19 digits (full number); spaces and dashes are allowed';

export function normalizeCardNumber(input: string): NormalizedCard | undefined {
  if (!/^[\d\s-]+$/.test(input)) return undefined;
  const digits = input.replace(/[\s-]/g, '');
  if (digits.length === 4) return { kind: 'lastFour', digits, lastFour: digits };
  if (digits.length >= 12 && digits.length <= 19) return { kind: 'full', digits, lastFour: digits.slice(-4) };
  return undefined;
}

/** Keeps only the last four digits visible, whatever the input looked like. */
export function maskCardNumber(input: unknown): string {
  if (typeof input !== 'string' && typeof input !== 'number') return '[masked]';
  const digits = String(input).replace(/\D/g, '');
  if (digits.length <= 4) return '*'.repeat(digits.length);
  return `${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
}

const CARD_FIELD = /card/i;

/**
 * Deep copy of an untrusted record in which every field whose name mentions "card" is masked,
 * and any long digit run elsewhere is masked too (a card number pasted into the wrong field).
 */
export function maskCardNumbers(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[truncated]';
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => maskCardNumbers(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      out[key] = CARD_FIELD.test(key) ? maskCardNumber(v) : maskCardNumbers(v, depth + 1);
    }
    return out;
  }
  if (typeof value === 'string') return maskDigitRuns(value);
  return value;
}

/** Masks runs of 12 or more digits (possibly grouped) inside free text. */
export function maskDigitRuns(text: string): string {
  return text.replace(/\d(?:[\s-]?\d){11,18}/g, (run) => maskCardNumber(run));
}
