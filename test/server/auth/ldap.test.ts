// LDAP sign-in against Debian's slapd, started here on loopback with a throwaway CA: LDAPS and StartTLS,
// group membership to roles, wrong passwords, filter injection, and a directory that is down.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createRequestHandler } from '../../../server/http/handler.ts';
import { createTestServices, listen, type TestServices } from '../../support/services.ts';
import { ldapAuthenticate, roleFromGroups, writeLdapSettings, type LdapSettings } from '../../../server/auth/ldap.ts';

const SUFFIX = 'dc=berth,dc=test';
let dir: string;
let slapd: ChildProcess;
let ldapPort: number;
let ldapsPort: number;
let ca: string;
let s: TestServices;
let server: http.Server;
let base: string;

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

function run(cmd: string, args: string[], input?: string): void {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => (c.end(), resolve(true)));
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`slapd did not listen on ${port}`);
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-slapd-'));
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
  ca = fs.readFileSync(`${dir}/cert.pem`, 'utf8');
  fs.mkdirSync(`${dir}/db`);
  fs.writeFileSync(
    `${dir}/slapd.conf`,
    `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile ${dir}/slapd.pid
TLSCertificateFile ${dir}/cert.pem
TLSCertificateKeyFile ${dir}/key.pem
database mdb
suffix "${SUFFIX}"
rootdn "cn=admin,${SUFFIX}"
rootpw admin-secret
directory ${dir}/db
overlay memberof
access to attrs=userPassword by anonymous auth by * none
access to * by dn.exact="cn=admin,${SUFFIX}" read by self read by * none
`,
  );
  ldapPort = await freePort();
  ldapsPort = await freePort();
  slapd = spawn('slapd', ['-f', `${dir}/slapd.conf`, '-h', `ldap://127.0.0.1:${ldapPort}/ ldaps://127.0.0.1:${ldapsPort}/`, '-d', '0'], { stdio: 'ignore' });
  await waitForPort(ldapPort);
  await waitForPort(ldapsPort);
  const person = (uid: string) => `dn: uid=${uid},ou=people,${SUFFIX}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${uid}\nsn: ${uid}\nuserPassword: ${uid}-password\n`;
  const group = (cn: string, members: string[]) =>
    `dn: cn=${cn},ou=groups,${SUFFIX}\nobjectClass: groupOfNames\ncn: ${cn}\n${members.map((m) => `member: uid=${m},ou=people,${SUFFIX}`).join('\n')}\n`;
  // Members given relative to the suffix; groups (cn=…) live under ou=groups.
  const groupOf = (cn: string, members: string[]) =>
    `dn: cn=${cn},ou=groups,${SUFFIX}\nobjectClass: groupOfNames\ncn: ${cn}\n${members.map((m) => `member: ${m.startsWith('cn=') ? `${m},ou=groups` : m},${SUFFIX}`).join('\n')}\n`;
  const ldif = [
    `dn: ${SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: berth\no: berth\n`,
    `dn: ou=people,${SUFFIX}\nobjectClass: organizationalUnit\nou: people\n`,
    `dn: ou=groups,${SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n`,
    person('alice'),
    person('bob'),
    person('carol'),
    group('berth-ops', ['alice']),
    group('berth-admins', ['carol']),
    group('staff', ['alice', 'bob', 'carol']),
    person('dora'),
    person('erin'),
    person('frank'),
    // Nested: dora is in ops-leads, which is a member of berth-ops.
    group('ops-leads', ['dora']),
    groupOf('berth-ops-nested', ['cn=ops-leads']),
    // A cycle: erin is in cycle-a; cycle-a and cycle-b contain each other; neither maps to a role.
    groupOf('cycle-a', [`uid=erin,ou=people`, 'cn=cycle-b']),
    groupOf('cycle-b', ['cn=cycle-a']),
    // A chain three levels under berth-admins: frank → g1 → g2 → g3 → berth-admins-nested.
    group('g1', ['frank']),
    groupOf('g2', ['cn=g1']),
    groupOf('g3', ['cn=g2']),
    groupOf('berth-admins-nested', ['cn=g3']),
  ].join('\n');
  run('ldapadd', ['-x', '-H', `ldap://127.0.0.1:${ldapPort}`, '-D', `cn=admin,${SUFFIX}`, '-w', 'admin-secret'], ldif);

  s = createTestServices();
  const handler = createRequestHandler(s, null);
  server = http.createServer((req, res) => void handler(req, res));
  base = await listen(server);
});

after(async () => {
  server?.closeAllConnections();
  server?.close();
  slapd?.kill('SIGTERM');
  await s?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

const settings = (over: Partial<LdapSettings> = {}): LdapSettings => ({
  enabled: true,
  url: `ldaps://127.0.0.1:${ldapsPort}`,
  startTls: false,
  tlsCa: ca,
  bindDn: `cn=admin,${SUFFIX}`,
  bindPassword: 'admin-secret',
  userBase: `ou=people,${SUFFIX}`,
  userAttribute: 'uid',
  groupBase: `ou=groups,${SUFFIX}`,
  memberAttribute: 'member',
  memberOfAttribute: 'memberOf',
  nestedGroupDepth: 5,
  mappings: [
    { group: 'berth-ops', role: 'operator' },
    { group: `cn=berth-admins,ou=groups,${SUFFIX}`, role: 'admin' },
  ],
  unmatched: 'deny',
  timeoutMs: 3000,
  ...over,
});

test('group names or DNs map to roles; the highest wins', () => {
  assert.equal(roleFromGroups([`cn=berth-ops,ou=groups,${SUFFIX}`, `cn=berth-admins,ou=groups,${SUFFIX}`], settings()), 'admin');
  assert.equal(roleFromGroups([`cn=staff,ou=groups,${SUFFIX}`], settings()), null);
  assert.equal(roleFromGroups([], settings({ unmatched: 'viewer' })), 'viewer');
});

test('LDAPS: bind, search and group membership give the mapped role', async () => {
  const a = await ldapAuthenticate(settings(), 'alice', 'alice-password');
  assert.ok(a.ok, JSON.stringify(a));
  assert.equal(a.role, 'operator');
  const c = await ldapAuthenticate(settings(), 'carol', 'carol-password');
  assert.ok(c.ok && c.role === 'admin');
  const b = await ldapAuthenticate(settings(), 'bob', 'bob-password');
  assert.equal(b.ok, false);
  assert.equal(!b.ok && b.kind, 'unmapped');
});

test('StartTLS works; wrong passwords, empty passwords and filter injection are refused', async () => {
  const st = await ldapAuthenticate(settings({ url: `ldap://127.0.0.1:${ldapPort}`, startTls: true }), 'alice', 'alice-password');
  assert.ok(st.ok, JSON.stringify(st));
  for (const [u, p] of [['alice', 'nope'], ['alice', ''], ['*', 'alice-password'], ['alice)(uid=*', 'alice-password']] as const) {
    const r = await ldapAuthenticate(settings(), u, p);
    assert.equal(!r.ok && r.kind, 'credentials', `${u}/${p}`);
  }
});

test('an untrusted certificate or a directory that is down is "unavailable", with a clear reason', async () => {
  const untrusted = await ldapAuthenticate(settings({ tlsCa: '' }), 'alice', 'alice-password');
  assert.equal(!untrusted.ok && untrusted.kind, 'unavailable');
  const down = await ldapAuthenticate(settings({ url: `ldaps://127.0.0.1:${await freePort()}` }), 'alice', 'alice-password');
  assert.equal(!down.ok && down.kind, 'unavailable');
  assert.match(!down.ok ? down.reason : '', /cannot be reached/);
});

test('sign-in through auth.login: a directory user gets a session and the mapped role; down is audited', async () => {
  await writeLdapSettings(s.db, s.config.root, settings());
  const login = (username: string, password: string) =>
    fetch(`${base}/api/trpc/auth.login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ json: { username, password } }) });
  const ok = await login('alice', 'alice-password');
  assert.equal(ok.status, 200);
  const user = await s.db.user.findUniqueOrThrow({ where: { username: 'alice' } });
  assert.equal(user.role, 'operator');
  assert.equal(user.authSource, 'ldap');
  assert.equal((await login('alice', 'wrong-password')).status, 401);
  assert.equal((await login('bob', 'bob-password')).status, 403);
  assert.equal(await s.db.user.count({ where: { username: 'bob' } }), 0);

  await writeLdapSettings(s.db, s.config.root, settings({ url: `ldaps://127.0.0.1:${await freePort()}` }));
  const down = await login('alice', 'alice-password');
  assert.equal(down.status, 503);
  assert.match(JSON.stringify(await down.json()), /directory server cannot be reached/);
  assert.ok(await s.db.auditLog.findFirst({ where: { action: 'auth.login', result: 'failure', error: { contains: 'cannot be reached' } } }));
});

const nestedMappings = [
  { group: 'berth-ops-nested', role: 'operator' as const },
  { group: 'berth-admins-nested', role: 'admin' as const },
];

test('nested groups: a group inside a mapped group counts; depth is bounded; cycles end', async () => {
  const dora = await ldapAuthenticate(settings({ mappings: nestedMappings }), 'dora', 'dora-password');
  assert.ok(dora.ok && dora.role === 'operator', JSON.stringify(dora));
  assert.ok(dora.ok && dora.groups.some((g) => /^cn=berth-ops-nested,/i.test(g)));
  // Direct membership only: ops-leads maps to nothing.
  const flat = await ldapAuthenticate(settings({ mappings: nestedMappings, nestedGroupDepth: 0 }), 'dora', 'dora-password');
  assert.equal(!flat.ok && flat.kind, 'unmapped');
  // frank is four levels below berth-admins-nested: found at depth 3 (g1 → g2 → g3 → it), not at 2.
  const deep = await ldapAuthenticate(settings({ mappings: nestedMappings, nestedGroupDepth: 3 }), 'frank', 'frank-password');
  assert.ok(deep.ok && deep.role === 'admin', JSON.stringify(deep));
  const shallow = await ldapAuthenticate(settings({ mappings: nestedMappings, nestedGroupDepth: 2 }), 'frank', 'frank-password');
  assert.equal(!shallow.ok && shallow.kind, 'unmapped');
  // The cycle is walked once each way and ends with no role (and no hang).
  const erin = await ldapAuthenticate(settings({ mappings: nestedMappings, unmatched: 'viewer' }), 'erin', 'erin-password');
  assert.ok(erin.ok && erin.role === 'viewer', JSON.stringify(erin));
  assert.deepEqual(erin.ok && erin.groups.map((g) => g.split(',')[0]!.toLowerCase()).sort(), ['cn=cycle-a', 'cn=cycle-b']);
});

test('memberOf on the user entry counts even when the group search finds nothing', async () => {
  // A group base with no groups in it: only the memberOf attribute (slapd's memberof overlay) can say.
  const viaMemberOf = await ldapAuthenticate(settings({ groupBase: `ou=people,${SUFFIX}` }), 'alice', 'alice-password');
  assert.ok(viaMemberOf.ok && viaMemberOf.role === 'operator', JSON.stringify(viaMemberOf));
  const without = await ldapAuthenticate(settings({ groupBase: `ou=people,${SUFFIX}`, memberOfAttribute: '' }), 'alice', 'alice-password');
  assert.equal(!without.ok && without.kind, 'unmapped');
});
