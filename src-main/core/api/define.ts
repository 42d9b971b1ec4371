import type { z } from 'zod';

// A method is declared once: a runtime schema for its arguments, a doc line,
// and (type-only) its result. Everything else (dispatch, IPC, HTTP, clients)
// is derived from these declarations.
export interface MethodDef<A extends z.ZodType = z.ZodType, R = unknown> {
  args: A;
  doc: string;
  /** Phantom: carries the result type, never set at run time. */
  readonly result?: R;
}

export const method =
  <R>() =>
  <A extends z.ZodType>(args: A, doc: string): MethodDef<A, R> => ({ args, doc });
