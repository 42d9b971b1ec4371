import { createClient, type Transport } from '../../src-main/core/api/client';
import { ApiError } from '../../src-main/core/api/errors';
import type { PreloadApi } from '../../src-main/ipc';
import { createHttpTransport, type LiveStatus } from './http';

declare global {
  interface Window {
    krenalis?: PreloadApi;
  }
}

const TOKEN_KEY = 'krenalis.adminToken';

/** The admin token arrives in the URL fragment (#token=...); it stays in this tab only. */
function takeToken(): string | null {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    const token = decodeURIComponent(m[1]);
    sessionStorage.setItem(TOKEN_KEY, token);
    history.replaceState(null, '', `${location.pathname}#/`);
    return token;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function pickTransport(): (Transport & { onStatus?: (l: (s: LiveStatus) => void) => () => void }) | null {
  if (window.krenalis) {
    const ipc = window.krenalis;
    return {
      // IPC errors arrive as tagged Errors; rebuild them as ApiErrors.
      call: (method, args) =>
        ipc.call(method, args).catch((e: Error & { code?: string; field?: string }) => {
          throw new ApiError((e.code ?? 'internal') as never, e.message, e.field);
        }),
      subscribe: ipc.subscribe,
    };
  }
  const token = takeToken();
  return token ? createHttpTransport(token) : null;
}

const transport = pickTransport();
export const hasAccess = transport !== null;
export const api = createClient(
  transport ?? {
    call: () => Promise.reject(new ApiError('unauthorized', 'No admin token: open the URL printed by npm run serve')),
    subscribe: () => () => undefined,
  },
);

/** Live connection status; IPC is always online. */
export function onLiveStatus(listener: (s: LiveStatus) => void): () => void {
  if (transport?.onStatus) return transport.onStatus(listener);
  listener('online');
  return () => undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
