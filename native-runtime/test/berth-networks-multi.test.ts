// A container on several bridge networks, and connect of a running container. A is on net1 and net2,
// B only on net2, C only on net1, D starts on net2 and is connected to net1 while it runs. Each run
// uses its own bridges and /24s that no host route overlaps; no container gets a default route, so
// nothing leaves the namespaces and bridges the test creates.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { ContainerHandle } from '../src/engine/engine.ts';
import type { EngineEvent } from '../src/engine/types.ts';
import { demux } from '../src/logs/format.ts';
import { contains, parseSubnet } from '../src/networks/cidr.ts';
import { vethNames } from '../src/networks/links.ts';
import { collectJson, waitFor } from './berth-helpers.ts';
import { freePort, freeSubnet24, httpGet, linkExists, makeNetEnv, type NetEnv } from './berth-networks-env.ts';

/** httpd bound to eth0's address only: the published port must connect to the first network. */
const HTTPD_ETH0 = [
  'sh',
  '-c',
  'ip=$(ip -4 -o addr show eth0 | awk \'{print $4}\' | cut -d/ -f1); mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p $ip:80 -h /www',
];
const SLEEP = ['sleep', '600'];

interface ExecResult {
  code: number;
  out: string;
}

async function run(c: ContainerHandle, script: string): Promise<ExecResult> {
  const x = await c.exec({ Cmd: ['sh', '-c', script], AttachStdout: true, AttachStderr: true });
  const s = await x.start({});
  const chunks: Buffer[] = [];
  for await (const ch of s) chunks.push(ch as Buffer);
  const code = await waitFor(async () => {
    const i = await x.inspect();
    return i.Running ? undefined : (i.ExitCode ?? undefined);
  }, 10_000, 'the exec to finish');
  const d = demux(Buffer.concat(chunks));
  return { code, out: d.stdout.toString() + d.stderr.toString() };
}

/** A shell line printing how many addresses the embedded DNS server gives for name (0 when none). */
const answers = (name: string): string => `nslookup ${name} 2>/dev/null | grep -c '^Address: [0-9]'`;

/** No 00000000 destination in /proc/net/route: no default route. */
async function assertNoDefaultRoute(c: ContainerHandle, who: string): Promise<void> {
  const r = await run(c, 'cat /proc/net/route');
  assert.equal(r.code, 0, r.out);
  const dests = r.out.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[1]);
  assert.ok(dests.length >= 1, r.out);
  assert.ok(!dests.includes('00000000'), `${who} has a default route:\n${r.out}`);
}

/** Interface → IPv4/prefix inside the container. */
async function addresses(c: ContainerHandle): Promise<Record<string, string>> {
  const r = await run(c, 'ip -4 -o addr show');
  assert.equal(r.code, 0, r.out);
  const out: Record<string, string> = {};
  for (const m of r.out.matchAll(/^\d+:\s+(\S+)\s+inet\s+(\S+)/gm)) out[m[1]!] = m[2]!;
  return out;
}

describe('several bridge networks per container; connect of a running container', () => {
  let env: NetEnv;
  let s1: string;
  let s2: string;
  let net1Id: string;
  let net2Id: string;
  let port: number;
  let A: ContainerHandle;
  let B: ContainerHandle;
  let C: ContainerHandle;
  let D: ContainerHandle;
  const since = Math.floor(Date.now() / 1000) - 1;

  before(async () => {
    env = makeNetEnv('mnet');
    const b = env.nb;
    s1 = freeSubnet24();
    do s2 = freeSubnet24();
    while (s2 === s1);
    net1Id = (await (await b.createNetwork({ Name: 'net1', IPAM: { Config: [{ Subnet: s1 }] } })).inspect()).Id;
    net2Id = (await (await b.createNetwork({ Name: 'net2', IPAM: { Config: [{ Subnet: s2 }] } })).inspect()).Id;
    port = await freePort();
    A = await b.createContainer({
      Image: 'busybox',
      name: 'aye',
      Cmd: HTTPD_ETH0,
      ExposedPorts: { '80/tcp': {} },
      HostConfig: { NetworkMode: 'net1', PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
    });
    // Like `docker create --network net1` + `docker network connect net2` before the start.
    await b.getNetwork('net2').connect({ Container: A.id });
    B = await b.createContainer({ Image: 'busybox', name: 'bee', Cmd: SLEEP, HostConfig: { NetworkMode: 'net2' } });
    C = await b.createContainer({ Image: 'busybox', name: 'cee', Cmd: SLEEP, HostConfig: { NetworkMode: 'net1' } });
    D = await b.createContainer({ Image: 'busybox', name: 'dee', Cmd: SLEEP, HostConfig: { NetworkMode: 'net2' } });
    for (const c of [A, B, C, D]) await c.start();
  });

  after(async () => {
    const b = env.nb;
    const ids = [A, B, C, D].filter(Boolean).map((c) => c.id);
    for (const id of ids) await b.getContainer(id).remove({ force: true }).catch(() => {});
    for (const n of ['net1', 'net2']) await b.getNetwork(n).remove().catch(() => {});
    const left = [`br-${net1Id?.slice(0, 12)}`, `br-${net2Id?.slice(0, 12)}`];
    for (const id of ids) for (const n of [net1Id, net2Id]) if (n) left.push(vethNames(id, n).host, vethNames(id, n).peer);
    // Bridges go with their network at once; veth pairs die with the namespaces (the kernel, async).
    const remaining = await waitFor(() => (left.some(linkExists) ? undefined : []), 10_000, 'the links to go').catch(() => left.filter(linkExists));
    await env.cleanup();
    assert.deepEqual(remaining, [], 'no bridge or veth of the test stays on the host');
  });

  test('A has eth0 on net1 and eth1 on net2 (addresses and MACs as inspect says); nobody has a default route', async () => {
    const ins = await A.inspect();
    const nets = ins.NetworkSettings.Networks;
    assert.deepEqual(Object.keys(nets), ['net1', 'net2']);
    const e1 = nets['net1']!;
    const e2 = nets['net2']!;
    assert.ok(contains(parseSubnet(s1), e1.IPAddress), `${e1.IPAddress} in ${s1}`);
    assert.ok(contains(parseSubnet(s2), e2.IPAddress), `${e2.IPAddress} in ${s2}`);
    assert.equal(e1.Gateway, s1.replace(/0\/24$/, '1'));
    assert.equal(e2.Gateway, s2.replace(/0\/24$/, '1'));
    assert.equal(e1.IPPrefixLen, 24);
    assert.equal(e2.IPPrefixLen, 24);
    assert.equal(e1.NetworkID, net1Id);
    assert.equal(e2.NetworkID, net2Id);
    assert.match(e1.EndpointID, /^[0-9a-f]{64}$/);
    assert.match(e2.EndpointID, /^[0-9a-f]{64}$/);
    assert.notEqual(e1.EndpointID, e2.EndpointID);

    const addrs = await addresses(A);
    assert.equal(addrs['eth0'], `${e1.IPAddress}/24`);
    assert.equal(addrs['eth1'], `${e2.IPAddress}/24`);
    const macs = await run(A, 'cat /sys/class/net/eth0/address /sys/class/net/eth1/address; ls /sys/class/net | tr "\\n" " "');
    assert.equal(macs.out, `${e1.MacAddress}\n${e2.MacAddress}\neth0 eth1 lo `);

    const n2 = await env.nb.getNetwork('net2').inspect();
    assert.deepEqual(Object.keys(n2.Containers).sort(), [A.id, B.id, D.id].sort());
    assert.equal(n2.Containers[A.id]!.IPv4Address, `${e2.IPAddress}/24`);
    assert.equal(n2.Containers[A.id]!.EndpointID, e2.EndpointID);

    for (const [c, who] of [[A, 'A'], [B, 'B'], [C, 'C'], [D, 'D']] as const) await assertNoDefaultRoute(c, who);
  });

  test('A reaches B and C by name; B cannot reach C on net1; the published port goes to the first network', async () => {
    const a = await run(A, 'ping -c1 -W2 bee >/dev/null && echo bee-ok; ping -c1 -W2 cee >/dev/null && echo cee-ok; nslookup bee; nslookup cee');
    assert.match(a.out, /^bee-ok$/m);
    assert.match(a.out, /^cee-ok$/m);
    const bIp = (await B.inspect()).NetworkSettings.Networks['net2']!.IPAddress;
    const cIp = (await C.inspect()).NetworkSettings.Networks['net1']!.IPAddress;
    assert.match(a.out, new RegExp(`^Address: ${bIp.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(a.out, new RegExp(`^Address: ${cIp.replace(/\./g, '\\.')}$`, 'm'));

    // B shares no network with C: its name does not resolve there, and C's address is unreachable (no
    // route: the packets do not even leave B's namespace).
    const b = await run(B, `${answers('cee')}; ping -c1 -W1 ${cIp} >/dev/null 2>&1; echo ping=$?; nc -w1 ${cIp} 80 </dev/null >/dev/null 2>&1; echo nc=$?; ${answers('aye')}`);
    assert.match(b.out, /^0$/m, b.out);
    assert.doesNotMatch(b.out, /^ping=0$/m, b.out);
    assert.doesNotMatch(b.out, /^nc=0$/m, b.out);
    assert.match(b.out, /^1$/m, 'B sees A (on net2) once');
    const bSees = await run(B, 'nslookup aye');
    const aNet1 = (await A.inspect()).NetworkSettings.Networks['net1']!.IPAddress;
    assert.ok(!bSees.out.includes(aNet1), `B must not resolve A's net1 address:\n${bSees.out}`);

    const body = await waitFor(async () => {
      const r = await httpGet(port).catch(() => '');
      return r.includes('hello') ? r : undefined;
    }, 10_000, 'the published port');
    assert.match(body, /hello from /);
  });

  test('connect of a running container: D gets eth1 on net1, D and C reach each other by name; disconnect removes eth1', async () => {
    const b = env.nb;
    await b.getNetwork('net1').connect({ Container: D.id, EndpointConfig: { Aliases: ['dalias'] } });
    const nets = (await D.inspect()).NetworkSettings.Networks;
    assert.deepEqual(Object.keys(nets), ['net2', 'net1']);
    const d1 = nets['net1']!;
    assert.ok(contains(parseSubnet(s1), d1.IPAddress), `${d1.IPAddress} in ${s1}`);
    assert.match(d1.EndpointID, /^[0-9a-f]{64}$/);
    assert.deepEqual(d1.Aliases, ['dalias', D.id.slice(0, 12)]);
    assert.equal((await b.getNetwork('net1').inspect()).Containers[D.id]?.IPv4Address, `${d1.IPAddress}/24`);

    const addrs = await addresses(D);
    assert.equal(addrs['eth0'], `${nets['net2']!.IPAddress}/24`);
    assert.equal(addrs['eth1'], `${d1.IPAddress}/24`);
    assert.equal((await run(D, 'cat /sys/class/net/eth1/address')).out.trim(), d1.MacAddress);
    await assertNoDefaultRoute(D, 'D after connect');

    const fromD = await run(D, 'ping -c1 -W2 cee >/dev/null && echo cee-ok; ping -c1 -W2 aye >/dev/null && echo aye-ok');
    assert.match(fromD.out, /^cee-ok$/m, fromD.out);
    assert.match(fromD.out, /^aye-ok$/m, fromD.out);
    const fromC = await run(C, `ping -c1 -W2 dee >/dev/null && echo dee-ok; ping -c1 -W2 dalias >/dev/null && echo alias-ok; ${answers('dee')}`);
    assert.match(fromC.out, /^dee-ok$/m, fromC.out);
    assert.match(fromC.out, /^alias-ok$/m, fromC.out);
    assert.match(fromC.out, /^1$/m, 'C lists D once (its net1 address)');

    await assert.rejects(b.getNetwork('net1').connect({ Container: D.id }), { statusCode: 403 });

    await b.getNetwork('net1').disconnect({ Container: D.id });
    const after = await run(D, 'ls /sys/class/net | tr "\\n" " "');
    assert.equal(after.out, 'eth0 lo ');
    assert.deepEqual(Object.keys((await D.inspect()).NetworkSettings.Networks), ['net2']);
    assert.ok(!linkExists(vethNames(D.id, net1Id).host), 'the host end is gone');
    const cHosts = await run(C, answers('dee'));
    assert.equal(cHosts.out.trim(), '0', 'C no longer resolves D');

    const events = await collectJson<EngineEvent>(await b.getEvents({ since, until: Math.floor(Date.now() / 1000) + 1, filters: { type: ['network'] } }));
    const forD = events.filter((e) => e.Actor.ID === net1Id && e.Actor.Attributes['container'] === D.id).map((e) => e.Action);
    assert.deepEqual(forD, ['connect', 'disconnect']);
  });

  test('a live connect that fails inside the container is undone: 500, no endpoint, no address, no veth', async () => {
    const b = env.nb;
    // The container takes the name eth1 itself (a bridge in its own namespace), so the rename fails.
    const f = await b.createContainer({
      Image: 'busybox',
      name: 'eff',
      Cmd: ['sh', '-c', 'ip link add eth1 type bridge && echo made; exec sleep 600'],
      HostConfig: { NetworkMode: 'net2', CapAdd: ['NET_ADMIN'] },
    });
    try {
      await f.start();
      await waitFor(async () => ((await f.logs({ stdout: true, stderr: true })) as Buffer).toString().includes('made') || undefined, 10_000, "the container's own eth1");
      const before = Object.keys((await b.getNetwork('net1').inspect()).Containers).length;
      await assert.rejects(b.getNetwork('net1').connect({ Container: f.id }), (e: Error & { statusCode?: number }) => {
        assert.equal(e.statusCode, 500);
        assert.match(e.message, /rename vp[0-9a-f]{11} to eth1/);
        return true;
      });
      assert.deepEqual(Object.keys((await f.inspect()).NetworkSettings.Networks), ['net2']);
      assert.ok(!linkExists(vethNames(f.id, net1Id).host), 'the host end is gone');
      assert.equal((await run(f, 'ls /sys/class/net | tr "\\n" " "')).out, 'eth0 eth1 lo ', 'nothing half-configured stays inside');
      assert.equal(Object.keys((await b.getNetwork('net1').inspect()).Containers).length, before);
      assert.equal((await run(C, answers('eff'))).out.trim(), '0');
    } finally {
      await f.remove({ force: true });
    }
  });

  test('a container on two networks that exits at once: a clean exit, no veth left', async () => {
    const b = env.nb;
    const e = await b.createContainer({ Image: 'busybox', name: 'eee', Cmd: ['true'], HostConfig: { NetworkMode: 'net1' } });
    try {
      await b.getNetwork('net2').connect({ Container: e.id });
      for (let i = 0; i < 3; i++) {
        const waited = e.wait({ condition: 'next-exit' });
        await e.start();
        assert.equal((await waited).StatusCode, 0);
        await waitFor(() => ![net1Id, net2Id].some((n) => linkExists(vethNames(e.id, n).host)) || undefined, 10_000, 'the veths to go');
      }
    } finally {
      await e.remove({ force: true });
    }
  });

  test('restart of A keeps both networks, names and the published port', async () => {
    const before = (await A.inspect()).NetworkSettings.Networks;
    await A.restart({ t: 1 });
    const ins = await A.inspect();
    assert.equal(ins.State.Running, true);
    const nets = ins.NetworkSettings.Networks;
    assert.deepEqual(Object.keys(nets), ['net1', 'net2']);
    assert.equal(nets['net1']!.IPAddress, before['net1']!.IPAddress);
    assert.equal(nets['net2']!.IPAddress, before['net2']!.IPAddress);
    assert.notEqual(nets['net2']!.EndpointID, before['net2']!.EndpointID, 'a new endpoint per start');
    const addrs = await addresses(A);
    assert.equal(addrs['eth0'], `${nets['net1']!.IPAddress}/24`);
    assert.equal(addrs['eth1'], `${nets['net2']!.IPAddress}/24`);
    const a = await run(A, 'ping -c1 -W2 bee >/dev/null && echo bee-ok; ping -c1 -W2 cee >/dev/null && echo cee-ok');
    assert.match(a.out, /^bee-ok$/m, a.out);
    assert.match(a.out, /^cee-ok$/m, a.out);
    await assertNoDefaultRoute(A, 'A after restart');
    const body = await waitFor(async () => {
      const r = await httpGet(port).catch(() => '');
      return r.includes('hello') ? r : undefined;
    }, 10_000, 'the published port after restart');
    assert.match(body, /hello from /);
    for (const n of [net1Id, net2Id]) assert.ok(linkExists(vethNames(A.id, n).host), 'a host veth per network');
    assert.ok(fs.existsSync(`/sys/class/net/br-${net2Id.slice(0, 12)}`));
  });
});
