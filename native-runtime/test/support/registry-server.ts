// Starts Debian's docker-registry (distribution 2.8) on 127.0.0.1:<free port> with filesystem storage in a
// temp dir, waits until /v2/ answers, and stops it (SIGTERM, then SIGKILL) at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export function registryAvailable(): boolean {
  return existsSync(REGISTRY_BIN);
}

export interface TokenAuthConfig {
  realm: string;
  service: string;
  issuer: string;
  rootcertbundle: string;
}

export interface RegistryServer {
  host: string; // 127.0.0.1:PORT
  port: number;
  dir: string;
  log: () => string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/v2/', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(1000, () => req.destroy());
  });
}

/** `htpasswd`: the file's lines (`user:bcrypt-hash`), for the registry's Basic auth. */
export async function startRegistry(opts: { token?: TokenAuthConfig; htpasswd?: string } = {}): Promise<RegistryServer> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-registry-'));
  await fsp.mkdir(path.join(dir, 'data'));
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${Math.random().toString(36).slice(2)}`,
  ];
  if (opts.token) {
    lines.push('auth:', '  token:', `    realm: ${opts.token.realm}`, `    service: ${opts.token.service}`, `    issuer: ${opts.token.issuer}`, `    rootcertbundle: ${opts.token.rootcertbundle}`);
  }
  if (opts.htpasswd) {
    await fsp.writeFile(path.join(dir, 'htpasswd'), opts.htpasswd);
    lines.push('auth:', '  htpasswd:', '    realm: berth-test', `    path: ${path.join(dir, 'htpasswd')}`);
  }
  const cfg = path.join(dir, 'config.yml');
  await fsp.writeFile(cfg, lines.join('\n') + '\n');
  let out = '';
  const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir } as unknown as NodeJS.ProcessEnv });
  child.stdout!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-20000)));
  child.stderr!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-20000)));
  let exited = false;
  child.on('exit', () => (exited = true));
  const stop = async (): Promise<void> => {
    if (!exited) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(t);
    }
    await fsp.rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`docker-registry exited at start:\n${out}`);
    }
    const st = await ping(port);
    if (st === 200 || st === 401) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not answer on 127.0.0.1:${port}:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host: `127.0.0.1:${port}`, port, dir, log: () => out, stop };
}
