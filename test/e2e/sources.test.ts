import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { DebuggerEvent } from '../../src-main/core/api/events';
import type { Headless } from '../helpers/headless';
import { fixturesDir } from '../helpers/tmp';
import { snap } from './browser';
import { openApp, type AppSession } from './session';

// The debugger's data (events.* and the ingest routes) comes with the Segment ingestion work.
// Until both are in the build, the steps that send events are skipped, saying why.

describe('Sources and the Event debugger, following the guide (Chromium, headless mode)', () => {
  let app: Headless;
  let page: Page;
  let errors: string[];
  let session: AppSession;
  let sourceId = '';
  let writeKey = '';
  let endpoint = '';

  const post = async (body: string, key = writeKey) =>
    fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body });
  const fixture = (name: string) => readFile(join(fixturesDir, name), 'utf8');
  const sidebar = (label: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label });
  /** The app scrolls inside its main area: grow the viewport to the content for a whole-page picture. */
  const snapTall = async (name: string) => {
    const h = await page.evaluate(() => document.querySelector('main.content')?.scrollHeight ?? 860);
    await page.setViewportSize({ width: 1360, height: Math.max(860, Math.min(h, 4000)) });
    await snap(page, name);
    await page.setViewportSize({ width: 1360, height: 860 });
  };

  beforeAll(async () => {
    session = await openApp();
    ({ app, page, errors } = session);
  });
  afterAll(() => session?.close());

  it('opens Sources with an empty state that says what to do', async () => {
    await sidebar('Sources').click();
    await page.getByRole('heading', { name: 'Sources', level: 1 }).waitFor();
    await page.getByText('No source connections yet').waitFor();
    await snap(page, 'sources-empty');
  });

  it('adds a Segment source: Add a new source -> Segment card -> Add source... -> Add', async () => {
    await page.getByRole('link', { name: 'Add a new source' }).click();
    await page.getByRole('heading', { name: 'Add a new source' }).waitFor();
    await snap(page, 'sources-catalog');
    await page.getByRole('button', { name: /^Segment/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Add source...' }).waitFor();
    await snap(page, 'sources-catalog-segment');
    await dialog.getByRole('button', { name: 'Add source...' }).click();
    expect(await dialog.locator('input[name="sourceName"]').inputValue()).toBe('Segment');
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    await page.waitForURL(/#\/sources\/[A-Za-z0-9_-]+\/settings$/);
    sourceId = /#\/sources\/([A-Za-z0-9_-]+)\//.exec(page.url())![1];
    const { body } = await app.call('sources.get', { id: sourceId });
    expect(body).toMatchObject({ type: 'segment', name: 'Segment' });
    await page.getByRole('heading', { name: 'Segment', level: 1 }).waitFor();
    for (const tab of ['Settings', 'Event debugger', 'Pipelines']) expect(await page.getByRole('tab', { name: tab }).count()).toBe(1);
  });

  it('Settings -> Event write keys shows the key (masked, then revealed), the endpoint URL and the Segment setup', async () => {
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Event write keys' }).click();
    const value = page.getByTestId('write-key-value').first();
    await value.waitFor();
    expect(await value.textContent()).toContain('•');
    await snap(page, 'sources-settings-keys');
    await page.getByRole('button', { name: 'Reveal' }).first().click();
    await expect.poll(() => value.getAttribute('data-revealed')).toBe('true');
    writeKey = (await value.textContent())!.trim();
    expect(writeKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await app.call('writeKeys.list', { sourceId })).body.keys.map((k: { key: string }) => k.key)).toEqual([writeKey]);

    endpoint = (await page.getByTestId('endpoint-url').textContent())!.trim();
    expect(endpoint).toBe((await app.call('workspace.info')).body.endpointUrl);
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/events$/);

    const mapping = page.getByTestId('segment-mapping');
    for (const text of ['URL', 'Method', 'POST', 'Batch Size', '500', 'Enable Batching', 'Yes', 'Authorization']) {
      expect(await mapping.textContent()).toContain(text);
    }
    expect(await page.getByTestId('auth-header').textContent()).toBe(`Bearer ${writeKey}`);
    // 127.0.0.1: Segment cannot reach it, and the page says so plainly
    expect(await page.getByTestId('reachability-warning').textContent()).toMatch(/Segment cannot reach/);
    await snapTall('sources-settings-revealed');
  });

  it('creates a second key and deletes it after a confirmation; the last key cannot be deleted', async () => {
    await page.getByRole('button', { name: 'Create key' }).click();
    await expect.poll(() => page.getByTestId('write-key').count()).toBe(2);
    const second = (await app.call('writeKeys.list', { sourceId })).body.keys[1].key as string;
    // the new key is shown revealed
    expect(await page.getByTestId('write-key-value').nth(1).textContent()).toBe(second);
    await snap(page, 'sources-settings-two-keys');
    await page.getByTestId('write-key').nth(1).getByRole('button', { name: 'Delete key' }).click();
    const confirm = page.getByTestId('confirm-dialog');
    expect(await confirm.textContent()).toContain(second.slice(-4));
    await snap(page, 'sources-settings-delete-key');
    await confirm.getByRole('button', { name: 'Delete key' }).click();
    await expect.poll(() => page.getByTestId('write-key').count()).toBe(1);
    expect((await app.call('writeKeys.list', { sourceId })).body.keys.map((k: { key: string }) => k.key)).toEqual([writeKey]);
    expect(await page.getByTestId('write-key').getByRole('button', { name: 'Delete key' }).isDisabled()).toBe(true);
  });

  it('Settings -> General shows the source and its delete action', async () => {
    await page.getByRole('button', { name: 'General' }).click();
    await page.getByRole('button', { name: 'Delete source' }).waitFor();
    expect(await page.locator('.settings-main').textContent()).toContain(sourceId);
    await snap(page, 'sources-settings-general');
  });

  it('shows the Pipelines tab with "Import users into warehouse"', async () => {
    await page.getByRole('tab', { name: 'Pipelines' }).click();
    await page.getByText('Import users into warehouse').first().waitFor();
    await snap(page, 'sources-pipelines-tab');
  });

  it('Event debugger: empty state, then a POSTed identify arrives live and shows its JSON', async () => {
    await page.getByRole('tab', { name: 'Event debugger' }).click();
    await page.getByTestId('debugger-empty').waitFor();
    expect(await page.getByTestId('debugger-empty').textContent()).toContain('Generate an identify event in Segment');
    await page.getByTestId('debugger-live').filter({ hasText: 'Live' }).waitFor();
    await snap(page, 'sources-debugger-empty');

    const sent = Date.now();
    const res = await post(await fixture('identify.json'));
    expect(res.status).toBe(200);
    const row = page.getByTestId('event-row').first();
    await row.waitFor({ timeout: 5000 });
    const latency = Date.now() - sent;
    expect(latency).toBeLessThan(1000);
    expect(await row.textContent()).toContain('identify');
    expect(await row.textContent()).toContain('703991475');
    await row.click();
    const json = page.getByTestId('event-json');
    await json.waitFor();
    expect(await json.textContent()).toContain('emily.johnson@example.com');
    await expect.poll(() => page.getByTestId('event-stats').textContent()).toMatch(/Received1Accepted1/);
    await snap(page, 'sources-debugger-identify');
    // folding: collapse all hides nested values, expand all brings them back
    await json.getByRole('button', { name: 'Collapse all' }).click();
    expect(await json.textContent()).not.toContain('emily.johnson@example.com');
    await json.getByRole('button', { name: 'Expand all' }).click();
    expect(await json.textContent()).toContain('emily.johnson@example.com');
  });

  it('marks rejected events with their reason, filters by type, pauses, resumes and clears', async () => {
    const res = await post(await fixture('invalid/mixed-batch.json'));
    expect(res.status).toBe(200);
    const rejected = page.locator('[data-testid="event-row"][data-status="rejected"]');
    await expect.poll(() => rejected.count(), { timeout: 5000 }).toBe(5);
    // the 3 valid events of the batch, plus the identify sent before
    await expect.poll(() => page.locator('[data-testid="event-row"][data-status="accepted"]').count()).toBe(4);
    // newest first: the batch's last event (index 7) is on top
    expect(await page.getByTestId('event-row').first().textContent()).toContain('ok5@example.com');
    const withReason = rejected.filter({ hasText: /userId|anonymousId/ }).first();
    await withReason.click();
    expect(await page.getByTestId('event-reason').textContent()).toMatch(/Rejected: .*(userId|anonymousId)/);
    // the counters follow by push too: 1 identify + a batch of 8 (3 accepted, 5 rejected)
    await expect.poll(() => page.getByTestId('event-stats').textContent()).toMatch(/Received9Accepted4Rejected5/);
    await snap(page, 'sources-debugger-rejected');

    await page.getByLabel('Filter by type').selectOption('rejected');
    await expect.poll(() => page.getByTestId('event-row').count()).toBe(5);
    await page.getByLabel('Filter by type').selectOption('identify');
    await expect.poll(async () => (await page.getByTestId('event-row').allTextContents()).every((t) => t.includes('identify'))).toBe(true);
    await page.getByLabel('Filter by type').selectOption('all');
    const total = await page.getByTestId('event-row').count();

    await page.getByRole('button', { name: 'Pause' }).click();
    expect((await post(await fixture('page-anonymous.json'))).status).toBe(200);
    await page.getByText('1 new event waiting').waitFor();
    expect(await page.getByTestId('event-row').count()).toBe(total);
    await snap(page, 'sources-debugger-paused');
    await page.getByRole('button', { name: 'Resume' }).first().click();
    await expect.poll(() => page.getByTestId('event-row').count()).toBe(total + 1);
    expect(await page.getByTestId('event-row').first().textContent()).toContain('Pricing');

    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByText('List cleared').waitFor();
    expect(await page.getByTestId('event-row').count()).toBe(0);
  });

  it('lists the source with its type, events today, last event and status', async () => {
    await sidebar('Sources').click();
    const table = page.getByTestId('sources-table');
    await table.waitFor();
    const row = table.locator('tbody tr').first();
    expect(await row.textContent()).toContain('Segment');
    expect(await row.locator('img[alt="Segment"]').count()).toBe(1);
    // identify.json (1) + mixed-batch.json (indexes 0, 4 and 7) + page-anonymous.json (1)
    await expect.poll(() => row.locator('td').nth(2).textContent()).toBe('5');
    expect(await row.textContent()).toContain('Receiving');
    await snap(page, 'sources-list');
  });

  it('renames a source through the list menu', async () => {
    const row = page.getByTestId('sources-table').locator('tbody tr').first();
    await row.getByRole('button', { name: /Actions for/ }).click();
    await page.getByRole('menuitem', { name: 'Rename' }).click();
    const dialog = page.getByTestId('rename-dialog');
    const input = dialog.locator('input[name="sourceName"]');
    await input.fill('');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByRole('alert').waitFor();
    expect(await dialog.getByRole('alert').textContent()).toMatch(/Name is required/);
    await input.fill('Website — production (EU) with a deliberately long name to check ellipsis in tables and headers');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => row.locator('a').first().textContent()).toMatch(/^Website — production/);
    expect((await app.call('sources.get', { id: sourceId })).body.name).toMatch(/^Website — production/);
    await snap(page, 'sources-list-renamed');
  });

  it('deletes a source after a confirmation naming it; its key is refused at once', async () => {
    const row = page.getByTestId('sources-table').locator('tbody tr').first();
    await row.getByRole('button', { name: /Actions for/ }).click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    const confirm = page.getByTestId('confirm-dialog');
    expect(await confirm.textContent()).toContain('“Website — production');
    await snap(page, 'sources-delete-confirm');
    await confirm.getByRole('button', { name: 'Delete source' }).click();
    await page.getByText('No source connections yet').waitFor();
    expect((await app.call('sources.list')).body.sources).toEqual([]);
    expect((await post(await fixture('identify.json'))).status).toBe(401);
    // the old page says the source is gone
    await page.goto(`${app.adminUrl}/#/sources/${sourceId}/settings`);
    await page.getByText('This source does not exist').waitFor();
    expect(errors, errors.join('\n')).toEqual([]);
  });
});

/**
 * The debugger's client behaviour, independent of the ingest side: events.recent and
 * events.stats answered by the test, pushes injected into the page's real /api/live socket,
 * and the socket dropped on purpose to show the offline state and the reload on reconnect.
 */

describe('Event debugger client: live pushes, cap, pause, offline (transport mocked at the edge)', () => {
  let app: Headless;
  let page: Page;
  let session: AppSession;
  let sourceId = '';
  let recentCalls = 0;
  let recent: DebuggerEvent[] = [];
  let refuseLive = false;
  const sockets: Array<{ send(m: string): void; close(): void }> = [];

  let seq = 0;
  const ev = (over: Partial<DebuggerEvent> = {}): DebuggerEvent => {
    seq++;
    const receivedAt = new Date(Date.UTC(2025, 9, 20, 16, 0, 0) + seq * 1000).toISOString();
    const type = over.type === undefined ? 'track' : over.type;
    return {
      id: `e${seq}`,
      sourceId,
      receivedAt,
      type,
      event: type === 'track' ? `Order Completed ${seq}` : null,
      userId: `user-${seq}`,
      anonymousId: null,
      messageId: `m-${seq}`,
      status: 'accepted',
      payload: { type, event: type === 'track' ? `Order Completed ${seq}` : undefined, userId: `user-${seq}`, properties: { total: seq, items: [{ sku: 'A-1' }] } },
      ...over,
    };
  };
  const push = (events: DebuggerEvent[]) => {
    const msg = JSON.stringify({ event: 'events.received', payload: { sourceId, events } });
    for (const s of sockets) s.send(msg);
  };

  beforeAll(async () => {
    session = await openApp({ beforeOpen: (p, a) => mockEdge(p, a) });
    ({ app, page } = session);
    await page.waitForURL(/#\/sources$/);
    await page.goto(`${app.adminUrl}/#/sources/${sourceId}/debugger`);
  });

  async function mockEdge(page: Page, app: Headless) {
    sourceId = (await app.call('sources.create', { type: 'segment', name: 'Mocked feed' })).body.id;
    await page.route('**/api/events.recent', (route) => {
      recentCalls++;
      return route.fulfill({ json: { events: recent } });
    });
    await page.route('**/api/events.stats', (route) =>
      route.fulfill({ json: { received: 1234, accepted: 1200, rejected: 30, duplicates: 4, today: 87, lastEventAt: new Date().toISOString() } }),
    );
    await page.routeWebSocket(/\/api\/live$/, (ws) => {
      if (refuseLive) return ws.close();
      ws.connectToServer();
      sockets.push(ws);
    });
    recent = [ev({ type: 'identify', event: null, payload: { type: 'identify', userId: 'user-1', traits: { email: 'first@example.com' } } })];
  }
  afterAll(() => session?.close());

  it('loads the sample once, then shows pushed events newest first without polling', async () => {
    await page.getByTestId('debugger-live').filter({ hasText: 'Live' }).waitFor();
    await expect.poll(() => page.getByTestId('event-row').count()).toBe(1);
    expect(await page.getByTestId('event-row').first().textContent()).toContain('first@example.com');
    push([ev(), ev({ type: 'page', event: null, anonymousId: 'anon-7', userId: null, payload: { type: 'page', name: 'Pricing' } })]);
    await expect.poll(() => page.getByTestId('event-row').count()).toBe(3);
    const first = await page.getByTestId('event-row').first().textContent();
    expect(first).toContain('page');
    expect(first).toContain('Pricing');
    expect(first).toContain('anon-7');
    push([
      ev({
        type: null,
        status: 'rejected',
        reason: 'The event has neither userId nor anonymousId',
        userId: null,
        payload: { type: 'identify', traits: { email: 'no-ids@example.com', note: 'x'.repeat(400) } },
      }),
    ]);
    const rejected = page.locator('[data-testid="event-row"][data-status="rejected"]');
    await rejected.waitFor();
    expect(await rejected.textContent()).toContain('neither userId nor anonymousId');
    await rejected.click();
    expect(await page.getByTestId('event-reason').textContent()).toContain('neither userId nor anonymousId');
    await snap(page, 'sources-debugger-mock-rejected');
    await page.getByTestId('event-row').filter({ hasText: 'Pricing' }).click();
    expect(await page.getByTestId('event-json').textContent()).toContain('"Pricing"');
    await snap(page, 'sources-debugger-mock-detail');
    await page.waitForTimeout(1500);
    expect(recentCalls).toBe(1);
  });

  it('keeps at most 300 events in memory, holds pushes while paused, and clears the view', async () => {
    push(Array.from({ length: 400 }, () => ev()));
    await expect.poll(() => page.getByTestId('event-row').count()).toBe(300);
    expect(await page.getByTestId('event-row').first().textContent()).toContain(`Order Completed ${seq}`);
    await page.getByRole('button', { name: 'Pause' }).click();
    push([ev(), ev()]);
    await page.getByText('2 new events waiting').waitFor();
    await page.getByRole('button', { name: 'Resume' }).first().click();
    await expect.poll(async () => page.getByTestId('event-row').first().textContent()).toContain(`Order Completed ${seq}`);
    expect(await page.getByTestId('event-row').count()).toBe(300);
    await snap(page, 'sources-debugger-mock-full');
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByText('List cleared').waitFor();
    push([ev()]);
    await expect.poll(() => page.getByTestId('event-row').count()).toBe(1);
  });

  it('shows when the live connection drops and reloads the sample when it is back', async () => {
    refuseLive = true;
    const before = recentCalls;
    for (const s of sockets.splice(0)) s.close();
    await page.getByTestId('debugger-offline').waitFor();
    expect(await page.getByTestId('debugger-live').textContent()).toContain('Offline');
    await snap(page, 'sources-debugger-mock-offline');
    const missed = ev({ event: 'Sent while offline' });
    recent = [missed];
    refuseLive = false;
    await page.getByTestId('debugger-live').filter({ hasText: 'Live' }).waitFor({ timeout: 15_000 });
    await expect.poll(() => page.getByTestId('event-row').first().textContent()).toContain('Sent while offline');
    expect(recentCalls).toBe(before + 1);
    expect(await page.getByTestId('debugger-offline').count()).toBe(0);
  });

  it('shows events today, last event and status in the Sources list', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sources' }).click();
    const row = page.getByTestId('sources-table').locator('tbody tr').first();
    await expect.poll(() => row.locator('td').nth(2).textContent()).toBe('87');
    expect(await row.locator('td').nth(3).textContent()).toBe('just now');
    expect(await row.locator('td').nth(4).textContent()).toBe('Receiving');
    await snap(page, 'sources-list-mock-stats');
  });
});
