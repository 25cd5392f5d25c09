// Which user namespace a container gets (issue #19): the engine default (`userns` / BERTH_USERNS) and
// HostConfig.UsernsMode per container. dockerd knows only "" and "host" (userns-remap is daemon-wide);
// Podman adds "auto" and "private". Berth takes all of them.
import { z } from 'zod';
import { badParameter } from '../errors.js';

export const UsernsModeSchema = z.enum(['host', 'remap', 'auto']);
export type UsernsMode = z.infer<typeof UsernsModeSchema>;

/** BERTH_USERNS (or an explicit option); unset or empty means host, anything else unknown is an error. */
export function parseEngineMode(value: string | undefined): UsernsMode {
  if (value === undefined || value === '') return 'host';
  const r = UsernsModeSchema.safeParse(value.trim().toLowerCase());
  if (!r.success) throw new Error(`BERTH_USERNS must be host, remap or auto (got "${value}")`);
  return r.data;
}

/**
 * The mode a container runs in. "" follows the engine; "host" opts out; "auto" asks for its own range;
 * "private" (and "remap") ask for a namespace: the engine's kind when it has one, else "auto".
 * Privileged containers cannot run in one, as with dockerd ("privileged mode is incompatible with user
 * namespaces. You must run the container in the host namespace when running privileged mode").
 */
export function containerMode(engine: UsernsMode, requested: string | undefined, privileged: boolean | undefined): UsernsMode {
  const r = (requested ?? '').trim();
  let mode: UsernsMode;
  if (r === '') mode = privileged ? 'host' : engine;
  else if (r === 'host') mode = 'host';
  else if (r === 'auto') mode = 'auto';
  else if (r === 'private' || r === 'remap') mode = engine === 'host' ? (r === 'remap' ? 'remap' : 'auto') : r === 'remap' ? 'remap' : engine;
  else throw badParameter(`invalid user namespace mode: "${r}" (use host, auto, private or remap)`);
  if (mode !== 'host' && privileged) {
    throw badParameter('privileged mode is incompatible with user namespaces. You must run the container in the host namespace when running privileged mode');
  }
  return mode;
}
