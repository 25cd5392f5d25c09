// Stacks in the dashboard: a schema error is marked at its line as you type, the fixed file deploys with
// progress per service until healthy, the merged logs show every service, a service scales, an edit is
// planned (the plan is shown) before it is applied, a rollback deploys the first version again, and down
// removes it all.
import { expect, test, type Page } from '@playwright/test';
import { signIn, trpcMutation } from './support/accounts';
import { ensureUser, shot, signInAdmin, VIEWER2 } from './support/berth';

const STACK = `e2e-st-${Date.now().toString(36)}`;

const good = (greeting: string) => `services:
  web:
    image: busybox:latest
    command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && echo web-ready && exec httpd -f -p 8080 -h /www"]
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 1s
      retries: 20
  worker:
    image: busybox:latest
    command: ["sh", "-c", "echo ${greeting} from $$HOSTNAME; exec sleep 3600"]
    stop_grace_period: 1s
    depends_on:
      web:
        condition: service_healthy
`;
// Line 5: stop_signal must be a string.
const broken = good('hello').replace('    stop_grace_period: 1s\n    healthcheck', '    stop_signal: [1]\n    healthcheck');

/** Replaces the compose editor's text the way a paste does, and checks CodeMirror holds exactly it. */
async function setCompose(page: Page, text: string): Promise<void> {
  const content = page.getByTestId('compose-editor').locator('.cm-content');
  await content.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.evaluate((t) => {
    const el = document.querySelector('[data-testid="compose-editor"] .cm-content')!;
    const data = new DataTransfer();
    data.setData('text/plain', t);
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
  await expect.poll(() => page.evaluate(() => (window as unknown as { __berthCompose?: { state: { doc: { toString(): string } } } }).__berthCompose?.state.doc.toString() ?? '')).toBe(text);
}

async function deployFinished(page: Page, version: number): Promise<void> {
  const status = page.getByTestId('deploy-status');
  await expect(status).toHaveText(new RegExp(`Deployed as version ${version}\\.|Failed\\.`), { timeout: 120_000 });
  if ((await status.getAttribute('data-status')) === 'failed') throw new Error(`deploy failed: ${await page.getByTestId('deploy-error').textContent()}`);
}

test.describe.serial('stacks', () => {
  test.afterAll(async ({ browser, baseURL }) => {
    const page = await browser.newPage();
    await signInAdmin(page);
    await trpcMutation(page.request, baseURL!, 'stacks.remove', { name: STACK });
    await page.close();
  });

  test('write, fix, deploy until healthy, merged logs, scale, plan and redeploy, roll back, down', async ({ page }, info) => {
    test.setTimeout(300_000);
    await signInAdmin(page);
    await page.goto('/');
    await page.getByRole('link', { name: 'Stacks' }).first().click();
    await expect(page).toHaveURL(/\/stacks$/);
    await page.getByRole('link', { name: 'New stack' }).click();
    await page.getByLabel('Name', { exact: true }).fill(STACK);

    // A schema error is marked at its line while typing, with the loader's message.
    await setCompose(page, broken);
    const errorLine = page.getByTestId('compose-error-line');
    await expect(errorLine).toHaveCount(1);
    await expect(errorLine).toHaveText('    stop_signal: [1]');
    await expect(errorLine).toHaveAttribute('title', /stop_signal/);
    await expect(page.getByTestId('compose-issue-marker')).toHaveCount(1);
    await expect(page.getByTestId('stack-issue')).toContainText('compose.yaml:5:');
    await expect(page.getByRole('button', { name: 'Deploy', exact: true })).toBeDisabled();

    // Fixed: the mark goes, the file is valid.
    await setCompose(page, good('hello'));
    await expect(page.getByTestId('validation-status')).toHaveAttribute('data-ok', 'true');
    await expect(errorLine).toHaveCount(0);
    await expect(page.getByTestId('validation-status')).toContainText('2 services');

    // Deploy: progress per service until web is healthy and worker (which waits for it) has started.
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await expect(page.locator('[data-testid="deploy-service"][data-service="web"]')).toBeVisible();
    await deployFinished(page, 1);
    const web = page.locator('[data-testid="deploy-service"][data-service="web"]');
    for (const step of ['image', 'create', 'start', 'healthy']) await expect(web.locator(`[data-step="${step}"]`)).toHaveAttribute('data-state', 'done');
    await expect(page.locator('[data-testid="deploy-service"][data-service="worker"] [data-step="start"]')).toHaveAttribute('data-state', 'done');
    await shot(page, info, 'stacks-deploy');

    // The stack page: running and healthy.
    await page.getByTestId('open-stack').click();
    await expect(page.getByRole('heading', { name: STACK })).toBeVisible();
    await expect(page.getByTestId('stack-summary')).toHaveAttribute('data-status', 'running');
    await expect(page.getByTestId('stack-summary').getByTestId('stack-containers')).toHaveText('2/2 running');
    await expect(page.getByTestId('stack-summary').locator('[data-health="healthy"]')).toHaveText('1 healthy');
    await expect(page.locator('[data-testid="stack-service"][data-service="web"] [data-testid="stack-container"]')).toHaveAttribute('data-health', 'healthy');

    // Merged logs: both services' lines, each tagged with its service; the filter narrows to one.
    await page.getByRole('tab', { name: 'Logs' }).click();
    const lines = page.getByTestId('stack-log-lines');
    await expect(lines.locator('[data-service="web"]').filter({ hasText: 'web-ready' })).toHaveCount(1);
    await expect(lines.locator('[data-service="worker"]').filter({ hasText: 'hello from' })).toHaveCount(1);
    await page.getByLabel('Search logs').fill('hello from');
    await expect(page.getByTestId('match-count')).toHaveText('1 of 1');
    await page.getByLabel('Show web').uncheck();
    await expect(lines.locator('[data-service="worker"]').first()).toBeVisible();
    await expect(lines.locator('[data-service="web"]')).toHaveCount(0);
    await shot(page, info, 'stacks-logs');

    // Scale worker to 3: three containers run, each linking to its page.
    await page.getByRole('tab', { name: 'Services' }).click();
    const worker = page.locator('[data-testid="stack-service"][data-service="worker"]');
    await page.getByLabel('Replicas of worker').fill('3');
    await worker.getByRole('button', { name: 'Scale' }).click();
    await expect(worker).toHaveAttribute('data-running', '3', { timeout: 60_000 });
    await expect(worker.locator('[data-testid="stack-container"] a')).toHaveCount(3);
    await expect(worker.locator('[data-testid="stack-container"] a').first()).toHaveAttribute('href', /^\/containers\/[0-9a-f]{64}$/);

    // Edit and redeploy: the plan says what will change before anything does.
    await page.getByRole('tab', { name: 'Edit' }).click();
    await setCompose(page, good('bonjour'));
    await expect(page.getByTestId('validation-status')).toHaveAttribute('data-ok', 'true');
    await expect(page.getByRole('button', { name: 'Apply and redeploy' })).toBeDisabled();
    await page.getByRole('button', { name: 'Review changes' }).click();
    await expect(page.getByTestId('stack-plan')).toBeVisible();
    await expect(page.locator('[data-testid="plan-service"][data-service="worker"]')).toHaveAttribute('data-action', 'recreate');
    await expect(page.locator('[data-testid="plan-service"][data-service="web"]')).toHaveAttribute('data-action', 'unchanged');
    await shot(page, info, 'stacks-plan');
    await page.getByRole('button', { name: 'Apply and redeploy' }).click();
    await deployFinished(page, 2);
    // web was left as it was (worker waited for its health again); worker was recreated.
    await expect(page.locator('[data-testid="deploy-service"][data-service="web"] [data-step="create"]')).toHaveAttribute('data-state', 'skipped');
    await expect(page.locator('[data-testid="deploy-service"][data-service="worker"] [data-step="create"]')).toHaveAttribute('data-state', 'done');

    // Roll back to version 1 (confirmed in the app's dialog): deployed again as version 3.
    await page.getByRole('tab', { name: 'History' }).click();
    await expect(page.getByTestId('stack-version')).toHaveCount(2);
    await page.locator('[data-testid="stack-version"][data-version="1"]').getByRole('button', { name: 'Roll back' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Roll back' }).click();
    await deployFinished(page, 3);
    await expect(page.getByTestId('stack-version')).toHaveCount(3);
    await expect(page.locator('[data-testid="stack-version"][data-version="3"]')).toHaveAttribute('data-result', 'deployed');
    await page.getByRole('tab', { name: 'Logs' }).click();
    await expect(page.getByTestId('stack-log-lines').locator('[data-service="worker"]').filter({ hasText: 'hello from' }).first()).toBeVisible();

    // Down, with volumes: no containers left; the stack (files and history) stays listed.
    await page.getByRole('button', { name: 'Down…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/Also remove its named volumes/).check();
    await dialog.getByRole('button', { name: 'Down' }).click();
    await expect(page.getByTestId('stack-summary')).toHaveAttribute('data-status', 'empty');
    await expect(page.getByTestId('stack-summary').getByTestId('stack-containers')).toHaveText('0/0 running');
    await page.goto('/stacks');
    await expect(page.locator(`[data-testid="stack-row"][data-stack="${STACK}"]`)).toHaveAttribute('data-status', 'empty');
  });

  test('viewers read a stack but see no control that changes it', async ({ page, browser, baseURL }) => {
    await signInAdmin(page);
    await ensureUser(page, baseURL!, VIEWER2, 'viewer');
    const viewer = await browser.newPage();
    await signIn(viewer, VIEWER2);
    await viewer.goto('/stacks');
    await expect(viewer.locator(`[data-testid="stack-row"][data-stack="${STACK}"]`)).toBeVisible();
    await expect(viewer.getByRole('link', { name: 'New stack' })).toHaveCount(0);
    await viewer.goto(`/stacks/${STACK}`);
    await expect(viewer.getByTestId('stack-summary')).toBeVisible();
    for (const name of ['Start', 'Stop', 'Restart', 'Down…', 'Remove…']) await expect(viewer.getByRole('button', { name, exact: true })).toHaveCount(0);
    await viewer.getByRole('tab', { name: 'Files' }).click();
    await expect(viewer.getByTestId('compose-editor').locator('.cm-content')).toHaveAttribute('contenteditable', 'false');
    await expect(viewer.getByRole('button', { name: 'Review changes' })).toHaveCount(0);
    await viewer.getByRole('tab', { name: 'History' }).click();
    await expect(viewer.getByTestId('stack-version')).toHaveCount(3);
    await expect(viewer.getByRole('button', { name: 'Roll back' })).toHaveCount(0);
    await viewer.close();
  });
});
