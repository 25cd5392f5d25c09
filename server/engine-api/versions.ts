// API versions: /v1.xx/ prefixes, compared numerically, within [MIN_API_VERSION, API_VERSION].
import { ApiError } from './errors.ts';
import { API_VERSION, MIN_API_VERSION } from './http.ts';

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Splits '/v1.41/containers/json' into the version and the path; no prefix = the server's version. */
export function splitVersion(pathname: string): { version: string; path: string; explicit: boolean } {
  const m = /^\/v([0-9][0-9.]*)(\/.*)?$/.exec(pathname);
  if (!m) return { version: API_VERSION, path: pathname, explicit: false };
  return { version: m[1]!, path: m[2] ?? '/', explicit: true };
}

/** dockerd's version middleware, with its wording. */
export function checkVersion(version: string): void {
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    throw new ApiError(400, `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  if (compareVersions(version, API_VERSION) > 0) {
    throw new ApiError(400, `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
  }
}
