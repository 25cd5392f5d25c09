// The history `created_by` strings of Docker's classic builder, character for character. Docker
// stores the step's container Cmd and joins it with spaces:
//   metadata steps:  [...shell, "#(nop) ", "ENV X=1"]        -> "/bin/sh -c #(nop)  ENV X=1" (two spaces)
//   COPY/ADD/WORKDIR: [...shell, "#(nop) COPY file:… in /f "] -> "/bin/sh -c #(nop) COPY file:… in /f "
//   RUN shell form:  [...shell, "echo a > /a"]               -> "/bin/sh -c echo a > /a"
//   RUN with ARGs:   ["|1", "A=b", ...cmd]                     -> "|1 A=b /bin/sh -c …"
//   RUN exec form:   the argv                                 -> "a b"
// The same Cmd array is part of the step config used as the cache key.
import { createHash } from 'node:crypto';
import { goDuration, goQuoteSlice, goSlice } from './parser/go-quote.js';
import type { HealthcheckConfig } from './instructions/types.js';

export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

/** The config's SHELL, or /bin/sh -c. */
export function shellOf(config: { Shell?: string[] | null }): string[] {
  return config.Shell && config.Shell.length ? [...config.Shell] : [...DEFAULT_SHELL];
}

/** withCmdComment: the two-argument nop form used by ENV, LABEL, CMD, ENTRYPOINT, EXPOSE, … */
export function nopCmd(shell: readonly string[], comment: string): string[] {
  return [...shell, '#(nop) ', comment];
}

/** withCmdCommentString: the one-argument nop form used by COPY, ADD and WORKDIR. */
export function nopCmdString(shell: readonly string[], comment: string): string[] {
  return [...shell, '#(nop) ' + comment];
}

/** created_by from a step's Cmd. */
export function createdByOf(cmd: readonly string[]): string {
  return cmd.join(' ');
}

// ---- comments of metadata instructions (the text after "#(nop) ") ----

export function envComment(pairs: ReadonlyArray<{ key: string; value: string }>): string {
  return 'ENV' + pairs.map((p) => ` ${p.key}=${p.value}`).join('');
}
export function labelComment(pairs: ReadonlyArray<{ key: string; value: string }>): string {
  return 'LABEL' + pairs.map((p) => ` ${p.key}=${p.value}`).join('');
}
export function argComment(args: ReadonlyArray<{ key: string; value?: string }>): string {
  return 'ARG ' + args.map((a) => (a.value === undefined ? a.key : `${a.key}=${a.value}`)).join(' ');
}
export const maintainerComment = (m: string): string => `MAINTAINER ${m}`;
export const userComment = (u: string): string => `USER ${u}`;
export const stopSignalComment = (s: string): string => `STOPSIGNAL ${s}`;
export const onbuildComment = (expr: string): string => `ONBUILD ${expr}`;
export const workdirComment = (resolvedWorkdir: string): string => `WORKDIR ${resolvedWorkdir}`;
/** Ports after word expansion, in the instruction's (sorted) order. */
export const exposeComment = (ports: readonly string[]): string => `EXPOSE ${ports.join(' ')}`;
/** fmt %v of the volume list: `VOLUME [/data /logs]`. */
export const volumeComment = (vols: readonly string[]): string => `VOLUME ${goSlice(vols)}`;
/** fmt %q of the resulting Cmd: `CMD ["cat" "/a"]`. */
export const cmdComment = (cmd: readonly string[] | null): string => `CMD ${goQuoteSlice(cmd)}`;
export const entrypointComment = (ep: readonly string[] | null): string => `ENTRYPOINT ${goQuoteSlice(ep)}`;
/** fmt %v of the shell: `SHELL [/bin/bash -c]`. */
export const shellComment = (shell: readonly string[]): string => `SHELL ${goSlice(shell)}`;

/** fmt %+v of *HealthcheckConfig. */
export function healthcheckComment(h: HealthcheckConfig): string {
  return (
    `HEALTHCHECK &{Test:${goSlice(h.Test)} Interval:${goDuration(h.Interval ?? 0)} Timeout:${goDuration(h.Timeout ?? 0)} ` +
    `StartPeriod:${goDuration(h.StartPeriod ?? 0)} StartInterval:${goDuration(h.StartInterval ?? 0)} Retries:${h.Retries ?? 0}}`
  );
}

// ---- COPY / ADD ----

/** hashStringSlice: `<prefix>:<sha256 hex of the items joined by ",">`. */
export function hashStringSlice(prefix: string, items: readonly string[]): string {
  return `${prefix}:${createHash('sha256').update(items.join(',')).digest('hex')}`;
}

/** One source: its own hash (`file:…` / `dir:…`); several: `multi:<hash of their hashes>`. */
export function combinedSourceHash(hashes: readonly string[]): string {
  if (hashes.length === 1) return hashes[0]!;
  return hashStringSlice('multi', hashes);
}

/** `COPY --chown=1:2 file:… in /dst ` (note the trailing space); `dest` as written, after expansion. */
export function copyComment(cmdName: 'COPY' | 'ADD', srcHash: string, dest: string, chown?: string): string {
  return `${cmdName} ${chown ? `--chown=${chown} ` : ''}${srcHash} in ${dest} `;
}

// ---- RUN ----

/**
 * prependEnvOnCmd: the Cmd recorded for a RUN step (history and cache key). When build args are in
 * scope (`buildArgEnv` = BuildArgs.filterAllowed(config.Env), non-empty) the command is prefixed with
 * `|N K=V …` (sorted), leaving out proxy args the Dockerfile did not declare (`keep` returns false).
 */
export function runSaveCmd(cmd: readonly string[], buildArgEnv: readonly string[], keep: (key: string) => boolean = () => true): string[] {
  if (buildArgEnv.length === 0) return [...cmd];
  const kept = buildArgEnv.filter((e) => keep(e.includes('=') ? e.slice(0, e.indexOf('=')) : e)).sort();
  return [`|${kept.length}`, ...kept, ...cmd];
}
