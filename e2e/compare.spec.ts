import { expect, test } from '@playwright/test';
import { shot, signInAdmin } from './support/berth';
import { makeLayerImages } from './support/layer-images';

test('compare two images side by side: shared layers, the divergence point and the one differing file', async ({ page, baseURL }, info) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1600, height: 1000 });
  await signInAdmin(page);
  const { a, b } = await makeLayerImages(page.request, baseURL!);

  // Opened the way a user does: "Compare with…" on A's layers page.
  await page.goto(`/layers/${encodeURIComponent(a)}`);
  await expect(page.getByTestId('layer-1')).toBeVisible({ timeout: 30_000 });
  await page.getByLabel('Compare with').selectOption(b);
  await page.getByRole('button', { name: 'Compare', exact: true }).click();
  await expect(page).toHaveURL(/\/layers\/compare\?a=.*&b=/);

  const split = page.getByTestId('compare-split');
  await expect(split.getByTestId('compare-layers-a').locator('[data-shared="true"]')).toHaveCount(2);
  await expect(split.getByTestId('compare-layers-b').locator('[data-shared="true"]')).toHaveCount(2);
  await expect(split.getByTestId('compare-layers-b')).toContainText('diverges here');
  await expect(page.getByRole('heading', { name: 'Compare images' })).toBeVisible();

  const entries = page.getByTestId('compare-entries').locator('tbody tr');
  await expect(entries).toHaveCount(1);
  const row = page.getByTestId('compare-entry-/app/config.txt');
  await expect(row).toHaveAttribute('data-change', 'modified');
  await expect(row).toContainText('M');
  await expect(page.getByTestId('compare-totals')).toContainText('1 modified');
  await shot(page, info, 'compare');
});
