import { expect, test } from '@playwright/test';
import { createContainer, removeContainer, shot, signInAdmin, watchQueries } from './support/berth';

test('stats charts gain points over the subscription while a CPU spin runs, with no polling', async ({ page, baseURL }, info) => {
  test.setTimeout(90_000);
  await signInAdmin(page);
  const id = await createContainer(page.request, baseURL!, { name: `spin-${Date.now().toString(36)}`, command: `sh -c 'while :; do :; done'`, memory: '64m' });
  try {
    await page.goto(`/containers/${id}?tab=stats`);
    const cpu = page.getByTestId('chart-cpu');
    await expect.poll(async () => Number(await cpu.getAttribute('data-points')), { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    const queries = watchQueries(page);
    const t = queries.mark();
    const before = Number(await cpu.getAttribute('data-points'));
    await page.waitForTimeout(5000);
    // Both counts in one synchronous read: a sample may land between two separate reads.
    const [after, memoryPoints] = await page.evaluate(() =>
      ['chart-cpu', 'chart-memory'].map((t) => Number(document.querySelector(`[data-testid="${t}"]`)?.getAttribute('data-points'))),
    );
    expect(after! - before).toBeGreaterThanOrEqual(3);
    expect(memoryPoints).toBe(after);
    // A spinning shell keeps (at least) a good part of one CPU busy.
    await expect(page.getByTestId('stats-now')).toContainText(/CPU\s*(\d{2,3}|[2-9]\d?)(\.\d)?%/);
    await expect(page.getByTestId('stats-now')).toContainText('/ 64.0 MiB');
    expect(queries.since(t), 'tRPC query requests while the stats page was open').toEqual([]);
    await shot(page, info, 'stats');
  } finally {
    await removeContainer(page.request, baseURL!, id);
  }
});
