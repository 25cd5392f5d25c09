// Builder flags (`--from=x`, `--link`) with the rules and messages of BuildKit's BFlags.

type FlagType = 'bool' | 'string' | 'strings';

export class FlagError extends Error {}

export interface Flag {
  name: string;
  type: FlagType;
  value: string;
  values: string[];
  used: boolean;
}

export class BFlags {
  private readonly flags = new Map<string, Flag>();
  readonly used: string[] = [];

  constructor(private readonly args: readonly string[]) {}

  addBool(name: string, def = false): Flag {
    return this.add(name, 'bool', def ? 'true' : 'false');
  }
  addString(name: string, def = ''): Flag {
    return this.add(name, 'string', def);
  }
  addStrings(name: string): Flag {
    return this.add(name, 'strings', '');
  }

  private add(name: string, type: FlagType, value: string): Flag {
    const f: Flag = { name, type, value, values: [], used: false };
    this.flags.set(name, f);
    return f;
  }

  parse(): void {
    for (const a of this.args) {
      if (a === '--') return;
      if (!a.startsWith('--')) throw new FlagError(`arg should start with -- : ${a}`);
      const eq = a.indexOf('=');
      const flagName = eq < 0 ? a : a.slice(0, eq);
      const hasValue = eq >= 0;
      const value = hasValue ? a.slice(eq + 1) : '';
      const name = flagName.slice(2);
      const f = this.flags.get(name);
      if (!f) throw new FlagError(withSuggestion(`unknown flag: ${flagName}`, name, [...this.flags.keys()], true));
      if (f.used && f.type !== 'strings') throw new FlagError(`duplicate flag specified: ${flagName}`);
      f.used = true;
      if (!this.used.includes(name)) this.used.push(name);
      switch (f.type) {
        case 'bool':
          if (hasValue && value === '') throw new FlagError(`missing a value on flag: ${flagName}`);
          if (value.toLowerCase() === 'true' || value === '') f.value = 'true';
          else if (value.toLowerCase() === 'false') f.value = 'false';
          else throw new FlagError(`expecting boolean value for flag ${flagName}, not: ${value}`);
          break;
        case 'string':
          if (!hasValue) throw new FlagError(`missing a value on flag: ${flagName}`);
          f.value = value;
          break;
        case 'strings':
          if (!hasValue) throw new FlagError(`missing a value on flag: ${flagName}`);
          f.values.push(value);
          break;
      }
    }
  }
}

function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/** Appends " (did you mean X?)" when a close candidate exists, as BuildKit's suggest package does. */
export function withSuggestion(message: string, value: string, candidates: readonly string[], caseSensitive: boolean): string {
  const v = caseSensitive ? value : value.toLowerCase();
  let best: string | null = null;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = levenshtein(v, caseSensitive ? c : c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best !== null && bestD > 0 && bestD <= Math.max(1, Math.floor(v.length / 3)) + 1 && bestD <= 2) {
    return `${message} (did you mean ${best}?)`;
  }
  return message;
}
