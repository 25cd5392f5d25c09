// `docker update` while the container is busy: it answers without waiting for a stop's grace period or a
// restart (dockerd does the same), the limit reaches the live cgroup, and a start under way ends up with
// the new limits. Memory below what the container uses is refused in runc's words. Real containers, v1.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { detectCgroups } from '../src/cgroups/detect.ts';
import { cgroupDirOf, makeEnv, sleep, waitFor, type TestEnv } from './berth-helpers.ts';

let env: TestEnv;
before(() => {
  env = makeEnv('upd');
});
after(async () => {
  await env.cleanup();
});

const MB = 1024 * 1024;
const v1 = detectCgroups().mode !== 'v2';
const memLimit = (pid: number) => Number(fs.readFileSync(`${cgroupDirOf(pid, 'memory')}/memory.limit_in_bytes`, 'utf8'));
/** Whether a promise has settled, without waiting for it. */
function tracked<T>(p: Promise<T>): { p: Promise<T>; settled: () => boolean } {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  return { p, settled: () => done };
}

describe('update while the container is busy', { skip: !v1 && 'reads the cgroup v1 memory files' }, () => {
  test('during a stop grace period: answers before the stop ends and limits the live process', async () => {
    // sh as pid 1 ignores SIGTERM: the stop runs its whole 30 s grace period unless killed.
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'while :; do sleep 1; done'] } as never);
    await c.start();
    const pid = (await c.inspect()).State.Pid;
    const stop = tracked(c.stop({ t: 30 }));
    await sleep(300); // the SIGTERM is out; the stop now waits for an exit that will not come
    const res = await c.update({ Memory: 48 * MB, MemorySwap: 96 * MB });
    assert.deepEqual(res.Warnings, []);
    assert.equal(stop.settled(), false, 'the update did not wait for the stop');
    assert.equal(memLimit(pid), 48 * MB, 'the running process got the limit');
    assert.equal((await c.inspect()).HostConfig.Memory, 48 * MB);
    process.kill(pid, 'SIGKILL'); // kill() would queue behind the stop
    await stop.p;
    await c.remove({ force: true });
  });

  test('during a restart: answers at once, and the restarted process has the new limit', async () => {
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'while :; do sleep 1; done'], HostConfig: { Memory: 64 * MB } } as never);
    await c.start();
    const first = (await c.inspect()).State.Pid;
    const restart = tracked(c.restart({ t: 2 }));
    await c.update({ Memory: 40 * MB, MemorySwap: 80 * MB });
    assert.equal(restart.settled(), false, 'the update did not wait for the restart');
    await restart.p;
    const second = (await c.inspect()).State.Pid;
    assert.notEqual(second, first);
    await waitFor(() => memLimit(second) === 40 * MB || undefined, 5000, 'the new limit on the restarted process');
    await c.remove({ force: true });
  });

  test('in a restart loop: the next start uses the new limit', async () => {
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'sleep 1; exit 3'], HostConfig: { RestartPolicy: { Name: 'always' } } } as never);
    await c.start();
    await waitFor(async () => (await c.inspect()).State.Restarting || undefined, 10_000, 'restarting');
    await c.update({ Memory: 24 * MB, MemorySwap: 48 * MB });
    const pid = await waitFor(async () => {
      const s = (await c.inspect()).State;
      return s.Running && s.Pid ? s.Pid : undefined;
    }, 10_000, 'the next start');
    assert.equal(memLimit(pid), 24 * MB);
    await c.remove({ force: true });
  });

  test('memory below what the container uses: refused as runc says it, and nothing changes', async () => {
    // 40 MiB in /dev/shm: tmpfs pages are charged to the container and cannot be reclaimed without swap.
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'head -c 41943040 /dev/zero > /dev/shm/hog && echo ready; sleep 600'], HostConfig: { Memory: 256 * MB, MemorySwap: 256 * MB } } as never);
    await c.start();
    const pid = (await c.inspect()).State.Pid;
    await waitFor(() => Number(fs.readFileSync(`${cgroupDirOf(pid, 'memory')}/memory.usage_in_bytes`, 'utf8')) > 30 * MB || undefined, 20_000, 'memory in use');
    await assert.rejects(c.update({ Memory: 8 * MB, MemorySwap: 8 * MB }), (e: Error & { statusCode?: number }) => {
      assert.equal(e.statusCode, 500);
      assert.match(e.message, /^Cannot update container [0-9a-f]{64}: unable to set memory limit to 8388608 \(current usage: \d+, peak usage: \d+\)$/);
      return true;
    });
    assert.equal((await c.inspect()).HostConfig.Memory, 256 * MB, 'the record keeps the old limit');
    assert.equal((await c.inspect()).State.Running, true);
    await c.remove({ force: true });
  });
});
