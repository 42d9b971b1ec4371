import { settingsPatchSchema, settingsSchema, type WorkspaceInfo } from '../api/workspace';
import type { Handlers } from '../api/contract';
import { badRequest } from '../api/errors';
import { describeIssue } from '../api/dispatch';
import type { CoreContext } from '../context';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i;

export function effectiveIngest(ctx: CoreContext) {
  const s = ctx.store.data.settings;
  return { host: ctx.overrides.ingestHost ?? s.ingestHost, port: ctx.overrides.ingestPort ?? s.ingestPort };
}

export function workspaceInfo(ctx: CoreContext): WorkspaceInfo {
  const { settings, name } = ctx.store.data;
  const base = settings.publicUrl || ctx.ingest.url;
  return {
    name,
    version: ctx.version,
    dataDir: ctx.dataDir,
    ingestUrl: ctx.ingest.url,
    endpointUrl: base ? `${base.replace(/\/+$/, '')}/v1/events` : null,
    ingestLoopbackOnly: LOOPBACK.test(effectiveIngest(ctx).host),
    ingestError: ctx.ingest.error,
  };
}

export function workspaceHandlers(ctx: CoreContext): Pick<Handlers, 'workspace.info' | 'settings.get' | 'settings.update'> {
  return {
    'workspace.info': () => workspaceInfo(ctx),
    'settings.get': () => ctx.store.data.settings,
    'settings.update': async (patch: ReturnType<typeof settingsPatchSchema.parse>) => {
      const current = ctx.store.data.settings;
      const merged = { ...current, ...patch, limits: { ...current.limits, ...patch.limits } };
      const checked = settingsSchema.safeParse(merged);
      if (!checked.success) {
        const { message, field } = describeIssue(checked.error);
        throw badRequest(message, field);
      }
      const before = effectiveIngest(ctx);
      const moved = patch.ingestHost !== undefined || patch.ingestPort !== undefined;
      if (moved) {
        const next = { host: checked.data.ingestHost, port: checked.data.ingestPort };
        // Move the listener first: if the new address is unusable, nothing is saved.
        if (next.host !== before.host || next.port !== before.port) {
          try {
            await ctx.ingest.restart(next.host, next.port);
          } catch (err) {
            await ctx.ingest.restart(before.host, before.port).catch(() => undefined);
            throw badRequest((err as Error).message, patch.ingestPort !== undefined ? 'ingestPort' : 'ingestHost');
          }
        }
        if (patch.ingestHost !== undefined) delete ctx.overrides.ingestHost;
        if (patch.ingestPort !== undefined) delete ctx.overrides.ingestPort;
      }
      await ctx.store.update((d) => {
        d.settings = checked.data;
      });
      ctx.live.publish('workspace.changed', { at: new Date().toISOString() });
      return ctx.store.data.settings;
    },
  };
}
