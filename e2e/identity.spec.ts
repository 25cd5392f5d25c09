// Sign-in through an organisation's identity provider, in Chromium: OIDC against a real oidc-provider and
// LDAP against slapd, both on 127.0.0.1 and started here. Role mapping from claims and (nested) groups,
// roles per endpoint (a second endpoint: Berth's own Engine API socket), revocation reaching an open page
// at once, the break-glass admin, and every refusal shown on the login page in words.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { ADMIN, signIn, trpcMutation } from './support/accounts';
import { ensureUser } from './support/berth';
import { OIDC_CLIENT, startDirectory, startIdp, type Directory, type Idp } from './support/identity-servers';

const LOCAL_VIEWER = { username: 'idv-viewer', password: 'idv-viewer-password' };
const SCOPED = { username: 'idv-scoped', password: 'idv-scoped-password' };

let idp: Idp;
let directory: Directory;
let otherEndpoint = '';

async function adminPage(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, ADMIN);
  return page;
}

async function roleOf(page: Page): Promise<string | null> {
  const body = await (await page.request.get('/api/trpc/auth.me')).json();
  return body.result.data.json.user?.role ?? null;
}

/** Clicks through Berth's login page and the IdP's own login and consent pages. */
async function oidcSignIn(page: Page, login: string): Promise<void> {
  await page.goto('/login');
  await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
  await expect(page).toHaveURL(new RegExp(`^${idp.issuer}/interaction/`));
  await page.locator('input[name=login]').fill(login);
  await page.locator('input[name=password]').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
}

/** Uses the header's switcher once the page is live (before hydration a change would do nothing). */
async function switchEndpoint(page: Page, username: string, label: string, id: string): Promise<void> {
  await expect(page.getByTestId('current-user')).toHaveText(username);
  await page.getByLabel('Endpoint').selectOption({ label });
  await expect.poll(async () => (await page.context().cookies()).find((c) => c.name === 'berth_endpoint')?.value).toBe(id);
  await expect(page.getByTestId('current-user')).toHaveText(username);
  await expect(page.getByLabel('Endpoint')).toHaveValue(id);
}

async function ldapSettings(url: string) {
  return {
    enabled: true,
    url,
    startTls: false,
    tlsCa: directory.ca,
    bindDn: `cn=admin,${directory.suffix}`,
    bindPassword: 'admin-secret',
    userBase: `ou=people,${directory.suffix}`,
    userAttribute: 'uid',
    groupBase: `ou=groups,${directory.suffix}`,
    memberAttribute: 'member',
    memberOfAttribute: 'memberOf',
    nestedGroupDepth: 5,
    mappings: [
      { group: 'dir-ops', role: 'operator' },
      { group: 'dir-admins', role: 'admin' },
    ],
    unmatched: 'deny',
    timeoutMs: 3000,
  };
}

test.describe.serial('sign-in through OIDC and LDAP', () => {
  // Several browsers and two identity servers per test, on a shared 2-core machine.
  test.describe.configure({ timeout: 180_000 });

  test.beforeAll(async ({ baseURL }) => {
    idp = await startIdp(`${baseURL}/api/auth/oidc/callback`, { 'sso-alice': ['staff', 'berth-ops'], 'sso-bob': ['staff'], 'sso-carol': ['berth-admins'] });
    // dir-dora is in a group inside dir-ops; dir-erin only in staff.
    directory = await startDirectory(['dir-dora', 'dir-erin'], { 'ops-leads': ['dir-dora'], 'dir-ops': ['cn=ops-leads'], staff: ['dir-dora', 'dir-erin'] });
  });

  test.afterAll(async ({ browser, baseURL }) => {
    try {
      const page = await adminPage(browser);
      await trpcMutation(page.request, baseURL!, 'identity.setLocalLogin', { enabled: true, breakGlass: '' });
      if (otherEndpoint) await trpcMutation(page.request, baseURL!, 'endpoints.remove', { id: otherEndpoint });
      // Other specs share this server: switch both providers off (unknown names would go to a dead directory).
      await trpcMutation(page.request, baseURL!, 'identity.setLdap', { settings: { ...(await ldapSettings(directory.url)), enabled: false } });
      await trpcMutation(page.request, baseURL!, 'identity.setOidc', {
        enabled: false,
        issuer: idp.issuer,
        clientId: OIDC_CLIENT.id,
        clientSecret: '',
        redirectUri: `${baseURL}/api/auth/oidc/callback`,
        scope: 'openid profile groups',
        roleClaim: 'groups',
        mappings: [],
        unmatched: 'deny',
      });
    } finally {
      await idp?.close();
      directory?.close();
    }
  });

  test('an admin sets up OIDC in Settings → Identity; mapped users get their role, never admin by default', async ({ browser, baseURL }) => {
    const admin = await adminPage(browser);
    await admin.goto('/settings/identity');
    const form = admin.getByRole('form', { name: 'OIDC settings' });
    await form.getByLabel('Issuer').fill(idp.issuer);
    await form.getByLabel('Redirect URI').fill(`${baseURL}/api/auth/oidc/callback`);
    await form.getByLabel('Client ID').fill(OIDC_CLIENT.id);
    await form.getByLabel('Client secret').fill(OIDC_CLIENT.secret);
    await form.getByLabel('Scopes').fill('openid profile groups');
    await form.getByLabel('Role claim').fill('groups');
    await form.getByLabel('Mappings').fill('berth-ops = operator\nberth-admins = admin');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form.getByText('Saved.')).toBeVisible();

    const alice = await (await browser.newContext()).newPage();
    await oidcSignIn(alice, 'sso-alice');
    await expect(alice.getByTestId('current-user')).toHaveText('sso-alice');
    expect(await roleOf(alice)).toBe('operator');
    await alice.goto('/containers/new');
    await expect(alice).toHaveURL(/\/containers\/new$/);

    const carol = await (await browser.newContext()).newPage();
    await oidcSignIn(carol, 'sso-carol');
    await expect(carol.getByTestId('current-user')).toHaveText('sso-carol');
    expect(await roleOf(carol)).toBe('admin');

    // In no mapped group: no account, and the login page says why.
    const bob = await (await browser.newContext()).newPage();
    await oidcSignIn(bob, 'sso-bob');
    await expect(bob).toHaveURL(/\/login\?error=/);
    await expect(bob.getByRole('alert').first()).toHaveText('Your account matches no Berth role (claim groups). Ask an admin for access.');
    expect(await roleOf(bob)).toBeNull();
  });

  test('a bad or replayed state and an expired code are refused with a clear message', async ({ browser }) => {
    const page = await (await browser.newContext()).newPage();
    await page.goto('/api/auth/oidc/callback?code=x&state=not-a-state-we-made');
    await expect(page.getByRole('alert').first()).toHaveText('The sign-in state is unknown, expired or was already used. Start the sign-in again.');

    // Replay: the same callback URL, in the browser that just used it.
    let callback = '';
    page.on('request', (r) => {
      if (r.url().includes('/api/auth/oidc/callback?')) callback = r.url();
    });
    await oidcSignIn(page, 'sso-alice');
    await expect(page.getByTestId('current-user')).toHaveText('sso-alice');
    expect(callback).toContain('state=');
    const fresh = await (await browser.newContext()).newPage();
    await fresh.goto(callback);
    await expect(fresh.getByRole('alert').first()).toHaveText(/unknown, expired or was already used|another browser/);

    // Expired code: the IdP's codes live 1 s and its redirect back is held for 2.5 s.
    idp.shortCodes = true;
    try {
      const slow = await (await browser.newContext()).newPage();
      await oidcSignIn(slow, 'sso-alice');
      await expect(slow).toHaveURL(/\/login\?error=/);
      await expect(slow.getByRole('alert').first()).toHaveText(/^The identity provider's answer was refused: .*(invalid_grant|expired)/i);
      expect(await roleOf(slow)).toBeNull();
    } finally {
      idp.shortCodes = false;
    }
  });

  test('LDAP: a user in a group inside a mapped group signs in with the mapped role; errors are clear', async ({ browser, baseURL }) => {
    const admin = await adminPage(browser);
    expect((await trpcMutation(admin.request, baseURL!, 'identity.setLdap', { settings: await ldapSettings(directory.url) })).status()).toBe(200);

    const dora = await (await browser.newContext()).newPage();
    await signIn(dora, { username: 'dir-dora', password: 'dir-dora-password' });
    expect(await roleOf(dora)).toBe('operator');

    const page = await (await browser.newContext()).newPage();
    await page.goto('/login');
    await page.getByLabel('Username').fill('dir-dora');
    await page.getByLabel('Password').fill('not-her-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'Wrong' })).toHaveText('Wrong username or password.');

    await page.getByLabel('Username').fill('dir-erin');
    await page.getByLabel('Password').fill('dir-erin-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'no group' })).toHaveText('Your directory account is in no group that maps to a Berth role. Ask an admin for access.');

    // The directory is down: said so, nobody signed in.
    expect((await trpcMutation(admin.request, baseURL!, 'identity.setLdap', { settings: await ldapSettings('ldaps://127.0.0.1:1') })).status()).toBe(200);
    await page.getByLabel('Username').fill('dir-dora');
    await page.getByLabel('Password').fill('dir-dora-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'directory' })).toHaveText(/^The directory server cannot be reached or refused Berth's service account/);
    expect(await roleOf(page)).toBeNull();
    await trpcMutation(admin.request, baseURL!, 'identity.setLdap', { settings: await ldapSettings(directory.url) });
  });

  test('roles per endpoint: operator on one, viewer on the other, in pages and actions', async ({ browser, baseURL }) => {
    const admin = await adminPage(browser);
    await ensureUser(admin, baseURL!, SCOPED, 'viewer');
    // A second endpoint: this Berth's own Engine API socket, reached through dockerode like any remote.
    const created = await trpcMutation(admin.request, baseURL!, 'endpoints.create', { name: 'idv-self', url: `unix://${process.env.BERTH_E2E_RUN}/berth.sock` });
    const body = await created.json();
    expect(created.status(), JSON.stringify(body)).toBe(200);
    otherEndpoint = body.result.data.json.id as string;

    await admin.goto('/settings/identity');
    const form = admin.getByRole('form', { name: 'Endpoint role' });
    await form.getByLabel('User').selectOption({ label: `${SCOPED.username} (viewer)` });
    await form.getByLabel('Endpoint').selectOption({ label: 'This machine' });
    await form.getByLabel('Role there').selectOption('operator');
    await form.getByRole('button', { name: 'Set' }).click();
    await expect(admin.getByRole('cell', { name: SCOPED.username })).toBeVisible();

    const user = await (await browser.newContext()).newPage();
    await signIn(user, SCOPED);
    expect(await roleOf(user)).toBe('operator');
    await user.goto('/containers/new');
    await expect(user).toHaveURL(/\/containers\/new$/);

    await user.goto('/containers');
    await switchEndpoint(user, SCOPED.username, 'idv-self', otherEndpoint);
    expect(await roleOf(user)).toBe('viewer');
    await user.goto('/containers/new');
    await expect(user).toHaveURL(/\/forbidden\?need=operator$/);
    // Actions too: an operator mutation on this endpoint is refused.
    const start = await trpcMutation(user.request, baseURL!, 'containers.start', { id: 'does-not-matter' });
    expect(start.status()).toBe(403);

    await user.goto('/containers');
    await switchEndpoint(user, SCOPED.username, 'This machine', 'local');
    expect(await roleOf(user)).toBe('operator');
  });

  test('revoking a session sends an open page to the login page at once; a revoked token gets 401', async ({ browser, baseURL }) => {
    const admin = await adminPage(browser);
    await ensureUser(admin, baseURL!, LOCAL_VIEWER, 'viewer');
    const viewer = await (await browser.newContext()).newPage();
    await signIn(viewer, LOCAL_VIEWER);
    // The containers page keeps a live subscription open.
    await viewer.goto('/containers');
    await expect(viewer.getByRole('heading', { name: 'Containers' })).toBeVisible();

    await admin.goto('/settings/account');
    const row = admin.getByRole('row').filter({ hasText: LOCAL_VIEWER.username });
    await row.first().getByRole('button', { name: 'Revoke' }).click();
    // No reload, no navigation by the test: the cut subscription takes the page to login, with the reason.
    await expect(viewer).toHaveURL(/\/login\?error=/, { timeout: 15_000 });
    await expect(viewer.getByRole('alert').first()).toHaveText('Your session was revoked; sign in again.');
    expect(await roleOf(viewer)).toBeNull();

    // An API token made in Settings → Account works as Bearer until revoked there.
    await admin.goto('/settings/account');
    const create = admin.getByRole('form', { name: 'Create API token' });
    await create.getByLabel('Name').fill('idv-ci');
    await create.getByLabel('Role').selectOption('viewer');
    await create.getByRole('button', { name: 'Create token' }).click();
    const token = (await admin.getByTestId('new-token').textContent())!.trim();
    const asToken = () => fetch(`${baseURL}/api/trpc/containers.list`, { headers: { authorization: `Bearer ${token}` } });
    expect((await asToken()).status).toBe(200);
    await admin.getByRole('row').filter({ hasText: 'idv-ci' }).first().getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(async () => (await asToken()).status).toBe(401);
  });

  test('with local sign-in off only the break-glass admin signs in with a password', async ({ browser }) => {
    const admin = await adminPage(browser);
    await admin.goto('/settings/identity');
    const form = admin.getByRole('form', { name: 'Local sign-in' });
    await form.getByLabel('Local accounts may sign in with a password').uncheck();
    await form.getByLabel('Break-glass admin').fill(ADMIN.username);
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form.getByText('Saved.')).toBeVisible();

    const page = await (await browser.newContext()).newPage();
    await page.goto('/login');
    await expect(page.getByText('Password sign-in is kept for the break-glass admin only.')).toBeVisible();
    await page.getByLabel('Username').fill(LOCAL_VIEWER.username);
    await page.getByLabel('Password').fill(LOCAL_VIEWER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'turned off' })).toHaveText('Local sign-in is turned off. Sign in with single sign-on.');

    // Single sign-on still works, and so does the break-glass admin.
    await oidcSignIn(page, 'sso-alice');
    await expect(page.getByTestId('current-user')).toHaveText('sso-alice');
    const glass = await (await browser.newContext()).newPage();
    await signIn(glass, ADMIN);

    await form.getByLabel('Local accounts may sign in with a password').check();
    await form.getByRole('button', { name: 'Save' }).click();
    await expect(form.getByText('Saved.')).toBeVisible();
  });
});
