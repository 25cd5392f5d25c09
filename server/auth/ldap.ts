// LDAP sign-in through ldapts: a service bind finds the user's DN, a bind as that DN checks the
// password, and group membership maps to a role. Groups come from the user's memberOf attribute and
// from a search of the group base; groups inside groups are followed level by level (AD's
// LDAP_MATCHING_RULE_IN_CHAIN is not in OpenLDAP), bounded in depth and count, each group once.
// Only LDAPS or StartTLS.
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Client, escapeFilter } from 'ldapts';
import { z } from 'zod';
import { loadOrCreateKey, open, seal } from '../crypto/secret-box.ts';
import type { Db } from '../db/client.ts';
import { ROLES, type Role } from './roles.ts';

export const LDAP_SETTING_KEY = 'identity.ldap';

export const ldapSettingsSchema = z
  .object({
    enabled: z.boolean().default(true),
    url: z.string().regex(/^ldaps?:\/\/[^\s/]+\/?$/, 'ldaps://host:636 or ldap://host:389 (with StartTLS).'),
    startTls: z.boolean().default(false),
    /** PEM of the CA that signed the directory's certificate; empty uses the system's. */
    tlsCa: z.string().max(20000).default(''),
    bindDn: z.string().min(1).max(500),
    bindPassword: z.string().min(1).max(500),
    userBase: z.string().min(1).max(500),
    /** Attribute holding the sign-in name, e.g. uid or sAMAccountName. */
    userAttribute: z.string().regex(/^[A-Za-z][\w-]{0,63}$/).default('uid'),
    groupBase: z.string().min(1).max(500),
    /** Attribute of a group naming its members: member (groupOfNames) or uniqueMember (groupOfUniqueNames). */
    memberAttribute: z.string().regex(/^[A-Za-z][\w-]{0,63}$/).default('member'),
    /** Attribute of a user entry listing its groups (AD, slapd's memberof overlay); empty to not read it. */
    memberOfAttribute: z.union([z.literal(''), z.string().regex(/^[A-Za-z][\w-]{0,63}$/)]).default('memberOf'),
    /** How many levels of groups-in-groups count (0: direct membership only). */
    nestedGroupDepth: z.number().int().min(0).max(10).default(5),
    /** Group DN (or cn) → role; the highest match wins. */
    mappings: z.array(z.object({ group: z.string().min(1).max(500), role: z.enum(ROLES) })).max(100).default([]),
    unmatched: z.enum(['deny', 'viewer']).default('deny'),
    timeoutMs: z.number().int().min(500).max(30000).default(5000),
  })
  .refine((s) => s.url.startsWith('ldaps://') || s.startTls, { message: 'Use ldaps:// or turn StartTLS on: passwords never cross the network in clear.', path: ['startTls'] });
export type LdapSettings = z.infer<typeof ldapSettingsSchema>;

export async function readLdapSettings(db: Db, root: string): Promise<LdapSettings | null> {
  const row = await db.setting.findUnique({ where: { key: LDAP_SETTING_KEY } });
  if (!row) return null;
  const stored = JSON.parse(row.value) as Record<string, unknown>;
  try {
    const bindPassword = open(loadOrCreateKey(root), String(stored.bindPasswordSealed ?? ''));
    const parsed = ldapSettingsSchema.safeParse({ ...stored, bindPassword });
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export async function writeLdapSettings(db: Db, root: string, s: LdapSettings): Promise<void> {
  const { bindPassword, ...rest } = s;
  const value = JSON.stringify({ ...rest, bindPasswordSealed: seal(loadOrCreateKey(root), bindPassword) });
  await db.setting.upsert({ where: { key: LDAP_SETTING_KEY }, create: { key: LDAP_SETTING_KEY, value }, update: { value } });
}

export type LdapOutcome =
  | { ok: true; dn: string; username: string; role: Role; groups: string[] }
  | { ok: false; kind: 'credentials' | 'unmapped' | 'unavailable'; reason: string };

const cnOf = (dn: string): string => /^cn=([^,]+)/i.exec(dn)?.[1] ?? dn;

export function roleFromGroups(groups: string[], s: Pick<LdapSettings, 'mappings' | 'unmatched'>): Role | null {
  const names = new Set(groups.flatMap((g) => [g.toLowerCase(), cnOf(g).toLowerCase()]));
  let best: Role | null = null;
  for (const m of s.mappings) {
    if (names.has(m.group.toLowerCase()) && (best === null || ROLES.indexOf(m.role) > ROLES.indexOf(best))) best = m.role;
  }
  return best ?? (s.unmatched === 'viewer' ? 'viewer' : null);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Checks a username and password against the directory. Never throws. */
export async function ldapAuthenticate(s: LdapSettings, username: string, password: string): Promise<LdapOutcome> {
  // An empty password would be an anonymous bind, which many servers accept: never a sign-in.
  if (!password) return { ok: false, kind: 'credentials', reason: 'Wrong username or password.' };
  const url = new URL(s.url.replace(/^ldaps?:/, 'http:'));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // SNI carries names only; the certificate is still checked against an IP address.
  const tls: ConnectionOptions = { ...(s.tlsCa ? { ca: [s.tlsCa] } : {}), ...(net.isIP(host) ? {} : { servername: host }), minVersion: 'TLSv1.2' };
  // ldapts speaks TLS from the first byte whenever tlsOptions is given, so only ldaps:// gets them here.
  const client = new Client({ url: s.url, timeout: s.timeoutMs, connectTimeout: s.timeoutMs, ...(s.url.startsWith('ldaps://') ? { tlsOptions: tls } : {}), strictDN: false });
  try {
    try {
      // startTLS checks the certificate against options.host (or servername), so name the server.
      if (s.startTls) await client.startTLS({ ...tls, host });
      await client.bind(s.bindDn, s.bindPassword);
    } catch (err) {
      return { ok: false, kind: 'unavailable', reason: `The directory server cannot be reached or refused Berth's service account: ${describe(err)}` };
    }
    const { searchEntries } = await client.search(s.userBase, {
      scope: 'sub',
      // The attribute name is schema-checked (letters, digits, -), so escaping leaves it as it is.
      filter: escapeFilter`(${s.userAttribute}=${username})`,
      attributes: ['dn', s.userAttribute, ...(s.memberOfAttribute ? [s.memberOfAttribute] : [])],
      sizeLimit: 2,
    });
    if (searchEntries.length !== 1) return { ok: false, kind: 'credentials', reason: 'Wrong username or password.' };
    const dn = searchEntries[0]!.dn;
    try {
      await client.bind(dn, password);
    } catch {
      return { ok: false, kind: 'credentials', reason: 'Wrong username or password.' };
    }
    // Back to the service account: the user may not be allowed to read groups.
    await client.bind(s.bindDn, s.bindPassword);
    const memberOf = s.memberOfAttribute ? valuesOf(searchEntries[0]![s.memberOfAttribute]) : [];
    const groupDns = await groupsOf(client, s, dn, memberOf);
    const role = roleFromGroups(groupDns, s);
    if (!role) return { ok: false, kind: 'unmapped', reason: 'Your directory account is in no group that maps to a Berth role. Ask an admin for access.' };
    return { ok: true, dn, username, role, groups: groupDns };
  } catch (err) {
    return { ok: false, kind: 'unavailable', reason: `The directory search failed: ${describe(err)}` };
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** Stops a huge or hostile directory from making one sign-in walk it all. */
export const MAX_GROUPS = 1000;

function valuesOf(v: unknown): string[] {
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x)));
}

/**
 * Every group `userDn` is in: the memberOf values, the groups naming it as a member, and then, level by
 * level up to nestedGroupDepth, the groups naming any group found so far. Each DN is visited once
 * (compared case-insensitively), so cycles end; one search per level, OR-ing that level's DNs.
 */
async function groupsOf(client: Client, s: LdapSettings, userDn: string, memberOf: string[]): Promise<string[]> {
  const seen = new Map<string, string>();
  const add = (dns: string[]): string[] => {
    const fresh: string[] = [];
    for (const g of dns) {
      const key = g.toLowerCase();
      if (seen.has(key) || seen.size >= MAX_GROUPS) continue;
      seen.set(key, g);
      fresh.push(g);
    }
    return fresh;
  };
  const membersOf = async (dns: string[]): Promise<string[]> => {
    const found: string[] = [];
    // Chunked so a filter stays a sane size.
    for (let i = 0; i < dns.length; i += 50) {
      const terms = dns.slice(i, i + 50).map((d) => escapeFilter`(${s.memberAttribute}=${d})`).join('');
      const { searchEntries } = await client.search(s.groupBase, { scope: 'sub', filter: `(|${terms})`, attributes: ['dn'], sizeLimit: MAX_GROUPS });
      found.push(...searchEntries.map((e) => e.dn));
    }
    return found;
  };
  let level = add([...memberOf, ...(await membersOf([userDn]))]);
  for (let depth = 0; depth < s.nestedGroupDepth && level.length > 0 && seen.size < MAX_GROUPS; depth++) {
    level = add(await membersOf(level));
  }
  return [...seen.values()];
}

/** The Berth user for a directory DN, created on first sign-in; the role follows the groups each time. */
export async function provisionLdapUser(db: Db, o: Extract<LdapOutcome, { ok: true }>): Promise<{ ok: true; user: { id: string; username: string; role: string } } | { ok: false; reason: string }> {
  const externalId = `ldap:${o.dn.toLowerCase()}`;
  const existing = await db.user.findUnique({ where: { externalId } });
  if (existing) {
    const user = existing.role === o.role ? existing : await db.user.update({ where: { id: existing.id }, data: { role: o.role } });
    return { ok: true, user: { id: user.id, username: user.username, role: user.role } };
  }
  if (await db.user.findUnique({ where: { username: o.username } })) {
    return { ok: false, reason: `The name ${o.username} belongs to another Berth account; an admin must rename or remove it first.` };
  }
  const user = await db.user.create({ data: { id: randomUUID(), username: o.username, passwordHash: '!ldap', role: o.role, authSource: 'ldap', externalId } });
  return { ok: true, user: { id: user.id, username: user.username, role: user.role } };
}
