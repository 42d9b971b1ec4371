import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const generateToken = (bytes = 32) => randomBytes(bytes).toString('base64url');

/** Constant-time comparison (hash both sides so lengths never leak through timing). */
export function tokenMatches(expected: string, given: string | undefined | null): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

export function bearerOf(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? m[1] : null;
}
