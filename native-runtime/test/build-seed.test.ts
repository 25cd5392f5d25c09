// The seed document's own Dockerfiles, built and run for real:
//  - its gcc example (COPY . /usr/src/myapp, WORKDIR, RUN gcc -o hello hello.c, CMD ["./hello"]) on
//    a base image made offline by importing the host's C toolchain (Debian's gcc-12, binutils and libc
//    dev files, found with dpkg -L and ldd) plus busybox for /bin/sh;
//  - its alpine/php Dockerfile's structure rewritten on busybox with the same instruction mix.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Berth } from '../src/index.ts';
import { collectJson, makeEnv, sh, type TestEnv } from './berth-helpers.ts';
import { build, ok } from './build-exec-helpers.ts';
import { demux } from '../src/logs/format.ts';

let env: TestEnv;
let b: Berth;

before(async () => {
  env = makeEnv('bseed');
  b = env.berth;
  await b.ping();
});
after(async () => {
  await env.cleanup();
});

const TOOLCHAIN_PACKAGES = [
  'gcc-12', 'cpp-12', 'libgcc-12-dev', 'binutils', 'binutils-x86-64-linux-gnu', 'libbinutils', 'libctf0', 'libctf-nobfd0', 'libsframe0',
  'libjansson4', 'libc6', 'libc6-dev', 'linux-libc-dev', 'libcrypt-dev', 'libcrypt1', 'libisl23', 'libmpc3', 'libmpfr6', 'libgmp10',
  'libzstd1', 'zlib1g', 'libgcc-s1', 'libstdc++6',
];

/** Host paths, canonical (merged /usr: /lib/x → /usr/lib/x), of the C toolchain. */
function toolchainFiles(): string[] {
  const listed: string[] = ['/usr/bin/gcc', '/usr/bin/cc'];
  for (const p of TOOLCHAIN_PACKAGES) {
    try {
      listed.push(...execFileSync('dpkg', ['-L', p], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n'));
    } catch {
      /* not installed: ldd below finds what is really needed */
    }
  }
  const bins = ['/usr/bin/x86_64-linux-gnu-gcc-12', '/usr/bin/x86_64-linux-gnu-as', '/usr/bin/x86_64-linux-gnu-ld.bfd'];
  const gccDir = '/usr/lib/gcc/x86_64-linux-gnu/12';
  for (const f of ['cc1', 'collect2', 'lto-wrapper']) bins.push(path.join(gccDir, f));
  for (const bin of bins) {
    for (const l of execFileSync('ldd', [bin], { encoding: 'utf8' }).split('\n')) {
      const m = /=>\s*(\/\S+)/.exec(l) ?? /^\s*(\/\S+)/.exec(l);
      if (m) listed.push(m[1]!);
    }
  }
  const out = new Set<string>();
  for (const p of listed) {
    if (!p.startsWith('/') || p === '/' || p.startsWith('/usr/share/doc') || p.startsWith('/usr/share/man') || p.startsWith('/usr/share/info') || p.startsWith('/usr/share/locale')) continue;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    const canon = path.join(fs.realpathSync(path.dirname(p)), path.basename(p));
    if (st.isDirectory()) continue;
    out.add(canon);
    // a symlink's target is needed too (libfoo.so -> libfoo.so.1.2)
    if (st.isSymbolicLink()) {
      try {
        out.add(fs.realpathSync(p));
      } catch {
        /* dangling */
      }
    }
  }
  return [...out].sort();
}

async function importToolchainImage(): Promise<string> {
  const stage = fs.mkdtempSync('/var/tmp/berth-gcc-stage-');
  try {
    fs.mkdirSync(path.join(stage, 'bin'));
    fs.mkdirSync(path.join(stage, 'tmp'), { mode: 0o1777 });
    fs.chmodSync(path.join(stage, 'tmp'), 0o1777);
    fs.copyFileSync('/bin/busybox', path.join(stage, 'bin/busybox'));
    fs.chmodSync(path.join(stage, 'bin/busybox'), 0o755);
    for (const a of ['sh', 'ls', 'cat', 'echo', 'rm', 'mkdir']) fs.symlinkSync('busybox', path.join(stage, 'bin', a));
    fs.symlinkSync('usr/lib', path.join(stage, 'lib'));
    fs.symlinkSync('usr/lib64', path.join(stage, 'lib64'));
    const list = path.join(stage, '..', `${path.basename(stage)}.list`);
    fs.writeFileSync(list, toolchainFiles().map((p) => p.slice(1)).join('\n') + '\n');
    const tarFile = `${stage}.tar`;
    execFileSync('tar', ['-cf', tarFile, '--no-recursion', '-C', stage, 'bin', 'bin/busybox', 'bin/sh', 'bin/ls', 'bin/cat', 'bin/echo', 'bin/rm', 'bin/mkdir', 'tmp', 'lib', 'lib64', '-C', '/', '-T', list]);
    fs.rmSync(list);
    try {
      const s = await b.importImage(tarFile, { repo: 'gcc-local', tag: 'test', changes: ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] });
      const lines = await collectJson<{ status?: string; error?: string }>(s);
      const err = lines.find((l) => l.error);
      if (err) throw new Error(err.error);
      return lines.at(-1)!.status!;
    } finally {
      fs.rmSync(tarFile, { force: true });
    }
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

const HELLO_C = '#include <stdio.h>\n\nint main(void) {\n  printf("Hello, World!\\n");\n  return 0;\n}\n';

describe('the seed document\'s examples', () => {
  test('gcc: COPY . /usr/src/myapp, WORKDIR, RUN gcc -o hello hello.c, CMD ["./hello"]', { skip: !fs.existsSync('/usr/bin/gcc-12') && 'the host has no gcc-12 to import' }, async () => {
    const t0 = Date.now();
    await importToolchainImage();
    const importMs = Date.now() - t0;
    const dockerfile = 'FROM gcc-local:test\n\nCOPY . /usr/src/myapp\nWORKDIR /usr/src/myapp\n\nRUN gcc -o hello hello.c\n\nCMD ["./hello"]\n';
    const r = await build(b, { Dockerfile: dockerfile, 'hello.c': HELLO_C }, { t: 'myapp:latest' });
    ok(r);
    assert.match(r.text, /^Step 1\/5 : FROM gcc-local:test\n ---> [0-9a-f]{12}\nStep 2\/5 : COPY \. \/usr\/src\/myapp\n ---> [0-9a-f]{12}\nStep 3\/5 : WORKDIR \/usr\/src\/myapp\n ---> [0-9a-f]{12}\nStep 4\/5 : RUN gcc -o hello hello\.c\n ---> Running in [0-9a-f]{12}\nRemoving intermediate container [0-9a-f]{12}\n ---> [0-9a-f]{12}\nStep 5\/5 : CMD \["\.\/hello"\]\n/);
    const c = await b.createContainer({ Image: 'myapp:latest' });
    const waited = c.wait({ condition: 'next-exit' });
    await c.start();
    assert.equal((await waited).StatusCode, 0);
    assert.equal(demux((await c.logs({ stdout: true })) as Buffer).stdout.toString(), 'Hello, World!\n');
    await c.remove({ force: true });
    // the seed's second run: "Step 6 : CMD ./hello ---> Using cache"
    const again = await build(b, { Dockerfile: dockerfile, 'hello.c': HELLO_C }, { t: 'myapp:latest' });
    assert.equal(ok(again), r.id);
    assert.equal((again.text.match(/ ---> Using cache/g) ?? []).length, 4);
    console.log(`# toolchain image import ${importMs} ms, cold build ${r.ms.toFixed(0)} ms, cached ${again.ms.toFixed(0)} ms`);
  });

  test('alpine/php structure on busybox: && chains with rm -rf, user and group, entrypoint script, ENV, ENTRYPOINT + CMD, WORKDIR, EXPOSE', async () => {
    const dockerfile = [
      'FROM busybox',
      '',
      'RUN mkdir -p /var/cache/apk /tmp/build \\',
      '  && echo index > /var/cache/apk/APKINDEX \\',
      '  && echo obj > /tmp/build/php.o \\',
      '  && mkdir -p /usr/local/php && echo "php-fpm 7 (stand-in)" > /usr/local/php/VERSION \\',
      ' && rm -rf /var/cache/apk/* && rm -rf /tmp/*',
      '',
      // busybox-static has no addgroup/adduser applets; the same accounts, written as they would
      "RUN echo 'app:x:1500:' >> /etc/group && echo 'app:x:1500:1500::/var/www:/bin/sh' >> /etc/passwd && mkdir -p /var/www && chown app:app /var/www",
      '',
      'COPY ./bin/entrypoint /usr/bin/entrypoint',
      'COPY . /srv/',
      '',
      'ENV APP_ENV prod',
      '',
      'ENTRYPOINT ["entrypoint"]',
      'CMD ["cat", "/usr/local/php/VERSION"]',
      '',
      'WORKDIR /srv',
      'EXPOSE 9001',
      '',
    ].join('\n');
    const files = {
      Dockerfile: dockerfile,
      'bin/': { type: 'directory' as const },
      'bin/entrypoint': { body: '#!/bin/sh\necho "entrypoint: APP_ENV=$APP_ENV pwd=$(pwd) user=$(grep ^app: /etc/passwd | cut -d: -f1)"\nexec "$@"\n', mode: 0o755 },
      'index.php': '<?php echo "hi";\n',
    };
    const r = await build(b, files, { t: 'php-app' });
    const id = ok(r);
    assert.equal((r.text.match(/^Step \d+\/10 : /gm) ?? []).length, 10);
    const img = await b.getImage(id).inspect();
    assert.deepEqual(img.Config!.Entrypoint, ['entrypoint']);
    assert.deepEqual(img.Config!.Cmd, ['cat', '/usr/local/php/VERSION']);
    assert.deepEqual(img.Config!.ExposedPorts, { '9001/tcp': {} });
    assert.equal(img.Config!.WorkingDir, '/srv');
    assert.ok(img.Config!.Env!.includes('APP_ENV=prod'));
    const base = await b.getImage('busybox').inspect();
    // RUN, RUN, COPY, COPY, WORKDIR (/srv exists from COPY: no layer)
    assert.equal(img.RootFS.Layers!.length, base.RootFS.Layers!.length + 4);
    const hist = await b.getImage(id).history();
    assert.deepEqual(
      hist.slice(0, 9).map((h) => h.CreatedBy.replace(/(file|dir):[0-9a-f]{64}/, '$1:<h>')),
      [
        '/bin/sh -c #(nop)  EXPOSE 9001',
        '/bin/sh -c #(nop) WORKDIR /srv',
        '/bin/sh -c #(nop)  CMD ["cat" "/usr/local/php/VERSION"]',
        '/bin/sh -c #(nop)  ENTRYPOINT ["entrypoint"]',
        '/bin/sh -c #(nop)  ENV APP_ENV=prod',
        '/bin/sh -c #(nop) COPY dir:<h> in /srv/ ',
        '/bin/sh -c #(nop) COPY file:<h> in /usr/bin/entrypoint ',
        "/bin/sh -c echo 'app:x:1500:' >> /etc/group && echo 'app:x:1500:1500::/var/www:/bin/sh' >> /etc/passwd && mkdir -p /var/www && chown app:app /var/www",
        '/bin/sh -c mkdir -p /var/cache/apk /tmp/build   && echo index > /var/cache/apk/APKINDEX   && echo obj > /tmp/build/php.o   && mkdir -p /usr/local/php && echo "php-fpm 7 (stand-in)" > /usr/local/php/VERSION  && rm -rf /var/cache/apk/* && rm -rf /tmp/*',
      ],
    );
    const c = await b.createContainer({ Image: 'php-app' });
    const waited = c.wait({ condition: 'next-exit' });
    await c.start();
    assert.equal((await waited).StatusCode, 0);
    const out = demux((await c.logs({ stdout: true })) as Buffer).stdout.toString();
    assert.match(out, /entrypoint: APP_ENV=prod pwd=\/srv user=app\n/);
    assert.match(out, /php-fpm 7 \(stand-in\)\n$/);
    await c.remove({ force: true });
    const check = await sh(b, 'ls -A /var/cache/apk /tmp; ls /srv; stat -c %U /var/www', { Image: 'php-app', Entrypoint: [] });
    assert.equal(check.stdout, '/tmp:\n\n/var/cache/apk:\nDockerfile\nbin\nindex.php\napp\n');
  });
});
