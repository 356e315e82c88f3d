export default async function globalTeardown(): Promise<void> {
  await globalThis.__HIVIS_DYNAMODB__?.stop();
}
