// X-Registry-Auth (pull, push): base64url-encoded JSON AuthConfig. As dockerd does, a header that does
// not decode is treated as "no credentials" rather than an error, so anonymous pulls keep working.
import { z } from 'zod';
import type { AuthConfig } from '@berth/runtime/engine';

const AuthConfigSchema = z.looseObject({
  username: z.string().optional(),
  password: z.string().optional(),
  auth: z.string().optional(),
  serveraddress: z.string().optional(),
  identitytoken: z.string().optional(),
  registrytoken: z.string().optional(),
  email: z.string().optional(),
});

export function decodeRegistryAuth(header: string | string[] | undefined): AuthConfig | undefined {
  const raw = Array.isArray(header) ? header[0] : header;
  if (!raw) return undefined;
  try {
    // base64url and standard base64 both decode here; padding is optional.
    const json = Buffer.from(raw.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    const r = AuthConfigSchema.safeParse(JSON.parse(json));
    if (!r.success) return undefined;
    const { username, password, auth, serveraddress, identitytoken } = r.data;
    const out: AuthConfig = {};
    if (username) out.username = username;
    if (password) out.password = password;
    if (auth) out.auth = auth;
    if (serveraddress) out.serveraddress = serveraddress;
    if (identitytoken) out.identitytoken = identitytoken;
    return Object.keys(out).length ? out : undefined;
  } catch {
    return undefined;
  }
}

/** For tests and clients: what the docker CLI sends. */
export function encodeRegistryAuth(auth: AuthConfig): string {
  return Buffer.from(JSON.stringify(auth)).toString('base64url');
}
