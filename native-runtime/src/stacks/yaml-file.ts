// One compose file parsed with `yaml`: the JS value plus a way back from a value's path to its line
// and column, so schema and model errors point into the file.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import { issue, type StackIssue } from './errors.ts';

/** A `!reset` or `!override` tag (Compose Specification, merge): where, by mapping keys. */
export interface MergeTag {
  path: string[];
  tag: 'reset' | 'override';
}

export interface YamlFile {
  name: string;
  doc: Document;
  lines: LineCounter;
  value: unknown;
  /** The file's `!reset` / `!override` values; `!reset` ones are already taken out of `value`. */
  tags: MergeTag[];
}

/** Finds `!reset` / `!override`: on a mapping's value only (what the spec merges); elsewhere an error. */
function mergeTags(doc: Document, lines: LineCounter, name: string): { tags: MergeTag[]; issues: StackIssue[] } {
  const tags: MergeTag[] = [];
  const issues: StackIssue[] = [];
  visit(doc, {
    Node(_key, node, ancestors) {
      if (node.tag !== '!reset' && node.tag !== '!override') return;
      const tag = node.tag === '!reset' ? 'reset' : 'override';
      const keys: string[] = [];
      let ok = true;
      for (let i = 0; i < ancestors.length; i++) {
        const a = ancestors[i];
        if (isSeq(a)) ok = false;
        else if (isPair(a)) {
          if (!isScalar(a.key) || a.value !== (ancestors[i + 1] ?? node)) ok = false;
          else keys.push(String(a.key.value));
        }
      }
      if (!ok || !keys.length) {
        const pos = lines.linePos(node.range?.[0] ?? 0);
        issues.push(issue(`!${tag} applies to the value of a mapping key (a service attribute, say), not here`, { file: name, line: pos.line, col: pos.col }));
      } else tags.push({ path: keys, tag });
    },
  });
  return { tags, issues };
}

/** Takes a `!reset` value out of the file's own value: what remains merges as if the key were absent. */
function dropPath(value: unknown, path: string[]): void {
  let v = value as Record<string, unknown> | undefined;
  for (const k of path.slice(0, -1)) v = v && typeof v === 'object' ? (v[k] as Record<string, unknown> | undefined) : undefined;
  if (v && typeof v === 'object' && !Array.isArray(v)) delete v[path[path.length - 1]!];
}

export function pathText(path: readonly (string | number)[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s;
}

/** Parses one file; YAML syntax errors come back as issues with their line and column. */
export function parseYamlFile(name: string, content: string): { file: YamlFile | null; issues: StackIssue[] } {
  const lines = new LineCounter();
  // merge: YAML 1.1 `<<` keys, which compose files use with x- anchors. uniqueKeys: duplicate keys are errors.
  const doc = parseDocument(content, { lineCounter: lines, merge: true, uniqueKeys: true, prettyErrors: false });
  const issues: StackIssue[] = doc.errors.map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return issue(e.message.split('\n')[0]!, { file: name, line: pos.line, col: pos.col });
  });
  const tagged = mergeTags(doc, lines, name);
  issues.push(...tagged.issues);
  if (issues.length) return { file: null, issues };
  let value: unknown;
  try {
    // maxAliasCount bounds alias expansion (a "billion laughs" file).
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    return { file: null, issues: [issue((err as Error).message, { file: name, line: 1, col: 1 })] };
  }
  if (value === null || value === undefined) value = {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { file: null, issues: [issue('a compose file must be a mapping (services:, networks:, ...)', { file: name, line: 1, col: 1 })] };
  }
  for (const t of tagged.tags) if (t.tag === 'reset') dropPath(value, t.path);
  return { file: { name, doc, lines, value, tags: tagged.tags }, issues: [] };
}

/** The node at a path (keys as in the JS value), or the deepest existing parent. `key` → the key node itself. */
function nodeAt(doc: Document, path: readonly (string | number)[], key: boolean): Node | null {
  let node: unknown = doc.contents;
  let found: Node | null = (node as Node) ?? null;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
      if (!pair) return found;
      if (key && i === path.length - 1 && pair.key) return pair.key as Node;
      node = pair.value;
    } else if (isSeq(node)) {
      node = node.items[Number(seg)];
    } else {
      return found;
    }
    if (node && typeof node === 'object' && 'range' in node) found = node as Node;
    else if (node === null || node === undefined) return found;
  }
  return found;
}

export function positionOf(file: YamlFile, path: readonly (string | number)[], opts: { key?: boolean } = {}): { line: number; col: number } {
  const node = nodeAt(file.doc, path, opts.key ?? false);
  const offset = node?.range?.[0];
  if (offset === undefined) return { line: 1, col: 1 };
  const p = file.lines.linePos(offset);
  return { line: p.line, col: p.col };
}

export function issueAt(file: YamlFile, path: readonly (string | number)[], message: string, opts: { key?: boolean } = {}): StackIssue {
  return issue(message, { file: file.name, path: pathText(path), ...positionOf(file, path, opts) });
}
