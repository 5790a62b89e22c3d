#!/bin/sh
# run.sh OUTDIR SECONDS NAME:MAXLEN[:DICT] ... - runs each fuzzer in turn for
# SECONDS (niced, one process: the other core stays free), keeping a working
# corpus in OUTDIR/corpus/NAME seeded from OUTDIR/seeds/NAME, and crash inputs
# in OUTDIR/artifacts/.  Prints one summary line per fuzzer; exits 1 if any
# fuzzer crashed (its log and reproducer are named in the summary).
set -u

out=$1 secs=$2
shift 2
status=0
summary=""
for spec in "$@"; do
	name=${spec%%:*}
	rest=${spec#*:}
	maxlen=${rest%%:*}
	dict=""
	[ "$rest" != "$maxlen" ] && dict="-dict=${rest#*:}"
	corpus=$out/corpus/$name
	mkdir -p "$corpus" "$out/artifacts" "$out/logs"
	log=$out/logs/$name.log
	before=$(ls "$out/artifacts" | grep -c "^$name-" || true)
	echo "fuzz: $name for ${secs}s (max_len $maxlen), log $log"
	# -timeout: one input running over 10 s is a hang worth reporting.
	nice -n 10 "$out/$name" -max_total_time="$secs" -max_len="$maxlen" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 $dict \
		-artifact_prefix="$out/artifacts/$name-" "$corpus" "$out/seeds/$name" >"$log" 2>&1
	rc=$?
	after=$(ls "$out/artifacts" | grep -c "^$name-" || true)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	files=$(ls "$corpus" | wc -l)
	if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
		status=1
		art=$(ls -t "$out/artifacts" | grep "^$name-" | head -1)
		why=$(grep -m1 -E '^==[0-9]+==ERROR|^==fuzz invariant==|^SUMMARY' "$log")
		line="$name: CRASH (exit $rc) after ${runs:-?} runs: $why; input $out/artifacts/$art"
	else
		line="$name: ok, ${runs:-?} runs in ${secs}s, ${cov:-cov: ?}, corpus $files inputs"
	fi
	summary="$summary$line
"
done
echo "fuzz summary:"
printf "%s" "$summary" | sed 's/^/  /'
exit $status
