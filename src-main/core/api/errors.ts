// One error shape for every transport: {error: {code, message}} plus an HTTP-like status.
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'not_found'
  | 'unknown_method'
  | 'conflict'
  | 'read_only'
  | 'payload_too_large'
  | 'unavailable'
  | 'internal';

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  unknown_method: 404,
  conflict: 409,
  read_only: 400,
  payload_too_large: 413,
  unavailable: 503,
  internal: 500,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string };
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly field?: string;
  constructor(code: ErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.field = field;
  }
  get status(): number {
    return STATUS[this.code];
  }
  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) } };
  }
}

export const badRequest = (message: string, field?: string) => new ApiError('bad_request', message, field);
export const notFound = (message: string) => new ApiError('not_found', message);

/** Any thrown value as an ApiError; unexpected errors become `internal` without leaking stacks. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError('internal', message || 'Internal error');
}

/** Rebuild an ApiError from a body that crossed a transport (IPC, HTTP). */
export function fromErrorBody(body: unknown, fallbackStatus = 500): ApiError {
  const e = (body as ErrorBody | undefined)?.error;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') return new ApiError(e.code, e.message, e.field);
  return new ApiError(fallbackStatus === 401 ? 'unauthorized' : 'internal', `Request failed (${fallbackStatus})`);
}

export const statusOf = (code: ErrorCode) => STATUS[code];
