// The search language: words (substrings, case-insensitive), "quoted phrases", -negations and field
// filters on JSON lines (`level=error`, `status>=500`, `user.id!=7`). A field filter with `=` also matches
// the text `field=value` in a logfmt line. Everything becomes one parameterised WHERE clause.
import { compileLinear, requiredLiterals } from './regex.ts';

export type Term =
  | { kind: 'word'; text: string; negate: boolean }
  | { kind: 'field'; field: string; op: '=' | '!=' | '>' | '>=' | '<' | '<='; value: string };

const FIELD = /^([A-Za-z_@][\w@.-]{0,63})(>=|<=|!=|=|>|<)(.*)$/;

export function parseQuery(q: string): { ok: true; terms: Term[] } | { ok: false; error: string } {
  const terms: Term[] = [];
  const re = /(-?)"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(q)) !== null) {
    if (m[2] !== undefined) {
      const text = m[2].replace(/\\(.)/g, '$1');
      if (text) terms.push({ kind: 'word', text, negate: m[1] === '-' });
      continue;
    }
    const tok = m[3]!;
    const f = FIELD.exec(tok);
    if (f) {
      let value = f[3]!;
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
      const op = f[2] as Extract<Term, { kind: 'field' }>['op'];
      if (op !== '=' && op !== '!=' && !Number.isFinite(Number(value))) return { ok: false, error: `"${tok}": ${op} needs a number` };
      terms.push({ kind: 'field', field: f[1]!, op, value });
      continue;
    }
    if (tok.startsWith('-') && tok.length > 1) terms.push({ kind: 'word', text: tok.slice(1), negate: true });
    else terms.push({ kind: 'word', text: tok, negate: false });
  }
  return { ok: true, terms };
}

export interface Where {
  /** FTS5 MATCH expression when the index can drive the search, else null (time-ordered scan). */
  match: string | null;
  sql: string[];
  params: unknown[];
  /** Regex to test per candidate row (SQLite function regexp). */
  regex: string | null;
}

const ftsPhrase = (s: string) => `"${s.replace(/"/g, '""')}"`;
const likeArg = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
const jsonPath = (field: string) => `$.${field.split('.').map((p) => `"${p.replace(/"/g, '')}"`).join('.')}`;

/** Builds the conditions on `l` (lines) for a query; a regex query takes the whole text as the pattern. */
export function buildWhere(query: string, regex: boolean): { ok: true; where: Where } | { ok: false; error: string } {
  const where: Where = { match: null, sql: [], params: [], regex: null };
  const matches: string[] = [];
  if (regex) {
    const c = compileLinear(query);
    if (!c.ok) return c;
    where.regex = query;
    for (const lit of requiredLiterals(query)) matches.push(ftsPhrase(lit));
    where.sql.push('regexp(?, l.line)');
    where.params.push(query);
  } else {
    const parsed = parseQuery(query);
    if (!parsed.ok) return parsed;
    for (const t of parsed.terms) {
      if (t.kind === 'word') {
        if (!t.negate && t.text.length >= 3) matches.push(ftsPhrase(t.text));
        else {
          where.sql.push(`${t.negate ? 'NOT ' : ''}(l.line LIKE ? ESCAPE '\\')`);
          where.params.push(likeArg(t.text));
        }
        continue;
      }
      const value = `CASE WHEN json_valid(l.line) THEN l.line ->> ? END`;
      const p = jsonPath(t.field);
      if (t.op === '=' || t.op === '!=') {
        const eq = `lower(CAST(${value} AS TEXT)) = lower(?)`;
        if (t.op === '=') {
          where.sql.push(`(${eq} OR (NOT json_valid(l.line) AND l.line LIKE ? ESCAPE '\\'))`);
          where.params.push(p, t.value, likeArg(`${t.field}=${t.value}`));
        } else {
          where.sql.push(`NOT coalesce(${eq}, 0)`);
          where.params.push(p, t.value);
        }
      } else {
        where.sql.push(`CAST((${value}) AS REAL) ${t.op} ? AND (${value}) IS NOT NULL`);
        where.params.push(p, Number(t.value), p);
      }
    }
  }
  if (matches.length) where.match = matches.join(' AND ');
  return { ok: true, where };
}
