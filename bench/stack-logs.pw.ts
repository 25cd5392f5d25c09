// Measures opening the merged logs of a five-service stack whose containers hold 200,000 lines each
// (1,000,000 in all): the default view (the last 1,000 lines of each), and "tail all" (the whole
// million, merged by time into the page's ring buffer). Time runs from the click to the view being
// live with every line counted; then a jump to the top checks the page still answers. Not a timed
// test: it prints the figures.
//
// Measured 2026-12-07 on the shared 2-core machine (load average 10-15), Chromium headless:
//   default view (tail 1,000 of each of 5 services, 5,000 lines): 1.9 s (4.9 s in a heavier-loaded run)
//   tail all (1,000,000 lines, merged by time):                  60.6 s (119 s in a heavier-loaded run)
//   jump to the top with the million loaded:                      0.14-0.27 s
// The 1 s target is NOT met. The page's own part is small (the time merge of 1,000,000 lines, in Node
// on the same machine: 0.2-2 s depending on load); the time goes in getting the lines to the page: one
// engine log stream per container, batched into SSE messages of up to 20,000 lines by the server.
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
  let t0 = Date.now();
  await page.getByRole('tab', { name: 'Logs' }).click();
  await expect(count).toHaveAttribute('data-live', 'true', { timeout: 60_000 });
  await expect(count).toHaveAttribute('data-lines', String(SERVICES.length * 1000));
  const tailed = Date.now() - t0;

  t0 = Date.now();
  await page.getByLabel('Tail').selectOption('all');
  await expect(count).toHaveAttribute('data-lines', String(SERVICES.length * LINES), { timeout: 120_000 });
  await expect(count).toHaveAttribute('data-live', 'true');
  const all = Date.now() - t0;

  // Still answering: the first line is one jump away.
  t0 = Date.now();
  await page.getByTestId('stack-log-lines').evaluate((el) => (el.scrollTop = 0));
  await expect(page.getByTestId('stack-log-lines').locator('[data-row="0"]')).toBeVisible();
  const jump = Date.now() - t0;

  console.log(JSON.stringify({ bench: 'stack merged logs', services: SERVICES.length, lines: SERVICES.length * LINES, openTail1000EachMs: tailed, openAllMs: all, jumpToTopMs: jump }));
  await trpcMutation(page.request, baseURL!, 'stacks.remove', { name: STACK });
});
