// Stack benchmarks (issue #18): `up -d` of a five-service project (busybox, one user network, one named
// volume, depends_on) three ways in the same run, the variants taking turns each round:
//   - Debian's docker-compose 1.29 against dockerd (own loopback-only netns, see engine-api.ts): baseline
//   - docker-compose 1.29 against Berth's Engine API socket
//   - Berth's own deploy (the engine side of tRPC `stacks.deploy`)
// and the same project with `depends_on: condition: service_healthy` (a 1 s health interval is then the
// floor). Each round brings the project down again (`down -v`, not timed).
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Berth } from '@berth/runtime';
import { Stacks } from '../native-runtime/src/stacks/index.ts';
import { startEngineApi } from '../server/engine-api/server.ts';
import { runCommand } from '../test/server/engine-api/test-env.ts';
import { startDockerd } from './engine-api.ts';
import { fmtMs, median, removeCgroupParent, tempRoot, timeMs, type Row } from './lib.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const COMPOSE = '/usr/bin/docker-compose';

/** Exits on SIGTERM at once (a bare `sleep` as pid 1 ignores it, and `down` would wait out the grace period). */
const CMD = `["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`;

function project(healthy: boolean): string {
  const svc = (name: string, extra: string[]) => [`  ${name}:`, '    image: busybox', `    command: ${CMD}`, '    networks: [backend]', ...extra.map((l) => `    ${l}`)].join('\n');
  const dbHealth = healthy ? ['healthcheck:', '  test: ["CMD", "true"]', '  interval: 1s', '  timeout: 1s', '  retries: 3'] : [];
  const onDb = healthy ? ['depends_on:', '  db:', '    condition: service_healthy', '  cache:', '    condition: service_started'] : ['depends_on: [db, cache]'];
  return [
    "version: '3.8'",
    'services:',
    svc('db', ['volumes: ["data:/data"]', 'environment: { ROLE: db }', ...dbHealth]),
    svc('cache', ['environment: { ROLE: cache }']),
    svc('api', ['environment: { ROLE: api, DB: db }', ...onDb]),
    svc('worker', ['environment: { ROLE: worker }', 'depends_on: [api]']),
    svc('web', ['environment: { ROLE: web }', 'depends_on: [api]']),
    'networks:',
    '  backend: {}',
    'volumes:',
    '  data: {}',
    '',
  ].join('\n');
}

interface Variant {
  name: string;
  up(file: string, name: string): Promise<void>;
  down(file: string, name: string): Promise<void>;
}

function composeVariant(name: string, host: string, dir: string): Variant {
  const env = { PATH: process.env['PATH'], HOME: dir, DOCKER_HOST: host, DOCKER_CONFIG: dir, COMPOSE_INTERACTIVE_NO_CLI: '1' };
  const compose = async (args: string[]) => {
    const r = await runCommand(COMPOSE, args, env, { timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`${name}: docker-compose ${args.join(' ')} failed: ${r.stderr}`);
  };
  return {
    name,
    up: (file, p) => compose(['-p', p, '-f', file, 'up', '-d']),
    down: (file, p) => compose(['-p', p, '-f', file, 'down', '-v', '-t', '1']),
  };
}

function deployVariant(stacks: Stacks): Variant {
  return {
    name: 'stacks.deploy (Berth)',
    async up(file, p) {
      await stacks.deploy({ name: p, files: [{ name: 'compose.yml', content: fs.readFileSync(file, 'utf8') }], env: '', allowHostBinds: true, user: 'bench' }, () => undefined);
    },
    down: (_file, p) => stacks.remove(p),
  };
}

/** Median `up -d` per variant, taking turns; each up is followed by an untimed down. */
async function measure(variants: Variant[], file: string, tag: string): Promise<Map<string, number>> {
  const xs = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  let n = 0;
  const once = async (v: Variant) => {
    const p = `bench${tag}${n++}`;
    const ms = await timeMs(() => v.up(file, p));
    await v.down(file, p);
    return ms;
  };
  for (const v of variants) await once(v); // warm-up
  for (let i = 0; i < RUNS; i++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(i + k) % variants.length]!;
      xs.get(v.name)!.push(await once(v));
    }
  }
  return new Map([...xs].map(([k, v]) => [k, median(v)]));
}

export async function stackBenchmarks(): Promise<Row[]> {
  process.env['BERTH_OFFLINE'] = '1';
  if (!fs.existsSync(COMPOSE)) return [{ name: 'stacks: docker-compose up -d', berth: '–', baseline: 'docker-compose not installed', ratio: '–', target: '–' }];
  const tmp = tempRoot('stacks');
  const cgroupParent = `berth-bench-st-${randomBytes(3).toString('hex')}`;
  const berth = new Berth({ root: tmp.root, run: tmp.run, cgroupParent, bridge: { name: `bst${randomInt(1e5)}` } });
  await berth.ping();
  const api = await startEngineApi({ engine: () => berth, socketPath: path.join(tmp.run, 'berth.sock') });
  const cliDir = fs.mkdtempSync(path.join(tmp.root, 'cli-'));
  const dockerDir = fs.mkdtempSync('/var/tmp/berth-bench-dockerd-');
  let dockerd: Awaited<ReturnType<typeof startDockerd>> = null;
  try {
    dockerd = await startDockerd(dockerDir);
    const variants: Variant[] = [composeVariant('docker-compose → Berth', `unix://${api.socketPath}`, cliDir), deployVariant(new Stacks({ engine: berth, root: path.join(tmp.root, 'stacks'), local: true }))];
    if (dockerd) {
      const tar = path.join(dockerDir, 'busybox.tar');
      const env = (host: string) => ({ PATH: process.env['PATH'], HOME: cliDir, DOCKER_HOST: host, DOCKER_CONFIG: cliDir });
      for (const [host, args] of [
        [`unix://${api.socketPath}`, ['save', '-o', tar, 'busybox']],
        [dockerd.host, ['load', '-i', tar]],
      ] as const) {
        const r = await runCommand('docker', [...args], env(host), { timeoutMs: 120_000 });
        if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
      }
      variants.unshift(composeVariant('docker-compose → dockerd', dockerd.host, dockerDir));
    }
    const files = [false, true].map((healthy) => {
      const f = path.join(cliDir, healthy ? 'healthy.yml' : 'started.yml');
      fs.writeFileSync(f, project(healthy));
      return f;
    });
    const own = median(await Promise.all([0, 1, 2].map(() => runCommand(COMPOSE, ['version', '--short'], { PATH: process.env['PATH'], HOME: cliDir }).then((r) => r.ms))));
    const rows: Row[] = [];
    for (const [i, file] of files.entries()) {
      const m = await measure(variants, file, i ? 'h' : 's');
      const base = m.get('docker-compose → dockerd');
      const load = os.loadavg()[0]!.toFixed(1);
      const what = i ? '5 services, service_healthy (1 s interval)' : '5 services, network, volume, depends_on';
      for (const [name, target] of [
        ['docker-compose → Berth', i ? '–' : '≤ 0.3× dockerd'],
        ['stacks.deploy (Berth)', i ? '–' : '≤ 0.15× dockerd'],
      ] as const) {
        const v = m.get(name)!;
        rows.push({
          name: `${name}: up -d, ${what} (median of ${RUNS}, interleaved, load ${load})`,
          berth: fmtMs(v),
          baseline: base === undefined ? 'dockerd not installed' : `${fmtMs(base)} (docker-compose → dockerd 20.10)`,
          ratio: base === undefined ? '–' : `${(v / base).toFixed(2)}×`,
          target,
        });
      }
    }
    rows.push({ name: 'docker-compose version --short (its own start, for reference)', berth: '–', baseline: fmtMs(own), ratio: '–', target: '–' });
    return rows;
  } finally {
    await dockerd?.stop().catch(() => undefined);
    fs.rmSync(dockerDir, { recursive: true, force: true });
    await api.close();
    for (const c of await berth.listContainers({ all: true }).catch(() => [])) await berth.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    for (const n of await berth.listNetworks().catch(() => [])) if (n.Name.startsWith('bench')) await berth.getNetwork(n.Id).remove().catch(() => undefined);
    await berth.close();
    removeCgroupParent(cgroupParent);
    tmp.cleanup();
  }
}

// `tsx bench/stacks.ts` runs this suite alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./lib.ts');
  printTable(await stackBenchmarks());
}
