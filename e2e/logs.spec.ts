import { expect, test, type Page } from '@playwright/test';
import { signIn } from './support/accounts';
import { createContainer, ensureUser, removeContainer, shot, signInAdmin, VIEWER2 } from './support/berth';

/** Bound on the page's JS heap with a million lines loaded (measured about 55 MiB; see docs/dashboard.md). */
const HEAP_BOUND = 200 * 1024 * 1024;
const stamp = Date.now().toString(36);

async function openLogs(page: Page, id: string): Promise<void> {
  await page.goto(`/containers/${id}?tab=logs`);
  await expect(page.getByTestId('log-lines')).toBeVisible();
}

test.describe.serial('logs', () => {
  let ticker = '';
  let million = '';

  test.afterAll(async ({ browser, baseURL }) => {
    const page = await browser.newPage();
    await signInAdmin(page);
    for (const id of [ticker, million]) if (id) await removeContainer(page.request, baseURL!, id);
    await page.close();
  });

  test('lines appear as they are written, in colour, and search finds one', async ({ page, baseURL }, info) => {
    await signInAdmin(page);
    ticker = await createContainer(page.request, baseURL!, {
      name: `ticker-${stamp}`,
      command: `sh -c 'printf "\\033[32mgreen start\\033[0m\\n"; i=0; while true; do i=$((i+1)); echo "tick $i"; [ $((i % 3)) = 0 ] && echo "warn $i" >&2; sleep 0.3; done'`,
    });
    await openLogs(page, ticker);
    const lines = page.getByTestId('log-lines');
    await expect(lines.getByText('tick 3', { exact: true })).toBeVisible();
    // Still following: later lines arrive without a reload.
    await expect(lines.getByText('tick 12', { exact: true })).toBeVisible({ timeout: 15_000 });
    await expect(lines.locator('[data-stream="stderr"]').getByText('warn 3', { exact: true })).toBeVisible();
    await expect(lines.getByText('green start')).toHaveCSS('color', 'rgb(0, 187, 0)');

    await page.keyboard.press('/');
    await expect(page.getByLabel('Search logs')).toBeFocused();
    await page.keyboard.type('warn 6');
    await expect(page.getByTestId('match-count')).toHaveText('1 of 1');
    await expect(lines.locator('mark', { hasText: 'warn 6' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Resume follow ↓' })).toBeVisible();
    await shot(page, info, 'logs-search');
    await page.getByRole('button', { name: 'Resume follow ↓' }).click();
    await expect(page.getByRole('button', { name: 'Resume follow ↓' })).toHaveCount(0);

    // The download is streamed by the server: the whole log, not what the page holds.
    const res = await page.request.get(`/api/containers/${ticker}/logs/download`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-disposition']).toContain('attachment');
    const text = await res.text();
    expect(text).toContain('tick 1\n');
    expect(text).toContain('warn 3\n');
  });

  test('a viewer reads logs but may not download them', async ({ page, baseURL }) => {
    await signInAdmin(page);
    await ensureUser(page, baseURL!, VIEWER2, 'viewer');
    await page.context().clearCookies();
    await signIn(page, VIEWER2);
    await openLogs(page, ticker);
    // The view opens at the newest lines (the list renders only what is on screen): the viewer reads them.
    await expect(page.getByTestId('log-lines').getByText(/^tick \d+$/).last()).toBeVisible();
    await expect(page.getByRole('link', { name: 'Download' })).toHaveCount(0);
    const res = await page.request.get(`/api/containers/${ticker}/logs/download`);
    expect(res.status()).toBe(403);
  });

  test('a million lines scroll top to bottom with no long task over 200 ms and a bounded heap', async ({ page, baseURL }, info) => {
    test.setTimeout(240_000);
    await page.addInitScript(() => {
      const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
      w.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: true });
    });
    await signInAdmin(page);
    million = await createContainer(page.request, baseURL!, { name: `million-${stamp}`, command: `sh -c 'seq 1 1000000; exec sleep 3600'` });
    // Wait until the engine has the whole log before the page asks for it.
    await expect.poll(async () => (await page.request.get(`/api/containers/${million}/logs/download`).then((r) => r.text())).endsWith('1000000\n'), { timeout: 120_000, intervals: [1000] }).toBe(true);

    await openLogs(page, million);
    await page.getByLabel('Tail').selectOption('all');
    // While the backlog streams in, the count reads as progress, never a bare "0 lines".
    await expect(page.getByTestId('line-count')).toHaveAttribute('data-loading', 'true');
    await expect(page.getByTestId('line-count')).toContainText('Loading the log…');
    await expect(page.getByTestId('line-count')).toHaveText('1,000,000 lines', { timeout: 120_000 });
    await expect(page.getByTestId('line-count')).toHaveAttribute('data-loading', 'false');
    const lines = page.getByTestId('log-lines');
    await expect(lines.locator('[data-row="999999"]')).toHaveText('1000000');
    await page.waitForTimeout(500);

    const t0 = await page.evaluate(() => performance.now());
    // Jump to the top, wheel through, then to the bottom and back to the middle.
    await lines.evaluate((el) => (el.scrollTop = 0));
    await expect(lines.locator('[data-row="0"]')).toHaveText('1');
    await expect(page.getByRole('button', { name: 'Resume follow ↓' })).toBeVisible();
    await lines.hover();
    for (let i = 0; i < 20; i++) await page.mouse.wheel(0, 2000);
    // Wheel scrolling is animated: let it settle, or it carries on past the jump below.
    let last = -1;
    await expect
      .poll(async () => {
        const now = await lines.evaluate((el) => el.scrollTop);
        const settled = now === last;
        last = now;
        return settled;
      }, { intervals: [200] })
      .toBe(true);
    // To the middle: row 500000 at the top of the pane (rows are a fixed 18 px).
    await lines.evaluate((el) => (el.scrollTop = 500_000 * 18));
    await expect(lines.locator('[data-row="500000"]')).toHaveText('500001');
    await lines.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await expect(lines.locator('[data-row="999999"]')).toHaveText('1000000');
    await page.keyboard.press('/');
    await page.keyboard.type('999999');
    await expect(page.getByTestId('match-count')).toHaveText(/of 1$/, { timeout: 20_000 });
    await page.waitForTimeout(300);

    const { tasks, heap } = await page.evaluate((since) => {
      const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
      const mem = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
      return { tasks: w.__longTasks.filter((t) => t.start >= since), heap: mem?.usedJSHeapSize ?? -1 };
    }, t0);
    await info.attach('measurements', { body: JSON.stringify({ longTasksDuringScroll: tasks, heapBytes: heap }, null, 2), contentType: 'application/json' });
    console.log(`1M lines: long tasks during scroll ${JSON.stringify(tasks.map((t) => Math.round(t.duration)))}, heap ${(heap / 1048576).toFixed(0)} MiB`);
    expect(tasks.filter((t) => t.duration > 200)).toEqual([]);
    expect(heap).toBeGreaterThan(0);
    expect(heap).toBeLessThan(HEAP_BOUND);
    await shot(page, info, 'logs-million');
  });
});
