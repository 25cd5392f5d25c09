// Test set-up for the Engine API: a Berth on a temp root under /var/tmp (unique cgroup parent, registries
// offline), the API on a unix socket in that root, a migrated dashboard DB for the audit rows, and a
// docker CLI runner that reads no user configuration. Cleanup removes everything it made.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Berth } from '@berth/runtime';
import { createTestServices, type TestServices } from '../../support/services.ts';
import { dbAuditSink } from '../../../server/engine-api/audit.ts';
import { startEngineApi, type EngineApiServer } from '../../../server/engine-api/server.ts';
import { removeCgroupParent } from '../../../native-runtime/test/berth-helpers.ts';

export interface ApiEnv {
  root: string;
  socket: string;
  berth: Berth;
  api: EngineApiServer;
  services: TestServices;
  dockerConfig: string;
  docker(args: string[], opts?: { input?: string | Buffer; timeoutMs?: number }): Promise<CliResult>;
  cleanup(): Promise<void>;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export async function startApiEnv(tag: string): Promise<ApiEnv> {
  process.env['BERTH_OFFLINE'] = '1'; // read when the Berth is made: nothing may leave the machine
  const root = fs.mkdtempSync(`/var/tmp/berth-ea-${tag}-`);
  const run = path.join(root, 'run');
  const cgroupParent = `berth-test-ea-${tag}-${randomBytes(3).toString('hex')}`;
  const berth = new Berth({ root, run, cgroupParent });
  await berth.ping();
  const services = createTestServices();
  const socket = path.join(run, 'berth.sock');
  const api = await startEngineApi({ engine: () => berth, socketPath: socket, audit: dbAuditSink(services.db) });
  const dockerConfig = fs.mkdtempSync(path.join(root, 'docker-config-'));
  const env = {
    PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: dockerConfig,
    DOCKER_HOST: `unix://${socket}`,
    DOCKER_BUILDKIT: '0',
    DOCKER_CONFIG: dockerConfig,
    DOCKER_CLI_HINTS: 'false',
  };
  return {
    root,
    socket,
    berth,
    api,
    services,
    dockerConfig,
    docker: (args, opts = {}) => runCommand('docker', args, env, opts),
    async cleanup() {
      await api.close().catch(() => undefined);
      for (const c of await berth.listContainers({ all: true }).catch(() => [])) await berth.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
      await berth.close();
      await services.cleanup();
      removeCgroupParent(cgroupParent);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Runs a command without blocking the event loop (the server under test lives in this process). */
export function runCommand(cmd: string, args: string[], env: Record<string, string | undefined>, opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<CliResult> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), ms: Date.now() - t0 });
    });
    child.stdin.on('error', () => undefined);
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

export function envFor(e: ApiEnv): Record<string, string | undefined> {
  return { PATH: process.env['PATH'], HOME: e.dockerConfig, DOCKER_HOST: `unix://${e.socket}`, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: e.dockerConfig };
}
