// Build-time variables (ARG and --build-arg) with the scoping rules of Docker's classic builder:
// meta ARGs (before the first FROM) are visible to FROM lines and become usable in a stage only when
// the stage redeclares them (`ARG NAME`); a stage's ARG default is overridden by --build-arg; proxy
// variables are always allowed and never written into history unless declared.
import { envHas } from './env-index.js';

export const BUILTIN_ALLOWED_BUILD_ARGS: ReadonlySet<string> = new Set([
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
]);

export class BuildArgs {
  /** Declared in the current stage (name -> default, undefined when none). */
  private allowed = new Map<string, string | undefined>();
  private readonly meta = new Map<string, string | undefined>();
  private readonly referenced = new Set<string>();

  /** `options`: the --build-arg values (a null value: `--build-arg NAME` with nothing set). */
  constructor(readonly options: Readonly<Record<string, string | null | undefined>> = {}) {}

  clone(): BuildArgs {
    const c = new BuildArgs(this.options);
    for (const [k, v] of this.allowed) c.allowed.set(k, v);
    for (const [k, v] of this.meta) c.meta.set(k, v);
    for (const k of this.referenced) c.referenced.add(k);
    return c;
  }

  /** A fresh scope for a new stage: meta args and references kept, stage ARGs dropped. */
  forStage(): BuildArgs {
    const c = this.clone();
    c.allowed = new Map();
    return c;
  }

  mergeReferenced(other: BuildArgs): void {
    for (const k of other.referenced) this.referenced.add(k);
  }

  addMetaArg(key: string, value: string | undefined): void {
    this.meta.set(key, value);
  }

  addArg(key: string, value: string | undefined): void {
    this.allowed.set(key, value);
    this.referenced.add(key);
  }

  isReferencedOrNotBuiltin(key: string): boolean {
    return this.allowed.has(key) || !BUILTIN_ALLOWED_BUILD_ARGS.has(key);
  }

  private option(key: string): string | undefined {
    const v = this.options[key];
    return v === null || v === undefined ? undefined : v;
  }

  private value(key: string, source: Map<string, string | undefined>): string | undefined {
    const o = this.option(key);
    if (o !== undefined) return o;
    const def = source.get(key);
    if (def === undefined) {
      return this.meta.get(key);
    }
    return def;
  }

  private allFrom(source: Map<string, string | undefined>): Map<string, string> {
    const out = new Map<string, string>();
    const keys = new Set<string>([...source.keys(), ...BUILTIN_ALLOWED_BUILD_ARGS]);
    for (const k of keys) {
      if (!source.has(k) && this.option(k) === undefined) continue; // builtins only when passed
      const v = this.value(k, source);
      if (v !== undefined) out.set(k, v);
    }
    return out;
  }

  /** The stage's usable args (declared + proxy builtins passed in), with their values. */
  allAllowed(): Map<string, string> {
    return this.allFrom(this.allowed);
  }

  /** Meta args with --build-arg overrides: the variables FROM lines see. */
  allMeta(): Map<string, string> {
    return this.allFrom(this.meta);
  }

  /** `KEY=value` for allowed args not shadowed by a variable of `env` (KEY=value list). */
  filterAllowed(env: readonly string[]): string[] {
    const out: string[] = [];
    for (const [k, v] of this.allAllowed()) if (!envHas(env, k)) out.push(`${k}=${v}`);
    return out;
  }

  /** Docker's `[Warning] One or more build-args [A B] were not consumed`, or null. */
  unusedWarning(): string | null {
    const left = Object.keys(this.options)
      .filter((k) => !this.referenced.has(k) && !BUILTIN_ALLOWED_BUILD_ARGS.has(k))
      .sort();
    return left.length ? `[Warning] One or more build-args [${left.join(' ')}] were not consumed` : null;
  }
}
