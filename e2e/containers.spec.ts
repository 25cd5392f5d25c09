import { expect, test } from '@playwright/test';
import { removeContainer, shot, signInAdmin } from './support/berth';

const NAME = `web-${Date.now().toString(36)}`;

// Whatever happens in the test, the container does not outlive it.
test.afterAll(async ({ browser, baseURL }) => {
  const page = await browser.newPage();
  await signInAdmin(page);
  const res = await page.request.get(`/api/trpc/containers.list?input=${encodeURIComponent(JSON.stringify({ json: { all: true } }))}`);
  const list = ((await res.json()).result?.data?.json ?? []) as { Id: string; Names: string[] }[];
  for (const c of list.filter((x) => x.Names.includes(`/${NAME}`))) await removeContainer(page.request, baseURL!, c.Id);
  await page.close();
});

test('create a busybox web server with 64 MB and a published port, raise its limit, stop and remove it', async ({ page }, info) => {
  test.setTimeout(120_000);
  await signInAdmin(page);
  page.on('dialog', (d) => void d.accept());

  // Reached the way an image's Run button reaches it.
  await page.goto('/containers/new?image=busybox:latest');
  const form = page.getByRole('form', { name: 'Create container' });
  await expect(form.locator('input[name="image"]')).toHaveValue('busybox:latest');
  await form.locator('input[name="name"]').fill(NAME);
  await form.locator('input[name="command"]').fill(`sh -c 'mkdir -p /www && echo hello-from-${NAME} > /www/index.html && exec httpd -f -p 8080 -h /www'`);
  await form.getByRole('button', { name: 'Add port' }).click();
  await form.getByLabel('Container port').fill('8080');

  // The server's zod validation shows at the field.
  await form.locator('input[name="memory"]').fill('lots');
  await form.getByRole('button', { name: 'Create and start' }).click();
  await expect(form.getByText('Memory: use a size such as 64m, 1g or 512k.')).toBeVisible();
  await shot(page, info, 'create-form-validation');

  await form.locator('input[name="memory"]').fill('64m');
  await form.getByRole('button', { name: 'Create and start' }).click();
  await expect(page).toHaveURL(/\/containers\/[0-9a-f]{64}/);
  await expect(page.getByRole('heading', { name: NAME })).toBeVisible();
  await expect(page.getByRole('heading', { name: NAME }).getByTestId('state-badge')).toHaveText('running');

  // The port link answers with the page the container serves.
  const link = page.getByTestId('detail-port-link').first();
  await expect(link).toBeVisible();
  const href = (await link.getAttribute('href'))!;
  await expect.poll(async () => (await page.request.get(href).then((r) => r.text()).catch(() => '')).trim(), { timeout: 15_000 }).toBe(`hello-from-${NAME}`);

  // Raise the memory limit live from the Overview tab.
  const limits = page.getByRole('form', { name: 'Limits' });
  await expect(limits.getByText('now 64.0 MiB')).toBeVisible();
  await limits.locator('input[name="memory"]').fill('128m');
  await limits.getByRole('button', { name: 'Apply limits' }).click();
  await expect(page.getByText('Limits applied to the running container.')).toBeVisible();
  await expect(limits.getByText('now 128 MiB')).toBeVisible();
  await shot(page, info, 'container-overview');

  // The list shows it live, with its port as a link, and copies an equivalent docker run.
  await page.goto('/containers');
  const row = page.getByTestId(`container-row-${NAME}`);
  await expect(row.getByTestId('state-badge')).toHaveText('running');
  await expect(row.getByTestId('port-link')).toContainText('127.0.0.1:');
  await expect(row.getByRole('img', { name: `CPU of ${NAME}` })).toBeVisible({ timeout: 15_000 });
  await page.keyboard.press('/');
  await expect(page.getByLabel('Search containers')).toBeFocused();
  await page.keyboard.type(NAME);
  await row.getByRole('button', { name: `Copy docker run for ${NAME}` }).click();
  await expect(page.getByTestId('docker-run')).toContainText(`docker run -d --name ${NAME}`);
  await expect(page.getByTestId('docker-run')).toContainText('--memory 128m');
  await shot(page, info, 'containers-list');

  // Stop and remove from the detail page.
  await row.getByRole('link', { name: NAME }).click();
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByRole('heading', { name: NAME }).getByTestId('state-badge')).toHaveText('exited', { timeout: 20_000 });
  await page.getByRole('button', { name: 'Remove' }).click();
  await page.getByRole('dialog', { name: `Remove ${NAME}?` }).getByRole('button', { name: 'Remove' }).click();
  await expect(page).toHaveURL(/\/containers$/);
  await expect(page.getByTestId(`container-row-${NAME}`)).toHaveCount(0);

  // Keyboard: g o goes to the Overview.
  await page.locator('body').click();
  await page.keyboard.press('g');
  await page.keyboard.press('o');
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await expect(page.getByTestId('disk-use')).toBeVisible();
  await shot(page, info, 'overview');
});
