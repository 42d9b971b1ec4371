import type { Handlers } from '../api/contract';
import type { ExplainedIdentity, IdentityExplanation, IdentitySettings, RebuildProgress } from '../api/identity';
import type { PipelineRunner } from '../pipelines/runner';
import { rebuildUsers } from './rebuild';
import { notFound } from '../api/errors';
import type { CoreContext } from '../context';
import { currentModel } from '../model/migrate';
import { isoTimestamp } from '../model/sql';
import { withConnection } from '../users/list';
import { DEFAULT_BLOCKED_VALUES, modelIdentifiers } from './rules';
import { readBlocked, writeBlocked } from './store';

async function settings(ctx: CoreContext): Promise<IdentitySettings> {
  const blocked = await withConnection(ctx, (c) => readBlocked(c));
  return { identifiers: modelIdentifiers(currentModel(ctx)), blocked, defaultBlocked: [...DEFAULT_BLOCKED_VALUES] };
}

export async function explainUser(ctx: CoreContext, id: string): Promise<IdentityExplanation> {
  return withConnection(ctx, async (conn) => {
    const exists = await conn.runAndReadAll(`SELECT count(*) FROM users WHERE _id = $1`, [id]);
    if (Number(exists.getRows()[0][0]) === 0) throw notFound(`No user with _id "${id}"`);
    const ir = await conn.runAndReadAll(
      `SELECT source_id, user_id, anonymous_id, first_seen::VARCHAR, last_seen::VARCHAR FROM user_identities
        WHERE _user_id = $1 ORDER BY first_seen, source_id, user_id, anonymous_id LIMIT 500`,
      [id],
    );
    const vr = await conn.runAndReadAll(
      `SELECT property, value, source_id, user_id, anonymous_id FROM identity_values WHERE _user_id = $1 ORDER BY first_seen LIMIT 5000`,
      [id],
    );
    const values = vr.getRows() as [string, string, string, string | null, string | null][];
    const identities: ExplainedIdentity[] = (ir.getRows() as [string, string | null, string | null, string | null, string | null][]).map(
      ([sourceId, userId, anonymousId, f, l]) => ({
        sourceId,
        userId,
        anonymousId,
        firstSeen: f ? isoTimestamp(f) : null,
        lastSeen: l ? isoTimestamp(l) : null,
        values: [],
        reasons: [],
      }),
    );
    // A value brought by an event of (source, userId, anonymousId) belongs to that identity; an
    // anonymous-only identity that became identified carries its values on the identified one.
    const owner = (sourceId: string, userId: string | null, anonymousId: string | null) =>
      identities.find((i) => i.sourceId === sourceId && i.userId === userId && i.anonymousId === anonymousId) ??
      identities.find((i) => i.sourceId === sourceId && ((userId !== null && i.userId === userId) || (anonymousId !== null && i.anonymousId === anonymousId)));
    for (const [property, value, sourceId, userId, anonymousId] of values) {
      const o = owner(sourceId, userId, anonymousId);
      if (o && !o.values.some((v) => v.property === property && v.value === value)) o.values.push({ property, value });
    }
    for (const me of identities) {
      const others = identities.filter((x) => x !== me);
      const add = (via: string, value: string, n: number) => {
        if (n > 0) me.reasons.push({ via, value, sharedWith: n });
      };
      if (me.userId !== null) add('userId', me.userId, others.filter((x) => x.userId === me.userId).length);
      if (me.anonymousId !== null) add('anonymousId', me.anonymousId, others.filter((x) => x.sourceId === me.sourceId && x.anonymousId === me.anonymousId).length);
      for (const v of me.values) add(v.property, v.value, others.filter((x) => x.values.some((w) => w.property === v.property && w.value === v.value)).length);
    }
    const mr = await conn.runAndReadAll(
      `SELECT merged_at::VARCHAR, from_id, source_id, via, value FROM identity_merges WHERE into_id = $1 ORDER BY merged_at DESC LIMIT 200`,
      [id],
    );
    const merges = (mr.getRows() as [string, string, string | null, string, string | null][]).map(([at, fromId, sourceId, via, value]) => ({
      at: isoTimestamp(at),
      fromId,
      sourceId,
      via,
      value,
    }));
    return { id, identities, merges };
  });
}

export function identityHandlers(
  ctx: CoreContext,
  runner: PipelineRunner,
): Pick<Handlers, 'identity.get' | 'identity.update' | 'identity.explain' | 'identity.rebuild'> {
  let running: Promise<RebuildProgress> | null = null;
  return {
    'identity.rebuild': () => {
      // One rebuild at a time, on the runner's connection: no pipeline batch runs meanwhile.
      running ??= runner
        .exclusive((conn) => rebuildUsers(conn, currentModel(ctx), (p) => ctx.live.publish('identity.rebuild', p)))
        .catch((err: unknown) => {
          const error = err instanceof Error ? err.message : String(err);
          ctx.live.publish('identity.rebuild', { phase: 'failed', progress: 1, identities: 0, users: 0, ms: 0, error });
          throw err;
        })
        .finally(() => {
          running = null;
        });
      return running;
    },
    'identity.get': () => settings(ctx),
    'identity.update': async ({ blocked }) => {
      const clean = [...new Set(blocked.map((v) => v.trim()))];
      await withConnection(ctx, (c) => writeBlocked(c, clean));
      return settings(ctx);
    },
    'identity.explain': ({ id }) => explainUser(ctx, id),
  };
}
