/** Jest global teardown: stops the stack that global setup started. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__NSE_FLOW_TEST_STACK__?.stop();
}
