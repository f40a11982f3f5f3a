/**
 * Which dev server a test file talks to: global-setup.ts starts one per Jest worker and lists their addresses in
 * TEMPORAL_TEST_ADDRESSES; Jest numbers its workers from 1 (JEST_WORKER_ID, 1 with --runInBand).
 */

/** The address of this Jest worker's own dev server (global-setup.ts starts one per worker). */
export function testAddress(): string {
  const addresses = process.env.TEMPORAL_TEST_ADDRESSES?.split(',') ?? [];
  const address = addresses[Number(process.env.JEST_WORKER_ID ?? '1') - 1];
  if (!address) {
    throw new Error(
      `no dev server for Jest worker ${process.env.JEST_WORKER_ID} (TEMPORAL_TEST_ADDRESSES: ` +
        `${process.env.TEMPORAL_TEST_ADDRESSES}): run the tests through jest (global-setup.ts)`,
    );
  }
  return address;
}
