/**
 * ISO 8601 dates as Segment's libraries send them: `2025-11-02T09:00:00.000Z`,
 * with an offset (`+02:00`, `+0200`, `+02`), without seconds or fraction, any
 * number of fraction digits (kept to the millisecond), or a date alone
 * (midnight UTC). A date-time without an offset is taken as UTC (never as
 * the server's local time). Anything else is not a date.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Epoch milliseconds of an ISO 8601 string, or null when it is not one. */
export function parseIsoDate(value: unknown): number | null {
  if (typeof value !== 'string' || value.length > 64) return null;
  // Fast path: the form JavaScript's toISOString() writes, which is what Segment's libraries send.
  if (value.length === 24 && CANONICAL.test(value)) {
    const t = Date.parse(value);
    const day = Number(value.slice(8, 10));
    if (Number.isFinite(t) && day >= 1 && (day <= 28 || new Date(t).getUTCDate() === day) && Number(value.slice(11, 13)) <= 23) return t;
    return null;
  }
  const m = ISO.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1) return null;
  if (day > new Date(Date.UTC(Number(y), month, 0)).getUTCDate()) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  let offset = 'Z';
  if (zone !== 'Z' && zone !== 'z') {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
    if (!z || Number(z[2]) > 23 || Number(z[3] ?? '0') > 59) return null;
    offset = `${z[1]}${z[2]}:${z[3] ?? '00'}`;
  }
  const ms = (frac + '000').slice(0, 3);
  const t = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${offset}`);
  return Number.isFinite(t) ? t : null;
}

export const isIsoDate = (value: unknown) => parseIsoDate(value) !== null;
