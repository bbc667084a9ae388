/**
 * A drop that cannot be used at all (empty, binary, unreadable, no header row…). The message is one
 * line saying why; the ingest refuses the whole drop with it. Never worth retrying.
 */
export class DropUnusableError extends Error {
  override readonly name = 'DropUnusableError';
  readonly type = 'DropUnusable';
  readonly nonRetryable = true;

  constructor(
    message: string,
    readonly fileName: string,
  ) {
    super(message.replace(/\s*\n\s*/g, ' '));
  }
}

/** An HTTP API that could not be fetched. `retryable` says whether asking again may help. */
export class ApiFetchError extends Error {
  override readonly name = 'ApiFetchError';
  readonly type = 'ApiFetchFailed';

  constructor(
    message: string,
    readonly url: string,
    readonly retryable: boolean,
    readonly status?: number,
    /** What the server's Retry-After asked for, in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
