#!/bin/sh
# Run the test suite of a cross build under qemu-user, with tests/run.sh
# unchanged (SDL's dummy video driver, the loopback test servers, the same
# PASS/FAIL counting).  binfmt_misc cannot be relied on (CI, containers), so
# each test program gets a small wrapper that starts it under qemu; run.sh
# runs the wrappers as if they were the programs.
#
#   scripts/check-cross.sh build/aarch64-linux-gnu qemu-aarch64
#
# The Makefile's check-arm64 / check-armhf build the binaries first.  The
# wrappers live in BUILD/qemu/asan/..., where run.sh looks for them.  The
# environment variable BALIE_QEMU tells tests that run under emulation; the
# architecture-independent shell tests skip themselves then.
#
# With CROSS_QUICK=1 only the unit and render test programs run (what
# tests/integration/test_arm64.sh does inside make check): their PASS/FAIL
# lines, prefixed with the architecture, and "N passed, N failed".
set -eu
[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR QEMU" >&2; exit 2; }
build=$(cd "$1" && pwd)
qemu=$2
command -v "$qemu" >/dev/null 2>&1 || {
	echo "check-cross: $qemu not found (scripts/deps-platform.sh arm64|armhf installs qemu-user)" >&2
	exit 1
}
libpath=$build/sysroot/usr/lib

q=$build/qemu
rm -rf "$q"
mkdir -p "$q/asan/tests" "$q/asan/rtests"

# wrap REAL WRAPPER
wrap() {
	cat >"$2" <<EOF
#!/bin/sh
exec $qemu -L / -E LD_LIBRARY_PATH=$libpath "$1" "\$@"
EOF
	chmod 755 "$2"
}

# Programs whose checks are calibrated to native speed and cannot pass 10-20
# times slower under emulation (test_cache_crash kills a writer after a
# random delay and needs some rounds to finish first).  They are reported as
# SKIP, never silently dropped; CROSS_SKIP= (empty) runs them anyway.
skip_list=${CROSS_SKIP-test_cache_crash}

n=0
for t in "$build"/asan/tests/test_* "$build"/asan/rtests/test_*; do
	[ -x "$t" ] || continue
	dir=$(basename "$(dirname "$t")")
	name=$(basename "$t")
	# shellcheck disable=SC2086 # a list of words
	if printf "%s\n" $skip_list | grep -qx "$name"; then
		printf '#!/bin/sh\necho "SKIP: %s: timing calibrated for native speed; not run under %s (CROSS_SKIP)"\n' \
			"$name" "$qemu" >"$q/asan/$dir/$name"
		chmod 755 "$q/asan/$dir/$name"
		continue
	fi
	wrap "$t" "$q/asan/$dir/$name"
	n=$((n + 1))
done
if [ -x "$build/asan/balie" ]; then
	wrap "$build/asan/balie" "$q/asan/balie"
fi
[ "$n" -gt 0 ] || { echo "check-cross: no test programs in $build/asan" >&2; exit 1; }

echo "check-cross: $n test programs of $build under $qemu"
if [ -z "${CROSS_QUICK:-}" ]; then
	BALIE_QEMU=$qemu BUILD=$q TEST_TIMEOUT=${TEST_TIMEOUT:-900} exec tests/run.sh
fi

set +e # a failing test program is counted, not fatal
arch=${qemu#qemu-}
mkdir -p "$q/test-logs"
passed=0
failed=0
for w in "$q"/asan/tests/test_* "$q"/asan/rtests/test_*; do
	[ -x "$w" ] || continue
	name=$(basename "$(dirname "$w")")/$(basename "$w")
	log=$q/test-logs/$(basename "$w").log
	start=$(date +%s)
	BALIE_QEMU=$qemu SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy \
		BALIE_FIXTURES=${BALIE_FIXTURES:-tests/fixtures} \
		timeout -k 10 "${TEST_TIMEOUT:-900}" "$w" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	grep -E '^(PASS|FAIL|SKIP|      also): ' "$log" | sed "s/^\(PASS\|FAIL\|SKIP\): /\1: $arch: /"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $arch: $name: exited with status $rc under $qemu (see $log)"
		tail -n 5 "$log"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	echo "check-cross: $name: $p passed, $f failed, $(($(date +%s) - start)) s" >&2
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
