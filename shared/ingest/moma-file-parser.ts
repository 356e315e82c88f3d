import type { Readable } from 'node:stream';
import { maskCardNumbersInText } from '../domain/card-number';
import { FileDecodeError, FileReadError } from './file-decoding';

export { FileDecodeError, FileReadError } from './file-decoding';

export type FileFormat = 'json' | 'ndjson' | 'csv';

/**
 * One entry of a Moma file: a record to validate, or a piece of the file that could not be read as one.
 * `offset` is the byte offset in the decoded text where the record or the damage starts; `line` is its
 * 1-based line. `raw` holds at most MAX_RAW_CHARS characters of the damaged text, unmasked.
 */
export type FileEntry =
  | { index: number; line?: number; offset?: number; record: unknown }
  | { index: number; line?: number; offset?: number; parseError: string; raw?: string };

type PendingEntry =
  | { line?: number; offset?: number; record: unknown }
  | { line?: number; offset?: number; parseError: string; raw?: string };

export const SUPPORTED_EXTENSIONS: Record<string, FileFormat> = {
  '.json': 'json',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.csv': 'csv',
  '.json.gz': 'json',
  '.ndjson.gz': 'ndjson',
  '.jsonl.gz': 'ndjson',
  '.csv.gz': 'csv',
};

/** The format of a key by its extension; `.gz` keys are read by the extension inside (`a.csv.gz` is CSV). */
export function formatForKey(key: string): FileFormat | undefined {
  const name = key.slice(key.lastIndexOf('/') + 1).toLowerCase();
  const inner = name.endsWith('.gz') ? name.slice(0, -3) : name;
  const dot = inner.lastIndexOf('.');
  return dot < 0 ? undefined : SUPPORTED_EXTENSIONS[inner.slice(dot)];
}

/** No single record, NDJSON line or CSV row is held in memory beyond this; a larger one is one parse error. */
export const MAX_RECORD_BYTES = 1024 * 1024;
/** Damaged text kept in a parse error's `raw`. */
export const MAX_RAW_CHARS = 2_000;
/** JSON nesting allowed inside one record. */
export const MAX_JSON_DEPTH = 256;
/** A quoted CSV field may span lines, but a row that does is given up (and re-read from its next line) beyond this. */
export const MAX_CSV_MULTILINE_ROW_BYTES = 64 * 1024;

/**
 * Streams the entries of a Moma file without holding the file in memory, from text (see decodeFileBody).
 *
 * - JSON (`.json`): one value, concatenated values, a top-level array, or a wrapper object whose
 *   `transactions` is an array and which has no `transactionId` (any other top-level object is a record).
 *   Damage costs the damaged element only: the parser resynchronises at the next record (`{`) that parses.
 * - NDJSON: a bad line costs that line. CSV: a bad row costs that row; a wrong header is one entry, then nothing.
 * - Any JSON value is yielded as a record (validation rejects what is not an object).
 * - Records are null-prototype objects, and the keys `__proto__`, `constructor` and `prototype` are dropped at
 *   every depth, so no input can change an object's prototype, here or in a copy made downstream.
 * - A FileDecodeError from the input (damaged gzip) is a final parse error after every record before it; any
 *   other input failure is thrown as a FileReadError (the file should be retried).
 */
export function parseMomaFile(input: Readable, format: FileFormat): AsyncGenerator<FileEntry> {
  switch (format) {
    case 'ndjson':
      return run(input, new NdjsonParser());
    case 'csv':
      return run(input, new CsvParser());
    case 'json':
      return run(input, new JsonParser());
  }
}

abstract class ChunkParser {
  out: FileEntry[] = [];
  private nextIndex = 0;
  /** Entries held back while it is undecided whether they are emitted (see JsonParser's wrapper). */
  protected held: PendingEntry[] | undefined;

  abstract push(chunk: Buffer): void;
  abstract finish(): void;
  /** The input failed to decode: emit what is complete and say where the text stops. */
  abstract abandon(failure: FileDecodeError): void;
  /** Bytes received so far. */
  abstract get received(): number;

  fail(reason: string): void {
    this.held = undefined;
    this.emit({ offset: this.received, parseError: reason });
  }

  protected emit(entry: PendingEntry): void {
    if (this.held) this.held.push(entry);
    else this.out.push({ index: this.nextIndex++, ...entry });
  }

  protected release(held: PendingEntry[]): void {
    for (const entry of held) this.out.push({ index: this.nextIndex++, ...entry });
  }

  protected emitRecord(offset: number, line: number, record: unknown): void {
    if (this.held) this.held.push({ line, offset, record });
    else this.out.push({ index: this.nextIndex++, line, offset, record });
  }
}

async function* run(input: Readable, parser: ChunkParser): AsyncGenerator<FileEntry> {
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let finished = false;
  try {
    for (;;) {
      let next: IteratorResult<Buffer | string>;
      try {
        next = await chunks.next();
      } catch (err) {
        finished = true;
        if (!(err instanceof FileDecodeError)) throw err instanceof FileReadError ? err : new FileReadError(err);
        guarded(parser, () => parser.abandon(err));
        yield* drainOut(parser);
        return;
      }
      if (next.done) break;
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      if (!guarded(parser, () => parser.push(chunk))) {
        yield* drainOut(parser);
        return;
      }
      if (parser.out.length > 0) yield* drainOut(parser);
    }
    finished = true;
    guarded(parser, () => parser.finish());
    yield* drainOut(parser);
  } finally {
    if (!finished) await chunks.return?.();
  }
}

function* drainOut(parser: ChunkParser): Generator<FileEntry> {
  const batch = parser.out;
  parser.out = [];
  yield* batch;
}

/**
 * A defect of the parser must not look like a read error (retried forever) or escape as an exception:
 * it ends the file with one parse error.
 */
function guarded(parser: ChunkParser, step: () => void): boolean {
  try {
    step();
    return true;
  } catch (err) {
    parser.fail(`the file could not be read past byte ${parser.received}: ${(err as Error).message}`);
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Records

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Cheap test for text that may hold a prototype key (possibly spelt with \u escapes). */
const MAY_HOLD_PROTOTYPE_KEY = /__proto__|constructor|prototype|\\u/;
const dropPrototypeKeys = (key: string, value: unknown) => (PROTOTYPE_KEYS.has(key) ? undefined : value);

function jsonRecord(text: string): unknown {
  const value: unknown = MAY_HOLD_PROTOTYPE_KEY.test(text) ? JSON.parse(text, dropPrototypeKeys) : JSON.parse(text);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const record: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value)) record[key] = (value as Record<string, unknown>)[key];
  return record;
}

const rawText = (buf: Buffer, from: number, to: number) =>
  buf.toString('utf8', from, Math.min(to, from + MAX_RAW_CHARS * 4)).slice(0, MAX_RAW_CHARS);

const EMPTY: Buffer = Buffer.alloc(0);
const LF = 0x0a;

function describeByte(c: number): string {
  if (c >= 0x21 && c <= 0x7e) return `character '${String.fromCharCode(c)}'`;
  if (c === 0x20) return 'space';
  return `byte 0x${c.toString(16).padStart(2, '0').toUpperCase()}`;
}

/**
 * Retained input: the bytes from the earliest position still needed, with absolute offsets, and a line
 * counter that answers the line of any retained position.
 */
class Window {
  buf: Buffer = EMPTY;
  start = 0;
  private cursor = 0;
  private cursorLine = 1;
  /** Absolute position of the next line break at or after the cursor, or -1 when unknown. */
  private nextBreak = -1;
  /** No line break lies in [cursor, searchedTo) when nextBreak is -1. */
  private searchedTo = 0;

  get end(): number {
    return this.start + this.buf.length;
  }

  append(chunk: Buffer, keepFrom: number): void {
    const end = this.end;
    const keep = Math.min(Math.max(keepFrom, this.start), end);
    if (keep > this.cursor) this.lineAt(keep);
    if (keep >= end) {
      this.buf = chunk;
      this.start = end;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(keep - this.start), chunk]);
      this.start = keep;
    }
  }

  /** The line of a retained position (or of the end). */
  lineAt(pos: number): number {
    if (pos < this.cursor) {
      let count = 0;
      for (let i = this.buf.indexOf(LF, pos - this.start); i >= 0 && this.start + i < this.cursor; i = this.buf.indexOf(LF, i + 1)) count++;
      return this.cursorLine - count;
    }
    for (;;) {
      if (this.nextBreak < 0) {
        const from = Math.max(this.cursor, this.searchedTo);
        const i = from >= this.end ? -1 : this.buf.indexOf(LF, from - this.start);
        if (i < 0) {
          this.searchedTo = this.end;
          break;
        }
        this.nextBreak = this.start + i;
      }
      if (this.nextBreak >= pos) break;
      this.cursorLine++;
      this.cursor = this.nextBreak + 1;
      this.nextBreak = -1;
    }
    this.cursor = pos;
    return this.cursorLine;
  }

  text(from: number, to: number): string {
    return this.buf.toString('utf8', from - this.start, to - this.start);
  }

  raw(from: number, to: number): string {
    return rawText(this.buf, from - this.start, to - this.start);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Strict JSON scanning. Each function returns the position after what it scanned, MORE when the bytes end
// first, or FAILED (with failAt and failDetail set).

const MORE = -1;
const FAILED = -2;
let failAt = 0;
let failDetail = '';

function fail(at: number, detail: string): number {
  failAt = at;
  failDetail = detail;
  return FAILED;
}

const E_VALUE = 0;
const E_VALUE_OR_CLOSE = 1;
const E_KEY_OR_CLOSE = 2;
const E_KEY = 3;
const E_COLON = 4;
const E_COMMA_OR_CLOSE = 5;
const OBJECT = 1;
const ARRAY = 2;
const containers = new Uint8Array(MAX_JSON_DEPTH + 2);

const isJsonSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

const NOT_JSON_WORDS = ['NaN', 'Infinity', 'undefined'];

/**
 * True when the bytes at i could still turn out to be one of NOT_JSON_WORDS: the reason names the word, so
 * the decision waits for its bytes and never depends on where a chunk ends.
 */
function mayBeNotJsonWord(buf: Uint8Array, i: number, end: number, eof: boolean): boolean {
  if (eof) return false;
  return NOT_JSON_WORDS.some((word) => {
    if (end - i >= word.length) return false;
    for (let k = 0; i + k < end; k++) if (buf[i + k] !== word.charCodeAt(k)) return false;
    return true;
  });
}

function unexpected(buf: Uint8Array, i: number, expected: string): string {
  const c = buf[i]!;
  for (const word of NOT_JSON_WORDS) {
    if (
      c === word.charCodeAt(0) &&
      Buffer.from(buf.buffer, buf.byteOffset + i, Math.min(word.length, buf.length - i)).toString('latin1') === word
    ) {
      return `unexpected character '${word[0]}' ('${word}' is not a JSON value)`;
    }
  }
  return `unexpected ${describeByte(c)} where ${expected} was expected`;
}

/** Scans one JSON value starting at i (no leading whitespace). */
function scanValue(buf: Uint8Array, i: number, end: number, eof: boolean): number {
  let depth = 0;
  let expect = E_VALUE;
  for (;;) {
    while (i < end && isJsonSpace(buf[i]!)) i++;
    if (i >= end)
      return eof
        ? fail(
            i,
            depth > 0 ? `the file ends inside an unclosed ${containers[depth] === OBJECT ? 'object' : 'array'}` : 'unexpected end of file',
          )
        : MORE;
    const c = buf[i]!;
    if (expect === E_VALUE_OR_CLOSE || expect === E_KEY_OR_CLOSE) {
      if (c === (expect === E_VALUE_OR_CLOSE ? 0x5d : 0x7d)) {
        i++;
        if (--depth === 0) return i;
        expect = E_COMMA_OR_CLOSE;
        continue;
      }
      expect = expect === E_VALUE_OR_CLOSE ? E_VALUE : E_KEY;
    }
    switch (expect) {
      case E_VALUE: {
        if (c === 0x7b || c === 0x5b) {
          if (depth >= MAX_JSON_DEPTH) return fail(i, `nesting deeper than ${MAX_JSON_DEPTH} levels`);
          containers[++depth] = c === 0x7b ? OBJECT : ARRAY;
          expect = c === 0x7b ? E_KEY_OR_CLOSE : E_VALUE_OR_CLOSE;
          i++;
          continue;
        }
        let next: number;
        if (c === 0x22) next = scanString(buf, i, end, eof);
        else if (c === 0x2d || isDigit(c)) next = scanNumber(buf, i, end, eof);
        else if (c === 0x74) next = scanWord(buf, i, end, eof, 'true');
        else if (c === 0x66) next = scanWord(buf, i, end, eof, 'false');
        else if (c === 0x6e) next = scanWord(buf, i, end, eof, 'null');
        else return mayBeNotJsonWord(buf, i, end, eof) ? MORE : fail(i, unexpected(buf, i, 'a value'));
        if (next < 0) return next;
        i = next;
        if (depth === 0) return i;
        expect = E_COMMA_OR_CLOSE;
        continue;
      }
      case E_KEY: {
        if (c !== 0x22) return fail(i, unexpected(buf, i, 'a property name'));
        const next = scanString(buf, i, end, eof);
        if (next < 0) return next;
        i = next;
        expect = E_COLON;
        continue;
      }
      case E_COLON:
        if (c !== 0x3a) return fail(i, unexpected(buf, i, "':'"));
        i++;
        expect = E_VALUE;
        continue;
      case E_COMMA_OR_CLOSE: {
        const inObject = containers[depth] === OBJECT;
        if (c === 0x2c) {
          i++;
          expect = inObject ? E_KEY : E_VALUE;
          continue;
        }
        if (c === (inObject ? 0x7d : 0x5d)) {
          i++;
          if (--depth === 0) return i;
          continue;
        }
        return fail(i, unexpected(buf, i, inObject ? "',' or '}'" : "',' or ']'"));
      }
    }
  }
}

function scanString(buf: Uint8Array, i: number, end: number, eof: boolean): number {
  let j = i + 1;
  for (;;) {
    while (j < end) {
      const c = buf[j]!;
      if (c === 0x22 || c === 0x5c || c < 0x20) break;
      j++;
    }
    if (j >= end) return eof ? fail(j, 'the file ends inside a string') : MORE;
    const c = buf[j]!;
    if (c === 0x22) return j + 1;
    if (c === 0x5c) {
      if (j + 1 >= end) return eof ? fail(j, 'the file ends inside a string') : MORE;
      const e = buf[j + 1]!;
      if (e === 0x75) {
        if (j + 6 > end) return eof ? fail(j, 'the file ends inside a string') : MORE;
        for (let k = j + 2; k < j + 6; k++) {
          const h = buf[k]!;
          if (!(isDigit(h) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66))) return fail(j, 'an invalid \\u escape in a string');
        }
        j += 6;
        continue;
      }
      if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        j += 2;
        continue;
      }
      return fail(j, `an invalid escape (backslash then ${describeByte(e)}) in a string`);
    }
    return fail(
      j,
      c === 0x0a || c === 0x0d
        ? 'a line break inside a string (the string is not closed on its line)'
        : `an unescaped control ${describeByte(c)} inside a string`,
    );
  }
}

function scanNumber(buf: Uint8Array, i: number, end: number, eof: boolean): number {
  const ended = (j: number) => (eof ? j : MORE);
  const cut = (j: number) => (eof ? fail(j, 'the file ends inside a number') : MORE);
  let j = i;
  if (buf[j] === 0x2d) j++;
  if (j >= end) return cut(j);
  if (buf[j] === 0x30) j++;
  else if (isDigit(buf[j]!)) while (j < end && isDigit(buf[j]!)) j++;
  else return mayBeNotJsonWord(buf, j, end, eof) ? MORE : fail(j, unexpected(buf, j, 'a digit'));
  if (j >= end) return ended(j);
  if (buf[j] === 0x2e) {
    j++;
    if (j >= end) return cut(j);
    if (!isDigit(buf[j]!)) return fail(j, unexpected(buf, j, 'a digit'));
    while (j < end && isDigit(buf[j]!)) j++;
    if (j >= end) return ended(j);
  }
  if (buf[j] === 0x65 || buf[j] === 0x45) {
    j++;
    if (j < end && (buf[j] === 0x2b || buf[j] === 0x2d)) j++;
    if (j >= end) return cut(j);
    if (!isDigit(buf[j]!)) return fail(j, unexpected(buf, j, 'a digit'));
    while (j < end && isDigit(buf[j]!)) j++;
    if (j >= end) return ended(j);
  }
  return j;
}

function scanWord(buf: Uint8Array, i: number, end: number, eof: boolean, word: string): number {
  for (let k = 0; k < word.length; k++) {
    if (i + k >= end) return eof ? fail(i + k, 'unexpected end of file') : MORE;
    if (buf[i + k] !== word.charCodeAt(k)) return fail(i + k, unexpected(buf, i + k, `'${word}'`));
  }
  return i + word.length;
}

/**
 * Structure-only scanning of an element too large to keep: depth and strings, no grammar. Returns the
 * position after the element, or MORE.
 */
interface LenientState {
  depth: number;
  inString: boolean;
  escaped: boolean;
  started: boolean;
}

function scanLenient(buf: Uint8Array, i: number, end: number, s: LenientState): number {
  for (; i < end; i++) {
    const c = buf[i]!;
    if (s.inString) {
      if (s.escaped) s.escaped = false;
      else if (c === 0x5c) s.escaped = true;
      else if (c === 0x22) {
        s.inString = false;
        if (s.depth === 0) return i + 1;
      }
      continue;
    }
    if (c === 0x22) s.inString = true;
    else if (c === 0x7b || c === 0x5b) s.depth++;
    else if (c === 0x7d || c === 0x5d) {
      s.depth--;
      if (s.depth <= 0) return i + 1;
    } else if (s.depth === 0 && s.started && (isJsonSpace(c) || c === 0x2c)) return i;
    s.started = true;
  }
  return MORE;
}

// ---------------------------------------------------------------------------------------------------------
// JSON files

type TopContext = { kind: 'top' };
type ArrayContext = { kind: 'array'; phase: 'first' | 'afterElement' | 'afterComma'; wrapper: boolean; damaged: boolean };
type ObjectContext = {
  kind: 'object';
  start: number;
  line: number;
  phase: 'keyOrEnd' | 'key' | 'colon' | 'value' | 'commaOrEnd';
  key: string;
  seenTransactionId: boolean;
  /** Its `transactions` array is being read as records. */
  promoted: boolean;
  /** Too large to be a record: it is a wrapper whatever follows, and its text is no longer kept. */
  committed: boolean;
  firstDamage: string | undefined;
};
type Context = TopContext | ArrayContext | ObjectContext;

interface Recovery {
  start: number;
  line: number;
  reason: string;
  raw: string | undefined;
  /** Where to look for the next `{` when no candidate is being tried. */
  searchFrom: number;
  candidate: number;
  /** Bytes spent on candidates that failed; beyond a budget the next candidate is taken without trying it. */
  work: number;
}

interface Skip extends LenientState {
  start: number;
  line: number;
  raw: string;
  pos: number;
  /** The whole top-level object is being skipped (rather than one element or member value). */
  wholeObject: boolean;
  silent: boolean;
}

const SPECULATION_BYTES = 64 * 1024;
const SPECULATION_BUDGET = 4 * 1024 * 1024;
const TOO_LARGE = `larger than ${MAX_RECORD_BYTES / (1024 * 1024)} MiB`;

/**
 * The JSON layouts of a Moma file, scanned record by record: the parser tracks only the levels that hold
 * records (top level, records array, wrapper object); each record's text is checked by scanValue and
 * then built by JSON.parse. After damage it looks for the next `{` that starts a complete value and reports
 * the damage up to there as one entry. (An object nested in a damaged record can be read as a record: it fails
 * validation, which costs a failure entry; refusing such candidates by context was found to lose good ones.)
 */
class JsonParser extends ChunkParser {
  private readonly w = new Window();
  private pos = 0;
  private readonly stack: Context[] = [{ kind: 'top' }];
  private recovery: Recovery | undefined;
  private skip: Skip | undefined;
  // (Skip.pos is where structure-only scanning resumes; the bytes before it are not kept.)
  /** The wrapper object whose records are held until it is known to be a wrapper. */
  private heldFor: ObjectContext | undefined;

  get received(): number {
    return this.w.end;
  }

  push(chunk: Buffer): void {
    const object = this.heldFor;
    if (object && !object.committed && this.w.end + chunk.length - object.start > MAX_RECORD_BYTES) this.commit(object);
    this.w.append(chunk, this.keepFrom());
    this.drive(false);
  }

  finish(): void {
    this.drive(true);
  }

  abandon(failure: FileDecodeError): void {
    // What is complete has been emitted; the text from the first incomplete part on is lost with the damage.
    let offset = this.pos;
    let line: number | undefined;
    if (this.skip) {
      offset = this.skip.start;
      line = this.skip.line;
      this.skip = undefined;
    } else if (this.recovery) {
      offset = this.w.end;
      this.endRecovery(offset);
    }
    const object = this.stack.find((c): c is ObjectContext => c.kind === 'object');
    if (object && !object.promoted) offset = Math.min(offset, object.start);
    if (object?.promoted && this.heldFor === object) {
      if (object.seenTransactionId) this.dropHeld();
      else this.commit(object);
    }
    this.emit({ line: line ?? this.w.lineAt(offset), offset, parseError: failure.message });
  }

  private keepFrom(): number {
    const r = this.recovery;
    let keep = this.skip ? this.w.end : r ? (r.candidate >= 0 ? r.candidate : r.searchFrom) : this.pos;
    if (r && r.raw === undefined) keep = Math.min(keep, r.start);
    const object = this.heldFor;
    if (object && !object.committed) keep = Math.min(keep, object.start);
    for (const c of this.stack) if (c.kind === 'object' && !c.promoted) keep = Math.min(keep, c.start);
    return keep;
  }

  private get context(): Context {
    return this.stack[this.stack.length - 1]!;
  }

  private drive(eof: boolean): void {
    const w = this.w;
    for (;;) {
      if (this.skip) {
        if (!this.continueSkip(eof)) return;
        continue;
      }
      if (this.recovery) {
        if (!this.continueRecovery(eof)) return;
        continue;
      }
      const buf = w.buf;
      const end = buf.length;
      let i = this.pos - w.start;
      while (i < end && isJsonSpace(buf[i]!)) i++;
      this.pos = w.start + i;
      if (i >= end) {
        if (!eof) return;
        if (this.endOfFile()) return;
        continue;
      }
      const c = buf[i]!;
      const ctx = this.context;
      if (ctx.kind === 'top') this.atTop(c, eof);
      else if (ctx.kind === 'array') this.inArray(ctx, c, eof);
      else this.inObject(ctx, c, eof);
      if (this.waiting) {
        this.waiting = false;
        return;
      }
    }
  }

  /** Set when the current token needs more bytes. */
  private waiting = false;

  private atTop(c: number, eof: boolean): void {
    const pos = this.pos;
    if (c === 0x5b) {
      this.stack.push({ kind: 'array', phase: 'first', wrapper: false, damaged: false });
      this.pos++;
    } else if (c === 0x7b) {
      this.stack.push({
        kind: 'object',
        start: pos,
        line: this.w.lineAt(pos),
        phase: 'keyOrEnd',
        key: '',
        seenTransactionId: false,
        promoted: false,
        committed: false,
        firstDamage: undefined,
      });
      this.pos++;
    } else if (c === 0x2c) {
      this.pos++; // commas between concatenated values are harmless
    } else if (pos === 0 && c === 0xef && this.w.buf[1] === 0xbb && this.w.buf[2] === 0xbf) {
      this.pos += 3;
    } else if (pos === 0 && c === 0xef && this.w.buf.length < 3) {
      this.waiting = !eof;
      if (eof) this.startRecovery(pos, pos, unexpected(this.w.buf, 0, 'a value'), pos);
    } else if (c === 0x22 || c === 0x2d || isDigit(c) || c === 0x74 || c === 0x66 || c === 0x6e) {
      this.element(eof);
    } else if (mayBeNotJsonWord(this.w.buf, pos - this.w.start, this.w.buf.length, eof)) {
      this.waiting = true;
    } else {
      this.startRecovery(pos, pos, unexpected(this.w.buf, pos - this.w.start, 'a record'), pos);
    }
  }

  private inArray(ctx: ArrayContext, c: number, eof: boolean): void {
    const pos = this.pos;
    if (c === 0x5d) {
      this.pos++;
      this.stack.pop();
      const parent = this.context;
      if (parent.kind === 'object') parent.phase = 'commaOrEnd';
      return;
    }
    if (ctx.phase === 'afterElement') {
      if (c === 0x2c) {
        ctx.phase = 'afterComma';
        this.pos++;
        return;
      }
      if (c !== 0x7b) {
        this.startRecovery(pos, pos, unexpected(this.w.buf, pos - this.w.start, "',' or ']'"), pos);
        return;
      }
    } else if (c === 0x2c) {
      this.startRecovery(pos, pos, unexpected(this.w.buf, pos - this.w.start, 'a record'), pos + 1);
      return;
    }
    this.element(eof);
  }

  /** Scans the record-level element at pos. */
  private element(eof: boolean): void {
    const w = this.w;
    const pos = this.pos;
    const from = pos - w.start;
    const next = scanValue(w.buf, from, w.buf.length, eof);
    if (next === MORE) {
      if (w.end - pos > MAX_RECORD_BYTES) this.startSkip(pos, false, false);
      else this.waiting = true;
      return;
    }
    if (next === FAILED) {
      this.startRecovery(pos, w.start + failAt, failDetail, pos + 1);
      return;
    }
    this.emitRecord(pos, w.lineAt(pos), jsonRecord(w.buf.toString('utf8', from, next)));
    this.pos = w.start + next;
    const ctx = this.context;
    if (ctx.kind === 'array') ctx.phase = 'afterElement';
  }

  private inObject(ctx: ObjectContext, c: number, eof: boolean): void {
    const w = this.w;
    const pos = this.pos;
    const from = pos - w.start;
    switch (ctx.phase) {
      case 'keyOrEnd':
      case 'key': {
        if (c === 0x7d && ctx.phase === 'keyOrEnd') {
          this.endObject(ctx);
          return;
        }
        if (c !== 0x22) {
          this.objectFailed(ctx, pos, unexpected(w.buf, from, ctx.phase === 'key' ? 'a property name' : "a property name or '}'"));
          return;
        }
        const next = scanString(w.buf, from, w.buf.length, eof);
        if (next === MORE) {
          this.objectNeedsMore(ctx);
          return;
        }
        if (next === FAILED) {
          this.objectFailed(ctx, w.start + failAt, failDetail);
          return;
        }
        ctx.key = next - from < 64 ? (JSON.parse(w.buf.toString('utf8', from, next)) as string) : '';
        if (ctx.key === 'transactionId') ctx.seenTransactionId = true;
        ctx.phase = 'colon';
        this.pos = w.start + next;
        return;
      }
      case 'colon':
        if (c !== 0x3a) {
          this.objectFailed(ctx, pos, unexpected(w.buf, from, "':'"));
          return;
        }
        ctx.phase = 'value';
        this.pos++;
        return;
      case 'value': {
        if (ctx.key === 'transactions' && c === 0x5b && !ctx.promoted && !ctx.seenTransactionId) {
          ctx.promoted = true;
          this.heldFor = ctx;
          this.held = [];
          this.stack.push({ kind: 'array', phase: 'first', wrapper: true, damaged: false });
          this.pos++;
          return;
        }
        const next = scanValue(w.buf, from, w.buf.length, eof);
        if (next === MORE) {
          if (ctx.committed && w.end - pos > MAX_RECORD_BYTES) this.startSkip(pos, false, true);
          else this.objectNeedsMore(ctx);
          return;
        }
        if (next === FAILED) {
          this.objectFailed(ctx, w.start + failAt, failDetail);
          return;
        }
        ctx.phase = 'commaOrEnd';
        this.pos = w.start + next;
        return;
      }
      case 'commaOrEnd':
        if (c === 0x7d) {
          this.endObject(ctx);
          return;
        }
        if (c !== 0x2c) {
          this.objectFailed(ctx, pos, unexpected(w.buf, from, "',' or '}'"));
          return;
        }
        ctx.phase = 'key';
        this.pos++;
        return;
    }
  }

  private objectNeedsMore(ctx: ObjectContext): void {
    if (!ctx.promoted && this.w.end - ctx.start > MAX_RECORD_BYTES) this.startSkip(ctx.start, true, false);
    else this.waiting = true;
  }

  private endObject(ctx: ObjectContext): void {
    const w = this.w;
    this.pos++;
    this.stack.pop();
    if (!ctx.promoted) {
      this.emitRecord(ctx.start, ctx.line, jsonRecord(w.text(ctx.start, this.pos)));
      return;
    }
    if (ctx.committed || !ctx.seenTransactionId) {
      this.commit(ctx);
      return;
    }
    // A `transactionId` after all: the object is one record holding a `transactions` array.
    this.dropHeld();
    if (ctx.firstDamage) this.emit({ line: ctx.line, offset: ctx.start, parseError: ctx.firstDamage, raw: w.raw(ctx.start, this.pos) });
    else this.emitRecord(ctx.start, ctx.line, jsonRecord(w.text(ctx.start, this.pos)));
  }

  /** Grammar error at depth 1 of a top-level object. */
  private objectFailed(ctx: ObjectContext, at: number, detail: string): void {
    this.stack.pop();
    if (ctx.promoted && (ctx.committed || !ctx.seenTransactionId)) {
      this.commit(ctx);
      this.startRecovery(this.pos, at, detail, this.pos + 1);
      return;
    }
    this.dropHeld();
    this.startRecovery(ctx.start, at, detail, ctx.start + 1);
  }

  /** The object is a wrapper: its held records are emitted, and nothing more is held. */
  private commit(ctx: ObjectContext): void {
    ctx.committed = true;
    if (this.heldFor !== ctx) return;
    const held = this.held ?? [];
    this.held = undefined;
    this.heldFor = undefined;
    this.release(held);
  }

  private dropHeld(): void {
    this.held = undefined;
    this.heldFor = undefined;
  }

  /** Returns true when parsing is over. */
  private endOfFile(): boolean {
    const ctx = this.context;
    const end = this.w.end;
    if (ctx.kind === 'top') return true;
    this.stack.pop();
    if (ctx.kind === 'array') {
      const parent = this.context;
      const damaged = ctx.damaged;
      if (parent.kind === 'object') {
        this.stack.pop();
        if (parent.committed || !parent.seenTransactionId) this.commit(parent);
        else this.dropHeld();
      }
      if (!damaged)
        this.emit({
          line: this.w.lineAt(end),
          offset: end,
          parseError: `invalid JSON at byte ${end} (line ${this.w.lineAt(end)}): the file ends before the array is closed`,
        });
      return false;
    }
    if (ctx.promoted && (ctx.committed || !ctx.seenTransactionId)) {
      this.commit(ctx);
      this.emit({
        line: this.w.lineAt(end),
        offset: end,
        parseError: `invalid JSON at byte ${end} (line ${this.w.lineAt(end)}): the file ends before the object is closed`,
      });
      return false;
    }
    this.dropHeld();
    this.startRecovery(ctx.start, end, 'the file ends inside an unclosed object', ctx.start + 1);
    return false;
  }

  private startRecovery(start: number, at: number, detail: string, searchFrom: number): void {
    const line = this.w.lineAt(start);
    const reason = `invalid JSON at byte ${at} (line ${this.w.lineAt(at)}): ${detail}`;
    this.recovery = { start, line, reason, raw: undefined, searchFrom, candidate: -1, work: 0 };
    for (const c of this.stack) {
      if (c.kind === 'array') c.damaged = true;
      if (c.kind === 'object' && c.promoted) c.firstDamage ??= reason;
    }
  }

  /** Returns false when more bytes are needed. */
  private continueRecovery(eof: boolean): boolean {
    const r = this.recovery!;
    const w = this.w;
    if (r.raw === undefined && w.end - r.start > MAX_RECORD_BYTES) r.raw = w.raw(r.start, w.end);
    for (;;) {
      if (r.candidate < 0) {
        const i = r.searchFrom >= w.end ? -1 : w.buf.indexOf(0x7b, r.searchFrom - w.start);
        if (i < 0) {
          r.searchFrom = w.end;
          if (!eof) return false;
          this.endRecovery(w.end);
          this.pos = w.end;
          return true;
        }
        r.candidate = w.start + i;
      }
      if (r.work > SPECULATION_BUDGET) return this.resumeAt(r.candidate);
      const next = scanValue(w.buf, r.candidate - w.start, w.buf.length, eof);
      if (next === MORE) {
        if (w.end - r.candidate > SPECULATION_BYTES) return this.resumeAt(r.candidate);
        return false;
      }
      if (next !== FAILED) return this.resumeAt(r.candidate);
      r.work += failAt - (r.candidate - w.start) + 1;
      r.searchFrom = r.candidate + 1;
      r.candidate = -1;
    }
  }

  private resumeAt(candidate: number): boolean {
    this.endRecovery(candidate);
    this.pos = candidate;
    const ctx = this.context;
    if (ctx.kind === 'array') ctx.phase = 'afterComma';
    return true;
  }

  private endRecovery(end: number): void {
    const r = this.recovery!;
    this.recovery = undefined;
    const raw = r.raw ?? this.w.raw(r.start, end);
    this.emit({ line: r.line, offset: r.start, parseError: `${r.reason}; ${end - r.start} bytes skipped`, raw });
  }

  private startSkip(start: number, wholeObject: boolean, silent: boolean): void {
    const w = this.w;
    if (wholeObject) this.stack.pop();
    this.skip = {
      depth: 0,
      inString: false,
      escaped: false,
      started: false,
      start,
      line: w.lineAt(start),
      raw: w.raw(start, w.end),
      pos: start,
      wholeObject,
      silent,
    };
  }

  private continueSkip(eof: boolean): boolean {
    const s = this.skip!;
    const w = this.w;
    const stoppedAt = s.pos >= w.end ? MORE : scanLenient(w.buf, s.pos - w.start, w.buf.length, s);
    if (stoppedAt === MORE && !eof) {
      s.pos = w.end;
      this.pos = w.end;
      return false;
    }
    const end = stoppedAt === MORE ? w.end : w.start + stoppedAt;
    this.skip = undefined;
    this.pos = end;
    if (!s.silent) {
      const detail = stoppedAt === MORE ? ', and the file ends inside it' : '';
      this.emit({
        line: s.line,
        offset: s.start,
        parseError: `invalid JSON: the record at byte ${s.start} (line ${s.line}) is ${TOO_LARGE}${detail}`,
        raw: s.raw,
      });
    }
    const ctx = this.context;
    if (stoppedAt === MORE) for (const c of this.stack) if (c.kind === 'array') c.damaged = true;
    if (ctx.kind === 'array') ctx.phase = 'afterElement';
    else if (ctx.kind === 'object') ctx.phase = 'commaOrEnd';
    return true;
  }
}

// ---------------------------------------------------------------------------------------------------------
// NDJSON

class NdjsonParser extends ChunkParser {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private tooLargeRaw: string | undefined;
  private lineStart = 0;
  private line = 1;
  private consumed = 0;

  get received(): number {
    return this.consumed;
  }

  push(chunk: Buffer): void {
    const base = this.consumed;
    this.consumed += chunk.length;
    for (let i = 0; i < chunk.length; ) {
      const lf = chunk.indexOf(LF, i);
      if (lf < 0) {
        this.addPart(chunk.subarray(i));
        return;
      }
      this.addPart(chunk.subarray(i, lf));
      this.endLine();
      this.lineStart = base + lf + 1;
      this.line += 1;
      i = lf + 1;
    }
  }

  finish(): void {
    if (this.partBytes > 0 || this.tooLargeRaw !== undefined) this.endLine();
  }

  abandon(failure: FileDecodeError): void {
    this.emit({ line: this.line, offset: this.lineStart, parseError: failure.message });
  }

  private addPart(part: Buffer): void {
    if (part.length === 0 || this.tooLargeRaw !== undefined) return;
    if (this.partBytes + part.length > MAX_RECORD_BYTES) {
      const head = Buffer.concat([...this.parts, part.subarray(0, MAX_RAW_CHARS * 4)]);
      this.tooLargeRaw = rawText(head, 0, head.length);
      this.parts = [];
      this.partBytes = 0;
      return;
    }
    this.parts.push(part);
    this.partBytes += part.length;
  }

  private endLine(): void {
    let bytes = this.parts.length === 1 ? this.parts[0]! : this.parts.length === 0 ? EMPTY : Buffer.concat(this.parts);
    this.parts = [];
    this.partBytes = 0;
    const { line, lineStart } = this;
    if (this.tooLargeRaw !== undefined) {
      const raw = this.tooLargeRaw;
      this.tooLargeRaw = undefined;
      this.emit({
        line,
        offset: lineStart,
        parseError: `invalid JSON: the record at byte ${lineStart} (line ${line}) is ${TOO_LARGE}`,
        raw,
      });
      return;
    }
    let skipped = 0;
    if (lineStart === 0 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      bytes = bytes.subarray(3);
      skipped = 3;
    }
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, -1);
    const text = bytes.toString('utf8');
    if (text.trim() === '') return;
    let record: unknown;
    try {
      record = jsonRecord(text);
    } catch {
      this.emit({ line, offset: lineStart, parseError: ndjsonReason(bytes, lineStart + skipped, line), raw: text.slice(0, MAX_RAW_CHARS) });
      return;
    }
    this.emitRecord(lineStart, line, record);
  }
}

function ndjsonReason(bytes: Buffer, base: number, line: number): string {
  let i = 0;
  while (i < bytes.length && isJsonSpace(bytes[i]!)) i++;
  let next = scanValue(bytes, i, bytes.length, true);
  if (next >= 0) {
    while (next < bytes.length && isJsonSpace(bytes[next]!)) next++;
    if (next < bytes.length) fail(next, `${unexpected(bytes, next, 'the end of the line')} after the record`);
    else fail(i, 'not a JSON value');
  } else if (failDetail === 'unexpected end of file' || failDetail.startsWith('the file ends')) {
    failDetail = failDetail.replace('the file ends', 'the line ends').replace('unexpected end of file', 'unexpected end of the line');
  }
  return `invalid JSON at byte ${base + failAt} (line ${line}): ${failDetail}`;
}

// ---------------------------------------------------------------------------------------------------------
// CSV

export const CSV_COLUMNS = ['transactionId', 'date', 'amount', 'cardNumber', 'product', 'machineId'] as const;

const CSV_HEADER_ERROR = 'invalid CSV header';

/** The one entry a CSV file with an unusable header yields: nothing else follows it. */
export function csvHeaderError(entry: FileEntry): string | undefined {
  return 'parseError' in entry && entry.index === 0 && entry.parseError.startsWith(CSV_HEADER_ERROR) ? entry.parseError : undefined;
}
const WHOLE_NUMBER = /^-?\d+(\.\d+)?$/;
const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;

/** `spansLinesAt` is the field whose quotes hold a line break, 0 when the row is one line. */
type RowScan = { kind: 'row'; fields: string[]; end: number; spansLinesAt: number } | { kind: 'more' } | { kind: 'bad'; detail: string };

/**
 * Scans one CSV row (RFC 4180 quoting, whitespace around fields ignored) starting at i. `end` of a row is
 * the position after its line break.
 */
function scanCsvRow(buf: Buffer, i: number, eof: boolean): RowScan {
  const rowStart = i;
  const end = buf.length;
  const fields: string[] = [];
  let multiLine = false;
  let spansLinesAt = 0;
  const row = (rowEnd: number): RowScan => ({ kind: 'row', fields, end: rowEnd, spansLinesAt });
  // A row that is malformed once a quote has run past a line break most likely has an unclosed quote.
  const bad = (detail: string): RowScan => ({
    kind: 'bad',
    detail: spansLinesAt > 0 ? `field ${spansLinesAt} opens a quote that is not closed on its line` : detail,
  });
  for (;;) {
    const field = fields.length + 1;
    while (i < end && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
    if (i < end && buf[i] === QUOTE) {
      let j = i + 1;
      const parts: string[] = [];
      const notClosed: RowScan = {
        kind: 'bad',
        detail: `field ${field} opens a quote that is not closed within ${MAX_CSV_MULTILINE_ROW_BYTES / 1024} KiB`,
      };
      for (;;) {
        const q = buf.indexOf(QUOTE, j);
        const lf = multiLine ? -1 : buf.indexOf(LF, j);
        if (lf >= 0 && (q < 0 || lf < q)) {
          multiLine = true;
          spansLinesAt ||= field;
        }
        if (q < 0) {
          if (eof) return bad(`field ${field} opens a quote that is never closed`);
          return multiLine && end - rowStart > MAX_CSV_MULTILINE_ROW_BYTES ? notClosed : { kind: 'more' };
        }
        if (multiLine && q - rowStart > MAX_CSV_MULTILINE_ROW_BYTES) return notClosed;
        if (q + 1 >= end && !eof) return { kind: 'more' };
        parts.push(buf.toString('utf8', j, q));
        if (buf[q + 1] === QUOTE) {
          parts.push('"');
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(parts.join(''));
      while (i < end && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
      if (i >= end) {
        if (!eof) return { kind: 'more' };
        return row(end);
      }
      const c = buf[i]!;
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c === LF) return row(i + 1);
      if (c === CR && (i + 1 >= end || buf[i + 1] === LF)) {
        if (i + 1 >= end && !eof) return { kind: 'more' };
        return row(Math.min(i + 2, end));
      }
      return bad(`${describeByte(c)} after the closing quote of field ${field}`);
    }
    let j = i;
    while (j < end && buf[j] !== COMMA && buf[j] !== LF) j++;
    if (j >= end && !eof) return { kind: 'more' };
    const text = buf.toString('utf8', i, j).trim();
    if (text.includes('"')) return bad(`a quote inside the unquoted field ${field}`);
    fields.push(text);
    if (j >= end) return row(end);
    if (buf[j] === LF) return row(j + 1);
    i = j + 1;
  }
}

class CsvParser extends ChunkParser {
  private buf: Buffer = EMPTY;
  /** Absolute offset of buf[0], which is always the start of the row being read. */
  private start = 0;
  private line = 1;
  private columns: number[] | undefined;
  private headerCount = 0;
  private done = false;
  /** The row is over the size limit: its bytes are dropped up to its line break. */
  private tooLarge: { raw: string } | undefined;

  get received(): number {
    return this.start + this.buf.length;
  }

  push(chunk: Buffer): void {
    if (this.done) {
      this.start += this.buf.length;
      this.buf = EMPTY;
      this.start += chunk.length;
      return;
    }
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.drive(false);
  }

  finish(): void {
    if (!this.done) this.drive(true);
  }

  abandon(failure: FileDecodeError): void {
    if (this.done) return;
    this.emit({ line: this.line, offset: this.start, parseError: failure.message });
  }

  private consume(bytes: number): void {
    let breaks = 0;
    for (let i = this.buf.indexOf(LF); i >= 0 && i < bytes; i = this.buf.indexOf(LF, i + 1)) breaks++;
    this.line += breaks;
    this.start += bytes;
    this.buf = this.buf.subarray(bytes);
  }

  private drive(eof: boolean): void {
    while (!this.done) {
      if (this.tooLarge) {
        const lf = this.buf.indexOf(LF);
        if (lf < 0 && !eof) {
          this.start += this.buf.length;
          this.buf = EMPTY;
          return;
        }
        this.rowFailed(`the row is ${TOO_LARGE}`, this.tooLarge.raw);
        this.tooLarge = undefined;
        this.consume(lf < 0 ? this.buf.length : lf + 1);
        continue;
      }
      if (this.buf.length === 0) return;
      if (this.start === 0 && this.buf[0] === 0xef) {
        if (this.buf.length < 3 && !eof) return;
        if (this.buf[1] === 0xbb && this.buf[2] === 0xbf) {
          this.start = 3;
          this.buf = this.buf.subarray(3);
          continue;
        }
      }
      const lf = this.buf.indexOf(LF);
      const lineEnd = lf < 0 ? this.buf.length : lf + 1;
      if (lf < 0 && !eof && this.buf.length > MAX_RECORD_BYTES) {
        this.tooLarge = { raw: rawText(this.buf, 0, this.buf.length) };
        continue;
      }
      if (isBlank(this.buf, lineEnd)) {
        if (lf < 0 && !eof) return;
        this.consume(lineEnd);
        continue;
      }
      const scan = scanCsvRow(this.buf, 0, eof);
      if (scan.kind === 'more') {
        if (this.buf.length > MAX_RECORD_BYTES) this.rowFailedAndResync(`the row is ${TOO_LARGE}`, lf, eof);
        return;
      }
      if (scan.kind === 'bad') {
        if (this.rowFailedAndResync(scan.detail, lf, eof)) continue;
        return;
      }
      const unclosed = `field ${scan.spansLinesAt} opens a quote that is not closed on its line`;
      if (!this.columns) this.header(scan.fields);
      else if (scan.fields.length !== this.headerCount) {
        const detail =
          scan.spansLinesAt > 0
            ? unclosed
            : `${scan.fields.length} field${scan.fields.length === 1 ? '' : 's'}, the header has ${this.headerCount}`;
        if (this.rowFailedAndResync(detail, lf, eof)) continue;
        return;
      } else if (scan.spansLinesAt > 0) {
        const swallowed = this.swallowsARow(scan.end, eof);
        if (swallowed === undefined) return;
        if (swallowed) {
          if (this.rowFailedAndResync(unclosed, lf, eof)) continue;
          return;
        }
        this.row(scan.fields);
      } else this.row(scan.fields);
      this.consume(scan.end);
    }
  }

  /**
   * A row whose quoted field spans lines is taken as written unless one of the lines it spans is a row by
   * itself: then the quote is most likely unclosed and has run into the rows after it. Undefined: more
   * bytes are needed to tell.
   */
  private swallowsARow(rowEnd: number, eof: boolean): boolean | undefined {
    for (let lf = this.buf.indexOf(LF); lf >= 0 && lf < rowEnd - 1; lf = this.buf.indexOf(LF, lf + 1)) {
      const scan = scanCsvRow(this.buf, lf + 1, eof);
      if (scan.kind === 'more') return undefined;
      if (scan.kind === 'row' && scan.fields.length === this.headerCount && this.looksLikeARow(scan.fields)) return true;
    }
    return false;
  }

  /** A row with the fields that identify a sale filled in (not a fragment of a quoted field). */
  private looksLikeARow(fields: string[]): boolean {
    return [0, 1, 2].every((k) => fields[this.columns![k]!] !== '');
  }

  /** Reports the row at buf[0] and skips to its next physical line. Returns false when that line's end is yet to come. */
  private rowFailedAndResync(detail: string, lf: number, eof: boolean): boolean {
    if (lf < 0 && !eof) {
      if (this.buf.length <= MAX_RECORD_BYTES) return false;
      this.tooLarge = { raw: rawText(this.buf, 0, this.buf.length) };
      return true;
    }
    const lineEnd = lf < 0 ? this.buf.length : lf + 1;
    const raw = rawText(this.buf, 0, lineEnd).replace(/\r?\n$/, '');
    if (this.columns) this.rowFailed(detail, raw);
    else this.headerFailed(`the header row is malformed: ${detail}`, raw.split(','));
    this.consume(lineEnd);
    return true;
  }

  private rowFailed(detail: string, raw: string): void {
    if (!this.columns) {
      this.headerFailed(`the header row is malformed: ${detail}`);
      return;
    }
    this.emit({ line: this.line, offset: this.start, parseError: `invalid CSV at line ${this.line}: ${detail}`, raw });
  }

  private header(fields: string[]): void {
    const names = fields.map((f) => f.trim());
    const missing = CSV_COLUMNS.filter((c) => !names.includes(c));
    if (missing.length > 0) {
      this.headerFailed(`missing ${missing.join(', ')}`, names);
      return;
    }
    this.columns = CSV_COLUMNS.map((c) => names.indexOf(c));
    this.headerCount = names.length;
  }

  private headerFailed(detail: string, found?: string[]): void {
    const shown = found
      ? `; found ${found
          .slice(0, 20)
          .map((n) => maskCardNumbersInText(n.slice(0, 64)))
          .join(',')}${found.length > 20 ? `,... (${found.length} columns)` : ''}`
      : '';
    this.emit({
      line: this.line,
      offset: this.start,
      parseError: `${CSV_HEADER_ERROR}: expected the columns ${CSV_COLUMNS.join(',')}${shown} (${detail})`,
    });
    this.done = true;
  }

  private row(fields: string[]): void {
    const record: Record<string, unknown> = Object.create(null);
    for (const [k, name] of CSV_COLUMNS.entries()) record[name] = fields[this.columns![k]!];
    if (typeof record.amount === 'string' && WHOLE_NUMBER.test(record.amount)) record.amount = Number(record.amount);
    this.emitRecord(this.start, this.line, record);
  }
}

function isBlank(buf: Buffer, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x09 && c !== CR && c !== LF) return false;
  }
  return true;
}
