// The process an exec runs: the container's environment, user, capabilities and rlimits, with the
// exec's own Env/User/WorkingDir on top (moby daemon/exec.go + oci exec spec).
import { promises as fsp } from 'node:fs';
import { resolveCapabilities } from '../containers/capabilities.js';
import { mergeEnv } from '../containers/config-merge.js';
import type { ProcessSpec } from '../containers/process-spec.js';
import type { ContainerRecord } from '../containers/record.js';
import { DEFAULT_PATH } from '../containers/spec.js';
import { resolveUlimits } from '../containers/ulimits.js';
import { resolveUser } from '../containers/user.js';
import { securitySettings } from '../containers/security-opt.js';
import type { ExecCreateOptions } from '../engine/types.js';

/** An exec's process: the shape the shim runs for a container's init too (containers/process-spec.ts). */
export type ExecProcess = ProcessSpec;

const readOrNull = (p: string): Promise<string | null> => fsp.readFile(p, 'utf8').catch(() => null);

/** The user database is read live from the running container's root, as dockerd does. */
export async function execProcess(rec: ContainerRecord, o: ExecCreateOptions): Promise<ExecProcess> {
  const c = rec.cfg.config;
  const h = rec.cfg.hostConfig;
  const root = `/proc/${rec.state.pid}/root`;
  const user = resolveUser(o.User || c.User || '', await readOrNull(`${root}/etc/passwd`), await readOrNull(`${root}/etc/group`), h.GroupAdd ?? []);
  let env = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${c.Hostname}`];
  if (o.Tty) env.push('TERM=xterm');
  env = mergeEnv(mergeEnv(env, c.Env ?? []), o.Env ?? []);
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${user.home}`);
  return {
    args: o.Cmd,
    env,
    cwd: o.WorkingDir || c.WorkingDir || '/',
    uid: user.uid,
    gid: user.gid,
    additionalGids: user.additionalGids,
    terminal: !!o.Tty,
    openStdin: !!o.AttachStdin,
    // Docker's exec: closing the client's stdin is EOF for the process.
    stdinOnce: !!o.AttachStdin,
    // The container's own settings: a privileged container's execs are privileged too.
    noNewPrivileges: securitySettings(h.SecurityOpt, h.Privileged).noNewPrivileges,
    // `exec --privileged`: every capability the engine holds, as the container's own Privileged would.
    capabilities: resolveCapabilities(o.Privileged ? { Privileged: true } : h).caps,
    rlimits: resolveUlimits(h.Ulimits),
  };
}
