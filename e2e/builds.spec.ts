import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { removeContainer, shot, signInAdmin } from './support/berth';
import { build, editorCursorLine, removeImage, setDockerfile } from './support/dashboard2';

const TAG = `e2e-build-${Date.now().toString(36)}:1`;
const NAME = `built-${Date.now().toString(36)}`;
const marker = `m${Date.now()}`;
const good = ['FROM busybox:latest', `RUN echo ${marker} > /one.txt`, 'RUN cp /one.txt /two.txt', 'CMD ["sh", "-c", "cat /two.txt; exec sleep 3600"]', ''].join('\n');
// Line 3 is broken: "RUNN" is not an instruction.
const broken = good.replace('RUN cp', 'RUNN cp');

/** Whether a `sleep 117` (the cancelled build's RUN) is running on this host. */
function sleeping117(): boolean {
  try {
    return execFileSync('pgrep', ['-f', '^sleep 117$'], { encoding: 'utf8' }).trim() !== '';
  } catch {
    return false;
  }
}

test.describe.serial('builds', () => {
  let containerId = '';
  test.afterAll(async ({ browser, baseURL }) => {
    const page = await browser.newPage();
    await signInAdmin(page);
    if (containerId) await removeContainer(page.request, baseURL!, containerId);
    await removeImage(page, baseURL!, TAG);
    await page.close();
  });

  test('an error links to its line; a fixed build runs every step, a rebuild hits the cache; the image runs', async ({ page }, info) => {
    test.setTimeout(240_000);
    await signInAdmin(page);
    await page.goto('/builds');
    await expect(page.getByTestId('dockerfile-editor').locator('.cm-content')).toBeVisible();
    // Syntax highlighting: the instruction keyword is its own styled span.
    await expect(page.getByTestId('dockerfile-editor').locator('.cm-line').first().locator('span').first()).toHaveText('FROM');

    await setDockerfile(page, broken);
    await page.getByLabel('Tag', { exact: true }).fill(TAG);
    expect(await build(page)).toBe('failed');
    await expect(page.getByTestId('build-error')).toContainText('line 3');
    const link = page.getByTestId('error-line-link');
    await expect(link).toHaveText('Dockerfile line 3');
    await page.getByTestId('dockerfile-editor').locator('.cm-line').first().click();
    await link.click();
    await expect(page.getByTestId('editor-error-line')).toHaveText(/^RUNN cp/);
    expect(await editorCursorLine(page)).toBe(3);

    // A RUN that fails: its step is marked failed (red) with its output, and the error links to line 3,
    // the engine's own record of where the step starts (no re-parse of the text in the page).
    await setDockerfile(page, ['FROM busybox:latest', '# a comment', `RUN echo ${marker}-a \\`, `  && echo ${marker}-boom; exit 3`, ''].join('\n'));
    expect(await build(page)).toBe('failed');
    await expect(page.getByTestId('build-error')).toHaveText(/returned a non-zero code: 3$/);
    await expect(page.locator('[data-testid="build-step"][data-failed="true"]')).toHaveCount(1);
    await expect(page.locator('[data-testid="build-step"][data-failed="true"]')).toContainText(`${marker}-boom`);
    await expect(page.getByTestId('step-failed')).toBeVisible();
    await expect(page.getByTestId('error-line-link')).toHaveText('Dockerfile line 3');

    // Fixed: every step runs (nothing cached: the marker is new).
    await setDockerfile(page, good);
    expect(await build(page)).toBe('done');
    const steps = page.getByTestId('build-step');
    await expect(steps).toHaveCount(4);
    await expect(page.locator('[data-testid="build-step"][data-from="false"][data-cached="true"]')).toHaveCount(0);
    await expect(page.locator('[data-testid="build-step"][data-from="false"][data-cached="false"]')).toHaveCount(3);
    // Each step shows its duration.
    for (const d of await page.getByTestId('step-duration').allTextContents()) expect(d).toMatch(/^\d+\.\d+ s$/);

    // Again: every step after FROM is a cache hit.
    expect(await build(page)).toBe('done');
    await expect(steps).toHaveCount(4);
    await expect(page.locator('[data-testid="build-step"][data-from="false"][data-cached="true"]')).toHaveCount(3);
    await expect(page.getByTestId('cache-hit')).toHaveCount(3);
    await expect(page.getByTestId('build-history-row').first()).toHaveAttribute('data-result', 'succeeded');
    await shot(page, info, 'builds');

    // Run it from its page.
    await page.getByTestId('built-image-link').click();
    await expect(page).toHaveURL(/\/images\/[0-9a-f]{64}/);
    await expect(page.getByRole('heading', { name: TAG })).toBeVisible();
    await expect(page.getByTestId('image-config')).toContainText('cat /two.txt');
    await page.getByRole('tab', { name: 'history' }).click();
    await expect(page.getByTestId('image-history')).toContainText(`echo ${marker}`);
    await page.getByRole('tab', { name: 'layers' }).click();
    await expect(page.getByTestId('layer-bar').first()).toBeVisible();
    await shot(page, info, 'image-layers');
    await page.getByRole('link', { name: 'Run', exact: true }).click();
    const form = page.getByRole('form', { name: 'Create container' });
    await expect(form.locator('input[name="image"]')).toHaveValue(TAG);
    await form.locator('input[name="name"]').fill(NAME);
    await form.getByRole('button', { name: 'Create and start' }).click();
    await expect(page).toHaveURL(/\/containers\/[0-9a-f]{64}/);
    containerId = page.url().match(/containers\/([0-9a-f]{64})/)![1]!;
    await expect(page.getByRole('heading', { name: NAME }).getByTestId('state-badge')).toHaveText('running');
    await page.goto(`/containers/${containerId}?tab=logs`);
    await expect(page.getByText(marker).first()).toBeVisible();

    await page.goto('/builds');
    // Cancel stops a running build: the page says so at once and the history records it.
    await setDockerfile(page, ['FROM busybox:latest', `RUN echo ${marker}-slow && sleep 117`, ''].join('\n'));
    await page.getByRole('button', { name: 'Build', exact: true }).click();
    await expect(page.getByTestId('build-step').nth(1)).toContainText(`${marker}-slow`, { timeout: 30_000 });
    await expect.poll(() => sleeping117(), { timeout: 20_000 }).toBe(true);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByTestId('build-status')).toHaveText('cancelled');
    await expect(page.getByTestId('build-history-row').first()).toHaveAttribute('data-result', 'cancelled', { timeout: 20_000 });
    // The step's process is gone (the engine's build stream was destroyed), not left sleeping.
    await expect.poll(() => sleeping117(), { timeout: 30_000 }).toBe(false);
    // The run ended well before its sleep would have.
    expect(await page.getByTestId('build-history-row').first().locator('td').nth(4).textContent()).toMatch(/^\d+(\.\d+)? s$/);
  });
});
