// Word expansion tables (BuildKit shell lexer semantics).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { envFromList, ShellLex, ShellLexError } from '../src/builder/parser/shell-lex.ts';
import { goDuration, goQuote, goQuoteSlice } from '../src/builder/parser/go-quote.ts';

const ENV = envFromList(['PWD=/home', 'SHELL=bash', 'NULL=', 'SPACE=abc  def', 'LEAD=  ab c', 'FILE=dir/sub/file.tar.gz']);

// [input, expected ('ERR' for an error)]
const WORD: Array<[string, string]> = [
  ['hello', 'hello'],
  ["he'll'o", 'hello'],
  ["he'llo", 'ERR'],
  ["he\\'llo", "he'llo"],
  ['abc\\tdef', 'abctdef'],
  ['"abc\\tdef"', 'abc\\tdef'],
  ["'abc\\tdef'", 'abc\\tdef'],
  ['hello\\', 'hello'],
  ['hello\\\\', 'hello\\'],
  ['"hello', 'ERR'],
  ['"hel\'lo"', "hel'lo"],
  ["'hello\\'", 'hello\\'],
  ['$.', '$.'],
  ['he$1x', 'hex'],
  ['he$PWD', 'he/home'],
  ['he\\$PWD', 'he$PWD'],
  ['he\\\\$PWD', 'he\\/home'],
  ['"he\\$PWD"', 'he$PWD'],
  ['\\${}', '${}'],
  ['${}', 'ERR'],
  ['he${hi}xx', 'hexx'],
  ['he${PWD}', 'he/home'],
  ['he${.}', 'ERR'],
  ['he${XXX:-000}xx', 'he000xx'],
  ['he${PWD:-000}xx', 'he/homexx'],
  ['he${XXX:-$PWD}xx', 'he/homexx'],
  ['he${XXX:-${PWD:-yyy}}xx', 'he/homexx'],
  ['he${XXX:-${YYY:-yyy}}xx', 'heyyyxx'],
  ['he${NULL:-dflt}', 'hedflt'],
  ['he${NULL-dflt}', 'he'],
  ['he${XXX-dflt}', 'hedflt'],
  ['he${XXX:YYY}', 'ERR'],
  ['he${XXX?}', 'ERR'],
  ['he${PWD:?}', 'he/home'],
  ['he${NULL?}', 'he'],
  ['he${NULL:?}', 'ERR'],
  ['he${XXX:+${PWD}}xx', 'hexx'],
  ['he${PWD:+${SHELL}}xx', 'hebashxx'],
  ['he${PWD:+000}xx', 'he000xx'],
  ['he${NULL:+alt}', 'he'],
  ['he${NULL+alt}', 'healt'],
  ['he${XXX+alt}', 'he'],
  ["'he${XX}'", 'he${XX}'],
  ['"he${PWD}"', 'he/home'],
  ['"he\'$PWD\'"', "he'/home'"],
  ["'$PWD'", '$PWD'],
  ['he${PWD', 'ERR'],
  ['he${PWD:=000}xx', 'ERR'],
  ['he${PWD:+${PWD}:}xx', 'he/home:xx'],
  ['he${XXX:-\\$PWD:}xx', 'he$PWD:xx'],
  ['안\'녕\'하세요', '안녕하세요'],
  ['${FILE#*/}', 'sub/file.tar.gz'],
  ['${FILE##*/}', 'file.tar.gz'],
  ['${FILE%.*}', 'dir/sub/file.tar'],
  ['${FILE%%.*}', 'dir/sub/file'],
  ['${FILE/sub/SUB}', 'dir/SUB/file.tar.gz'],
  ['${FILE//i/I}', 'dIr/sub/fIle.tar.gz'],
  ['${SPACE}', 'abc  def'],
  ['a b  c', 'a b  c'],
];

for (const [input, want] of WORD) {
  test(`processWord ${input}`, () => {
    const lex = new ShellLex('\\');
    if (want === 'ERR') assert.throws(() => lex.processWord(input, ENV), ShellLexError);
    else assert.equal(lex.processWord(input, ENV), want);
  });
}

const WORDS: Array<[string, string[]]> = [
  ['hello', ['hello']],
  ['hello${SPACE}bye', ['helloabc', 'defbye']],
  ['hello"${SPACE}"bye', ['helloabc  defbye']],
  ['hello "${SPACE}"bye', ['hello', 'abc  defbye']],
  ['hello${LEAD}def', ['hello', 'ab', 'cdef']],
  ['hello" there  "', ['hello there  ']],
  ['hello there     ', ['hello', 'there']],
  ['hello\\ there', ['hello there']],
  ['hello\\" there', ['hello"', 'there']],
  ['hello"\\\\there"', ['hello\\there']],
  ["hello'\\\\there'", ['hello\\\\there']],
  ["hello'$there'", ['hello$there']],
];
for (const [input, want] of WORDS) {
  test(`processWords ${input}`, () => {
    assert.deepEqual(new ShellLex('\\').processWords(input, ENV), want);
  });
}

test('backtick escape token', () => {
  const lex = new ShellLex('`');
  assert.equal(lex.processWord('c:\\path\\to', ENV), 'c:\\path\\to');
  assert.equal(lex.processWord('a` b', ENV), 'a b');
  assert.equal(lex.processWord('"q`"x"', ENV), 'q"x');
  assert.equal(lex.processWord('`$PWD', ENV), '$PWD');
});

test('skipUnsetEnv keeps unset references; matches are reported', () => {
  const lex = new ShellLex('\\', { skipUnsetEnv: true });
  assert.equal(lex.processWord('$NOPE ${NOPE} ${NOPE:-x} $PWD', ENV), '$NOPE ${NOPE} ${NOPE:-x} /home');
  const r = new ShellLex().process('$PWD $NOPE', ENV);
  assert.deepEqual([...r.matched], ['PWD']);
  assert.deepEqual([...r.unmatched], ['NOPE']);
});

test('error messages name the word', () => {
  assert.throws(() => new ShellLex().processWord('a${B', ENV), /failed to process "a\$\{B": syntax error: missing '}'/);
  assert.throws(() => new ShellLex().processWord('${X:?must be set}', ENV), /X: must be set/);
});

test('Go quoting and durations', () => {
  assert.equal(goQuote('a"b\\c\n\t\x01é'), '"a\\"b\\\\c\\n\\t\\x01é"');
  assert.equal(goQuoteSlice(['cat', '/a']), '["cat" "/a"]');
  assert.equal(goQuoteSlice(null), '[]');
  assert.equal(goDuration(0), '0s');
  assert.equal(goDuration(30e9), '30s');
  assert.equal(goDuration(90e9), '1m30s');
  assert.equal(goDuration(3600e9), '1h0m0s');
  assert.equal(goDuration(1.5e9), '1.5s');
  assert.equal(goDuration(500e6), '500ms');
  assert.equal(goDuration(1500), '1.5µs');
});
