import { createInterface } from 'node:readline';
import { pipeline, type Duplex, type Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import { parser as jsonTokenParser } from 'stream-json';

export type FileFormat = 'json' | 'ndjson' | 'csv';

/** One entry of a Moma file: a record to validate, or a piece of the file that could not be read as one. */
export type FileEntry =
  | { index: number; line?: number; record: unknown }
  | { index: number; line?: number; parseError: string; raw?: string };

export const SUPPORTED_EXTENSIONS: Record<string, FileFormat> = {
  '.json': 'json',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.csv': 'csv',
};

export function formatForKey(key: string): FileFormat | undefined {
  const dot = key.lastIndexOf('.');
  return dot < 0 ? undefined : SUPPORTED_EXTENSIONS[key.slice(dot).toLowerCase()];
}

/** The input stream itself failed (network, S3): the file should be retried, it is not malformed. */
export class FileReadError extends Error {
  constructor(readonly cause: unknown) {
    super(`could not read the file: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'FileReadError';
  }
}

/**
 * Streams the records of a Moma file without holding the file in memory.
 * JSON files may hold one object, several concatenated objects, an array, or `{ "transactions": [...] }`.
 * A syntax error ends a JSON file (the records before it are still yielded); a bad NDJSON line or CSV row
 * costs only that line.
 */
export function parseMomaFile(input: Readable, format: FileFormat): AsyncGenerator<FileEntry> {
  switch (format) {
    case 'ndjson':
      return parseNdjson(input);
    case 'csv':
      return parseCsvRows(input);
    case 'json':
      return parseJson(input);
  }
}

const MAX_RAW_CHARS = 2_000;

async function* parseNdjson(input: Readable): AsyncGenerator<FileEntry> {
  let inputError: unknown;
  input.once('error', (err) => (inputError = err));
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  let index = 0;
  try {
    for await (const text of lines) {
      line += 1;
      if (text.trim() === '') continue;
      let entry: FileEntry;
      try {
        entry = { index, line, record: JSON.parse(text) };
      } catch (err) {
        entry = { index, line, parseError: `invalid JSON: ${(err as Error).message}`, raw: text.slice(0, MAX_RAW_CHARS) };
      }
      index += 1;
      yield entry;
    }
  } catch (err) {
    throw new FileReadError(inputError ?? err);
  }
  if (inputError) throw new FileReadError(inputError);
}

async function* parseCsvRows(input: Readable): AsyncGenerator<FileEntry> {
  let inputError: unknown;
  input.once('error', (err) => (inputError = err));
  const rows = pipeThrough(input,
    parseCsv({ columns: (header: string[]) => header.map((h) => h.trim()), skip_empty_lines: true, trim: true, info: true, bom: true }),
  );
  let index = 0;
  try {
    for await (const row of keepAllBeforeError<{ record: Record<string, string>; info: { lines: number } }>(rows)) {
      const record: Record<string, unknown> = { ...row.record };
      if (typeof record.amount === 'string' && /^-?\d+(\.\d+)?$/.test(record.amount)) record.amount = Number(record.amount);
      yield { index: index++, line: row.info.lines, record };
    }
  } catch (err) {
    if (inputError) throw new FileReadError(inputError);
    // csv-parse stops at a structural error (for example an unclosed quote): report where, keep what came before.
    const e = err as Error & { lines?: number };
    yield { index, line: e.lines, parseError: `invalid CSV: ${e.message}` };
  }
}

type Container = { value: unknown[] | Record<string, unknown>; key?: string; streaming: boolean; heldTransactions: boolean };
type Token = { name: string; value?: string };

const WRAPPER_KEY = 'transactions';

async function* parseJson(input: Readable): AsyncGenerator<FileEntry> {
  let inputError: unknown;
  input.once('error', (err) => (inputError = err));
  const tokens = pipeThrough(input, jsonTokenParser({ jsonStreaming: true, packValues: true, streamValues: false }));

  const stack: Container[] = [];
  let index = 0;
  let pending: unknown[] = [];

  // A completed value either becomes a record (top level, or an element of a streamed array) or joins its parent.
  const complete = (value: unknown, wasWrapper = false) => {
    const parent = stack[stack.length - 1];
    if (!parent) {
      if (!wasWrapper) pending.push(value);
    } else if (parent.streaming) {
      pending.push(value);
    } else if (Array.isArray(parent.value)) {
      parent.value.push(value);
    } else {
      parent.value[parent.key ?? ''] = value;
    }
  };

  try {
    for await (const token of keepAllBeforeError<Token>(tokens)) {
      const top = stack[stack.length - 1];
      switch (token.name) {
        case 'startObject':
          stack.push({ value: {}, streaming: false, heldTransactions: false });
          break;
        case 'startArray': {
          const isTopLevel = !top;
          const isWrapperArray = stack.length === 1 && top !== undefined && !Array.isArray(top.value) && top.key === WRAPPER_KEY;
          if (isWrapperArray) top.heldTransactions = true;
          stack.push({ value: [], streaming: isTopLevel || isWrapperArray, heldTransactions: false });
          break;
        }
        case 'endObject':
        case 'endArray': {
          const done = stack.pop()!;
          if (!done.streaming) complete(done.value, done.heldTransactions);
          break;
        }
        case 'keyValue':
          top!.key = token.value;
          break;
        case 'stringValue':
          complete(token.value);
          break;
        case 'numberValue':
          complete(Number(token.value));
          break;
        case 'trueValue':
          complete(true);
          break;
        case 'falseValue':
          complete(false);
          break;
        case 'nullValue':
          complete(null);
          break;
      }
      if (pending.length > 0) {
        for (const record of pending) yield { index: index++, record };
        pending = [];
      }
    }
  } catch (err) {
    if (inputError) throw new FileReadError(inputError);
    yield { index, parseError: `invalid JSON after ${index} record(s): ${(err as Error).message}` };
    return;
  }
  if (inputError) throw new FileReadError(inputError);
  if (stack.length > 0) yield { index, parseError: `invalid JSON: the file ends inside an unclosed ${Array.isArray(stack[stack.length - 1]!.value) ? 'array' : 'object'}` };
}

function pipeThrough<T extends Duplex>(input: Readable, transform: T): T {
  pipeline(input, transform, () => undefined);
  return transform;
}

/**
 * Iterates an object stream, yielding every item it emitted before failing and then throwing the failure.
 * (`for await` on a stream drops what is still buffered when the stream errors.)
 */
async function* keepAllBeforeError<T>(stream: Readable): AsyncGenerator<T> {
  let buffered: T[] = [];
  let failure: unknown;
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  stream.on('data', (item: T) => {
    buffered.push(item);
    if (buffered.length >= 1_000) stream.pause();
    notify();
  });
  stream.once('end', () => ((ended = true), notify()));
  stream.once('error', (err) => ((failure = err), notify()));
  stream.once('close', () => ((ended = true), notify()));
  for (;;) {
    if (buffered.length > 0) {
      const batch = buffered;
      buffered = [];
      yield* batch;
      continue;
    }
    if (failure) throw failure;
    if (ended) return;
    await new Promise<void>((resolve) => {
      wake = resolve;
      stream.resume();
    });
  }
}
