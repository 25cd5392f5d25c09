// The compose loader: YAML and schema errors with line:col, interpolation, .env and env_file,
// profiles, extends, merging several files, depends_on checks, and the container spec it leads to.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadProject, type ComposeFile } from '../src/stacks/load.ts';
import { StackError } from '../src/stacks/errors.ts';
import { interpolateString } from '../src/stacks/interpolate.ts';
import { parseDotenv } from '../src/stacks/dotenv.ts';
import { replicaSpec } from '../src/stacks/container-spec.ts';
import { configHash } from '../src/stacks/labels.ts';

const WD = '/var/lib/berth/stacks/demo';

function load(files: ComposeFile[] | string, env = '', extra: { profiles?: string[]; readFile?: (p: string) => string | null } = {}) {
  const list = typeof files === 'string' ? [{ name: 'compose.yaml', content: files }] : files;
  return loadProject({ name: 'demo', files: list, env, workingDir: WD, ...extra });
}

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StackError, String(err));
    return err.issues;
  }
  assert.fail('expected a StackError');
}

describe('interpolation', () => {
  const env: Record<string, string> = { SET: 'v', EMPTY: '' };
  const i = (s: string) => interpolateString(s, (k) => env[k]);
  it('substitutes each form', () => {
    assert.deepEqual(i('a-${SET}-$SET-${UNSET}'), { ok: true, value: 'a-v-v-' });
    assert.deepEqual(i('${UNSET:-d} ${EMPTY:-d} ${EMPTY-d} ${UNSET-d}'), { ok: true, value: 'd d  d' });
    assert.deepEqual(i('${SET:+alt}|${EMPTY:+alt}|${EMPTY+alt}'), { ok: true, value: 'alt||alt' });
    assert.deepEqual(i('$$SET costs $$5 ${UNSET:-${SET}}'), { ok: true, value: '$SET costs $5 v' });
  });
  it('reports required variables and bad syntax', () => {
    assert.deepEqual(i('${UNSET:?set it please}'), { ok: false, error: 'required variable UNSET is missing a value: set it please' });
    assert.equal(i('${EMPTY?x}').ok, true);
    assert.equal(i('${EMPTY:?x}').ok, false);
    assert.match((i('${SET') as { error: string }).error, /missing closing brace/);
    assert.match((i('${1x}') as { error: string }).error, /not a variable name/);
  });
});

describe('.env', () => {
  it('parses quotes, export, comments and references', () => {
    const r = parseDotenv('# c\nexport A=1\nB="x\\ny" # note\nC=\'$A lit\'\nD=${A}2 # tail\nE\n');
    assert.deepEqual(r.env, { A: '1', B: 'x\ny', C: '$A lit', D: '12' });
    assert.deepEqual(parseDotenv('1BAD=x').errors, [{ line: 1, message: 'invalid variable name "1BAD"' }]);
  });
});

describe('loadProject', () => {
  it('YAML syntax errors carry line and column', () => {
    const issues = issuesOf(() => load('services:\n  web:\n    image: [busybox\n'));
    assert.equal(issues[0]!.file, 'compose.yaml');
    assert.equal(issues[0]!.line, 4);
    assert.ok(issues[0]!.col >= 1);
    const dup = issuesOf(() => load('services:\n  web:\n    image: a\n    image: b\n'));
    assert.deepEqual([dup[0]!.line, dup[0]!.col], [4, 5]);
    assert.match(dup[0]!.message, /unique/i);
  });

  it('schema errors point at the offending key or value', () => {
    const issues = issuesOf(() => load('version: "3.8"\nservices:\n  web:\n    image: busybox\n    restart: [no]\n    ports:\n      - target: 80\n        bogus: 1\n  db:\n    imagee: x\n'));
    const by = (p: string) => issues.find((i) => i.path === p);
    assert.deepEqual([by('services.web.restart')?.line, by('services.web.restart')?.col], [5, 14]);
    assert.match(by('services.web.restart')!.message, /must be string/);
    assert.deepEqual([by('services.web.ports[0].bogus')?.line, by('services.web.ports[0].bogus')?.col], [8, 9]);
    assert.deepEqual([by('services.db.imagee')?.line, by('services.db.imagee')?.col], [10, 5]);
    assert.match(by('services.db.imagee')!.message, /additional property "imagee" is not allowed/);
    assert.match(String(new StackError(issues).message), /compose\.yaml:5:14: services\.web\.restart: must be string/);
  });

  it('interpolates from the .env text only; a missing required variable names its place', () => {
    const p = load('services:\n  web:\n    image: "busybox:${TAG:-latest}"\n    environment:\n      - GREETING=${HELLO}\n      - FROM_ENV\n', 'HELLO=hi there\nFROM_ENV=yes\n');
    assert.equal(p.services['web']!.image, 'busybox:latest');
    assert.deepEqual(p.services['web']!.environment, { GREETING: 'hi there', FROM_ENV: 'yes' });
    process.env['BERTH_LEAK_TEST'] = 'leak';
    assert.equal(load('services:\n  w:\n    image: "x${BERTH_LEAK_TEST}"\n').services['w']!.image, 'x');
    const issues = issuesOf(() => load('services:\n  web:\n    image: busybox\n    command: echo ${NEED:?give NEED}\n'));
    assert.deepEqual([issues[0]!.line, issues[0]!.col, issues[0]!.message], [4, 14, 'required variable NEED is missing a value: give NEED']);
  });

  it('env_file entries come before environment; a missing one is an error unless optional', () => {
    const files: Record<string, string> = { [`${WD}/app.env`]: 'A=from-file\nB=file\n' };
    const p = load('services:\n  web:\n    image: busybox\n    env_file: [app.env, {path: none.env, required: false}]\n    environment: {B: env}\n', '', { readFile: (f) => files[f] ?? null });
    assert.deepEqual(p.services['web']!.environment, { A: 'from-file', B: 'env' });
    const issues = issuesOf(() => load('services:\n  web:\n    image: busybox\n    env_file: gone.env\n', '', { readFile: () => null }));
    assert.match(issues[0]!.message, /env file gone.env not found/);
    assert.equal(issues[0]!.line, 4);
  });

  it('merges files in order: mappings merge, lists append, command replaces, ports and volumes by key', () => {
    const p = load([
      { name: 'compose.yaml', content: 'services:\n  web:\n    image: busybox\n    command: [sleep, "1"]\n    environment: {A: "1", B: "1"}\n    ports: ["8080:80"]\n    volumes: ["data:/data", "./conf:/conf:ro"]\n    dns: [1.1.1.1]\nvolumes:\n  data: {}\n' },
      { name: 'override.yaml', content: 'services:\n  web:\n    command: sleep 2\n    environment: [B=2, C=3]\n    ports: ["8080:80", "9090:90/udp"]\n    volumes: [{type: volume, source: data, target: /conf}]\n    dns: [8.8.8.8]\n' },
    ]);
    const w = p.services['web']!;
    assert.deepEqual(w.command, ['sleep', '2']);
    assert.deepEqual(w.environment, { A: '1', B: '2', C: '3' });
    assert.deepEqual(w.ports.map((x) => `${x.published}:${x.target}/${x.protocol}`), ['8080:80/tcp', '9090:90/udp']);
    assert.deepEqual(w.volumes.map((v) => `${v.type}:${v.source}:${v.target}`), ['volume:data:/data', 'volume:data:/conf']);
    assert.deepEqual(w.dns, ['1.1.1.1', '8.8.8.8']);
    assert.deepEqual(p.configFiles, [`${WD}/compose.yaml`, `${WD}/override.yaml`]);
  });

  it('!reset takes a value out of the files before; !override replaces instead of merging', () => {
    const base = 'services:\n  web:\n    image: busybox\n    command: [sleep, "1"]\n    environment: {A: "1", B: "1"}\n    ports: ["8080:80"]\n    dns: [1.1.1.1]\n';
    const p = load([
      { name: 'compose.yaml', content: base },
      { name: 'override.yaml', content: 'services:\n  web:\n    ports: !reset []\n    command: !reset null\n    environment: !override\n      C: "3"\n    dns: !override [8.8.8.8]\n' },
    ]);
    const w = p.services['web']!;
    assert.deepEqual(w.ports, []);
    assert.equal(w.command, undefined);
    assert.deepEqual(w.environment, { C: '3' });
    assert.deepEqual(w.dns, ['8.8.8.8']);
    // Without the tags the same values merge (the spec's default).
    const merged = load([
      { name: 'compose.yaml', content: base },
      { name: 'override.yaml', content: 'services:\n  web:\n    environment:\n      C: "3"\n    dns: [8.8.8.8]\n' },
    ]).services['web']!;
    assert.deepEqual(merged.environment, { A: '1', B: '1', C: '3' });
    // On a list item the tag means nothing the spec defines: an error at its line.
    const issues = issuesOf(() => load('services:\n  web:\n    image: busybox\n    dns:\n      - !reset 1.1.1.1\n'));
    assert.deepEqual(issues.map((i) => [i.line, i.col]), [[5, 16]]);
    assert.match(issues[0]!.message, /!reset applies to the value of a mapping key/);
  });

  it('secrets and configs from environment: (the .env) or content: are written by Berth and mounted read-only', () => {
    const yaml = 'services:\n  web:\n    image: busybox\n    secrets: [token]\n    configs: [{source: motd, target: /etc/motd}]\nsecrets:\n  token:\n    environment: API_TOKEN\nconfigs:\n  motd:\n    content: |\n      hello $${NAME:-x}\n';
    const p = load(yaml, 'API_TOKEN=s3cret\n');
    const w = p.services['web']!;
    assert.deepEqual(w.secrets, [{ file: `${WD}/.berth/secrets/token`, target: '/run/secrets/token', mode: undefined, content: 's3cret' }]);
    assert.deepEqual(w.configs, [{ file: `${WD}/.berth/configs/motd`, target: '/etc/motd', mode: undefined, content: 'hello ${NAME:-x}\n' }]);
    // A changed value is a changed service (its containers are recreated).
    assert.notEqual(configHash(w, null), configHash(load(yaml, 'API_TOKEN=other\n').services['web']!, null));
    const issues = issuesOf(() => load(yaml));
    assert.deepEqual(issues.map((i) => [i.line, i.message]), [[8, "secret token: variable API_TOKEN is not set in the stack's .env"]]);
  });

  it('include: a sub-project with its own folder and .env, its resources added; conflicts and missing files are errors at the include', () => {
    const files: Record<string, string> = {
      [`${WD}/db/compose.yaml`]: 'services:\n  db:\n    image: "busybox:${DB_TAG}"\n    env_file: db.env\n    volumes: ["./init:/init:ro", "data:/data"]\n    build: ./ctx\nvolumes:\n  data: {}\n',
      [`${WD}/db/.env`]: 'DB_TAG=from-include\nSHARED=include\n',
      [`${WD}/db/db.env`]: 'X=1\n',
    };
    const readFile = (f: string) => files[f] ?? null;
    const main = 'include:\n  - db/compose.yaml\nservices:\n  web:\n    image: busybox\n    depends_on: [db]\n';
    const p = load(main, '', { readFile });
    assert.deepEqual(Object.keys(p.services).sort(), ['db', 'web']);
    const db = p.services['db']!;
    assert.equal(db.image, 'busybox:from-include');
    assert.deepEqual(db.environment, { X: '1' });
    assert.equal(db.build?.context, `${WD}/db/ctx`);
    assert.deepEqual(db.volumes.map((v) => `${v.type}:${v.source}:${v.target}`), [`bind:${WD}/db/init:/init`, 'volume:data:/data']);
    assert.deepEqual(Object.keys(p.volumes), ['data']);
    // The stack's own variables win over the included project's .env.
    assert.equal(load(main, 'DB_TAG=stack\n', { readFile }).services['db']!.image, 'busybox:stack');
    const clash = issuesOf(() => load('include: [db/compose.yaml]\nservices:\n  db:\n    image: busybox\n', '', { readFile }));
    assert.deepEqual(clash.map((i) => [i.line, i.message]), [[1, 'service "db" is declared here and in the included db/compose.yaml']]);
    const missing = issuesOf(() => load('services: {}\ninclude:\n  - path: nope.yaml\n', '', { readFile }));
    assert.deepEqual(missing.map((i) => [i.line, i.message]), [[3, 'the included file nope.yaml does not exist in the stack folder']]);
  });

  it('extends within a file, and the version key is ignored', () => {
    const p = load('version: "2.4"\nx-base: &base\n  restart: always\nservices:\n  base:\n    <<: *base\n    image: busybox\n    environment: {A: a}\n    labels: [x=1]\n  web:\n    extends: base\n    environment: {B: b}\n');
    assert.deepEqual(p.services['web']!.environment, { A: 'a', B: 'b' });
    assert.equal(p.services['web']!.restart, 'always');
    assert.deepEqual(p.services['web']!.labels, { x: '1' });
    const issues = issuesOf(() => load('services:\n  web:\n    image: busybox\n    extends: {service: nope}\n'));
    assert.match(issues[0]!.message, /cannot extend service "nope"/);
    assert.equal(issues[0]!.line, 4);
  });

  it('profiles enable services; a dependency on a disabled one is an error', () => {
    const src = 'services:\n  web:\n    image: busybox\n  debug:\n    image: busybox\n    profiles: [debug]\n';
    assert.deepEqual(Object.keys(load(src).services), ['web']);
    assert.deepEqual(load(src).disabledServices, ['debug']);
    assert.deepEqual(Object.keys(load(src, 'COMPOSE_PROFILES=debug').services).sort(), ['debug', 'web']);
    assert.deepEqual(Object.keys(load(src, '', { profiles: ['debug'] }).services).sort(), ['debug', 'web']);
    const issues = issuesOf(() => load(src + '    depends_on: [web]\n  app:\n    image: busybox\n    depends_on: [debug]\n'));
    assert.match(issues[0]!.message, /depends on service "debug", which is not enabled/);
  });

  it('depends_on: unknown services and cycles are clear errors', () => {
    const unknown = issuesOf(() => load('services:\n  web:\n    image: busybox\n    depends_on:\n      db:\n        condition: service_healthy\n'));
    assert.equal(unknown[0]!.message, 'service "web" depends on undefined service "db"');
    assert.equal(unknown[0]!.line, 5);
    const cycle = issuesOf(() => load('services:\n  a:\n    image: busybox\n    depends_on: [b]\n  b:\n    image: busybox\n    depends_on: [c]\n  c:\n    image: busybox\n    depends_on: [a]\n'));
    assert.equal(cycle[0]!.message, 'dependency cycle in depends_on: a -> b -> c -> a');
  });

  it('undefined networks, volumes and secrets; a service without image or build', () => {
    const issues = issuesOf(() => load('services:\n  web:\n    networks: [front]\n    volumes: ["data:/d"]\n    secrets: [pw]\n'));
    const msgs = issues.map((i) => i.message).join('\n');
    assert.match(msgs, /neither an image nor a build context/);
    assert.match(msgs, /undefined network front/);
    assert.match(msgs, /undefined volume data/);
    assert.match(msgs, /undefined secret pw/);
  });

  it('unsupported keys are warnings, never dropped silently', () => {
    const p = load('services:\n  web:\n    image: busybox\n    oom_score_adj: 100\n    deploy:\n      placement: {constraints: []}\nmodels: {}\n');
    assert.deepEqual(p.warnings.sort(), ['service "web": "oom_score_adj" is not supported by Berth and was ignored', 'service "web": deploy.placement is not supported by Berth and was ignored', 'top-level key "models" is not supported by Berth and was ignored'].sort());
  });

  it('devices: and device_cgroup_rules: become HostConfig.Devices and DeviceCgroupRules (issue #16)', () => {
    // Before: "devices" was in the unsupported list, warned about and dropped.
    const p = load([
      { name: 'compose.yaml', content: 'services:\n  web:\n    image: busybox\n    devices:\n      - /dev/null:/dev/berthnull\n      - /dev/zero\n      - "/dev/full:/dev/x:r"\n      - {source: /dev/random, target: /dev/r2, permissions: rw}\n    device_cgroup_rules: ["c 1:9 rwm", "b *:* m"]\n' },
      // An override file: a device on the same target replaces the earlier one (compose-go's unique key).
      { name: 'compose.override.yaml', content: 'services:\n  web:\n    devices: ["/dev/urandom:/dev/x"]\n' },
    ]);
    const s = p.services['web']!;
    assert.deepEqual(p.warnings, []);
    assert.deepEqual(s.devices, [
      { source: '/dev/null', target: '/dev/berthnull', permissions: 'rwm' },
      { source: '/dev/zero', target: '/dev/zero', permissions: 'rwm' },
      { source: '/dev/urandom', target: '/dev/x', permissions: 'rwm' },
      { source: '/dev/random', target: '/dev/r2', permissions: 'rw' },
    ]);
    const hc = replicaSpec(p, s, 1, configHash(s, null), 'busybox', null).body.HostConfig!;
    assert.deepEqual(hc.Devices![0], { PathOnHost: '/dev/null', PathInContainer: '/dev/berthnull', CgroupPermissions: 'rwm' });
    assert.deepEqual(hc.DeviceCgroupRules, ['c 1:9 rwm', 'b *:* m']);
    // A service without devices has neither field, and its config hash is what it was before.
    const plain = load('services:\n  web:\n    image: busybox\n');
    const ps = plain.services['web']!;
    assert.equal('devices' in ps || 'deviceCgroupRules' in ps, false);
    assert.equal(replicaSpec(plain, ps, 1, 'h', 'busybox', null).body.HostConfig!.Devices, undefined);
  });

  it('a bad device or cgroup rule is an error at its line', () => {
    const text = 'services:\n  web:\n    image: busybox\n    devices:\n      - /dev/null:/dev/a\n      - dev/null\n      - /dev/null:/dev/b:rwx\n      - /a:/b:/c:rwm\n      - nvidia.com/gpu=all\n      - /dev/null:relative\n    device_cgroup_rules:\n      - "c 1:3 rwm"\n      - "x 1:3 rwm"\n';
    const issues = issuesOf(() => load(text));
    const at = (line: number) => issues.find((i) => i.line === line);
    assert.equal(issues.length, 6, issues.map((i) => `${i.line}: ${i.message}`).join('\n'));
    assert.match(at(6)!.message, /the device "dev\/null" must be an absolute path on the host/);
    assert.equal(at(6)!.path, 'services.web.devices[1]');
    assert.match(at(7)!.message, /invalid device permissions "rwx"/);
    assert.match(at(8)!.message, /confusing device mapping, please use long syntax: \/a:\/b:\/c:rwm/);
    assert.match(at(9)!.message, /CDI device names \(nvidia.com\/gpu=all\) are not supported by Berth/);
    assert.match(at(10)!.message, /the device target "relative" must be an absolute path in the container/);
    assert.match(at(13)!.message, /invalid device cgroup rule "x 1:3 rwm"/);
    assert.ok(issues.every((i) => i.file === 'compose.yaml'));
  });

  it('builds the Engine API create body with compose labels, names and aliases', () => {
    const p = load(
      'services:\n  web:\n    build: {context: ./app, args: {V: "1"}, target: prod}\n    ports: ["127.0.0.1:8080:80", "9000-9001:9000-9001/udp"]\n    expose: ["3000"]\n    volumes: [data:/data, {type: tmpfs, target: /scratch}]\n    networks:\n      front: {aliases: [www]}\n      back: {}\n    healthcheck: {test: "wget -q -O- localhost", interval: 1s, retries: 3, start_period: 500ms}\n    cpus: 0.5\n    mem_limit: 64m\n    pids_limit: 50\n    deploy: {replicas: 2}\n    stop_signal: SIGINT\n    stop_grace_period: 1m30s\n    init: true\n    tty: true\n    secrets: [pw]\n    restart: on-failure:3\nnetworks: {front: {}, back: {}}\nvolumes: {data: {}}\nsecrets: {pw: {file: ./pw.txt}}\n',
    );
    const s = p.services['web']!;
    assert.equal(s.replicas, 2);
    assert.equal(s.build!.context, `${WD}/app`);
    const spec = replicaSpec(p, s, 2, configHash(s, 'sha256:abc'), 'demo-web', 'sha256:abc');
    assert.equal(spec.name, 'demo-web-2');
    const b = spec.body;
    assert.equal(b.Image, 'demo-web');
    assert.equal(b.Labels!['com.docker.compose.project'], 'demo');
    assert.equal(b.Labels!['com.docker.compose.service'], 'web');
    assert.equal(b.Labels!['com.docker.compose.container-number'], '2');
    assert.equal(b.Labels!['com.docker.compose.oneoff'], 'False');
    assert.match(b.Labels!['com.docker.compose.config-hash']!, /^[0-9a-f]{64}$/);
    assert.equal(b.Labels!['com.docker.compose.project.working_dir'], WD);
    assert.equal(b.Labels!['com.docker.compose.project.config_files'], `${WD}/compose.yaml`);
    assert.deepEqual(b.Healthcheck, { Test: ['CMD-SHELL', 'wget -q -O- localhost'], Interval: 1e9, Retries: 3, StartPeriod: 5e8 });
    assert.deepEqual(Object.keys(b.ExposedPorts!).sort(), ['3000/tcp', '80/tcp', '9000/udp', '9001/udp']);
    assert.deepEqual(b.HostConfig!.PortBindings!['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: '8080' }]);
    assert.deepEqual(b.HostConfig!.PortBindings!['9001/udp'], [{ HostIp: '', HostPort: '9001' }]);
    assert.equal(b.HostConfig!.NetworkMode, 'demo_front');
    assert.deepEqual(b.NetworkingConfig!.EndpointsConfig!['demo_front']!.Aliases, ['web', 'www']);
    assert.deepEqual(spec.extraNetworks, [{ network: 'demo_back', aliases: ['web'], ipv4Address: undefined }]);
    assert.deepEqual(b.HostConfig!.Mounts, [
      { Type: 'volume', Source: 'demo_data', Target: '/data', ReadOnly: false },
      { Type: 'tmpfs', Target: '/scratch' },
      { Type: 'bind', Source: `${WD}/pw.txt`, Target: '/run/secrets/pw', ReadOnly: true },
    ]);
    assert.equal(b.HostConfig!.NanoCpus, 5e8);
    assert.equal(b.HostConfig!.Memory, 64 * 1024 * 1024);
    assert.equal(b.HostConfig!.PidsLimit, 50);
    assert.deepEqual(b.HostConfig!.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.equal(b.HostConfig!.Init, true);
    assert.equal(b.StopSignal, 'SIGINT');
    assert.equal(b.StopTimeout, 90);
    assert.equal(b.Tty, true);
    // Scaling does not change the hash; a config change does.
    const hash = configHash(s, 'sha256:abc');
    assert.equal(configHash({ ...s, replicas: 5 }, 'sha256:abc'), hash);
    assert.notEqual(configHash(s, 'sha256:def'), hash); // the image is part of it (config changes: stacks-hash-v1.test.ts)
  });

  it('container_name allows one replica only', () => {
    const issues = issuesOf(() => load('services:\n  web:\n    image: busybox\n    container_name: fixed\n    deploy: {replicas: 2}\n'));
    assert.deepEqual([issues[0]!.line, issues[0]!.message], [4, 'service "web" sets container_name, so it cannot have 2 replicas']);
  });

  it('rejects bad project names and short-syntax mistakes', () => {
    assert.throws(() => loadProject({ name: 'Bad Name', files: [{ name: 'c.yml', content: 'services: {}' }], env: '', workingDir: WD }), /invalid project name/);
    const issues = issuesOf(() => load('services:\n  web:\n    image: busybox\n    ports: ["1:2:3:4"]\n    volumes: ["data:relative"]\n'));
    assert.deepEqual(issues.map((i) => i.line), [4, 5]);
  });
});
