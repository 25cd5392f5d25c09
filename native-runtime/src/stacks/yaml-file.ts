// One compose file parsed with `yaml`: the JS value plus a way back from a value's path to its line
// and column, so schema and model errors point into the file.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { issue, type StackIssue } from './errors.ts';

export interface YamlFile {
  name: string;
  doc: Document;
  lines: LineCounter;
  value: unknown;
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
  return { file: { name, doc, lines, value }, issues: [] };
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
