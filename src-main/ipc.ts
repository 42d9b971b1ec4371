// The Electron glue, written against minimal interfaces so tests can inject
// fakes of ipcMain / ipcRenderer (the real Electron binary cannot run here).
import type { Dispatcher, CallOutcome } from './core/api/dispatch';
import { toApiError } from './core/api/errors';
import type { LiveHub, PushListener, PushMessage } from './core/api/push';

export const CALL_CHANNEL = 'krenalis:call';
export const PUSH_CHANNEL = 'krenalis:push';
export const SAVE_EXPORT_CHANNEL = 'krenalis:save-export';

export interface IpcMainLike {
  handle(channel: string, listener: (event: unknown, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}
export interface WebContentsLike {
  send(channel: string, msg: unknown): void;
  isDestroyed(): boolean;
}

/** Main side: every contract method through one channel; results as {ok,result}|{ok:false,error}. */
export function bindIpc(ipcMain: IpcMainLike, dispatcher: Dispatcher, live: LiveHub, windows: () => WebContentsLike[]) {
  ipcMain.handle(CALL_CHANNEL, (_event, method, args): Promise<CallOutcome> => {
    if (typeof method !== 'string') return Promise.resolve({ ok: false, status: 400, error: { code: 'bad_request', message: 'Method name must be a string' } });
    return dispatcher.settle(method, args);
  });
  const unsubscribe = live.subscribe((msg) => {
    for (const wc of windows()) if (!wc.isDestroyed()) wc.send(PUSH_CHANNEL, msg);
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler(CALL_CHANNEL);
  };
}

/**
 * Desktop exports: the main process asks where to save (a native dialog, injected
 * as chooseFile) and copies the finished export there. Resolves false when cancelled.
 */
export function bindSaveExport(
  ipcMain: IpcMainLike,
  chooseFile: (fileName: string) => Promise<string | null>,
  save: (id: string, destination: string) => Promise<unknown>,
) {
  ipcMain.handle(SAVE_EXPORT_CHANNEL, async (_event, id, fileName): Promise<CallOutcome> => {
    if (typeof id !== 'string' || typeof fileName !== 'string') {
      return { ok: false, status: 400, error: { code: 'bad_request', message: 'Export id and file name must be strings' } };
    }
    try {
      const destination = await chooseFile(fileName);
      if (!destination) return { ok: true, result: false };
      await save(id, destination);
      return { ok: true, result: true };
    } catch (err) {
      const e = toApiError(err);
      return { ok: false, status: e.status, ...e.toBody() };
    }
  });
  return () => ipcMain.removeHandler(SAVE_EXPORT_CHANNEL);
}

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, msg: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, msg: unknown) => void): unknown;
}

/** Preload side: the object exposed as window.krenalis (a Transport). */
export function createPreloadApi(ipcRenderer: IpcRendererLike) {
  const invoke = async (channel: string, ...args: unknown[]): Promise<unknown> => {
    const outcome = (await ipcRenderer.invoke(channel, ...args)) as CallOutcome;
    if (outcome.ok) return outcome.result;
    // contextBridge copies plain objects only: rethrow as a tagged Error the renderer rebuilds.
    const err = new Error(outcome.error.message) as Error & { code?: string; field?: string; status?: number };
    err.code = outcome.error.code;
    err.field = outcome.error.field;
    err.status = outcome.status;
    throw err;
  };
  return {
    transport: 'ipc' as const,
    call: (method: string, args: unknown): Promise<unknown> => invoke(CALL_CHANNEL, method, args ?? {}),
    /** Save a finished users export where the user chooses (native dialog); false when cancelled. */
    saveExport: (id: string, fileName: string) => invoke(SAVE_EXPORT_CHANNEL, id, fileName) as Promise<boolean>,
    subscribe(listener: PushListener): () => void {
      const onPush = (_event: unknown, msg: unknown) => listener(msg as PushMessage);
      ipcRenderer.on(PUSH_CHANNEL, onPush);
      return () => {
        ipcRenderer.removeListener(PUSH_CHANNEL, onPush);
      };
    },
  };
}
export type PreloadApi = ReturnType<typeof createPreloadApi>;
