#!/bin/sh
# selfcheck.sh - the exercise checks, checked (part of `make check`, unit
# family, through tests/unit/t_exercises.sh):
#
#   1. the reference passes every stage of every exercise: unit checks,
#      simulator, hostile corpus, speed (1 x, trivially), and the TAP stage
#      when root (for one exercise: the machinery is the same for all).  The
#      regression stage on the reference is the unit and two-stack families
#      of `make check` themselves (the same objects), so it is not rerun;
#   2. the untouched skeleton fails every scored check: every unit check and
#      every simulator scenario;
#   3. each typical mistake (tests/exercises/mistakes/NAME/*.patch, applied
#      to the reference file) fails at least one check of the stage its
#      header names (Stage:, default 1) with the hint its header names
#      (Hint:), so the learner who makes it is told what it is.
#
#   tools/exercise/selfcheck.sh [NAME...]     default: every exercise in ORDER
#
# Variants are built by recompiling only the replaced file and relinking
# (tools/exercise/ex.mk), and each runs only the stages it must fail.
set -u
cd "$(dirname "$0")/../.." || exit 2
names=${*:-$(cat tests/exercises/ORDER)}
FAILS=0
OUT=build/ex/selfcheck
mkdir -p "$OUT"
export NO_COLOR=1

fail() {
	FAILS=$((FAILS + 1))
	echo "FAIL $*"
}
# count FILE WORD: lines "  WORD  " (pass / FAIL) in a stage's output.
count() { grep -c "^  $2  " "$1"; }

for n in $names; do
	[ -f "tests/exercises/$n.conf" ] || continue
	EX_FILE='' EX_REPL='' EX_SIM='' EX_FUZZ='' EX_SPEED='' EX_TAP=''
	. "tests/exercises/$n.conf"
	start=$(date +%s)

	# 1. The reference, every stage but regression (see above).
	stages=1,3,4,5
	if [ "$n" = arp ] && [ "$(id -u)" -eq 0 ] && [ -c /dev/net/tun ]; then stages=$stages,6; fi
	log=$OUT/$n-reference.log
	NAME=$n STAGES=$stages tools/exercise/run.sh exercise-solution >"$log" 2>&1
	rc=$?
	fails=$(count "$log" FAIL)
	if [ $rc -ne 0 ] || [ "$fails" -ne 0 ]; then
		fail "$n: the reference fails $fails check(s) (exit $rc): $log"
		grep -A 6 '^  FAIL' "$log" | head -n 30 | sed 's/^/   | /'
	fi
	ref_line="reference $(count "$log" pass) checks pass"

	# 2. The skeleton: every unit check and every scenario fails.
	log=$OUT/$n-skeleton.log
	VARIANT_SRC=docs/exercises/$n/$EX_FILE VARIANT_DIR=build/ex/$n/selfcheck-skeleton \
		NAME=$n STAGES=1,3 tools/exercise/run.sh exercise >"$log" 2>&1
	passes=$(count "$log" pass)
	fails=$(count "$log" FAIL)
	if grep -q '^  FAIL  build' "$log"; then
		fail "$n: the untouched skeleton does not compile (it must, with -Werror): $log"
	elif [ "$passes" -ne 0 ] || [ "$fails" -eq 0 ]; then
		fail "$n: the untouched skeleton passes $passes check(s), fails $fails: $log"
		grep '^  pass' "$log" | sed 's/^/   | /'
	fi
	skel_line="skeleton fails $fails of $((fails + passes))"

	# 3. The typical mistakes.
	caught=0 total=0
	for p in tests/exercises/mistakes/"$n"/*.patch; do
		[ -e "$p" ] || continue
		total=$((total + 1))
		m=$(basename "$p" .patch)
		hint=$(sed -n 's/^Hint: *//p' "$p" | head -n 1)
		stage=$(sed -n 's/^Stage: *//p' "$p" | head -n 1)
		d=build/ex/$n/selfcheck-$m
		mkdir -p "$d"
		src=$d/$(basename "$EX_REPL")
		if ! patch -s -o "$src" "$EX_REPL" <"$p" >"$d/patch.log" 2>&1; then
			fail "$n/$m: the patch no longer applies to $EX_REPL ($d/patch.log)"
			continue
		fi
		log=$OUT/$n-mistake-$m.log
		VARIANT_SRC=$src VARIANT_DIR=$d NAME=$n STAGES=${stage:-1} \
			tools/exercise/run.sh exercise >"$log" 2>&1
		if grep -q '^  FAIL  build' "$log"; then
			fail "$n/$m: the mistake does not compile: $log"
		elif [ "$(count "$log" FAIL)" -eq 0 ]; then
			fail "$n/$m: no check fails on this mistake ($(sed -n 's/^Mistake: *//p' "$p")): $log"
		elif ! grep -q "hint \[$hint\]" "$log"; then
			fail "$n/$m: checks fail, but none with hint [$hint]; hints given: $(grep -o 'hint \[[^]]*\]' "$log" | sort -u | tr '\n' ' ')"
		else
			caught=$((caught + 1))
		fi
	done
	echo "$n: $ref_line; $skel_line; $caught of $total typical mistakes named by their hint ($(($(date +%s) - start)) s)"
done
[ $FAILS -eq 0 ] && echo "selfcheck: every exercise checked" || echo "selfcheck: $FAILS problem(s)"
[ $FAILS -eq 0 ]
