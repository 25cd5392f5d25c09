// Issue 23's dashboard, against Debian's docker-registry on 127.0.0.1: v1 runs, v2 is pushed under the
// same tag, "Check now" shows the badge (with the new image's build date), Update applies it and the
// history records it; a v3 whose health check fails rolls back, and the page says so.
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import Docker from 'dockerode';
import { contextTar } from '../components/builds/context-upload';
import { removeContainer, signInAdmin } from './support/berth';
import { trpcQuery } from './support/layer-images';
import { registryAvailable, startRegistry, type RegistryServer } from './support/registry';

const stamp = Date.now().toString(36);
const NAME = `upd-${stamp}`;
let reg: RegistryServer | null = null;

const engineApi = () => new Docker({ socketPath: path.join(process.env.BERTH_E2E_RUN!, 'berth.sock') });

/** Follows a progress stream to its end; an error line fails. */
async function follow(stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    engineApi().modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
      const bad = out?.find((o) => o.error);
      if (err || bad) reject(err ?? new Error(bad!.error));
      else resolve();
    }),
  );
}

/** Builds `FROM busybox` + lines as localhost:<port>/app:latest and pushes it (the tag the container was not pulled by). */
async function publish(version: string, extra: string[] = []): Promise<void> {
  const docker = engineApi();
  const dockerfile = ['FROM busybox:latest', `RUN echo ${version} > /version`, ...extra, 'CMD ["sleep", "3600"]'].join('\n') + '\n';
  const tar = Buffer.concat((await contextTar([{ path: 'Dockerfile', data: new TextEncoder().encode(dockerfile), mtime: new Date() }])).map((u) => Buffer.from(u)));
  const pushRef = `localhost:${reg!.port}/app${stamp}:latest`;
  await follow(await docker.buildImage(tar as unknown as NodeJS.ReadableStream, { t: pushRef, networkmode: 'none' }));
  await follow(await docker.getImage(pushRef).push({}));
}

const runRef = () => `127.0.0.1:${reg!.port}/app${stamp}:latest`;

test.beforeAll(async () => {
  if (registryAvailable()) reg = await startRegistry();
});

test.afterAll(async ({ browser, baseURL }) => {
  const page = await browser.newPage();
  await signInAdmin(page);
  const list = await trpcQuery<{ Id: string; Names: string[] }[]>(page.request, 'containers.list', { all: true });
  for (const c of list.filter((x) => x.Names.some((n) => n.includes(stamp)))) await removeContainer(page.request, baseURL!, c.Id);
  await page.close();
  await reg?.stop();
});

async function checkNow(page: Page): Promise<void> {
  await page.goto('/images');
  await page.getByTestId('check-updates').click();
  await expect(page.getByTestId('check-updates')).toHaveText('Check now', { timeout: 30_000 });
}

test('v1 → v2 from the dashboard: badge with the build date, one-click update, history; a failing v3 rolls back visibly', async ({ page }) => {
  test.skip(!reg, 'docker-registry is not installed');
  test.setTimeout(240_000);
  await signInAdmin(page);
  await publish('v1');
  await follow(await engineApi().pull(runRef()));
  const c = await engineApi().createContainer({ name: NAME, Image: runRef(), HostConfig: { NetworkMode: 'none' } });
  await c.start();

  await publish('v2');
  await checkNow(page);
  const imageRow = page.getByRole('row').filter({ hasText: runRef() });
  await expect(imageRow.getByTestId('update-badge')).toBeVisible();
  // The new image's creation time, where the update is offered.
  await expect(imageRow.getByTestId('update-created')).toContainText('built ');

  await page.goto('/containers');
  const row = page.getByTestId(`container-row-${NAME}`);
  await expect(row.getByTestId('update-badge')).toBeVisible({ timeout: 30_000 });
  await row.getByTestId('update-button').click();
  await expect(page.getByTestId('update-outcome')).toHaveText('Updated', { timeout: 90_000 });
  const exec = async () => {
    const ex = await engineApi().getContainer(NAME).exec({ Cmd: ['cat', '/version'], AttachStdout: true });
    const s = await ex.start({});
    const chunks: Buffer[] = [];
    await new Promise<void>((r) => (s.on('data', (b: Buffer) => chunks.push(b)), s.on('end', () => r())));
    return Buffer.concat(chunks).toString();
  };
  expect(await exec()).toContain('v2');

  await page.goto('/images');
  await page.getByRole('button', { name: 'History' }).click();
  const history = page.getByTestId('updates-history');
  await expect(history.getByRole('row').filter({ hasText: NAME }).first()).toContainText('updated');

  // v3's health check always fails: the update rolls back to v2, and the page says why.
  await publish('v3', ['HEALTHCHECK --interval=1s --timeout=1s --retries=1 CMD false']);
  await checkNow(page);
  await page.goto('/containers');
  await expect(row.getByTestId('update-badge')).toBeVisible({ timeout: 30_000 });
  await row.getByTestId('update-button').click();
  await expect(page.getByTestId('update-outcome')).toContainText('Rolled back', { timeout: 120_000 });
  await expect(page.getByTestId('update-outcome')).toContainText('health check failed');
  await expect(row.getByTestId('state-badge')).toHaveText('running');
  expect(await exec()).toContain('v2');
  await page.goto('/images');
  await page.getByRole('button', { name: 'History' }).click();
  await expect(page.getByTestId('updates-history').getByRole('row').filter({ hasText: 'rolled-back' }).first()).toContainText(NAME);
});
