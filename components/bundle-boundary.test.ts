// The browser bundle holds no server or engine module: pages and components may import only types from
// server/ and @berth/runtime (which loads a native addon). A value import there would drag Node-only
// code (and secrets' handling) into the client, so this fails on the first one.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const root = path.resolve(import.meta.dirname, '..');
const SERVER_ONLY = [/^@berth\/runtime(\/|$)/, /^@\/server\//, /^\.{1,2}\/(.*\/)?server\//];

function sources(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** Module specifiers this file imports as values (type-only imports and exports are erased). */
export function valueImports(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      const typeOnly = c !== undefined && (c.isTypeOnly || (!c.name && c.namedBindings !== undefined && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) out.push(n.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier) && !n.isTypeOnly) {
      out.push(n.moduleSpecifier.text);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) {
      out.push(n.arguments[0].text);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

test('the scanner tells type-only imports from value imports', () => {
  assert.deepEqual(valueImports('a.ts', "import type { A } from '../server/x';\nimport { type B } from '@berth/runtime/engine';\nimport { c } from '../../server/y';\nexport * from '@/server/z';\nconst m = import('@berth/runtime');"), ['../../server/y', '@/server/z', '@berth/runtime']);
});

test('components/ and app/ import nothing from server/ or @berth/runtime but types', () => {
  const bad: string[] = [];
  for (const dir of ['components', 'app']) {
    for (const file of sources(path.join(root, dir))) {
      for (const spec of valueImports(file, fs.readFileSync(file, 'utf8'))) {
        if (SERVER_ONLY.some((re) => re.test(spec))) bad.push(`${path.relative(root, file)}: ${spec}`);
      }
    }
  }
  assert.deepEqual(bad, []);
});
