import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Headless } from '../helpers/headless';
import { initDataDir, seedUsers } from '../bench/users.seed';
import { snap } from './browser';
import { openApp, type AppSession } from './session';

describe('Customer Model page in Chromium (headless mode)', () => {
  let app: Headless;
  let page: Page;
  let errors: string[];
  let session: AppSession;

  beforeAll(async () => {
    session = await openApp({
      viewport: { width: 1440, height: 900 },
      prepare: async (dir) => {
        await initDataDir(dir);
        await seedUsers(dir, 400);
      },
    });
    ({ app, page, errors } = session);
    await page.getByRole('link', { name: 'Customer Model' }).click();
    await page.getByRole('heading', { name: 'Customer Model' }).waitFor();
  });
  afterAll(() => session?.close());

  const nameInput = (i: number) => page.getByLabel(`Property ${i + 1} name`, { exact: true });
  const rowCount = () => page.locator('.model-table tbody tr').count();

  it('lists the properties with type, description and identifier priority', async () => {
    await expect.poll(rowCount).toBe(10);
    expect(await nameInput(0).inputValue()).toBe('email');
    expect(await page.getByLabel('Property 1 is an identifier').isChecked()).toBe(true);
    await snap(page, 'model-page');
  });

  it('shows field-level errors for a bad name and offers the snake_case form', async () => {
    await page.getByRole('button', { name: '+ Add property' }).click();
    await nameInput(10).fill('Loyalty Tier');
    const err = page.getByTestId('property-10').locator('.field-error');
    await err.waitFor();
    expect(await err.textContent()).toMatch(/not a snake_case name/);
    await snap(page, 'model-field-error');
    await err.getByRole('button', { name: 'Use loyalty_tier' }).click();
    expect(await nameInput(10).inputValue()).toBe('loyalty_tier');
    await nameInput(10).fill('_secret');
    await page.getByRole('button', { name: 'Review changes' }).click();
    expect(await err.textContent()).toMatch(/reserved/);
    await nameInput(10).fill('email');
    expect(await err.textContent()).toMatch(/Duplicate name/);
  });

  it('adds a property after reviewing it, and the users table gets the column', async () => {
    await nameInput(10).fill('loyalty_tier');
    await page.getByLabel('Property 11 description').fill('Bronze, silver or gold');
    await page.getByRole('button', { name: 'Review changes' }).click();
    const dialog = page.getByTestId('model-preview');
    await dialog.waitFor();
    expect(await dialog.textContent()).toMatch(/add\s*loyalty_tier as string/);
    await snap(page, 'model-preview-add');
    await dialog.getByTestId('apply-model').click();
    await page.getByTestId('model-saved').waitFor();
    const tables = (await app.call('warehouse.tables')).body.tables;
    expect(tables[0].columns.map((c: any) => c.name)).toContain('loyalty_tier');

    // Users page: the column chooser offers it.
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: /Columns/ }).click();
    await page.getByTestId('column-chooser').getByLabel('loyalty_tier').waitFor();
    expect(await page.locator('th').filter({ hasText: /^loyalty_tier/ }).count()).toBe(1);
    await page.keyboard.press('Escape');

    // Warehouse page: the tables panel lists it; a click inserts it into the editor.
    await page.getByRole('link', { name: 'Warehouse' }).click();
    const panel = page.getByTestId('tables-panel');
    await panel.getByRole('button', { name: 'loyalty_tier', exact: true }).waitFor();
    await page.locator('.monaco-editor').first().waitFor();
    await page.locator('.monaco-editor').first().click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText('SELECT ');
    await panel.getByRole('button', { name: 'loyalty_tier', exact: true }).click();
    await page.keyboard.insertText(' FROM ');
    await panel.getByRole('button', { name: 'users', exact: true }).click();
    await page.keyboard.press('Control+Enter');
    const result = page.getByTestId('query-result');
    await result.waitFor();
    expect(await result.locator('th').nth(1).textContent()).toBe('loyalty_tier');
    expect(await result.textContent()).toMatch(/400 rows/);
    await snap(page, 'model-warehouse-tables');
    await page.getByRole('link', { name: 'Customer Model' }).click();
    await expect.poll(rowCount).toBe(11);
  });

  it('renames a property and keeps its values', async () => {
    const before = (await app.call('users.list', { sort: { property: '_id', direction: 'asc' }, limit: 5 })).body.users.map((u: any) => u.job_title);
    await nameInput(5).fill('title');
    expect(await page.getByTestId('property-5').textContent()).toContain('renamed from job_title');
    await page.getByRole('button', { name: 'Review changes' }).click();
    const dialog = page.getByTestId('model-preview');
    expect(await dialog.textContent()).toMatch(/rename\s*job_title → title/);
    await dialog.getByTestId('apply-model').click();
    await page.getByTestId('model-saved').waitFor();
    const after = (await app.call('users.list', { sort: { property: '_id', direction: 'asc' }, limit: 5 })).body.users.map((u: any) => u.title);
    expect(after).toEqual(before);
  });

  it('refuses a type change whose values do not convert, listing them', async () => {
    await page.getByLabel('Property 8 type').selectOption('int');
    await page.getByRole('button', { name: 'Review changes' }).click();
    const dialog = page.getByTestId('model-preview');
    await dialog.getByTestId('preview-blocked').waitFor();
    expect(await dialog.getByTestId('preview-blocked').textContent()).toMatch(/Cannot change "country" from string to int: 400 of 400/);
    expect(await dialog.getByTestId('apply-model').isDisabled()).toBe(true);
    await snap(page, 'model-preview-blocked');
    await dialog.getByRole('button', { name: 'Back to editing' }).click();
    await page.getByLabel('Property 8 type').selectOption('string');
  });

  it('removes a property only after confirming the values that are lost', async () => {
    const phones = (await app.call('warehouse.query', { sql: 'SELECT count(phone) FROM users' })).body.rows[0][0];
    await page.getByRole('button', { name: 'Remove phone' }).click();
    await page.getByRole('button', { name: 'Review changes' }).click();
    const dialog = page.getByTestId('model-preview');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(`${phones} stored values will be deleted`);
    expect(await dialog.getByTestId('apply-model').textContent()).toBe(`Delete ${phones} values and apply`);
    await snap(page, 'model-preview-drop');
    await dialog.getByTestId('apply-model').click();
    await page.getByTestId('model-saved').waitFor();
    const cols = (await app.call('warehouse.tables')).body.tables[0].columns.map((c: any) => c.name);
    expect(cols).not.toContain('phone');
    expect((await app.call('users.list', { limit: 1 })).body.total).toBe(400);
    await snap(page, 'model-saved');
  });

  it('logged no errors', () => {
    expect(errors, errors.join('\n')).toEqual([]);
  });
});
