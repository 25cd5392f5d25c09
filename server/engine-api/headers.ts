// The version and the headers dockerd puts on every response (a leaf: errors.ts and http.ts both use it).
export const API_VERSION = '1.41';
export const MIN_API_VERSION = '1.24';
export const SERVER_HEADER = 'Berth/0.1.0 (linux)';

/** Sent on every response, as dockerd does (see the fixtures' *.headers.txt). */
export function engineHeaders(): Record<string, string> {
  return { 'Api-Version': API_VERSION, 'Docker-Experimental': 'false', Ostype: 'linux', Server: SERVER_HEADER };
}
