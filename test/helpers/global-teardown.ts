/** Jest global teardown: stops the dev servers that global setup started. */
export default async function globalTeardown(): Promise<void> {
  await Promise.all((globalThis.__NSE_FLOW_TEST_STACKS__ ?? []).map((stack) => stack.stop()));
}
