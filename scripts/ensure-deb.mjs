// Makes sure Debian packages a command needs are present. As root it installs them;
// otherwise it stops with a message naming the package. It never skips silently.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** package → a file that proves it is installed */
const PROBES = {
  chromium: '/usr/bin/chromium',
  'busybox-static': '/bin/busybox',
  'docker-registry': '/usr/bin/docker-registry',
  skopeo: '/usr/bin/skopeo',
  debootstrap: '/usr/sbin/debootstrap',
  'docker.io': '/usr/sbin/dockerd',
  openssl: '/usr/bin/openssl',
  iproute2: '/usr/sbin/ip',
  bzip2: '/usr/bin/bzip2',
  'xz-utils': '/usr/bin/xz',
  'docker-compose': '/usr/bin/docker-compose',
  'btrfs-progs': '/usr/bin/btrfs',
  xfsprogs: '/usr/sbin/mkfs.xfs',
  'bind9-dnsutils': '/usr/bin/dig',
};

const wanted = process.argv.slice(2);
const missing = wanted.filter((pkg) => {
  const probe = PROBES[pkg];
  if (!probe) throw new Error(`ensure-deb: no probe known for ${pkg}`);
  return !fs.existsSync(probe);
});
if (missing.length === 0) process.exit(0);

if (process.getuid?.() !== 0) {
  console.error(`Missing Debian package(s): ${missing.join(', ')}. Install them as root: apt-get install -y ${missing.join(' ')}`);
  process.exit(1);
}
console.log(`Installing Debian package(s): ${missing.join(', ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const run = (args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
if (!run(['install', '-y', '--no-install-recommends', ...missing])) {
  // A fresh machine has no package lists yet.
  if (!run(['update']) || !run(['install', '-y', '--no-install-recommends', ...missing])) {
    console.error(`apt-get could not install: ${missing.join(', ')}`);
    process.exit(1);
  }
}
const still = missing.filter((pkg) => !fs.existsSync(PROBES[pkg]));
if (still.length) {
  console.error(`Installed, but still missing: ${still.join(', ')}`);
  process.exit(1);
}
