import type { EventEmitter } from 'node:events';
import S3rver from 's3rver';
import type { ObjectRef } from '../shared/ingest/ports';
import { portError } from './servers';

export interface S3EmulatorOptions {
  port: number;
  directory: string;
  bucket: string;
  /** Called for every ObjectCreated event under one of the prefixes, like an S3 notification configuration. */
  prefixes: readonly string[];
  onObjectCreated(ref: ObjectRef): void;
}

interface S3rverEvent {
  Records: { eventName: string; s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string } } }[];
}

export async function startS3Emulator(options: S3EmulatorOptions): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = new S3rver({
    port: options.port,
    address: '127.0.0.1',
    silent: true,
    directory: options.directory,
    configureBuckets: [{ name: options.bucket, configs: [] }],
  } as ConstructorParameters<typeof S3rver>[0]);
  try {
    await server.run();
  } catch (err) {
    throw portError(err, options.port, 'S3');
  }
  // S3rver is a Koa application, an EventEmitter, though its type definitions leave that out.
  (server as unknown as EventEmitter).on('event', (event: S3rverEvent) => {
    for (const record of event.Records) {
      const { key, size, eTag } = record.s3.object;
      if (!record.eventName.startsWith('ObjectCreated') || !options.prefixes.some((p) => key.startsWith(p))) continue;
      // s3rver reports the key as stored; S3 URL-encodes it in notifications, which toS3Notification does.
      options.onObjectCreated({ bucket: record.s3.bucket.name, key, eTag: (eTag ?? '').replace(/"/g, ''), size });
    }
  });
  return { endpoint: `http://127.0.0.1:${options.port}`, close: () => server.close() };
}
