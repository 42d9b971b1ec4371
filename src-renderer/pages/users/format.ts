import type { PropertyType } from '../../../src-main/core/api/model';

export type ColumnType = PropertyType | 'timestamptz' | 'id';

/** A value as a short cell text. */
export function cellText(v: unknown, type: ColumnType): string {
  if (v === null || v === undefined) return '';
  if ((type === 'datetime' || type === 'timestamptz') && typeof v === 'string') return shortTime(v);
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** "2024-05-01T10:20:30.000Z" -> "2024-05-01 10:20:30" (UTC). */
export function shortTime(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

/** Full text for a tooltip or the detail panel. */
export function fullText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v, null, 2);
  return String(v);
}

export function relativeTime(iso: string | null, now = Date.now()): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  const abs = Math.abs(s);
  const fmt = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'} ${s >= 0 ? 'ago' : 'from now'}`;
  if (abs < 60) return s >= 0 ? 'just now' : 'in a moment';
  if (abs < 3600) return fmt(Math.round(abs / 60), 'minute');
  if (abs < 86400) return fmt(Math.round(abs / 3600), 'hour');
  if (abs < 86400 * 45) return fmt(Math.round(abs / 86400), 'day');
  if (abs < 86400 * 540) return fmt(Math.round(abs / (86400 * 30)), 'month');
  return fmt(Math.round(abs / (86400 * 365)), 'year');
}

export const formatCount = (n: number) => n.toLocaleString('en-US');

export function formatBytes(n: number | null): string {
  if (n === null) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
