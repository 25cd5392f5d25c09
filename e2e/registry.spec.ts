import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { shot, signInAdmin } from './support/berth';
import { build, removeImage, setDockerfile } from './support/dashboard2';
import { registryAvailable, seedImage, startRegistry, type RegistryServer } from './support/registry';

const SECRET = `registry-secret-${Date.now()}`;

async function pull(page: Page, ref: string): Promise<void> {
  await page.getByLabel('Image reference').fill(ref);
  await page.getByRole('button', { name: 'Pull', exact: true }).click();
  await expect(page.getByTestId('pull-done')).toBeVisible({ timeout: 60_000 });
}

test.describe.serial('registry', () => {
  let registry: RegistryServer | null = null;
  let seed = '';
  let app = '';
  test.beforeAll(async () => {
    expect(registryAvailable(), 'Debian docker-registry is installed').toBe(true);
    registry = await startRegistry();
    seed = `${registry.host}/seed/big:1`;
    app = `${registry.host}/e2e/app:1`;
    // 48 MiB of random bytes: a layer this engine has never seen, big enough for several progress lines.
    await seedImage(registry.host, 'seed/big', '1', 48 * 1024 * 1024);
  });
  test.afterAll(async ({ browser, baseURL }) => {
    const page = await browser.newPage();
    await signInAdmin(page);
    for (const ref of [seed, app]) if (ref) await removeImage(page, baseURL!, ref);
    await page.close();
    await registry?.stop();
  });

  test('a stored login is sealed; pull with moving bars; push a build, remove it, pull it again', async ({ page }, info) => {
    test.setTimeout(240_000);
    await signInAdmin(page);

    // A login for this registry, kept encrypted: the database file never holds the secret.
    await page.goto('/settings/registries');
    const form = page.getByRole('form', { name: 'Add registry' });
    await form.getByLabel('Registry').fill(`http://${registry!.host}/`);
    await form.getByLabel('User').fill('e2e');
    await form.getByLabel('Password or token').fill(SECRET);
    await form.getByRole('button', { name: 'Save login' }).click();
    await expect(page.getByTestId('registry-row')).toContainText(registry!.host);
    const root = process.env.BERTH_E2E_ROOT!;
    expect(fs.statSync(path.join(root, 'secret.key')).mode & 0o777).toBe(0o600);
    const dbBytes = Buffer.concat(['dashboard.db', 'dashboard.db-wal'].filter((f) => fs.existsSync(path.join(root, f))).map((f) => fs.readFileSync(path.join(root, f))));
    expect(dbBytes.includes(Buffer.from(SECRET))).toBe(false);

    await page.goto('/images');
    await pull(page, seed);
    const bar = page.getByTestId('layer-progress').first();
    await expect(bar).toHaveAttribute('data-percent', '100');
    // 0 %, at least one value on the way, then 100 %.
    expect(Number(await bar.getAttribute('data-moves'))).toBeGreaterThanOrEqual(3);
    await expect(page.locator(`[data-testid="image-row"][data-tags~="${seed}"]`)).toBeVisible();
    await shot(page, info, 'images-pull');

    // Build an image tagged for the registry and push it.
    await page.goto('/builds');
    await setDockerfile(page, ['FROM busybox:latest', `RUN head -c 1048576 /dev/urandom > /blob && echo ${Date.now()} > /stamp`, ''].join('\n'));
    await page.getByLabel('Tag', { exact: true }).fill(app);
    expect(await build(page)).toBe('done');
    await page.goto('/images');
    const row = page.locator(`[data-testid="image-row"][data-tags~="${app}"]`);
    await row.getByRole('button', { name: `Push ${app}` }).click();
    await expect(page.getByTestId('push-done')).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('push-progress').getByTestId('layer-progress').first()).toHaveAttribute('data-percent', '100');

    // Remove it (the dialog names no container), then pull it back from the registry.
    await row.getByRole('button', { name: 'Remove' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText('No container uses this image.');
    await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await expect(row).toHaveCount(0);
    await page.getByRole('button', { name: 'Close' }).click();
    await pull(page, app);
    await expect(row).toBeVisible();
  });
});
