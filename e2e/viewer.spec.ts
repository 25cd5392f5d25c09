import { expect, test, type Page } from '@playwright/test';
import { signIn, trpcMutation } from './support/accounts';
import { ensureUser, shot, signInAdmin, VIEWER2 } from './support/berth';

// Labels of every control that changes something on the pages of this part.
const MUTATING = [
  'Pull',
  'Load from a tar…',
  'Prune unused images',
  'Prune unused',
  'Tag',
  'Remove',
  'Build',
  'Upload a folder…',
  'Upload a tar…',
  'Create volume',
  'Create network',
  'Save login',
  'Save defaults',
  'Turn outbound access on',
  'Turn outbound access off',
];

async function noMutatingControls(page: Page): Promise<void> {
  for (const name of MUTATING) await expect(page.getByRole('button', { name, exact: true }), `${page.url()}: ${name}`).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^Push/ })).toHaveCount(0);
  for (const name of ['Run', 'Save']) await expect(page.getByRole('link', { name, exact: true }), `${page.url()}: ${name}`).toHaveCount(0);
}

test('a viewer sees every page of images, builds, volumes, networks and settings, with no mutating control; the server refuses the calls', async ({ page, baseURL }, info) => {
  test.setTimeout(120_000);
  await signInAdmin(page);
  await ensureUser(page, baseURL!, VIEWER2, 'viewer');
  // Something to show in each list.
  await trpcMutation(page.request, baseURL!, 'volumes.create', { name: 'e2e-viewer-vol', labels: [] });
  await page.context().clearCookies();
  await signIn(page, VIEWER2);

  // Keyboard: g i / g b / g v / g n.
  await page.goto('/');
  for (const [key, url] of [['i', '/images'], ['b', '/builds'], ['v', '/volumes'], ['n', '/networks']] as const) {
    await page.locator('body').click({ position: { x: 5, y: 700 } }).catch(() => undefined);
    await page.keyboard.press('g');
    await page.keyboard.press(key);
    await expect(page).toHaveURL(new RegExp(`${url}$`));
  }

  await page.goto('/images');
  const row = page.locator('[data-testid="image-row"][data-tags~="busybox:latest"]');
  await expect(row).toBeVisible();
  await noMutatingControls(page);
  await shot(page, info, 'viewer-images');
  await row.getByRole('link', { name: 'busybox:latest' }).click();
  await expect(page.getByTestId('image-config')).toBeVisible();
  await noMutatingControls(page);

  await page.goto('/builds');
  await expect(page.getByTestId('dockerfile-editor').locator('.cm-content')).toHaveAttribute('contenteditable', 'false');
  await expect(page.getByText('building needs the operator role')).toBeVisible();
  await noMutatingControls(page);

  await page.goto('/volumes');
  await expect(page.locator('[data-testid="volume-row"][data-name="e2e-viewer-vol"]')).toBeVisible();
  await noMutatingControls(page);
  await page.goto('/networks');
  await expect(page.locator('[data-testid="network-row"][data-name="bridge"]')).toBeVisible();
  await noMutatingControls(page);
  for (const p of ['/settings/registries', '/settings/defaults', '/settings/outbound']) {
    await page.goto(p);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await noMutatingControls(page);
  }
  await expect(page.getByTestId('outbound-state')).toContainText('off');

  // The server refuses, whatever the page shows.
  const calls: [string, unknown][] = [
    ['images.remove', { ref: 'busybox:latest', force: true }],
    ['images.tag', { ref: 'busybox:latest', repo: 'viewer/copy', tag: '1' }],
    ['images.prune', { all: true }],
    ['volumes.create', { name: 'viewer-made', labels: [] }],
    ['volumes.remove', { name: 'e2e-viewer-vol', force: true }],
    ['volumes.prune', undefined],
    ['networks.create', { name: 'viewer-net' }],
    ['networks.prune', undefined],
    ['registries.save', { url: '127.0.0.1:5000', username: 'u', secret: 's' }],
    ['settings.setContainerDefaults', { memory: '', cpus: '', pidsLimit: '', restart: 'no', network: '' }],
    ['settings.setOutbound', { enabled: true }],
  ];
  for (const [path, input] of calls) {
    const res = await trpcMutation(page.request, baseURL!, path, input);
    expect(res.status(), path).toBe(403);
  }
  // Subscriptions that change things (pull, push, build) answer FORBIDDEN in their stream.
  for (const [path, input] of [
    ['images.pull', { ref: '127.0.0.1:1/none:1' }],
    ['images.push', { ref: 'busybox:latest' }],
    ['builds.run', { dockerfile: 'FROM busybox:latest\n' }],
  ] as const) {
    const res = await page.request.get(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, { timeout: 15_000 });
    expect(await res.text(), path).toContain('FORBIDDEN');
  }
  // And the plain HTTP routes: save, load, build context.
  expect((await page.request.get('/api/images/busybox%3Alatest/save')).status()).toBe(403);
  expect((await page.request.post('/api/images/load', { data: Buffer.alloc(1024), headers: { origin: baseURL! } })).status()).toBe(403);
  expect((await page.request.post('/api/builds/context', { data: Buffer.alloc(1024), headers: { origin: baseURL! } })).status()).toBe(403);

  // Clean-up as the admin.
  await page.context().clearCookies();
  await signInAdmin(page);
  await trpcMutation(page.request, baseURL!, 'volumes.remove', { name: 'e2e-viewer-vol', force: true });
});
