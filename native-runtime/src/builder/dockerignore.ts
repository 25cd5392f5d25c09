// .dockerignore with Docker's semantics (moby/patternmatcher + ignorefile): filepath.Match-style
// `*`, `?` and `[...]` within one path component, `**` for any number of components, leading `/`
// ignored, `!` exceptions applied in order (the last matching pattern wins), a pattern that matches a
// directory excludes everything below it, and comments (`#` at the start of a line) and blank lines
// skipped. The Dockerfile and .dockerignore themselves are always sent.
import path from 'node:path';

/** Go's filepath.Clean for slash paths. */
function clean(p: string): string {
  if (p === '') return '.';
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** ignorefile.ReadAll: the patterns of a .dockerignore file. */
export function readDockerignore(text: string | Buffer): string[] {
  let s = typeof text === 'string' ? text : text.toString('utf8');
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  const out: string[] = [];
  for (const raw of s.split(/\r?\n/)) {
    if (raw.startsWith('#')) continue;
    let p = raw.trim();
    if (p === '') continue;
    const invert = p[0] === '!';
    if (invert) p = p.slice(1).trim();
    if (p.length > 0) {
      p = clean(p);
      if (p.length > 1 && p[0] === '/') p = p.slice(1);
    }
    out.push(invert ? '!' + p : p);
  }
  return out;
}

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

export class Pattern {
  readonly exclusion: boolean;
  readonly cleaned: string;
  readonly dirs: string[];
  private type: MatchType = 'exact';
  private re: RegExp | null = null;

  constructor(cleaned: string, exclusion: boolean) {
    this.cleaned = cleaned;
    this.exclusion = exclusion;
    this.dirs = cleaned.split('/');
    this.compile();
  }

  toString(): string {
    return this.cleaned;
  }

  private compile(): void {
    let reStr = '^';
    let type: MatchType = 'exact';
    const cs = Array.from(this.cleaned);
    for (let i = 0, k = 0; k < cs.length; i++) {
      const ch = cs[k++]!;
      if (ch === '*') {
        if (cs[k] === '*') {
          k++;
          if (cs[k] === '/') k++;
          if (k >= cs.length) {
            if (type === 'exact') type = 'prefix';
            else {
              reStr += '.*';
              type = 'regexp';
            }
          } else {
            reStr += '(.*/)?';
            type = 'regexp';
          }
          if (i === 0) type = 'suffix';
        } else {
          reStr += '[^/]*';
          type = 'regexp';
        }
      } else if (ch === '?') {
        reStr += '[^/]';
        type = 'regexp';
      } else if ('.+()|{}$'.includes(ch)) {
        reStr += '\\' + ch;
      } else if (ch === '\\') {
        if (k < cs.length) {
          reStr += '\\' + cs[k++]!;
          type = 'regexp';
        } else reStr += '\\\\';
      } else if (ch === '[' || ch === ']') {
        reStr += ch;
        type = 'regexp';
      } else {
        reStr += ch;
      }
    }
    if (type === 'regexp') {
      try {
        this.re = new RegExp(reStr + '$', 's');
      } catch {
        throw new Error(`syntax error in pattern: ${this.cleaned}`);
      }
    }
    this.type = type;
  }

  match(p: string): boolean {
    switch (this.type) {
      case 'exact':
        return p === this.cleaned;
      case 'prefix':
        return p.startsWith(this.cleaned.slice(0, -2));
      case 'suffix': {
        const suffix = this.cleaned.slice(2);
        if (p.endsWith(suffix)) return true;
        return suffix[0] === '/' && p === suffix.slice(1);
      }
      case 'regexp':
        return this.re!.test(p);
    }
  }
}

/** Per-pattern "a parent directory matched" flags, carried down a tree walk. */
export type MatchInfo = boolean[];

export class PatternMatcher {
  readonly patterns: Pattern[] = [];
  readonly exclusions: boolean = false;

  constructor(patterns: readonly string[]) {
    let excl = false;
    for (let p of patterns) {
      p = p.trim();
      if (p === '') continue;
      p = clean(p);
      let exclusion = false;
      if (p[0] === '!') {
        if (p.length === 1) throw new Error('illegal exclusion pattern: "!"');
        exclusion = true;
        p = p.slice(1);
        excl = true;
      }
      // leading "/" means the context root, as in .dockerignore files
      if (p.length > 1 && p[0] === '/') p = clean(p.slice(1));
      this.patterns.push(new Pattern(p, exclusion));
    }
    this.exclusions = excl;
  }

  /** Whether `file` (slash path relative to the context) or one of its parent directories is excluded. */
  matchesOrParentMatches(file: string): boolean {
    file = clean(file);
    if (file === '.') return false;
    let matched = false;
    const parent = path.posix.dirname(file);
    const parentDirs = parent.split('/');
    for (const pat of this.patterns) {
      if (pat.exclusion !== matched) continue;
      let m = pat.match(file);
      if (!m && parent !== '.') {
        for (let i = 0; i < parentDirs.length && !m; i++) m = pat.match(parentDirs.slice(0, i + 1).join('/'));
      }
      if (m) matched = !pat.exclusion;
    }
    return matched;
  }

  /** MatchesUsingParentResults, for a top-down walk: pass the parent's info (or none at the root). */
  matchesUsingParentResults(file: string, parentInfo?: MatchInfo): { matched: boolean; info: MatchInfo } {
    const info: MatchInfo = new Array(this.patterns.length).fill(false);
    let matched = false;
    this.patterns.forEach((pat, i) => {
      let m = parentInfo ? parentInfo[i]! : false;
      if (!m) {
        if (pat.exclusion !== matched) return;
        m = pat.match(file);
        if (!m && !parentInfo) {
          const parent = path.posix.dirname(file);
          if (parent !== '.') {
            const dirs = parent.split('/');
            for (let j = 0; j < dirs.length && !m; j++) m = pat.match(dirs.slice(0, j + 1).join('/'));
          }
        }
      }
      info[i] = m;
      if (m) matched = !pat.exclusion;
    });
    return { matched, info };
  }

  /** For an excluded directory: whether an exception pattern may re-include something below it. */
  mayIncludeBelow(dir: string): boolean {
    if (!this.exclusions) return false;
    const dirSlash = dir + '/';
    return this.patterns.some((p) => p.exclusion && (p.cleaned + '/').startsWith(dirSlash));
  }
}

/** Files always sent regardless of .dockerignore. */
export function alwaysIncluded(dockerfile = 'Dockerfile'): string[] {
  return ['.dockerignore', clean(dockerfile.replace(/^\/+/, ''))];
}

/**
 * Whether `file` is excluded by `patterns` (convenience for one-off checks). The Dockerfile and
 * .dockerignore are never excluded.
 */
export function isExcluded(file: string, patterns: readonly string[] | PatternMatcher, dockerfile = 'Dockerfile'): boolean {
  const pm = patterns instanceof PatternMatcher ? patterns : new PatternMatcher(patterns);
  const c = clean(file.replace(/^\/+/, ''));
  if (alwaysIncluded(dockerfile).includes(c)) return false;
  return pm.matchesOrParentMatches(c);
}
