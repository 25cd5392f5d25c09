// Dashboard part 3 (issue 21): the "Wrong" list, layer inspector links and compare, the app's own
// confirmations, remove with anonymous volumes, edit/duplicate/recreate, keyboard help, log loading
// progress, the favicon and the narrow layout.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import Docker from 'dockerode';
import { signIn, trpcMutation } from './support/accounts';
import { createContainer, ensureUser, removeContainer, shot, signInAdmin, VIEWER2 } from './support/berth';
import { commitImage, trpcQuery } from './support/layer-images';
import { registryAvailable, seedImage, startRegistry } from './support/registry';

const stamp = Date.now().toString(36);
const made: string[] = [];

test.afterAll(async ({ browser, baseURL }) => {
  const page = await browser.newPage();
  await signInAdmin(page);
  const list = await trpcQuery<{ Id: string; Names: string[] }[]>(page.request, 'containers.list', { all: true });
  for (const c of list.filter((x) => x.Names.some((n) => n.includes(stamp)))) await removeContainer(page.request, baseURL!, c.Id);
  for (const id of made) await removeContainer(page.request, baseURL!, id);
  await trpcMutation(page.request, baseURL!, 'images.remove', { ref: `second-tag-${stamp}:v1`, force: false });
  await trpcMutation(page.request, baseURL!, 'images.remove', { ref: `cmp-${stamp}:1`, force: true });
  await page.close();
});

async function openTab(page: Page, id: string, tab: string): Promise<void> {
  await page.goto(`/containers/${id}?tab=${tab}`);
  await expect(page.getByRole('tab', { name: tab })).toHaveAttribute('aria-selected', 'true');
}

test('favicon, keyboard help, and the layer inspector reached from images, containers and the sidebar', async ({ page, baseURL }, info) => {
  test.setTimeout(120_000);
  const icon = await page.request.get('/favicon.ico');
  expect(icon.status()).toBe(200);
  expect(icon.headers()['content-type']).toContain('image/');
  await signInAdmin(page);

  // `?` lists every shortcut; Escape closes it; the listed g-keys work.
  await page.goto('/');
  await page.locator('body').click({ position: { x: 5, y: 700 } });
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toBeVisible();
  for (const text of ['Focus the page’s search box', 'Go to Containers', 'Go to Layers', 'Go to Audit', 'Terminal: copy the selection']) await expect(help.getByText(text)).toBeVisible();
  await shot(page, info, 'keyboard-help');
  await page.keyboard.press('Escape');
  await expect(help).toHaveCount(0);
  await page.keyboard.press('g');
  await page.keyboard.press('l');
  await expect(page).toHaveURL(/\/layers\/compare$/);

  // The sidebar's Layers item opens the picker; one image inspects, two compare.
  await page.goto('/');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Layers' }).click();
  const form = page.getByRole('form', { name: 'Compare images' });
  await form.getByLabel('Image A').selectOption('busybox:latest');
  await form.getByRole('button', { name: 'Inspect' }).click();
  await expect(page).toHaveURL(/\/layers\/busybox%3Alatest$/);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Layers' })).toHaveAttribute('aria-current', 'page');

  // A second tag, so two images can be ticked (and the row shows two tags without collision).
  const second = `second-tag-${stamp}:v1`;
  const tag = await trpcMutation(page.request, baseURL!, 'images.tag', { ref: 'busybox:latest', repo: `second-tag-${stamp}`, tag: 'v1' });
  expect(tag.status()).toBe(200);
  await page.goto('/images');
  const row = page.locator('[data-testid="image-row"][data-tags~="busybox:latest"]');
  await expect(row).toHaveAttribute('data-tags', new RegExp(second.replace(/[.:]/g, '\\$&')));
  const [t1, t2] = await row.getByRole('link', { name: /busybox:latest/ }).locator('span').all();
  const [b1, b2] = [await t1!.boundingBox(), await t2!.boundingBox()];
  expect(b2!.y, 'second tag on its own line').toBeGreaterThanOrEqual(b1!.y + b1!.height - 1);
  await expect(row.getByRole('link', { name: 'Layers', exact: true })).toHaveAttribute('href', '/layers/busybox%3Alatest');

  // Tick two images → Compare layers.
  const other = `cmp-${stamp}:1`;
  await commitImage(page.request, baseURL!, 'busybox:latest', `sh -c 'echo hi > /hi'`, other);
  await page.goto('/images');
  await row.getByRole('checkbox').check();
  await page.locator(`[data-testid="image-row"][data-tags~="${other}"]`).getByRole('checkbox').check();
  await expect(page.getByTestId("compare-bar")).toContainText(`with ${other}`);
  await page.getByRole('link', { name: 'Compare layers' }).click();
  await expect(page).toHaveURL(/\/layers\/compare\?a=.+&b=.+/);
  await expect(page.getByTestId('compare-split')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('compare-totals')).toBeVisible({ timeout: 30_000 });

  // The image page: a Layers action, and labelled bars that link on to the inspector.
  await page.goto('/images');
  await row.getByRole('link', { name: /busybox:latest/ }).click();
  await page.getByRole('tab', { name: 'layers' }).click();
  await expect(page.getByTestId('layer-bar-label').first()).not.toBeEmpty();
  await page.getByRole('link', { name: 'Open in the layer inspector →' }).click();
  await expect(page).toHaveURL(/\/layers\//);

  // Containers: the image column and the Overview link to the image's layers.
  const id = await createContainer(page.request, baseURL!, { name: `lyr-${stamp}`, command: 'sleep 3600' });
  made.push(id);
  await page.goto('/containers');
  await expect(page.getByTestId(`container-row-lyr-${stamp}`).getByRole('link', { name: 'busybox:latest' })).toHaveAttribute('href', '/layers/busybox%3Alatest');
  await openTab(page, id, 'overview');
  await page.getByRole('link', { name: 'layers', exact: true }).click();
  await expect(page).toHaveURL(/\/layers\/busybox%3Alatest$/);
});

test('the Wrong list: quoting, sizes, one error per field, paused terminal, processes, events search, plurals, chart ticks', async ({ page, baseURL }, info) => {
  test.setTimeout(120_000);
  await signInAdmin(page);

  // The create form: clear button names, one message for an invalid memory value.
  await page.goto('/containers/new?image=busybox:latest');
  const form = page.getByRole('form', { name: 'Create container' });
  await expect(form.getByRole('button', { name: 'Add device read limit' })).toBeVisible();
  await expect(form.getByRole('button', { name: 'Add device write limit' })).toBeVisible();
  await expect(form.getByRole('button', { name: /bp$/ })).toHaveCount(0);
  await form.locator('input[name="memory"]').fill('lots');
  await form.getByRole('button', { name: 'Create and start' }).click();
  const memoryField = form.locator('div.space-y-1', { has: page.locator('input[name="memory"]') });
  await expect(memoryField.getByRole('alert')).toHaveCount(1);
  await expect(memoryField.getByRole('alert')).toHaveText('Memory: use a size such as 64m, 1g or 512k.');

  // Commands keep their quoting; Copy docker run says 64m.
  const name = `quote-${stamp}`;
  const id = await createContainer(page.request, baseURL!, { name, command: `sh -c 'echo one line; exec sleep 3600'`, memory: '64m' });
  made.push(id);
  await openTab(page, id, 'overview');
  await expect(page.getByTestId('container-command')).toHaveText(`sh -c 'echo one line; exec sleep 3600'`);
  await page.goto('/containers');
  await page.getByLabel('Search containers').fill(name);
  await page.getByRole('button', { name: `Copy docker run for ${name}` }).click();
  await expect(page.getByTestId('docker-run')).toContainText('--memory 64m ');

  // One log line reads "1 line".
  await openTab(page, id, 'logs');
  await expect(page.getByTestId('line-count')).toHaveText('1 line');

  // Processes: UID and PID never wrap.
  await openTab(page, id, 'processes');
  const cell = page.getByTestId('processes').locator('tbody tr').first().locator('td').first();
  await expect(cell).toHaveCSS('white-space', 'nowrap');

  // Stats: no tick label twice on an axis.
  await openTab(page, id, 'stats');
  const charts = page.locator('[data-yticks]');
  await expect(charts.first()).toBeVisible({ timeout: 15_000 });
  await expect.poll(async () => (await charts.count()) > 0, { timeout: 15_000 }).toBe(true);
  await page.waitForTimeout(3000);
  for (const el of await charts.all()) {
    const ticks = ((await el.getAttribute('data-yticks')) ?? '').split('|').filter(Boolean);
    expect(new Set(ticks).size, ticks.join(', ')).toBe(ticks.length);
  }

  // A paused container's terminal says it is paused; its processes still show.
  expect((await trpcMutation(page.request, baseURL!, 'containers.pause', { id })).status()).toBe(200);
  await openTab(page, id, 'terminal');
  await expect(page.getByText('This container is paused. Unpause it to open a terminal.')).toBeVisible();
  await openTab(page, id, 'processes');
  await expect(page.getByTestId('processes')).toBeVisible();
  await trpcMutation(page.request, baseURL!, 'containers.unpause', { id });

  // Events: a search that matches nothing says so, not "No events yet".
  await page.goto('/events');
  await expect(page.getByTestId('events-table')).toBeVisible({ timeout: 15_000 });
  await page.getByLabel('Search events').fill(`no-such-thing-${stamp}`);
  await expect(page.getByTestId('events-no-match')).toContainText('Nothing matches');
  await expect(page.getByTestId('events-empty')).toHaveCount(0);
  await shot(page, info, 'events-no-match');
});

/** Berth's Engine API socket, as the docker CLI reaches it: for what the form cannot make (an anonymous volume). */
function engineApi(): Docker {
  return new Docker({ socketPath: path.join(process.env.BERTH_E2E_RUN!, 'berth.sock') });
}

/** Like `docker run -d -v /data --memory 64m busybox sleep 3600`: /data is an anonymous volume. */
async function withAnonymousVolume(name: string): Promise<{ id: string; volume: string }> {
  const c = await engineApi().createContainer({ name, Image: 'busybox:latest', Cmd: ['sleep', '3600'], Volumes: { '/data': {} }, HostConfig: { NetworkMode: 'none', Memory: 64 * 1024 * 1024 } });
  await c.start();
  const info = await c.inspect();
  const volume = info.Mounts.find((m) => m.Destination === '/data')?.Name ?? '';
  expect(volume).toMatch(/^[0-9a-f]{64}$/);
  return { id: c.id, volume };
}

const volumeNames = async () => ((await engineApi().listVolumes()).Volumes ?? []).map((v) => v.Name);

test('remove in the app’s own dialog, with anonymous volumes; edit and recreate keeps the name and volume; duplicate', async ({ page, baseURL }, info) => {
  test.setTimeout(120_000);
  await signInAdmin(page);
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  const name = `edit-${stamp}`;
  const { id, volume } = await withAnonymousVolume(name);
  made.push(id);

  // Edit: the form is prefilled from the container; Recreate replaces it under the same name.
  await openTab(page, id, 'overview');
  await page.getByRole('link', { name: 'Edit', exact: true }).click();
  await expect(page.getByRole('heading', { name: `Edit ${name}` })).toBeVisible();
  const form = page.getByRole('form', { name: 'Create container' });
  await expect(form.locator('input[name="name"]')).toHaveValue(name);
  await expect(form.locator('input[name="command"]')).toHaveValue('sleep 3600');
  await expect(form.locator('input[name="memory"]')).toHaveValue('64m');
  await form.locator('input[name="memory"]').fill('96m');
  await form.getByRole('button', { name: 'Add environment variable' }).click();
  await form.getByLabel('Name', { exact: true }).last().fill('EDITED');
  await form.getByLabel('Value', { exact: true }).fill('yes');
  await form.getByRole('button', { name: 'Recreate' }).click();
  const confirm = page.getByRole('dialog', { name: `Recreate ${name}?` });
  await confirm.getByRole('button', { name: 'Recreate' }).click();
  // `sleep` as PID 1 ignores SIGTERM, so stopping the old one takes Docker's 10 s grace period.
  await expect(page).toHaveURL(/\/containers\/[0-9a-f]{64}/, { timeout: 30_000 });
  const newId = page.url().split('/containers/')[1]!.split('?')[0]!;
  expect(newId).not.toBe(id);
  made.push(newId);
  await expect(page.getByRole('heading', { name })).toBeVisible();
  await expect(page.getByRole('heading', { name }).getByTestId('state-badge')).toHaveText('running');
  const inspected = await engineApi().getContainer(newId).inspect();
  expect(inspected.Name).toBe(`/${name}`);
  expect(inspected.HostConfig.Memory).toBe(96 * 1024 * 1024);
  expect(inspected.Config.Env).toContain('EDITED=yes');
  // The anonymous volume (its data) went with it.
  expect(inspected.Mounts.find((m) => m.Destination === '/data')?.Name).toBe(volume);
  expect((await engineApi().listContainers({ all: true })).map((c) => c.Id)).not.toContain(id);

  // Duplicate: same settings, a name of its own.
  await page.getByRole('link', { name: 'Duplicate', exact: true }).click();
  await expect(page.getByRole('heading', { name: `Duplicate ${name}` })).toBeVisible();
  await expect(form.locator('input[name="name"]')).toHaveValue('');
  await expect(form.locator('input[name="memory"]')).toHaveValue('96m');
  await form.locator('input[name="name"]').fill(`${name}-copy`);
  await form.getByRole('button', { name: 'Create and start' }).click();
  await expect(page.getByRole('heading', { name: `${name}-copy` })).toBeVisible();
  made.push(page.url().split('/containers/')[1]!.split('?')[0]!);

  // Remove with its anonymous volume, from the detail page.
  const anon = await withAnonymousVolume(`anon-${stamp}`);
  made.push(anon.id);
  await openTab(page, anon.id, 'overview');
  await page.getByRole('button', { name: 'Remove', exact: true }).click();
  const rm = page.getByRole('dialog', { name: `Remove anon-${stamp}?` });
  await expect(rm.getByText('It is running and will be killed.')).toBeVisible();
  await rm.getByLabel('Also remove anonymous volumes (1)').check();
  await shot(page, info, 'remove-dialog');
  await rm.getByRole('button', { name: 'Remove' }).click();
  await expect(page).toHaveURL(/\/containers$/);
  await expect(page.getByTestId(`container-row-anon-${stamp}`)).toHaveCount(0);
  await expect.poll(volumeNames).not.toContain(anon.volume);

  // Bulk remove asks in the same dialog; Cancel keeps them; without the box the volume stays.
  const keep = await withAnonymousVolume(`keep-${stamp}`);
  made.push(keep.id);
  await page.getByLabel('Search containers').fill(`keep-${stamp}`);
  await page.getByLabel(`Select keep-${stamp}`).check();
  const bulkRemove = page.getByRole('group', { name: 'Bulk actions' }).getByRole('button', { name: 'Remove' });
  await bulkRemove.click();
  const bulk = page.getByRole('dialog', { name: `Remove keep-${stamp}?` });
  await bulk.getByRole('button', { name: 'Cancel' }).click();
  await expect(bulk).toHaveCount(0);
  await expect(page.getByTestId(`container-row-keep-${stamp}`)).toBeVisible();
  await bulkRemove.click();
  await bulk.getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByTestId(`container-row-keep-${stamp}`)).toHaveCount(0, { timeout: 20_000 });
  expect(await volumeNames()).toContain(keep.volume);
  await engineApi().getVolume(keep.volume).remove();
  expect(dialogs, 'no browser confirm() was used').toBe(0);
});

test('endpoints: no role flash for an admin; an unreachable endpoint shows its cause; its Layers page explains at once', async ({ page, baseURL }) => {
  test.setTimeout(90_000);
  await signInAdmin(page);
  // Record whether the refusal text ever shows while the page loads.
  await page.addInitScript(() => {
    const w = window as unknown as { __sawRefusal: boolean };
    w.__sawRefusal = false;
    new MutationObserver(() => {
      if (document.body?.innerText.includes('Managing endpoints needs the admin role.')) w.__sawRefusal = true;
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await page.goto('/settings/endpoints');
  await expect(page.getByRole('form', { name: 'Add endpoint' })).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __sawRefusal: boolean }).__sawRefusal)).toBe(false);

  const created = await trpcMutation(page.request, baseURL!, 'endpoints.create', { name: `gone-${stamp}`, url: `unix:///run/berth-e2e-no-such-${stamp}.sock` });
  const endpoint = (await created.json()).result.data.json as { id: string };
  try {
    await trpcMutation(page.request, baseURL!, 'endpoints.select', { id: endpoint.id });
    await page.goto('/events');
    const alert = page.getByRole('alert').filter({ hasText: 'ENOENT' });
    await expect(alert).toBeVisible({ timeout: 15_000 });
    await page.waitForTimeout(2500);
    await expect(page.getByText('Unknown error')).toHaveCount(0);
    await expect(alert).toBeVisible();

    // A query refused with 412 is not retried: the explanation comes at once.
    const t0 = Date.now();
    await page.goto('/layers/busybox%3Alatest');
    await expect(page.getByRole('alert').first()).toBeVisible({ timeout: 10_000 });
    expect(Date.now() - t0).toBeLessThan(2500);
  } finally {
    await trpcMutation(page.request, baseURL!, 'endpoints.select', { id: 'local' });
    await trpcMutation(page.request, baseURL!, 'endpoints.remove', { id: endpoint.id });
  }
});

test('viewers: the 403 page keeps the sidebar; the audit log shows only their own entries', async ({ page, baseURL }) => {
  await signInAdmin(page);
  await ensureUser(page, baseURL!, VIEWER2, 'viewer');
  await page.context().clearCookies();
  await signIn(page, VIEWER2);
  await page.goto('/settings/users');
  await expect(page).toHaveURL(/\/forbidden\?need=admin/);
  await expect(page.getByTestId('forbidden')).toContainText('needs the admin role');
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();

  // A refused call by the viewer, so they have an entry of their own.
  await trpcMutation(page.request, baseURL!, 'volumes.create', { name: `viewer-${stamp}`, labels: [] });
  await page.goto('/audit');
  await expect(page.getByTestId('audit-scope')).toBeVisible();
  const rows = page.getByTestId('audit-row');
  await expect(rows.first()).toBeVisible();
  const actors = await rows.locator('td:nth-child(2)').allInnerTexts();
  expect(new Set(actors.map((a) => a.trim()))).toEqual(new Set([VIEWER2.username]));
});

test('a phone-width window: the sidebar collapses behind a menu button and the lists fit', async ({ page, baseURL }, info) => {
  test.setTimeout(90_000);
  await page.setViewportSize({ width: 390, height: 844 });
  await signInAdmin(page);
  const id = await createContainer(page.request, baseURL!, { name: `narrow-${stamp}`, command: 'sleep 3600' });
  made.push(id);
  const nav = page.getByRole('navigation', { name: 'Main' });
  for (const url of ['/', '/containers', '/images', '/events', '/audit', '/containers/new?image=busybox:latest', `/containers/${id}`, `/containers/${id}?tab=browse`]) {
    await page.goto(url);
    await expect(page.getByRole('heading', { level: 1 }).first()).toBeVisible();
    await page.waitForTimeout(500);
    // Nothing wider than the screen: no sideways scrolling of the page itself.
    expect(await page.evaluate(() => document.documentElement.scrollWidth), url).toBeLessThanOrEqual(390);
    await expect(nav).not.toBeInViewport();
  }
  await page.goto('/containers');
  await expect(page.getByTestId(`container-row-narrow-${stamp}`)).toBeVisible();
  await shot(page, info, 'narrow-containers');
  await page.getByRole('button', { name: 'Menu' }).click();
  await expect(nav).toBeInViewport();
  await shot(page, info, 'narrow-menu');
  await nav.getByRole('link', { name: 'Images' }).click();
  await expect(page).toHaveURL(/\/images$/);
  await expect(nav).not.toBeInViewport();
  await page.getByRole('button', { name: 'Menu' }).click();
  await page.keyboard.press('Escape');
  await expect(nav).not.toBeInViewport();
});

test('the file browser: browse, changed files marked, view/edit/save, upload files and a folder, download, delete', async ({ page, baseURL }, info) => {
  test.setTimeout(120_000);
  await signInAdmin(page);
  const id = await createContainer(page.request, baseURL!, { name: `files-${stamp}`, command: `sh -c 'mkdir -p /app && echo v1 > /app/config.txt && rm /etc/group; exec sleep 3600'` });
  made.push(id);
  await expect.poll(async () => (await trpcQuery<{ Path: string }[]>(page.request, 'containers.changes', { id })).map((c) => c.Path)).toContain('/app/config.txt');
  await openTab(page, id, 'browse');
  const rows = page.getByTestId('file-list');
  await expect(rows.locator('[data-testid="file-row"][data-name="bin"]')).toBeVisible();
  await expect(rows.locator('[data-testid="file-row"][data-name="app"]')).toHaveAttribute('data-mark', 'A');
  // Docker reports the parent of a deleted file as changed ("C /etc"); either way /etc is marked.
  await expect(rows.locator('[data-testid="file-row"][data-name="etc"]')).toHaveAttribute('data-mark', /^(M|•)$/);
  await rows.locator('[data-testid="file-row"][data-name="etc"]').getByRole('button', { name: 'etc', exact: true }).click();
  await expect(rows.getByTestId('file-row-deleted').filter({ hasText: 'group' })).toBeVisible();
  await page.getByTestId('file-breadcrumbs').getByRole('button', { name: '/', exact: true }).click();
  await rows.locator('[data-testid="file-row"][data-name="app"]').getByRole('button', { name: 'app', exact: true }).click();
  await expect(page.getByTestId('file-breadcrumbs')).toContainText('app');
  const config = rows.locator('[data-testid="file-row"][data-name="config.txt"]');
  await expect(config).toHaveAttribute('data-mark', 'A');

  // View, edit and save a text file.
  await config.getByRole('button', { name: 'config.txt', exact: true }).click();
  const editor = page.getByTestId('file-content');
  await expect(editor).toHaveValue('v1\n');
  await editor.fill('v2, edited in the browser\n');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByTestId('file-saved')).toBeVisible();
  expect((await trpcQuery<{ content: string }>(page.request, 'files.read', { id, path: '/app/config.txt' })).content).toBe('v2, edited in the browser\n');

  // Upload a file and a folder into /app.
  await page.getByTestId('upload-files').setInputFiles({ name: 'up.txt', mimeType: 'text/plain', buffer: Buffer.from(`uploaded-${stamp}\n`) });
  await expect(page.getByTestId('files-notice')).toContainText('Uploaded 1 file(s)');
  await expect(rows.locator('[data-testid="file-row"][data-name="up.txt"]')).toBeVisible();
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-up-'));
  fs.mkdirSync(path.join(folder, 'site', 'css'), { recursive: true });
  fs.writeFileSync(path.join(folder, 'site', 'index.html'), '<h1>hi</h1>\n');
  fs.writeFileSync(path.join(folder, 'site', 'css', 'a.css'), 'h1{}\n');
  await page.getByTestId('upload-folder').setInputFiles(path.join(folder, 'site'));
  await expect(rows.locator('[data-testid="file-row"][data-name="site"]')).toBeVisible();
  expect((await trpcQuery<{ content: string }>(page.request, 'files.read', { id, path: '/app/site/css/a.css' })).content).toBe('h1{}\n');
  fs.rmSync(folder, { recursive: true, force: true });
  await shot(page, info, 'file-browser');

  // Download: the Engine's tar of the file.
  const [download] = await Promise.all([page.waitForEvent('download'), rows.locator('[data-testid="file-row"][data-name="up.txt"]').getByRole('button', { name: 'Download up.txt' }).click()]);
  expect(download.suggestedFilename()).toBe('up.txt.tar');
  const tarball = fs.readFileSync((await download.path())!);
  expect(tarball.toString('latin1')).toContain(`uploaded-${stamp}`);

  // Delete in the app's own dialog.
  await rows.locator('[data-testid="file-row"][data-name="up.txt"]').getByRole('button', { name: 'Delete up.txt' }).click();
  await page.getByRole('dialog', { name: 'Delete /app/up.txt?' }).getByRole('button', { name: 'Delete' }).click();
  await expect(rows.locator('[data-testid="file-row"][data-name="up.txt"]')).toHaveCount(0);

  // Bad input: names that would leave the folder are refused.
  const bad = await trpcMutation(page.request, baseURL!, 'files.upload', { id, dir: '/app', files: [{ path: '../escape.txt', base64: 'eA==' }] });
  expect(bad.status()).toBe(400);
  const rel = await trpcMutation(page.request, baseURL!, 'files.write', { id, path: 'app/x', content: '' });
  expect(rel.status()).toBe(400);

  // A viewer browses and reads, but cannot change or download.
  await ensureUser(page, baseURL!, VIEWER2, 'viewer');
  await page.context().clearCookies();
  await signIn(page, VIEWER2);
  await openTab(page, id, 'browse');
  await expect(page.getByTestId('file-list').locator('[data-testid="file-row"][data-name="app"]')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Upload files…' })).toHaveCount(0);
  expect((await trpcMutation(page.request, baseURL!, 'files.write', { id, path: '/app/config.txt', content: 'x' })).status()).toBe(403);
  expect((await trpcMutation(page.request, baseURL!, 'files.download', { id, path: '/app' })).status()).toBe(403);
});

test('registry browsing: repositories and tags of a local registry, pull from there; a missing tag reads "manifest unknown" once', async ({ page, baseURL }, info) => {
  test.setTimeout(120_000);
  expect(registryAvailable(), 'Debian docker-registry is installed').toBe(true);
  const registry = await startRegistry();
  try {
    await seedImage(registry.host, `browse${stamp}/app`, '1', 4096);
    await seedImage(registry.host, `browse${stamp}/app`, '2', 4096);
    await seedImage(registry.host, `browse${stamp}/other`, 'latest', 4096);
    await signInAdmin(page);
    await page.goto('/images');
    await page.getByRole('link', { name: 'Browse a registry →' }).click();
    await expect(page).toHaveURL(/\/settings\/registries$/);
    const form = page.getByRole('form', { name: 'Browse a registry' });
    await form.getByLabel('Registry to browse').fill(registry.host);
    await form.getByRole('button', { name: 'Browse' }).click();
    const repos = page.getByTestId('registry-repos');
    await expect(repos.getByRole('button', { name: `browse${stamp}/other` })).toBeVisible();
    await repos.getByRole('button', { name: `browse${stamp}/app` }).click();
    const tags = page.getByTestId('registry-tags');
    await expect(tags.locator('[data-testid="registry-tag"]')).toHaveCount(2);
    const ref = `${registry.host}/browse${stamp}/app:2`;
    await tags.getByRole('button', { name: `Pull ${ref}` }).click();
    await expect(tags.getByTestId('browse-pull-done')).toBeVisible({ timeout: 60_000 });
    await shot(page, info, 'registry-browse');
    await page.goto('/images');
    await expect(page.locator(`[data-testid="image-row"][data-tags~="${ref}"]`)).toBeVisible();
    await trpcMutation(page.request, baseURL!, 'images.remove', { ref, force: true });

    // The registry's error code and message read once.
    const res = await page.request.get(`/api/trpc/images.pull?input=${encodeURIComponent(JSON.stringify({ json: { ref: `${registry.host}/browse${stamp}/app:nope` } }))}`, { timeout: 30_000 });
    const text = await res.text();
    expect(text).toContain('manifest unknown');
    expect(text).not.toContain('manifest unknown: manifest unknown');
  } finally {
    await registry.stop();
  }
});

test('a recreate that cannot create the new container gives the old one back, name and all', async ({ page, baseURL }) => {
  test.setTimeout(90_000);
  await signInAdmin(page);
  const name = `rollback-${stamp}`;
  // Exits on SIGTERM at once, so the stop inside recreate is quick.
  const id = await createContainer(page.request, baseURL!, { name, command: `sh -c 'trap "exit 0" TERM; while :; do sleep 1; done'` });
  made.push(id);
  await page.goto(`/containers/new?from=${id}&mode=edit`);
  const form = page.getByRole('form', { name: 'Create container' });
  await expect(form.locator('input[name="image"]')).toHaveValue('busybox:latest');
  await form.locator('input[name="image"]').fill(`no-such-image-${stamp}:1`);
  await form.getByRole('button', { name: 'Recreate' }).click();
  await page.getByRole('dialog', { name: `Recreate ${name}?` }).getByRole('button', { name: 'Recreate' }).click();
  await expect(form.getByRole('alert').filter({ hasText: /no such image|not found|No such/i })).toBeVisible({ timeout: 30_000 });
  const after = await trpcQuery<{ Id: string; Name: string; State: { Running: boolean } }>(page.request, 'containers.inspect', { id });
  expect(after.Name).toBe(`/${name}`);
  expect(after.State.Running).toBe(true);
});
