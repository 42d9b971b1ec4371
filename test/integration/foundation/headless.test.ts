import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'node:http';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHeadlessExpectingFailure, startHeadless, type Headless } from '../../helpers/headless';
import { tempDir } from '../../helpers/tmp';

const TOKEN = 'test-token-0123456789abcdef';

describe('headless mode (built entry, real servers on loopback)', () => {
  let app: Headless;
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    app = await startHeadless(['--data-dir', dir, '--ingest-host', '127.0.0.1', '--ingest-port', '0', '--admin-port', '0', '--admin-token', TOKEN]);
  });
  afterAll(async () => {
    await app?.stop();
    await cleanup();
  });

  it('prints the ready line', () => {
    expect(app.ready).toBe(true);
    expect(app.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(app.ingestUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(app.adminToken).toBe(TOKEN);
    expect(app.openUrl).toBe(`${app.adminUrl}/#token=${TOKEN}`);
  });

  it('answers 401 without or with a wrong token', async () => {
    const none = await fetch(`${app.adminUrl}/api/workspace.info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(none.status).toBe(401);
    expect((await none.json()).error.code).toBe('unauthorized');
    const wrong = await fetch(`${app.adminUrl}/api/workspace.info`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}x` },
      body: '{}',
    });
    expect(wrong.status).toBe(401);
    // unknown methods do not leak without a token either
    const unknown = await fetch(`${app.adminUrl}/api/nope`, { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(401);
  });

  it('runs API methods with the token', async () => {
    const info = await app.call('workspace.info');
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ name: 'My workspace', dataDir: dir, ingestUrl: app.ingestUrl, endpointUrl: `${app.ingestUrl}/v1/events` });
    const q = await app.call('warehouse.query', { sql: 'select 42' });
    expect(q.body.rows).toEqual([[42]]);
  });

  it('answers an unknown method with 404 naming it', async () => {
    const r = await app.call('users.explode');
    expect(r.status).toBe(404);
    expect(r.body.error.message).toContain('users.explode');
  });

  it('answers bad JSON with 400 and bad arguments with 400 naming the field', async () => {
    const bad = await fetch(`${app.adminUrl}/api/settings.update`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: '{"ingestPort": ',
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('bad_request');
    const r = await app.call('settings.update', { ingestPort: 99999 });
    expect(r.status).toBe(400);
    expect(r.body.error.field).toBe('ingestPort');
  });

  it('refuses oversized admin bodies with 413', async () => {
    const r = await fetch(`${app.adminUrl}/api/warehouse.query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ sql: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(r.status).toBe(413);
  });

  it('refuses a write statement in warehouse.query', async () => {
    const r = await app.call('warehouse.query', { sql: 'CREATE TABLE evil (x INT)' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('read_only');
  });

  it('validates settings and saves nothing when invalid', async () => {
    const before = await readFile(join(dir, 'workspace.json'), 'utf8');
    for (const patch of [{ ingestPort: -1 }, { publicUrl: 'not a url' }, { ingestHost: 'a b' }, { limits: { maxRequestBytes: 1 } }, { ingestPort: 1.5 }]) {
      const r = await app.call('settings.update', patch);
      expect(r.status, JSON.stringify(patch)).toBe(400);
    }
    expect(await readFile(join(dir, 'workspace.json'), 'utf8')).toBe(before);
    const ok = await app.call('settings.update', { publicUrl: 'https://tunnel.example.com/' });
    expect(ok.status).toBe(200);
    expect((await app.call('workspace.info')).body.endpointUrl).toBe('https://tunnel.example.com/v1/events');
    await app.call('settings.update', { publicUrl: '' });
  });

  it('serves the renderer with a strict CSP', async () => {
    const r = await fetch(`${app.adminUrl}/`);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('<div id="root">');
    expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('rejects requests with a foreign Host header (DNS rebinding)', async () => {
    const port = new URL(app.adminUrl).port;
    const status = await new Promise<number>((res, rej) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/workspace.info', method: 'POST', headers: { host: `evil.example:${port}`, authorization: `Bearer ${TOKEN}` } }, (r) => {
        r.resume();
        res(r.statusCode ?? 0);
      });
      req.on('error', rej);
      req.end('{}');
    });
    expect(status).toBe(403);
  });

  it('the ingest server serves health but nothing of the admin API', async () => {
    expect((await fetch(`${app.ingestUrl}/health`)).status).toBe(200);
    const r = await fetch(`${app.ingestUrl}/api/workspace.info`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{}' });
    expect(r.status).toBe(404);
    expect((await fetch(`${app.ingestUrl}/`)).status).toBe(404);
  });

  it('the admin server listens on loopback only', async () => {
    const { networkInterfaces } = await import('node:os');
    const port = new URL(app.adminUrl).port;
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!external) return; // no non-loopback interface on this machine
    await expect(fetch(`http://${external.address}:${port}/`)).rejects.toThrow();
  });

  it('pushes live events over /api/live after the token is sent', async () => {
    const ws = new WebSocket(`${app.adminUrl.replace('http', 'ws')}/api/live`);
    const messages: any[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d))));
    await new Promise((r) => ws.on('open', r));
    ws.send(JSON.stringify({ token: TOKEN }));
    await expect.poll(() => messages.length).toBeGreaterThan(0);
    expect(messages[0].event).toBe('live.hello');
    await app.call('settings.update', { publicUrl: '' });
    await expect.poll(() => messages.some((m) => m.event === 'workspace.changed')).toBe(true);
    ws.close();
  });

  it('closes a live socket sent a wrong token', async () => {
    const ws = new WebSocket(`${app.adminUrl.replace('http', 'ws')}/api/live`);
    await new Promise((r) => ws.on('open', r));
    ws.send(JSON.stringify({ token: 'wrong-token-wrong-token' }));
    const code = await new Promise((r) => ws.on('close', (c) => r(c)));
    expect(code).toBe(4401);
  });
});

describe('headless start-up and shutdown', () => {
  it('shuts down cleanly on SIGTERM and SIGINT, leaving a warehouse that reopens', async () => {
    const { dir, cleanup } = await tempDir();
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const app = await startHeadless(['--data-dir', dir, '--ingest-port', '0', '--ingest-host', '127.0.0.1']);
      expect(await app.stop(signal)).toBe(0);
    }
    // restarted on the same folder: the generated token was kept
    const again = await startHeadless(['--data-dir', dir, '--ingest-port', '0', '--ingest-host', '127.0.0.1']);
    expect(again.adminToken).toBe((await readFile(join(dir, 'admin-token'), 'utf8')).trim());
    expect((await again.call('warehouse.query', { sql: 'select count(*) from schema_migrations' })).status).toBe(200);
    await again.stop();
    await cleanup();
  });

  it('fails with one clear line when the data folder is not writable', async () => {
    const { dir, cleanup } = await tempDir();
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'not a folder');
    const ro = join(dir, 'readonly');
    await mkdir(ro);
    await chmod(ro, 0o500);
    // root ignores permissions, so also try a path under a file and one under /proc
    const targets = [join(blocker, 'data'), '/proc/krenalis-data'];
    if (process.getuid?.() !== 0) targets.push(join(ro, 'data'));
    for (const target of targets) {
      const r = await runHeadlessExpectingFailure(['--data-dir', target]);
      expect(r.code, target).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(target);
      expect(r.stderr).toMatch(/not writable/);
    }
    await chmod(ro, 0o700);
    await cleanup();
  });

  it('refuses to start on a corrupt workspace.json and leaves it untouched', async () => {
    const { dir, cleanup } = await tempDir();
    await writeFile(join(dir, 'workspace.json'), '{ broken');
    const r = await runHeadlessExpectingFailure(['--data-dir', dir, '--ingest-port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/workspace\.json is not valid JSON/);
    expect(await readFile(join(dir, 'workspace.json'), 'utf8')).toBe('{ broken');
    await cleanup();
  });

  it('rejects bad flags with usage', async () => {
    const r = await runHeadlessExpectingFailure(['--ingest-port', 'abc']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--ingest-port must be a port number/);
    const u = await runHeadlessExpectingFailure(['--bogus']);
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/Usage/);
    const t = await runHeadlessExpectingFailure(['--admin-token', 'short']);
    expect(t.stderr).toMatch(/--admin-token/);
  });

  it('reports a busy ingest port without failing start-up', async () => {
    const { dir, cleanup } = await tempDir();
    const first = await startHeadless(['--data-dir', dir, '--ingest-host', '127.0.0.1', '--ingest-port', '0']);
    const port = new URL(first.ingestUrl).port;
    const { dir: dir2, cleanup: c2 } = await tempDir();
    const second = await startHeadless(['--data-dir', dir2, '--ingest-host', '127.0.0.1', '--ingest-port', port]);
    const info = await second.call('workspace.info');
    expect(info.body.ingestError).toMatch(new RegExp(`could not listen on 127.0.0.1:${port}`));
    expect(info.body.ingestUrl).toBeNull();
    await second.stop();
    await first.stop();
    await cleanup();
    await c2();
  });
});
