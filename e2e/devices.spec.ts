// Issue 16: --device from the create form. Admins get a Devices field (host devices are as strong as
// --privileged, so operators get none and the server refuses them); the node reaches the container and
// inspect shows HostConfig.Devices as dockerd would; a path that is no device shows dockerd's message.
import { expect, test } from '@playwright/test';
import { signIn, trpcMutation } from './support/accounts';
import { ensureUser, OPERATOR, removeContainer, signInAdmin } from './support/berth';
import { trpcQuery } from './support/layer-images';

const stamp = Date.now().toString(36);

test.afterAll(async ({ browser, baseURL }) => {
  const page = await browser.newPage();
  await signInAdmin(page);
  const list = await trpcQuery<{ Id: string; Names: string[] }[]>(page.request, 'containers.list', { all: true });
  for (const c of list.filter((x) => x.Names.some((n) => n.includes(stamp)))) await removeContainer(page.request, baseURL!, c.Id);
  await page.close();
});

test('an admin adds a device in the create form; it is in the container; operators have no such field', async ({ page, browser, baseURL }) => {
  test.setTimeout(90_000);
  await signInAdmin(page);
  await ensureUser(page, baseURL!, OPERATOR, 'operator');
  await page.goto('/containers/new?image=busybox:latest');
  const form = page.getByRole('form', { name: 'Create container' });
  await form.locator('input[name="name"]').fill(`dev-${stamp}`);
  await form.locator('input[name="command"]').fill('sleep 600');
  await form.locator('input[name="network"]').fill('none');
  // A malformed entry is refused at its field, in the docker CLI's words.
  await form.getByLabel('Devices (--device)').fill('dev/null');
  await form.getByRole('button', { name: 'Create and start' }).click();
  await expect(form.getByText('Devices: bad format for path: dev/null')).toBeVisible();
  await form.getByLabel('Devices (--device)').fill('/dev/null:/dev/mynull');
  await form.getByRole('button', { name: 'Create and start' }).click();
  await expect(page).toHaveURL(/\/containers\/[0-9a-f]{64}/);
  const id = page.url().split('/containers/')[1]!.split('?')[0]!;
  const c = await trpcQuery<{ HostConfig: { Devices: unknown } }>(page.request, 'containers.inspect', { id });
  expect(c.HostConfig.Devices).toEqual([{ PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'rwm' }]);
  // Edit and duplicate start from the same entry.
  const f = await trpcQuery<{ form: { devices: string[] } }>(page.request, 'containers.formOf', { id });
  expect(f.form.devices).toEqual(['/dev/null:/dev/mynull']);

  // A host path that is not a device: dockerd's message.
  await page.goto('/containers/new?image=busybox:latest');
  await form.locator('input[name="name"]').fill(`dev-bad-${stamp}`);
  await form.locator('input[name="command"]').fill('true');
  await form.locator('input[name="network"]').fill('none');
  await form.getByLabel('Devices (--device)').fill('/etc/passwd:/dev/x');
  await form.getByRole('button', { name: 'Create and start' }).click();
  await expect(page.getByText('error gathering device information while adding custom device "/etc/passwd": not a device node')).toBeVisible();

  const ctx = await browser.newContext();
  const op = await ctx.newPage();
  await signIn(op, OPERATOR);
  await op.goto('/containers/new?image=busybox:latest');
  await expect(op.getByRole('form', { name: 'Create container' }).locator('input[name="command"]')).toBeVisible();
  await expect(op.getByLabel('Devices (--device)')).toHaveCount(0);
  const refused = await trpcMutation(op.request, baseURL!, 'containers.create', { image: 'busybox:latest', name: `dev-op-${stamp}`, command: 'true', network: 'none', devices: ['/dev/null'] });
  expect(refused.status()).toBe(403);
  await ctx.close();
});
