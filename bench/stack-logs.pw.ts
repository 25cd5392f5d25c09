// Measures opening the merged logs of a five-service stack whose containers hold 200,000 lines each
// (1,000,000 in all). The view opens on the newest page (2,000 lines, read backwards from the end of
// each container's log and merged by time on the server) and goes live; older pages (20,000 lines
// each) are put in front as the user scrolls up, or all of them with "Load all". Times run from the
// click to the view being live with the newest line on screen, and from "Load all" to the million
// being in the page; then a jump to the top checks the page still answers. Not a timed test: it prints
// the figures (docs/performance.md has them).
import { expect, test } from '@playwright/test';
import { trpcMutation } from '../e2e/support/accounts';
import { signInAdmin } from '../e2e/support/berth';

const STACK = `bench-logs-${Date.now().toString(36)}`;
const LINES = 200_000;
const SERVICES = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
const compose = `services:\n${SERVICES.map((s) => `  ${s}:\n    image: busybox:latest\n    command: ["sh", "-c", "seq 1 ${LINES} | sed 's/^/${s} says line /'; exec sleep 3600"]\n    stop_grace_period: 1s\n`).join('')}`;

test('merged logs of 1,000,000 lines open in the browser', async ({ page, baseURL }) => {
  await signInAdmin(page);
  await page.goto('/stacks/new');
  await page.getByLabel('Name', { exact: true }).fill(STACK);
  await page.evaluate((t) => {
    const v = (globalThis as unknown as { __berthCompose: { state: { doc: { length: number } }; dispatch(s: unknown): void } }).__berthCompose;
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: t } });
  }, compose);
  await expect(page.getByTestId('validation-status')).toHaveAttribute('data-ok', 'true');
  await page.getByRole('button', { name: 'Deploy', exact: true }).click();
  await expect(page.getByTestId('deploy-status')).toHaveAttribute('data-status', 'finished', { timeout: 120_000 });
  // Every container has written its lines once its log ends in the last one.
  await expect
    .poll(
      async () => {
        const r = await page.request.get(`/api/trpc/stacks.get?input=${encodeURIComponent(JSON.stringify({ json: { name: STACK } }))}`);
        const ids = ((await r.json()).result.data.json.serviceDetails as { containers: { id: string }[] }[]).flatMap((s) => s.containers.map((c) => c.id));
        let done = 0;
        for (const id of ids) {
          const l = await page.request.get(`/api/containers/${id}/logs/download?timestamps=0`);
          if ((await l.text()).trimEnd().endsWith(`line ${LINES}`)) done++;
        }
        return done;
      },
      { timeout: 300_000, intervals: [2000] },
    )
    .toBe(SERVICES.length);

  await page.goto(`/stacks/${STACK}`);
  const count = page.getByTestId('line-count');
  const lines = page.getByTestId('stack-log-lines');
  let t0 = Date.now();
  await page.getByRole('tab', { name: 'Logs' }).click();
  await expect(count).toHaveAttribute('data-live', 'true', { timeout: 60_000 });
  await expect(lines.getByText(`line ${LINES}`).first()).toBeVisible();
  const opened = Date.now() - t0;
  const firstPage = Number(await count.getAttribute('data-lines'));

  t0 = Date.now();
  await page.getByRole('button', { name: 'Load all' }).click();
  await expect(count).toHaveAttribute('data-more', 'false', { timeout: 300_000 });
  await expect(count).toHaveAttribute('data-lines', String(SERVICES.length * LINES));
  const all = Date.now() - t0;

  // Still answering: the first line is one jump away.
  t0 = Date.now();
  await lines.evaluate((el) => (el.scrollTop = 0));
  await expect(lines.locator('[data-row="0"]')).toContainText(' line 1');
  const jump = Date.now() - t0;

  console.log(JSON.stringify({ bench: 'stack merged logs', services: SERVICES.length, lines: SERVICES.length * LINES, openMs: opened, firstPageLines: firstPage, loadAllMs: all, jumpToTopMs: jump }));
  await trpcMutation(page.request, baseURL!, 'stacks.remove', { name: STACK });
});
