import { expect, test, type Page } from '@playwright/test';
import { signIn } from './support/accounts';
import { createContainer, ensureUser, removeContainer, shot, signInAdmin, VIEWER2 } from './support/berth';

/** The terminal's text, read from xterm's buffer (what the user sees, not the DOM's spans). */
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

async function sttySize(page: Page, marker: string): Promise<string> {
  await page.keyboard.type(`echo ${marker}-$(stty size)\n`);
  let found = '';
  await expect
    .poll(async () => {
      found = new RegExp(`^${marker}-(\\d+ \\d+)$`, 'm').exec(await screen(page))?.[1] ?? '';
      return found;
    })
    .not.toBe('');
  return found;
}

test.describe.serial('terminal', () => {
  let id = '';
  const name = `term-${Date.now().toString(36)}`;

  test.afterAll(async ({ browser, baseURL }) => {
    const page = await browser.newPage();
    await signInAdmin(page);
    if (id) await removeContainer(page.request, baseURL!, id);
    await page.close();
  });

  test('a shell answers, fills the pane and follows a window resize', async ({ page, baseURL }, info) => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await signInAdmin(page);
    id = await createContainer(page.request, baseURL!, { name, command: `sh -c 'while true; do sleep 1; done'` });
    await page.goto(`/containers/${id}?tab=terminal`);
    await expect(page.getByTestId('terminal-status')).toHaveText('connected');
    await page.getByTestId('terminal').click();
    await page.keyboard.type('echo $((6*7))\n');
    await expect.poll(() => screen(page)).toMatch(/^42$/m);

    const before = await sttySize(page, 'A');
    await page.setViewportSize({ width: 1600, height: 1000 });
    await expect.poll(() => sttySize(page, `B${Date.now() % 1000}`)).not.toBe(before);
    const [rows, cols] = (await sttySize(page, 'C')).split(' ').map(Number);
    // It fills the pane: the columns track the wider window.
    expect(cols).toBeGreaterThan(Number(before.split(' ')[1]));
    expect(rows).toBeGreaterThan(10);
    await shot(page, info, 'terminal');
  });

  test('an admin may open a privileged terminal (exec --privileged: CAP_SYS_ADMIN in CapEff)', async ({ page }) => {
    await signInAdmin(page);
    await page.goto(`/containers/${id}?tab=terminal`);
    await expect(page.getByTestId('terminal-status')).toHaveText('connected');
    await page.getByTestId('terminal').click();
    await page.keyboard.type('grep ^CapEff: /proc/self/status\n');
    await expect.poll(() => screen(page)).toMatch(/^CapEff:\s+00000000a80425fb$/m);
    await page.getByLabel('Privileged').check();
    await expect(page.getByTestId('terminal-status')).toHaveText('connected');
    await page.getByTestId('terminal').click();
    await page.keyboard.type('echo P-$(grep ^CapEff: /proc/self/status | cut -f2)\n');
    let eff = '';
    await expect.poll(async () => (eff = /^P-([0-9a-f]{16})$/m.exec(await screen(page))?.[1] ?? '')).not.toBe('');
    expect((BigInt(`0x${eff}`) >> 21n) & 1n).toBe(1n);
  });

  test('a viewer gets no terminal, in the page or over the websocket', async ({ page, baseURL }) => {
    await signInAdmin(page);
    await ensureUser(page, baseURL!, VIEWER2, 'viewer');
    await page.context().clearCookies();
    await signIn(page, VIEWER2);
    await page.goto(`/containers/${id}?tab=terminal`);
    await expect(page.getByRole('tab', { name: 'terminal' })).toHaveCount(0);
    await expect(page.getByText('Terminals need the operator role.')).toBeVisible();
    const outcome = await page.evaluate(
      (cid) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(`ws://${location.host}/ws/exec?container=${cid}`);
          ws.onopen = () => resolve('opened');
          ws.onerror = () => resolve('refused');
        }),
      id,
    );
    expect(outcome).toBe('refused');
  });

  test('a stopped container says so instead of a terminal', async ({ page, baseURL }) => {
    await signInAdmin(page);
    const res = await page.request.post('/api/trpc/containers.stop', { data: { json: { id, t: 1 } }, headers: { origin: baseURL!, 'content-type': 'application/json' } });
    expect(res.status()).toBe(200);
    await page.goto(`/containers/${id}?tab=terminal`);
    await expect(page.getByRole('alert').filter({ hasText: 'not running' })).toBeVisible();
  });
});
