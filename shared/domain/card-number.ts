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

/** The Luhn checksum every payment card number satisfies. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Keeps only the last four digits visible, whatever the input looked like. */
export function maskCardNumber(input: unknown): string {
  if (typeof input !== 'string' && typeof input !== 'number') return '[masked]';
  const digits = String(input).replace(/\D/g, '');
  if (digits.length <= 4) return '*'.repeat(digits.length);
  return `${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
}

/** A run of digits, each separated from the next by at most three spaces, line breaks, dashes, dots, slashes or underscores. */
const DIGIT_RUN = /\d(?:[\s\u00a0._/-]{0,3}\d)*/g;

/** A block of more than 19 digits hides a card number when some 12 to 19 of its consecutive digits pass Luhn. */
function longBlockHidesCard(digits: string): boolean {
  for (let length = 12; length <= 19; length++) {
    for (let start = 0; start + length <= digits.length; start++) if (passesLuhn(digits.slice(start, start + length))) return true;
  }
  return false;
}

/**
 * Masks the card numbers in one run of digit groups: the whole run when it is one card number, else every span of
 * consecutive groups that is (longest first), and any single block of more than 19 digits that hides one.
 */
function maskRun(run: string): string {
  const digits = run.replace(/\D/g, '');
  if (digits.length < 12) return run;
  if (digits.length <= 19 && passesLuhn(digits)) return maskCardNumber(run);
  // A card beside other digit groups (a quantity, a suffix): try every span of consecutive groups.
  const parts = run.split(/([\s\u00a0._/-]{1,3})/);
  const groups = parts.filter((_, i) => i % 2 === 0);
  let out = '';
  for (let i = 0; i < groups.length; ) {
    let masked = false;
    for (let j = groups.length - 1; j >= i && !masked; j--) {
      const span = groups.slice(i, j + 1).join('');
      if (span.length < 12 || span.length > 19 || !passesLuhn(span)) continue;
      out += maskCardNumber(span) + (parts[2 * j + 1] ?? '');
      i = j + 1;
      masked = true;
    }
    if (masked) continue;
    const group = groups[i]!;
    out += (group.length > 19 && longBlockHidesCard(group) ? maskCardNumber(group) : group) + (parts[2 * i + 1] ?? '');
    i += 1;
  }
  return out;
}

/**
 * The one masking function for text derived from input (reasons, raw copies, free-text fields, keys, log lines):
 * every run of 12 to 19 digits (spaces and dashes allowed) that passes the Luhn check is masked to its last four,
 * and so is a longer block of digits hiding one.
 */
export function maskCardNumbersInText(text: string): string {
  return text.replace(DIGIT_RUN, maskRun);
}

/** True when the text holds a card number that maskCardNumbersInText would mask. */
export function containsCardNumber(text: string): boolean {
  return maskCardNumbersInText(text) !== text;
}

const CARD_FIELD = /card/i;

/**
 * Deep copy of an untrusted value in which every field whose name mentions "card" is masked, and card numbers
 * hidden anywhere else (strings, numbers, keys) are masked too. The copy has no prototype games: it is built
 * from own enumerable properties only, and is bounded in depth and breadth.
 */
export function maskCardNumbers(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[truncated]';
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => maskCardNumbers(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = Object.create(null);
    for (const [key, v] of Object.entries(value as Record<string, unknown>).slice(0, 100)) {
      out[maskCardNumbersInText(key)] = CARD_FIELD.test(key) ? maskCardNumber(v) : maskCardNumbers(v, depth + 1);
    }
    return out;
  }
  if (typeof value === 'string') return maskCardNumbersInText(value);
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) >= 1e11) {
    const text = BigInt(value).toString();
    return containsCardNumber(text) ? maskCardNumber(text) : value;
  }
  if (typeof value === 'bigint') return maskCardNumbersInText(value.toString());
  return value;
}
