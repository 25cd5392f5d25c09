// A real OpenID Provider (the `oidc-provider` package, with its own login and consent pages) and a real
// directory (Debian's slapd, LDAPS with a throwaway CA, memberof overlay), both on 127.0.0.1, for the
// browser sign-in tests. Same set-up as server/auth/oidc.test.ts and server/auth/ldap.test.ts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const OIDC_CLIENT = { id: 'berth-e2e', secret: 'an-e2e-client-secret-that-is-long-enough' };

export interface Idp {
  issuer: string;
  /** While true, authorization codes live 1 s and reach the browser 2.5 s late (an expired code). */
  shortCodes: boolean;
  close(): Promise<void>;
}

/** Accounts and their `groups` claim; the IdP's dev login form accepts any password. */
export async function startIdp(redirectUri: string, groups: Record<string, string[]>): Promise<Idp> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const modName = 'oidc-provider';
  const { default: Provider } = await import(modName);
  const idp: Idp = {
    issuer,
    shortCodes: false,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
  const provider = new Provider(issuer, {
    clients: [{ client_id: OIDC_CLIENT.id, client_secret: OIDC_CLIENT.secret, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'] }],
    findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id, preferred_username: id, groups: groups[id] ?? [] }) }),
    claims: { openid: ['sub'], profile: ['preferred_username'], groups: ['groups'] },
    scopes: ['openid', 'profile', 'groups'],
    conformIdTokenClaims: false,
    cookies: { keys: ['e2e-cookie-key-0123456789'] },
    ttl: { AuthorizationCode: () => (idp.shortCodes ? 1 : 60) },
  });
  const handle = provider.callback();
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (idp.shortCodes) {
      // Hold the redirect that carries a fresh code for 2.5 s, so the code (1 s) has expired when Berth gets it.
      const end = res.end.bind(res) as (...a: unknown[]) => http.ServerResponse;
      res.end = ((...args: unknown[]) => {
        if (!String(res.getHeader('location') ?? '').includes('code=')) return end(...args);
        setTimeout(() => end(...args), 2500);
        return res;
      }) as typeof res.end;
    }
    handle(req, res);
  });
  return idp;
}

export interface Directory {
  url: string;
  ca: string;
  suffix: string;
  close(): void;
}

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

/**
 * slapd over LDAPS. `people` get `<uid>-password`; `groups` map a group cn to members, each a uid or
 * `cn=<group>` (a group inside a group).
 */
export async function startDirectory(people: string[], groups: Record<string, string[]>): Promise<Directory> {
  const suffix = 'dc=berth,dc=test';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-slapd-'));
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
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
suffix "${suffix}"
rootdn "cn=admin,${suffix}"
rootpw admin-secret
directory ${dir}/db
overlay memberof
access to attrs=userPassword by anonymous auth by * none
access to * by dn.exact="cn=admin,${suffix}" read by self read by * none
`,
  );
  const ldapPort = await freePort();
  const ldapsPort = await freePort();
  const slapd: ChildProcess = spawn('slapd', ['-f', `${dir}/slapd.conf`, '-h', `ldap://127.0.0.1:${ldapPort}/ ldaps://127.0.0.1:${ldapsPort}/`, '-d', '0'], { stdio: 'ignore' });
  await waitForPort(ldapPort);
  await waitForPort(ldapsPort);
  const member = (m: string) => (m.startsWith('cn=') ? `${m},ou=groups,${suffix}` : `uid=${m},ou=people,${suffix}`);
  const ldif = [
    `dn: ${suffix}\nobjectClass: dcObject\nobjectClass: organization\ndc: berth\no: berth\n`,
    `dn: ou=people,${suffix}\nobjectClass: organizationalUnit\nou: people\n`,
    `dn: ou=groups,${suffix}\nobjectClass: organizationalUnit\nou: groups\n`,
    ...people.map((uid) => `dn: uid=${uid},ou=people,${suffix}\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${uid}\nsn: ${uid}\nuserPassword: ${uid}-password\n`),
    ...Object.entries(groups).map(([cn, ms]) => `dn: cn=${cn},ou=groups,${suffix}\nobjectClass: groupOfNames\ncn: ${cn}\n${ms.map((m) => `member: ${member(m)}`).join('\n')}\n`),
  ].join('\n');
  run('ldapadd', ['-x', '-H', `ldap://127.0.0.1:${ldapPort}`, '-D', `cn=admin,${suffix}`, '-w', 'admin-secret'], ldif);
  return {
    url: `ldaps://127.0.0.1:${ldapsPort}`,
    ca: fs.readFileSync(`${dir}/cert.pem`, 'utf8'),
    suffix,
    close() {
      slapd.kill('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
