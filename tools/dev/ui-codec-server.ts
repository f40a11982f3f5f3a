/**
 * The codec server of the local stack: with payload encryption on (NSE_FLOW_CODEC_KEYS), `npm start` and the
 * browser test run one in-process and start the dev server with `--ui-codec-endpoint` pointing at it, so the local
 * Web UI shows inputs, results and failures in clear.
 *
 * The dev server's Web UI sends no credentials to a codec server (it has no login, so its "pass access token" has no
 * token to pass), so this one serves without a bearer token. What keeps it local instead: it listens on 127.0.0.1
 * only, and CORS admits only the UI's own origins, so pages of other sites cannot read through it. Any process of
 * this machine can; a shared or production deployment runs `nse-flow codec-server --token` (docs/operations.md).
 * @module
 */
import type { CodecConfig } from '../../src/codec/config';
import { AesGcmCodec } from '../../src/codec';
import { startCodecServer, type RunningCodecServer } from '../../src/codec/codec-server';
import type { Stack } from '../stack';

export interface UiCodecServerOptions {
  codec: CodecConfig;
  /** The Web UI's port: its origins (localhost and 127.0.0.1) are the only ones CORS admits. */
  uiPort: number;
  /** Port to listen on (127.0.0.1); a free one when 0. */
  port: number;
}

/** Starts the local codec server for the Web UI on 127.0.0.1; it closes with the stack. */
export async function startUiCodecServer(stack: Stack, options: UiCodecServerOptions): Promise<RunningCodecServer> {
  const server = await startCodecServer({
    codec: new AesGcmCodec(options.codec),
    port: options.port,
    host: '127.0.0.1',
    uiOrigins: [`http://localhost:${options.uiPort}`, `http://127.0.0.1:${options.uiPort}`],
    allowNoToken: true,
  });
  stack.defer('codec server', () => server.close());
  return server;
}
