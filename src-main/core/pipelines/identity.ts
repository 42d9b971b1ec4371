/**
 * Identity resolution of one batch, and the merge of property values. Pure:
 * the SQL side looks identities up once per batch (set-based), this decides,
 * and the SQL side writes everything back in one transaction.
 *
 * Rules (see core/identity/rules.ts and the README, "Identity resolution"):
 * - an event joins the user of its userId (across sources), the users holding one of
 *   its identifier values (Customer Model properties marked identifier, normalized), and
 *   the user of its anonymousId within its source;
 * - priority: userId, then the identifiers in model order, then anonymousId. A join (or a
 *   merge of two users) through a value of rank r is refused when both sides hold values of
 *   a higher-priority identifier (rank < r) and none of them is shared;
 * - an anonymous-only event always belongs to the user of its anonymousId (when known);
 * - when two users join, the one that existed before the batch (the first found, by
 *   priority) survives with its _id; the other is merged into it and deleted;
 * - a property takes the newest non-null value by event timestamp (ties: the
 *   later event in the log wins); an `array` property takes the union of its values
 *   (distinct; what the user holds first, then the merged users', then the batch's in
 *   event order).
 */
import type { IdentifierKey } from '../identity/rules';

export interface AcceptedEvent {
  seq: number;
  /** Event timestamp, epoch ms. */
  ts: number;
  userId: string | null;
  anonymousId: string | null;
  /** Coerced values; nulls already left out (null = no value = untouched). */
  values: Record<string, unknown>;
  /** Identifier values of the event (normalized, not blocked), priority order. */
  keys?: IdentifierKey[];
}

export interface AnonymousIdentity {
  id: string;
  /** The userId of the identity, null for an anonymous-only one. */
  userId: string | null;
}

/** rank (0 = userId, 1.. = identifiers) -> values held. */
export type KeySets = Map<number, Set<string>>;

/** Existing identities relevant to a batch. */
export interface IdentityLookup {
  /** userId -> users._id */
  byUserId: Map<string, string>;
  /** anonymousId (in this source) -> the newest identity holding it */
  byAnonymousId: Map<string, AnonymousIdentity>;
  /** `${property}\0${value}` -> users holding that identifier value. */
  byKey?: Map<string, string[]>;
  /** The userIds and identifier values held by the users above. */
  keysOf?: Map<string, KeySets>;
}

export interface IdentityRow {
  userId: string | null;
  anonymousId: string | null;
  id: string;
  firstSeen: number;
  lastSeen: number;
}

/** Why two users became one. */
export interface MergeReason {
  from: string;
  into: string;
  /** 'userId', 'anonymousId' or the identifier property. */
  via: string;
  value: string;
  ts: number;
}

/** An identifier value a user holds from now on (new in this batch). */
export interface HeldValue {
  id: string;
  property: string;
  value: string;
  userId: string | null;
  anonymousId: string | null;
  ts: number;
}

export interface Resolution {
  /** users._id of each accepted event, in order. */
  userOf: string[];
  /** Users that do not exist yet. */
  created: Set<string>;
  /** Existing users folded into another one (from -> into). */
  merges: Map<string, string>;
  /** Identity rows to insert or refresh (last seen, owner). */
  identities: IdentityRow[];
  /** anonymousIds whose anonymous-only identity (userId null) is replaced by an identified one. */
  joinedAnonymousIds: string[];
  /** Why each merge happened (from/into resolved to the final users). */
  reasons: MergeReason[];
  /** Identifier values each identity (userId, anonymousId) of the batch carried (owner resolved). */
  values: HeldValue[];
}

const identityKey = (userId: string | null, anonymousId: string | null) => `${userId ?? ''}\u0000${anonymousId ?? ''}`;
export const valueKey = (property: string, value: string) => `${property}\u0000${value}`;

/** Whether a join through a value of rank `via` is allowed: no conflict on any higher-priority rank. */
export function compatible(a: KeySets | undefined, b: KeySets | undefined, via: number): boolean {
  if (!a || !b) return true;
  for (const [rank, va] of a) {
    if (rank >= via || va.size === 0) continue;
    const vb = b.get(rank);
    if (!vb || vb.size === 0) continue;
    let shared = false;
    for (const v of va) {
      if (vb.has(v)) {
        shared = true;
        break;
      }
    }
    if (!shared) return false;
  }
  return true;
}

function addAll(into: KeySets, from: KeySets | undefined): void {
  if (!from) return;
  for (const [rank, vs] of from) {
    let s = into.get(rank);
    if (!s) into.set(rank, (s = new Set()));
    for (const v of vs) s.add(v);
  }
}

export function resolveIdentities(events: readonly AcceptedEvent[], lookup: IdentityLookup, newId: () => string): Resolution {
  const alias = new Map<string, string>();
  const find = (id: string): string => {
    let x = id;
    for (let next = alias.get(x); next !== undefined; next = alias.get(x)) x = next;
    return x;
  };
  const byUser = new Map(lookup.byUserId);
  const byAnon = new Map(lookup.byAnonymousId);
  const byKey = new Map<string, string[]>();
  for (const [k, ids] of lookup.byKey ?? []) byKey.set(k, [...ids]);
  const keysOf = new Map<string, KeySets>();
  for (const [id, ks] of lookup.keysOf ?? []) {
    const copy: KeySets = new Map();
    addAll(copy, ks);
    keysOf.set(id, copy);
  }
  // Users known to hold a userId (the lookup only reports the ones relevant to the batch).
  for (const [u, id] of byUser) {
    let ks = keysOf.get(id);
    if (!ks) keysOf.set(id, (ks = new Map()));
    let s = ks.get(0);
    if (!s) ks.set(0, (s = new Set()));
    s.add(u);
  }
  for (const a of byAnon.values()) {
    if (a.userId === null) continue;
    let ks = keysOf.get(a.id);
    if (!ks) keysOf.set(a.id, (ks = new Map()));
    let s = ks.get(0);
    if (!s) ks.set(0, (s = new Set()));
    s.add(a.userId);
  }

  const created = new Set<string>();
  const merges = new Map<string, string>();
  const reasons: MergeReason[] = [];
  const identities = new Map<string, IdentityRow>();
  const joined = new Set<string>();
  const held = new Map<string, HeldValue>();
  const userOf: string[] = new Array(events.length);

  const touch = (userId: string | null, anonymousId: string | null, id: string, ts: number) => {
    const k = identityKey(userId, anonymousId);
    const row = identities.get(k);
    if (row) {
      row.id = id;
      row.firstSeen = Math.min(row.firstSeen, ts);
      row.lastSeen = Math.max(row.lastSeen, ts);
    } else {
      identities.set(k, { userId, anonymousId, id, firstSeen: ts, lastSeen: ts });
    }
  };

  events.forEach((ev, i) => {
    const { userId: u, anonymousId: a, ts } = ev;
    if (u === null && a === null) throw new Error('an event without userId and anonymousId cannot be resolved');
    const keys = ev.keys ?? [];
    // The event's own values, then the cluster it forms with the users it joins.
    const own: KeySets = new Map();
    if (u !== null) own.set(0, new Set([u]));
    for (const k of keys) {
      let s = own.get(k.rank);
      if (!s) own.set(k.rank, (s = new Set()));
      s.add(k.value);
    }
    let id: string | null = null;
    const cluster: KeySets = new Map();
    addAll(cluster, own);
    const join = (candidate: string | undefined, rank: number, via: string, value: string) => {
      if (candidate === undefined) return;
      const c = find(candidate);
      if (c === id) return;
      const ck = keysOf.get(c);
      if (!compatible(cluster, ck, rank)) return;
      addAll(cluster, ck);
      if (id === null) {
        id = c;
        return;
      }
      // Two users become one: a user that existed before the batch survives.
      let from = c;
      let into: string = id;
      if (created.has(into) && !created.has(from)) [from, into] = [into, from];
      alias.set(from, into);
      const merged: KeySets = keysOf.get(into) ?? new Map();
      addAll(merged, keysOf.get(from));
      keysOf.set(into, merged);
      keysOf.delete(from);
      if (created.has(from)) created.delete(from);
      else {
        merges.set(from, into);
        reasons.push({ from, into, via, value, ts });
      }
      id = into;
    };
    const anon = a !== null ? byAnon.get(a) : undefined;
    if (u === null) {
      // Anonymous-only: the user of its anonymousId first (when known), then identifiers.
      if (anon) {
        // The device's user, always; the event's identifier values that conflict with
        // what that user holds are not taken as its identifiers.
        id = find(anon.id);
        const ks = keysOf.get(id);
        for (const [rank, vs] of own) {
          const have = ks?.get(rank);
          if (have && have.size > 0 && ![...vs].some((v) => have.has(v))) own.delete(rank);
        }
        cluster.clear();
        addAll(cluster, own);
        addAll(cluster, ks);
      }
      for (const k of keys) if (own.get(k.rank)?.has(k.value)) for (const c of byKey.get(valueKey(k.property, k.value)) ?? []) join(c, k.rank, k.property, k.value);
    } else {
      join(byUser.get(u), 0, 'userId', u);
      for (const k of keys) for (const c of byKey.get(valueKey(k.property, k.value)) ?? []) join(c, k.rank, k.property, k.value);
      if (anon) join(anon.id, Infinity, 'anonymousId', a!);
    }
    if (id === null) {
      id = newId();
      created.add(id);
    }
    const uid: string = id;
    // What the user holds from now on.
    const mine: KeySets = keysOf.get(uid) ?? new Map();
    addAll(mine, own);
    keysOf.set(uid, mine);
    if (u !== null && byUser.get(u) === undefined) byUser.set(u, uid);
    for (const k of keys) {
      if (!own.get(k.rank)?.has(k.value)) continue;
      const vk = valueKey(k.property, k.value);
      const list = byKey.get(vk);
      if (!list) byKey.set(vk, [uid]);
      else if (!list.some((x) => find(x) === uid)) list.push(uid);
      // Per identity: explain shows which identity brought which value (the SQL side skips known ones).
      const hk = `${vk}\u0000${u ?? ''}\u0000${a ?? ''}`;
      if (!held.has(hk)) held.set(hk, { id: uid, property: k.property, value: k.value, userId: u, anonymousId: a, ts });
    }
    if (u !== null) {
      if (a !== null) {
        if (anon && anon.userId === null && find(anon.id) === uid) {
          // The anonymous-only identity becomes the identified one.
          joined.add(a);
          identities.delete(identityKey(null, a));
        }
        byAnon.set(a, { id: uid, userId: u });
      }
      touch(u, a, uid, ts);
    } else if (anon && find(anon.id) === uid) {
      // Keep refreshing the identity that holds this anonymousId.
      touch(anon.userId, a, uid, ts);
    } else {
      byAnon.set(a!, { id: uid, userId: null });
      touch(null, a, uid, ts);
    }
    userOf[i] = uid;
  });

  for (let i = 0; i < userOf.length; i++) userOf[i] = find(userOf[i]);
  const rows = [...identities.values()];
  for (const r of rows) r.id = find(r.id);
  // A merge chain (a -> b -> c) resolves to its final target.
  for (const [from, into] of merges) merges.set(from, find(into));
  for (const r of reasons) r.into = find(r.into);
  // Values held by users merged within the batch follow the survivor.
  const values = [...held.values()];
  for (const h of values) h.id = find(h.id);
  return { userOf, created, merges, identities: rows, joinedAnonymousIds: [...joined], reasons, values };
}

/** Per property: the winning value and its time. */
export interface UserChange {
  id: string;
  /** Properties to set from events (value as coerced). */
  values: Record<string, unknown>;
  /** The user's property times after the change (epoch ms). */
  times: Record<string, number>;
}

export interface MergeChange {
  from: string;
  into: string;
  /** Properties whose value is taken from the merged user. */
  take: string[];
}

/** Distinct union of arrays, in order of first appearance (elements compared by their JSON text). */
export function unionArrays(...lists: readonly (readonly unknown[] | null | undefined)[]): unknown[] {
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const x of list) {
      if (x === null || x === undefined) continue;
      const k = typeof x === 'string' ? `s${x}` : `j${JSON.stringify(x)}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(x);
    }
  }
  return out;
}

/**
 * Newest non-null value per user and property across the batch's events,
 * the merged users' values and what the users hold (their property times).
 * Properties in `arrayProps` are unioned instead: what the user holds (`arrays`), then
 * what the users merged into it hold, then the batch's values in event order.
 */
export function mergeValues(
  events: readonly AcceptedEvent[],
  userOf: readonly string[],
  merges: ReadonlyMap<string, string>,
  times: ReadonlyMap<string, Record<string, number>>,
  arrayProps: ReadonlySet<string> = new Set(),
  arrays: ReadonlyMap<string, Record<string, unknown[]>> = new Map(),
): { users: UserChange[]; merges: MergeChange[] } {
  const hasOwn = Object.prototype.hasOwnProperty;
  const out = new Map<string, UserChange>();
  const get = (id: string): UserChange => {
    let c = out.get(id);
    if (!c) {
      c = { id, values: {}, times: { ...(times.get(id) ?? {}) } };
      out.set(id, c);
    }
    return c;
  };
  const setValue = (c: UserChange, prop: string, value: unknown) =>
    Object.defineProperty(c.values, prop, { value, enumerable: true, writable: true, configurable: true });
  // Unions per user (into) and array property: starts from what the user holds.
  const unions = new Map<string, Map<string, unknown[]>>();
  const unionOf = (id: string, prop: string): unknown[] => {
    let m = unions.get(id);
    if (!m) unions.set(id, (m = new Map()));
    let u = m.get(prop);
    if (!u) m.set(prop, (u = unionArrays(arrays.get(id)?.[prop])));
    return u;
  };
  // Merged users first: their values compete with the target's by time.
  const mergeTake = new Map<string, Map<string, string>>(); // into -> property -> from
  for (const [from, into] of merges) {
    const target = get(into);
    const fromTimes = times.get(from) ?? {};
    for (const prop of Object.keys(fromTimes)) {
      const t = fromTimes[prop];
      const cur = hasOwn.call(target.times, prop) ? target.times[prop] : -Infinity;
      if (arrayProps.has(prop)) {
        const u = unionOf(into, prop);
        const next = unionArrays(u, arrays.get(from)?.[prop]);
        unions.get(into)!.set(prop, next);
        if (next.length > 0) setValue(target, prop, next);
        if (t > cur) target.times[prop] = t;
        continue;
      }
      if (t > cur) {
        target.times[prop] = t;
        let m = mergeTake.get(into);
        if (!m) mergeTake.set(into, (m = new Map()));
        m.set(prop, from);
      }
    }
  }
  // Events in log order: a later event with the same timestamp wins.
  events.forEach((ev, i) => {
    const c = get(userOf[i]);
    for (const prop of Object.keys(ev.values)) {
      const cur = hasOwn.call(c.times, prop) ? c.times[prop] : -Infinity;
      if (arrayProps.has(prop)) {
        const v = ev.values[prop];
        if (!Array.isArray(v) || v.length === 0) continue;
        const next = unionArrays(unionOf(c.id, prop), v);
        unions.get(c.id)!.set(prop, next);
        if (next.length > 0) setValue(c, prop, next);
        if (ev.ts > cur) c.times[prop] = ev.ts;
        continue;
      }
      if (ev.ts >= cur) {
        c.times[prop] = ev.ts;
        setValue(c, prop, ev.values[prop]);
        mergeTake.get(c.id)?.delete(prop);
      }
    }
  });
  const mergeChanges: MergeChange[] = [];
  const byFrom = new Map<string, MergeChange>();
  for (const [into, props] of mergeTake) {
    for (const [prop, from] of props) {
      let m = byFrom.get(from);
      if (!m) {
        m = { from, into, take: [] };
        byFrom.set(from, m);
        mergeChanges.push(m);
      }
      m.take.push(prop);
    }
  }
  return { users: [...out.values()], merges: mergeChanges };
}
