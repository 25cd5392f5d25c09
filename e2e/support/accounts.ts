import { expect, type APIRequestContext, type Page } from '@playwright/test';

export const ADMIN = { username: 'admin', password: 'e2e-admin-password-1' };

/** Signs the page's browser context in through the real login form. */
export async function signIn(page: Page, user: { username: string; password: string }): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('current-user')).toHaveText(user.username);
}

/** Calls a tRPC mutation the way the app does (superjson body), with the page's cookies. */
export function trpcMutation(request: APIRequestContext, baseURL: string, path: string, json: unknown) {
  return request.post(`/api/trpc/${path}`, { data: { json }, headers: { origin: baseURL, 'content-type': 'application/json' } });
}
