// Compose variable interpolation: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error},
// ${VAR?error}, ${VAR:+alt}, ${VAR+alt}, and $$ for a literal $. Defaults may nest (${A:-${B}}).
// Applied to every string value of a parsed file (keys are left alone, as Compose does).

export type Lookup = (name: string) => string | undefined;

export type InterpolateResult = { ok: true; value: string } | { ok: false; error: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export function interpolateString(s: string, lookup: Lookup): InterpolateResult {
  if (!s.includes('$')) return { ok: true, value: s };
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const end = closingBrace(s, i + 2);
      if (end < 0) return { ok: false, error: `invalid interpolation format for ${JSON.stringify(s)}: missing closing brace` };
      const r = substitute(s.slice(i + 2, end), lookup, s);
      if (!r.ok) return r;
      out += r.value;
      i = end + 1;
      continue;
    }
    const m = NAME.exec(s.slice(i + 1));
    if (m) {
      out += lookup(m[0]) ?? '';
      i += 1 + m[0].length;
      continue;
    }
    // A lone $ (before a space, say) stays as it is.
    out += '$';
    i++;
  }
  return { ok: true, value: out };
}

function closingBrace(s: string, from: number): number {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '$') {
      i++;
    } else if (s[i] === '$' && s[i + 1] === '{') {
      depth++;
      i++;
    } else if (s[i] === '}') {
      if (--depth === 0) return i;
    }
  }
  return -1;
}

function substitute(expr: string, lookup: Lookup, whole: string): InterpolateResult {
  const m = NAME.exec(expr);
  if (!m) return { ok: false, error: `invalid interpolation format for ${JSON.stringify(whole)}: ${JSON.stringify('${' + expr + '}')} is not a variable name` };
  const name = m[0];
  const rest = expr.slice(name.length);
  const value = lookup(name);
  if (rest === '') return { ok: true, value: value ?? '' };
  const op = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest);
  if (!op) return { ok: false, error: `invalid interpolation format for ${JSON.stringify(whole)}: unexpected ${JSON.stringify(rest)} after ${name}` };
  const arg = rest.slice(op[0].length);
  const colon = op[0].startsWith(':');
  const unset = colon ? value === undefined || value === '' : value === undefined;
  const argValue = () => interpolateString(arg, lookup);
  switch (op[0].replace(':', '')) {
    case '-':
      return unset ? argValue() : { ok: true, value: value! };
    case '+':
      return unset ? { ok: true, value: '' } : argValue();
    default: {
      if (!unset) return { ok: true, value: value! };
      const msg = argValue();
      return { ok: false, error: `required variable ${name} is missing a value${msg.ok && msg.value ? `: ${msg.value}` : ''}` };
    }
  }
}

/** Interpolates every string in a parsed YAML value; errors carry the path of the failing value. */
export function interpolateTree(value: unknown, lookup: Lookup, path: (string | number)[] = [], errors: { path: (string | number)[]; error: string }[] = []): unknown {
  if (typeof value === 'string') {
    const r = interpolateString(value, lookup);
    if (r.ok) return r.value;
    errors.push({ path, error: r.error });
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateTree(v, lookup, [...path, i], errors));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateTree(v, lookup, [...path, k], errors);
    return out;
  }
  return value;
}
