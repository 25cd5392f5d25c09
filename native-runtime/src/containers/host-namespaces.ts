// HostConfig.UTSMode / IpcMode "host" → the shim's namespaces.uts / .ipc: no new namespace (and with ipc,
// the host's /dev/shm), as dockerd does. Other modes keep Berth's private namespaces. With user
// namespaces dockerd refuses them, as the host's namespaces belong to the host's user namespace.
import { badParameter } from '../errors.js';

export function hostNamespaces(h: { UTSMode?: string; IpcMode?: string }, userns: boolean): { uts?: 'host'; ipc?: 'host' } {
  const uts = h.UTSMode === 'host';
  const ipc = h.IpcMode === 'host';
  if (userns && uts) throw badParameter("Cannot share the host's UTS namespace when user namespaces are enabled");
  if (userns && ipc) throw badParameter("Cannot share the host's IPC namespace when user namespaces are enabled");
  return { ...(uts ? { uts: 'host' as const } : {}), ...(ipc ? { ipc: 'host' as const } : {}) };
}
