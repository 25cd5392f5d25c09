// Regex search and log alert patterns run on V8's linear-time engine (the `l` flag, the same automaton
// approach as RE2): a pattern it cannot run in linear time (backreferences, lookaround, huge counted
// repeats) is refused with a clear message instead of being allowed to backtrack. No native dependency
// to build, and the whole JS syntax it accepts is RE2's subset. See docs/logs.md.
import v8 from 'node:v8';

v8.setFlagsFromString('--enable-experimental-regexp-engine');

export const MAX_PATTERN = 512;

export type Compiled = { ok: true; re: RegExp } | { ok: false; error: string };

export function compileLinear(pattern: string): Compiled {
  if (pattern.length === 0) return { ok: false, error: 'empty regular expression' };
  if (pattern.length > MAX_PATTERN) return { ok: false, error: `regular expression longer than ${MAX_PATTERN} characters` };
  try {
    return { ok: true, re: new RegExp(pattern, 'l') };
  } catch (e) {
    const msg = (e as Error).message;
    if (/linear time/.test(msg)) {
      return { ok: false, error: 'regular expression refused: it needs backtracking (backreferences, lookaround or large counted repeats); rewrite it without them' };
    }
    return { ok: false, error: msg.replace(/^Invalid regular expression: /, 'invalid regular expression: ') };
  }
}

/**
 * Literal runs (3+ characters) that every match must contain, for the trigram prefilter. Conservative:
 * any alternation at the top level, or anything it does not understand, yields none.
 */
export function requiredLiterals(pattern: string): string[] {
  const out: string[] = [];
  let run = '';
  let depth = 0;
  const flush = () => {
    if (run.length >= 3) out.push(run);
    run = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '|' && depth === 0) return [];
    if (ch === '(') {
      depth++;
      flush();
      continue;
    }
    if (ch === ')') {
      depth--;
      flush();
      // A quantified group may be skipped entirely.
      continue;
    }
    if (depth > 0) continue;
    const next = pattern[i + 1];
    const quantified = next === '*' || next === '?' || next === '{';
    if (ch === '\\') {
      const esc = pattern[i + 1];
      i++;
      if (esc && /[.*+?^${}()|[\]\\/-]/.test(esc) && !/[*?{]/.test(pattern[i + 1] ?? '')) run += esc;
      else flush();
      continue;
    }
    if (/[.*+?^${}[\]]/.test(ch)) {
      if (ch === '[') {
        const close = pattern.indexOf(']', i + 2);
        if (close < 0) return [];
        i = close;
      }
      flush();
      continue;
    }
    if (quantified) {
      flush();
      continue;
    }
    run += ch;
  }
  flush();
  return out;
}
