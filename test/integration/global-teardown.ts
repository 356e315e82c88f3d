export default async function globalTeardown(): Promise<void> {
  await globalThis.__HIVIS_LOCAL_STACK__?.stop();
}
