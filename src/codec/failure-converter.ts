/**
 * The failure converter of encrypted workers and clients: failure messages and stack traces move into the failure's
 * `encoded_attributes` payload, which the payload codec then encrypts like any other payload. Without it, the
 * server would keep every failure message in clear text even with NSE_FLOW_CODEC_KEYS set. The Web UI and the
 * `temporal` CLI show them through the codec server; the SDK's clients decode them on their own.
 *
 * Workflow failures are converted inside the workflow sandbox, so a workflow bundle for an encrypting worker must
 * be built with this module ({@link FAILURE_CONVERTER_PATH} as `failureConverterPath`); the worker checks for
 * {@link ENCRYPTED_FAILURES_MARKER} in a prebuilt bundle before it uses one.
 * @module
 */
import { DefaultFailureConverter } from '@temporalio/common';

/** A string found in every workflow bundle built with this module. */
export const ENCRYPTED_FAILURES_MARKER = 'nse-flow:failure-attributes-encoded';

/** The SDK loads this export by name from `failureConverterPath`. */
export const failureConverter = Object.defineProperty(
  new DefaultFailureConverter({ encodeCommonAttributes: true }),
  'nseFlowMarker',
  { value: ENCRYPTED_FAILURES_MARKER },
);

/** Where the SDK finds {@link failureConverter}: for `DataConverter.failureConverterPath` and the bundler. */
export const FAILURE_CONVERTER_PATH = __filename;
