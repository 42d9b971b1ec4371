import type { z } from 'zod';
import { ApiError, toApiError, type ErrorBody } from './errors';
import { contract, isMethodName, type Handlers } from './contract';

export type CallOutcome = { ok: true; result: unknown } | ({ ok: false; status: number } & ErrorBody);

/** Describe the first schema issue, naming the field: `Invalid "limits.maxEventBytes": ...`. */
export function describeIssue(err: z.ZodError): { message: string; field?: string } {
  const issue = err.issues[0];
  if (!issue) return { message: 'Invalid arguments' };
  const field = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys?: string[] }).keys ?? [];
    const at = field ? `${field}.` : '';
    return { message: `Unknown field ${keys.map((k) => `"${at}${k}"`).join(', ')}`, field: `${at}${keys[0] ?? ''}` };
  }
  return field ? { message: `Invalid "${field}": ${issue.message}`, field } : { message: issue.message };
}

/**
 * The single entry point of every transport: validate the arguments with the
 * method's schema, run the handler, and turn every failure into an ApiError.
 */
export function createDispatcher(handlers: Handlers) {
  async function call(method: string, rawArgs: unknown): Promise<unknown> {
    if (!isMethodName(method)) throw new ApiError('unknown_method', `Unknown API method: ${method}`);
    const parsed = contract[method].args.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      const { message, field } = describeIssue(parsed.error);
      throw new ApiError('bad_request', message, field);
    }
    const handler = handlers[method] as (args: unknown) => unknown;
    return await handler(parsed.data);
  }

  /** Like call, but never throws: the shape that crosses IPC and HTTP. */
  async function settle(method: string, rawArgs: unknown): Promise<CallOutcome> {
    try {
      return { ok: true, result: await call(method, rawArgs) };
    } catch (err) {
      const e = toApiError(err);
      return { ok: false, status: e.status, ...e.toBody() };
    }
  }

  return { call, settle };
}
export type Dispatcher = ReturnType<typeof createDispatcher>;
