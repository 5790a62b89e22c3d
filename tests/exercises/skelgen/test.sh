#!/bin/sh
# test.sh - tools/exercise/skelgen.py checked on a small reference of its
# own (ref.c): what a skeleton keeps, blanks and removes (and warns of),
# that it compiles with -Werror, that a mistake must match exactly once, that a changed
# blanked function is reported, and that layout does not count.
# Run by tests/unit/t_exercises.sh before the self-check.
set -u
cd "$(dirname "$0")" || exit 2
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
G="$PY ../../../tools/exercise/skelgen.py"
T=${TMPDIR:-/tmp}/skelgen-test.$$
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
FAILS=0
no() {
	echo "FAIL skelgen: $*"
	FAILS=$((FAILS + 1))
}

$G skeleton ref.skel ref.c >"$T/skel.c" 2>"$T/warn" || no "skeleton failed"
# A static removed with the blanked functions is named, unless @drop says so.
grep -q 'warning: ref.skel: static helper removed' "$T/warn" || no "no warning for helper: $(cat "$T/warn")"
[ "$(grep -c warning "$T/warn")" -eq 1 ] || no "warnings for statics @drop names: $(cat "$T/warn")"
${CC:-cc} -std=gnu11 -Wall -Wextra -Werror -c "$T/skel.c" -o "$T/skel.o" || no "the skeleton does not compile with -Werror"
grep -q 'YOUR VERSION' "$T/skel.c" || no "the @head comment is missing"
for gone in 'helper3' 'table\[4\]' 'helper2(' 'static int helper(' 'helper(p' 'return x > 0' 'struct thing t ='; do
	grep -q "$gone" "$T/skel.c" && no "'$gone' is still in the skeleton"
done
for kept in 'static int given' 'static int shared' 'return shared(x) + 1' 'TODO: read a and b.' \
	'return -1;' 'return false;' 'return (struct thing){0};' 'return NULL;' '(void)cb;' '(void)v;' \
	'(void)out;'; do
	grep -qF "$kept" "$T/skel.c" || no "'$kept' is missing from the skeleton"
done
grep -q '__attribute__((unused)) static int given' "$T/skel.c" || no "@keep given is not marked unused"
$G mistake ok.mistake ref.c >"$T/m.c" || no "a mistake that matches once did not apply"
grep -q 'return x;' "$T/m.c" || no "the mistake's replacement is missing"
$G mistake twice.mistake ref.c >/dev/null 2>"$T/err" && no "a mistake matching twice applied"
grep -q 'found 2 times' "$T/err" || no "no 'found 2 times' message: $(cat "$T/err")"
$G mistake gone.mistake ref.c >/dev/null 2>"$T/err" && no "a mistake matching nothing applied"
grep -q 'found 0 times' "$T/err" || no "no 'found 0 times' message: $(cat "$T/err")"
cp ref.skel "$T/s.skel"
$G stamp "$T/s.skel" ref.c >/dev/null || no "stamp failed"
$G stale "$T/s.skel" ref.c >/dev/null || no "stale right after stamp"
sed 's/return x ? "one" : "zero";/return x ? "One" : "zero";/' ref.c >"$T/ref2.c"
$G stale "$T/s.skel" "$T/ref2.c" >"$T/st" && no "a changed blanked function is not reported"
grep -q '^name_of ' "$T/st" || no "stale does not name name_of: $(cat "$T/st")"
sed 's/^int keeps(int x)$/int keeps(int y)/; s/return shared(x) + 1;/return shared(y) + 1;/' ref.c >"$T/ref3.c"
$G stale "$T/s.skel" "$T/ref3.c" >/dev/null || no "a change outside the blanked functions is reported as stale"
sed 's/^int parse_it(/int parse_that(/' ref.c >"$T/ref4.c"
$G skeleton ref.skel "$T/ref4.c" >/dev/null 2>"$T/err" && no "a @blank of a renamed function was accepted"
grep -q 'parse_it: no such function' "$T/err" || no "no message naming parse_it: $(cat "$T/err")"
tr '\t' ' ' <"$T/skel.c" | clang-format --style='{ColumnLimit: 60}' >"$T/fmt.c" 2>/dev/null || sed 's/^ *//' "$T/skel.c" >"$T/fmt.c"
$G same "$T/skel.c" "$T/fmt.c" || no "a reformatted skeleton is not the same"
sed 's/return -1;/return -2;/' "$T/skel.c" >"$T/diff.c"
$G same "$T/skel.c" "$T/diff.c" && no "a changed skeleton counts as the same"
[ $FAILS -eq 0 ] && echo "skelgen: every case passed"
[ $FAILS -eq 0 ]
