/** Errors of the ingest endpoint, answered as `{"error":{"code","message"}}` with their HTTP status. */
export type IngestErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unavailable'
  | 'internal';

const STATUS: Record<IngestErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unavailable: 503,
  internal: 500,
};

export class IngestError extends Error {
  readonly code: IngestErrorCode;
  readonly status: number;
  /** Extra response headers (Retry-After). */
  readonly headers: Record<string, string>;
  /** The request body was not read to its end: the connection should be closed after the answer. */
  readonly closeConnection: boolean;
  constructor(code: IngestErrorCode, message: string, opts: { headers?: Record<string, string>; closeConnection?: boolean } = {}) {
    super(message);
    this.name = 'IngestError';
    this.code = code;
    this.status = STATUS[code];
    this.headers = opts.headers ?? {};
    this.closeConnection = opts.closeConnection ?? false;
  }
  toBody() {
    return { error: { code: this.code, message: this.message } };
  }
}

export const badRequest = (message: string) => new IngestError('bad_request', message);
export const unauthorized = (message: string) => new IngestError('unauthorized', message);
export const tooLarge = (message: string, closeConnection = false) => new IngestError('payload_too_large', message, { closeConnection });
export const unsupportedMediaType = (message: string) => new IngestError('unsupported_media_type', message);

/** Human-readable size: 4 MiB, 32 KiB, 1500 bytes. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
