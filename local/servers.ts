import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { LocalStackError } from './dynamodb-local';

/** A port another process holds is the operator's to resolve: say which, in one line. */
export function portError(err: unknown, port: number, what: string): Error {
  if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
    return new LocalStackError(`port ${port} (${what}) is already in use: stop whatever holds it or choose another port`);
  return err as Error;
}

/** Serves on loopback (port 0: any free port); resolves with the server's URL and a close that drops keep-alive connections too. */
export async function listenOnLoopback(server: Server, port: number, what: string): Promise<{ url: string; close(): Promise<void> }> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  } catch (err) {
    throw portError(err, port, what);
  }
  const bound = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${bound}`, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** A port free on loopback now, for an emulator that must be told its port before it starts. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
