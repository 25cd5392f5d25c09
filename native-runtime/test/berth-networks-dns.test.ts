// Names between containers, as dockerd gives them (issue #16 item 15, issue #18 "Service discovery"):
// none on the default bridge (dockerd resolves peers there only with --link), and on user-defined
// networks an embedded DNS server at 127.0.0.11 in every container (here in its shim) that answers
// container names, aliases, id prefixes, hostnames and "<name>.<network>", sees replicas started later
// without a restart, keeps answering across a restart of the server, and never rewrites a peer's files.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ContainerHandle } from '../src/engine/engine.ts';
import type { Berth } from '../src/index.ts';
import { demux } from '../src/logs/format.ts';
import { sh, sleep, waitFor } from './berth-helpers.ts';
import { freeSubnet24, makeNetEnv, type NetEnv } from './berth-networks-env.ts';
import { dig, requireDig } from './support/dig.ts';

let env: NetEnv;
before(() => {
  env = makeNetEnv('dns');
});
after(async () => {
  await env.cleanup();
});

const containerFile = (id: string, name: string): string => path.join(env.root, 'containers', id, name);
const addressLines = (out: string): string[] => [...out.matchAll(/^Address: ([0-9.]+)$/gm)].map((m) => m[1]!).sort();

async function ipOn(c: ContainerHandle, net: string): Promise<string> {
  return (await c.inspect()).NetworkSettings.Networks[net]!.IPAddress;
}

/** The last "n=<count>" line a watcher container logged. */
async function lastCount(c: ContainerHandle): Promise<string | undefined> {
  const text = demux((await c.logs({ stdout: true })) as Buffer).stdout.toString();
  return [...text.matchAll(/^n=(\d+) (.*)$/gm)].at(-1)?.slice(1).join(' ');
}

describe('names between containers', () => {
  test('the default bridge lists no peers in /etc/hosts and has no embedded DNS server (as dockerd)', async () => {
    const b = env.nb;
    const peer = await b.createContainer({ Image: 'busybox', name: 'bridgepeer', Cmd: ['sleep', '60'] });
    await peer.start();
    try {
      const before = fs.readFileSync(containerFile(peer.id, 'hosts'), 'utf8');
      const r = await sh(b, 'cat /etc/hosts /etc/resolv.conf');
      assert.doesNotMatch(r.stdout, /bridgepeer/);
      assert.doesNotMatch(r.stdout, /127\.0\.0\.11/);
      assert.equal(fs.readFileSync(containerFile(peer.id, 'hosts'), 'utf8'), before, "a new container does not rewrite its peers' hosts");
    } finally {
      await peer.remove({ force: true });
    }
  });

  test('a user-defined network: names, aliases, id prefixes, hostnames and <name>.<network> resolve; nothing else, at once', async () => {
    const b = env.nb;
    await b.createNetwork({ Name: 'dnsnet', IPAM: { Config: [{ Subnet: freeSubnet24() }] } });
    const web = await b.createContainer({
      Image: 'busybox',
      name: 'web1',
      Hostname: 'webhost',
      Cmd: ['sleep', '60'],
      HostConfig: { NetworkMode: 'dnsnet' },
      NetworkingConfig: { EndpointsConfig: { dnsnet: { Aliases: ['www'] } } },
    });
    await web.start();
    try {
      const ip = await ipOn(web, 'dnsnet');
      const hostsFile = containerFile(web.id, 'hosts');
      const before = { text: fs.readFileSync(hostsFile, 'utf8'), mtime: fs.statSync(hostsFile).mtimeMs };
      const names = ['web1', 'WWW', 'webhost', web.id.slice(0, 12), web.id.slice(0, 20), 'web1.dnsnet'];
      const script = [
        'cat /etc/resolv.conf',
        ...names.map((n) => `echo "== ${n}"; nslookup ${n} | grep '^Address: [0-9]'`),
        // busybox nslookup asks A and AAAA: a known name has no AAAA (an empty answer, not an error).
        'nslookup -type=aaaa web1 >/dev/null && echo aaaa-empty-ok',
        // Unknown names fail at once with SERVFAIL (nowhere to forward: outbound access is off).
        's=$(date +%s); nslookup nosuch.example 2>&1 | grep -o SERVFAIL | head -1; echo took=$(( $(date +%s) - s ))',
        'ping -c1 -W2 www >/dev/null && echo ping-ok',
      ].join('; ');
      const r = await sh(b, script, { HostConfig: { NetworkMode: 'dnsnet' } });
      assert.match(r.stdout, /^nameserver 127\.0\.0\.11$/m);
      assert.match(r.stdout, /^options ndots:0$/m);
      for (const n of names) assert.ok(r.stdout.includes(`== ${n}\nAddress: ${ip}\n`), `${n} resolves to ${ip}:\n${r.stdout}`);
      assert.match(r.stdout, /^aaaa-empty-ok$/m);
      assert.match(r.stdout, /^SERVFAIL$/m);
      assert.ok(Number(/^took=(\d+)$/m.exec(r.stdout)?.[1]) <= 1, 'an unknown name fails fast');
      assert.match(r.stdout, /^ping-ok$/m);
      // The client's create and start rewrote none of web1's files.
      assert.equal(fs.readFileSync(hostsFile, 'utf8'), before.text);
      assert.equal(fs.statSync(hostsFile).mtimeMs, before.mtime);
    } finally {
      await web.remove({ force: true });
    }
    await b.getNetwork('dnsnet').remove();
  });

  test('EDNS0: replicas whose answer passes 512 bytes come whole over UDP to a client that advertises more', async () => {
    // Before: cut at 512 bytes with TC whatever the client's OPT record said, and no OPT in the answer.
    // dockerd's resolver truncates to the advertised size (libnetwork resolver.go, miekg/dns Truncate).
    // Reference, dockerd 20.10 in its own netns, 40 replicas of one alias, dig from a container's netns:
    // +noedns → TC, 502 bytes; +bufsize=600 → TC, 582 bytes; +bufsize=1232 → all 40, 822 bytes, no TC.
    // Its answers carry no OPT record; Berth's do (RFC 6891 asks for one).
    requireDig();
    const b = env.nb;
    const netName = `edns-${'n'.repeat(40)}`;
    const alias = `replica-${'r'.repeat(55)}`;
    const query = `${alias}.${netName}`;  // a long name: fewer replicas pass 512 bytes
    const replicas = Math.ceil((512 - 12 - (query.length + 2) - 4) / 16) + 1;
    await b.createNetwork({ Name: netName, IPAM: { Config: [{ Subnet: freeSubnet24() }] } });
    const ids: string[] = [];
    try {
      for (let i = 0; i < replicas; i++) {
        const c = await b.createContainer({
          Image: 'busybox',
          name: `edns_${i}`,
          Cmd: ['sleep', '120'],
          HostConfig: { NetworkMode: netName },
          NetworkingConfig: { EndpointsConfig: { [netName]: { Aliases: [alias] } } },
        });
        ids.push(c.id);
        await c.start();
      }
      const ips = await Promise.all(ids.map((id) => ipOn(b.getContainer(id), netName)));
      const pid = (await b.getContainer(ids[0]!).inspect()).State.Pid;
      const plain = await dig(pid, ['+noedns', query]);
      assert.ok(plain.flags.includes('tc') && plain.bytes <= 512 && plain.data.length < replicas, JSON.stringify(plain));
      const whole = await dig(pid, ['+bufsize=1232', query]);
      assert.equal(whole.status, 'NOERROR');
      assert.ok(!whole.flags.includes('tc'), JSON.stringify(whole.flags));
      assert.ok(whole.bytes > 512, `${whole.bytes} bytes`);
      assert.deepEqual(whole.data, [...ips].sort());
      assert.equal(whole.edns?.udp, 4096, 'the answer carries an OPT record');
    } finally {
      for (const id of ids) await b.getContainer(id).remove({ force: true }).catch(() => {});
    }
    await b.getNetwork(netName).remove();
  });

  test('replicas started later resolve from a container already running, also after a server restart', async () => {
    let b: Berth = env.nb;
    await b.createNetwork({ Name: 'svcnet', IPAM: { Config: [{ Subnet: freeSubnet24() }] } });
    const replica = async (eng: Berth, n: number): Promise<ContainerHandle> => {
      const c = await eng.createContainer({
        Image: 'busybox',
        name: `svc_${n}`,
        Cmd: ['sleep', '120'],
        HostConfig: { NetworkMode: 'svcnet' },
        NetworkingConfig: { EndpointsConfig: { svcnet: { Aliases: ['svc'] } } },
      });
      await c.start();
      return c;
    };
    const watcher = await b.createContainer({
      Image: 'busybox',
      name: 'watcher',
      Cmd: ['sh', '-c', "while :; do a=$(nslookup svc 2>/dev/null | grep '^Address: [0-9]' | cut -d' ' -f2 | sort | tr '\\n' ' '); echo \"n=$(echo $a | wc -w) $a\"; sleep 0.2; done"],
      HostConfig: { NetworkMode: 'svcnet' },
    });
    await watcher.start();
    const watch = (): Promise<string | undefined> => lastCount(b.getContainer(watcher.id));
    const ids = [watcher.id];
    try {
      const r1 = await replica(b, 1);
      ids.push(r1.id);
      const ip1 = await ipOn(r1, 'svcnet');
      await waitFor(async () => ((await watch())?.startsWith('1 ') ? true : undefined), 10_000, 'one replica');
      const r2 = await replica(b, 2);
      ids.push(r2.id);
      const both = [ip1, await ipOn(r2, 'svcnet')].sort();
      const seen2 = await waitFor(async () => ((await watch())?.startsWith('2 ') ? await watch() : undefined), 10_000, 'two replicas');
      assert.deepEqual(seen2!.split(' ').slice(1).filter(Boolean).sort(), both);

      // The server goes away; the watcher's shim keeps answering from the tables on disk.
      await b.close();
      await sleep(500);
      b = env.openNet();
      const r3 = await replica(b, 3);
      ids.push(r3.id);
      const seen3 = await waitFor(async () => ((await watch())?.startsWith('3 ') ? await watch() : undefined), 10_000, 'three replicas after the restart');
      assert.equal(seen3!.split(' ').filter(Boolean).length, 4);

      // A replica that stops is no longer answered.
      await b.getContainer(r1.id).kill();
      await waitFor(async () => ((await watch())?.startsWith('2 ') ? true : undefined), 10_000, 'the stopped replica gone');
      const direct = await sh(b, 'nslookup svc_2', { HostConfig: { NetworkMode: 'svcnet' } });
      assert.deepEqual(addressLines(direct.stdout), [await ipOn(b.getContainer(r2.id), 'svcnet')]);
    } finally {
      for (const id of ids) await b.getContainer(id).remove({ force: true }).catch(() => {});
    }
    await b.getNetwork('svcnet').remove();
  });
});
