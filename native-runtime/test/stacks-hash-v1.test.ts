// Berth's com.docker.compose.config-hash equals the one docker-compose 1.29 computes, checked against
// 1.29's own code (Debian's python3-compose, run on the same files): every key Berth's stacks support,
// short and long syntaxes, conversions (strings to numbers, booleans, durations, sizes) and names.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { pythonJson, PyFloat } from '../src/stacks/config-hash-v1.ts';
import { configHash } from '../src/stacks/labels.ts';
import { loadProject } from '../src/stacks/load.ts';

const ORACLE = path.join(import.meta.dirname, 'fixtures', 'compose-v1-hash.py');
const IMAGE = 'sha256:4b3c8a0c2a1d7c9b5f1e0d6a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c';
const OVERRIDE = 'docker-compose.override.yml'; // read by 1.29 after docker-compose.yml by itself
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-hash-v1-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The project in a folder of its own: Berth's hashes and docker-compose 1.29's, per service. */
function both(name: string, compose: string, files: Record<string, string> = {}): { berth: Record<string, string>; v1: Record<string, { hash: string; dict: unknown }> } {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'docker-compose.yml'), compose);
  for (const [f, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), content);
  }
  const project = loadProject({
    name,
    files: [{ name: 'docker-compose.yml', content: compose }, ...(files[OVERRIDE] !== undefined ? [{ name: OVERRIDE, content: files[OVERRIDE] }] : [])],
    env: files['.env'] ?? '',
    workingDir: dir,
    readFile: (p) => (fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : null),
  });
  const berth = Object.fromEntries(Object.values(project.services).map((s) => [s.name, configHash(s, IMAGE)]));
  const v1 = JSON.parse(execFileSync('/usr/bin/python3', [ORACLE, dir, name, IMAGE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  return { berth, v1 };
}

function assertSame(r: ReturnType<typeof both>): void {
  assert.deepEqual(Object.keys(r.berth).sort(), Object.keys(r.v1).sort());
  for (const [svc, h] of Object.entries(r.berth)) assert.equal(h, r.v1[svc]!.hash, `service ${svc}: 1.29 hashed ${JSON.stringify(r.v1[svc]!.dict)}`);
}

const MANY = `services:
  web:
    image: busybox
    command: sh -c "echo hi; sleep 1000"
    environment:
      A: 1
      B: "two"
      C:
      FROM_DOTENV:
      TAG: \${TAG:-latest}
    env_file: ./web.env
    ports:
      - "8080:80"
      - "127.0.0.1:9090:90/udp"
      - "3000-3001:3000-3001"
      - "5000"
      - target: 81
        published: "8081"
        protocol: tcp
    expose: [7000, "7001/udp"]
    volumes:
      - data:/data
      - ./html:/html:ro
      - /anon
      - type: tmpfs
        target: /tmp/t
        tmpfs:
          size: 1m
      - type: volume
        source: data
        target: /d2
        read_only: "true"
        volume: {nocopy: true}
      - type: bind
        source: ./html/../html
        target: /b
        bind: {propagation: rprivate}
    networks:
      front:
        aliases: [w1, w2]
      default:
    depends_on:
      - db
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      timeout: 1m30s
      start_period: 500ms
      retries: "3"
    restart: unless-stopped
    labels:
      x.y: z
      n: 1
    mem_limit: 64m
    cpus: "0.5"
    pids_limit: 100
    user: "1000"
    working_dir: /w
    hostname: h
    domainname: d.example
    tmpfs: /run
    stop_grace_period: 2s
    stop_signal: SIGINT
    init: true
    tty: "yes"
    stdin_open: true
    cap_add: [NET_ADMIN]
    cap_drop: [MKNOD]
    dns: 192.0.2.53
    dns_search: [example.com]
    extra_hosts: ["a:192.0.2.4"]
    sysctls: [net.core.somaxconn=1024]
    security_opt: [no-new-privileges:true]
    group_add: [wheel]
    ulimits:
      nofile: {soft: 10, hard: "20"}
      nproc: 65535
    logging: {driver: json-file, options: {max-size: 1m}}
    shm_size: 64m
    cpu_shares: 512
    mem_reservation: 16m
    privileged: false
    read_only: false
  db:
    image: busybox
    entrypoint: ["/bin/sh", "-c"]
    command: ["sleep 1000"]
    container_name: the-db
    deploy:
      replicas: 1
      restart_policy: {condition: on-failure, max_attempts: 2}
      resources:
        limits:
          cpus: "0.25"
          memory: 32M
        reservations:
          memory: 8M
    depends_on:
      side:
        condition: service_healthy
    secrets:
      - s1
      - source: s2
        target: /x
    environment: [E1=x, "E2=\${V:-dflt}", E3]
    networks: [back]
  side:
    image: busybox
    healthcheck:
      disable: true
    network_mode: host
    scale: 2
    pull_policy: always
networks:
  front: {}
  back: {name: custom-back}
volumes:
  data: {}
secrets:
  s1:
    file: ./s1.txt
  s2:
    file: ./s2.txt
`;

describe("docker-compose 1.29's config hash", () => {
  it('equals 1.29 for every supported key, in short and long syntax', () => {
    const files = { 'web.env': 'E=from-file\nB=overridden\n', '.env': 'V=fromdotenv\nE3=e3\nFROM_DOTENV=d\n', 's1.txt': 's', 's2.txt': 't', 'html/index.html': 'x' };
    assertSame(both('many', MANY, files));
  });

  it('changes with an environment value for both, and not with the replica count', () => {
    const files = { 'web.env': 'E=from-file\n', 's1.txt': 's', 's2.txt': 't' };
    const a = both('envone', MANY, files);
    const b = both('envtwo', MANY.replace('B: "two"', 'B: "three"'), files);
    assertSame(b);
    const c = both('envone', MANY.replace('B: "two"', 'B: "three"'), files);
    assert.notEqual(c.berth['web'], a.berth['web']);
    assert.notEqual(c.v1['web']!.hash, a.v1['web']!.hash);
    assert.equal(c.berth['db'], a.berth['db']);
    const d = both('envone', MANY.replace('scale: 2', 'scale: 5'), files);
    assert.equal(d.berth['side'], a.berth['side']);
    assert.equal(d.v1['side']!.hash, a.v1['side']!.hash);
  });

  it('a build service, a bare-number port and numbers as strings', () => {
    const yaml = 'version: "3.8"\nservices:\n  app:\n    build:\n      context: ./ctx\n      args: [X=1, Y, Z]\n      target: t\n      labels: {a: b}\n    ports: [80, "127.0.0.1::81"]\n    restart: on-failure:3\n    cpus: 1\n    environment: {PI: 3.25, N: 7}\n    devices: ["/dev/null:/dev/xnull:rwm"]\n';
    assertSame(both('built', yaml, { 'ctx/Dockerfile': 'FROM busybox\n', '.env': 'Z=zz\n' }));
  });
});

describe('files merged as 1.29 merges them', () => {
  it('equals 1.29 for a project with an override file', () => {
    const override = `services:
  web:
    environment: [B=from-override, NEW=1]
    ports: ["7070:70", "8080:80"]
    volumes: [./other:/html, /zzz, data:/a-first]
    expose: [9000]
    cap_add: [SYS_TIME, NET_ADMIN]
    dns: 192.0.2.54
    labels: [extra=yes]
    networks:
      front:
        aliases: [w0]
    healthcheck:
      interval: 2s
    logging: {options: {max-file: "2"}}
    tmpfs: [/run2]
    ulimits:
      nproc: 1024
    depends_on: [side]
    security_opt: [label=disable]
  db:
    secrets: [s2, {source: s1, target: /s1}]
    deploy:
      resources:
        limits: {memory: 48M}
    pull_policy: always
  side:
    network_mode: none
    command: echo merged
  extra:
    image: busybox
    build: ./ctx
`;
    const files = { 'web.env': 'E=from-file\n', 's1.txt': 's', 's2.txt': 't', 'ctx/Dockerfile': 'FROM busybox\n', [OVERRIDE]: override };
    assertSame(both('override', MANY, files));
  });

  it('equals 1.29 for extends within the file, over an override file too', () => {
    const base = `services:
  common:
    image: busybox
    environment: [A=1, B=2]
    ports: ["9000:90"]
    volumes: [./x:/x]
    labels: {tier: base}
    healthcheck: {test: ["CMD", "true"], interval: 5s}
  app:
    extends: common
    environment: {B: 3}
    ports: ["8000:80"]
    cap_add: [NET_ADMIN]
  deeper:
    extends: {service: app}
    command: ["sleep", "1"]
    healthcheck: {timeout: 2s}
`;
    const override = 'services:\n  app:\n    labels: [tier=app]\n    volumes: [./y:/x]\n  deeper:\n    environment: [C=4]\n';
    assertSame(both('extends', base, { [OVERRIDE]: override }));
  });
});

describe('merged and extended services, and what 1.29 cannot read (!reset: Berth hashes its own merged form)', () => {
  const base = 'services:\n  web:\n    image: busybox\n    environment: [A=1]\n  more:\n    extends: web\n    command: ["true"]\n';
  const hashes = (override: string) => {
    const p = loadProject({ name: 'merged', files: [{ name: 'compose.yaml', content: base }, { name: 'compose.override.yaml', content: override }], env: '', workingDir: tmp });
    return { web: configHash(p.services['web']!, IMAGE), more: configHash(p.services['more']!, IMAGE) };
  };
  it('get a stable hash that changes when the service does (Berth still converges them)', () => {
    const a = hashes('services:\n  web:\n    environment: [B=2]\n');
    assert.deepEqual(hashes('services:\n  web:\n    environment: [B=2]\n'), a);
    const b = hashes('services:\n  web:\n    environment: [B=3]\n');
    assert.notEqual(b.web, a.web);
    assert.equal(b.more, a.more);
    assert.notEqual(hashes('services:\n  more:\n    command: ["false"]\n').more, a.more);
    const reset = hashes('services:\n  web:\n    environment: !reset []\n');
    assert.deepEqual(hashes('services:\n  web:\n    environment: !reset []\n'), reset);
    assert.notEqual(reset.web, a.web);
    assert.notEqual(hashes('services:\n  web:\n    environment: !reset []\n    user: "1"\n').web, reset.web);
  });
});

describe('pythonJson', () => {
  it("writes what Python's json.dumps(sort_keys, separators) writes", () => {
    assert.equal(pythonJson({ b: [1, new PyFloat(1), 0.5, new PyFloat(1e-7), new PyFloat(1e16), null, true], a: 'é\u007f"\n' }), '{"a":"\\u00e9\\u007f\\"\\n","b":[1,1.0,0.5,1e-07,1e+16,null,true]}');
  });
});
