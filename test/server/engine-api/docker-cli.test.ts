// The real docker CLI (28.x, DOCKER_BUILDKIT=0, no user config) against Berth's Engine API socket.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { envFor, runCommand, startApiEnv, type ApiEnv } from './test-env.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function httpStatus(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
  });
}

describe('docker CLI against Berth', () => {
  let e: ApiEnv;
  const ok = async (args: string[], opts?: { input?: string }) => {
    const r = await e.docker(args, opts);
    assert.equal(r.code, 0, `docker ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r;
  };

  before(async () => {
    e = await startApiEnv('cli');
  });
  after(async () => {
    await e?.cleanup();
  });

  it('version, info, ps -a, images', async () => {
    const v = await ok(['version']);
    assert.match(v.stdout, /API version:\s+1\.41 \(downgraded from 1\.5\d\)/);
    assert.match(v.stdout, /Server: Berth/);
    assert.match(v.stdout, /API version:\s+1\.41 \(minimum version 1\.24\)/);
    const i = await ok(['info']);
    assert.match(i.stdout, /Storage Driver: overlay2/);
    assert.match(i.stdout, /Cgroup Driver: cgroupfs/);
    assert.match((await ok(['ps', '-a'])).stdout, /^CONTAINER ID\s+IMAGE\s+COMMAND/);
    assert.match((await ok(['images'])).stdout, /busybox\s+latest\s+[0-9a-f]{12}/);
  });

  it('run --rm busybox echo hi; stdout/stderr and the exit code come through', async () => {
    assert.equal((await ok(['run', '--rm', 'busybox', 'echo', 'hi'])).stdout, 'hi\n');
    const r = await e.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    // Output written before the attachment is live is not lost, nor doubled.
    const many = await ok(['run', '--rm', 'busybox', 'seq', '1', '20000']);
    assert.equal(many.stdout, Array.from({ length: 20000 }, (_, k) => `${k + 1}\n`).join(''));
    assert.deepEqual((await ok(['ps', '-aq'])).stdout, '');
  });

  it('echo hi | docker run -i busybox cat ends (stdin half-close)', async () => {
    const r = await ok(['run', '-i', '--rm', 'busybox', 'cat'], { input: 'hi\n' });
    assert.equal(r.stdout, 'hi\n');
    const big = Array.from({ length: 50000 }, (_, k) => `line ${k}\n`).join('');
    assert.equal((await ok(['run', '-i', '--rm', 'busybox', 'wc', '-l'], { input: big })).stdout.trim(), '50000');
  });

  it('a published web server: run -d with limits, ps, inspect, stats, top, logs, exec, diff, HTTP, stop, rm', async () => {
    const port = await freePort();
    const id = (await ok(['run', '-d', '--name', 'web', '-m', '64m', '--cpus', '0.5', '-p', `127.0.0.1:${port}:80`, '-v', 'vol1:/data', 'busybox', 'httpd', '-f', '-v', '-p', '80'])).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = await ok(['ps']);
    assert.match(ps.stdout, new RegExp(`${id.slice(0, 12)}\\s+busybox\\s+"httpd -f -v -p 80".*127\\.0\\.0\\.1:${port}->80/tcp\\s+web`));
    const [insp] = JSON.parse((await ok(['inspect', 'web'])).stdout) as [{ Id: string; HostConfig: { Memory: number; NanoCpus: number }; State: { Running: boolean }; Mounts: { Name: string; Destination: string }[] }];
    assert.equal(insp.Id, id);
    assert.equal(insp.HostConfig.Memory, 64 * 1024 * 1024);
    assert.equal(insp.HostConfig.NanoCpus, 500_000_000);
    assert.equal(insp.State.Running, true);
    assert.deepEqual(insp.Mounts.map((m) => [m.Name, m.Destination]), [['vol1', '/data']]);
    const stats = await ok(['stats', '--no-stream', 'web']);
    assert.match(stats.stdout, /web\s+[\d.]+%\s+[\d.]+[KMG]?i?B \/ 64MiB/);
    assert.match((await ok(['top', 'web'])).stdout, /httpd -f -v -p 80/);
    assert.equal((await ok(['exec', 'web', 'sh', '-c', 'echo hello > /data/x; ls /data'])).stdout, 'x\n');
    const failing = await e.docker(['exec', 'web', 'sh', '-c', 'exit 7']);
    assert.equal(failing.code, 7);
    assert.equal(await httpStatus(port), 404); // httpd answers (no index page), through the published port
    const logs = await ok(['logs', 'web']);
    assert.match(logs.stdout + logs.stderr, /response:404/); // httpd -v logs the request
    const diff = await ok(['diff', 'web']);
    assert.match(diff.stdout, /^[ACD] \//m);
    const rm = await e.docker(['rm', 'web']);
    assert.notEqual(rm.code, 0);
    assert.match(rm.stderr, /Error response from daemon: You cannot remove a running container [0-9a-f]{64}\. Stop the container before attempting removal or force remove/);
    await ok(['stop', '-t', '1', 'web']);
    assert.match((await ok(['ps', '-a', '--filter', 'name=web'])).stdout, /Exited \(/);
    await ok(['rm', 'web']);
    assert.equal((await ok(['ps', '-aq'])).stdout, '');
  });

  it('run -it busybox sh through a pty: type a command, read its output, exit', async () => {
    const steps = "sleep 1.5; printf 'echo marker$((6*7))\\n'; sleep 1; printf 'exit\\n'; sleep 1";
    const r = await runCommand('sh', ['-c', `(${steps}) | script -qfc "docker run -it --rm busybox sh" /dev/null`], envFor(e), { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /marker42/);
    assert.match(r.stdout, /\/ # /);
  });

  it('build a multi-step Dockerfile, history, image inspect, and a cached rebuild', async () => {
    const ctx = path.join(e.root, 'ctx');
    fs.mkdirSync(ctx);
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo a > /a\nCOPY f.txt /f.txt\nENV X=1\nWORKDIR /w\nCMD ["cat", "/a", "/f.txt"]\n');
    fs.writeFileSync(path.join(ctx, 'f.txt'), 'from the context\n');
    const cold = await ok(['build', '-t', 't1', ctx]);
    assert.match(cold.stdout, /Step 1\/6 : FROM busybox/);
    assert.match(cold.stdout, /Step 2\/6 : RUN echo a > \/a\n ---> Running in [0-9a-f]{12}/);
    assert.match(cold.stdout, /Successfully tagged t1:latest/);
    const hist = await ok(['history', 't1']);
    assert.match(hist.stdout, /CMD \["cat" "\/a" "\/f\.txt"\]/);
    assert.match(hist.stdout, /\/bin\/sh -c echo a > \/a/);
    const [img] = JSON.parse((await ok(['image', 'inspect', 't1'])).stdout) as [{ RepoTags: string[]; Config: { Env: string[]; WorkingDir: string } }];
    assert.deepEqual(img.RepoTags, ['t1:latest']);
    assert.ok(img.Config.Env.includes('X=1'));
    assert.equal(img.Config.WorkingDir, '/w');
    const cached = await ok(['build', '-t', 't1', ctx]);
    assert.equal(cached.stdout.match(/Using cache/g)?.length, 5);
    assert.equal((await ok(['run', '--rm', 't1'])).stdout, 'a\nfrom the context\n');
  });

  it('cp both ways, commit, save | load, tag, rmi', async () => {
    await ok(['run', '-d', '--name', 'cpt', 'busybox', 'sleep', '300']);
    const hostFile = path.join(e.root, 'host.txt');
    fs.writeFileSync(hostFile, 'from the host\n');
    await ok(['cp', hostFile, 'cpt:/tmp/host.txt']);
    assert.equal((await ok(['exec', 'cpt', 'cat', '/tmp/host.txt'])).stdout, 'from the host\n');
    await ok(['exec', 'cpt', 'sh', '-c', 'mkdir /d && echo inside > /d/in.txt']);
    const out = path.join(e.root, 'cpout');
    await ok(['cp', 'cpt:/d', out]);
    assert.equal(fs.readFileSync(path.join(out, 'in.txt'), 'utf8'), 'inside\n');
    const commit = await ok(['commit', 'cpt', 'cimg:v1']);
    assert.match(commit.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal((await ok(['run', '--rm', 'cimg:v1', 'cat', '/d/in.txt'])).stdout, 'inside\n');
    await ok(['rm', '-f', 'cpt']);

    const tar = path.join(e.root, 't1.tar');
    await ok(['save', '-o', tar, 't1']);
    await ok(['rmi', 't1']);
    assert.doesNotMatch((await ok(['images'])).stdout, /^t1 /m);
    const loaded = await runCommand('sh', ['-c', `docker load < ${tar}`], envFor(e));
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.match(loaded.stdout, /Loaded image: t1:latest/);
    const piped = await runCommand('sh', ['-c', 'docker save t1 | docker load'], envFor(e));
    assert.equal(piped.code, 0, piped.stderr);
    assert.match(piped.stdout, /Loaded image: t1:latest/);
    await ok(['tag', 't1', 't1:v2']);
    assert.match((await ok(['images'])).stdout, /^t1\s+v2\s/m);
    assert.match((await ok(['rmi', 't1:v2'])).stdout, /Untagged: t1:v2/);
  });

  it('volume create/ls/inspect/rm and network create/ls/inspect/rm', async () => {
    assert.equal((await ok(['volume', 'create', 'v2'])).stdout, 'v2\n');
    assert.match((await ok(['volume', 'ls'])).stdout, /local\s+v2/);
    const [vol] = JSON.parse((await ok(['volume', 'inspect', 'v2'])).stdout) as [{ Name: string; Driver: string }];
    assert.deepEqual([vol.Name, vol.Driver], ['v2', 'local']);
    await ok(['volume', 'rm', 'v2']);
    assert.doesNotMatch((await ok(['volume', 'ls'])).stdout, /\sv2\n/);
    const nid = (await ok(['network', 'create', 'n1'])).stdout.trim();
    assert.match(nid, /^[0-9a-f]{64}$/);
    assert.match((await ok(['network', 'ls'])).stdout, new RegExp(`${nid.slice(0, 12)}\\s+n1\\s+bridge\\s+local`));
    const [net1] = JSON.parse((await ok(['network', 'inspect', 'n1'])).stdout) as [{ Id: string; Driver: string }];
    assert.deepEqual([net1.Id, net1.Driver], [nid, 'bridge']);
    await ok(['network', 'rm', 'n1']);
  });

  it('events --since … --until … replays what happened in between and ends', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    await ok(['run', '--rm', '--name', 'evt', 'busybox', 'true']);
    await new Promise((r) => setTimeout(r, 1100));
    const until = Math.floor(Date.now() / 1000);
    const ev = await ok(['events', '--since', String(since), '--until', String(until), '--filter', 'container=evt']);
    for (const action of ['create', 'start', 'die', 'destroy']) assert.match(ev.stdout, new RegExp(`container ${action} [0-9a-f]{64} .*name=evt`));
    // dockerd 20.10 refuses a window that ends before it starts (400); Berth answered an empty stream.
    const empty = await e.docker(['events', '--since', String(until), '--until', String(until - 5)]);
    assert.equal(empty.code, 1, empty.stderr);
    assert.match(empty.stderr, /`since` time \(\d+\) cannot be after `until` time \(\d+\)/);
  });

  it('errors: run nosuchimage fails fast offline; unsupported features answer clearly', async () => {
    const r = await e.docker(['run', 'nosuchimage'], { timeoutMs: 20_000 });
    assert.notEqual(r.code, 0);
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
    assert.match(r.stderr, /Unable to find image 'nosuchimage:latest' locally/);
    assert.match(r.stderr, /not allowed/);
    const swarm = await e.docker(['node', 'ls']);
    assert.notEqual(swarm.code, 0);
    assert.match(swarm.stderr, /not a swarm manager/);
    // A command that does not exist fails the start as with dockerd (exit 127, the daemon's message),
    // ends the attached CLI at once, and --rm still removes the container.
    const missing = await e.docker(['run', '--rm', '--name', 'nocmd', 'busybox', 'nosuchcmd'], { timeoutMs: 20_000 });
    assert.equal(missing.code, 127, missing.stderr);
    assert.match(missing.stderr, /Error response from daemon: .*executable file not found in \$PATH/);
    assert.ok(missing.ms < 10_000, `took ${missing.ms} ms`);
    assert.doesNotMatch((await ok(['ps', '-a', '--format', '{{.Names}}'])).stdout, /^nocmd$/m);
    // dockerd 20.10 (runc): a directory or a non-executable file is "permission denied" (CLI exit 126), a
    // missing path "no such file or directory" (127). Berth said 127 for a directory after starting it,
    // and its capitalised strerror texts made the CLI answer 125.
    const codes: [string, number, RegExp][] = [
      ['/etc', 126, /exec: "\/etc": permission denied/],
      ['/etc/passwd', 126, /exec: "\/etc\/passwd": permission denied/],
      ['/nosuch', 127, /exec: "\/nosuch": stat \/nosuch: no such file or directory/],
    ];
    for (const [cmd, code, msg] of codes) {
      const r = await e.docker(['run', '--rm', 'busybox', cmd], { timeoutMs: 20_000 });
      assert.equal(r.code, code, `${cmd}: ${r.stderr}`);
      assert.match(r.stderr, msg);
    }
  });

  // dockerd 20.10: `docker exec` of a command that cannot start upgrades the connection, writes the error
  // into the output and inspect says 126, so the CLI prints the reason and exits 126. Berth answered the
  // start with an error status: the CLI printed "unable to upgrade to tcp, received 400" and exited 1.
  it('exec of a command that cannot start: the reason and exit 126, as dockerd', async () => {
    await ok(['run', '-d', '--name', 'execfail', 'busybox', 'sleep', '300']);
    const cases: [string[], RegExp][] = [
      [['nosuchcmd'], /OCI runtime exec failed: .*exec: "nosuchcmd": executable file not found in \$PATH/],
      [['/etc'], /OCI runtime exec failed: .*exec: "\/etc": permission denied/],
      [['-t', '/nosuch'], /OCI runtime exec failed: .*exec: "\/nosuch": stat \/nosuch: no such file or directory/],
    ];
    for (const [args, msg] of cases) {
      const r = await e.docker(['exec', ...args.slice(0, -1), 'execfail', args[args.length - 1]!], { timeoutMs: 20_000 });
      assert.equal(r.code, 126, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout + r.stderr, msg);
      assert.doesNotMatch(r.stderr, /unable to upgrade/);
    }
    assert.equal((await ok(['exec', 'execfail', 'echo', 'still fine'])).stdout, 'still fine\n');
    const rows = await e.services.db.auditLog.findMany({ where: { actorName: 'engine-api', action: 'containers.exec.start' } });
    assert.ok(rows.some((row) => row.result !== 'allowed' && /executable file not found/.test(row.error ?? '')), JSON.stringify(rows.map((r) => [r.result, r.error])));
    await ok(['rm', '-f', 'execfail']);
  });

  it('writes audit rows for mutating calls as engine-api', async () => {
    const rows = await e.services.db.auditLog.findMany({ where: { actorName: 'engine-api' } });
    const actions = new Set(rows.map((r) => r.action));
    for (const a of ['containers.create', 'containers.start', 'containers.remove', 'images.build', 'images.tag', 'images.load', 'volumes.create', 'networks.create', 'containers.exec.start', 'containers.archive.put', 'containers.commit']) {
      assert.ok(actions.has(a), `no audit row for ${a}: ${[...actions].join(', ')}`);
    }
    assert.ok(rows.every((r) => r.actorType === 'system'));
    const failed = rows.find((r) => r.action === 'containers.remove' && r.result === 'failure');
    assert.match(failed?.error ?? '', /You cannot remove a running container/);
    const pull = rows.find((r) => r.action === 'images.pull');
    assert.equal(pull?.result, 'failure');
    assert.equal(pull?.target, 'docker.io/library/nosuchimage:latest'); // the CLI sends the full name
    assert.equal(rows.filter((r) => r.action.startsWith('containers.json')).length, 0);
  });
});
