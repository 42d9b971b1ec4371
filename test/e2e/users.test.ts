import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Headless } from '../helpers/headless';
import { initDataDir, seedUsers } from '../bench/users.seed';
import { snap } from './browser';
import { openApp, type AppSession } from './session';

const N = 5000;

describe('Users page in Chromium (headless mode, 5,000 seeded users)', () => {
  let app: Headless;
  let page: Page;
  let errors: string[];
  let session: AppSession;
  let sample: Awaited<ReturnType<typeof seedUsers>>;

  beforeAll(async () => {
    session = await openApp({
      viewport: { width: 1440, height: 900 },
      acceptDownloads: true,
      prepare: async (dir) => {
        await initDataDir(dir);
        sample = await seedUsers(dir, N, { eventsFor: 30 });
      },
    });
    ({ app, page, errors } = session);
    await page.getByRole('link', { name: 'Users' }).click();
  });
  afterAll(() => session?.close());

  const firstRowKey = () => page.locator('tr[data-row-key]').first().getAttribute('data-row-key');

  it('shows the total and the first rows, newest first', async () => {
    await page.getByTestId('users-total').waitFor();
    expect(await page.getByTestId('users-total').textContent()).toBe('5,000 users in the warehouse');
    const api = (await app.call('users.list', { limit: 1 })).body;
    await expect.poll(firstRowKey).toBe(api.users[0]._id);
    await snap(page, 'users-list');
  });

  it('sorts on the server by clicking a header, and toggles the direction', async () => {
    await page.locator('th').filter({ hasText: 'last_name' }).locator('button').click();
    const asc = (await app.call('users.list', { sort: { property: 'last_name', direction: 'asc' }, limit: 1 })).body.users[0];
    await expect.poll(firstRowKey).toBe(asc._id);
    expect(await page.locator('th[aria-sort="ascending"]').textContent()).toContain('last_name');
    await page.locator('th').filter({ hasText: 'last_name' }).locator('button').click();
    const desc = (await app.call('users.list', { sort: { property: 'last_name', direction: 'desc' }, limit: 1 })).body.users[0];
    await expect.poll(firstRowKey).toBe(desc._id);
    await snap(page, 'users-sorted-desc');
  });

  it('loads pages as the user scrolls to the end', async () => {
    const grid = page.getByTestId('server-table');
    await grid.evaluate((el) => (el.scrollTop = el.scrollHeight));
    const last = (await app.call('users.list', { sort: { property: 'last_name', direction: 'desc' }, offset: N - 1, limit: 1 })).body.users[0];
    await expect.poll(() => page.locator(`tr[data-row-key="${last._id}"]`).count()).toBe(1);
    await grid.evaluate((el) => (el.scrollTop = 0));
  });

  it('searches (debounced) by email text and by exact identity', async () => {
    const target = (await app.call('users.get', { id: sample.sampleIds[3] })).body.user;
    const search = page.getByRole('searchbox', { name: 'Search users' });
    await search.fill(target.email.toUpperCase());
    await expect.poll(() => page.getByTestId('users-total').textContent()).toMatch(/^1 matching user of 5,000$/);
    expect(await firstRowKey()).toBe(target._id);
    await snap(page, 'users-search');
    await search.fill(sample.sampleAnonymousIds[5]);
    await expect.poll(firstRowKey).toBe(sample.sampleIds[5]);
    await search.fill("'; DROP TABLE users; --");
    await expect.poll(() => page.getByTestId('users-total').textContent()).toMatch(/^0 matching users/);
    await page.getByText('No user matches').waitFor();
    await search.fill('');
    await expect.poll(() => page.getByTestId('users-total').textContent()).toBe('5,000 users in the warehouse');
  });

  it('opens a user: properties, identities, first/last seen and recent events with their JSON', async () => {
    const search = page.getByRole('searchbox', { name: 'Search users' });
    await search.fill(sample.sampleIds[0]);
    await expect.poll(firstRowKey).toBe(sample.sampleIds[0]);
    await page.locator('tr[data-row-key]').first().click();
    const detail = page.getByTestId('user-detail');
    await detail.waitFor();
    await detail.getByTestId('identities').waitFor();
    expect(await detail.getByTestId('identities').textContent()).toContain('src_web');
    expect(page.url()).toContain(`#/users/${sample.sampleIds[0]}`);
    const events = detail.getByTestId('user-events').locator('li');
    await expect.poll(() => events.count()).toBe(3);
    expect(await events.first().textContent()).toContain('Order Completed');
    await events.first().locator('button.event-row').click();
    await detail.getByTestId('event-json').waitFor();
    expect(await detail.getByTestId('event-json').textContent()).toContain('"currency"');
    await snap(page, 'users-detail');
    await detail.getByTestId('event-json').scrollIntoViewIfNeeded();
    await snap(page, 'users-detail-event-json');
    await page.getByRole('button', { name: 'Close user detail' }).click();
    await expect.poll(() => detail.count()).toBe(0);
    await search.fill('');
  });

  it('chooses columns', async () => {
    await page.getByRole('button', { name: /Columns/ }).click();
    const chooser = page.getByTestId('column-chooser');
    await chooser.waitFor();
    await snap(page, 'users-columns');
    expect(await page.locator('th').filter({ hasText: /^_id/ }).count()).toBe(0);
    await chooser.getByLabel('_id').check();
    await expect.poll(() => page.locator('th').filter({ hasText: /^_id/ }).count()).toBe(1);
    await chooser.getByLabel('phone').uncheck();
    await expect.poll(() => page.locator('th').filter({ hasText: /^phone/ }).count()).toBe(0);
    await page.keyboard.press('Escape');
  });

  it('exports the current view to CSV as a download', async () => {
    const search = page.getByRole('searchbox', { name: 'Search users' });
    await search.fill('gmail.com');
    await expect.poll(() => page.getByTestId('users-total').textContent()).toMatch(/matching users of 5,000/);
    const total = (await app.call('users.list', { search: 'gmail.com', limit: 1 })).body.total;
    await page.getByRole('button', { name: 'Export ▾' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('menuitem', { name: /CSV/ }).click()]);
    const file = await download.path();
    const text = await readFile(file!, 'utf8');
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(total + 1);
    expect(lines[0]).toContain('_id');
    expect(lines[0]).not.toContain('phone');
    expect(download.suggestedFilename()).toMatch(/^users-.*\.csv$/);
    await page.getByTestId('export-status').filter({ hasText: 'Exported' }).waitFor();
    await snap(page, 'users-exported');
    await search.fill('');
  });

  it('logged no errors', () => {
    expect(errors, errors.join('\n')).toEqual([]);
  });
});
