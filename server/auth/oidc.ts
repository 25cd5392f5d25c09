// OIDC sign-in: authorization code flow with PKCE, state and nonce, through openid-client. The ID token's
// signature (JWKS), issuer, audience, expiry and nonce are all verified by the library; Berth only maps
// the verified claims to a role. Unmatched users get no access unless an admin chose viewer; never admin.
import { randomUUID } from 'node:crypto';
import * as client from 'openid-client';
import { z } from 'zod';
import { loadOrCreateKey, open, seal } from '../crypto/secret-box.ts';
import type { Db } from '../db/client.ts';
import { isLoopbackName } from './request-origin.ts';
import { ROLES, type Role } from './roles.ts';

export const OIDC_SETTING_KEY = 'identity.oidc';
export const OIDC_CALLBACK_PATH = '/api/auth/oidc/callback';
export const OIDC_START_PATH = '/api/auth/oidc/start';
/** Cookie binding the flow to the browser that started it (login CSRF); Lax so the IdP's redirect carries it. */
export const OIDC_STATE_COOKIE = 'berth_oidc_state';
const FLOW_TTL_MS = 10 * 60 * 1000;

export const oidcSettingsSchema = z.object({
  enabled: z.boolean().default(true),
  issuer: z.url(),
  clientId: z.string().min(1).max(300),
  clientSecret: z.string().min(1).max(500),
  /** Berth's callback as the IdP knows it, e.g. https://berth.example/api/auth/oidc/callback. */
  redirectUri: z.url().refine((u) => new URL(u).pathname === OIDC_CALLBACK_PATH, `The redirect URI must end in ${OIDC_CALLBACK_PATH}.`),
  scope: z.string().max(300).default('openid profile email groups'),
  /** The claim whose value(s) decide the role, e.g. groups. */
  roleClaim: z.string().min(1).max(100).default('groups'),
  mappings: z.array(z.object({ value: z.string().min(1).max(300), role: z.enum(ROLES) })).max(100).default([]),
  /** What a user who matches no mapping gets. Admin is deliberately not an option. */
  unmatched: z.enum(['deny', 'viewer']).default('deny'),
});
export type OidcSettings = z.infer<typeof oidcSettingsSchema>;

/** The stored settings (client secret opened), whether enabled or not; null when never configured. */
export async function readOidcSettingsAny(db: Db, root: string): Promise<OidcSettings | null> {
  const row = await db.setting.findUnique({ where: { key: OIDC_SETTING_KEY } });
  if (!row) return null;
  const stored = JSON.parse(row.value) as Record<string, unknown>;
  let clientSecret = '';
  try {
    clientSecret = typeof stored.clientSecretSealed === 'string' ? open(loadOrCreateKey(root), stored.clientSecretSealed) : '';
  } catch {
    return null;
  }
  const parsed = oidcSettingsSchema.safeParse({ ...stored, clientSecret });
  return parsed.success ? parsed.data : null;
}

/** The settings sign-in uses: null when not configured or switched off. */
export async function readOidcSettings(db: Db, root: string): Promise<OidcSettings | null> {
  const s = await readOidcSettingsAny(db, root);
  return s?.enabled ? s : null;
}

/** The client secret is sealed with $BERTH_ROOT/secret.key, like registry passwords. */
export async function writeOidcSettings(db: Db, root: string, settings: OidcSettings): Promise<void> {
  const { clientSecret, ...rest } = settings;
  const value = JSON.stringify({ ...rest, clientSecretSealed: seal(loadOrCreateKey(root), clientSecret) });
  await db.setting.upsert({ where: { key: OIDC_SETTING_KEY }, create: { key: OIDC_SETTING_KEY, value }, update: { value } });
}

/** The highest role any of the claim's values maps to, the unmatched fallback, or null (no access). */
export function roleFromClaims(claims: Record<string, unknown>, s: Pick<OidcSettings, 'roleClaim' | 'mappings' | 'unmatched'>): Role | null {
  const raw = claims[s.roleClaim];
  const values = new Set((Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string'));
  let best: Role | null = null;
  for (const m of s.mappings) {
    if (values.has(m.value) && (best === null || ROLES.indexOf(m.role) > ROLES.indexOf(best))) best = m.role;
  }
  return best ?? (s.unmatched === 'viewer' ? 'viewer' : null);
}

/** Plain HTTP only for an IdP on loopback (tests, a local Dex); anything else must be HTTPS. */
async function discover(s: OidcSettings): Promise<client.Configuration> {
  const issuer = new URL(s.issuer);
  const insecure = issuer.protocol === 'http:' && isLoopbackName(issuer.hostname);
  const config = await client.discovery(issuer, s.clientId, s.clientSecret, undefined, insecure ? { execute: [client.allowInsecureRequests] } : undefined);
  // Verify the ID token's JWS signature against the IdP's JWKS, not only TLS.
  client.enableNonRepudiationChecks(config);
  return config;
}

export type OidcOutcome =
  | { ok: true; issuer: string; subject: string; username: string; role: Role; claims: Record<string, unknown> }
  | { ok: false; reason: string; subject?: string };

export const STATE_REFUSED = 'The sign-in state is unknown, expired or was already used. Start the sign-in again.';

/**
 * In-flight sign-ins, keyed by `state`, in the database (table OidcFlow): a server restart mid-login or a
 * second server process finishes them. Each is taken once (a delete that must hit one row), so a
 * replayed callback finds nothing, even when two processes race for it.
 */
export class OidcFlows {
  constructor(private readonly db: Db) {}

  async begin(s: OidcSettings, now = new Date()): Promise<{ url: URL; state: string }> {
    const config = await discover(s);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: s.redirectUri,
      scope: s.scope,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    await this.db.oidcFlow.deleteMany({ where: { expiresAt: { lte: now } } });
    await this.db.oidcFlow.create({ data: { state, verifier, nonce, createdAt: now, expiresAt: new Date(now.getTime() + FLOW_TTL_MS) } });
    return { url, state };
  }

  /**
   * `callbackUrl` is the full URL the IdP redirected to; `boundState` the state cookie of this browser.
   * The flow is checked against the settings in force now, so a provider changed mid-login is refused.
   */
  async finish(s: OidcSettings, callbackUrl: URL, boundState: string | undefined, now = new Date()): Promise<OidcOutcome> {
    const state = callbackUrl.searchParams.get('state') ?? '';
    if (!/^[\w-]{1,200}$/.test(state)) return { ok: false, reason: 'The identity provider answered without a valid state. Start the sign-in again.' };
    const flow = await this.db.oidcFlow.findUnique({ where: { state } });
    // Take it: only the caller whose delete removed the row may use it.
    const taken = flow ? (await this.db.oidcFlow.deleteMany({ where: { state } })).count === 1 : false;
    if (!flow || !taken) return { ok: false, reason: STATE_REFUSED };
    if (flow.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'The sign-in took longer than 10 minutes and expired. Start the sign-in again.' };
    if (boundState !== state) return { ok: false, reason: 'The sign-in was started in another browser (state cookie mismatch). Start the sign-in again.' };
    const idpError = callbackUrl.searchParams.get('error');
    if (idpError) return { ok: false, reason: `The identity provider refused: ${idpError} ${callbackUrl.searchParams.get('error_description') ?? ''}`.trim() };
    let claims: Record<string, unknown>;
    try {
      const config = await discover(s);
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: flow.verifier,
        expectedState: state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      claims = (tokens.claims() ?? {}) as Record<string, unknown>;
    } catch (err) {
      return { ok: false, reason: `The identity provider's answer was refused: ${describe(err)}` };
    }
    const subject = String(claims.sub ?? '');
    const role = roleFromClaims(claims, s);
    if (!role) return { ok: false, subject, reason: `Your account matches no Berth role (claim ${s.roleClaim}). Ask an admin for access.` };
    const username = pickUsername(claims);
    return { ok: true, issuer: String(claims.iss), subject, username, role, claims };
  }
}

function describe(err: unknown): string {
  // An OAuth error answer (ResponseBodyError): the IdP's own code and words say more than the wrapper's.
  const oauth = err as { error?: unknown; error_description?: unknown };
  if (err instanceof Error && typeof oauth.error === 'string') {
    return `${oauth.error}${typeof oauth.error_description === 'string' ? ` (${oauth.error_description})` : ''}`;
  }
  if (err instanceof Error) {
    const cause = err.cause && typeof err.cause === 'object' && 'message' in err.cause ? ` (${String((err.cause as { message: unknown }).message)})` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}

function pickUsername(claims: Record<string, unknown>): string {
  for (const k of ['preferred_username', 'email', 'sub']) {
    const v = claims[k];
    if (typeof v === 'string' && /^[\w.@+-]{1,64}$/.test(v)) return v;
  }
  return `oidc-${String(claims.sub ?? randomUUID()).replace(/[^\w.-]/g, '').slice(0, 40)}`;
}

export type ProvisionResult = { ok: true; user: { id: string; username: string; role: string } } | { ok: false; reason: string };

/**
 * Finds the Berth user for (issuer, subject), creating it on first sign-in; the IdP's mapping sets the
 * role on every sign-in. A local account with the same name is never taken over.
 */
export async function provisionOidcUser(db: Db, o: Extract<OidcOutcome, { ok: true }>): Promise<ProvisionResult> {
  const externalId = `${o.issuer}#${o.subject}`;
  const existing = await db.user.findUnique({ where: { externalId } });
  if (existing) {
    const user = existing.role === o.role ? existing : await db.user.update({ where: { id: existing.id }, data: { role: o.role } });
    return { ok: true, user: { id: user.id, username: user.username, role: user.role } };
  }
  if (await db.user.findUnique({ where: { username: o.username } })) {
    return { ok: false, reason: `The name ${o.username} belongs to another Berth account; an admin must rename or remove it first.` };
  }
  const user = await db.user.create({
    // '!' is no scrypt hash, so no password ever verifies against it.
    data: { id: randomUUID(), username: o.username, passwordHash: '!oidc', role: o.role, authSource: 'oidc', externalId },
  });
  return { ok: true, user: { id: user.id, username: user.username, role: user.role } };
}
