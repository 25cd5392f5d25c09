import { expect, test } from '@playwright/test';
import { createContainer, removeContainer, shot, signInAdmin, watchQueries } from './support/berth';

test('the Events page and the containers list show create, start and die live, with no polling', async ({ page, context, baseURL }, info) => {
  test.setTimeout(90_000);
  await signInAdmin(page);
  const name = `blip-${Date.now().toString(36)}`;
  await page.goto('/events');
  await expect(page.getByTestId('events-status')).toHaveText('live');
  const list = await context.newPage();
  await list.goto('/containers');
  await expect(list.getByRole('heading', { name: 'Containers' })).toBeVisible();
  await list.waitForTimeout(1000);
  const eventsQueries = watchQueries(page);
  const listQueries = watchQueries(list);
  const t = eventsQueries.mark();

  const id = await createContainer(page.request, baseURL!, { name, command: `sh -c 'sleep 2; exit 3'` });
  try {
    const rows = page.locator(`[data-testid="event-row"][data-target="${name}"]`);
    for (const action of ['create', 'start', 'die']) await expect(rows.and(page.locator(`[data-action="${action}"]`))).toHaveCount(1, { timeout: 20_000 });
    await expect(rows.and(page.locator('[data-action="die"]'))).toContainText('exit 3');

    const row = list.getByTestId(`container-row-${name}`);
    await expect(row.getByTestId('state-badge')).toHaveText('exited', { timeout: 20_000 });

    expect(eventsQueries.since(t), 'query requests on the Events page').toEqual([]);
    expect(listQueries.since(t), 'query requests on the containers list').toEqual([]);

    // The type filter runs on the engine.
    await page.getByLabel('Type').selectOption('image');
    await expect(rows).toHaveCount(0);
    await page.getByLabel('Type').selectOption('container');
    await expect(rows.and(page.locator('[data-action="die"]'))).toHaveCount(1);
    await shot(page, info, 'events');
  } finally {
    await removeContainer(page.request, baseURL!, id);
  }
});
