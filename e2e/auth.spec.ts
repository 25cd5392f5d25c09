import { expect, test } from '@playwright/test';
import { ADMIN, signIn, trpcMutation } from './support/accounts';

const VIEWER = { username: 'viewer1', password: 'viewer-password-1' };

test.describe.serial('accounts and roles', () => {
  test('first run asks for the admin account, with the 12-character minimum', async ({ page }, info) => {
    await page.goto('/containers');
    await expect(page).toHaveURL(/\/setup$/);
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password', { exact: true }).fill('too short');
    await page.getByLabel('Confirm password').fill('too short');
    await page.getByRole('button', { name: /Create admin/ }).click();
    await expect(page.getByText('Password must be at least 12 characters.')).toBeVisible();

    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    // The length error was about the old password: it goes as soon as the password changes.
    await expect(page.getByText('Password must be at least 12 characters.')).toHaveCount(0);
    await page.getByLabel('Confirm password').fill(ADMIN.password);
    await page.getByRole('button', { name: /Create admin/ }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByTestId('current-user')).toHaveText(ADMIN.username);
    await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
    // The embedded engine runs (tests run as root) and made the busybox starter image on first start.
    await expect(page.getByTestId('count-images')).toHaveText(/^[1-9]\d*$/);
    await expect(page.getByTestId('count-running')).toHaveText('0');
    await info.attach('overview', { body: await page.screenshot(), contentType: 'image/png' });

    // Setup is closed once an admin exists.
    await page.goto('/setup');
    await expect(page).toHaveURL(/\/$/);
  });

  test('logout, a wrong password with a clear error, then login', async ({ page }) => {
    await signIn(page, ADMIN);
    await page.getByTestId('current-user').click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/login/);
    await page.goto('/');
    await expect(page).toHaveURL(/\/login/);

    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'Wrong' })).toHaveText('Wrong username or password.');

    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('current-user')).toHaveText(ADMIN.username);
  });

  test('an admin creates a viewer', async ({ page }, info) => {
    await signIn(page, ADMIN);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('link', { name: 'Manage users' }).click();
    await expect(page).toHaveURL(/\/settings\/users$/);
    const form = page.getByRole('form', { name: 'Create user' });
    await form.getByLabel('Username').fill(VIEWER.username);
    await form.getByLabel('Password').fill(VIEWER.password);
    await form.getByLabel('Role').selectOption('viewer');
    await form.getByRole('button', { name: 'Create user' }).click();
    const row = page.getByTestId(`user-row-${VIEWER.username}`);
    await expect(row).toBeVisible();
    await expect(row.getByRole('combobox')).toHaveValue('viewer');
    await info.attach('users', { body: await page.screenshot(), contentType: 'image/png' });
  });

  test('a viewer cannot open Users and is refused mutations, in the UI and over tRPC', async ({ page, baseURL }) => {
    await signIn(page, VIEWER);
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Manage users' })).toHaveCount(0);

    await page.goto('/settings/users');
    await expect(page.getByRole('heading', { name: 'Forbidden' })).toBeVisible();

    const res = await trpcMutation(page.request, baseURL!, 'users.create', { username: 'sneaky', password: 'sneaky-password-1', role: 'admin' });
    expect(res.status()).toBe(403);
    const list = await page.request.get('/api/trpc/users.list');
    expect(list.status()).toBe(403);
  });

  test('tRPC answers 401 without a session', async ({ playwright, baseURL }) => {
    const anonymous = await playwright.request.newContext({ baseURL });
    expect((await anonymous.get('/api/trpc/users.list')).status()).toBe(401);
    expect((await anonymous.get('/api/trpc/audit.list?input=%7B%22json%22%3A%7B%7D%7D')).status()).toBe(401);
    await anonymous.dispose();
  });

  test('the audit log records who did what, with filters', async ({ page }) => {
    await signIn(page, ADMIN);
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByLabel('Action').fill('users.create');
    const rows = page.getByTestId('audit-row');
    await expect(rows.filter({ hasText: VIEWER.username }).filter({ hasText: 'success' })).toHaveCount(1);
    await expect(rows.filter({ hasText: 'sneaky' }).filter({ hasText: 'denied' })).toHaveCount(1);
  });
});
