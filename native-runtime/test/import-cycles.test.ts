// The module graph of the engine (native-runtime/src) and of the server (server/) has no cycle, as
// `madge --circular` would report it (type-only imports count: a cycle of types is still two modules
// that cannot be understood one without the other). Within the engine, the folders that used to import
// each other keep one direction: containers/ uses networks/, health/ and exec/ uses containers/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const repo = path.resolve(import.meta.dirname, '..', '..');
const SCANNED = ['native-runtime/src', 'server'];
const SKIP_DIRS = new Set(['node_modules', 'generated']);

/** A folder of native-runtime/src must not import these (the other direction is the allowed one). */
const FORBIDDEN: Record<string, string[]> = {
  networks: ['containers', 'exec', 'health'],
  health: ['containers', 'exec'],
  containers: ['exec'],
};

function sources(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) sources(p, out);
    } else if (/\.tsx?$/.test(e.name) && !/\.(test|d)\.ts$/.test(e.name)) out.push(p);
  }
  return out;
}

/** Every module specifier a file imports or re-exports, type-only ones included. */
export function importSpecifiers(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) out.push(n.moduleSpecifier.text);
    else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) out.push(n.arguments[0].text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** The import graph among the scanned files (edges to files outside them are dropped). */
function importGraph(): Map<string, string[]> {
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    baseUrl: repo,
    paths: { '@/*': ['./*'] },
  };
  const files = SCANNED.flatMap((d) => sources(path.join(repo, d)));
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps = new Set<string>();
    for (const spec of importSpecifiers(f, fs.readFileSync(f, 'utf8'))) {
      const r = ts.resolveModuleName(spec, f, options, ts.sys).resolvedModule?.resolvedFileName;
      if (r && known.has(r) && r !== f) deps.add(r);
    }
    graph.set(path.relative(repo, f), [...deps].map((d) => path.relative(repo, d)));
  }
  return graph;
}

/** Strongly connected components with more than one module (Tarjan), each as "a -> b -> … -> a". */
export function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1) out.push(scc.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

test('the cycle finder finds a cycle of two and of three, and none in a chain', () => {
  const g = new Map([
    ['a', ['b']],
    ['b', ['a', 'c']],
    ['c', ['d']],
    ['d', ['e']],
    ['e', ['c']],
    ['f', ['a']],
  ]);
  assert.deepEqual(cycles(g), [['c', 'd', 'e'], ['a', 'b']]);
  assert.deepEqual(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', []]])), []);
  assert.deepEqual(importSpecifiers('x.ts', "import type { A } from './a.js';\nexport * from './b.js';\nconst m = import('./c.js');"), ['./a.js', './b.js', './c.js']);
});

test('native-runtime/src and server/ have no import cycle (type-only imports included)', () => {
  const found = cycles(importGraph());
  assert.deepEqual(found, [], `import cycles:\n${found.map((c) => '  ' + c.join(' <-> ')).join('\n')}`);
});

test('engine folders import one way: networks/ and health/ never import containers/, containers/ never imports exec/', () => {
  const bad: string[] = [];
  for (const [file, deps] of importGraph()) {
    const from = file.split('/');
    if (from[1] !== 'src') continue;
    for (const dep of deps) {
      const to = dep.split('/');
      if (to[0] === 'native-runtime' && to[1] === 'src' && FORBIDDEN[from[2]!]?.includes(to[2]!)) bad.push(`${file} -> ${dep}`);
    }
  }
  assert.deepEqual(bad, []);
});
