import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDeployEvent, emptyProgress, stepStates } from '../../../components/stacks/deploy-progress.ts';
import type { DeployEvent } from '../../../components/stacks/types.ts';

const plan = {
  services: [
    { name: 'app', image: 's-app', build: true, action: 'create', current: 0, desired: 1, keep: [], recreate: [], remove: [], create: 1, reasons: [] },
    { name: 'db', image: 'busybox', build: false, action: 'unchanged', current: 1, desired: 1, keep: ['s-db-1'], recreate: [], remove: [], create: 0, reasons: [] },
  ],
  orphans: [],
  networks: [],
  volumes: [],
  warnings: [],
} as const;

test('events fold into one row per service with its steps, build output and the outcome', () => {
  const events = [
    { type: 'plan', plan, at: 1 },
    { type: 'network', name: 's_default', action: 'created', at: 2 },
    { type: 'service', service: 'db', phase: 'unchanged', at: 3 },
    { type: 'service', service: 'app', phase: 'building', at: 4 },
    { type: 'build', service: 'app', record: { stream: 'Step 1/2 : FROM busybox\n' }, at: 5 },
    { type: 'build', service: 'app', record: { aux: { ID: 'sha256:x' } }, at: 6 },
    { type: 'service', service: 'app', phase: 'built', at: 7 },
    { type: 'service', service: 'app', phase: 'creating', container: 's-app-1', at: 8 },
    { type: 'service', service: 'app', phase: 'created', container: 's-app-1', at: 9 },
    { type: 'service', service: 'app', phase: 'starting', container: 's-app-1', at: 10 },
  ] as unknown as DeployEvent[];
  let p = events.reduce(applyDeployEvent, emptyProgress());
  assert.deepEqual(p.services.map((s) => [s.name, s.imageStep, s.phase]), [['app', 'build', 'starting'], ['db', 'pull', 'unchanged']]);
  assert.deepEqual(p.services[0]!.output, ['Step 1/2 : FROM busybox']);
  assert.deepEqual(p.resources, ['network s_default created']);
  assert.deepEqual(stepStates(p.services[0]!, false), { image: 'done', create: 'done', start: 'active', healthy: 'pending' });
  assert.deepEqual(stepStates(p.services[1]!, false), { image: 'skipped', create: 'skipped', start: 'skipped', healthy: 'skipped' });

  p = applyDeployEvent(p, { type: 'service', service: 'app', phase: 'waiting', at: 11 } as DeployEvent);
  assert.equal(stepStates(p.services[0]!, false).healthy, 'active');
  p = applyDeployEvent(p, { type: 'service', service: 'app', phase: 'healthy', at: 12 } as DeployEvent);
  p = applyDeployEvent(p, { type: 'finished', version: 3, at: 13 } as DeployEvent);
  assert.equal(p.status, 'finished');
  assert.equal(p.version, 3);
  assert.deepEqual(stepStates(p.services[0]!, true), { image: 'done', create: 'done', start: 'done', healthy: 'done' });
  // An unchanged service a dependent waits for: only its health step is live.
  p = applyDeployEvent(p, { type: 'service', service: 'db', phase: 'waiting', at: 14 } as DeployEvent);
  assert.deepEqual(stepStates(p.services[1]!, false), { image: 'skipped', create: 'skipped', start: 'skipped', healthy: 'active' });
  p = applyDeployEvent(p, { type: 'service', service: 'db', phase: 'healthy', at: 15 } as DeployEvent);
  assert.equal(stepStates(p.services[1]!, true).healthy, 'done');
});

test('a service error marks the active step failed; a failed run keeps its issues', () => {
  let p = emptyProgress();
  p = applyDeployEvent(p, { type: 'service', service: 'web', phase: 'pulling', at: 1 } as DeployEvent);
  p = applyDeployEvent(p, { type: 'pull', service: 'web', record: { status: 'Downloading', id: 'abc', progress: '[==>  ]' }, at: 2 } as DeployEvent);
  assert.equal(p.services[0]!.pullStatus, 'abc Downloading [==>  ]');
  p = applyDeployEvent(p, { type: 'error', service: 'web', message: 'pull access denied', at: 3 } as DeployEvent);
  p = applyDeployEvent(p, { type: 'failed', message: 'image nope cannot be had', issues: [{ file: '', line: 0, col: 0, path: '', message: 'image nope cannot be had' }], at: 4 } as DeployEvent);
  assert.equal(stepStates(p.services[0]!, true).image, 'failed');
  assert.equal(p.status, 'failed');
  assert.equal(p.failure?.message, 'image nope cannot be had');
  assert.deepEqual(p.errors, ['web: pull access denied']);
});
