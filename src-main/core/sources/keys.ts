import { createHash, randomBytes } from 'node:crypto';
import type { WorkspaceStore } from '../workspace/store';

/** 32 random bytes from the CSPRNG, base64url: 43 characters, 256 bits. */
export function generateWriteKey(): string {
  return randomBytes(32).toString('base64url');
}

/** Short random ids for sources (URL-safe, 72 bits). */
export function generateSourceId(): string {
  return randomBytes(9).toString('base64url');
}

const digest = (key: string) => createHash('sha256').update(key).digest('base64');

export type ResolveWriteKey = (key: string) => { sourceId: string } | null;

/**
 * A fast write-key lookup for the ingest routes. The map is keyed by the
 * SHA-256 of each key, so the lookup's timing depends on a digest, never on
 * how many leading characters of a real key a caller guessed. It is rebuilt
 * whenever the store's `writeKeys` array changes: every store update replaces
 * it (copy-on-write), so a deleted key (or a deleted source's keys) stops
 * resolving as soon as the update is applied, before it is even on disk.
 */
export function createWriteKeyResolver(store: WorkspaceStore): ResolveWriteKey {
  let seen: unknown = null;
  let map = new Map<string, string>();
  const sync = () => {
    const keys = store.data.writeKeys;
    if (keys === seen) return;
    const next = new Map<string, string>();
    const live = new Set(store.data.sources.map((s) => s.id));
    for (const k of keys) if (live.has(k.sourceId)) next.set(digest(k.key), k.sourceId);
    map = next;
    seen = keys;
  };
  return (key: string) => {
    if (typeof key !== 'string' || key.length === 0 || key.length > 200) return null;
    sync();
    const sourceId = map.get(digest(key));
    return sourceId === undefined ? null : { sourceId };
  };
}

const resolvers = new WeakMap<WorkspaceStore, ResolveWriteKey>();

/** The one resolver of a store (created on first use). */
export function writeKeyResolver(store: WorkspaceStore): ResolveWriteKey {
  let r = resolvers.get(store);
  if (!r) resolvers.set(store, (r = createWriteKeyResolver(store)));
  return r;
}
