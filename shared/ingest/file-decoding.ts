import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, type Gunzip } from 'node:zlib';

/**
 * Turns the bytes of an uploaded file into UTF-8 text for the Moma parser, or says why they are not text.
 *
 * - gzip is recognised by its magic bytes (1f 8b) and decompressed while streaming. A `.gz` key or a
 *   `Content-Encoding: gzip` whose bytes are not gzip is read as the plain text it holds.
 * - A UTF-8 byte order mark is dropped; UTF-16 LE/BE (with a byte order mark, or unmistakable from its zero
 *   bytes) is transcoded to UTF-8.
 * - Known binary formats (zip, PDF, images, ...) and content that is mostly not text in its first KiB are
 *   `unreadable`, with a reason naming what was found.
 *
 * The text stream fails with a `FileReadError` when the body itself fails (network: retry the file) and with
 * a `FileDecodeError` when the gzip data is damaged (the file's content: not worth retrying). Both are raised
 * only after every byte decoded before them has been read, so a parser loses nothing that preceded them.
 */
export type DecodedFile =
  | { kind: 'text'; stream: Readable; encoding: TextEncoding; gzip: boolean }
  | { kind: 'unreadable'; reason: string };

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

export interface DecodeHints {
  key: string;
  contentEncoding?: string;
}

/** The input stream itself failed (network, S3): the file should be retried, it is not malformed. */
export class FileReadError extends Error {
  constructor(readonly cause: unknown) {
    super(`could not read the file: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'FileReadError';
  }
}

/** The file's compressed data is damaged: retrying reads the same damage. */
export class FileDecodeError extends Error {
  constructor(
    /** Bytes of text decoded before the damage. */
    readonly decodedBytes: number,
    detail: string,
  ) {
    super(`the gzip data is damaged after ${decodedBytes} bytes: ${detail}`);
    this.name = 'FileDecodeError';
  }
}

const SNIFF_BYTES = 1_024;
/** Compressed input is fed to zlib in pieces this small, so one piece inflates to a few MiB at most. */
const GUNZIP_PIECE_BYTES = 4_096;

export async function decodeFileBody(body: Readable, hints: DecodeHints): Promise<DecodedFile> {
  void hints; // the bytes decide; the key and Content-Encoding only describe what the producer meant
  const raw = new PeekableChunks(rawChunks(body));
  const rawHead = await raw.peek(SNIFF_BYTES);
  if (rawHead.error) throw rawHead.error;

  let text = raw;
  const gzip = isGzip(rawHead.bytes);
  if (gzip) {
    text = new PeekableChunks(gunzipChunks(raw));
    const head = await text.peek(SNIFF_BYTES);
    if (head.error instanceof FileReadError) throw head.error;
    if (head.error && head.bytes.length === 0) return { kind: 'unreadable', reason: head.error.message };
  }
  const head = (await text.peek(SNIFF_BYTES)).bytes.subarray(0, SNIFF_BYTES);

  const binary = binaryKind(head);
  if (binary) {
    body.destroy();
    return { kind: 'unreadable', reason: `binary content (${binary}${gzip ? ', inside gzip' : ''}), not JSON/NDJSON/CSV text` };
  }

  const encoding = textEncoding(head);
  const chunks = encoding === 'utf-8' ? dropUtf8Bom(text) : utf16ToUtf8(text, encoding);
  return { kind: 'text', stream: new DeferredErrorReadable(chunks, () => body.destroy()), encoding, gzip };
}

const isGzip = (head: Buffer) => head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;

async function* rawChunks(body: Readable): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of body) yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
  } catch (err) {
    throw err instanceof FileReadError ? err : new FileReadError(err);
  }
}

async function* gunzipChunks(compressed: PeekableChunks): AsyncGenerator<Buffer> {
  const gunzip = createGunzip();
  const inflated: Buffer[] = [];
  let decodedBytes = 0;
  let failure: Error | undefined;
  gunzip.on('data', (b: Buffer) => inflated.push(b));
  gunzip.on('error', (err) => (failure ??= err));
  const damaged = () => new FileDecodeError(decodedBytes, failure?.message ?? 'unexpected end of data');
  function* drain() {
    while (inflated.length > 0) {
      const b = inflated.shift()!;
      decodedBytes += b.length;
      yield b;
    }
  }
  try {
    for (;;) {
      const chunk = await compressed.next();
      if (chunk === undefined) break;
      for (let at = 0; at < chunk.length; at += GUNZIP_PIECE_BYTES) {
        await zlibStep(gunzip, (done) => gunzip.write(chunk.subarray(at, at + GUNZIP_PIECE_BYTES), done));
        yield* drain();
        if (failure) throw damaged();
      }
    }
    await zlibStep(gunzip, (done) => {
      gunzip.once('end', done);
      gunzip.end();
    });
    yield* drain();
    if (failure) throw damaged();
  } finally {
    gunzip.destroy();
  }
}

/** Runs one zlib operation and settles when it is done or zlib has failed (the caller then checks `failure`). */
function zlibStep(gunzip: Gunzip, start: (done: () => void) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const settle = () => {
      gunzip.off('error', settle);
      resolve();
    };
    gunzip.once('error', settle);
    start(settle);
  });
}

async function* dropUtf8Bom(chunks: PeekableChunks): AsyncGenerator<Buffer> {
  await chunks.peek(3);
  let first = true;
  for (;;) {
    const chunk = await chunks.next();
    if (chunk === undefined) return;
    if (first && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) yield chunk.subarray(3);
    else yield chunk;
    first = false;
  }
}

async function* utf16ToUtf8(chunks: PeekableChunks, encoding: 'utf-16le' | 'utf-16be'): AsyncGenerator<Buffer> {
  const decoder = new StringDecoder('utf16le');
  let odd: Buffer | undefined; // a byte of a BE pair whose partner is in the next chunk
  let first = true;
  for (;;) {
    let chunk = await chunks.next();
    if (chunk === undefined) break;
    if (encoding === 'utf-16be') {
      if (odd) chunk = Buffer.concat([odd, chunk]);
      const even = chunk.length - (chunk.length % 2);
      odd = even < chunk.length ? chunk.subarray(even) : undefined;
      chunk = Buffer.from(chunk.subarray(0, even)).swap16();
    }
    let text = decoder.write(chunk);
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    if (text.length > 0) yield Buffer.from(text, 'utf8');
  }
  const rest = decoder.end() + (odd ? '\ufffd' : '');
  if (rest.length > 0) yield Buffer.from(rest, 'utf8');
}

function textEncoding(head: Buffer): TextEncoding {
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  // Without a byte order mark, ASCII-range UTF-16 shows as a zero in every other byte.
  const pairs = Math.floor(Math.min(head.length, 256) / 2);
  if (pairs >= 2) {
    let zeroHigh = 0;
    let zeroLow = 0;
    for (let i = 0; i < pairs; i++) {
      if (head[2 * i] === 0 && head[2 * i + 1] !== 0) zeroLow++;
      if (head[2 * i + 1] === 0 && head[2 * i] !== 0) zeroHigh++;
    }
    if (zeroHigh >= pairs * 0.7) return 'utf-16le';
    if (zeroLow >= pairs * 0.7) return 'utf-16be';
  }
  return 'utf-8';
}

const SIGNATURES: { name: string; bytes: (number | undefined)[]; at?: number }[] = [
  { name: 'gzip data', bytes: [0x1f, 0x8b] },
  { name: 'zip archive', bytes: [0x50, 0x4b, 0x03, 0x04] },
  { name: 'zip archive', bytes: [0x50, 0x4b, 0x05, 0x06] },
  { name: 'zip archive', bytes: [0x50, 0x4b, 0x07, 0x08] },
  { name: 'PDF document', bytes: [...Buffer.from('%PDF-')] },
  { name: 'PNG image', bytes: [0x89, 0x50, 0x4e, 0x47] },
  { name: 'JPEG image', bytes: [0xff, 0xd8, 0xff] },
  { name: 'GIF image', bytes: [...Buffer.from('GIF8')] },
  { name: 'WebP image', bytes: [...Buffer.from('RIFF'), undefined, undefined, undefined, undefined, ...Buffer.from('WEBP')] },
  { name: 'bzip2 data', bytes: [...Buffer.from('BZh')] },
  { name: 'xz data', bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: '7z archive', bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] },
  { name: 'zstd data', bytes: [0x28, 0xb5, 0x2f, 0xfd] },
  { name: 'RAR archive', bytes: [...Buffer.from('Rar!')] },
  { name: 'tar archive', bytes: [...Buffer.from('ustar')], at: 257 },
  { name: 'Microsoft Office document', bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1] },
  { name: 'Parquet file', bytes: [...Buffer.from('PAR1')] },
  { name: 'SQLite database', bytes: [...Buffer.from('SQLite format 3')] },
  { name: 'ELF executable', bytes: [0x7f, 0x45, 0x4c, 0x46] },
  { name: 'UTF-32 text', bytes: [0xff, 0xfe, 0x00, 0x00] },
  { name: 'UTF-32 text', bytes: [0x00, 0x00, 0xfe, 0xff] },
];

/** Names the binary format the head belongs to, or says it is mostly not text; undefined for text. */
function binaryKind(head: Buffer): string | undefined {
  for (const { name, bytes, at = 0 } of SIGNATURES) {
    if (head.length >= at + bytes.length && bytes.every((b, i) => b === undefined || head[at + i] === b)) return name;
  }
  if (head.length === 0 || textEncoding(head) !== 'utf-8') return undefined;
  const nonText = countNonTextBytes(head);
  return nonText > head.length * 0.3
    ? `${Math.round((nonText * 100) / head.length)}% of the first ${head.length} bytes are not text`
    : undefined;
}

/** Control bytes other than tab, line breaks and form feed, and bytes that are not valid UTF-8. */
function countNonTextBytes(bytes: Buffer): number {
  let count = 0;
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    if (b < 0x80) {
      if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) || b === 0x7f) count++;
      i++;
      continue;
    }
    const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    let valid = length > 0;
    for (let k = 1; valid && k < length; k++) {
      const next = bytes[i + k];
      if (next === undefined) break; // cut by the end of the sample, not invalid
      if ((next & 0xc0) !== 0x80) valid = false;
    }
    if (valid) i += length;
    else {
      count++;
      i++;
    }
  }
  return count;
}

/** A stream of chunks that can show its first bytes without consuming them. */
class PeekableChunks {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private done = false;
  private failure: Error | undefined;

  constructor(private readonly iterator: AsyncIterator<Buffer>) {}

  /** Reads ahead until `bytes` bytes, the end, or a failure; the failure is reported, not thrown. */
  async peek(bytes: number): Promise<{ bytes: Buffer; error?: Error }> {
    while (this.bufferedBytes < bytes && !this.done && !this.failure) {
      try {
        const result = await this.iterator.next();
        if (result.done) this.done = true;
        else if (result.value.length > 0) {
          this.buffered.push(result.value);
          this.bufferedBytes += result.value.length;
        }
      } catch (err) {
        this.failure = err as Error;
      }
    }
    if (this.buffered.length > 1) this.buffered = [Buffer.concat(this.buffered)];
    return { bytes: this.buffered[0] ?? Buffer.alloc(0), error: this.failure };
  }

  /** The next chunk, undefined at the end; a failure is thrown once the chunks before it are consumed. */
  async next(): Promise<Buffer | undefined> {
    const chunk = this.buffered.shift();
    if (chunk) {
      this.bufferedBytes -= chunk.length;
      return chunk;
    }
    if (this.failure) throw this.failure;
    if (this.done) return undefined;
    const result = await this.iterator.next();
    if (result.done) {
      this.done = true;
      return undefined;
    }
    return result.value;
  }
}

/**
 * A readable over an async chunk generator that raises the generator's failure only once everything
 * before it has been read (a plain `destroy(err)` would discard what is still buffered).
 */
class DeferredErrorReadable extends Readable {
  private pulling = false;
  private failure: Error | undefined;

  constructor(
    private readonly chunks: AsyncGenerator<Buffer>,
    private readonly onAbandoned: () => void,
  ) {
    super();
  }

  override _read(): void {
    if (this.failure) {
      this.failWhenDrained();
      return;
    }
    if (this.pulling) return;
    this.pulling = true;
    this.chunks.next().then(
      (result) => {
        this.pulling = false;
        if (result.done) this.push(null);
        else this.push(result.value.length > 0 ? result.value : EMPTY);
      },
      (err: Error) => {
        this.pulling = false;
        this.failure = err;
        this.failWhenDrained();
      },
    );
  }

  private failWhenDrained(): void {
    if (this.readableLength === 0) this.destroy(this.failure);
    // Pushing nothing lets the stream ask again once the reader has taken what is buffered.
    else this.push(EMPTY);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    // A reader that stops early no longer needs the body; a pending pull would delay return(), so do not wait.
    if (!this.readableEnded) this.onAbandoned();
    this.chunks.return(undefined).catch(() => undefined);
    callback(err);
  }
}

const EMPTY = Buffer.alloc(0);
