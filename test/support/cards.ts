/** Test card numbers: digit strings that pass the Luhn check, as every real payment card number does. */

function luhnCheckDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** A Luhn-valid card number of `length` digits (12 to 19) starting with `prefix`, the rest from `seed`. */
export function luhnCard(prefix: string, seed: number, length = 16): string {
  const fill = String(Math.abs(Math.floor(seed)))
    .padStart(length - 1 - prefix.length, '0')
    .slice(-(length - 1 - prefix.length));
  const body = `${prefix}${fill}`;
  return `${body}${luhnCheckDigit(body)}`;
}

/** The ways a card number is written: plain, grouped by spaces, grouped by dashes. */
export function cardSpellings(digits: string): string[] {
  const groups = digits.match(/.{1,4}/g)!;
  return [digits, groups.join(' '), groups.join('-')];
}

/** Every card number (as plain digits) found in some text, once separators are ignored between digits. */
export function findCardNumbers(text: string, cards: readonly string[]): string[] {
  const squeezed = text.replace(/(\d)[ \t-]{1,2}(?=\d)/g, '$1');
  return cards.filter((card) => squeezed.includes(card));
}
