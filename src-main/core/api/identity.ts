import { z } from 'zod';
import { method } from './define';

/** Identity resolution settings: identifiers come from the Customer Model (`identifier: true`, in order). */
export interface IdentitySettings {
  /** Identifier properties, highest priority first; userId is always above them, anonymousId below. */
  identifiers: string[];
  /** Values that never join anything (compared trimmed and case-insensitively). */
  blocked: string[];
  /** The defaults of `blocked`. */
  defaultBlocked: string[];
}

/** Why an identity belongs to its user: a value it shares with another identity of the same user. */
export interface IdentityReason {
  /** 'userId', 'anonymousId' or an identifier property. */
  via: string;
  value: string;
  /** How many other identities of the user hold the same value. */
  sharedWith: number;
}

export interface ExplainedIdentity {
  sourceId: string;
  userId: string | null;
  anonymousId: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
  /** Normalized identifier values this identity brought to the user. */
  values: { property: string; value: string }[];
  /** Empty for the only identity, or one that shares nothing (the user's first). */
  reasons: IdentityReason[];
}

export interface IdentityMergeRecord {
  at: string;
  /** The user merged into this one (no longer exists). */
  fromId: string;
  sourceId: string | null;
  via: string;
  value: string | null;
}

export interface IdentityExplanation {
  id: string;
  identities: ExplainedIdentity[];
  /** Users merged into this one, newest first. */
  merges: IdentityMergeRecord[];
}

/** Progress of "Rebuild users" (also the identity.rebuild push event). */
export interface RebuildProgress {
  phase: 'reading' | 'resolving' | 'writing' | 'done' | 'failed';
  /** 0..1 */
  progress: number;
  /** Identities (source, userId, anonymousId) resolved. */
  identities: number;
  users: number;
  ms: number;
  error?: string;
}

export const identityMethods = {
  'identity.get': method<IdentitySettings>()(z.object({}).strict(), 'Identity resolution settings: identifiers (from the Customer Model, priority order) and blocked values.'),
  'identity.update': method<IdentitySettings>()(
    z
      .object({
        blocked: z.array(z.string().max(200, 'A blocked value is longer than 200 characters')).max(1000, 'At most 1000 blocked values'),
      })
      .strict(),
    'Set the blocked values (they never join anything). Applies to the events processed from now on.',
  ),
  'identity.explain': method<IdentityExplanation>()(
    z.object({ id: z.string().min(1).max(200) }).strict(),
    "Why a user's identities belong together: for each identity the values it shares (userId, anonymousId, identifiers), and the merges into this user.",
  ),
  'identity.rebuild': method<RebuildProgress>()(
    z.object({}).strict(),
    'Rebuild users: recompute every user from the identities with the current identifiers and blocked values (progress as identity.rebuild push events); resolves when done.',
  ),
};
