// Dockerfile errors: each names its line, in Docker's wording.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DockerfileError, parseDockerfile, stepError } from '../src/builder/parser/index.ts';
import {
  BuildArgs,
  parseDockerfileStages,
  parseOnbuildTriggers,
  planStages,
  resolveFrom,
  resolveStageRef,
  stagesToBuild,
} from '../src/builder/instructions/index.ts';
import { hostArchitecture } from '../src/images/types.ts';

function err(text: string): DockerfileError {
  try {
    parseDockerfileStages(text);
  } catch (e) {
    assert.ok(e instanceof DockerfileError, `expected DockerfileError, got ${String(e)}`);
    return e;
  }
  assert.fail(`no error for ${JSON.stringify(text)}`);
}

const CASES: Array<[string, string, number, RegExp]> = [
  ['unknown instruction', 'FROM busybox\nRUN true\n\n# c\nENV A=1\nRUN x\nCOPPY a b\n', 7, /^dockerfile parse error on line 7: unknown instruction: COPPY/],
  ['FROM missing', '# hi\nRUN echo\n', 2, /^dockerfile parse error on line 2: no build stage in current context$/],
  ['ARG only', 'ARG A=1\n', 1, /no build stage in current context/],
  ['bad SHELL JSON', 'FROM busybox\nSHELL /bin/bash -c\n', 2, /line 2: SHELL requires the arguments to be in JSON form$/],
  ['SHELL empty JSON', 'FROM busybox\nSHELL []\n', 2, /line 2: SHELL requires at least one argument$/],
  ['ONBUILD FROM', 'FROM busybox\nRUN a\nONBUILD FROM alpine\n', 3, /line 3: FROM isn't allowed as an ONBUILD trigger$/],
  ['ONBUILD ONBUILD', 'FROM busybox\nONBUILD ONBUILD RUN x\n', 2, /Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed/],
  ['ONBUILD MAINTAINER', 'FROM busybox\nONBUILD MAINTAINER me\n', 2, /MAINTAINER isn't allowed as an ONBUILD trigger/],
  ['unknown flag', 'FROM busybox\nCOPY --form=x a b\n', 2, /line 2: unknown flag: --form/],
  ['bool flag value', 'FROM busybox\nCOPY --link=maybe a b\n', 2, /expecting boolean value for flag --link, not: maybe/],
  ['missing flag value', 'FROM busybox\nCOPY --from a b\n', 2, /missing a value on flag: --from/],
  ['platform mismatch', 'FROM --platform=linux/s390x busybox\n', 1, /line 1: platform "linux\/s390x" is not supported/],
  ['JSON non-strings', 'FROM busybox\n\nCMD ["a", 1]\n', 3, /line 3: when using JSON array syntax, arrays must be comprised of strings only/],
  ['COPY one arg', 'FROM busybox\nCOPY a\n', 2, /COPY requires at least two arguments, but only one was provided/],
  ['WORKDIR no args', 'FROM busybox\nWORKDIR\n', 2, /WORKDIR requires exactly one argument/],
  ['ENV missing value', 'FROM busybox\nENV ONLYKEY\n', 2, /ENV must have two arguments/],
  ['ENV mixed form', 'FROM busybox\nENV A=1 B\n', 2, /Syntax error - can't find = in "B"/],
  ['EXPOSE empty', 'FROM busybox\nEXPOSE\n', 2, /EXPOSE requires at least one argument/],
  ['FROM bad stage name', 'FROM busybox AS 1st\n', 1, /invalid name for build stage: "1st"/],
  ['FROM two args', 'FROM busybox builder\n', 1, /FROM requires either one or three arguments/],
  ['HEALTHCHECK bad type', 'FROM busybox\nHEALTHCHECK RUN x\n', 2, /Unknown type "RUN" in HEALTHCHECK \(try CMD\)/],
  ['HEALTHCHECK bad interval', 'FROM busybox\nHEALTHCHECK --interval=5 CMD x\n', 2, /time: missing unit in duration "5"/],
  ['HEALTHCHECK tiny interval', 'FROM busybox\nHEALTHCHECK --interval=1us CMD x\n', 2, /Interval "interval" cannot be less than 1ms/],
  ['HEALTHCHECK NONE args', 'FROM busybox\nHEALTHCHECK NONE x\n', 2, /HEALTHCHECK NONE takes no arguments/],
  ['RUN bad network', 'FROM busybox\nRUN --network=bridge true\n', 2, /invalid network mode "bridge"/],
  ['RUN --mount', 'FROM busybox\nRUN --mount=type=cache,target=/x true\n', 2, /the --mount option is not supported/],
  ['unterminated heredoc', 'FROM busybox\nRUN <<EOF\necho\n', 2, /line 2: unterminated heredoc/],
  ['heredoc as destination', 'FROM busybox\nCOPY a <<EOF\nx\nEOF\n', 2, /COPY cannot accept a heredoc as a destination/],
  ['bad escape directive', '# escape=x\nFROM busybox\n', 1, /invalid escape token 'x' does not match ` or \\/],
  ['duplicate directive', '# escape=\\\n# escape=`\nFROM busybox\n', 2, /only one escape parser directive can be used/],
  ['continuation line error', 'FROM busybox\nRUN a \\\n  b\nCOPY \\\n  a\n', 4, /line 4: COPY requires at least two arguments/],
  ['empty file', '# only a comment\n\n', 2, /file with no instructions/],
  ['ARG blank name', 'FROM busybox\nARG =x\n', 2, /ARG names can not be blank/],
  ['STOPSIGNAL args', 'FROM busybox\nSTOPSIGNAL\n', 2, /STOPSIGNAL requires exactly one argument/],
];

for (const [name, text, line, re] of CASES) {
  test(`error names its line: ${name}`, () => {
    const e = err(text);
    assert.equal(e.line, line, e.message);
    assert.match(e.message, re);
    assert.ok(e.message.includes(`line ${line}`) || e.line === 0 || name === 'empty file', e.message);
    assert.equal(e.statusCode, 400);
  });
}

test('unknown instruction gets a suggestion, as BuildKit does', () => {
  assert.equal(err('FROM busybox\nCOPPY a b\n').message, 'dockerfile parse error on line 2: unknown instruction: COPPY (did you mean COPY?)');
});

test('platform: the host platform is accepted, with or without variables', () => {
  const host = `linux/${hostArchitecture()}`;
  const p = parseDockerfileStages(`FROM --platform=${host} busybox\nFROM --platform=$BUILDPLATFORM alpine AS b\n`);
  assert.equal(p.stages[0]!.platform, host);
  const args = new BuildArgs();
  assert.deepEqual(resolveFrom(p.stages[1]!.from, args), { image: 'alpine', platform: host });
  const q = parseDockerfileStages('ARG P=linux/s390x\nFROM --platform=$P busybox\n');
  assert.throws(() => resolveFrom(q.stages[0]!.from, args.clone()), (e: unknown) => e instanceof DockerfileError && e.line === 2);
});

test('FROM expansion to an empty name is refused with its line', () => {
  const p = parseDockerfileStages('ARG X\nFROM $X\n');
  assert.throws(() => resolveFrom(p.stages[0]!.from, new BuildArgs()), /line 2: base name \(\$X\) should not be blank/);
});

test('bad substitution names its line', () => {
  const p = parseDockerfileStages('FROM ${A\n');
  assert.throws(() => resolveFrom(p.stages[0]!.from, new BuildArgs()), (e: unknown) => e instanceof DockerfileError && e.line === 1 && /missing '}'/.test(e.message));
});

test('--target: unknown target, and stages after it dropped', () => {
  const p = parseDockerfileStages('FROM busybox AS a\nRUN x\nFROM a AS b\nRUN y\nFROM busybox\n');
  assert.throws(() => planStages(p, 'nope'), /target stage "nope" could not be found/);
  const plan = planStages(p, 'B');
  assert.equal(plan.targetIndex, 1);
  assert.equal(plan.selected.length, 2);
  assert.equal(plan.totalSteps, 4);
});

test('stage references: names, indexes, later stages are images, and dependency order', () => {
  const p = parseDockerfileStages(
    'FROM busybox AS base\nFROM alpine AS other\nFROM base AS mid\nCOPY --from=other /a /a\nFROM scratch\nCOPY --from=mid /x /x\nCOPY --from=0 /y /y\nCOPY --from=later /z /z\nFROM busybox AS later\n',
  );
  assert.deepEqual(resolveStageRef(p.stages, 3, 'MID', 6, true), { kind: 'stage', index: 2 });
  assert.deepEqual(resolveStageRef(p.stages, 3, 'later', 8, true), { kind: 'image', ref: 'later' });
  assert.deepEqual(resolveStageRef(p.stages, 3, 'scratch', 5, false), { kind: 'scratch' });
  assert.throws(() => resolveStageRef(p.stages, 1, '1', 4, true), /refers to current build stage/);
  assert.throws(() => resolveStageRef(p.stages, 1, '3', 4, true), /index out of bounds/);
  assert.deepEqual(stagesToBuild(p.stages, 3), [0, 1, 2, 3]);
  assert.deepEqual(stagesToBuild(p.stages, 1), [1]);
  assert.deepEqual(stagesToBuild(p.stages, 2), [0, 1, 2]);
  assert.deepEqual(stagesToBuild(p.stages, 2, true), [0, 1, 2]);
});

test('ONBUILD triggers of a base image parse with the FROM line; forbidden ones refused', () => {
  const ins = parseOnbuildTriggers(['RUN echo hi', 'COPY . /app'], 3);
  assert.deepEqual(ins.map((i) => [i.kind, i.line]), [['RUN', 3], ['COPY', 3]]);
  assert.throws(() => parseOnbuildTriggers(['FROM x'], 4), (e: unknown) => e instanceof DockerfileError && e.line === 4);
  assert.throws(() => parseOnbuildTriggers(['BOGUS x'], 5), /line 5: unknown instruction: BOGUS/);
});

test('stepError formats like the executor reports COPY failures', () => {
  const e = stepError(7, 'COPY failed: file not found in build context: app.js');
  assert.equal(e.message, 'Dockerfile:7: COPY failed: file not found in build context: app.js');
  assert.equal(e.line, 7);
});

test('parser: a comment or blank line inside a continuation keeps line numbers right', () => {
  const r = parseDockerfile('FROM a\nRUN x \\\n# c\n\n  y\nRUN z\n');
  assert.deepEqual(r.nodes.map((n) => [n.startLine, n.endLine]), [[1, 1], [2, 5], [6, 6]]);
  assert.equal(r.nodes[1]!.original, 'RUN x   y');
  assert.equal(r.warnings.length, 1);
  assert.equal(r.warnings[0]!.line, 5);
});

test('parser: CRLF line endings and a BOM', () => {
  const r = parseDockerfile('\ufeffFROM a\r\nRUN x \\\r\n  y\r\n');
  assert.deepEqual(r.nodes.map((n) => n.original), ['FROM a', 'RUN x   y']);
});

test('parser: directives after an instruction are plain comments', () => {
  const r = parseDockerfile('FROM a\n# escape=`\nRUN x \\\n y\n');
  assert.equal(r.escapeToken, '\\');
  assert.equal(r.nodes[1]!.original, 'RUN x  y');
});
