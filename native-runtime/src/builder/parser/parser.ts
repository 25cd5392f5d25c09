// Dockerfile text -> node tree, with the rules of BuildKit's dockerfile parser: parser directives at
// the top, the escape token as line continuation, comments (also inside continuations), empty
// continuation lines (a warning), JSON vs shell forms, builder flags and heredocs. Instruction
// validation (unknown instructions, argument counts, flag names) happens in ../instructions.
import { DockerfileError } from './errors.js';
import { EMPTY_ENV, ShellLex, ShellLexError } from './shell-lex.js';

export interface Heredoc {
  /** The delimiter word, unquoted. */
  name: string;
  /** The body: every line up to (not including) the delimiter line, each with its newline. */
  content: string;
  /** `<<-`: leading tabs are stripped from the body lines (and the delimiter line). */
  chomp: boolean;
  /** false when any part of the delimiter was quoted (`<<"EOF"`, `<<'EOF'`): no expansion in the body. */
  expand: boolean;
  /** `3<<EOF`: the file descriptor; 0 when not given. */
  fileDescriptor: number;
}

export interface DockerfileNode {
  /** Lowercased instruction name (`from`, `run`, … or whatever unknown word was written). */
  instruction: string;
  /** The instruction word as written (`COPPY`), for messages. */
  command: string;
  /** The logical line: continuations joined, comments and escape tokens removed. */
  original: string;
  /** Builder flags (`--from=builder`), verbatim. */
  flags: string[];
  /** The arguments after the parser's per-instruction rules (see the README of the format below). */
  next: string[];
  /** Exec (JSON array) form. */
  json: boolean;
  heredocs: Heredoc[];
  startLine: number;
  /** 1-based column of the instruction's first character on its start line. */
  startColumn: number;
  endLine: number;
  /** ONBUILD: the trigger instruction. */
  sub?: DockerfileNode;
  /** `#` comment lines right above the instruction. */
  comments?: string[];
}

export interface ParseWarning {
  short: string;
  detail: string;
  url?: string;
  line: number;
}

export interface ParserDirective {
  name: 'syntax' | 'escape' | 'check';
  value: string;
  line: number;
}

export interface ParseResult {
  nodes: DockerfileNode[];
  escapeToken: '\\' | '`';
  warnings: ParseWarning[];
  directives: ParserDirective[];
}

export const DEFAULT_ESCAPE_TOKEN = '\\';
export const EMPTY_CONTINUATION_FOOTER = '[WARNING]: Empty continuation lines will become errors in a future release.';

const RE_WHITESPACE = /[\t\v\f\r ]+/;
const RE_HEREDOC = /^(\d*)<<(-?)\s*([^<]*)$/;
const HEREDOC_INSTRUCTIONS = new Set(['add', 'copy', 'run']);

/** Error raised inside the line parsers; the caller attaches the line. */
class LineError extends Error {}

class Directives {
  escapeToken: '\\' | '`' = '\\';
  continuation!: RegExp;
  private done = false;
  private seen = new Set<string>();
  private lineNo = 0;
  readonly found: ParserDirective[] = [];

  constructor() {
    this.setEscapeToken('\\');
  }

  setEscapeToken(s: string): void {
    if (s !== '`' && s !== '\\') throw new LineError(`invalid escape token '${s}' does not match \` or \\`);
    this.escapeToken = s;
    const e = '\\' + s;
    // The escape token is a continuation when it ends the line, unless escaped itself.
    this.continuation = new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
  }

  /** Returns true when `line` is a parser directive (and applies it). */
  possibleDirective(line: string): boolean {
    this.lineNo++;
    if (this.done) return false;
    if (!line.startsWith('#')) {
      this.done = true;
      return false;
    }
    const m = /^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/u.exec(line.slice(1).replace(/^\s+/u, ''));
    if (!m) {
      this.done = true;
      return false;
    }
    const key = m[1]!.toLowerCase();
    if (key !== 'syntax' && key !== 'escape' && key !== 'check') {
      this.done = true;
      return false;
    }
    if (this.seen.has(key)) throw new LineError(`only one ${key} parser directive can be used`);
    this.seen.add(key);
    this.found.push({ name: key, value: m[2]!, line: this.lineNo });
    if (key === 'escape') this.setEscapeToken(m[2]!);
    return true;
  }
}

function trimNewline(s: string): string {
  return s.replace(/[\r\n]+$/, '');
}
function trimLeadingWhitespace(s: string): string {
  return s.replace(/^\s+/u, '');
}
function isComment(s: string): boolean {
  return trimLeadingWhitespace(s).startsWith('#');
}

/** Splits text into lines keeping their line endings (bufio.Scanner with ScanLines-preserving split). */
function scanLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const i = text.indexOf('\n', start);
    if (i < 0) {
      if (start < text.length) out.push(text.slice(start));
      return out;
    }
    out.push(text.slice(start, i + 1));
    start = i + 1;
  }
}

/** Parses a Dockerfile. Throws DockerfileError (with the line) on syntax errors. */
export function parseDockerfile(input: string | Buffer): ParseResult {
  let text = typeof input === 'string' ? input : input.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = scanLines(text);
  const d = new Directives();
  const nodes: DockerfileNode[] = [];
  const warnings: ParseWarning[] = [];
  let comments: string[] = [];
  let currentLine = 0;
  let idx = 0;

  const processLine = (raw: string, stripLeft: boolean): [string, boolean] => {
    let token = trimNewline(raw);
    if (stripLeft) token = trimLeadingWhitespace(token);
    let ok: boolean;
    try {
      ok = d.possibleDirective(token);
    } catch (err) {
      if (err instanceof LineError) throw new DockerfileError(currentLine + 1, err.message);
      throw err;
    }
    return [isComment(token) ? '' : token, ok];
  };
  const trimContinuation = (s: string): [string, boolean] => {
    if (d.continuation.test(s)) return [s.replace(d.continuation, '$1'), false];
    return [s, true];
  };

  while (idx < lines.length) {
    const raw = lines[idx++]!;
    if (isComment(raw)) {
      const c = trimLeadingWhitespace(raw).slice(1).trim();
      if (c === '') comments = [];
      else comments.push(c);
    }
    let [bytes, directiveOk] = processLine(raw, true);
    if (directiveOk) comments.pop();
    currentLine++;
    const startLine = currentLine;
    const startColumn = trimNewline(raw).length - trimLeadingWhitespace(trimNewline(raw)).length + 1;
    let isEnd: boolean;
    [bytes, isEnd] = trimContinuation(bytes);
    if (isEnd && bytes.length === 0) continue;
    let buf = bytes;
    let hasEmptyContinuation = false;
    while (!isEnd && idx < lines.length) {
      const raw2 = lines[idx++]!;
      let [b2] = processLine(raw2, false);
      currentLine++;
      if (isComment(raw2)) continue;
      if (trimLeadingWhitespace(trimNewline(b2)).length === 0) {
        hasEmptyContinuation = true;
        continue;
      }
      [b2, isEnd] = trimContinuation(b2);
      buf += b2;
    }
    const line = buf;
    if (hasEmptyContinuation) {
      warnings.push({
        short: 'Empty continuation line found in: ' + line,
        detail: 'Empty continuation lines will become errors in a future release',
        url: 'https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/',
        line: currentLine,
      });
    }

    let node: DockerfileNode;
    try {
      node = nodeFromLine(line, d);
    } catch (err) {
      if (err instanceof LineError || err instanceof ShellLexError) {
        throw new DockerfileError(startLine, err.message, { endLine: currentLine });
      }
      throw err;
    }

    const heredocTarget = node.instruction === 'onbuild' && node.sub ? node.sub : node;
    if (HEREDOC_INSTRUCTIONS.has(heredocTarget.instruction) && !heredocTarget.json && line.includes('<<')) {
      let docs: Heredoc[];
      try {
        docs = heredocsFromLine(line);
      } catch (err) {
        if (err instanceof LineError || err instanceof ShellLexError) {
          throw new DockerfileError(startLine, err.message, { endLine: currentLine });
        }
        throw err;
      }
      for (const doc of docs) {
        let terminated = false;
        let content = '';
        while (idx < lines.length) {
          const l = lines[idx++]!;
          currentLine++;
          let candidate = trimNewline(l);
          if (doc.chomp) candidate = candidate.replace(/^\t+/, '');
          if (candidate === doc.name) {
            terminated = true;
            break;
          }
          content += l;
        }
        if (!terminated) throw new DockerfileError(startLine, 'unterminated heredoc', { endLine: currentLine });
        doc.content = content;
        node.heredocs.push(doc);
      }
      if (heredocTarget !== node) heredocTarget.heredocs = node.heredocs;
    }

    node.startLine = startLine;
    node.startColumn = startColumn;
    node.endLine = currentLine;
    if (node.sub) {
      node.sub.startLine = startLine;
      node.sub.startColumn = startColumn;
      node.sub.endLine = currentLine;
    }
    if (comments.length) node.comments = comments;
    nodes.push(node);
    comments = [];
  }

  if (nodes.length === 0) throw new DockerfileError(currentLine, 'file with no instructions');

  for (const dir of d.found) {
    if (dir.name === 'syntax') {
      warnings.push({ short: `syntax directive ignored: ${dir.value}`, detail: 'syntax directive ignored', line: dir.line });
    }
  }
  return { nodes, escapeToken: d.escapeToken, warnings, directives: d.found };
}

/** Docker's `[WARNING]: …` lines for a parse result, as the classic builder prints them. */
export function formatWarnings(r: ParseResult): string[] {
  const out = r.warnings.map((w) => `[WARNING]: ${w.short}`);
  if (r.warnings.some((w) => w.short.startsWith('Empty continuation line'))) out.push(EMPTY_CONTINUATION_FOOTER);
  return out;
}

interface Parsed {
  args: string[];
  json: boolean;
  sub?: DockerfileNode;
}

function nodeFromLine(line: string, d: Directives): DockerfileNode {
  const { cmd, flags, args } = splitCommand(line, d);
  const instruction = cmd.toLowerCase();
  const parsed: Parsed = (LINE_PARSERS[instruction] ?? ((): Parsed => ({ args: [], json: false })))(args, d);
  const node: DockerfileNode = {
    instruction,
    command: cmd,
    original: line,
    flags,
    next: parsed.args,
    json: parsed.json,
    heredocs: [],
    startLine: 0,
    startColumn: 1,
    endLine: 0,
  };
  if (parsed.sub) node.sub = parsed.sub;
  return node;
}

function splitCommand(line: string, d: Directives): { cmd: string; flags: string[]; args: string } {
  const trimmed = line.trim();
  const m = RE_WHITESPACE.exec(trimmed);
  if (!m) return { cmd: trimmed, flags: [], args: '' };
  const cmd = trimmed.slice(0, m.index);
  const rest = trimmed.slice(m.index + m[0].length);
  const { rest: after, flags } = extractBuilderFlags(rest, d);
  return { cmd, flags, args: after.trim() };
}

/** Leading `--flag[=value]` words; quotes and the escape token are processed inside them. */
function extractBuilderFlags(line: string, d: Directives): { rest: string; flags: string[] } {
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let cur = '';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    const end = pos === line.length;
    let ch = end ? '' : line[pos]!;
    if (phase === 'spaces') {
      if (end) break;
      if (/\s/u.test(ch)) continue;
      if (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-') return { rest: line.slice(pos), flags: words };
      phase = 'word';
    }
    if (end) {
      if (cur !== '--' && (blankOK || cur.length > 0)) words.push(cur);
      break;
    }
    if (phase === 'word') {
      if (/\s/u.test(ch)) {
        phase = 'spaces';
        if (cur === '--') return { rest: line.slice(pos), flags: words };
        if (blankOK || cur.length > 0) words.push(cur);
        cur = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      if (ch === d.escapeToken) {
        if (pos + 1 === line.length) continue;
        ch = line[++pos]!;
      }
      cur += ch;
      continue;
    }
    // in quote
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    if (ch === d.escapeToken) {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      ch = line[++pos]!;
    }
    cur += ch;
  }
  return { rest: '', flags: words };
}

/** Space-separated words, quotes and escapes KEPT (they are removed by expansion later). */
export function parseWords(rest: string, escapeToken: string): string[] {
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOK = false;
  let cur = '';
  const cs = Array.from(rest);
  for (let pos = 0; pos <= cs.length; pos++) {
    const end = pos === cs.length;
    let ch = end ? '' : cs[pos]!;
    if (phase === 'spaces') {
      if (end) break;
      if (/\s/u.test(ch)) continue;
      phase = 'word';
    }
    if (end) {
      if (blankOK || cur.length > 0) words.push(cur);
      break;
    }
    if (phase === 'word') {
      if (/\s/u.test(ch)) {
        phase = 'spaces';
        if (blankOK || cur.length > 0) words.push(cur);
        cur = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escapeToken) {
        if (pos + 1 === cs.length) continue; // a trailing escape token is dropped
        cur += ch;
        ch = cs[++pos]!;
      }
      cur += ch;
      continue;
    }
    // in quote
    if (ch === quote) phase = 'word';
    if (ch === escapeToken && quote !== "'") {
      if (pos + 1 === cs.length) {
        phase = 'word';
        continue;
      }
      cur += ch;
      ch = cs[++pos]!;
    }
    cur += ch;
  }
  return words;
}

const NOT_STRING_ARRAY = 'when using JSON array syntax, arrays must be comprised of strings only';

/** The JSON array form, or null when `rest` is not a valid JSON array (then it is shell form). */
function parseJSON(rest: string): string[] | null {
  const t = rest.replace(/^\s+/u, '');
  if (!t.startsWith('[')) return null;
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch {
    return null;
  }
  if (!Array.isArray(v)) return null;
  if (!v.every((x) => typeof x === 'string')) throw new LineError(NOT_STRING_ARRAY);
  return v as string[];
}

function maybeJSON(rest: string): Parsed {
  if (rest === '') return { args: [], json: false };
  const j = parseJSON(rest);
  if (j) return { args: j, json: true };
  return { args: [rest], json: false };
}

function maybeJSONToList(rest: string): Parsed {
  const j = parseJSON(rest);
  if (j) return { args: j, json: true };
  return whitespaceDelimited(rest);
}

function whitespaceDelimited(rest: string): Parsed {
  if (rest === '') return { args: [], json: false };
  return { args: rest.split(new RegExp(RE_WHITESPACE.source, 'g')), json: false };
}

function parseString(rest: string): Parsed {
  return { args: rest === '' ? [] : [rest], json: false };
}

/** ENV/LABEL: `k v…` (legacy, one pair) or `k=v k2=v2`; args come in triples [key, value, sep]. */
function nameVal(key: string) {
  return (rest: string, d: Directives): Parsed => {
    const words = parseWords(rest, d.escapeToken);
    if (words.length === 0) return { args: [], json: false };
    if (!words[0]!.includes('=')) {
      const m = RE_WHITESPACE.exec(rest);
      if (!m) throw new LineError(`${key} must have two arguments`);
      return { args: [rest.slice(0, m.index), rest.slice(m.index + m[0].length), ''], json: false };
    }
    const args: string[] = [];
    for (const w of words) {
      const i = w.indexOf('=');
      if (i < 0) throw new LineError(`Syntax error - can't find = in ${JSON.stringify(w)}. Must be of the form: name=value`);
      args.push(w.slice(0, i), w.slice(i + 1), '=');
    }
    return { args, json: false };
  };
}

function nameOrNameVal(rest: string, d: Directives): Parsed {
  return { args: parseWords(rest, d.escapeToken), json: false };
}

function subCommand(rest: string, d: Directives): Parsed {
  if (rest === '') return { args: [], json: false };
  const child = nodeFromLine(rest, d);
  return { args: [child.command, ...child.next], json: false, sub: child };
}

function healthConfig(rest: string): Parsed {
  const m = /\s/u.exec(rest);
  const sep = m ? m.index : rest.length;
  if (sep === 0) return { args: [], json: false };
  const typ = rest.slice(0, sep);
  const cmd = maybeJSON(rest.slice(sep).replace(/^\s+/u, ''));
  return { args: [typ, ...cmd.args], json: cmd.json };
}

const LINE_PARSERS: Record<string, (rest: string, d: Directives) => Parsed> = {
  add: maybeJSONToList,
  arg: nameOrNameVal,
  cmd: maybeJSON,
  copy: maybeJSONToList,
  entrypoint: maybeJSON,
  env: nameVal('ENV'),
  expose: whitespaceDelimited,
  from: whitespaceDelimited,
  healthcheck: healthConfig,
  label: nameVal('LABEL'),
  maintainer: parseString,
  onbuild: subCommand,
  run: maybeJSON,
  shell: maybeJSON,
  stopsignal: parseString,
  user: parseString,
  volume: maybeJSONToList,
  workdir: parseString,
};

/** The heredoc named by one word (`<<EOF`, `<<-"EOF"`, `3<<EOF`), or null. */
export function parseHeredocWord(word: string): Heredoc | null {
  const m = RE_HEREDOC.exec(word);
  if (!m) return null;
  const rest = m[3]!;
  if (rest === '') return null;
  const lex = new ShellLex('\\', { skipUnsetEnv: true });
  const words = lex.processWords(rest, EMPTY_ENV);
  if (words.length !== 1) return null;
  lex.rawQuotes = true;
  const raw = lex.processWords(rest, EMPTY_ENV);
  if (raw.length !== words.length) throw new LineError(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  const count = (s: string): number => (s.match(/['"]/g) ?? []).length;
  return {
    name: words[0]!,
    content: '',
    chomp: m[2] === '-',
    expand: count(words[0]!) === count(raw[0]!),
    fileDescriptor: m[1] ? Number(m[1]) : 0,
  };
}

function heredocsFromLine(line: string): Heredoc[] {
  const lex = new ShellLex('\\', { rawQuotes: true, rawEscapes: true, skipUnsetEnv: true });
  let words: string[];
  try {
    words = lex.processWords(line, EMPTY_ENV);
  } catch {
    words = [];
  }
  const docs: Heredoc[] = [];
  for (const w of words) {
    const h = parseHeredocWord(w);
    if (h) docs.push(h);
  }
  return docs;
}

/** `<<-` bodies: leading tabs removed from every line. */
export function chompHeredocContent(s: string): string {
  return s.replace(/^\t+/gm, '');
}
