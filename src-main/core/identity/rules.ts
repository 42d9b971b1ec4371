/**
 * Identity resolution rules: which values identify a person, in which priority,
 * how they are compared (normalized) and which values never join anything.
 *
 * - Priority: userId first, then the Customer Model properties marked
 *   `identifier: true`, in the model's order. anonymousId (within a source) comes last.
 * - Two identities with different non-null values of a higher-priority identifier never
 *   join, whatever they share below it.
 * - Normalization: identifier property values are trimmed and compared case-insensitively
 *   (every string identifier, not only emails); int identifiers compare as their decimal text.
 *   userId and anonymousId are compared exactly (trimmed only).
 * - Blocked values (normalized the same way) never join anything: a blocked userId or
 *   anonymousId counts as absent, a blocked identifier value is ignored.
 */
type ModelShape = { readonly properties: readonly { name: string; identifier?: boolean }[] };

export const USER_ID_KEY = 'userId';
export const ANONYMOUS_ID_KEY = 'anonymousId';

export const DEFAULT_BLOCKED_VALUES: readonly string[] = ['', 'null', 'undefined', 'anonymous', '0'];

export interface IdentityRules {
  /** Identifier property names, highest priority first (userId is above all of them). */
  identifiers: string[];
  /** Normalized blocked values. */
  blocked: ReadonlySet<string>;
}

/** Identifier properties of the model, in priority order. */
export function modelIdentifiers(model: ModelShape): string[] {
  return model.properties.filter((p) => p.identifier).map((p) => p.name);
}

/** The comparable form of an identifier property value; null when it cannot identify anyone. */
export function normalizeValue(value: unknown): string | null {
  if (typeof value === 'string') return value.trim().toLowerCase();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return null;
}

export function normalizeBlocked(values: readonly string[]): Set<string> {
  return new Set(values.map((v) => v.trim().toLowerCase()));
}

export function makeRules(model: ModelShape, blocked: readonly string[]): IdentityRules {
  return { identifiers: modelIdentifiers(model), blocked: normalizeBlocked(blocked) };
}

/** userId / anonymousId as used for joining: trimmed, null when absent or blocked. */
export function usableId(id: string | null, rules: IdentityRules): string | null {
  if (id === null) return null;
  const t = id.trim();
  if (rules.blocked.has(t.toLowerCase()) || t === '') return null;
  return t;
}

/** An identifier value an event carries: rank 1 = the first identifier property (userId is rank 0). */
export interface IdentifierKey {
  property: string;
  rank: number;
  value: string;
}

/** The identifier keys of coerced property values, in priority order, blocked values left out. */
export function identifierKeys(values: Record<string, unknown>, rules: IdentityRules): IdentifierKey[] {
  const out: IdentifierKey[] = [];
  rules.identifiers.forEach((property, i) => {
    if (!Object.prototype.hasOwnProperty.call(values, property)) return;
    const v = normalizeValue(values[property]);
    if (v === null || v === '' || rules.blocked.has(v)) return;
    out.push({ property, rank: i + 1, value: v });
  });
  return out;
}
