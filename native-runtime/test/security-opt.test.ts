// SecurityOpt parsing (moby's parseSecurityOpt is the reference), capability resolution against the
// engine's own set, and the /sys/fs/cgroup layout handed to the shim.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALL_CAPABILITIES, heldCapabilities, resolveCapabilities } from '../src/containers/capabilities.ts';
import { cgroupMount } from '../src/containers/cgroup-mount.ts';
import { compileSeccompProfile } from '../src/containers/seccomp-profile.ts';
import { securitySettings } from '../src/containers/security-opt.ts';
import { EngineError } from '../src/errors.ts';

test('securitySettings: seccomp, no-new-privileges, writable-cgroups, legacy ":" separator, warnings', () => {
  assert.deepEqual(securitySettings(null), { seccomp: 'default', noNewPrivileges: true, writableCgroups: false, warnings: [] });
  assert.equal(securitySettings(['seccomp=unconfined']).seccomp, 'unconfined');
  assert.equal(securitySettings(['seccomp:unconfined']).seccomp, 'unconfined');
  assert.equal(securitySettings(['seccomp=builtin']).seccomp, 'default');
  assert.equal(securitySettings([], true).seccomp, 'unconfined', 'privileged means no seccomp');
  assert.equal(securitySettings(['no-new-privileges=false']).noNewPrivileges, false);
  assert.equal(securitySettings(['no-new-privileges=false', 'no-new-privileges']).noNewPrivileges, true);
  assert.equal(securitySettings(['writable-cgroups=True']).writableCgroups, true);
  const w = securitySettings(['apparmor=unconfined', 'label=type:svirt_t', 'disable']).warnings;
  assert.equal(w.length, 3);
  assert.match(w[0]!, /AppArmor is not supported/);
});

test('securitySettings: what dockerd refuses is a 400 with its message', () => {
  const cases: [string, RegExp][] = [
    ['nonsense', /^invalid --security-opt 1: "nonsense"$/],
    ['foo=bar', /^invalid --security-opt 2: "foo=bar"$/],
    ['no-new-privileges=yes', /^invalid --security-opt 2: "no-new-privileges=yes"$/],
    ['seccomp={"defaultAction":"SCMP_ACT_MAYBE"}', /^Decoding seccomp profile failed: defaultAction: /],
    ['seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":9,"value":1,"op":"SCMP_CMP_EQ"}]}]}', /syscalls\.0\.args\.0\.index/],
    ['seccomp={not json', /^Decoding seccomp profile failed: /],
    ['seccomp={"defaultAction":"SCMP_ACT_NOTIFY"}', /SCMP_ACT_NOTIFY .* not supported/],
  ];
  for (const [opt, re] of cases) {
    assert.throws(() => securitySettings([opt]), (e: unknown) => e instanceof EngineError && e.statusCode === 400 && re.test(e.message), opt);
  }
});

test('heldCapabilities reads CapEff ∩ CapBnd; resolveCapabilities leaves out what is not held', () => {
  // This host's set: everything up to CAP_CHECKPOINT_RESTORE except CAP_SYS_RESOURCE (24).
  const status = 'Name:\tnode\nCapPrm:\t000001fffeffffff\nCapEff:\t000001fffeffffff\nCapBnd:\t000001fffeffffff\n';
  const held = heldCapabilities(status);
  assert.equal(held.size, ALL_CAPABILITIES.length - 1);
  assert.ok(!held.has('CAP_SYS_RESOURCE'));
  assert.deepEqual(resolveCapabilities({ Privileged: true }, held).leftOut, ['CAP_SYS_RESOURCE']);
  assert.deepEqual(resolveCapabilities({ CapAdd: ['ALL'] }, held).leftOut, ['CAP_SYS_RESOURCE']);
  const some = resolveCapabilities({ CapAdd: ['SYS_ADMIN', 'sys_resource'], CapDrop: ['NET_RAW'] }, held);
  assert.ok(some.caps.includes('CAP_SYS_ADMIN') && !some.caps.includes('CAP_NET_RAW') && !some.caps.includes('CAP_SYS_RESOURCE'));
  assert.deepEqual(some.leftOut, ['CAP_SYS_RESOURCE']);
  assert.deepEqual(resolveCapabilities({}, held).leftOut, []);
});

test('cgroupMount: v1 hierarchies by mount point name (combined ones too), v2 a namespace', () => {
  const id = 'a'.repeat(64);
  const paths = [`/sys/fs/cgroup/cpu,cpuacct/berth/${id}`, `/sys/fs/cgroup/memory/berth/${id}`, `/sys/fs/cgroup/pids/berth/${id}`];
  assert.deepEqual(cgroupMount({ version: 1, parent: 'berth' }, id, paths, true), {
    version: 1,
    readonly: true,
    hierarchies: [
      { name: 'cpu,cpuacct', source: paths[0] },
      { name: 'memory', source: paths[1] },
      { name: 'pids', source: paths[2] },
    ],
  });
  assert.deepEqual(cgroupMount({ version: 2, parent: 'berth' }, id, [`/sys/fs/cgroup/berth/${id}`], false), { version: 2, readonly: false });
});

test('a custom profile compiles to a program the shim installs: arch check, one block per named call', () => {
  const p = securitySettings(['seccomp={"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"syscalls":[{"names":["read","write","no_such_call"],"action":"SCMP_ACT_ALLOW"},{"names":["mkdir"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}}]}']);
  assert.equal(p.seccomp, 'custom');
  const plain = compileSeccompProfile(p.profile!, []);
  // 6 (arch, x32) + 2 × (JEQ, JA, RET ALLOW, RET default) + final RET default.
  assert.equal(plain.length, 6 + 2 * 4 + 1);
  assert.deepEqual(plain.at(-1), [0x06, 0, 0, 0x00050000 | 38]);
  // includes.caps: mkdir is named only when CAP_SYS_ADMIN is granted.
  assert.equal(compileSeccompProfile(p.profile!, ['CAP_SYS_ADMIN']).length, 6 + 3 * 4 + 1);
});
