#!/bin/sh
# run.sh - the protocol-layer exercises (docs/exercises/README.md).
#
#   tools/exercise/run.sh exercise           NAME=x: the learner's file, every stage
#   tools/exercise/run.sh exercise-solution  NAME=x: the same stages on the reference
#   tools/exercise/run.sh exercises          the progress table (MINE=all: every
#                                            finished exercise linked together)
#
# Environment (from make): NAME, CHECK (one check: a unit check name,
# sim/ROLE/TASK, hostile, speed, tap, or regression), SEED (default 1),
# STAGES (e.g. 1,3: run only these, ungated), MINE (all).  VARIANT_SRC and
# VARIANT_DIR override the file under test and its build directory (the
# self-check uses them for skeletons and typical mistakes); EX_PREBUILT=1
# says the reference objects are built already (the self-check builds them
# once); EX_CORPUS_DONE="frame ..." names harnesses whose shared corpus
# (tests/fuzz/corpus/HARNESS) this same stack has replayed already: only
# the exercise's own (tests/fuzz/corpus/HARNESS-NAME) is replayed then.
#
# Each exercise is described by tests/exercises/NAME.conf (shell), its
# skeleton by tests/exercises/NAME.skel (tools/exercise/skelgen.py makes
# docs/exercises/NAME/EX_FILE from the reference with it: never edit that
# file by hand, run `make exercises-regenerate`; docs/exercises/README.md,
# "For maintainers"):
#   EX_FILE    the learner's file, in docs/exercises/NAME/
#   EX_REPL    the reference file it replaces
#   EX_PREREQ  the exercise to do first (documentation and the table)
#   EX_SIM     simulator scenarios ROLE:TASK[:FAULTS] (tools/exercise/exdrive.c)
#   EX_FUZZ    fuzz harnesses whose corpus to replay (frame, frames)
#   EX_SPEED   the speed scenario
#   EX_TAP     real clients for the TAP stage (arping ping curl nc udp nmap)
#   EX_CC      TCP congestion control of both stacks in stages 3, 5 and 6
#              (--cc; default the stack's, CUBIC): an exercise replacing a
#              congestion-control module names it, so that it runs
#
# Stages: 1 unit checks, 2 regression (the unit and two-stack suites
# relinked), 3 simulator (learner vs reference, seeded faults), 4 hostile
# (the fuzz corpus), 5 speed (relative to the reference), 6 TAP (root).
# Stages 2 to 6 wait for stage 1 to pass (STAGES= runs them anyway).
# Exit 0 when no stage failed.  Results go to DIR/result for the table.
set -u
cd "$(dirname "$0")/../.." || exit 2
MODE=${1:-exercise}
NAME=${NAME:-}
CHECK=${CHECK:-}
SEED=${SEED:-1}
STAGES=${STAGES:-}
MAKE="make --no-print-directory -s -j2"
export TS_FRAMES_DIR="$PWD/tests/frames"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_odr_violation=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [ -t 1 ]; then
	B=$(printf '\033[1m') R=$(printf '\033[31m') G=$(printf '\033[32m') Y=$(printf '\033[33m') N=$(printf '\033[0m')
else
	B='' R='' G='' Y='' N=''
fi

list() { cat tests/exercises/ORDER; }
usage_names() {
	echo "exercises, in order:" >&2
	for n in $(list); do
		[ -f "tests/exercises/$n.conf" ] && echo "  $n" >&2
	done
}
load_conf() { # name
	if [ ! -f "tests/exercises/$1.conf" ]; then
		echo "run.sh: no exercise named '$1'" >&2
		usage_names
		exit 2
	fi
	EX_FILE='' EX_REPL='' EX_PREREQ='' EX_SIM='' EX_FUZZ='' EX_SPEED='' EX_TAP='' EX_CC=''
	. "tests/exercises/$1.conf"
}

want_stage() { # n: whether stage n runs (STAGES= narrows; CHECK= picks its stage)
	if [ -n "$STAGES" ]; then
		case ",$STAGES," in *",$1,"*) return 0 ;; *) return 1 ;; esac
	fi
	if [ -n "$CHECK" ]; then
		case $CHECK in
		sim/*) [ "$1" = 3 ] ;;
		hostile) [ "$1" = 4 ] ;;
		speed) [ "$1" = 5 ] ;;
		tap) [ "$1" = 6 ] ;;
		regression*) [ "$1" = 2 ] ;;
		*) [ "$1" = 1 ] ;;
		esac
		return
	fi
	return 0
}
gated() { [ -z "$STAGES" ] && [ -z "$CHECK" ] && [ "$S1" != pass ]; }

# build V TARGET: the variant's products; a compiler error is shown as is.
build() {
	$MAKE V="$1" "$2" EXNAME="$NAME" EXSRC="$SRC" EXREPL="$REPL" EXD="$DIR" \
		>"$DIR/build-$2-$1.log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		if grep -q "^$SRC:" "$DIR/build-$2-$1.log" 2>/dev/null; then
			echo "  ${R}FAIL${N}  build: your file does not compile with -Wall -Wextra -Werror"
		else
			echo "  ${R}FAIL${N}  build failed"
		fi
		grep -E 'error|warning|undefined reference' "$DIR/build-$2-$1.log" | head -n 20 | sed 's/^/    | /'
		echo "    full log: $DIR/build-$2-$1.log"
	fi
	return $rc
}

stage_head() { echo; echo "${B}[$1] $2${N}"; }
say_skip() { echo "  ${Y}skipped${N}: $1"; }

# ---- the stages --------------------------------------------------------------------

stage1() {
	stage_head 1 "unit checks of your layer (tests/exercises/${NAME}_test.c)"
	if ! build asan ex-unit; then
		S1=fail U1="build failed"
		return
	fi
	mkdir -p "$DIR/pcap"
	EX_NAME=$NAME EX_OUT="$DIR/pcap" EX_RERUN="$RERUN" EX_SEED=$SEED EX_CHECK=$CHECK \
		"$DIR/asan/ex_unit" >"$DIR/unit.log" 2>&1
	rc=$?
	cat "$DIR/unit.log"
	U1=$(sed -n 's/^unit: \([0-9]*\/[0-9]*\) passed$/\1/p' "$DIR/unit.log")
	NEXT=$(sed -n 's/^  FAIL  \([^ ]*\).*/\1/p' "$DIR/unit.log" | head -n 1)
	[ $rc -eq 0 ] && S1=pass || S1=fail
	[ $rc -eq 2 ] && S1=fail U1="no such check"
}

# Runs one Check binary, prints its failures and a rerun line.
suite() { # label binary
	"$2" >"$DIR/$1.log" 2>&1
	rc=$?
	line=$(grep -E '^[0-9]+%: Checks' "$DIR/$1.log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "  ${G}pass${N}  $1: $line"
		return 0
	fi
	echo "  ${R}FAIL${N}  $1: ${line:-exit $rc}"
	grep -E ':[EF]:' "$DIR/$1.log" | head -n 8 | sed 's/^/    | /'
	t=$(grep -E ':[EF]:' "$DIR/$1.log" | head -n 1 | cut -d: -f5)
	s=$(grep -E ':[EF]:' "$DIR/$1.log" | head -n 1 | cut -d: -f4)
	echo "    log:   $DIR/$1.log"
	[ -n "$t" ] && echo "    rerun: TS_FRAMES_DIR=tests/frames TEST=$t $2      (the Check test of suite $s)"
	return 1
}

stage2() {
	stage_head 2 "regression: the unit and two-stack suites relinked against your layer"
	if gated; then say_skip "the unit checks must pass first"; S2=skip; return; fi
	if ! build asan ex-regress; then S2=fail; return; fi
	S2=pass
	suite unit "$DIR/asan/unit_tests" || S2=fail
	suite twostack "$DIR/asan/twostack_tests" || S2=fail
}

stage3() {
	stage_head 3 "simulator: your stack against the reference, virtual clock, seeded faults"
	if gated; then say_skip "the unit checks must pass first"; S3=skip; return; fi
	if [ -z "$EX_SIM" ]; then say_skip "no scenario for this layer"; S3=skip; return; fi
	if ! build asan ex-so || ! $MAKE V=asan ex-driver >/dev/null 2>&1; then S3=fail; return; fi
	mkdir -p "$DIR/pcap"
	c=''
	case $CHECK in sim/*) c=$CHECK ;; esac
	# shellcheck disable=SC2086
	build/ex/driver/asan/exdrive --mine "$DIR/asan/variant.so" --ref build/ex/ref/asan/node.so \
		--out "$DIR/pcap" --seed "$SEED" --rerun "$RERUN" ${c:+--check "$c"} \
		${EX_CC:+--cc "$EX_CC"} $EX_SIM \
		>"$DIR/sim.log" 2>&1
	rc=$?
	cat "$DIR/sim.log"
	U3=$(sed -n 's/^sim: \([0-9]*\/[0-9]*\) passed$/\1/p' "$DIR/sim.log")
	[ -z "$NEXT" ] && NEXT=$(sed -n 's/^  FAIL  \([^ ]*\).*/\1/p' "$DIR/sim.log" | head -n 1)
	[ $rc -eq 0 ] && S3=pass || S3=fail
}

stage4() {
	stage_head 4 "hostile: the fuzz corpus of your layer (ASan, UBSan), no crash allowed"
	if gated; then say_skip "the unit checks must pass first"; S4=skip; return; fi
	if [ -z "$EX_FUZZ" ]; then say_skip "no corpus for this layer"; S4=skip; return; fi
	if ! build asan ex-fuzz; then S4=fail; return; fi
	S4=pass
	for h in $EX_FUZZ; do
		dirs=""
		for d in "tests/fuzz/corpus/$h-$NAME" "tests/fuzz/corpus/$h"; do
			case " ${EX_CORPUS_DONE:-} " in *" $h "*) [ "$d" = "tests/fuzz/corpus/$h" ] && continue ;; esac
			[ -d "$d" ] && dirs="$dirs $d"
		done
		if [ -z "$dirs" ]; then
			echo "  ${G}pass${N}  hostile/$h: no corpus of its own (the shared one was replayed before)"
			continue
		fi
		# shellcheck disable=SC2086
		"$DIR/asan/fuzz_$h" $dirs >"$DIR/hostile-$h.log" 2>&1
		rc=$?
		n=$(sed -n 's/^replay: \([0-9]*\) inputs$/\1/p' "$DIR/hostile-$h.log")
		if [ $rc -eq 0 ]; then
			echo "  ${G}pass${N}  hostile/$h: $n hostile inputs, no crash, no leak, every frame sent well-formed"
		else
			S4=fail
			input=$(grep '^replay: ' "$DIR/hostile-$h.log" | grep -v inputs | tail -n 1 | cut -d' ' -f2)
			echo "  ${R}FAIL${N}  hostile/$h: input $input"
			grep -E 'ERROR|==fuzz invariant==|runtime error|#[0-9] ' "$DIR/hostile-$h.log" | head -n 12 | sed 's/^/    | /'
			echo "    hint [hostile.crash]: bad input is normal input: check every length against what is really there before reading (stack/drop.h names a drop reason for each case)"
			echo "    input: $input   (tests/fuzz/hex2pcap.sh turns a frame into a pcap)"
			echo "    log:   $DIR/hostile-$h.log"
			echo "    rerun: $DIR/asan/fuzz_$h $input"
			[ -z "$NEXT" ] && NEXT=hostile
		fi
	done
}

stage5() {
	stage_head 5 "speed: CPU time against the reference in the same run (optimised build)"
	if gated; then say_skip "the unit checks must pass first"; S5=skip; return; fi
	if [ -z "$EX_SPEED" ]; then say_skip "no speed scenario for this layer"; S5=skip; return; fi
	if [ "$S3" = fail ]; then say_skip "the simulator stage must pass first"; S5=skip; return; fi
	if ! build rel ex-so || ! $MAKE V=rel ex-driver >/dev/null 2>&1; then S5=fail; return; fi
	build/ex/driver/rel/exdrive --speed --mine "$DIR/rel/variant.so" --ref build/ex/ref/rel/node.so \
		--reps 3 --bar 3 ${EX_CC:+--cc "$EX_CC"} $EX_SPEED >"$DIR/speed.log" 2>&1
	rc=$?
	grep -v '^speed-ratio' "$DIR/speed.log"
	U5=$(sed -n 's/^speed-ratio: //p' "$DIR/speed.log")
	[ $rc -eq 0 ] && S5=pass || S5=fail
	[ $rc -ne 0 ] && [ -z "$NEXT" ] && NEXT=speed
}

stage6() {
	stage_head 6 "TAP: your stack against Linux with real clients ($EX_TAP)"
	if gated; then say_skip "the unit checks must pass first"; S6=skip; return; fi
	if [ "$(id -u)" -ne 0 ]; then
		say_skip "needs root (a network namespace and /dev/net/tun): sudo make $MODE NAME=$NAME"
		S6=skip
		return
	fi
	if [ ! -c /dev/net/tun ] || ! ip netns add tsex-probe 2>/dev/null; then
		say_skip "no /dev/net/tun or network namespaces on this machine"
		S6=skip
		return
	fi
	ip netns del tsex-probe
	if ! build asan ex-tap; then S6=fail; return; fi
	EX_CC=$EX_CC sh tools/exercise/tap_stage.sh "$DIR/asan/tapstack" "$DIR" "$EX_TAP"
	rc=$?
	[ $rc -eq 0 ] && S6=pass || S6=fail
	[ $rc -ne 0 ] && [ -z "$NEXT" ] && NEXT=tap
}

word() { # state detail
	case $1 in
	pass) echo "${G}${2:-passed}${N}" ;;
	fail) echo "${R}${2:-FAILED}${N}" ;;
	*) echo "skipped" ;;
	esac
}

run_exercise() {
	load_conf "$NAME"
	if [ -n "${VARIANT_SRC:-}" ]; then
		SRC=$VARIANT_SRC DIR=${VARIANT_DIR:-build/ex/$NAME/variant} RERUN="${VARIANT_RERUN:-make exercise NAME=$NAME}"
	elif [ "$MODE" = exercise-solution ]; then
		SRC=$EX_REPL DIR=build/ex/$NAME/solution RERUN="make exercise-solution NAME=$NAME"
	else
		SRC=docs/exercises/$NAME/$EX_FILE DIR=build/ex/$NAME/mine RERUN="make exercise NAME=$NAME"
	fi
	REPL=$EX_REPL
	mkdir -p "$DIR"
	echo "${B}exercise $NAME${N}: $REPL replaced by $SRC"
	[ -n "$EX_PREREQ" ] && echo "  (do '$EX_PREREQ' first: docs/exercises/$EX_PREREQ/README.md)"
	echo "  build directory: $DIR/   seed: $SEED"
	# The reference objects everything links against.
	if [ "${EX_PREBUILT:-}" != 1 ] && ! $MAKE V=asan tests >"$DIR/build-base.log" 2>&1; then
		echo "run.sh: the reference does not build (see $DIR/build-base.log)" >&2
		exit 1
	fi
	S1=skip S2=skip S3=skip S4=skip S5=skip S6=skip U1='' U3='' U5='' NEXT=''
	if want_stage 1; then stage1; fi
	want_stage 2 && stage2
	want_stage 3 && stage3
	want_stage 4 && stage4
	want_stage 5 && stage5
	want_stage 6 && stage6
	{
		echo "file $(sha1sum "$SRC" | cut -c1-40)"
		echo "unit $S1 ${U1:-}"
		echo "regress $S2"
		echo "sim $S3 ${U3:-}"
		echo "hostile $S4"
		echo "speed $S5 ${U5:-}"
		echo "tap $S6"
		echo "next ${NEXT:-}"
	} >"$DIR/result"
	echo
	echo "${B}$NAME${N}: unit $(word $S1 "${U1:-$S1}") · regression $(word $S2) · simulator $(word $S3 "${U3:-$S3}") · hostile $(word $S4) · speed $(word $S5 "${U5:+$U5 x reference}") · TAP $(word $S6)"
	for s in $S1 $S2 $S3 $S4 $S5 $S6; do
		[ "$s" = fail ] && return 1
	done
	return 0
}

# ---- the progress table -------------------------------------------------------------

cell() { # result-file key
	[ -f "$1" ] || { echo "-"; return; }
	line=$(grep "^$2 " "$1" | head -n 1)
	st=$(echo "$line" | cut -d' ' -f2)
	detail=$(echo "$line" | cut -d' ' -f3-)
	case $st in
	pass) echo "${detail:-pass}" ;;
	fail) echo "${detail:+$detail }FAIL" ;;
	*) echo "-" ;;
	esac
}

table() {
	$MAKE V=asan tests >/dev/null 2>&1 || { echo "run.sh: the reference does not build" >&2; exit 1; }
	printf '%s%-10s %-9s %-9s %-9s %-8s %-9s %-6s %s%s\n' "$B" exercise unit regress simulator hostile speed TAP "next failing check" "$N"
	for NAME in $(list); do
		[ -f "tests/exercises/$NAME.conf" ] || continue
		load_conf "$NAME"
		SRC=docs/exercises/$NAME/$EX_FILE DIR=build/ex/$NAME/mine REPL=$EX_REPL
		mkdir -p "$DIR"
		# Stage 1 is cheap: run it now.  The rest comes from the last full run
		# if the file has not changed since.
		unit="build error" next=""
		if $MAKE V=asan ex-unit EXNAME="$NAME" EXSRC="$SRC" EXREPL="$REPL" EXD="$DIR" >/dev/null 2>&1; then
			EX_OUT="$DIR/pcap" "$DIR/asan/ex_unit" >"$DIR/unit.log" 2>&1
			unit=$(sed -n 's/^unit: \([0-9]*\/[0-9]*\) passed$/\1/p' "$DIR/unit.log")
			next=$(sed -n 's/^  FAIL  \([^ ]*\).*/\1/p' "$DIR/unit.log" | head -n 1)
		fi
		res="$DIR/result"
		if [ -f "$res" ] && [ "$(sed -n 's/^file //p' "$res")" != "$(sha1sum "$SRC" | cut -c1-40)" ]; then
			res=/nonexistent # stale: the file changed since that run
		fi
		[ -z "$next" ] && [ -f "$res" ] && next=$(sed -n 's/^next //p' "$res")
		[ -z "$next" ] && [ ! -f "$res" ] && next="(run: make exercise NAME=$NAME)"
		spd=$(cell "$res" speed)
		case $spd in [0-9]*) spd="${spd%% *}x" ;; esac
		printf '%-10s %-9s %-9s %-9s %-8s %-9s %-6s %s\n' "$NAME" "$unit" "$(cell "$res" regress)" \
			"$(cell "$res" sim)" "$(cell "$res" hostile)" "$spd" "$(cell "$res" tap)" "${next:-—}"
	done
	echo
	echo "unit: checks passed now; the other columns come from your last 'make exercise NAME=x'"
	echo "(- : not run since the file last changed)."
}

# MINE=all: every exercise whose unit checks pass, linked together.
mine_all() {
	srcs=""
	names=""
	repl=""
	$MAKE V=asan tests >/dev/null 2>&1 || exit 1
	for n in $(list); do
		[ -f "tests/exercises/$n.conf" ] || continue
		load_conf "$n"
		d=build/ex/$n/mine
		mkdir -p "$d"
		if $MAKE V=asan ex-unit EXNAME="$n" EXSRC="docs/exercises/$n/$EX_FILE" EXREPL="$EX_REPL" EXD="$d" >/dev/null 2>&1 &&
			EX_OUT="$d/pcap" "$d/asan/ex_unit" >/dev/null 2>&1; then
			srcs="$srcs docs/exercises/$n/$EX_FILE"
			names="$names $n"
			repl="$repl $EX_REPL"
		fi
	done
	if [ -z "$srcs" ]; then
		echo "MINE=all: no exercise passes its unit checks yet (make exercises shows where you are)"
		return 1
	fi
	echo "${B}MINE=all${N}: your$names, linked together"
	# One file is an ordinary variant; several go through a snapshot of stack/.
	NAME=mine-all SRC=$(echo $srcs) REPL=$(echo $repl) DIR=build/ex/mine-all RERUN="make exercises MINE=all"
	mkdir -p "$DIR"
	EX_SIM="client:get=/hello server:get=/hello client:bytes=1000000:loss=2% server:bytes=1000000:loss=2%,reorder=2% server:ping=2/3000 client:echo=200000:loss=1%"
	EX_TAP="ping curl"
	S1=pass S3=skip NEXT=''
	# ex-unit is not used: there is no one layer; build the stack for the other stages.
	stage2
	stage3
	stage6
	[ "$S2" != fail ] && [ "$S3" != fail ] && [ "$S6" != fail ]
}

case $MODE in
exercise | exercise-solution)
	if [ -z "$NAME" ]; then
		echo "usage: make $MODE NAME=<exercise> [CHECK=<check>] [SEED=<n>] [STAGES=1,3]" >&2
		usage_names
		exit 2
	fi
	run_exercise
	;;
exercises)
	if [ "${MINE:-}" = all ]; then mine_all; else table; fi
	;;
*)
	echo "run.sh: unknown mode '$MODE' (exercise, exercise-solution, exercises)" >&2
	exit 2
	;;
esac
