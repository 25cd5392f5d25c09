// Custom seccomp profiles (`--security-opt seccomp=<profile JSON>`, the format moby reads: moby/profiles
// seccomp/seccomp.go), compiled to a classic BPF program the shim installs as is (no libseccomp there).
// What is honoured as runc/moby do: defaultAction/defaultErrnoRet, per-rule action/errnoRet, args (all
// of a rule's conditions must hold; several rules for one call are alternatives), includes/excludes by
// caps (of the container's granted set), arches and minKernel, unknown call names skipped. The filter
// admits only the native x86_64 ABI (i386/x32 numbers differ and would dodge the list), as Berth's
// default filter does. SCMP_ACT_NOTIFY (needs a listener) and filter flags are refused with a clear error.
import os from 'node:os';
import { z } from 'zod';
import { badParameter } from '../errors.js';
import { X86_64_SYSCALLS } from './syscalls-x86_64.js';

const Action = z.enum([
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
]);
type Action = z.infer<typeof Action>;
const Op = z.enum(['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']);
const U64 = z.number().int().nonnegative();
const Arg = z.object({ index: z.number().int().min(0).max(5), value: U64, valueTwo: U64.optional(), op: Op });
const Filter = z
  .object({
    caps: z.array(z.string()).nullish(),
    arches: z.array(z.string()).nullish(),
    minKernel: z.string().regex(/^\d+\.\d+/, 'minKernel is "<major>.<minor>"').nullish(),
  })
  .nullish();
const Syscall = z.object({
  name: z.string().optional(),
  names: z.array(z.string()).nullish(),
  action: Action,
  errnoRet: z.number().int().min(0).max(4095).nullish(),
  args: z.array(Arg).nullish(),
  comment: z.string().nullish(),
  includes: Filter,
  excludes: Filter,
});
export const SeccompProfileSchema = z.object({
  defaultAction: Action,
  defaultErrnoRet: z.number().int().min(0).max(4095).nullish(),
  architectures: z.array(z.string()).nullish(),
  archMap: z.array(z.object({ architecture: z.string(), subArchitectures: z.array(z.string()).nullish() })).nullish(),
  listenerPath: z.string().nullish(),
  listenerMetadata: z.string().nullish(),
  flags: z.array(z.string()).nullish(),
  syscalls: z.array(Syscall).nullish(),
});
export type SeccompProfile = z.infer<typeof SeccompProfileSchema>;

/** Parses the JSON text the docker CLI sends; bad input is a 400 naming the field. */
export function parseSeccompProfile(text: string): SeccompProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw badParameter(`Decoding seccomp profile failed: ${(e as Error).message}`);
  }
  const r = SeccompProfileSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw badParameter(`Decoding seccomp profile failed: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  const p = r.data;
  const notify = p.defaultAction === 'SCMP_ACT_NOTIFY' || (p.syscalls ?? []).some((s) => s.action === 'SCMP_ACT_NOTIFY');
  if (notify || p.listenerPath) throw badParameter('seccomp profile: SCMP_ACT_NOTIFY (a seccomp agent) is not supported by Berth');
  if (p.flags?.length) throw badParameter(`seccomp profile: filter flags are not supported by Berth: ${p.flags.join(', ')}`);
  return p;
}

// linux/seccomp.h, linux/filter.h, linux/audit.h.
const RET = { KILL_PROCESS: 0x80000000, KILL_THREAD: 0, TRAP: 0x00030000, ERRNO: 0x00050000, TRACE: 0x7ff00000, LOG: 0x7ffc0000, ALLOW: 0x7fff0000 };
const LD_ABS_W = 0x20;
const ALU_AND_K = 0x54;
const JMP_JA = 0x05;
const JEQ = 0x15;
const JGT = 0x25;
const JGE = 0x35;
const RET_K = 0x06;
const AUDIT_ARCH_X86_64 = 0xc000003e;
const X32_BIT = 0x40000000;
const EPERM = 1;

/** One sock_filter: [code, jt, jf, k]. */
export type Insn = [number, number, number, number];

function retOf(action: Action, errno: number): number {
  switch (action) {
    case 'SCMP_ACT_ALLOW': return RET.ALLOW;
    case 'SCMP_ACT_ERRNO': return (RET.ERRNO | (errno & 0xffff)) >>> 0;
    case 'SCMP_ACT_TRACE': return (RET.TRACE | (errno & 0xffff)) >>> 0;
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP': return RET.TRAP;
    case 'SCMP_ACT_LOG': return RET.LOG;
    case 'SCMP_ACT_NOTIFY': throw badParameter('seccomp profile: SCMP_ACT_NOTIFY is not supported by Berth');
  }
}

// Go's runtime.GOARCH names moby's `arches` use, for this host.
const HOST_ARCHES = new Set(['amd64', 'x86_64', 'SCMP_ARCH_X86_64']);

function kernelAtLeast(min: string, release: string): boolean {
  const [a = 0, b = 0] = min.split('.').map(Number);
  const [x = 0, y = 0] = release.split(/[.-]/).map(Number);
  return x > a || (x === a && y >= b);
}

function applies(s: z.infer<typeof Syscall>, caps: ReadonlySet<string>, release: string): boolean {
  const inc = s.includes;
  const exc = s.excludes;
  // moby: every included capability must be granted; any excluded one that is granted drops the rule.
  if (inc?.caps?.length && !inc.caps.every((c) => caps.has(c))) return false;
  if (inc?.arches?.length && !inc.arches.some((a) => HOST_ARCHES.has(a))) return false;
  if (inc?.minKernel && !kernelAtLeast(inc.minKernel, release)) return false;
  if (exc?.caps?.some((c) => caps.has(c))) return false;
  if (exc?.arches?.some((a) => HOST_ARCHES.has(a))) return false;
  if (exc?.minKernel && kernelAtLeast(exc.minKernel, release)) return false;
  return true;
}

/** A small assembler: conditional jumps name labels, resolved (and range-checked) at the end. */
class Program {
  readonly insns: { code: number; k: number; jt: number | string; jf: number | string }[] = [];
  private readonly labels = new Map<string, number>();
  private n = 0;

  label(): string {
    return `L${this.n++}`;
  }
  at(label: string): void {
    this.labels.set(label, this.insns.length);
  }
  emit(code: number, k: number, jt: number | string = 0, jf: number | string = 0): void {
    this.insns.push({ code, k: k >>> 0, jt, jf });
  }
  assemble(): Insn[] {
    return this.insns.map((ins, i) => {
      const off = (t: number | string): number => {
        if (typeof t === 'number') return t;
        const to = this.labels.get(t);
        if (to === undefined) throw new Error(`seccomp assembler: label ${t} not placed`);
        const d = to - i - 1;
        if (d < 0 || d > 255) throw badParameter('seccomp profile: a rule is too large to compile (jump out of range)');
        return d;
      };
      return [ins.code, off(ins.jt), off(ins.jf), ins.k];
    });
  }
}

const argLo = (i: number): number => 16 + 8 * i;
const argHi = (i: number): number => 20 + 8 * i;
const hi32 = (v: number): number => Number(BigInt(v) >> 32n);
const lo32 = (v: number): number => Number(BigInt(v) & 0xffffffffn);

/** One 64-bit comparison: jumps to `fail` when it does not hold, falls through when it does. */
function emitArg(p: Program, a: z.infer<typeof Arg>, fail: string): void {
  const pass = p.label();
  const vh = hi32(a.value);
  const vl = lo32(a.value);
  switch (a.op) {
    case 'SCMP_CMP_EQ':
      p.emit(LD_ABS_W, argHi(a.index));
      p.emit(JEQ, vh, 0, fail);
      p.emit(LD_ABS_W, argLo(a.index));
      p.emit(JEQ, vl, pass, fail);
      break;
    case 'SCMP_CMP_NE':
      p.emit(LD_ABS_W, argHi(a.index));
      p.emit(JEQ, vh, 0, pass);
      p.emit(LD_ABS_W, argLo(a.index));
      p.emit(JEQ, vl, fail, pass);
      break;
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
      p.emit(LD_ABS_W, argHi(a.index));
      p.emit(JGT, vh, pass, 0);
      p.emit(JEQ, vh, 0, fail);
      p.emit(LD_ABS_W, argLo(a.index));
      p.emit(a.op === 'SCMP_CMP_GT' ? JGT : JGE, vl, pass, fail);
      break;
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE':
      p.emit(LD_ABS_W, argHi(a.index));
      p.emit(JGT, vh, fail, 0);
      p.emit(JEQ, vh, 0, pass);
      p.emit(LD_ABS_W, argLo(a.index));
      p.emit(a.op === 'SCMP_CMP_LT' ? JGE : JGT, vl, fail, pass);
      break;
    case 'SCMP_CMP_MASKED_EQ': {
      // moby: `value` is the mask, `valueTwo` what the masked argument must equal.
      const d = a.valueTwo ?? 0;
      p.emit(LD_ABS_W, argHi(a.index));
      p.emit(ALU_AND_K, vh);
      p.emit(JEQ, hi32(d), 0, fail);
      p.emit(LD_ABS_W, argLo(a.index));
      p.emit(ALU_AND_K, vl);
      p.emit(JEQ, lo32(d), pass, fail);
      break;
    }
  }
  p.at(pass);
}

/**
 * The BPF program for `profile` given the capabilities the process will hold (CAP_* names).
 * Layout: arch check, x32 check, then per named call `JEQ nr` over a block of its rules (skipped with an
 * unconditional JA, whose offset is 32 bits), ending in the default action.
 */
export function compileSeccompProfile(profile: SeccompProfile, caps: readonly string[], release = os.release()): Insn[] {
  const granted = new Set(caps);
  const defaultRet = retOf(profile.defaultAction, profile.defaultErrnoRet ?? EPERM);
  const byNr = new Map<number, { ret: number; args: z.infer<typeof Arg>[] }[]>();
  for (const s of profile.syscalls ?? []) {
    if (!applies(s, granted, release)) continue;
    const ret = retOf(s.action, s.errnoRet ?? EPERM);
    for (const name of [...(s.names ?? []), ...(s.name ? [s.name] : [])]) {
      const nr = X86_64_SYSCALLS[name];
      if (nr === undefined) continue; // runc skips calls this architecture does not have
      let rules = byNr.get(nr);
      if (!rules) byNr.set(nr, (rules = []));
      rules.push({ ret, args: s.args ?? [] });
    }
  }
  const p = new Program();
  p.emit(LD_ABS_W, 4); // arch
  p.emit(JEQ, AUDIT_ARCH_X86_64, 1, 0);
  p.emit(RET_K, RET.ERRNO | EPERM);
  p.emit(LD_ABS_W, 0); // nr
  p.emit(JGE, X32_BIT, 0, 1);
  p.emit(RET_K, RET.ERRNO | EPERM);
  for (const [nr, rules] of byNr) {
    const block: Program = new Program();
    for (const r of rules) {
      const next = block.label();
      for (const a of r.args) emitArg(block, a, next);
      block.emit(RET_K, r.ret);
      block.at(next);
      if (!r.args.length) break; // later rules for this call cannot be reached
    }
    block.emit(RET_K, defaultRet);
    const code = block.assemble();
    p.emit(JEQ, nr, 1, 0);
    p.emit(JMP_JA, code.length);
    // The block always returns, and only runs for its call: past it, A still holds nr.
    for (const [c, jt, jf, k] of code) p.emit(c, k, jt, jf);
  }
  p.emit(RET_K, defaultRet);
  const prog = p.assemble();
  if (prog.length > 4096) throw badParameter(`seccomp profile: the compiled filter has ${prog.length} instructions (the kernel allows 4096)`);
  return prog;
}

/** The shim's `seccompFilter`: the program as a flat [code, jt, jf, k, ...] list. */
export function flatFilter(prog: Insn[]): number[] {
  return prog.flat();
}
