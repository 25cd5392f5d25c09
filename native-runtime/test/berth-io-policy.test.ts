// Health checks, restart policies (in-process and across a SIGKILLed owner) and container prune.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { EngineEvent } from '../src/engine/types.ts';
import { collectJson, makeEnv, waitFor, type TestEnv } from './berth-helpers.ts';
import { childOwner, killHard } from './berth-io-helpers.ts';

const MS = 1_000_000; // Healthcheck durations are nanoseconds

describe('health, restart policies, prune', () => {
  let env: TestEnv;
  before(() => {
    env = makeEnv('policy');
  });
  after(async () => {
    await env.cleanup();
  });

  test('a failing check turns unhealthy after the retries; a passing one turns healthy; events say so', async () => {
    const since = Date.now() / 1000;
    const c = await env.berth.createContainer({
      Image: 'busybox',
      Cmd: ['sleep', '1000'],
      Healthcheck: { Test: ['CMD-SHELL', 'echo probing; test -f /healthy'], Interval: 150 * MS, Timeout: 3000 * MS, Retries: 2 },
      HostConfig: { NetworkMode: 'none' },
    } as never);
    await c.start();
    assert.equal((await c.inspect()).State.Health?.Status, 'starting');
    const unhealthy = await waitFor(async () => {
      const h = (await c.inspect()).State.Health;
      return h?.Status === 'unhealthy' ? h : undefined;
    }, 10_000, 'unhealthy');
    assert.ok(unhealthy.FailingStreak >= 2);
    assert.equal(unhealthy.Log.at(-1)!.ExitCode, 1);
    assert.equal(unhealthy.Log.at(-1)!.Output, 'probing\n');
    assert.ok(unhealthy.Log.length <= 5);
    const x = await c.exec({ Cmd: ['touch', '/healthy'] });
    await x.start({ Detach: true });
    const healthy = await waitFor(async () => {
      const h = (await c.inspect()).State.Health;
      return h?.Status === 'healthy' ? h : undefined;
    }, 10_000, 'healthy');
    assert.equal(healthy.FailingStreak, 0);
    assert.match((await env.berth.listContainers({ filters: { id: [c.id] } }))[0]!.Status, /\(healthy\)$/);
    const ev = await collectJson<EngineEvent>(await env.berth.getEvents({ since, until: Date.now() / 1000 + 0.05, filters: { container: [c.id] } }));
    const health = ev.map((e) => e.Action).filter((a) => a.startsWith('health_status'));
    assert.deepEqual(health, ['health_status: unhealthy', 'health_status: healthy']);
    await c.stop({ t: 0 });
    await c.remove();
  });

  test('a probe that outlives its timeout fails with Docker’s message', async () => {
    const c = await env.berth.createContainer({
      Image: 'busybox',
      Cmd: ['sleep', '1000'],
      Healthcheck: { Test: ['CMD', 'sleep', '5'], Interval: 100 * MS, Timeout: 200 * MS, Retries: 1 },
      HostConfig: { NetworkMode: 'none' },
    } as never);
    await c.start();
    const h = await waitFor(async () => {
      const x = (await c.inspect()).State.Health;
      return x?.Status === 'unhealthy' ? x : undefined;
    }, 10_000, 'timed-out probe');
    assert.equal(h.Log[0]!.ExitCode, -1);
    assert.match(h.Log[0]!.Output, /Health check exceeded timeout/);
    await c.remove({ force: true });
  });

  test('on-failure:2 restarts twice, then stays exited; a manual stop is not restarted', async () => {
    const since = Date.now() / 1000;
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'exit 3'], HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } } } as never);
    await c.start();
    const st = await waitFor(async () => {
      const i = await c.inspect();
      return i.State.Status === 'exited' && i.RestartCount === 2 ? i : undefined;
    }, 15_000, 'two restarts');
    await new Promise((r) => setTimeout(r, 1000));
    const i = await c.inspect();
    assert.equal(i.State.Status, 'exited');
    assert.equal(i.RestartCount, 2);
    assert.equal(st.State.ExitCode, 3);
    const ev = await collectJson<EngineEvent>(await env.berth.getEvents({ since, until: Date.now() / 1000 + 0.05, filters: { container: [c.id], event: ['start'] } }));
    assert.equal(ev.length, 3);
    await c.remove();

    const a = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'always' } } } as never);
    await a.start();
    await a.stop({ t: 0 });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await a.inspect()).State.Status, 'exited');
    await a.remove();
    await assert.rejects(
      env.berth.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } } as never),
      (e: { statusCode?: number }) => e.statusCode === 409,
    );
  });

  test('`always` comes back after the owner is SIGKILLed and a new Berth starts', async () => {
    await env.berth.close();
    const { proc, firstLine } = childOwner(
      env,
      `const c = await b.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'sleep 0.5; exit 1'], HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'always' } } });\nawait c.start();\nconsole.log(c.id);`,
    );
    const id = await firstLine;
    await killHard(proc);
    await new Promise((r) => setTimeout(r, 1200)); // it exits while nobody owns the root
    const b = env.open();
    const c = b.getContainer(id);
    const i = await waitFor(async () => {
      const x = await c.inspect();
      return x.State.Status === 'running' && x.RestartCount >= 1 ? x : undefined;
    }, 10_000, 'restart by the new Berth');
    assert.ok(i.RestartCount >= 1);
    await c.stop({ t: 0 });
    await c.remove();
    await b.close();
  });

  test('prune removes stopped containers matching the filters and reports the space', async () => {
    const b = env.open();
    const mk = async (labels: Record<string, string>, cmd: string[]) => {
      const c = await b.createContainer({ Image: 'busybox', Cmd: cmd, Labels: labels, HostConfig: { NetworkMode: 'none' } } as never);
      await c.start();
      return c;
    };
    const gone = await mk({ p: '1' }, ['sh', '-c', 'head -c 100000 /dev/zero > /junk']);
    const kept = await mk({ p: '2' }, ['true']);
    const running = await mk({ p: '1' }, ['sleep', '1000']);
    await gone.wait();
    await kept.wait();
    const r = await b.pruneContainers({ filters: { label: ['p=1'] } });
    assert.deepEqual(r.ContainersDeleted, [gone.id]);
    assert.ok(r.SpaceReclaimed! >= 100000, `reclaimed ${r.SpaceReclaimed}`);
    assert.equal((await kept.inspect()).State.Status, 'exited');
    assert.equal((await running.inspect()).State.Status, 'running');
    const none = await b.pruneContainers({ filters: { until: ['2000-01-01T00:00:00Z'] } });
    assert.deepEqual(none, { ContainersDeleted: null, SpaceReclaimed: 0 });
    await assert.rejects(b.pruneContainers({ filters: { bogus: ['x'] } }), (e: { statusCode?: number }) => e.statusCode === 400);
    await running.remove({ force: true });
    await kept.remove();
    await b.close();
  });
});
