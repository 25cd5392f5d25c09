// .dockerignore tables, from Docker's documentation examples and patternmatcher's rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isExcluded, PatternMatcher, readDockerignore } from '../src/builder/dockerignore.ts';

test('readDockerignore: comments, blank lines, leading slash, cleaning, BOM', () => {
  const text = '\ufeff# comment\n\n  */temp*  \n/abs/path\n!./keep/../keep.md\n ! spaced\ndir/\n#not/a/pattern\n';
  assert.deepEqual(readDockerignore(text), ['*/temp*', 'abs/path', '!keep.md', '!spaced', 'dir']);
});

// [patterns, path, excluded?]
const TABLE: Array<[string[], string, boolean]> = [
  // Docker docs: */temp*
  [['*/temp*'], 'somedir/temporary.txt', true],
  [['*/temp*'], 'somedir/temp', true],
  [['*/temp*'], 'temp', false],
  [['*/temp*'], 'a/b/temp', false],
  // */*/temp*
  [['*/*/temp*'], 'somedir/subdir/temporary.txt', true],
  [['*/*/temp*'], 'somedir/temporary.txt', false],
  // temp?
  [['temp?'], 'tempa', true],
  [['temp?'], 'tempab', false],
  [['temp?'], 'dir/tempa', false],
  // ** any depth
  [['**/*.go'], 'main.go', true],
  [['**/*.go'], 'a/b/c/x.go', true],
  [['**/*.go'], 'a/b/c/x.gox', false],
  [['a/**/b'], 'a/b', true],
  [['a/**/b'], 'a/x/y/b', true],
  [['a/**'], 'a/x', true],
  [['**'], 'anything/at/all', true],
  // exceptions, last match wins
  [['*.md', '!README.md'], 'README.md', false],
  [['*.md', '!README.md'], 'CHANGES.md', true],
  [['*.md', '!README*.md', 'README-secret.md'], 'README-secret.md', true],
  [['*.md', '!README*.md', 'README-secret.md'], 'README-public.md', false],
  [['*.md', 'README-secret.md', '!README*.md'], 'README-secret.md', false],
  // a directory excludes its contents
  [['node_modules'], 'node_modules/x/y.js', true],
  [['build/'], 'build/out.o', true],
  [['/build'], 'build/out.o', true],
  [['build'], 'src/build', false],
  [['docs', '!docs/keep.md'], 'docs/keep.md', false],
  [['docs', '!docs/keep.md'], 'docs/other.md', true],
  // character classes and escapes
  [['file[0-9].txt'], 'file7.txt', true],
  [['file[0-9].txt'], 'filex.txt', false],
  [['file[^0-9].txt'], 'filex.txt', true],
  [['a\\*b'], 'a*b', true],
  [['a\\*b'], 'axb', false],
  [['*.txt'], 'dir/a.txt', false],
  [['.git'], '.git/HEAD', true],
  [['*'], 'x', true],
  // the Dockerfile and .dockerignore are always sent
  [['*'], 'Dockerfile', false],
  [['Dockerfile', '.dockerignore'], '.dockerignore', false],
];

for (const [patterns, p, want] of TABLE) {
  test(`dockerignore ${JSON.stringify(patterns)} ${p} -> ${want ? 'excluded' : 'kept'}`, () => {
    assert.equal(isExcluded(p, patterns), want);
  });
}

test('a custom Dockerfile name is always sent', () => {
  assert.equal(isExcluded('build/app.Dockerfile', ['build'], 'build/app.Dockerfile'), false);
  assert.equal(isExcluded('Dockerfile', ['*'], 'other.Dockerfile'), true);
});

test('parent-result walk agrees with one-off matching', () => {
  const pm = new PatternMatcher(['a', '!a/keep', 'b/**/*.log']);
  const top = pm.matchesUsingParentResults('a');
  assert.equal(top.matched, true);
  assert.equal(pm.mayIncludeBelow('a'), true);
  assert.equal(pm.matchesUsingParentResults('a/keep', top.info).matched, false);
  assert.equal(pm.matchesUsingParentResults('a/other', top.info).matched, true);
  const b = pm.matchesUsingParentResults('b');
  assert.equal(b.matched, false);
  assert.equal(pm.matchesUsingParentResults('b/x.log', b.info).matched, true);
  assert.equal(pm.mayIncludeBelow('b'), false);
});

test('illegal patterns', () => {
  assert.throws(() => new PatternMatcher(['!']), /illegal exclusion pattern/);
  assert.throws(() => new PatternMatcher(['[']).matchesOrParentMatches('x'));
});
