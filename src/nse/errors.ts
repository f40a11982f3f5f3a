/**
 * Errors raised by `NseClient`. They carry context (method, path, status) for the activity layer, which
 * turns them into Temporal failures; they never cross into workflows. Messages name the method and the path
 * only: never headers, credentials or bodies, because they end up in logs and workflow history.
 * @module
 */
/** Base class of every failure raised by `NseClient`. */
export class NseError extends Error {
  override readonly name: string = 'NseError';

  constructor(
    readonly method: string,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Whether the same call may succeed later; subclasses decide. */
  get retryable(): boolean {
    return false;
  }
}

/** The `status` object of NSE's response envelope, normalised (`code` may be sent as a string). */
export interface NseStatus {
  code: number | string | undefined;
  userMessage: string;
  verboseMessage: string;
}

/** NSE answered with a non-2xx status; `nseStatus` is the envelope's `status` when the body had one. */
export class NseHttpError extends NseError {
  override readonly name = 'NseHttpError';

  constructor(
    method: string,
    path: string,
    readonly status: number,
    readonly nseStatus?: NseStatus,
    readonly retryAfterMs?: number,
  ) {
    // NSE's own messages stay out of `message`: they are body text and may echo the request.
    super(method, path, `NSE ${method} ${path} failed with HTTP ${status}`);
  }

  /** 408, 429 and 5xx may succeed later; any other status will fail the same way every time. */
  override get retryable(): boolean {
    return this.status === 408 || this.status === 429 || this.status >= 500;
  }

  /** The envelope's `status.code` as a string (it often just mirrors the HTTP status), if NSE sent one. */
  get nseCode(): string | undefined {
    const code = this.nseStatus?.code;
    return code === undefined ? undefined : String(code);
  }
}

/**
 * No HTTP answer at all (refused, reset, DNS, TLS); the original error rides along as the standard `cause`. NSE may
 * still have acted on the call: submits look for their job before repeating (src/activities/adoption.ts).
 */
export class NseNetworkError extends NseError {
  override readonly name = 'NseNetworkError';

  constructor(method: string, path: string, options: { cause: unknown }) {
    super(method, path, `NSE ${method} ${path} got no HTTP answer (${describeCause(options.cause)})`, {
      cause: options.cause,
    });
  }

  /** A network failure is worth retrying, although a non-idempotent call should first look for its effect. */
  override get retryable(): boolean {
    return true;
  }
}

/** NSE did not answer within `timeoutMs`; the request may have been processed all the same. */
export class NseTimeoutError extends NseError {
  override readonly name = 'NseTimeoutError';

  constructor(
    method: string,
    path: string,
    readonly timeoutMs: number,
  ) {
    super(method, path, `NSE ${method} ${path} timed out after ${timeoutMs} ms`);
  }

  /** A timeout is worth retrying, although a non-idempotent call should first look for its effect. */
  override get retryable(): boolean {
    return true;
  }
}

/** NSE answered something that does not follow its API: a body that is not JSON, a 202 without a job, a bad envelope. */
export class NseProtocolError extends NseError {
  override readonly name = 'NseProtocolError';

  constructor(
    method: string,
    path: string,
    readonly reason: string,
    readonly httpStatus?: number,
  ) {
    super(method, path, `NSE ${method} ${path} answered unexpectedly: ${reason}`);
  }
}

/**
 * The request path would not reach NSE as written: URL normalisation would change it (a `.` or `..` segment, an id
 * from NSE that is one). Never sent, and never worth retrying.
 */
export class NseUnsafePathError extends NseError {
  override readonly name = 'NseUnsafePathError';

  constructor(method: string, path: string) {
    super(method, path, `NSE ${method} ${path} not sent: URL normalisation would change its path`);
  }
}

// Node's system errors carry a short code (ECONNRESET); messages of other errors may quote a host, never a secret.
function describeCause(cause: unknown): string {
  if (cause && typeof cause === 'object') {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const message = (cause as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') return message;
  }
  return 'unknown error';
}
