import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Headless } from '../helpers/headless';
import { fixturesDir } from '../helpers/tmp';
import { snap } from './browser';
import { openApp, type AppSession } from './session';

/**
 * The guide's steps 4-7 in Chromium through headless mode: the connection's Pipelines tab,
 * "Add pipeline..." with Visual Mapping, an identify event through the ingest endpoint, the
 * user in the warehouse, the Enable switch and the monitor.
 */
describe('Import users pipelines, following the guide (Chromium, headless mode)', () => {
  let app: Headless;
  let page: Page;
  let errors: string[];
  let session: AppSession;
  let sourceId = '';

  /** The app scrolls inside its main area: grow the viewport to the content for a whole-page picture. */
  const snapTall = async (name: string) => {
    const h = await page.evaluate(() => document.querySelector('main.content')?.scrollHeight ?? 860);
    await page.setViewportSize({ width: 1360, height: Math.max(860, Math.min(h, 4000)) });
    await snap(page, name);
    await page.setViewportSize({ width: 1360, height: 860 });
  };

  async function postIdentify(): Promise<number> {
    const { body: keys } = await app.call('writeKeys.list', { sourceId });
    const identify = await readFile(join(fixturesDir, 'identify.json'), 'utf8');
    const res = await fetch(`${app.ingestUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.keys[0].key}` },
      body: identify,
    });
    return res.status;
  }

  beforeAll(async () => {
    session = await openApp();
    ({ app, page, errors } = session);
    sourceId = (await app.call('sources.create', { type: 'segment', name: 'Segment' })).body.id;
    // The guide's step 3 first: an identify arrives.
    expect(await postIdentify()).toBe(200);
  });
  afterAll(() => session?.close());

  it('shows the Pipelines tab with "Import users into warehouse" and "Add pipeline..."', async () => {
    await page.goto(`${app.adminUrl}/#/sources/${sourceId}/pipelines`);
    await page.getByRole('heading', { name: 'Import users into warehouse' }).waitFor();
    await page.getByText('No pipelines yet.').waitFor();
    await snap(page, 'pipelines-empty');
  });

  it('adds a pipeline with the preset filter and Visual Mapping, with inline errors and a live test', async () => {
    await page.getByRole('button', { name: 'Add pipeline...' }).click();
    const editor = page.getByTestId('pipeline-editor');
    await editor.waitFor();
    await page.getByRole('heading', { name: 'Add pipeline' }).waitFor();
    // The preset filter: type is "identify" or traits is not empty.
    expect(await page.getByTestId('filter-condition').count()).toBe(2);
    expect(await page.getByLabel('Condition 1 property').inputValue()).toBe('type');
    expect(await page.getByLabel('Condition 1 operator').inputValue()).toBe('is');
    expect(await page.getByLabel('Condition 1 value').inputValue()).toBe('identify');
    expect(await page.getByLabel('Condition 2 operator').inputValue()).toBe('is not empty');
    expect(await page.getByLabel('Match all or any condition').inputValue()).toBe('or');

    // Visual Mapping is the default; rows are prefilled from the trait of the same name.
    await page.getByTestId('mapping-editor').waitFor();
    expect(await page.getByLabel('Expression for email').inputValue()).toBe('traits.email');

    // A syntax error shows inline with its position; Add waits for a fix.
    const email = page.getByLabel('Expression for email');
    await email.fill('lower(traits.email');
    const rowError = page.getByTestId('mapping-row-email').locator('.expr-error');
    await rowError.waitFor();
    expect(await rowError.textContent()).toMatch(/character/);
    expect(await page.getByRole('button', { name: 'Add', exact: true }).isDisabled()).toBe(true);
    await snap(page, 'pipelines-editor-error');

    // Autocomplete of functions and paths: "lowe" suggests lower(...), then a path.
    await email.fill('');
    await email.pressSequentially('lowe');
    await page.locator('.ac-list .ac-item').first().waitFor();
    expect(await page.locator('.ac-list').textContent()).toMatch(/lower\(text\)/);
    await email.press('Enter');
    expect(await email.inputValue()).toBe('lower()');
    await email.pressSequentially('traits.em');
    await page.locator('.ac-list .ac-item', { hasText: 'traits.email' }).first().click();
    expect(await email.inputValue()).toBe('lower(traits.email)');
    await expect.poll(() => page.getByTestId('mapping-row-email').locator('.expr-error').count()).toBe(0);

    // A type error against the property's type.
    const created = page.getByLabel('Expression for created_at');
    await created.fill('eq(traits.plan, "Pro")');
    await page.getByTestId('mapping-row-created_at').locator('.expr-error').waitFor();
    expect(await page.getByTestId('mapping-row-created_at').locator('.expr-error').textContent()).toMatch(/datetime/);
    await created.fill('traits.createdAt');
    await page.getByLabel('Expression for country').fill('traits.country');
    await page.getByLabel('Expression for job_title').fill('trim(traits.jobTitle)');
    await expect.poll(() => page.locator('.expr-error').count()).toBe(0);

    await page.locator('input[name="name"]').fill('Identified users');
    await page.locator('input[name="description"]').fill('Profiles from identify calls and traits');

    // The Test panel runs the pipeline on the recent identify (or a pasted one).
    const test = page.getByTestId('test-panel');
    await test.getByTestId('test-output').waitFor({ timeout: 15_000 });
    expect(await test.getByTestId('test-filter').textContent()).toMatch(/passes/);
    expect(await test.getByTestId('test-output').textContent()).toMatch(/emily\.johnson@example\.com/);
    expect(await test.getByTestId('test-output').textContent()).toMatch(/Product Manager/);
    await snapTall('pipelines-editor');

    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const row = page.getByTestId('pipeline-row');
    await row.waitFor();
    expect(await row.locator('.filter-cell').textContent()).toBe('type is "identify" or traits is not empty');
    expect(await row.getByRole('switch').getAttribute('aria-checked')).toBe('true');
    const { body } = await app.call('pipelines.list', { sourceId });
    expect(body.pipelines).toHaveLength(1);
    expect(body.pipelines[0]).toMatchObject({
      name: 'Identified users',
      description: 'Profiles from identify calls and traits',
      enabled: true,
      transformation: { kind: 'mapping', mapping: { email: 'lower(traits.email)', country: 'traits.country', job_title: 'trim(traits.jobTitle)' } },
    });
  });

  it('imports the identify into the warehouse: the user is there', async () => {
    await expect
      .poll(async () => (await app.call('warehouse.query', { sql: 'SELECT email, company, job_title, country FROM users' })).body.rows, { timeout: 15_000 })
      .toEqual([['emily.johnson@example.com', 'Acme Corp', 'Product Manager', 'United States']]);
    await expect.poll(async () => page.getByTestId('pipeline-progress').first().textContent(), { timeout: 10_000 }).toMatch(/1 of 1 events processed · up to date/);
    await snap(page, 'pipelines-list');
  });

  it('toggles Enable: disabled pipelines process nothing, enabling resumes', async () => {
    const sw = page.getByTestId('pipeline-row').getByRole('switch');
    await sw.click();
    await expect.poll(() => sw.getAttribute('aria-checked')).toBe('false');
    const { body } = await app.call('pipelines.list', { sourceId });
    expect(body.pipelines[0].enabled).toBe(false);
    await snap(page, 'pipelines-disabled');
    await sw.click();
    await expect.poll(() => sw.getAttribute('aria-checked')).toBe('true');
    expect((await app.call('pipelines.list', { sourceId })).body.pipelines[0].enabled).toBe(true);
  });

  it('opens the monitor with its chart, totals and error list; edits with Manage', async () => {
    await page.getByRole('button', { name: 'Identified users', exact: true }).click();
    const monitor = page.getByTestId('pipeline-monitor');
    await monitor.waitFor();
    await monitor.locator('.bar-chart svg').waitFor();
    await expect.poll(() => page.getByTestId('users-created').textContent()).toBe('1');
    await page.getByText(/No errors/).waitFor();
    await snap(page, 'pipelines-monitor');

    // An event whose created_at is not a date: recorded as invalid output, grouped, skipped.
    const { body: keys } = await app.call('writeKeys.list', { sourceId });
    const bad = { type: 'identify', userId: 'u-bad', messageId: 'bad-created-at', traits: { email: 'x@example.com', createdAt: 'last tuesday' } };
    const res = await fetch(`${app.ingestUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.keys[0].key}` },
      body: JSON.stringify([bad, { ...bad, messageId: 'bad-created-at-2', userId: 'u-bad-2' }]),
    });
    expect(res.status).toBe(200);
    const table = page.getByTestId('errors-table');
    await table.waitFor({ timeout: 15_000 });
    expect(await table.textContent()).toMatch(/created_at: expected an ISO 8601 date-time/);
    expect(await table.locator('td.num').first().textContent()).toBe('2');
    expect(await table.textContent()).toMatch(/bad-created-at-2/);
    await snap(page, 'pipelines-monitor-errors');

    // Replay: everything again, with progress; users are not duplicated and the error list starts over.
    await page.getByRole('button', { name: 'Replay…' }).click();
    await page.getByTestId('confirm-dialog').getByRole('button', { name: 'Replay' }).click();
    await page.getByTestId('confirm-dialog').waitFor({ state: 'detached' }); // closes once pipelines.replay answered
    await expect.poll(async () => (await app.call('pipelines.list', { sourceId })).body.pipelines[0].status.replaying, { timeout: 15_000 }).toBe(false);
    expect((await app.call('warehouse.query', { sql: 'SELECT count(*) FROM users' })).body.rows).toEqual([[1]]);
    await expect.poll(async () => (await app.call('pipelines.errors', { id: (await app.call('pipelines.list', { sourceId })).body.pipelines[0].id })).body.errors[0]?.count).toBe(2);

    await page.getByRole('button', { name: 'Manage' }).click();
    await page.getByRole('heading', { name: /Edit “Identified users”/ }).waitFor();
    await page.getByRole('radio', { name: 'JavaScript' }).click();
    await page.getByTestId('code-javascript').locator('.monaco-editor').waitFor({ timeout: 20_000 });
    await snapTall('pipelines-editor-javascript');
    // The Segment event is typed (JSDoc in the starter): the starter checks clean, a wrong property is flagged.
    const js = page.getByTestId('code-javascript');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await js.locator('.squiggly-error').count()).toBe(0);
    await js.locator('.monaco-editor').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.insertText('\nfunction check(/** @type {SegmentEvent} */ e) { return e.traits.email + e.nope; }\n');
    await js.locator('.squiggly-error').first().waitFor({ timeout: 20_000 });
    await snap(page, 'pipelines-editor-javascript-typings');
    await page.getByRole('radio', { name: 'Visual Mapping' }).click();
    expect(await page.getByLabel('Expression for email').inputValue()).toBe('lower(traits.email)');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await monitor.waitFor();
    await page.getByRole('button', { name: '‹ Pipelines' }).click();
    await page.getByTestId('pipeline-row').waitFor();
  });

  it('deletes from ⋮ after a confirmation', async () => {
    await page.getByRole('button', { name: 'More actions for Identified users' }).click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    await snap(page, 'pipelines-delete-confirm');
    await dialog.getByRole('button', { name: 'Delete pipeline' }).click();
    await page.getByText('No pipelines yet.').waitFor();
    expect((await app.call('pipelines.list', { sourceId })).body.pipelines).toEqual([]);
    expect(errors).toEqual([]);
  });
});
