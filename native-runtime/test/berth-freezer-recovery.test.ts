// Issue #15 item 4: a server that died while a container's cgroup was frozen (docker cp used to freeze
// it) left the container frozen while inspect said running; `unpause` said "not paused" and `stop`
// failed. On recovery the freezer is made to agree with the record: frozen without a recorded pause is
// thawed, and a recorded pause whose group is thawed is reported as running.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cgroupDirOf, makeEnv, type TestEnv } from './berth-helpers.ts';

const freezerState = (pid: number): string => path.join(cgroupDirOf(pid, 'freezer'), 'freezer.state');

function setFreezer(pid: number, state: 'FROZEN' | 'THAWED'): void {
  const f = freezerState(pid);
  for (let i = 0; i < 1000; i++) {
    fs.writeFileSync(f, state);
    if (fs.readFileSync(f, 'utf8').trim() === state) return;
  }
  throw new Error(`freezer did not reach ${state}`);
}

describe('freezer state on recovery', () => {
  let env: TestEnv;
  before(() => {
    env = makeEnv('freeze');
  });
  after(async () => {
    await env.cleanup();
  });

  test('a cgroup frozen behind the engine is thawed at start; unpause and stop then behave', async () => {
    const c = await env.berth.createContainer({ Image: 'busybox', Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: 'none' } } as never);
    await c.start();
    const pid = (await c.inspect()).State.Pid;
    await env.berth.close();
    setFreezer(pid, 'FROZEN'); // as a server crash in the middle of a frozen operation left it
    const b = env.open();
    const st = (await b.getContainer(c.id).inspect()).State;
    assert.equal(st.Status, 'running');
    assert.equal(st.Paused, false);
    assert.equal(fs.readFileSync(freezerState(pid), 'utf8').trim(), 'THAWED');
    // dockerd: unpause of a running container is a 409 "is not paused"; pause/unpause round-trips.
    await assert.rejects(b.getContainer(c.id).unpause(), (e: { statusCode?: number }) => e.statusCode === 409);
    await b.getContainer(c.id).pause();
    await b.getContainer(c.id).unpause();
    await b.getContainer(c.id).stop({ t: 1 });
    assert.equal((await b.getContainer(c.id).inspect()).State.Status, 'exited');
    await b.getContainer(c.id).remove();
    await b.close();
  });

  test('a recorded pause whose cgroup was thawed behind the engine is reported as running', async () => {
    const b0 = env.open();
    const c = await b0.createContainer({ Image: 'busybox', Cmd: ['sleep', '1000'], HostConfig: { NetworkMode: 'none' } } as never);
    await c.start();
    await c.pause();
    const pid = (await c.inspect()).State.Pid;
    await b0.close();
    setFreezer(pid, 'THAWED');
    const b = env.open();
    const st = (await b.getContainer(c.id).inspect()).State;
    assert.equal(st.Paused, false);
    assert.equal(st.Status, 'running');
    await b.getContainer(c.id).stop({ t: 1 });
    assert.equal((await b.getContainer(c.id).inspect()).State.Status, 'exited');
    await b.getContainer(c.id).remove();
    await b.close();
  });
});
