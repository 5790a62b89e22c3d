#!/bin/sh
# selfcheck.sh - the exercise checks, checked (part of `make check`, unit
# family, through tests/unit/t_exercises.sh), and the skeletons regenerated.
#
#   tools/exercise/selfcheck.sh [NAME...]              check (default: every exercise in ORDER)
#   tools/exercise/selfcheck.sh --regenerate [NAME...] rewrite docs/exercises/NAME/FILE from
#                                                      today's reference (make exercises-regenerate)
#
# For each exercise it proves:
#   0. the skeleton is today's: tools/exercise/skelgen.py makes it from the
#      reference file (EX_REPL) and tests/exercises/NAME.skel, and the
#      committed docs/exercises/NAME/FILE is that (modulo layout); a
#      mismatch means the reference changed since the skeleton was made:
#      run `make exercises-regenerate`, review the diff, commit it.  And no
#      blanked function changed in the reference since its TODO text was
#      written (the fingerprints in the .skel, which regenerating records:
#      it names the TODO texts to review);
#   1. the reference passes every stage of its exercise: unit checks,
#      simulator, hostile corpus; the speed stage (1 x, trivially) and, as
#      root, the TAP stage run for one exercise only, since their machinery
#      is the same for all.  The regression stage on the reference is the
#      unit and two-stack families of `make check` themselves (the same
#      objects), so it is not rerun;
#   2. the generated skeleton fails every scored check: every unit check
#      and every simulator scenario;
#   3. each typical mistake (tests/exercises/mistakes/NAME/*.mistake,
#      applied to the reference by skelgen.py: every edit must match the
#      reference exactly once) fails a check of the stage its header names
#      (Stage:, default 1) with the hint its header names (Hint:).  When the
#      header names the check (Check: a unit check, or sim/ROLE/TASK), only
#      that check runs.
#
# Maintenance rule (docs/exercises/README.md, "For maintainers"): a change
# to a reference file that an exercise replaces is finished when
# `make exercises-regenerate` has been run and this self-check passes.  If
# it reports a @blank function that is gone, or a mistake whose text is not
# found once, update tests/exercises/NAME.skel or the .mistake to today's
# reference; never edit docs/exercises/NAME/FILE by hand.
#
# Time: the reference .so, the driver and each exercise's checks are built
# once and shared; a variant recompiles only its one file (tools/exercise/
# ex.mk).  The seconds each part takes are printed, to see where time goes.
set -u
cd "$(dirname "$0")/../.." || exit 2
REGEN=0
if [ "${1:-}" = --regenerate ]; then
	REGEN=1
	shift
fi
names=${*:-$(cat tests/exercises/ORDER)}
FAILS=0
OUT=build/ex/selfcheck
mkdir -p "$OUT"
export NO_COLOR=1
# Debian's python3 (tools/deps.sh) when there is one: a version manager's
# shim in PATH costs ten times its start-up, paid at every call.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
GEN="$PY tools/exercise/skelgen.py"

fail() {
	FAILS=$((FAILS + 1))
	echo "FAIL $*"
}
# count FILE WORD: lines "  WORD  " (pass / FAIL) in a stage's output.
count() { grep -c "^  $2  " "$1"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }'; }
conf() {
	EX_FILE='' EX_REPL='' EX_SIM='' EX_FUZZ='' EX_SPEED='' EX_TAP='' EX_CC=''
	. "tests/exercises/$1.conf"
}

if [ $REGEN -eq 1 ]; then
	for n in $names; do
		[ -f "tests/exercises/$n.conf" ] || continue
		conf "$n"
		dst=docs/exercises/$n/$EX_FILE
		mkdir -p "build/ex/$n/skeleton"
		if ! $GEN stamp "tests/exercises/$n.skel" "$EX_REPL" >"$OUT/$n-stamp"; then
			fail "$n: tests/exercises/$n.skel does not fit $EX_REPL (above)"
			continue
		fi
		while read -r f old new; do
			if [ "$old" = - ]; then
				echo "$n: $f: fingerprint recorded ($new)"
			else
				echo "$n: $f changed in $EX_REPL since its TODO text was written: review the TODO in tests/exercises/$n.skel (does the learner now have to do something new?), then commit"
			fi
		done <"$OUT/$n-stamp"
		if ! $GEN make "tests/exercises/$n.skel" "$EX_REPL" "build/ex/$n/skeleton/$EX_FILE" >/dev/null; then
			fail "$n: tests/exercises/$n.skel does not fit $EX_REPL (above)"
			continue
		fi
		if cmp -s "build/ex/$n/skeleton/$EX_FILE" "$dst"; then
			echo "$n: $dst is up to date"
		else
			cp "build/ex/$n/skeleton/$EX_FILE" "$dst"
			echo "$n: $dst regenerated from $EX_REPL (review: git diff $dst)"
		fi
	done
	[ $FAILS -eq 0 ]
	exit
fi

t0=$(now)
# The shared products, once: the reference objects and suites, the reference
# .so and the simulator's driver.
if ! make --no-print-directory -s -j2 V=asan tests ex-driver >"$OUT/build.log" 2>&1; then
	fail "the reference does not build: $OUT/build.log"
	tail -n 20 "$OUT/build.log"
	exit 1
fi
echo "selfcheck: shared builds $(secs "$t0") s"
SPEED_DONE=0 TAP_DONE=0 CORPUS_DONE=''
export EX_PREBUILT=1
[ "$(id -u)" -eq 0 ] && [ -c /dev/net/tun ] || TAP_DONE=1

for n in $names; do
	[ -f "tests/exercises/$n.conf" ] || continue
	conf "$n"
	start=$(now)

	# 0. The skeleton, from today's reference.  The committed one may be
	# the working file (a maintainer's regenerated one) or HEAD's (a
	# learner's checkout, where the working file is their work).
	skel=build/ex/$n/skeleton/$EX_FILE
	mkdir -p "build/ex/$n/skeleton"
	committed=docs/exercises/$n/$EX_FILE
	head=$OUT/$n-committed-skeleton
	git show "HEAD:$committed" >"$head" 2>/dev/null || cp "$committed" "$head"
	$GEN make "tests/exercises/$n.skel" "$EX_REPL" "$skel" "$committed" "$head" >"$OUT/$n-stale"
	case $? in
	0) ;;
	3)
		fail "$n: $committed is not the skeleton that tools/exercise/skelgen.py makes from today's $EX_REPL: run 'make exercises-regenerate', review 'git diff $committed' and commit it"
		diff -u "$committed" "$skel" | head -n 20 | sed 's/^/   | /'
		;;
	4)
		while read -r f old new; do
			fail "$n: $f in $EX_REPL changed since its TODO text in tests/exercises/$n.skel was written (ref=$old, now $new): review that TODO (does the learner now have to do something new?), then run 'make exercises-regenerate', which records the new fingerprint"
		done <"$OUT/$n-stale"
		;;
	*)
		fail "$n: tests/exercises/$n.skel does not fit $EX_REPL any more (above): update the spec"
		continue
		;;
	esac
	t_gen=$(secs "$start")

	# 1. The reference.  Its hostile stage replays a shared corpus
	# (tests/fuzz/corpus/HARNESS) through the same reference stack whatever
	# the exercise: once per harness is enough; a corpus of the exercise's
	# own (HARNESS-NAME) is replayed each time.
	t=$(now)
	stages=1,3
	for h in $EX_FUZZ; do
		case " $CORPUS_DONE " in
		*" $h "*) [ -d "tests/fuzz/corpus/$h-$n" ] && stages=1,3,4 ;;
		*) stages=1,3,4 ;;
		esac
	done
	if [ $SPEED_DONE -eq 0 ] && [ -n "$EX_SPEED" ]; then stages=$stages,5 SPEED_DONE=1; fi
	if [ $TAP_DONE -eq 0 ] && [ -n "$EX_TAP" ]; then stages=$stages,6 TAP_DONE=1; fi
	log=$OUT/$n-reference.log
	EX_CORPUS_DONE=$CORPUS_DONE NAME=$n STAGES=$stages tools/exercise/run.sh exercise-solution >"$log" 2>&1
	rc=$?
	case $stages in *4*) CORPUS_DONE="$CORPUS_DONE $EX_FUZZ" ;; esac
	fails=$(count "$log" FAIL)
	if [ $rc -ne 0 ] || [ "$fails" -ne 0 ]; then
		fail "$n: the reference fails $fails check(s) (exit $rc): $log"
		grep -A 6 '^  FAIL' "$log" | head -n 30 | sed 's/^/   | /'
	fi
	ref_line="reference passes $(count "$log" pass) (stages $stages)"
	t_ref=$(secs "$t")

	# 2. The skeleton: every unit check and every scenario fails.
	t=$(now)
	log=$OUT/$n-skeleton.log
	VARIANT_SRC=$skel VARIANT_DIR=build/ex/$n/selfcheck-skeleton \
		NAME=$n STAGES=1,3 tools/exercise/run.sh exercise >"$log" 2>&1
	passes=$(count "$log" pass)
	fails=$(count "$log" FAIL)
	if grep -qE '^  FAIL  build(:| failed)' "$log"; then
		fail "$n: the skeleton does not compile (it must, with -Werror): $log"
		grep '^    |' "$log" | head -n 10
	elif [ "$passes" -ne 0 ] || [ "$fails" -eq 0 ]; then
		fail "$n: the skeleton passes $passes check(s), fails $fails: $log"
		grep '^  pass' "$log" | sed 's/^/   | /'
	fi
	skel_line="skeleton fails $fails of $((fails + passes))"
	t_skel=$(secs "$t")

	# 3. The typical mistakes.
	t=$(now)
	caught=0 total=0
	for p in tests/exercises/mistakes/"$n"/*.mistake; do
		[ -e "$p" ] || continue
		total=$((total + 1))
		m=$(basename "$p" .mistake)
		hint=$(sed -n 's/^Hint: *//p' "$p" | head -n 1)
		stage=$(sed -n 's/^Stage: *//p' "$p" | head -n 1)
		check=$(sed -n 's/^Check: *//p' "$p" | head -n 1)
		d=build/ex/$n/selfcheck-$m
		mkdir -p "$d"
		src=$d/$(basename "$EX_REPL")
		if ! $GEN mistake "$p" "$EX_REPL" >"$src.tmp" 2>"$d/apply.log"; then
			fail "$n/$m: $(cat "$d/apply.log")"
			continue
		fi
		# Rewritten only when it changed: make rebuilds nothing otherwise.
		cmp -s "$src.tmp" "$src" || mv "$src.tmp" "$src"
		rm -f "$src.tmp"
		log=$OUT/$n-mistake-$m.log
		VARIANT_SRC=$src VARIANT_DIR=$d NAME=$n STAGES=${stage:-1} CHECK=$check \
			tools/exercise/run.sh exercise >"$log" 2>&1
		if grep -qE '^  FAIL  build(:| failed)' "$log"; then
			fail "$n/$m: the mistake does not compile: $log"
		elif grep -q "^no check named" "$log"; then
			fail "$n/$m: its Check: $check names no check of $n: $log"
		elif [ "$(count "$log" FAIL)" -eq 0 ]; then
			fail "$n/$m: no check fails on this mistake ($(sed -n 's/^Mistake: *//p' "$p")): $log"
		elif ! grep -q "hint \[$hint\]" "$log"; then
			fail "$n/$m: checks fail, but none with hint [$hint]; hints given: $(grep -o 'hint \[[^]]*\]' "$log" | sort -u | tr '\n' ' ')"
		else
			caught=$((caught + 1))
		fi
	done
	t_mis=$(secs "$t")
	echo "$n: $ref_line; $skel_line; $caught of $total typical mistakes named by their hint ($(secs "$start") s: skeleton made in $t_gen, reference $t_ref, skeleton run $t_skel, mistakes $t_mis)"
done
echo "selfcheck: $(secs "$t0") s in all"
[ $FAILS -eq 0 ] && echo "selfcheck: every exercise checked" || echo "selfcheck: $FAILS problem(s)"
[ $FAILS -eq 0 ]
