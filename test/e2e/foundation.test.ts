import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Headless } from '../helpers/headless';
import { snap } from './browser';
import { openApp, type AppSession } from './session';

describe('the app in Chromium through headless mode', () => {
  let app: Headless;
  let page: Page;
  let errors: string[];
  let session: AppSession;
  // Monaco renders spaces as non-breaking ones.
  const editorText = async () => ((await page.locator('.monaco-editor .view-lines').first().textContent()) ?? '').replace(/\s/g, ' ');
  const nav = (label: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true });

  beforeAll(async () => {
    session = await openApp();
    ({ app, page, errors } = session);
  });
  afterAll(() => session?.close());

  it('opens with the sidebar, goes live and keeps the token out of the URL', async () => {
    for (const label of ['Sources', 'Users', 'Customer Model', 'Warehouse', 'Settings']) {
      await expect.poll(() => nav(label).count()).toBe(1);
    }
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Live' }).count()).toBe(1);
    expect(page.url()).not.toContain(app.adminToken);
    await snap(page, 'foundation-home');
  });

  it('runs select 42 on the Warehouse page with Ctrl+Enter', async () => {
    await nav('Warehouse').click();
    const editor = page.locator('.monaco-editor').first();
    await editor.waitFor();
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText('select 42 as answer');
    await expect.poll(() => editorText()).toBe('select 42 as answer');
    await page.keyboard.press('Control+Enter');
    const result = page.getByTestId('query-result');
    await result.waitFor();
    await expect.poll(() => result.locator('td:not(.rownum)').first().textContent()).toBe('42');
    expect(await result.locator('th').nth(1).textContent()).toBe('answer');
    await snap(page, 'foundation-warehouse');
  });

  it('shows the refusal of a write statement inline', async () => {
    await page.locator('.monaco-editor').first().click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText('create table x (a int)');
    await expect.poll(() => editorText()).toBe('create table x (a int)');
    await page.getByRole('button', { name: 'Run query' }).click();
    const err = page.getByTestId('query-error');
    await err.waitFor();
    expect(await err.textContent()).toMatch(/read-only/);
    await snap(page, 'foundation-warehouse-refused');
  });

  it('validates and saves settings', async () => {
    await nav('Settings').click();
    const port = page.locator('input[name="ingestPort"]');
    await port.waitFor();
    await port.fill('99999');
    await page.getByRole('form', { name: 'Ingest server' }).getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('settings-error').waitFor();
    expect(await page.getByTestId('settings-error').textContent()).toMatch(/ingestPort/);
    expect((await app.call('settings.get')).body.ingestPort).not.toBe(99999);
    await snap(page, 'foundation-settings-error');
    await page.locator('input[name="publicUrl"]').fill('https://tunnel.example.com');
    await port.fill('0');
    await page.getByRole('form', { name: 'Ingest server' }).getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect(await page.getByTestId('endpoint-url').textContent()).toBe('https://tunnel.example.com/v1/events');
    expect((await app.call('settings.get')).body.publicUrl).toBe('https://tunnel.example.com');
  });

  it('logs no console errors or CSP violations on any page', async () => {
    for (const label of ['Sources', 'Users', 'Customer Model', 'Warehouse', 'Settings']) {
      await nav(label).click();
      await page.waitForTimeout(300);
    }
    expect(errors, errors.join('\n')).toEqual([]);
  });
});
