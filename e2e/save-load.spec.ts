import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { trpcMutation } from './support/accounts';
import { removeContainer, shot, signInAdmin } from './support/berth';
import { build, removeImage, setDockerfile } from './support/dashboard2';

const TAG = `e2e-saved-${Date.now().toString(36)}:1`;
const NAME = `loaded-${Date.now().toString(36)}`;
const marker = `saved-${Date.now()}`;

test.describe.serial('save and load', () => {
  let dir = '';
  let containerId = '';
  test.afterAll(async ({ browser, baseURL }) => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    const page = await browser.newPage();
    await signInAdmin(page);
    if (containerId) await removeContainer(page.request, baseURL!, containerId);
    await removeImage(page, baseURL!, TAG);
    await page.close();
  });

  test('save an image to a download, remove it, load the file back and run it', async ({ page, baseURL }, info) => {
    test.setTimeout(240_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-save-'));
    await signInAdmin(page);
    await page.goto('/builds');
    await setDockerfile(page, ['FROM busybox:latest', `RUN echo ${marker} > /marker`, 'CMD ["sh", "-c", "cat /marker; exec sleep 3600"]', ''].join('\n'));
    await page.getByLabel('Tag', { exact: true }).fill(TAG);
    expect(await build(page)).toBe('done');

    await page.goto('/images');
    const row = page.locator(`[data-testid="image-row"][data-tags~="${TAG}"]`);
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByRole('link', { name: 'Save', exact: true }).click()]);
    const file = path.join(dir, download.suggestedFilename());
    await download.saveAs(file);
    expect(download.suggestedFilename()).toMatch(/\.tar$/);
    expect(fs.statSync(file).size).toBeGreaterThan(1024 * 1024);

    await row.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove', exact: true }).click();
    await expect(row).toHaveCount(0);

    await page.getByTestId('load-input').setInputFiles(file);
    await expect(page.getByTestId('images-notice')).toContainText(`Loaded image: ${TAG}`, { timeout: 60_000 });
    await expect(row).toBeVisible();
    await shot(page, info, 'images-list');

    // Settings → Defaults prefill the create form (set through the admin's settings page).
    await page.goto('/settings/defaults');
    const defaults = page.getByRole('form', { name: 'Container defaults' });
    await defaults.getByLabel('Memory').fill('96m');
    await defaults.getByRole('button', { name: 'Save defaults' }).click();
    await expect(page.getByText('Saved.')).toBeVisible();
    await page.goto('/images');
    try {
      await row.getByRole('link', { name: 'Run', exact: true }).click();
      await expect(page.getByRole('form', { name: 'Create container' }).locator('input[name="memory"]')).toHaveValue('96m');
    } finally {
      await trpcMutation(page.request, baseURL!, 'settings.setContainerDefaults', { memory: '', cpus: '', pidsLimit: '', restart: 'no', network: '' });
    }
    await page.reload();
    const form = page.getByRole('form', { name: 'Create container' });
    await expect(form.locator('input[name="image"]')).toHaveValue(TAG);
    await expect(form.locator('input[name="memory"]')).toHaveValue('');
    await form.locator('input[name="name"]').fill(NAME);
    await form.getByRole('button', { name: 'Create and start' }).click();
    await expect(page).toHaveURL(/\/containers\/[0-9a-f]{64}/);
    containerId = page.url().match(/containers\/([0-9a-f]{64})/)![1]!;
    await expect(page.getByRole('heading', { name: NAME }).getByTestId('state-badge')).toHaveText('running');
    await page.goto(`/containers/${containerId}?tab=logs`);
    await expect(page.getByText(marker).first()).toBeVisible();
  });
});
