import { expect, test } from '@playwright/test';
import { shot, signInAdmin } from './support/berth';
import { commitImage, makeLayerImages } from './support/layer-images';

test('layers page: select a layer, toggle this-layer/aggregated, sort by size, open a modified file and see its diff', async ({ page, baseURL }, info) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1600, height: 1000 });
  await signInAdmin(page);
  const { b } = await makeLayerImages(page.request, baseURL!);
  await page.goto(`/layers/${encodeURIComponent(b)}`);

  // busybox + two committed layers; the gauge and the history timeline are there.
  await expect(page.getByTestId('layer-2')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('efficiency-gauge')).toBeVisible();
  await expect(page.getByTestId('history-timeline')).toBeVisible();
  await expect(page.getByTestId('treemap')).toBeVisible();

  // Layer 1 (the first commit), "this layer only": only what it changed.
  await page.getByTestId('layer-1').click();
  await expect(page.getByTestId('layer-1')).toHaveAttribute('aria-pressed', 'true');
  const tree = page.getByTestId('layer-tree');
  await expect(tree.getByTestId('tree-row-/big')).toHaveAttribute('data-change', 'added');
  await expect(tree.getByTestId('tree-row-/bin')).toHaveCount(0);

  // Aggregated: the whole filesystem up to layer 1, with layer 1's marks.
  await page.getByRole('button', { name: 'Aggregated' }).click();
  await expect(page.getByRole('button', { name: 'Aggregated' })).toHaveAttribute('aria-pressed', 'true');
  await expect(tree.getByTestId('tree-row-/bin')).toBeVisible();
  await expect(tree.getByTestId('tree-row-/big')).toHaveAttribute('data-change', 'added');
  await page.getByRole('button', { name: 'This layer only' }).click();
  await expect(tree.getByTestId('tree-row-/bin')).toHaveCount(0);

  // Sort by size: the 200 KiB file comes first.
  await page.getByLabel('Sort').selectOption('size');
  const firstRow = tree.locator('[role="treeitem"]').first();
  await expect(firstRow).toHaveAttribute('data-testid', 'tree-row-/big');
  const sizes = await tree.locator('[role="treeitem"]').evaluateAll((els) => els.filter((e) => (e as HTMLElement).style.paddingLeft === '6px').map((e) => Number(e.getAttribute('data-size'))));
  expect(sizes).toEqual([...sizes].sort((x, y) => y - x));

  // Layer 2 rewrote /app/config.txt: expand /app with the keyboard, open the file, read its diff.
  await page.getByTestId('layer-2').click();
  await page.getByLabel('Sort').selectOption('name');
  await expect(tree.getByTestId('tree-row-/app')).toBeVisible();
  await tree.getByTestId('tree-row-/app').click();
  await expect(tree.getByTestId('tree-row-/app/config.txt')).toHaveAttribute('data-change', 'modified');
  await tree.focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('file-details')).toHaveAttribute('data-path', '/app/config.txt');
  const diff = page.getByTestId('file-diff');
  await expect(diff).toContainText('-v1');
  await expect(diff).toContainText('+v2');
  await expect(page.getByTestId('diff-summary')).toContainText('Against layer 1');
  await page.getByRole('button', { name: 'Content' }).click();
  await expect(page.getByTestId('file-content')).toHaveText('v2\n');
  await page.getByRole('button', { name: 'Diff vs layer below' }).click();
  await expect(diff).toContainText('+v2');
  await shot(page, info, 'layers');

  // The treemap and the history timeline join each history entry to its layer.
  await expect(page.getByTestId('history-timeline').locator('[data-layer="2"]')).toContainText('echo v2');
  // A filter answers with the matches already expanded (and their ancestors only).
  await page.getByRole('button', { name: 'Aggregated' }).click();
  await page.getByLabel('Filter paths').fill('config.txt');
  await expect(tree.getByTestId('tree-row-/app/config.txt')).toBeVisible();
  await expect(tree.getByTestId('tree-row-/bin')).toHaveCount(0);
  await page.getByLabel('Filter paths').fill('');
  await expect(tree.getByTestId('tree-row-/bin')).toBeVisible();

  // The treemap of layer 1, aggregated: the whole filesystem by directory, /big among it.
  await page.getByTestId('history-timeline').locator('[data-layer="1"]').getByRole('button').click();
  await expect(page.getByTestId('layer-1')).toHaveAttribute('aria-pressed', 'true');
  await page.getByRole('button', { name: 'Aggregated' }).click();
  await expect(page.getByTestId('treemap').locator('title', { hasText: '/big' })).toHaveCount(1);
  await page.getByTestId('history-timeline').scrollIntoViewIfNeeded();
  await shot(page, info, 'layers-treemap-history');
});

test('an image with 50,000 files: directories expand lazily, the tree stays virtualised and the tab never freezes', async ({ page, baseURL }, info) => {
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1600, height: 1000 });
  await signInAdmin(page);
  // 50 directories of 1,000 empty files each, made with shell builtins only (fast).
  const ref = `layers-e2e-many:${Date.now().toString(36)}`;
  await commitImage(page.request, baseURL!, 'busybox:latest', `sh -c 'mkdir /many; cd /many; for d in $(seq 50); do mkdir $d; i=0; while [ $i -lt 1000 ]; do : > $d/$i; i=$((i+1)); done; done'`, ref, 180_000);

  await page.addInitScript(() => {
    const w = window as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: 'longtask', buffered: true });
  });
  const t0 = Date.now();
  await page.goto(`/layers/${encodeURIComponent(ref)}`);
  await expect(page.getByTestId('layer-1')).toBeVisible({ timeout: 120_000 });
  const firstLook = Date.now() - t0;
  await expect(page.getByTestId('layer-1')).toContainText(/\+5005\d/); // /many, 50 directories, 50,000 files
  const tree = page.getByTestId('layer-tree');
  await page.evaluate(() => ((window as unknown as { longTasks: number[] }).longTasks = []));

  await tree.getByTestId('tree-row-/many').click();
  await expect(tree.getByTestId('tree-row-/many/1')).toBeVisible();
  await tree.getByTestId('tree-row-/many/1').click();
  // A page of 500 children arrived, with a row to load the rest; only the visible rows are in the DOM.
  await expect.poll(async () => Number(await tree.getAttribute('data-rows'))).toBe(1 + 50 + 500 + 1);
  await expect(tree.getByTestId('tree-more-/many/1')).toHaveCount(0); // off screen: virtualised away
  expect(await tree.locator('[role="treeitem"]').count()).toBeLessThan(80);
  // Scroll to the end of the first page (row 502: /many, /many/1, its 500 children) and load the next one.
  await tree.evaluate((el) => (el.scrollTop = 502 * 24 - 200));
  await expect(tree.getByTestId('tree-more-/many/1')).toBeVisible();
  await tree.getByTestId('tree-more-/many/1').click();
  await expect.poll(async () => Number(await tree.getAttribute('data-rows'))).toBe(1 + 50 + 1000);
  await tree.focus();
  await page.keyboard.press('End');
  await expect(tree.getByTestId('tree-row-/many/9')).toBeVisible(); // names sort 1, 10, …, 9
  expect(await tree.locator('[role="treeitem"]').count()).toBeLessThan(80);

  const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
  expect(Math.max(0, ...longTasks), `long tasks: ${longTasks.join(', ')}`).toBeLessThan(200);
  info.annotations.push({ type: 'measured', description: `first look (cold analysis + page) ${firstLook} ms; long tasks while expanding/scrolling: ${longTasks.length ? longTasks.map(Math.round).join(', ') + ' ms' : 'none'}` });
  console.log(`[layers 50k] ${info.annotations.at(-1)!.description}`);
});
