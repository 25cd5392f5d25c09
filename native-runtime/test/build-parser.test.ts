// Golden parse tests: every folder under fixtures/dockerfile holds a Dockerfile and the expected
// parse (nodes, warnings, directives), the typed stages, and a dry-run dispatch of the metadata steps
// (expanded values, created_by, resulting config). UPDATE_GOLDEN=1 rewrites the expected files.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { normalizeContainerConfig } from '../src/images/types.ts';
import { formatWarnings, parseDockerfile } from '../src/builder/parser/index.ts';
import {
  applyMetadata,
  BuildArgs,
  dispatchEnv,
  expandInstruction,
  expandSourceContents,
  parseStages,
  planStages,
  resolveFrom,
  runCommand,
  type StageState,
} from '../src/builder/instructions/index.ts';
import { copyComment, createdByOf, nopCmdString, shellOf } from '../src/builder/created-by.ts';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'dockerfile');

export function golden(text: Buffer, buildArgs: Record<string, string> = {}): unknown {
  const parse = parseDockerfile(text);
  const out: Record<string, unknown> = {
    escapeToken: parse.escapeToken,
    directives: parse.directives,
    warnings: formatWarnings(parse),
    nodes: parse.nodes,
  };
  let parsed;
  try {
    parsed = parseStages(parse);
  } catch (err) {
    out.error = (err as Error).message;
    return out;
  }
  out.metaArgs = parsed.metaArgs;
  out.stages = parsed.stages;
  // dry-run dispatch of every stage from an empty base config
  const plan = planStages(parsed);
  const args = new BuildArgs(buildArgs);
  for (const m of plan.metaArgs) {
    const e = expandInstruction(m, dispatchEnv([], args.forStage()), parse.escapeToken);
    for (const a of e.args) {
      args.addArg(a.key, a.value);
      args.addMetaArg(a.key, a.value);
    }
  }
  const dispatch: unknown[] = [];
  for (const stage of plan.selected) {
    const from = resolveFrom(stage.from, args, parse.escapeToken);
    const state: StageState = { config: normalizeContainerConfig({}), cmdSet: false, args: args.forStage() };
    const steps: unknown[] = [];
    for (const cmd of stage.commands) {
      const env = dispatchEnv(state.config.Env, state.args);
      const ex = expandSourceContents(expandInstruction(cmd, env, parse.escapeToken), env, parse.escapeToken);
      if (ex.kind === 'RUN') steps.push({ line: ex.line, createdBy: runCommand(state, ex).createdBy });
      else if (ex.kind === 'COPY' || ex.kind === 'ADD') {
        const cmdArr = nopCmdString(shellOf(state.config), copyComment(ex.kind, '<hash>', ex.dest, ex.chown));
        steps.push({ line: ex.line, sources: ex.sources, contents: ex.contents, dest: ex.dest, from: (ex as { from?: string }).from, createdBy: createdByOf(cmdArr) });
      } else steps.push({ line: ex.line, createdBy: applyMetadata(state, ex).createdBy });
    }
    args.mergeReferenced(state.args);
    dispatch.push({ from, steps, config: state.config, author: state.maintainer });
  }
  out.dispatch = dispatch;
  out.unusedBuildArgs = args.unusedWarning();
  return out;
}

const BUILD_ARGS: Record<string, Record<string, string>> = {
  'arg-scoping': { TAG: '1.36', A: 'from-cli', UNUSED: 'x' },
};

for (const name of readdirSync(ROOT).sort()) {
  test(`golden parse: ${name}`, () => {
    const dir = path.join(ROOT, name);
    const got = JSON.parse(JSON.stringify(golden(readFileSync(path.join(dir, 'Dockerfile')), BUILD_ARGS[name])));
    const file = path.join(dir, 'expected.json');
    if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, JSON.stringify(got, null, 2) + '\n');
    assert.deepEqual(got, JSON.parse(readFileSync(file, 'utf8')));
  });
}
