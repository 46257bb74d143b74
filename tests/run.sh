#!/bin/sh
# Run every test program and count the results.
#
# Each test prints lines "PASS: ..." or "FAIL: ..." (C tests through
# tests/test.h, Python tests through tests/integration/harness.py).  A program
# that exits non-zero without printing a FAIL line (a crash, a sanitizer
# report) counts as one failure.  Logs go to $BUILD/test-logs/.  The last line
# is "N passed, N failed".
set -u
BUILD=${BUILD:-build}
SAN=$BUILD/asan
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"
rm -f "$LOGS"/*.log

export BALIE_FIXTURES=${BALIE_FIXTURES:-tests/fixtures}
export BALIE_BIN=${BALIE_BIN:-$SAN/balie}
export SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0}
PY=${PYTHON:-python3}

passed=0
failed=0
failures=""

run_one() { # name, command...
	name=$1; shift
	log="$LOGS/$(echo "$name" | tr '/' '_').log"
	start=$(date +%s)
	# stdin from /dev/null: run from a real console, balie must not lock it (vt.c)
	timeout -k 10 ${TEST_TIMEOUT:-600} "$@" <"/dev/null" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "FAIL: $name: exited with status $rc (see $log)" >>"$log"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	end=$(date +%s)
	printf '%-44s %4d passed %3d failed  %3ds\n' "$name" "$p" "$f" $((end - start))
	if [ "$f" -gt 0 ]; then
		grep -A8 '^FAIL: ' "$log" | head -40
		tail -20 "$log" | grep -iE 'sanitizer|error|leak' | head -10
		failures="$failures $name"
	fi
}

for t in "$SAN"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done
for t in "$SAN"/rtests/test_*; do
	[ -x "$t" ] || continue
	run_one "render/$(basename "$t")" "$t"
done
for t in tests/integration/test_*.py; do
	[ -f "$t" ] || continue
	run_one "integration/$(basename "$t" .py)" "$PY" "$t"
done
# the benchmark's instruments (byte counters, the generated cache): no timing
run_one "bench/test_instruments" "$PY" tests/bench/test_instruments.py
for t in tests/integration/test_*.sh; do
	[ -f "$t" ] || continue
	run_one "integration/$(basename "$t" .sh)" sh "$t"
done

# a short fuzzing pass: every fuzzer over its seed corpus plus a few thousand
# mutations; a crash is a failure (make fuzz runs the long version)
for f in "$BUILD"/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	n=$(basename "$f")
	seeds=tests/fuzz/seeds/${n#fuzz_}
	work="$BUILD/fuzz/check-corpus/$n"   # new units go here, never into the seeds
	rm -rf "$work"; mkdir -p "$work"
	art="$BUILD/fuzz/artifacts/$n/"       # crash files here, never in the checkout
	mkdir -p "$art"
	dict=""
	[ -f "tests/fuzz/${n#fuzz_}.dict" ] && dict="-dict=tests/fuzz/${n#fuzz_}.dict"
	run_one "fuzz/$n" sh -c "'$f' -runs=${FUZZ_CHECK_RUNS:-3000} -max_total_time=60 -timeout=10 $dict -artifact_prefix='$art' '$work' '$seeds' && echo 'PASS: $n: seeds and ${FUZZ_CHECK_RUNS:-3000} mutations without a crash'"
done

[ -n "$failures" ] && echo "failing:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
