import { Readable } from 'node:stream';
import { validateMomaRecord } from '../shared/domain/moma-record';
import { type FileFormat, parseMomaFile } from '../shared/ingest/moma-file-parser';

/**
 * Streams a generated Moma file of N records through ingest-file's parsing and validation path and reports
 * records per second and peak RSS. The file is generated on the fly, so memory reflects the parser alone.
 */
export function generatedMomaFile(records: number, format: FileFormat): Readable {
  let i = 0;
  const record = (n: number) =>
    JSON.stringify({
      transactionId: `TXN-BENCH-${n}`,
      date: '2025-01-01T14:30:00Z',
      amount: 100 + (n % 900),
      cardNumber: `4111 1111 ${String(1000 + (n % 9000))} ${String(1000 + (n % 8999))}`,
      product: 'Large Coffee',
      machineId: `VEND-${n % 50}`,
    });
  return new Readable({
    read() {
      if (i === 0 && format === 'json') this.push('[');
      const batch: string[] = [];
      for (let k = 0; k < 1_000 && i < records; k++, i++)
        batch.push((format === 'json' && i > 0 ? ',' : '') + record(i) + (format === 'ndjson' ? '\n' : ''));
      if (batch.length > 0) this.push(batch.join(''));
      if (i >= records) {
        if (format === 'json') this.push(']');
        this.push(null);
      }
    },
  });
}

export async function measureLargeFile(records: number, format: FileFormat) {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const started = process.hrtime.bigint();
  let valid = 0;
  let invalid = 0;
  for await (const entry of parseMomaFile(generatedMomaFile(records, format), format)) {
    if ('record' in entry && validateMomaRecord(entry.record).ok) valid++;
    else invalid++;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return {
    format,
    records,
    valid,
    invalid,
    seconds: round(seconds),
    recordsPerSec: Math.round(records / seconds),
    peakRssMb: round(peakRss / 2 ** 20),
  };
}

const round = (n: number) => Math.round(n * 10) / 10;

if (require.main === module) {
  const records = Number(process.argv[2] ?? 1_000_000);
  const formats = (process.argv[3] ? [process.argv[3]] : ['ndjson', 'json']) as FileFormat[];
  (async () => {
    for (const format of formats) console.log(JSON.stringify(await measureLargeFile(records, format)));
  })();
}
