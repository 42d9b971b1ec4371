import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindIpc, bindSaveExport, createPreloadApi, CALL_CHANNEL, PUSH_CHANNEL, type IpcMainLike, type IpcRendererLike, type WebContentsLike } from '../../../src-main/ipc';
import { createClient } from '../../../src-main/core/api/client';
import { methodNames } from '../../../src-main/core/api/contract';
import type { PushMessage } from '../../../src-main/core/api/push';
import { startTestCore } from '../../helpers/core';

type Listener = (event: unknown, msg: unknown) => void;

/**
 * In-memory stand-ins for ipcMain, ipcRenderer and webContents that behave like
 * Electron's: invoke() reaches the handler, and values are structured-cloned
 * across the boundary (functions and class instances do not survive).
 */
function fakeElectron() {
  const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  const rendererListeners = new Map<string, Set<Listener>>();
  const ipcMain: IpcMainLike = {
    handle: (ch, fn) => {
      if (handlers.has(ch)) throw new Error(`Attempted to register a second handler for '${ch}'`);
      handlers.set(ch, fn);
    },
    removeHandler: (ch) => void handlers.delete(ch),
  };
  const ipcRenderer: IpcRendererLike = {
    async invoke(ch, ...args) {
      const fn = handlers.get(ch);
      if (!fn) throw new Error(`No handler registered for '${ch}'`);
      return structuredClone(await fn({ sender: 'fake' }, ...structuredClone(args)));
    },
    on(ch, l) {
      (rendererListeners.get(ch) ?? rendererListeners.set(ch, new Set()).get(ch)!).add(l);
    },
    removeListener(ch, l) {
      rendererListeners.get(ch)?.delete(l);
    },
  };
  const webContents: WebContentsLike = {
    isDestroyed: () => false,
    send: (ch, msg) => rendererListeners.get(ch)?.forEach((l) => l({}, structuredClone(msg))),
  };
  return { ipcMain, ipcRenderer, webContents, handlers };
}

describe('Electron IPC glue (injected fakes, real core)', () => {
  let core: Awaited<ReturnType<typeof startTestCore>>;
  const fake = fakeElectron();
  let unbind: () => void;
  beforeAll(async () => {
    core = await startTestCore({ listen: false });
    unbind = bindIpc(fake.ipcMain, core.dispatcher, core.live, () => [fake.webContents]);
  });
  afterAll(async () => {
    unbind();
    await core.cleanup();
  });

  it('registers one call channel', () => {
    expect([...fake.handlers.keys()]).toEqual([CALL_CHANNEL]);
  });

  it('reaches every contract method through the preload client', async () => {
    const preload = createPreloadApi(fake.ipcRenderer);
    for (const m of methodNames) {
      const outcome = await preload.call(m, {}).then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      );
      // Reaching the method means anything but "unknown method" (bad arguments are fine here).
      expect(outcome, m).not.toBe('unknown_method');
    }
  });

  it('round-trips results and errors with code and field', async () => {
    const client = createClient(createPreloadApi(fake.ipcRenderer));
    expect((await client.warehouse.query({ sql: 'select 42 as x' })).rows).toEqual([[42]]);
    await expect(client.settings.update({ ingestPort: 123456 })).rejects.toMatchObject({ code: 'bad_request', field: 'ingestPort', status: 400 });
    await expect(client.warehouse.query({ sql: 'drop table schema_migrations' })).rejects.toMatchObject({ code: 'read_only' });
    const preload = createPreloadApi(fake.ipcRenderer);
    await expect(preload.call('no.such', {})).rejects.toMatchObject({ code: 'unknown_method', message: 'Unknown API method: no.such' });
    // a hostile renderer sending a non-string method name
    const raw = (await fake.ipcRenderer.invoke(CALL_CHANNEL, { toString: null }, {})) as { ok: boolean; status: number };
    expect(raw).toMatchObject({ ok: false, status: 400 });
  });

  it('forwards push events to every window', async () => {
    const preload = createPreloadApi(fake.ipcRenderer);
    const got: PushMessage[] = [];
    const off = preload.subscribe((m) => got.push(m));
    core.live.publish('workspace.changed', { at: 'now' });
    expect(got).toEqual([{ event: 'workspace.changed', payload: { at: 'now' } }]);
    off();
    core.live.publish('workspace.changed', { at: 'later' });
    expect(got).toHaveLength(1);
    expect(PUSH_CHANNEL).toBe('krenalis:push');
  });

  it('saves a desktop export where the user chooses, or nothing when cancelled', async () => {
    const saved: [string, string][] = [];
    let answer: string | null = '/home/me/users.csv';
    const unbindSave = bindSaveExport(
      fake.ipcMain,
      async () => answer,
      async (id, dest) => {
        if (id === 'missing') throw Object.assign(new Error('No export "missing"'), { name: 'ApiError' });
        saved.push([id, dest]);
      },
    );
    const preload = createPreloadApi(fake.ipcRenderer);
    expect(await preload.saveExport('e1', 'users.csv')).toBe(true);
    answer = null;
    expect(await preload.saveExport('e2', 'users.csv')).toBe(false);
    expect(saved).toEqual([['e1', '/home/me/users.csv']]);
    answer = '/x';
    await expect(preload.saveExport('missing', 'u.csv')).rejects.toThrow('No export "missing"');
    unbindSave();
  });
});
