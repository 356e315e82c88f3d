import type { FilePart } from './ports';

/**
 * How a large NDJSON file is shared between workers: above `thresholdBytes` it is cut into byte ranges of about
 * `partBytes`, each processed by its own invocation. A record belongs to the part its line starts in, so no record is
 * split or read twice.
 */
export interface FanOutPolicy {
  thresholdBytes: number;
  partBytes: number;
  maxParts: number;
}

/** How long a fanned-out file stays claimed after its parts last made progress; past it, reconcile queues it again. */
export const FAN_OUT_LEASE_MS = 30 * 60_000;

export const DEFAULT_FAN_OUT: FanOutPolicy = { thresholdBytes: 24 * 1024 * 1024, partBytes: 8 * 1024 * 1024, maxParts: 100 };

export function planParts(size: number, policy: FanOutPolicy): FilePart[] {
  return partsOf(size, Math.max(1, Math.min(policy.maxParts, Math.ceil(size / policy.partBytes))));
}

/** `count` parts of nearly equal size covering `size` bytes. */
export function partsOf(size: number, count: number): FilePart[] {
  const partBytes = Math.ceil(size / count);
  return Array.from({ length: count }, (_, index) => ({
    index,
    count,
    start: index * partBytes,
    end: Math.min(size, (index + 1) * partBytes),
  }));
}

/** Whether a part event names one of the parts the file was cut into (part events could be replayed or forged). */
export const isPartOf = (part: FilePart, file: { count: number; objectBytes: number }) => {
  const planned = part.count === file.count ? partsOf(file.objectBytes, file.count)[part.index] : undefined;
  return planned !== undefined && planned.start === part.start && planned.end === part.end;
};

/** Where a part starts reading: one byte early, which tells whether its first byte begins a line. */
export const partReadStart = (part: FilePart) => Math.max(0, part.start - 1);

const NEWLINE = 0x0a;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * The whole lines of one part, from the object's bytes read from `partReadStart(part)` to its end: the line in
 * progress at the part's start is the previous part's (skipped), and the line in progress at its end is this part's
 * (read to its newline). `window.firstByte` is set to the object offset of the first byte yielded, so a record's
 * offset in the part's text maps back to its offset in the file.
 */
export async function* partLines(
  chunks: AsyncIterable<Buffer>,
  part: FilePart,
  window: { firstByte?: number } = {},
): AsyncGenerator<Buffer> {
  let position = partReadStart(part);
  let started = part.start === 0;
  let tail = false;
  const source = part.start === 0 ? withoutBom(chunks, (dropped) => (position += dropped)) : chunks;
  for await (const incoming of source) {
    let chunk = incoming;
    if (!started) {
      const newline = chunk.indexOf(NEWLINE);
      if (newline < 0) {
        position += chunk.length;
        if (position >= part.end) return;
        continue;
      }
      position += newline + 1;
      chunk = chunk.subarray(newline + 1);
      started = true;
      // The first line that starts here starts in the next part (or there is none).
      if (position >= part.end) return;
    }
    if (chunk.length === 0) continue;
    window.firstByte ??= position;
    if (tail) {
      const newline = chunk.indexOf(NEWLINE);
      if (newline >= 0) {
        yield chunk.subarray(0, newline + 1);
        return;
      }
      yield chunk;
      continue;
    }
    if (position + chunk.length <= part.end) {
      yield chunk;
      position += chunk.length;
      if (position === part.end) {
        // The part's last byte ends a line: the next line is the next part's. Otherwise that line is read to its end.
        if (chunk[chunk.length - 1] === NEWLINE) return;
        tail = true;
      }
      continue;
    }
    // The chunk crosses the part's end: keep the line that holds the part's last byte, to its newline. (The first
    // line may start past the end of a tiny first part, after a byte order mark: it is still the first part's.)
    const newline = chunk.indexOf(NEWLINE, Math.max(0, part.end - 1 - position));
    if (newline >= 0) {
      yield chunk.subarray(0, newline + 1);
      return;
    }
    yield chunk;
    position += chunk.length;
    tail = true;
  }
}

/** The bytes of a file's start without a UTF-8 byte order mark (which may arrive split over chunks). */
async function* withoutBom(chunks: AsyncIterable<Buffer>, dropped: (bytes: number) => void): AsyncGenerator<Buffer> {
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const chunk of chunks) {
    if (!head) {
      yield chunk;
      continue;
    }
    head = Buffer.concat([head, chunk]);
    if (head.length < UTF8_BOM.length && UTF8_BOM.subarray(0, head.length).equals(head)) continue;
    const bom = head.subarray(0, UTF8_BOM.length).equals(UTF8_BOM);
    if (bom) dropped(UTF8_BOM.length);
    const rest = bom ? head.subarray(UTF8_BOM.length) : head;
    head = undefined;
    if (rest.length > 0) yield rest;
  }
  if (head && head.length > 0) yield head;
}
