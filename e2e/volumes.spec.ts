import { expect, test, type Page } from '@playwright/test';
import { trpcMutation } from './support/accounts';
import { removeContainer, shot, signInAdmin } from './support/berth';

const VOLUME = `e2e-vol-${Date.now().toString(36)}`;
const WRITER = `vol-writer-${Date.now().toString(36)}`;
const READER = `vol-reader-${Date.now().toString(36)}`;
const word = `shared-${Date.now()}`;

/** The terminal's text, from xterm's buffer. */
function screen(page: Page): Promise<string> {
  return page.evaluate(() => {
    const term = (window as unknown as { __berthTerminal?: { buffer: { active: { length: number; getLine(i: number): { translateToString(trim: boolean): string } | undefined } } } }).__berthTerminal;
    if (!term) return '';
    const b = term.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < b.length; i++) out.push(b.getLine(i)?.translateToString(true) ?? '');
    return out.join('\n');
  });
}

async function withVolume(page: Page, baseURL: string, name: string): Promise<string> {
  const res = await trpcMutation(page.request, baseURL, 'containers.create', {
    image: 'busybox:latest',
    name,
    network: 'none',
    command: `sh -c 'while true; do sleep 1; done'`,
    volumes: [{ source: VOLUME, target: '/data', readOnly: false }],
  });
  const body = await res.json();
  expect(res.status(), JSON.stringify(body)).toBe(200);
  return body.result.data.json.id as string;
}

async function openTerminal(page: Page, id: string): Promise<void> {
  await page.goto(`/containers/${id}?tab=terminal`);
  await expect(page.getByTestId('terminal-status')).toHaveText('connected');
  await page.getByTestId('terminal').click();
}

test.describe.serial('volumes', () => {
  const ids: string[] = [];
  test.afterAll(async ({ browser, baseURL }) => {
    const page = await browser.newPage();
    await signInAdmin(page);
    for (const id of ids) await removeContainer(page.request, baseURL!, id);
    await trpcMutation(page.request, baseURL!, 'volumes.remove', { name: VOLUME, force: true });
    await page.close();
  });

  test('one volume in two containers: a file written in one is read in the other, through the terminal', async ({ page, baseURL }, info) => {
    test.setTimeout(180_000);
    await signInAdmin(page);
    await page.goto('/volumes');
    await page.getByLabel('Volume name').fill(VOLUME);
    await page.getByRole('button', { name: 'Create volume' }).click();
    const row = page.locator(`[data-testid="volume-row"][data-name="${VOLUME}"]`);
    await expect(row).toBeVisible();

    ids.push(await withVolume(page, baseURL!, WRITER));
    ids.push(await withVolume(page, baseURL!, READER));
    // The list follows container events: both users show without a reload.
    await expect(row.getByTestId('volume-users')).toContainText(WRITER);
    await expect(row.getByTestId('volume-users')).toContainText(READER);
    await row.getByRole('button', { name: 'Inspect' }).click();
    await expect(page.getByTestId('volume-inspect')).toContainText(VOLUME);
    await shot(page, info, 'volumes');

    await openTerminal(page, ids[0]!);
    await page.keyboard.type(`echo ${word} > /data/note.txt && echo written-$((1+1))\n`);
    await expect.poll(() => screen(page)).toMatch(/^written-2$/m);

    await openTerminal(page, ids[1]!);
    await page.keyboard.type('cat /data/note.txt\n');
    await expect.poll(() => screen(page)).toMatch(new RegExp(`^${word}$`, 'm'));

    // In use: the engine refuses to remove it, and the dialog says who uses it.
    await page.goto('/volumes');
    await row.getByRole('button', { name: 'Remove' }).click();
    await expect(page.getByRole('dialog')).toContainText(WRITER);
    await page.getByRole('dialog').getByRole('button', { name: 'Remove', exact: true }).click();
    await expect(page.getByRole('alert').filter({ hasText: /in use/i })).toBeVisible();
    await expect(row).toBeVisible();
  });

  test('networks: create one, see the container on it, inspect it, remove it', async ({ page, baseURL }) => {
    test.setTimeout(120_000);
    const NET = `e2e-net-${Date.now().toString(36)}`;
    await signInAdmin(page);
    await page.goto('/networks');
    await page.getByLabel('Network name').fill(NET);
    await page.getByRole('button', { name: 'Create network' }).click();
    const row = page.locator(`[data-testid="network-row"][data-name="${NET}"]`);
    await expect(row).toBeVisible();
    const res = await trpcMutation(page.request, baseURL!, 'containers.create', { image: 'busybox:latest', name: `${NET}-c`, network: NET, command: `sh -c 'while true; do sleep 1; done'` });
    const body = await res.json();
    expect(res.status(), JSON.stringify(body)).toBe(200);
    const id = body.result.data.json.id as string;
    try {
      await expect(row).toContainText(`${NET}-c`);
      await row.getByRole('button', { name: 'Inspect' }).click();
      await expect(page.getByTestId('network-inspect')).toContainText(NET);
    } finally {
      await removeContainer(page.request, baseURL!, id);
    }
    await expect(row).not.toContainText(`${NET}-c`);
    await row.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove', exact: true }).click();
    await expect(row).toHaveCount(0);
  });
});
