// Flow 6: the routers (and the terminal websocket) against the embedded engine AND against a real
// dockerd through the dockerode adapter. Same calls, same expectations: nothing above the Engine
// interface knows which one it drives.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { Berth } from '@berth/runtime';
import type { Engine } from '@berth/runtime/engine';
import { hashPassword } from '../../../server/auth/password.ts';
import { createSession, SESSION_COOKIE } from '../../../server/auth/sessions.ts';
import { EngineHub } from '../../../server/engine/hub.ts';
import { startTestDockerd, type TestDockerd } from '../../../server/engine/testing/dockerd.ts';
import { createTestServices, listen, type TestServices } from '../../support/services.ts';
import { createUpgradeHandler } from '../../../server/ws/upgrade.ts';
import { execTerminalRoute } from '../../../server/ws/exec-terminal.ts';
import { appRouter } from '../../../server/api/root.ts';
import { createCallerFactory, createContext } from '../../../server/api/trpc.ts';

const createCaller = createCallerFactory(appRouter);

/**
 * Takes values from a subscription until `until` says so (or the time runs out). Each subscription
 * gets its own caller with an AbortSignal: aborting is what ends a suspended generator (an SSE client
 * disconnecting does the same on the server).
 */
async function collect<T>(open: (signal: AbortSignal) => Promise<AsyncIterable<T>>, until: (seen: T[]) => boolean, ms = 30_000): Promise<T[]> {
  const ac = new AbortController();
  const seen: T[] = [];
  const it = (await open(ac.signal))[Symbol.asyncIterator]();
  const deadline = Date.now() + ms;
  let timer: NodeJS.Timeout | undefined;
  try {
    while (!until(seen)) {
      const left = deadline - Date.now();
      const timeout = new Promise<'t'>((res) => (timer = setTimeout(() => res('t'), Math.max(0, left))));
      const r = await Promise.race([it.next(), timeout]);
      clearTimeout(timer);
      if (r === 't') throw new Error(`timed out; saw ${JSON.stringify(seen).slice(0, 800)}`);
      if (r.done) break;
      seen.push(r.value);
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
    void it.return?.().catch(() => undefined);
  }
  return seen;
}

function terminal(base: string, cookie: string, container: string, extra = ''): Promise<{ output: () => string; send: (s: string) => void; resize: (c: number, r: number) => void; close: () => void; errors: string[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws/exec?container=${container}&cols=100&rows=30${extra}`, { headers: { cookie, origin: base } });
    let out = '';
    const errors: string[] = [];
    ws.on('message', (d: Buffer) => {
      if (d[0] === 1 || d[0] === 2) out += d.subarray(1).toString('utf8');
      if (d[0] === 3) errors.push(d.subarray(1).toString('utf8'));
    });
    ws.on('error', reject);
    ws.on('open', () =>
      resolve({
        output: () => out,
        send: (s) => ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(s)])),
        resize: (cols, rows) => ws.send(Buffer.concat([Buffer.from([4]), Buffer.from(JSON.stringify({ cols, rows }))])),
        close: () => ws.close(),
        errors,
      }),
    );
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The same suite, against whichever engine `open` gives. */
function engineSuite(label: string, open: () => Promise<{ engine: Engine; close: () => Promise<void> }>) {
  describe(`routers over the ${label}`, () => {
    let s: TestServices;
    let engine: Engine;
    let closeEngine: () => Promise<void>;
    let server: http.Server;
    let base: string;
    let cookie: string;
    let adminCookie: string;
    let caller: ReturnType<typeof createCaller>;
    let viewer: ReturnType<typeof createCaller>;
    let opCtx: Awaited<ReturnType<typeof createContext>>;
    /** A caller whose subscriptions end when `signal` aborts. */
    const withSignal = (signal: AbortSignal) => createCaller(opCtx, { signal });
    let id = '';
    const name = `flow6-${label.replace(/\W+/g, '-')}-${process.pid}`;

    before(async () => {
      const opened = await open();
      engine = opened.engine;
      closeEngine = opened.close;
      s = createTestServices();
      s.engines = new EngineHub({ isRoot: true, createEmbedded: () => engine });
      for (const [uid, role] of [
        ['op', 'operator'],
        ['vi', 'viewer'],
        ['ad', 'admin'],
      ] as const) {
        await s.db.user.create({ data: { id: uid, username: uid, role, passwordHash: await hashPassword('long enough password') } });
      }
      const op = await createSession(s.db, 'op', {});
      const vi = await createSession(s.db, 'vi', {});
      cookie = `${SESSION_COOKIE}=${op.token}`;
      adminCookie = `${SESSION_COOKIE}=${(await createSession(s.db, 'ad', {})).token}`;
      const fakeReq = (c: string) => ({ headers: { cookie: c, host: '127.0.0.1' }, socket: { remoteAddress: '127.0.0.1' } }) as unknown as http.IncomingMessage;
      opCtx = await createContext(s, fakeReq(cookie), null);
      caller = createCaller(opCtx);
      viewer = createCaller(await createContext(s, fakeReq(`${SESSION_COOKIE}=${vi.token}`), null));
      server = http.createServer((_req, res) => res.end());
      const upgrade = createUpgradeHandler(s, { '/ws/exec': execTerminalRoute(s) }, null);
      server.on('upgrade', (req, socket, head) => void upgrade(req, socket, head));
      base = await listen(server);
    });

    after(async () => {
      server?.closeAllConnections();
      server?.close();
      if (id) await engine.getContainer(id).remove({ force: true }).catch(() => undefined);
      await s?.cleanup();
      await closeEngine?.();
    });

    test('create with a memory limit: it runs, its events and list update live', async () => {
      const first = await collect((sig) => withSignal(sig).containers.watchList({ all: true }), (seen) => seen.length >= 1);
      assert.ok(!first[0]!.some((c) => c.Names.includes(`/${name}`)));
      // The list subscription is open before the container exists and must push it without being asked.
      const listed = collect((sig) => withSignal(sig).containers.watchList({ all: true }), (seen) => seen.some((l) => l.some((c) => c.Names.includes(`/${name}`) && c.State === 'running')));
      const created = await caller.containers.create({
        image: 'busybox:latest',
        name,
        command: 'sh -c "echo hello-out; echo hello-err >&2; touch /tmp/made-here; i=0; while true; do i=$((i+1)); sleep 0.2; done"',
        network: 'none',
        memory: '64m',
        labels: [{ key: 'berth.test', value: 'flow6' }],
        env: [],
        ports: [],
        volumes: [],
        deviceReadBps: [],
        deviceWriteBps: [],
      } as Parameters<typeof caller.containers.create>[0]);
      assert.equal(created.error, null);
      id = created.id;
      const lists = await listed;
      assert.ok(lists.length >= 2, 'the initial list, then one pushed after the events');
      const seenEvents = await collect(
        (sig) => withSignal(sig).events.stream({ sinceSeconds: 120, types: ['container'], actions: [], container: id }),
        (seen) => seen.some((e) => e.Action === 'start'),
      );
      assert.ok(seenEvents.some((e) => e.Action === 'create' && e.Actor.ID === id), 'create event');
      const info = await caller.containers.inspect({ id });
      assert.equal(info.HostConfig.Memory, 64 * 1024 * 1024);
      assert.equal(info.State.Running, true);
      const filtered = await caller.containers.list({ all: true, label: 'berth.test=flow6' });
      assert.deepEqual(filtered.map((c) => c.Id), [id]);
    });

    test('logs stream stdout and stderr as separate streams', async () => {
      const batches = await collect((sig) => withSignal(sig).containers.logs({ id, tail: 'all', timestamps: false, stdout: true, stderr: true }), (seen) => {
        const text = seen.map((b) => b.text).join('\n');
        return text.includes('hello-out') && text.includes('hello-err');
      });
      const lines = batches.flatMap((b) => b.text.split('\n').map((t, i) => ({ t, s: b.streams[i] })));
      assert.equal(lines.find((l) => l.t === 'hello-out')?.s, '1');
      assert.equal(lines.find((l) => l.t === 'hello-err')?.s, '2');
    });

    test('stats stream with the memory limit; top lists the processes', async () => {
      const points = await collect((sig) => withSignal(sig).containers.stats({ id }), (seen) => seen.length >= 2);
      const p = points.at(-1)!;
      assert.equal(p.memLimit, 64 * 1024 * 1024);
      assert.ok(p.memUsage > 0, 'memory in use');
      assert.ok(p.pids >= 1, 'pids');
      const many = await collect((sig) => withSignal(sig).containers.statsMany({ ids: [id] }), (seen) => seen.length >= 1);
      assert.equal(many[0]!.id, id);
      const top = await caller.containers.top({ id });
      assert.ok(top.Titles.includes('PID'));
      assert.ok(top.Processes.some((row) => row.join(' ').includes('sh -c')), JSON.stringify(top.Processes));
    });

    test('update raises the memory limit live; changes show the new file', async () => {
      await caller.containers.update({ id, memory: '128m', memorySwap: '', cpus: '', pidsLimit: '' });
      const info = await caller.containers.inspect({ id });
      assert.equal(info.HostConfig.Memory, 128 * 1024 * 1024);
      const changes = await caller.containers.changes({ id });
      assert.ok(changes.some((c) => c.Path === '/tmp/made-here' && c.Kind === 1), JSON.stringify(changes));
      const run = await caller.containers.dockerRun({ id });
      assert.match(run.command, new RegExp(`^docker run -d --name ${name} .*--memory 128m .*busybox:latest sh -c`));
    });

    test('the terminal websocket runs a shell: arithmetic, stty size after a resize', async () => {
      const t = await terminal(base, cookie, id);
      t.send('echo $((6*7))\r');
      await until('42 in the terminal', () => /\b42\b/.test(t.output()));
      t.resize(120, 40);
      await new Promise((r) => setTimeout(r, 300));
      t.send('stty size\r');
      await until('stty size 40 120', () => t.output().includes('40 120'));
      t.close();
    });

    test('a privileged terminal (exec --privileged: every capability) is for admins only', async () => {
      const op = await terminal(base, cookie, id, '&privileged=1');
      await until('an error frame', () => op.errors.length > 0);
      assert.match(op.errors[0]!, /needs the admin role; you are operator/);
      const t = await terminal(base, adminCookie, id, '&privileged=1');
      t.send('grep ^CapEff: /proc/self/status\r');
      // runc (under dockerd) fails a privileged exec on a host whose bounding set lacks a capability,
      // as it fails --privileged (issue #16 item 10); Berth grants what it holds.
      const runcRefused = () => label !== 'embedded engine' && /unable to apply caps/.test(t.output());
      await until('CapEff', () => runcRefused() || /CapEff:\s+[0-9a-f]{16}/.test(t.output())).catch((e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify({ output: t.output(), errors: t.errors })}`);
      });
      if (runcRefused()) return t.close();
      // CAP_SYS_ADMIN (bit 21), which the default set lacks: the exec got every capability.
      const eff = BigInt(`0x${/CapEff:\s+([0-9a-f]{16})/.exec(t.output())![1]}`);
      assert.equal((eff >> 21n) & 1n, 1n, t.output());
      t.close();
    });

    test('a viewer reads but may not mutate', async () => {
      const list = await viewer.containers.list({ all: true });
      assert.ok(list.some((c) => c.Id === id));
      await assert.rejects(viewer.containers.stop({ id }), (e: { code?: string }) => e.code === 'FORBIDDEN');
    });

    test('stop: die arrives on the event stream; the terminal then says it is not running; remove', async () => {
      const died = collect((sig) => withSignal(sig).events.stream({ sinceSeconds: 0, types: ['container'], actions: ['die'], container: id }), (e) => e.length >= 1);
      // The stream subscribes on its first pull; give it a moment before the event happens.
      await new Promise((r) => setTimeout(r, 500));
      await caller.containers.stop({ id, t: 1 });
      const seen = await died;
      assert.equal(seen[0]!.Action, 'die');
      const t = await terminal(base, cookie, id);
      await until('an error frame', () => t.errors.length > 0);
      assert.match(t.errors[0]!, /is not running/);
      await caller.containers.remove({ id, force: false, volumes: false });
      await assert.rejects(caller.containers.inspect({ id }), (e: { code?: string; message?: string }) => e.code === 'NOT_FOUND' && /No such container/.test(e.message ?? ''));
      id = '';
    });
  });
}

const tmpRoot = (tag: string) => fs.mkdtempSync(path.join('/var/tmp', `berth-flow6-${tag}-`));

engineSuite('embedded engine', async () => {
  const root = tmpRoot('embedded');
  const run = fs.mkdtempSync('/run/berth-flow6-');
  const cgroupParent = `berth-flow6-${path.basename(root)}`;
  const berth = new Berth({ root, run, cgroupParent });
  return {
    engine: berth,
    close: async () => {
      await berth.close();
      for (const ctl of fs.readdirSync('/sys/fs/cgroup')) {
        try {
          fs.rmdirSync(path.join('/sys/fs/cgroup', ctl, cgroupParent));
        } catch {
          /* absent */
        }
      }
      fs.rmSync(run, { recursive: true, force: true });
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
});

engineSuite('dockerode adapter on a real dockerd', async () => {
  const dir = tmpRoot('dockerd');
  let dockerd: TestDockerd;
  try {
    dockerd = await startTestDockerd(dir, `berth-flow6-dockerd-${path.basename(dir)}`);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    engine: dockerd.engine,
    close: async () => {
      await dockerd.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
