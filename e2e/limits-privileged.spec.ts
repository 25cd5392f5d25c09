// Issue 21's last items: "Apply limits" answers at once even while the container restarts, with the
// engine's refusals beside their fields; the create form's privileged option (admins only); and role
// notices that never flash for a user who has the role while the role loads.
import fs from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { signIn, trpcMutation } from './support/accounts';
import { createContainer, ensureUser, OPERATOR, removeContainer, shot, signInAdmin } from './support/berth';
import { trpcQuery } from './support/layer-images';

const stamp = Date.now().toString(36);

test.afterAll(async ({ browser, baseURL }) => {
  const page = await browser.newPage();
  await signInAdmin(page);
  const list = await trpcQuery<{ Id: string; Names: string[] }[]>(page.request, 'containers.list', { all: true });
  for (const c of list.filter((x) => x.Names.some((n) => n.includes(stamp)))) await removeContainer(page.request, baseURL!, c.Id);
  await page.close();
});

/** The Field (label, input, hint or errors) around a limits input. */
const fieldOf = (page: Page, name: string) => page.getByRole('form', { name: 'Limits' }).locator(`input[name="${name}"]`).locator('xpath=ancestor::label/..');

test('Apply limits answers while the container restarts, and refusals show at their field in the engine’s words', async ({ page, baseURL }, info) => {
  test.setTimeout(120_000);
  await signInAdmin(page);
  // sh as pid 1 ignores SIGTERM, so a restart spends its whole 10 s grace period stopping.
  const id = await createContainer(page.request, baseURL!, { name: `limits-${stamp}`, command: 'sh -c "while :; do sleep 1; done"', memory: '64m' });
  await page.goto(`/containers/${id}`);
  const limits = page.getByRole('form', { name: 'Limits' });
  await expect(limits.getByText('now 64.0 MiB')).toBeVisible();

  await page.getByRole('button', { name: 'Restart' }).click();
  await expect(page.getByRole('button', { name: 'Restart' })).toBeDisabled();
  await limits.locator('input[name="memory"]').fill('96m');
  await limits.getByRole('button', { name: 'Apply limits' }).click();
  await expect(limits.getByTestId('limits-result')).toHaveText('Limits applied to the running container.');
  await expect(limits.getByText('now 96.0 MiB')).toBeVisible();
  // The update did not queue behind the restart: that is still stopping the old process.
  await expect(page.getByRole('button', { name: 'Restart' })).toBeDisabled();
  await shot(page, info, 'limits-during-restart');
  await expect(page.getByRole('button', { name: 'Restart' })).toBeEnabled({ timeout: 30_000 });
  const after = await trpcQuery<{ HostConfig: { Memory: number } }>(page.request, 'containers.inspect', { id });
  expect(after.HostConfig.Memory).toBe(96 * 1024 * 1024);

  // Impossible limits: the engine's refusal, beside the field it is about.
  await limits.locator('input[name="memory"]').fill('4m');
  await limits.getByRole('button', { name: 'Apply limits' }).click();
  await expect(fieldOf(page, 'memory').getByRole('alert')).toHaveText('Minimum memory limit allowed is 6MB');
  const ncpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s/gm) ?? []).length;
  await limits.locator('input[name="memory"]').fill('');
  await limits.locator('input[name="cpus"]').fill(String(ncpu + 62));
  await limits.getByRole('button', { name: 'Apply limits' }).click();
  await expect(fieldOf(page, 'cpus').getByRole('alert')).toContainText(`Range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`);
  await expect(fieldOf(page, 'memory').getByRole('alert')).toHaveCount(0);
  await shot(page, info, 'limits-field-errors');
});

test('a memory limit below what the container uses is refused at the field, in runc’s words', async ({ page, baseURL }) => {
  test.skip(!fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes'), 'cgroup v1: on v2 the kernel reclaims or OOM-kills instead of refusing');
  test.setTimeout(90_000);
  await signInAdmin(page);
  // 40 MiB in /dev/shm: tmpfs pages are charged to the container and cannot be reclaimed without swap.
  const id = await createContainer(page.request, baseURL!, { name: `hog-${stamp}`, command: `sh -c 'head -c 41943040 /dev/zero > /dev/shm/hog && echo hog-ready; sleep 600'`, memory: '256m' });
  await page.goto(`/containers/${id}?tab=logs`);
  await expect(page.getByText('hog-ready').first()).toBeVisible({ timeout: 30_000 });
  await page.goto(`/containers/${id}`);
  const limits = page.getByRole('form', { name: 'Limits' });
  await limits.locator('input[name="memory"]').fill('10m');
  await limits.getByRole('button', { name: 'Apply limits' }).click();
  await expect(fieldOf(page, 'memory').getByRole('alert')).toContainText(/unable to set memory limit to 10485760 \(current usage: \d+, peak usage: \d+\)/);
  const c = await trpcQuery<{ HostConfig: { Memory: number }; State: { Running: boolean } }>(page.request, 'containers.inspect', { id });
  expect(c.HostConfig.Memory).toBe(256 * 1024 * 1024);
  expect(c.State.Running).toBe(true);
});

test('the create form offers privileged mode to admins only, and it reaches the container', async ({ page, browser, baseURL }) => {
  test.setTimeout(90_000);
  await signInAdmin(page);
  await ensureUser(page, baseURL!, OPERATOR, 'operator');
  await page.goto('/containers/new?image=busybox:latest');
  const form = page.getByRole('form', { name: 'Create container' });
  await form.locator('input[name="name"]').fill(`priv-${stamp}`);
  await form.locator('input[name="command"]').fill('sleep 600');
  await form.locator('input[name="network"]').fill('none');
  await form.getByLabel('Privileged mode (--privileged)').check();
  await form.getByRole('button', { name: 'Create and start' }).click();
  await expect(page).toHaveURL(/\/containers\/[0-9a-f]{64}/);
  const id = page.url().split('/containers/')[1]!.split('?')[0]!;
  const c = await trpcQuery<{ HostConfig: { Privileged: boolean } }>(page.request, 'containers.inspect', { id });
  expect(c.HostConfig.Privileged).toBe(true);

  // An operator's form has no such box (the server refuses it to them anyway).
  const ctx = await browser.newContext();
  const op = await ctx.newPage();
  await signIn(op, OPERATOR);
  await op.goto('/containers/new?image=busybox:latest');
  await expect(op.getByRole('form', { name: 'Create container' }).locator('input[name="command"]')).toBeVisible();
  await expect(op.getByLabel('Privileged mode (--privileged)')).toHaveCount(0);
  const refused = await trpcMutation(op.request, baseURL!, 'containers.create', { image: 'busybox:latest', name: `priv-op-${stamp}`, command: 'true', network: 'none', privileged: true });
  expect(refused.status()).toBe(403);
  await ctx.close();
});

/** Records whether a role notice was ever in the DOM, from the first byte of each page on. */
async function watchNotices(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __roleNoticeSeen?: string[] };
    w.__roleNoticeSeen = [];
    new MutationObserver(() => {
      const n = document.querySelector('[data-testid="role-notice"]');
      const text = document.body?.innerText ?? '';
      const m = /needs? the (admin|operator) role/.exec(text);
      if (n || m) w.__roleNoticeSeen!.push(n?.textContent ?? m![0]);
    }).observe(document, { childList: true, subtree: true, characterData: true });
  });
}
/** Chromium aborts a navigation with ERR_NETWORK_CHANGED when another process adds a veth or bridge. */
async function goto(page: Page, url: string): Promise<void> {
  try {
    await page.goto(url);
  } catch (e) {
    if (!/ERR_NETWORK_CHANGED/.test((e as Error).message)) throw e;
    await page.goto(url);
  }
}
const seenNotices = (page: Page) => page.evaluate(() => (window as unknown as { __roleNoticeSeen?: string[] }).__roleNoticeSeen ?? []);

const GATED: { path: string; ready: string; notice: string; need: 'admin' | 'operator' }[] = [
  { path: '/settings/defaults', ready: 'Defaults for new containers', notice: 'Changing defaults needs the admin role.', need: 'admin' },
  { path: '/settings/outbound', ready: 'Outbound network access', notice: 'Changing it needs the admin role.', need: 'admin' },
  { path: '/settings/userns', ready: 'User namespaces', notice: 'Changing it needs the admin role.', need: 'admin' },
  { path: '/settings/registries', ready: 'Registries', notice: 'Adding registry logins needs the admin role.', need: 'admin' },
  { path: '/stacks/new', ready: 'New stack', notice: 'Deploying a stack needs the operator role.', need: 'operator' },
];

test('role notices: never shown, even for a moment, to a user who has the role; shown once the role is known otherwise', async ({ page, browser, baseURL }) => {
  test.setTimeout(120_000);
  await signInAdmin(page);
  await ensureUser(page, baseURL!, OPERATOR, 'operator');
  // Slow auth.me down (the real server still answers it) so the window before the role is known is wide.
  const slowMe = async (p: Page) =>
    p.route(/\/api\/trpc\/[^?]*auth\.me/, async (route) => {
      await new Promise((r) => setTimeout(r, 800));
      await route.continue();
    });
  await watchNotices(page);
  await slowMe(page);
  for (const g of GATED) {
    await goto(page, g.path);
    await expect(page.getByRole('heading', { name: g.ready, exact: true }).first()).toBeVisible();
    await expect(page.getByTestId('current-user')).toHaveText('admin');
    expect(await seenNotices(page), `${g.path} for an admin`).toEqual([]);
  }

  const ctx = await browser.newContext();
  const op = await ctx.newPage();
  await signIn(op, OPERATOR);
  await slowMe(op);
  for (const g of GATED) {
    await goto(op, g.path);
    if (g.need === 'admin') await expect(op.getByTestId('role-notice')).toHaveText(g.notice);
    else await expect(op.getByTestId('role-notice')).toHaveCount(0);
  }
  await ctx.close();
});
