#!/bin/sh
# t_exercises.sh - the exercise checks, checked (tools/exercise/selfcheck.sh):
# each committed skeleton is the one generated from today's reference
# (tools/exercise/skelgen.py; `make exercises-regenerate` after changing a
# file an exercise replaces), the reference passes every stage of every
# exercise, each skeleton fails every scored check, and each typical mistake
# (tests/exercises/mistakes/) fails a check whose hint names it.  First, the
# generator itself on a reference of its own (tests/exercises/skelgen/).
# No root needed (the TAP stage of the reference runs when root is there).
#
#   sh tests/unit/t_exercises.sh [tapstack]      TEST=name checks one exercise
set -u
cd "$(dirname "$0")/../.." || exit 2
if [ -n "${TEST:-}" ]; then
	if ! grep -qx "$TEST" tests/exercises/ORDER; then
		echo "skipped: no test named '$TEST' in t_exercises"
		exit 77
	fi
	sh tests/exercises/skelgen/test.sh || exit 1
	exec tools/exercise/selfcheck.sh "$TEST"
fi
sh tests/exercises/skelgen/test.sh || exit 1
exec tools/exercise/selfcheck.sh
