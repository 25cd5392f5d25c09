// End-to-end tests of the shim's attach server, exec mode, port proxy and networking, as root,
// against a busybox rootfs. Network traffic stays on loopback and inside namespaces created here.
// Run: node --import tsx --test native-runtime/test/shim-attach.test.ts (from the repository root).
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import {
  attachShim,
  attachToBridge,
  createBridge,
  createVethPair,
  deleteLink,
  linkStats,
  listRoutes,
  NativeCallError,
  setLinkUp,
  ShimAttachment,
  ShimStartError,
  spawnExecShim,
  spawnShim,
  type ShimStarted,
} from '../src/native/index.ts';

const INDEX_TS = fileURLToPath(new URL('../src/native/index.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const DOCKER_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];
const ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'TERM=xterm'];

// A UDP echo server: busybox nc has no UDP mode.
const UDP_ECHO_C = String.raw`
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
int main(int argc, char **argv) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(atoi(argv[1]));
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) return 1;
  for (;;) {
    char buf[2048];
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
    if (n > 0) sendto(fd, buf, n, 0, (struct sockaddr *)&from, len);
  }
}
`;

async function waitFor<T>(fn: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Running (a zombie waiting for a slow reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

let tmp = '';
let counter = 0;
const shims: number[] = [];
const cleanups: (() => void)[] = [];

interface Container {
  dir: string;
  config: string;
  log: string;
  exitFile: string;
  pidFile: string;
  sock: string;
}

function makeContainer(proc: Record<string, unknown>, extra: Record<string, unknown> = {}): Container {
  const dir = path.join(tmp, `c${++counter}`);
  for (const d of ['upper', 'work', 'run', 'log']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  const c: Container = {
    dir,
    config: path.join(dir, 'run', 'shim.json'),
    log: path.join(dir, 'log', 'container.log'),
    exitFile: path.join(dir, 'exit.json'),
    pidFile: path.join(dir, 'run', 'shim.pid'),
    sock: path.join(dir, 'run', 'attach.sock'),
  };
  const config = {
    id: 'e'.repeat(64),
    overlay: { cwd: tmp, lower: ['lower'], upper: path.join(dir, 'upper'), work: path.join(dir, 'work') },
    process: { env: ENV, cwd: '/', uid: 0, gid: 0, noNewPrivileges: true, capabilities: DOCKER_CAPS, ...proc },
    hostname: 'berthtest',
    namespaces: { net: 'new' },
    cgroups: [],
    mounts: [],
    maskedPaths: ['/proc/kcore', '/proc/keys'],
    readonlyPaths: ['/proc/sys'],
    seccomp: true,
    log: { path: c.log, maxSize: 0, maxFiles: 1 },
    exitFile: c.exitFile,
    pidFile: c.pidFile,
    attachSocket: c.sock,
    ...extra,
  };
  fs.writeFileSync(c.config, JSON.stringify(config));
  return c;
}

async function start(c: Container): Promise<ShimStarted> {
  const s = await spawnShim(c.config);
  shims.push(s.shimPid);
  return s;
}

async function waitExit(file: string, timeoutMs = 20000): Promise<{ exitCode: number; signal: number }> {
  const raw = await waitFor(() => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined), timeoutMs, file);
  return JSON.parse(raw) as { exitCode: number; signal: number };
}

/** Collects an attachment's output and its exit frame. */
class Collector {
  stdout = '';
  stderr = '';
  exit: number | undefined;
  closed = false;

  constructor(readonly a: ShimAttachment) {
    a.on('stdout', (d: Buffer) => (this.stdout += d.toString()));
    a.on('stderr', (d: Buffer) => (this.stderr += d.toString()));
    a.on('exit', (code: number) => (this.exit = code));
    a.on('close', () => (this.closed = true));
  }

  until(re: RegExp, what = String(re)): Promise<RegExpMatchArray> {
    return waitFor(() => re.exec(this.stdout) ?? undefined, 10000, `${what} in ${JSON.stringify(this.stdout.slice(-300))}`);
  }

  exited(): Promise<number> {
    return waitFor(() => this.exit, 10000, 'exit frame');
  }
}

async function attach(sock: string, opts = { stdin: true, stdout: true, stderr: true }): Promise<Collector> {
  return new Collector(await attachShim(sock, opts));
}

/** Runs fn's module in a separate node process that starts a shim, reports, and is then SIGKILLed. */
async function startFromDoomedSpawner(config: string): Promise<ShimStarted> {
  const script = path.join(tmp, `spawner-${++counter}.mts`);
  fs.writeFileSync(
    script,
    `import { spawnShim } from ${JSON.stringify(INDEX_TS)};\n` +
      `const s = await spawnShim(${JSON.stringify(config)});\n` +
      `process.stdout.write(JSON.stringify(s) + '\\n');\n` +
      `setInterval(() => {}, 1000);\n`,
  );
  const spawner = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  spawner.stdout.on('data', (d) => (out += d));
  const started = await waitFor(() => (out.includes('\n') ? (JSON.parse(out) as ShimStarted) : undefined), 20000, 'spawner');
  shims.push(started.shimPid);
  spawner.kill('SIGKILL');
  await new Promise((r) => spawner.once('exit', r));
  assert.ok(alive(started.shimPid), 'shim alive after its spawner died');
  return started;
}

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection({ host: '127.0.0.1', port });
    let body = '';
    s.on('connect', () => s.write('GET / HTTP/1.0\r\nHost: x\r\n\r\n'));
    s.on('data', (d) => (body += d));
    s.on('end', () => resolve(body));
    s.on('error', reject);
  });
}

/** Retries until the server inside the container is listening (the proxy closes refused connections). */
function httpGetRetry(port: number, expect: RegExp): Promise<string> {
  return waitFor(async () => {
    const body = await httpGet(port).catch(() => '');
    return expect.test(body) ? body : undefined;
  }, 10000, `HTTP answer on port ${port}`);
}

before(() => {
  assert.equal(process.getuid?.(), 0, 'these tests need root');
  tmp = fs.mkdtempSync('/var/tmp/berth-attach-test-');
  const lower = path.join(tmp, 'lower');
  for (const d of ['bin', 'etc', 'root', 'tmp', 'www']) fs.mkdirSync(path.join(lower, d), { recursive: true });
  fs.copyFileSync('/bin/busybox', path.join(lower, 'bin/busybox'));
  fs.chmodSync(path.join(lower, 'bin/busybox'), 0o755);
  for (const applet of execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n'))
    if (applet && applet !== 'busybox') fs.symlinkSync('busybox', path.join(lower, 'bin', applet));
  fs.writeFileSync(path.join(lower, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  fs.writeFileSync(path.join(lower, 'etc/group'), 'root:x:0:\n');
  fs.writeFileSync(path.join(lower, 'www/index.html'), 'hello-berth\n');
  fs.chmodSync(path.join(lower, 'tmp'), 0o1777);
  const src = path.join(tmp, 'udpecho.c');
  fs.writeFileSync(src, UDP_ECHO_C);
  execFileSync('gcc', ['-static', '-O2', '-o', path.join(lower, 'bin/udpecho'), src]);
});

after(() => {
  for (const pid of shims) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const fn of cleanups.reverse()) {
    try {
      fn();
    } catch {
      // best effort
    }
  }
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('attach', () => {
  test('a Tty+openStdin sh: type, read 42, resize, stty size, exit code as a frame', async () => {
    const c = makeContainer({ args: ['sh'], terminal: true, openStdin: true }, { consoleSize: [24, 80] });
    await start(c);
    assert.equal(fs.statSync(c.sock).mode & 0o777, 0o600, 'attach socket is 0600');
    const a = await attach(c.sock);
    a.a.write('echo $((6*7))\n');
    await a.until(/^42\r?$/m, '42');
    a.a.write('stty size\n');
    await a.until(/^24 80\r?$/m, 'initial size');
    a.a.resize(40, 120);
    a.a.write('stty size\n');
    await a.until(/^40 120\r?$/m, 'resized');
    a.a.write('exit 3\n');
    assert.equal(await a.exited(), 3);
    assert.equal((await waitExit(c.exitFile)).exitCode, 3);
    await waitFor(() => (a.closed ? true : undefined), 5000, 'close after exit');
    assert.ok(!fs.existsSync(c.sock), 'socket removed');
    assert.match(fs.readFileSync(c.log, 'latin1'), /42/, 'output still goes to the log');
  });

  test('non-TTY: stdout and stderr arrive as kinds 1 and 2, fanned out to every client', async () => {
    const c = makeContainer(
      { args: ['sh', '-c', 'read line; echo "out:$line"; echo "err:$line" >&2'], openStdin: true },
      { waitForAttach: true },
    );
    const started = await start(c);
    assert.equal(started.waitingForAttach, true);
    const a = await attach(c.sock);
    const b = await attach(c.sock, { stdin: false, stdout: true, stderr: false });
    await new Promise((r) => setTimeout(r, 100));  // b's handshake is in before the output
    a.a.write('hello\n');
    assert.equal(await a.exited(), 0);
    assert.equal(a.stdout, 'out:hello\n');
    assert.equal(a.stderr, 'err:hello\n');
    await b.exited();
    assert.equal(b.stdout, 'out:hello\n');
    assert.equal(b.stderr, '', 'b did not ask for stderr');
  });

  test('waitForAttach loses no early output', async () => {
    const c = makeContainer({ args: ['echo', 'first-words'] }, { waitForAttach: true });
    const s = await start(c);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(alive(s.pid), 'not exec\'d (nor exited) before the attach');
    const a = await attach(c.sock, { stdin: false, stdout: true, stderr: true });
    assert.equal(await a.exited(), 0);
    assert.equal(a.stdout, 'first-words\n');
  });

  test('stdinOnce: closeStdin, or the stdin client hanging up, is EOF for cat', async () => {
    const c = makeContainer({ args: ['cat'], openStdin: true, stdinOnce: true }, { waitForAttach: true });
    await start(c);
    const a = await attach(c.sock);
    a.a.write('abc\n');
    await a.until(/abc\n/);
    a.a.closeStdin();
    assert.equal(await a.exited(), 0);
    assert.equal(a.stdout, 'abc\n');

    const d = makeContainer({ args: ['cat'], openStdin: true, stdinOnce: true });
    await start(d);
    const watcher = await attach(d.sock, { stdin: false, stdout: true, stderr: true });
    const writer = await attachShim(d.sock, { stdin: true, stdout: false, stderr: false });
    writer.write('xyz\n');
    writer.end();  // half-close, as `echo xyz | docker attach` does
    assert.equal(await watcher.exited(), 0);
    assert.equal(watcher.stdout, 'xyz\n');
  });

  test('without stdinOnce, a client leaving does not close stdin', async () => {
    const c = makeContainer({ args: ['cat'], openStdin: true });
    await start(c);
    const a = await attach(c.sock);
    a.a.write('one\n');
    await a.until(/one\n/);
    a.a.closeStdin();
    a.a.close();
    await waitFor(() => (a.closed ? true : undefined), 5000, 'detached');
    const b = await attach(c.sock);
    b.a.write('two\n');
    await b.until(/two\n/);
    assert.equal(b.stdout, 'two\n');
    b.a.close();
    const [, pid] = fs.readFileSync(c.pidFile, 'utf8').trim().split(' ').map(Number);
    process.kill(pid!, 'SIGKILL');
    assert.equal((await waitExit(c.exitFile)).exitCode, 137);
  });

  test('attach works again after the spawner is SIGKILLed', async () => {
    const c = makeContainer({ args: ['sh'], terminal: true, openStdin: true });
    await startFromDoomedSpawner(c.config);
    const a = await attach(c.sock);
    a.a.write('echo $((6*7))\n');
    await a.until(/^42\r?$/m, '42');
    a.a.write('exit\n');
    assert.equal(await a.exited(), 0);
  });

  test('a client that does not read is dropped; the container is never blocked', async () => {
    const c = makeContainer({ args: ['sh', '-c', 'head -c 30000000 /dev/zero; echo done >&2'] }, { waitForAttach: true });
    await start(c);
    const sock = net.createConnection(c.sock);
    await new Promise((r) => sock.once('connect', r));
    sock.write('{"stdin":false,"stdout":true,"stderr":true}\n');
    sock.pause();  // never read
    const exit = await waitExit(c.exitFile, 30000);
    assert.equal(exit.exitCode, 0);
    sock.destroy();
    assert.ok(fs.statSync(c.log).size > 30000000, 'everything reached the log');
  });
});

describe('exec', () => {
  let box: Container;
  let boxStarted: ShimStarted;
  const cgroups: string[] = [];

  before(async () => {
    for (const ctrl of ['pids', 'memory']) {
      const cg = `/sys/fs/cgroup/${ctrl}/berth-exec-test-${process.pid}`;
      fs.mkdirSync(cg, { recursive: true });
      cgroups.push(cg);
      cleanups.push(() => {
        for (let i = 0; i < 50; i++) {
          try {
            fs.rmdirSync(cg);
            return;
          } catch {
            execFileSync('sleep', ['0.1']);
          }
        }
      });
    }
    box = makeContainer({ args: ['sleep', '1000'] }, { cgroups });
    boxStarted = await start(box);
  });

  after(async () => {
    if (boxStarted && alive(boxStarted.pid)) process.kill(boxStarted.pid, 'SIGKILL');
    if (box) await waitExit(box.exitFile);
  });

  let n = 0;
  function execConfig(proc: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    const dir = path.join(box.dir, `exec${++n}`);
    fs.mkdirSync(dir);
    const cfg = {
      pid: boxStarted.pid,
      namespaces: ['ipc', 'uts', 'net', 'pid', 'mnt'],
      cgroups,
      process: { env: ENV, cwd: '/', uid: 0, gid: 0, noNewPrivileges: true, capabilities: DOCKER_CAPS, ...proc },
      attachSocket: path.join(dir, 'attach.sock'),
      exitFile: path.join(dir, 'exit.json'),
      pidFile: path.join(dir, 'exec.pid'),
      waitForAttach: true,
      seccomp: true,
      ...extra,
    };
    const file = path.join(dir, 'exec.json');
    fs.writeFileSync(file, JSON.stringify(cfg));
    return { file, sock: cfg.attachSocket, exitFile: cfg.exitFile, pidFile: cfg.pidFile };
  }

  test('without TTY: same pid ns, cgroup, seccomp and capabilities as the container', async () => {
    const x = execConfig({
      args: ['sh', '-c', 'echo "pid1=$(tr "\\0" " " < /proc/1/cmdline)"; echo "host=$(hostname)"; cat /proc/self/cgroup; ' +
        'grep -E "^(CapEff|CapInh|CapBnd|Seccomp|NoNewPrivs):" /proc/self/status; echo to-stderr >&2; exit 7'],
    });
    const s = await spawnExecShim(x.file);
    shims.push(s.shimPid);
    assert.equal(s.waitingForAttach, true);
    assert.equal(fs.readlinkSync(`/proc/${s.pid}/ns/pid`), fs.readlinkSync(`/proc/${boxStarted.pid}/ns/pid`));
    assert.equal(fs.readlinkSync(`/proc/${s.pid}/ns/net`), fs.readlinkSync(`/proc/${boxStarted.pid}/ns/net`));
    const a = await attach(x.sock, { stdin: false, stdout: true, stderr: true });
    assert.equal(await a.exited(), 7);
    assert.match(a.stdout, /^pid1=sleep 1000 $/m);
    assert.match(a.stdout, /^host=berthtest$/m);
    assert.match(a.stdout, new RegExp(`^\\d+:pids:/berth-exec-test-${process.pid}$`, 'm'));
    assert.match(a.stdout, new RegExp(`^\\d+:memory:/berth-exec-test-${process.pid}$`, 'm'));
    const boxStatus = fs.readFileSync(`/proc/${boxStarted.pid}/status`, 'utf8');
    const capEff = /^CapEff:\t(\w+)$/m.exec(boxStatus)![1];
    assert.equal(capEff, '00000000a80425fb');
    assert.match(a.stdout, new RegExp(`^CapEff:\\t${capEff}$`, 'm'));
    assert.match(a.stdout, /^CapInh:\t0000000000000000$/m);
    assert.match(a.stdout, /^CapBnd:\t00000000a80425fb$/m);
    assert.match(a.stdout, /^Seccomp:\t2$/m);
    assert.match(a.stdout, /^NoNewPrivs:\t1$/m);
    assert.equal(a.stderr, 'to-stderr\n');
    const exit = await waitExit(x.exitFile);
    assert.equal(exit.exitCode, 7);
    assert.equal(exit.signal, 0);
    assert.match(/^CapInh:\t(\w+)$/m.exec(boxStatus)![1]!, /^0+$/, 'the container too has an empty inheritable set');
  });

  test('with TTY: interactive sh, resize, stty size', async () => {
    const x = execConfig({ args: ['sh'], terminal: true, openStdin: true }, { consoleSize: [30, 100] });
    const s = await spawnExecShim(x.file);
    shims.push(s.shimPid);
    const a = await attach(x.sock);
    a.a.write('echo $((6*7))\n');
    await a.until(/^42\r?$/m, '42');
    a.a.write('stty size\n');
    await a.until(/^30 100\r?$/m, 'initial size');
    a.a.resize(50, 132);
    a.a.write('stty size; tty; echo pid1=$(cat /proc/1/comm)\n');
    await a.until(/^50 132\r?$/m, 'resized');
    await a.until(/^\/dev\/pts\/\d+\r?$/m, 'a pty of the container');
    await a.until(/^pid1=sleep\r?$/m, 'the container\'s PID 1');
    a.a.write('exit 4\n');
    assert.equal(await a.exited(), 4);
    assert.equal((await waitExit(x.exitFile)).exitCode, 4);
  });

  test('stdin pipe with stdinOnce, and a missing command as a late error', async () => {
    const x = execConfig({ args: ['cat'], openStdin: true, stdinOnce: true });
    const s = await spawnExecShim(x.file);
    shims.push(s.shimPid);
    const a = await attach(x.sock);
    a.a.write('piped\n');
    a.a.closeStdin();
    assert.equal(await a.exited(), 0);
    assert.equal(a.stdout, 'piped\n');

    const y = execConfig({ args: ['no-such-command'] }, { waitForAttach: false });
    await assert.rejects(spawnExecShim(y.file), (e: unknown) => e instanceof ShimStartError && e.stage === 'exec' && e.errno === 2);
  });

  test('exec into a dead pid is a clear error', async () => {
    const dead = makeContainer({ args: ['true'] });
    const s = await start(dead);
    await waitExit(dead.exitFile);
    const dir = path.join(dead.dir, 'exec');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'exec.json');
    fs.writeFileSync(file, JSON.stringify({
      pid: s.pid, namespaces: ['ipc', 'uts', 'net', 'pid', 'mnt'], cgroups: [],
      process: { args: ['true'], env: ENV, cwd: '/' }, exitFile: path.join(dir, 'exit.json'),
    }));
    await assert.rejects(spawnExecShim(file), (e: unknown) => {
      assert.ok(e instanceof ShimStartError);
      assert.equal(e.stage, 'exec');
      assert.equal(e.errno, 3);
      assert.match(e.message, new RegExp(`container process ${s.pid} is not running`));
      return true;
    });
  });
});

describe('ports', () => {
  test('busybox httpd answers on 127.0.0.1, also after the spawner is SIGKILLed', async () => {
    const c = makeContainer({ args: ['httpd', '-f', '-p', '80', '-h', '/www'] }, {
      ports: [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, proto: 'tcp', connectIp: '127.0.0.1' }],
    });
    const s = await startFromDoomedSpawner(c.config);
    assert.equal(s.ports?.length, 1);
    const port = s.ports![0]!;
    assert.deepEqual({ ...port, hostPort: 0 }, { hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, proto: 'tcp', connectIp: '127.0.0.1' });
    assert.ok(port.hostPort > 0);
    const body = await httpGetRetry(port.hostPort, /hello-berth/);
    assert.match(body, /^HTTP\/1\.[01] 200/);
    assert.match(await httpGet(port.hostPort), /hello-berth/);
    process.kill(s.pid, 'SIGKILL');
    await waitExit(c.exitFile);
    await waitFor(() => (alive(s.shimPid) ? undefined : true), 5000, 'shim exit');
    await assert.rejects(httpGet(port.hostPort), 'the port is released with the container');
  });

  test('1 MB through the proxy arrives intact, both ways, with half-close', async () => {
    const c = makeContainer({ args: ['nc', '-ll', '-p', '7000', '-e', 'cat'] }, {
      ports: [{ hostPort: 0, containerPort: 7000 }],
    });
    const s = await start(c);
    const port = s.ports![0]!.hostPort;
    const payload = crypto.randomBytes(1 << 20);
    const roundTrip = (): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        const sock = net.createConnection({ host: '127.0.0.1', port });
        const chunks: Buffer[] = [];
        sock.on('connect', () => sock.end(payload));  // write all, then FIN
        sock.on('data', (d) => chunks.push(d));
        sock.on('end', () => resolve(Buffer.concat(chunks)));
        sock.on('error', reject);
      });
    const got = await waitFor(async () => {
      const b = await roundTrip().catch(() => Buffer.alloc(0));
      return b.length ? b : undefined;
    }, 10000, 'echo server');
    assert.equal(got.length, payload.length);
    assert.ok(got.equals(payload), 'bytes intact');
    const stats = linkStats(s.pid);
    assert.ok(stats.lo!.rx_bytes >= 2 << 20, 'the container saw the traffic on its own lo');
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${s.shimPid}/status`, 'utf8'))![1]);
    assert.ok(rss <= 2048, `shim RSS ${rss} kB <= 2 MB after relaying`);
    process.kill(s.pid, 'SIGKILL');
    await waitExit(c.exitFile);
  });

  test('udp: a per-peer relay', async () => {
    const c = makeContainer({ args: ['udpecho', '5353'] }, { ports: [{ hostPort: 0, containerPort: 5353, proto: 'udp' }] });
    const s = await start(c);
    const port = s.ports![0]!.hostPort;
    const dgram = await import('node:dgram');
    const sock = dgram.createSocket('udp4');
    try {
      const reply = await waitFor(
        () =>
          new Promise<string | undefined>((resolve) => {
            const t = setTimeout(() => resolve(undefined), 200);
            sock.once('message', (m) => {
              clearTimeout(t);
              resolve(m.toString());
            });
            sock.send('ping-udp', port, '127.0.0.1');
          }),
        10000,
        'udp echo',
      );
      assert.equal(reply, 'ping-udp');
    } finally {
      sock.close();
      process.kill(s.pid, 'SIGKILL');
      await waitExit(c.exitFile);
    }
  });

  test('a taken port is a start error naming the address', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const taken = (server.address() as net.AddressInfo).port;
    try {
      const c = makeContainer({ args: ['true'] }, { ports: [{ hostIp: '127.0.0.1', hostPort: taken, containerPort: 80 }] });
      await assert.rejects(spawnShim(c.config), (e: unknown) => {
        assert.ok(e instanceof ShimStartError);
        assert.equal(e.stage, 'ports');
        assert.equal(e.errno, 98);
        assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${taken}/tcp`));
        assert.match(e.message, /in use/);
        return true;
      });
      assert.ok(!fs.existsSync(c.pidFile), 'nothing was started');
    } finally {
      server.close();
    }
  });
});

describe('network', () => {
  test('two containers on a bridge talk by IP; no default route; cleanup removes the links', async () => {
    const tag = crypto.randomBytes(2).toString('hex');
    const bridge = `btest${tag}`;
    // A /24 that overlaps no host route (a default route overlaps everything and does not count).
    const routes = listRoutes();
    assert.ok(routes.some((r) => r.table === 254), 'main table routes are listed');
    const ip4 = (s: string) => s.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
    const inUse = (net3: string) =>
      routes.some((r) => {
        const [dst, len] = r.destination.split('/');
        const prefix = Math.min(Number(len), 24);
        if (prefix === 0) return false;
        const mask = (0xffffffff << (32 - prefix)) >>> 0;
        return ((ip4(dst!) & mask) >>> 0) === ((ip4(`${net3}.0`) & mask) >>> 0);
      });
    let subnet = '';
    for (let i = 0; i < 200 && !subnet; i++) {
      const cand = `10.${200 + (i % 50)}.${(Number.parseInt(tag, 16) + i) % 250}`;
      if (!inUse(cand)) subnet = cand;
    }
    assert.ok(subnet, 'found a free subnet');
    createBridge(bridge, `${subnet}.1/24`);
    createBridge(bridge, `${subnet}.1/24`);  // idempotent
    cleanups.push(() => deleteLink(bridge));
    assert.ok(listRoutes().some((r) => r.destination === `${subnet}.0/24` && r.dev === bridge), 'the bridge route is listed');

    const mk = (i: number, args: string[]) => {
      const host = `bh${tag}${i}`, peer = `bp${tag}${i}`;
      createVethPair(host, peer, 1500);
      cleanups.push(() => deleteLink(host));
      attachToBridge(host, bridge);
      setLinkUp(host);
      const mac = `02:42:0a:00:00:0${i}`;
      const c = makeContainer({ args }, {
        network: { veth: { peer, name: 'eth0', address: `${subnet}.${10 + i}/24`, mac } },
      });
      return { c, host, peer, mac };
    };
    const server = mk(1, ['httpd', '-f', '-p', '80', '-h', '/www']);
    const sa = await start(server.c);
    const client = mk(2, ['sh', '-c',
      `for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://${subnet}.11/ && break; sleep 0.2; done; ` +
      `ping -c 1 -W 2 ${subnet}.11 >/dev/null && echo ping-ok; ` +
      'echo "mac=$(cat /sys/class/net/eth0/address)"; echo "ifaces=$(ls /sys/class/net | tr "\\n" ,)"; ' +
      'echo "defroute=$(tail -n +2 /proc/net/route | awk \'$2 == "00000000"\' | wc -l)"; echo "routes=$(tail -n +2 /proc/net/route | wc -l)"']);
    await start(client.c);
    const exit = await waitExit(client.c.exitFile);
    const log = fs.readFileSync(client.c.log, 'latin1');
    assert.equal(exit.exitCode, 0, log);
    assert.match(log, /hello-berth/);
    assert.match(log, /ping-ok/);
    assert.match(log, new RegExp(`mac=${client.mac}`));
    assert.match(log, /ifaces=eth0,lo,/);
    assert.match(log, /defroute=0/);
    assert.match(log, /routes=1/, 'only the on-link subnet route');

    const stats = linkStats(sa.pid);
    assert.ok(stats.eth0 && stats.eth0.rx_bytes > 0 && stats.eth0.tx_packets > 0, 'eth0 counters inside the netns');
    assert.ok(!fs.existsSync(`/sys/class/net/${server.peer}`), 'the peer left the host namespace');
    process.kill(sa.pid, 'SIGKILL');
    await waitExit(server.c.exitFile);

    // The container's end dies with its namespace, taking the pair with it; the bridge is ours to delete.
    await waitFor(() => (fs.existsSync(`/sys/class/net/${server.host}`) ? undefined : true), 5000, 'veth gone');
    assert.ok(!fs.existsSync(`/sys/class/net/${client.host}`));
    deleteLink(bridge);
    assert.ok(!fs.existsSync(`/sys/class/net/${bridge}`));
    assert.throws(() => deleteLink(bridge), (e: unknown) => e instanceof NativeCallError && e.errno === 19);
  });

  test('a veth move into a host-network container is refused in the config', async () => {
    const c = makeContainer({ args: ['true'] }, { namespaces: { net: 'host' }, network: { veth: { peer: 'nonexistent0' } } });
    await assert.rejects(spawnShim(c.config), (e: unknown) => e instanceof ShimStartError && e.stage === 'config');
  });
});
