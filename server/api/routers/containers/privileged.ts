// --privileged hands a container every capability, the host's devices and a writable /sys: in the
// dashboard only an admin may create one (operators may create every other kind).
import { TRPCError } from '@trpc/server';
import { hasRole } from '../../../auth/roles.ts';

export function assertMayCreatePrivileged(role: string, privileged: boolean): void {
  if (privileged && !hasRole(role, 'admin')) {
    throw new TRPCError({ code: 'FORBIDDEN', message: `A privileged container needs the admin role; you are ${role}.` });
  }
}

/** --device hands the container host device nodes (and opens them in the devices cgroup): admins only, as privileged. */
export function assertMayAddDevices(role: string, devices: readonly string[]): void {
  if (devices.length && !hasRole(role, 'admin')) {
    throw new TRPCError({ code: 'FORBIDDEN', message: `Host devices (--device) need the admin role; you are ${role}.` });
  }
}
