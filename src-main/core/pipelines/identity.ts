/**
 * Identity resolution of one batch, and the merge of property values. Pure:
 * the SQL side looks identities up once per batch (set-based), this decides,
 * and the SQL side writes everything back in one transaction.
 *
 * Rules (the pipelines issue's part of identity resolution):
 * - an event with a userId belongs to the user of that userId (across sources);
 * - an event with only an anonymousId belongs to the user of that anonymousId
 *   within its source (the newest identity when several users shared a device);
 * - an event carrying both joins the anonymous user into the identified one:
 *   if the userId is new, the anonymous user simply becomes that user (its _id
 *   is kept); if the userId already has a user, the anonymous user is merged
 *   into it and deleted. A user that already has a userId is never merged.
 * - a property takes the newest non-null value by event timestamp (ties: the
 *   later event in the log wins).
 */

export interface AcceptedEvent {
  seq: number;
  /** Event timestamp, epoch ms. */
  ts: number;
  userId: string | null;
  anonymousId: string | null;
  /** Coerced values; nulls already left out (null = no value = untouched). */
  values: Record<string, unknown>;
}

export interface AnonymousIdentity {
  id: string;
  /** The userId of the identity, null for an anonymous-only one. */
  userId: string | null;
}

/** Existing identities relevant to a batch. */
export interface IdentityLookup {
  /** userId -> users._id */
  byUserId: Map<string, string>;
  /** anonymousId (in this source) -> the newest identity holding it */
  byAnonymousId: Map<string, AnonymousIdentity>;
}

export interface IdentityRow {
  userId: string | null;
  anonymousId: string | null;
  id: string;
  firstSeen: number;
  lastSeen: number;
}

export interface Resolution {
  /** users._id of each accepted event, in order. */
  userOf: string[];
  /** Users that do not exist yet. */
  created: Set<string>;
  /** Existing anonymous users folded into an identified one (from -> into). */
  merges: Map<string, string>;
  /** Identity rows to insert or refresh (last seen, owner). */
  identities: IdentityRow[];
  /** anonymousIds whose anonymous-only identity (userId null) is replaced by an identified one. */
  joinedAnonymousIds: string[];
}

const identityKey = (userId: string | null, anonymousId: string | null) => `${userId ?? ''}\u0000${anonymousId ?? ''}`;

export function resolveIdentities(events: readonly AcceptedEvent[], lookup: IdentityLookup, newId: () => string): Resolution {
  const alias = new Map<string, string>();
  const find = (id: string): string => {
    let x = id;
    for (let next = alias.get(x); next !== undefined; next = alias.get(x)) x = next;
    return x;
  };
  const byUser = new Map(lookup.byUserId);
  const byAnon = new Map(lookup.byAnonymousId);
  const identified = new Set<string>(byUser.values());
  for (const a of byAnon.values()) if (a.userId !== null) identified.add(a.id);

  const created = new Set<string>();
  const merges = new Map<string, string>();
  const identities = new Map<string, IdentityRow>();
  const joined = new Set<string>();
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
    if (u !== null) {
      const anon = a !== null ? byAnon.get(a) : undefined;
      const anonUser = anon ? find(anon.id) : undefined;
      const anonIsAnonymous = anonUser !== undefined && !identified.has(anonUser);
      const known = byUser.get(u);
      let id: string;
      if (known === undefined) {
        if (anonIsAnonymous) {
          id = anonUser!; // the anonymous user becomes the identified one, _id kept
        } else {
          id = newId();
          created.add(id);
        }
        byUser.set(u, id);
        identified.add(id);
      } else {
        id = find(known);
        if (anonIsAnonymous && anonUser !== id) {
          alias.set(anonUser!, id);
          if (created.has(anonUser!)) created.delete(anonUser!);
          else merges.set(anonUser!, id);
        }
      }
      if (a !== null) {
        if (anonIsAnonymous) {
          joined.add(a);
          identities.delete(identityKey(null, a));
        }
        byAnon.set(a, { id, userId: u });
      }
      touch(u, a, id, ts);
      userOf[i] = id;
    } else if (a !== null) {
      const anon = byAnon.get(a);
      let id: string;
      if (anon) {
        id = find(anon.id);
        // Keep refreshing the identity that holds this anonymousId.
        touch(anon.userId, a, id, ts);
      } else {
        id = newId();
        created.add(id);
        byAnon.set(a, { id, userId: null });
        touch(null, a, id, ts);
      }
      userOf[i] = id;
    } else {
      throw new Error('an event without userId and anonymousId cannot be resolved');
    }
  });

  for (let i = 0; i < userOf.length; i++) userOf[i] = find(userOf[i]);
  const rows = [...identities.values()];
  for (const r of rows) r.id = find(r.id);
  // A merge chain (a -> b -> c) resolves to its final target.
  for (const [from, into] of merges) merges.set(from, find(into));
  return { userOf, created, merges, identities: rows, joinedAnonymousIds: [...joined] };
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

/**
 * Newest non-null value per user and property across the batch's events,
 * the merged users' values and what the users hold (their property times).
 */
export function mergeValues(
  events: readonly AcceptedEvent[],
  userOf: readonly string[],
  merges: ReadonlyMap<string, string>,
  times: ReadonlyMap<string, Record<string, number>>,
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
  // Merged users first: their values compete with the target's by time.
  const mergeTake = new Map<string, Map<string, string>>(); // into -> property -> from
  for (const [from, into] of merges) {
    const target = get(into);
    const fromTimes = times.get(from) ?? {};
    for (const prop of Object.keys(fromTimes)) {
      const t = fromTimes[prop];
      const cur = hasOwn.call(target.times, prop) ? target.times[prop] : -Infinity;
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
      if (ev.ts >= cur) {
        c.times[prop] = ev.ts;
        Object.defineProperty(c.values, prop, { value: ev.values[prop], enumerable: true, writable: true, configurable: true });
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
