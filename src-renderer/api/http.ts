import { fromErrorBody } from '../../src-main/core/api/errors';
import type { Transport } from '../../src-main/core/api/client';
import type { PushListener, PushMessage } from '../../src-main/core/api/push';

export type LiveStatus = 'connecting' | 'online' | 'offline';

/**
 * Headless transport: POST /api/<method> with the admin token, and one shared
 * WebSocket on /api/live that reconnects by itself with backoff.
 */
export function createHttpTransport(token: string, base = location.origin) {
  const listeners = new Set<PushListener>();
  const statusListeners = new Set<(s: LiveStatus) => void>();
  let status: LiveStatus = 'connecting';
  let socket: WebSocket | null = null;
  let retry = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const setStatus = (s: LiveStatus) => {
    status = s;
    for (const l of statusListeners) l(s);
  };

  function connect() {
    clearTimeout(timer);
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/live`);
    socket = ws;
    ws.onopen = () => ws.send(JSON.stringify({ token }));
    ws.onmessage = (e) => {
      let msg: PushMessage;
      try {
        msg = JSON.parse(String(e.data)) as PushMessage;
      } catch {
        return;
      }
      if (msg.event === 'live.hello') {
        retry = 0;
        setStatus('online');
      }
      for (const l of listeners) l(msg);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      setStatus('offline');
      retry = Math.min(retry + 1, 6);
      timer = setTimeout(connect, Math.min(500 * 2 ** (retry - 1), 10_000));
    };
  }

  const transport: Transport & {
    transport: 'http';
    onStatus(l: (s: LiveStatus) => void): () => void;
    readonly status: LiveStatus;
  } = {
    transport: 'http',
    async call(method, args) {
      let res: Response;
      try {
        res = await fetch(`${base}/api/${encodeURIComponent(method)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(args ?? {}),
        });
      } catch {
        throw fromErrorBody({ error: { code: 'unavailable', message: 'The app is not reachable. Is it still running?' } });
      }
      const body: unknown = await res.json().catch(() => null);
      if (!res.ok) throw fromErrorBody(body, res.status);
      return body;
    },
    subscribe(listener) {
      listeners.add(listener);
      if (!socket) connect();
      return () => listeners.delete(listener);
    },
    onStatus(l) {
      statusListeners.add(l);
      l(status);
      if (!socket) connect();
      return () => statusListeners.delete(l);
    },
    get status() {
      return status;
    },
  };
  return transport;
}
