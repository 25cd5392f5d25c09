// cgroup v2's device filter (issue #16): v2 has no devices.allow, so without a BPF_PROG_TYPE_CGROUP_DEVICE
// program a container could open any device node it finds or makes (a block device shipped in an image).
// The driver attaches Docker's default allow list as runc does. Runs on a real cgroup2 mount: the host's
// (/sys/fs/cgroup on v2, /sys/fs/cgroup/unified on a hybrid host) or one this test mounts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { detectCgroups } from '../src/cgroups/detect.ts';
import { deviceFilterRules, DEFAULT_DEVICE_ALLOW } from '../src/cgroups/devices.ts';
import { CgroupV2Driver } from '../src/cgroups/v2.ts';

let root = '';
let mounted = '';
let tmp = '';
const parent = `berth-devtest-${process.pid}`;
const id = 'd'.repeat(64);

before(() => {
  assert.equal(process.getuid?.(), 0, 'needs root');
  root = detectCgroups().v2Root ?? '';
  if (!root) {
    mounted = fs.mkdtempSync('/var/tmp/berth-cg2-');
    assert.equal(spawnSync('mount', ['-t', 'cgroup2', 'none', mounted]).status, 0, 'mount cgroup2');
    root = mounted;
  }
  tmp = fs.mkdtempSync('/var/tmp/berth-devtest-');
  // Nodes made here: a block device (loop0, 7:0), /dev/kmsg's numbers (1:11), /dev/zero's (1:5).
  for (const [name, type, maj, min] of [['blk', 'b', 7, 0], ['kmsg', 'c', 1, 11], ['zero', 'c', 1, 5]] as const) {
    assert.equal(spawnSync('mknod', [path.join(tmp, name), type, String(maj), String(min)]).status, 0, `mknod ${name}`);
  }
});

after(() => {
  const dir = path.join(root, parent);
  for (const d of [path.join(dir, id), dir]) if (fs.existsSync(d)) fs.rmdirSync(d);
  if (mounted) {
    spawnSync('umount', [mounted]);
    fs.rmdirSync(mounted);
  }
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Opens each node for reading (dd of one byte) in a shell that first joins `group` (if given). */
function probe(group?: string): string {
  const join = group ? `echo $$ > ${group}/cgroup.procs || exit 9; ` : '';
  const script = `${join}for n in blk kmsg zero; do if dd if=${tmp}/$n of=/dev/null bs=8192 count=1 2>/dev/null; then echo "$n open"; else echo "$n refused"; fi; done; mknod ${tmp}/made-$$ b 7 1 && echo mknod ok`;
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  return r.stdout;
}

test('the default allow list as rules for the program', () => {
  assert.deepEqual(deviceFilterRules(['b *:* m', 'c 1:3 rwm', 'c 136:* rw', 'a *:* rwm']), [1, -1, -1, 1, 2, 1, 3, 7, 2, 136, -1, 6, 0, -1, -1, 7]);
  assert.throws(() => deviceFilterRules(['x 1:2 r']), /bad device rule/);
});

test('a v2 group gets the device filter: block devices and /dev/kmsg refused, /dev/zero and mknod allowed', async () => {
  // Outside the group: every node opens (the host's own rules), so a refusal below is the filter's.
  const outside = probe();
  assert.match(outside, /^kmsg open$/m);
  assert.match(outside, /^zero open$/m);
  assert.match(outside, /^blk open$/m);
  const d = new CgroupV2Driver({ root, parent });
  await d.create(id, {});
  const inside = probe(path.join(root, parent, id));
  assert.match(inside, /^blk refused$/m);
  assert.match(inside, /^kmsg refused$/m);
  assert.match(inside, /^zero open$/m);
  assert.match(inside, /^mknod ok$/m, 'b *:* m allows mknod');
  await d.remove(id);
});

test('privileged (allDevices): no filter, every node opens', async () => {
  const d = new CgroupV2Driver({ root, parent });
  await d.create(id, { allDevices: true });
  const inside = probe(path.join(root, parent, id));
  assert.match(inside, /^kmsg open$/m);
  await d.remove(id);
});

void DEFAULT_DEVICE_ALLOW;

test('--device / --device-cgroup-rule (deviceRules): added to the defaults with their own access', async () => {
  const d = new CgroupV2Driver({ root, parent });
  await d.create(id, { deviceRules: ['c 1:11 r'] });
  const read = probe(path.join(root, parent, id));
  assert.match(read, /^kmsg open$/m);
  assert.match(read, /^blk refused$/m);
  assert.match(read, /^zero open$/m);
  await d.remove(id);
  // Write-only: a read of the same node is refused (the rule's access bits, not just its numbers).
  await d.create(id, { deviceRules: ['c 1:11 w', 'b 7:* r'] });
  const writeOnly = probe(path.join(root, parent, id));
  assert.match(writeOnly, /^kmsg refused$/m);
  assert.match(writeOnly, /^blk open$/m);
  await d.remove(id);
});
