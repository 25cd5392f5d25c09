// A tiny Docker token-auth server (distribution's token spec) for tests: an EC P-256 key and a self-signed
// certificate made with `openssl`, JWTs signed ES256 with the certificate in the `x5c` header, `access`
// claims granted from the requested scopes for a known user/password (anonymous callers get none).
import { execFile } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  certPath: string;
  /** Every token request seen: the scopes asked and who asked. */
  requests: Array<{ account: string | null; scopes: string[] }>;
  stop(): Promise<void>;
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

export async function startTokenServer(opts: { users: Record<string, string>; service?: string; issuer?: string }): Promise<TokenServer> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-token-'));
  const keyPath = path.join(dir, 'key.pem');
  const certPath = path.join(dir, 'cert.pem');
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyPath]);
  await run('openssl', ['req', '-new', '-x509', '-key', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=berth-test-token-issuer']);
  const key: KeyObject = createPrivateKey(await fsp.readFile(keyPath));
  const certDer = (await fsp.readFile(certPath, 'utf8')).replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const service = opts.service ?? 'berth-test-registry';
  const issuer = opts.issuer ?? 'berth-test-issuer';
  const requests: TokenServer['requests'] = [];

  const jwt = (sub: string, access: Array<{ type: string; name: string; actions: string[] }>): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'ES256', typ: 'JWT', x5c: [certDer] };
    const claims = { iss: issuer, sub, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(12).toString('hex'), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    return `${input}.${b64url(sig)}`;
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    let account: string | null = null;
    const h = req.headers.authorization;
    if (h?.startsWith('Basic ')) {
      const [u, ...rest] = Buffer.from(h.slice(6), 'base64').toString('utf8').split(':');
      const p = rest.join(':');
      if (!u || opts.users[u] !== p) {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
        return;
      }
      account = u;
    }
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    requests.push({ account, scopes });
    const access = [];
    if (account) {
      for (const s of scopes) {
        const parts = s.split(':');
        if (parts.length < 3) continue;
        const actions = parts.pop()!.split(',');
        const type = parts.shift()!;
        access.push({ type, name: parts.join(':'), actions });
      }
    }
    const token = jwt(account ?? '', access);
    // The token spec: offline_token=true with credentials also returns a refresh_token (docker login's IdentityToken).
    const refresh = account && url.searchParams.get('offline_token') === 'true' ? { refresh_token: `refresh-${account}` } : {};
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString(), ...refresh }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certPath,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}
