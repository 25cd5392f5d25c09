// The shim's embedded DNS server (native/shim/dns.cc) driven directly through shim.json "dns": names from a
// table file that changes while the container runs, forwarding of other names to an upstream (a fake one
// on the host's loopback: nothing leaves this machine), SERVFAIL without upstreams, TCP, and garbage that
// must not stop it. Queries are sent from inside the container's net namespace (nsenter + node).
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { spawnShim } from '../src/native/index.ts';
import { dig, requireDig } from './support/dig.ts';

let tmp = '';
const shims: number[] = [];

/** A script for `node -e` inside the namespace: sends one query (UDP or TCP), prints rcode and A records. */
const QUERY_JS = String.raw`
const [name, type, proto, garbage] = process.argv.slice(1);
const q = Buffer.concat([Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
  ...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0, 0, Number(type), 0, 1])]);
const show = (r) => {
  if (r.readUInt16BE(0) !== 0x1234) return; // the answer to the garbage (NOTIMP), or anything else
  const an = r.readUInt16BE(6);
  let off = 12; while (r[off]) off += r[off] + 1; off += 5;
  const ips = [];
  for (let i = 0; i < an; i++) { const t = r.readUInt16BE(off + 2), len = r.readUInt16BE(off + 10); if (t === 1) ips.push([...r.subarray(off + 12, off + 16)].join('.')); off += 12 + len; }
  console.log(JSON.stringify({ rcode: r[3] & 15, aa: !!(r[2] & 4), ips: ips.sort(), ...(r[2] & 2 ? { tc: true, bytes: r.length } : {}) }));
  process.exit(0);
};
setTimeout(() => { console.log(JSON.stringify({ timeout: true })); process.exit(0); }, 3000);
if (proto === 'tcp') {
  const s = require('net').connect(53, '127.0.0.11', () => { const l = Buffer.alloc(2); l.writeUInt16BE(q.length); s.write(Buffer.concat([l, q])); });
  let buf = Buffer.alloc(0); s.on('data', (d) => { buf = Buffer.concat([buf, d]); if (buf.length >= 2 + buf.readUInt16BE(0)) show(buf.subarray(2)); });
} else {
  const s = require('dgram').createSocket('udp4');
  s.on('message', show);
  if (garbage) s.send(Buffer.from('garbage, not DNS'), 53, '127.0.0.11');
  s.send(q, 53, '127.0.0.11');
}`;

interface Answer {
  tc?: boolean;
  bytes?: number;
  rcode?: number;
  aa?: boolean;
  ips?: string[];
  timeout?: boolean;
}

/** Async: the fake upstream of the forwarding test lives on this process's event loop. */
async function query(pid: number, name: string, opts: { type?: number; tcp?: boolean; garbage?: boolean } = {}): Promise<Answer> {
  const { stdout } = await promisify(execFile)('nsenter', ['-t', String(pid), '-n', process.execPath, '-e', QUERY_JS, name, String(opts.type ?? 1), opts.tcp ? 'tcp' : 'udp', opts.garbage ? '1' : '']);
  return JSON.parse(stdout.trim()) as Answer;
}

/** Starts `sleep` in a shim with the given dns section; returns the container's init pid. */
async function startWithDns(name: string, dns: Record<string, unknown>): Promise<number> {
  const dir = path.join(tmp, name);
  for (const d of ['upper', 'work', 'run', 'log']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  const config = {
    id: 'e'.repeat(64),
    overlay: { cwd: tmp, lower: ['lower'], upper: path.join(dir, 'upper'), work: path.join(dir, 'work') },
    rootfsPropagation: 'private',
    readonlyRootfs: false,
    process: { args: ['sleep', '60'], env: ['PATH=/bin'], cwd: '/', uid: 0, gid: 0, additionalGids: [], terminal: false, noNewPrivileges: true, capabilities: [], rlimits: [], init: false },
    hostname: name,
    namespaces: { net: 'new' },
    cgroups: [],
    mounts: [],
    shmSize: 1 << 20,
    maskedPaths: [],
    readonlyPaths: [],
    seccomp: true,
    log: { path: path.join(dir, 'log', 'container.log'), maxSize: 0, maxFiles: 1 },
    exitFile: path.join(dir, 'exit.json'),
    pidFile: path.join(dir, 'run', 'shim.pid'),
    dns,
  };
  fs.writeFileSync(path.join(dir, 'run', 'shim.json'), JSON.stringify(config));
  const started = await spawnShim(path.join(dir, 'run', 'shim.json'));
  shims.push(started.shimPid);
  return started.pid;
}

/** Replaces a file by rename, as the engine does. */
function replace(file: string, text: string): void {
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

before(() => {
  assert.equal(process.getuid?.(), 0, 'these tests need root');
  tmp = fs.mkdtempSync('/var/tmp/berth-shim-dns-');
  fs.mkdirSync(path.join(tmp, 'lower', 'bin'), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(tmp, 'lower', 'bin', 'busybox'));
  fs.symlinkSync('busybox', path.join(tmp, 'lower', 'bin', 'sleep'));
});

after(() => {
  for (const pid of shims) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the embedded DNS server in berth-shim', () => {
  test('names from the tables, a table changed while running, AAAA and unknown names, TCP, garbage', async () => {
    const table = path.join(tmp, 'net-a');
    const list = path.join(tmp, 'list-1');
    replace(table, 'network appnet\n10.9.0.2 ' + 'a'.repeat(64) + ' web web-alias\n10.9.0.3 ' + 'b'.repeat(64) + ' other web-alias\n');
    replace(list, `${table}\n`);
    const pid = await startWithDns('local', { tables: list });
    assert.deepEqual((await query(pid, 'web')), { rcode: 0, aa: true, ips: ['10.9.0.2'] });
    assert.deepEqual((await query(pid, 'WEB-ALIAS')).ips, ['10.9.0.2', '10.9.0.3']);
    assert.deepEqual((await query(pid, 'other.appnet')).ips, ['10.9.0.3']);
    assert.deepEqual((await query(pid, 'b'.repeat(12))).ips, ['10.9.0.3']);
    assert.equal((await query(pid, 'b'.repeat(11))).rcode, 2, 'an id prefix needs 12 digits');
    assert.deepEqual((await query(pid, 'web', { type: 28 })), { rcode: 0, aa: true, ips: [] }, 'a known name has no AAAA');
    assert.equal((await query(pid, 'nosuch.example')).rcode, 2, 'SERVFAIL without upstreams');
    assert.deepEqual((await query(pid, 'web', { tcp: true })).ips, ['10.9.0.2']);
    assert.deepEqual((await query(pid, 'web', { garbage: true })).ips, ['10.9.0.2'], 'garbage before a query is ignored');
    // A replica starts: the engine replaces the table; the next query sees it.
    replace(table, 'network appnet\n10.9.0.2 ' + 'a'.repeat(64) + ' web web-alias\n10.9.0.4 ' + 'c'.repeat(64) + ' third web-alias\n');
    assert.deepEqual((await query(pid, 'web-alias')).ips, ['10.9.0.2', '10.9.0.4']);
    assert.equal((await query(pid, 'other')).rcode, 2);
    // The container joins a second network: its list names another table.
    const table2 = path.join(tmp, 'net-b');
    replace(table2, 'network side\n10.8.0.5 ' + 'd'.repeat(64) + ' sidecar\n');
    replace(list, `${table}\n${table2}\n`);
    assert.deepEqual((await query(pid, 'sidecar')).ips, ['10.8.0.5']);
  });

  test('other names are forwarded from the host namespace to the upstreams, and the answer relayed', async () => {
    const upstream = dgram.createSocket('udp4');
    const asked: string[] = [];
    upstream.on('message', (m, from) => {
      asked.push(m.subarray(13, 13 + m[12]!).toString());
      // The query echoed with one A record 192.0.2.7 (TEST-NET-1: data only, never contacted).
      const ans = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7]);
      const r = Buffer.concat([m, ans]);
      r[2] = 0x81;
      r[3] = 0x80;
      r.writeUInt16BE(1, 6);
      upstream.send(r, from.port, from.address);
    });
    await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', r));
    try {
      const list = path.join(tmp, 'list-2');
      replace(list, '');
      const pid = await startWithDns('fwd', { tables: list, forward: [`127.0.0.1:${upstream.address().port}`] });
      assert.deepEqual((await query(pid, 'example.test')), { rcode: 0, aa: false, ips: ['192.0.2.7'] });
      assert.deepEqual(asked, ['example']);
    } finally {
      upstream.close();
    }
  });

  test('an answer over 512 bytes: cut with TC over UDP, whole over TCP (as dockerd\'s resolver)', async () => {
    // Before: the UDP answer was cut silently (no TC), so a client never learnt to retry over TCP.
    const table = path.join(tmp, 'net-big');
    const list = path.join(tmp, 'list-big');
    const rows = Array.from({ length: 32 }, (_, i) => `10.7.0.${i + 2} ${(i + 10).toString(16).padStart(64, 'f')} r${i} many`);
    replace(table, `network bignet\n${rows.join('\n')}\n`);
    replace(list, `${table}\n`);
    const pid = await startWithDns('big', { tables: list });
    const udp = await query(pid, 'many');
    assert.equal(udp.tc, true);
    assert.ok(udp.bytes! <= 512, `${udp.bytes} bytes over UDP`);
    assert.ok(udp.ips!.length >= 28 && udp.ips!.length < 32, String(udp.ips!.length));
    const tcp = await query(pid, 'many', { tcp: true });
    assert.equal(tcp.tc, undefined);
    assert.equal(tcp.ips!.length, 32);
    assert.deepEqual((await query(pid, 'r5')).ips, ['10.7.0.7'], 'a small answer has no TC');
  });

  test('EDNS0: a UDP answer up to the size the OPT record advertises, with an OPT record; 512 bytes without', async () => {
    // Before: every UDP answer stopped at 512 bytes with TC whatever the client advertised, no answer
    // carried an OPT record, and no name had more than 32 addresses even over TCP. dockerd's resolver
    // truncates to the client's advertised size (miekg/dns Truncate); RFC 6891 wants the OPT back.
    requireDig();
    const table = path.join(tmp, 'net-edns');
    const list = path.join(tmp, 'list-edns');
    const rows = Array.from({ length: 100 }, (_, i) => `10.6.${i >> 6}.${(i & 63) + 2} ${(i + 1).toString(16).padStart(64, 'a')} e${i} many`);
    replace(table, `network ednsnet\n${rows.join('\n')}\n`);
    replace(list, `${table}\n`);
    const pid = await startWithDns('edns', { tables: list });

    const plain = await dig(pid, ['+noedns', 'many']);
    assert.ok(plain.flags.includes('tc') && plain.bytes <= 512 && plain.edns === undefined, JSON.stringify(plain));
    const mid = await dig(pid, ['+bufsize=1232', 'many']);
    assert.ok(mid.flags.includes('tc'), 'cut at the advertised 1232 bytes');
    assert.ok(mid.bytes <= 1232 && mid.bytes > 1232 - 16, `${mid.bytes} bytes`);
    assert.equal(mid.data.length, (mid.bytes - 11 - 22) / 16, 'A records filling the advertised size');
    assert.deepEqual(mid.edns, { version: 0, flags: '', udp: 4096 });
    const whole = await dig(pid, ['+bufsize=4096', 'many']);
    assert.equal(whole.status, 'NOERROR');
    assert.ok(!whole.flags.includes('tc') && whole.flags.includes('aa'), JSON.stringify(whole.flags));
    assert.equal(whole.data.length, 100);
    assert.equal(whole.bytes, 22 + 100 * 16 + 11);
    assert.equal(whole.edns?.udp, 4096);
    // Below 512 counts as 512 (RFC 6891 6.2.5); the DO bit comes back (RFC 3225).
    const small = await dig(pid, ['+bufsize=100', '+dnssec', 'many']);
    assert.ok(small.flags.includes('tc') && small.bytes <= 512 && small.bytes > 512 - 16, JSON.stringify(small));
    assert.equal(small.edns?.flags, 'do');
    // A small answer, AAAA and PTR carry the OPT record too; TCP has every address.
    const one = await dig(pid, ['+bufsize=1232', 'e5']);
    assert.deepEqual([one.data, one.flags.includes('tc'), one.edns?.udp], [['10.6.0.7'], false, 4096]);
    assert.deepEqual([(await dig(pid, ['+bufsize=1232', 'many', 'AAAA'])).edns?.udp, (await dig(pid, ['+bufsize=1232', '-x', '10.6.0.7'])).data], [4096, ['e5.ednsnet.']]);
    assert.equal((await dig(pid, ['+tcp', 'many'])).data.length, 100);
  });

  test('EDNS0: a forwarded UDP answer comes back whole and verbatim, with the upstream\'s OPT record', async () => {
    // Before: the upstream's answer was read into 4 KiB, so a larger one (allowed by the client's OPT)
    // reached the client cut and malformed. dockerd reads it whole and relays it as it came.
    requireDig();
    const upstream = dgram.createSocket('udp4');
    upstream.on('message', (m, from) => {
      let q = 12;
      while (m[q]) q += m[q]! + 1;
      q += 5;
      // 300 A records (TEST-NET-1 data only, never contacted) and the upstream's own OPT (udp 1400).
      const answers = Array.from({ length: 300 }, (_, i) => Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2 + (i >> 8), i & 255]));
      const opt = Buffer.from([0, 0, 41, 1400 >> 8, 1400 & 255, 0, 0, 0, 0, 0, 0]);
      const r = Buffer.concat([m.subarray(0, q), ...answers, opt]);
      r[2] = 0x81;
      r[3] = 0x80;
      r.writeUInt16BE(300, 6);
      r.writeUInt16BE(0, 8);
      r.writeUInt16BE(1, 10);
      upstream.send(r, from.port, from.address);
    });
    await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', r));
    try {
      const list = path.join(tmp, 'list-edns-fwd');
      replace(list, '');
      const pid = await startWithDns('ednsfwd', { tables: list, forward: [`127.0.0.1:${upstream.address().port}`] });
      const a = await dig(pid, ['+bufsize=8192', 'big.example']);
      assert.equal(a.status, 'NOERROR');
      assert.equal(a.data.length, 300);
      assert.equal(a.bytes, 12 + 17 + 300 * 16 + 11);
      assert.equal(a.edns?.udp, 1400, "the upstream's OPT record, not one of Berth's");
    } finally {
      upstream.close();
    }
  });

  test('a TCP query for another name is forwarded upstream over TCP, the answer relayed', async () => {
    // Before: TCP was answered from the tables only (SERVFAIL for everything else).
    const asked: string[] = [];
    const upstream = net.createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
        const m = buf.subarray(2, 2 + buf.readUInt16BE(0));
        asked.push(m.subarray(13, 13 + m[12]!).toString());
        // 40 A records (TEST-NET-1 addresses: data only), more than a UDP answer holds.
        const answers = Array.from({ length: 40 }, (_, i) => Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, i + 1]));
        const r = Buffer.concat([m, ...answers]);
        r[2] = 0x81;
        r[3] = 0x80;
        r.writeUInt16BE(40, 6);
        const len = Buffer.alloc(2);
        len.writeUInt16BE(r.length);
        sock.end(Buffer.concat([len, r]));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    try {
      const list = path.join(tmp, 'list-tcp');
      replace(list, '');
      const port = (upstream.address() as net.AddressInfo).port;
      const pid = await startWithDns('fwdtcp', { tables: list, forward: [`127.0.0.1:${port}`] });
      const a = await query(pid, 'big.example', { tcp: true });
      assert.equal(a.rcode, 0);
      assert.equal(a.ips!.length, 40);
      assert.deepEqual(asked, ['big']);
      // An upstream that refuses the connection: SERVFAIL, not a dropped connection.
      const closed = await new Promise<number>((r) => {
        const s = net.createServer();
        s.listen(0, '127.0.0.1', () => {
          const p = (s.address() as net.AddressInfo).port;
          s.close(() => r(p));
        });
      });
      const pid2 = await startWithDns('fwdtcp2', { tables: list, forward: [`127.0.0.1:${closed}`] });
      assert.equal((await query(pid2, 'x.example', { tcp: true })).rcode, 2);
    } finally {
      upstream.close();
    }
  });

  test('a bad dns section fails the start with a clear error', async () => {
    await assert.rejects(startWithDns('bad', { tables: path.join(tmp, 'x'), forward: ['not-an-address'] }), /dns\.forward: bad address not-an-address/);
  });
});
