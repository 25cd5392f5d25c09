import { expect, test } from '@playwright/test';
import { createContainer, removeContainer, shot, signInAdmin, watchQueries } from './support/berth';

test('Files tab: A/M/D entries appear live while a container writes, with no reload and no polling; diff of an M; commit as image', async ({ page, baseURL }, info) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1600, height: 1000 });
  await signInAdmin(page);
  // A head start so the tab is open before the loop runs; then it modifies and deletes image files and writes 100 new ones.
  const command = `sh -c 'sleep 6; echo changed >> /etc/group; rm /etc/shadow; for i in $(seq 100); do echo $i > /tmp/f$i; sleep 0.05; done; sleep 600'`;
  const id = await createContainer(page.request, baseURL!, { name: `live-diff-${Date.now().toString(36)}`, command });
  try {
    await page.goto(`/containers/${id}?tab=files`);
    await expect(page.getByTestId('live-status')).toContainText('live', { timeout: 20_000 });
    const queries = watchQueries(page);
    const t = queries.mark();
    let navigations = 0;
    page.on('framenavigated', () => navigations++);

    // Sample the number of entries while the loop runs: it must grow in steps, not arrive at once.
    const list = page.getByTestId('live-changes');
    const seen = new Set<number>();
    const done = page.getByTestId('live-/tmp/f100');
    const deadline = Date.now() + 40_000;
    while (Date.now() < deadline && !(await done.count())) {
      seen.add(Number((await list.getAttribute('data-count')) ?? 0));
      await page.waitForTimeout(100);
    }
    await expect(done).toHaveAttribute('data-kind', 'A');
    const between = [...seen].filter((n) => n > 4 && n < 104);
    expect(between.length, `entry counts seen while the loop ran: ${[...seen].join(', ')}`).toBeGreaterThanOrEqual(3);
    await expect(list).toHaveAttribute('data-count', '104'); // /etc, /etc/group, /etc/shadow, /tmp and /tmp/f1..f100
    await expect(page.getByTestId('live-/etc/group')).toHaveAttribute('data-kind', 'M');
    await expect(page.getByTestId('live-/etc/shadow')).toHaveAttribute('data-kind', 'D');
    // /tmp is in busybox: its new entries make it M, as `docker diff` shows C /tmp.
    await expect(page.getByTestId('live-/tmp')).toHaveAttribute('data-kind', 'M');

    expect(queries.since(t), 'tRPC query requests while the Files tab was streaming').toEqual([]);
    expect(navigations, 'page reloads').toBe(0);

    // Click the modified file: its content now and the diff against the image's version.
    await page.getByTestId('live-/etc/group').click();
    await expect(page.getByTestId('live-diff')).toContainText('+changed');
    await expect(page.getByTestId('live-content')).toContainText('changed');
    await shot(page, info, 'live-diff');

    // Commit as image, then open its layers: the new top layer holds the same changes.
    await page.getByLabel('Image name').fill(`live-commit:${Date.now().toString(36)}`);
    await page.getByRole('button', { name: 'Commit as image' }).click();
    await expect(page.getByTestId('commit-result')).toContainText('created', { timeout: 30_000 });
    await page.getByRole('link', { name: 'open its layers' }).click();
    await expect(page.getByTestId('layer-1')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('layer-tree').getByTestId('tree-row-/etc')).toBeVisible();
  } finally {
    await removeContainer(page.request, baseURL!, id);
  }
});
