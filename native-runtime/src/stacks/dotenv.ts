// The .env / env_file format as Compose reads it: KEY=VALUE lines, `export ` prefixes, # comments,
// single quotes taken literally, double quotes with \n escapes, and ${VAR} references to earlier keys.
import { interpolateString } from './interpolate.ts';

export interface DotenvError {
  line: number;
  message: string;
}

export function parseDotenv(text: string, lookup: (k: string) => string | undefined = () => undefined): { env: Record<string, string>; errors: DotenvError[] } {
  const env: Record<string, string> = {};
  const errors: DotenvError[] = [];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('export ')) line = line.slice(7).trimStart();
    const eq = line.indexOf('=');
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      errors.push({ line: i + 1, message: `invalid variable name ${JSON.stringify(key)}` });
      continue;
    }
    if (eq < 0) {
      // A bare name takes its value from the environment, if any (as Compose does).
      const v = lookup(key);
      if (v !== undefined) env[key] = v;
      continue;
    }
    let raw = line.slice(eq + 1).trimStart();
    const q = raw[0];
    if (q === "'" || q === '"') {
      // A quoted value may span lines until its closing quote.
      let body = raw.slice(1);
      let end = findClose(body, q);
      while (end < 0 && i + 1 < lines.length) {
        body += '\n' + lines[++i]!;
        end = findClose(body, q);
      }
      if (end < 0) {
        errors.push({ line: i + 1, message: `unterminated quoted value of ${key}` });
        continue;
      }
      const inner = body.slice(0, end);
      env[key] = q === "'" ? inner : expand(unescape(inner), env, lookup);
    } else {
      const hash = raw.search(/\s#/);
      if (hash >= 0) raw = raw.slice(0, hash);
      env[key] = expand(raw.trim(), env, lookup);
    }
  }
  return { env, errors };
}

function findClose(s: string, q: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && q === '"') i++;
    else if (s[i] === q) return i;
  }
  return -1;
}

function unescape(s: string): string {
  return s.replace(/\\([nrt"\\$])/g, (_m, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
}

function expand(s: string, env: Record<string, string>, lookup: (k: string) => string | undefined): string {
  const r = interpolateString(s, (k) => env[k] ?? lookup(k));
  return r.ok ? r.value : s;
}
