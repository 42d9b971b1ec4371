import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Headless } from '../helpers/headless';
import { snap } from './browser';
import { openApp, type AppSession } from './session';

/**
 * Identity resolution in Chromium through headless mode: Settings › Identity resolution
 * (identifier order, blocked values, Rebuild users) and the "Joined by" explanation of a
 * user that two sources know by the same email.
 */
describe('Identity resolution (Chromium, headless mode)', () => {
  let app: Headless;
  let page: Page;
  let errors: string[];
  let session: AppSession;

  const mapping = { kind: 'mapping', mapping: { email: 'traits.email', first_name: 'traits.firstName', company: 'traits.company' } };

  async function post(sourceId: string, events: Record<string, unknown>[]): Promise<number> {
    const { body: keys } = await app.call('writeKeys.list', { sourceId });
    const res = await fetch(`${app.ingestUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.keys[0].key}` },
      body: JSON.stringify(events),
    });
    return res.status;
  }

  /** Polls a warehouse query until it returns `rows` (expect.poll is for tests, not hooks). */
  async function waitForRows(sql: string, rows: unknown[][], timeoutMs = 15_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < until) {
      last = (await app.call('warehouse.query', { sql })).body.rows;
      if (JSON.stringify(last) === JSON.stringify(rows)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${sql}: expected ${JSON.stringify(rows)}, got ${JSON.stringify(last)}`);
  }

  beforeAll(async () => {
    session = await openApp();
    ({ app, page, errors } = session);
    const web = (await app.call('sources.create', { type: 'segment', name: 'Website' })).body.id as string;
    const crm = (await app.call('sources.create', { type: 'segment', name: 'CRM' })).body.id as string;
    for (const sourceId of [web, crm]) {
      const r = await app.call('pipelines.create', { sourceId, name: 'Import users', transformation: mapping, filter: null, enabled: true });
      expect(r.status).toBe(200);
    }
    const ts = '2025-10-20T12:00:00.000Z';
    expect(
      await post(web, [
        { type: 'identify', messageId: 'm-1', userId: 'u-ann', anonymousId: 'dev-1', traits: { email: 'ann@x.io', firstName: 'Ann' }, timestamp: ts },
      ]),
    ).toBe(200);
    await waitForRows('SELECT count(*)::INT FROM users', [[1]]);
    // The CRM knows Ann by her email only: joined through the identifier `email`.
    expect(await post(crm, [{ type: 'identify', messageId: 'm-2', anonymousId: 'crm-7', traits: { email: ' ANN@x.io ', company: 'Hooli' }, timestamp: ts }])).toBe(200);
    await waitForRows('SELECT first_name, company FROM users', [['Ann', 'Hooli']]);
  });
  afterAll(() => session?.close());

  it('shows the identifier order and the blocked values on the Settings page', async () => {
    await page.goto(`${app.adminUrl}/#/settings`);
    const panel = page.getByTestId('identity-settings');
    await panel.getByRole('heading', { name: 'Identity resolution' }).waitFor();
    await expect.poll(() => panel.getByTestId('identity-identifiers').textContent()).toMatch(/^userId › email › anonymousId/);
    const blocked = panel.locator('textarea[name="blocked"]');
    expect((await blocked.inputValue()).split('\n')).toEqual(['""', 'null', 'undefined', 'anonymous', '0']);
    await panel.scrollIntoViewIfNeeded();
    await snap(page, 'identity-settings');
  });

  it('edits the blocked values and saves them', async () => {
    const panel = page.getByTestId('identity-settings');
    const blocked = panel.locator('textarea[name="blocked"]');
    await blocked.fill(`${await blocked.inputValue()}\nunknown\nN/A`);
    await panel.getByRole('button', { name: 'Save', exact: true }).click();
    await panel.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect((await app.call('identity.get')).body.blocked).toEqual(['', 'null', 'undefined', 'anonymous', '0', 'unknown', 'N/A']);
    expect((await blocked.inputValue()).split('\n')).toContain('unknown');
    await snap(page, 'identity-settings-saved');
  });

  it('runs "Rebuild users" and shows it complete', async () => {
    const panel = page.getByTestId('identity-settings');
    await panel.getByTestId('identity-rebuild').click();
    const status = panel.getByTestId('identity-rebuild-status');
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toMatch(/^Done: 1 user from 2 identities in [\d.]+ s/);
    expect(await panel.getByTestId('identity-rebuild').textContent()).toBe('Rebuild users');
    await snap(page, 'identity-rebuilt');
  });

  it('opens the merged user on the Users page and explains how its identities joined', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.locator('tr[data-row-key]').first().click();
    const detail = page.getByTestId('user-detail');
    await detail.waitFor();
    await detail.getByRole('heading', { name: 'Identities (2)' }).waitFor();
    const reasons = detail.getByTestId('identity-reason');
    await expect.poll(async () => (await reasons.allTextContents()).sort()).toEqual(['Joined by email ann@x.io', 'Joined by email ann@x.io']);
    await snap(page, 'identity-user-detail');
    expect(errors).toEqual([]);
  });
});
