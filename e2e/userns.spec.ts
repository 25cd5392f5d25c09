// Issue 19's dashboard: the Settings page sets the default user-namespace mode, the create form's
// per-container choice (Docker's --userns=host, Podman's auto) reaches the engine, and the container page
// says which host uid its root is, checked against the real process on the host.
import fs from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { signIn } from './support/accounts';
import { ensureUser, removeContainer, signInAdmin, VIEWER2 } from './support/berth';
import { trpcQuery } from './support/layer-images';

const stamp = Date.now().toString(36);

test.afterAll(async ({ browser, baseURL }) => {
  const page = await browser.newPage();
  await signInAdmin(page);
  const list = await trpcQuery<{ Id: string; Names: string[] }[]>(page.request, 'containers.list', { all: true });
  for (const c of list.filter((x) => x.Names.some((n) => n.includes(stamp)))) await removeContainer(page.request, baseURL!, c.Id);
  await page.close();
});

/** The host uid a process runs as (the real uid, from /proc/<pid>/status). */
function hostUid(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'))!;
  return Number(line.split(/\s+/)[1]);
}

async function createFromForm(page: Page, name: string, userns: '' | 'host' | 'auto'): Promise<string> {
  await page.goto('/containers/new?image=busybox:latest');
  const form = page.getByRole('form', { name: 'Create container' });
  await form.locator('input[name="name"]').fill(name);
  await form.locator('input[name="command"]').fill('sleep 600');
  await form.locator('input[name="network"]').fill('none');
  await form.getByLabel('User namespace').selectOption(userns);
  await form.getByRole('button', { name: 'Create and start' }).click();
  await expect(page).toHaveURL(/\/containers\/[0-9a-f]{64}/);
  await expect(page.getByRole('heading', { name }).getByTestId('state-badge')).toHaveText('running');
  return page.url().split('/containers/')[1]!.split('?')[0]!;
}

test('the settings page sets the default mode; viewers see it read-only', async ({ page, browser, baseURL }) => {
  test.setTimeout(120_000);
  await signInAdmin(page);
  await page.goto('/settings/userns');
  const state = page.getByTestId('userns-state');
  await expect(state).toContainText('The default is');
  const before = (await state.locator('strong').textContent())!;
  await page.getByRole('button', { name: 'Auto', exact: true }).click();
  await expect(state.locator('strong')).toHaveText('auto');
  await page.reload();
  await expect(page.getByTestId('userns-state').locator('strong')).toHaveText('auto');
  await page.getByRole('button', { name: 'Remap', exact: true }).click();
  await expect(page.getByTestId('userns-state').locator('strong')).toHaveText('remap');
  // Back to what it was: the engine reads the setting at its next start only.
  await page.getByRole('button', { name: before[0]!.toUpperCase() + before.slice(1), exact: true }).click();
  await expect(page.getByTestId('userns-state').locator('strong')).toHaveText(before);

  await ensureUser(page, baseURL!, VIEWER2, 'viewer');
  const ctx = await browser.newContext();
  const viewer = await ctx.newPage();
  await signIn(viewer, VIEWER2);
  await viewer.goto('/settings/userns');
  await expect(viewer.getByTestId('userns-state').locator('strong')).toHaveText(before);
  await expect(viewer.getByRole('button', { name: 'Auto', exact: true })).toHaveCount(0);
  await expect(viewer.getByTestId('role-notice')).toHaveText('Changing it needs the admin role.');
  await ctx.close();
});

test('the create form’s user namespace: auto maps root to a host range, host keeps the host’s root', async ({ page }) => {
  test.setTimeout(120_000);
  await signInAdmin(page);

  const auto = await createFromForm(page, `userns-auto-${stamp}`, 'auto');
  const row = page.getByTestId('container-userns');
  await expect(row).toHaveText(/^root in the container is uid \d+ on the host$/);
  const mapped = Number(/uid (\d+)/.exec((await row.textContent())!)![1]);
  expect(mapped).toBeGreaterThan(0);
  const a = await trpcQuery<{ State: { Pid: number }; HostConfig: { UsernsMode: string } }>(page.request, 'containers.inspect', { id: auto });
  expect(a.HostConfig.UsernsMode).toBe('auto');
  // The page's claim, checked on the host: the container's root process runs as that uid.
  expect(hostUid(a.State.Pid)).toBe(mapped);

  const second = await createFromForm(page, `userns-auto2-${stamp}`, 'auto');
  const other = Number(/uid (\d+)/.exec((await page.getByTestId('container-userns').textContent())!)![1]);
  expect(Math.abs(other - mapped)).toBeGreaterThanOrEqual(65536);
  const b = await trpcQuery<{ State: { Pid: number } }>(page.request, 'containers.inspect', { id: second });
  expect(hostUid(b.State.Pid)).toBe(other);

  const host = await createFromForm(page, `userns-host-${stamp}`, 'host');
  await expect(page.getByTestId('container-userns')).toHaveText('none: root in the container is root on the host');
  const h = await trpcQuery<{ State: { Pid: number }; HostConfig: { UsernsMode: string } }>(page.request, 'containers.inspect', { id: host });
  expect(h.HostConfig.UsernsMode).toBe('host');
  expect(hostUid(h.State.Pid)).toBe(0);

  // Duplicate keeps the choice in the form.
  await page.goto(`/containers/new?from=${auto}&mode=duplicate`);
  await expect(page.getByRole('form', { name: 'Create container' }).getByLabel('User namespace')).toHaveValue('auto');
});
