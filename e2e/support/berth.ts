import fs from 'node:fs';
import path from 'node:path';
import { expect, type APIRequestContext, type Page, type TestInfo } from '@playwright/test';
import { ADMIN, signIn, trpcMutation } from './accounts';

export const OPERATOR = { username: 'operator-e2e', password: 'operator-password-1' };
export const VIEWER2 = { username: 'viewer-e2e', password: 'viewer-password-2' };

/** Makes sure a user exists (created by the admin through the real API). */
export async function ensureUser(page: Page, baseURL: string, user: { username: string; password: string }, role: 'viewer' | 'operator'): Promise<void> {
  const res = await trpcMutation(page.request, baseURL, 'users.create', { ...user, role });
  expect([200, 409]).toContain(res.status());
}

export async function signInAdmin(page: Page): Promise<void> {
  await signIn(page, ADMIN);
}

/** Creates (and starts) a container through the same tRPC mutation the form uses. */
export async function createContainer(request: APIRequestContext, baseURL: string, input: { name: string; command: string; image?: string; memory?: string; tty?: boolean }): Promise<string> {
  const res = await trpcMutation(request, baseURL, 'containers.create', { image: 'busybox:latest', network: 'none', ...input });
  const body = await res.json();
  expect(res.status(), JSON.stringify(body)).toBe(200);
  expect(body.result.data.json.error, 'started').toBeNull();
  return body.result.data.json.id as string;
}

export async function removeContainer(request: APIRequestContext, baseURL: string, id: string): Promise<void> {
  await trpcMutation(request, baseURL, 'containers.remove', { id, force: true });
}

/**
 * Records tRPC query requests (httpBatchLink: `?batch=1`). Subscriptions travel over SSE on their own
 * URLs, so any batch request seen while a page only shows live data would be polling.
 */
export function watchQueries(page: Page): { since: (t: number) => string[]; mark: () => number } {
  const seen: { t: number; url: string }[] = [];
  page.on('request', (r) => {
    const url = r.url();
    if (url.includes('/api/trpc/') && url.includes('batch=1')) seen.push({ t: Date.now(), url });
  });
  return { mark: () => Date.now(), since: (t) => seen.filter((s) => s.t >= t).map((s) => decodeURIComponent(s.url.split('/api/trpc/')[1]!.split('?')[0]!)) };
}

/** Attaches a screenshot to the report; with BERTH_DOCS_IMG set, also writes it there for docs/dashboard.md. */
export async function shot(page: Page, info: TestInfo, name: string): Promise<void> {
  const body = await page.screenshot();
  await info.attach(name, { body, contentType: 'image/png' });
  const dir = process.env.BERTH_DOCS_IMG;
  if (dir) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${name}.png`), body);
  }
}
