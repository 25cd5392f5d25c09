import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { trpcMutation } from './support/accounts';
import { createContainer, removeContainer, shot, signInAdmin } from './support/berth';

const stamp = Date.now().toString(36);

test.describe.serial('logs search and alerts', () => {
  const ids: string[] = [];
  let receiver: http.Server;
  const hooks: string[] = [];

  test.beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hooks.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  });

  test.afterAll(async ({ browser, baseURL }) => {
    receiver.close();
    const page = await browser.newPage();
    await signInAdmin(page);
    for (const id of ids) await removeContainer(page.request, baseURL!, id);
    await page.close();
  });

  test('the Logs page finds a line across containers, removed ones included, and shows its context', async ({ page, baseURL }, info) => {
    await signInAdmin(page);
    const id = await createContainer(page.request, baseURL!, {
      name: `searchme-${stamp}`,
      command: `sh -c 'echo before-1; echo "{\\"level\\":\\"error\\",\\"msg\\":\\"needle-${stamp} timeout\\"}"; echo after-1; sleep 1'`,
    });
    await new Promise((r) => setTimeout(r, 2000));
    await removeContainer(page.request, baseURL!, id);
    await page.goto('/logs');
    await expect(page.getByRole('link', { name: 'Logs' })).toBeVisible();
    await page.getByLabel('Search logs').fill(`level=error needle-${stamp}`);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const hit = page.getByTestId('log-hit').filter({ hasText: `needle-${stamp}` });
    await expect(hit).toHaveCount(1, { timeout: 20_000 });
    await expect(hit).toContainText('(removed)');
    await expect(page.getByTestId('logs-histogram')).toBeVisible();
    await hit.click();
    const ctx = page.getByTestId('logs-context');
    await expect(ctx.getByText('before-1')).toBeVisible();
    await expect(ctx.getByText('after-1')).toBeVisible();
    await shot(page, info, 'logs-search-page');
    // A regex that needs backtracking is refused with a message.
    await page.getByLabel('Regex').check();
    await page.getByLabel('Search logs').fill('(a)\\1');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect(page.getByText(/needs backtracking/)).toBeVisible();
  });

  test('live tail shows new lines of a running container', async ({ page, baseURL }) => {
    await signInAdmin(page);
    await page.goto('/logs');
    await page.getByRole('button', { name: 'Live tail' }).click();
    const id = await createContainer(page.request, baseURL!, { name: `tailme-${stamp}`, command: `sh -c 'i=0; while true; do i=$((i+1)); echo "tail-${stamp} $i"; sleep 0.3; done'` });
    ids.push(id);
    await expect(page.getByTestId('logs-tail').getByText(`tail-${stamp} 3`, { exact: false })).toBeVisible({ timeout: 20_000 });
  });

  test('an alert rings the bell and lands in the history and the webhook', async ({ page, baseURL }, info) => {
    await signInAdmin(page);
    const port = (receiver.address() as AddressInfo).port;
    const ch = await trpcMutation(page.request, baseURL!, 'alerts.channels.create', { name: `hook-${stamp}`, type: 'webhook', url: `http://127.0.0.1:${port}/hook` });
    expect(ch.status()).toBe(200);
    const channelId = (await ch.json()).result.data.json.id as string;
    const rule = await trpcMutation(page.request, baseURL!, 'alerts.rules.create', { name: `crash-${stamp}`, kind: 'died', channelIds: [channelId], scope: { type: 'container', name: `crashy-${stamp}` } });
    expect(rule.status()).toBe(200);
    const polls: string[] = [];
    page.on('request', (r) => {
      if (/alerts\.(history|rules\.list)/.test(r.url())) polls.push(r.url());
    });
    await page.goto('/alerts');
    await expect(page.getByTestId('alert-rules')).toContainText(`crash-${stamp}`);
    // No polling: with nothing happening, history and rules are not fetched again (they were every 5 s).
    const loaded = polls.length;
    await page.waitForTimeout(6500);
    expect(polls.length).toBe(loaded);
    const id = await createContainer(page.request, baseURL!, { name: `crashy-${stamp}`, command: `sh -c 'exit 7'` });
    ids.push(id);
    await expect(page.getByTestId('alert-bell-count')).toBeVisible({ timeout: 20_000 });
    await page.getByTestId('alert-bell').click();
    await expect(page.getByTestId('alert-bell-menu')).toContainText(`crashy-${stamp}`);
    await expect(page.getByTestId('alerts-history')).toContainText('exited with code 7');
    await shot(page, info, 'alerts-page');
    expect(hooks.some((h) => h.includes(`crashy-${stamp}`))).toBe(true);
    await page.getByRole('button', { name: 'Mark read' }).click();
    await expect(page.getByTestId('alert-bell-count')).toHaveCount(0);
  });
});
