/** Jest global teardown: stops the dev server that global setup started. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__TEMPORAL_DEV_SERVER__?.stop();
}
