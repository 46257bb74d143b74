#!/bin/sh
# The unit and render tests, cross-built for arm64 (a Raspberry Pi's CPU) with
# Debian's multiarch packages and run under qemu-aarch64 with SDL's dummy
# video driver, so make check (and CI) catches what only breaks on the Pi:
# unsigned char, alignment, struct layout, library differences.  Sanitizers
# are unreliable under qemu-user, so these builds are plain -O1 -g.
#
# Inside make check this runs the unit and render programs (about three
# minutes with the cross build); `make check-arm64` runs the whole suite,
# integration tests included.  The first run installs the cross packages
# (scripts/deps-platform.sh arm64, about a minute).  BALIE_SKIP_CROSS=1
# skips it.
set -u
[ -n "${BALIE_QEMU:-}" ] && exit 0 # already under emulation

cd "$(dirname "$0")/../.." || exit 1
B=${BUILD:-build}/aarch64-linux-gnu
if [ -n "${BALIE_SKIP_CROSS:-}" ]; then
	echo "SKIP: arm64: BALIE_SKIP_CROSS is set"
	exit 0
fi
# the outer make's jobserver is not ours
unset MAKEFLAGS MFLAGS MAKELEVEL
mkdir -p "$B"

start=$(date +%s)
if ! scripts/deps-platform.sh arm64 "$B/sysroot" >"$B/deps.log" 2>&1; then
	echo "FAIL: arm64: cross packages: $(tail -n 3 "$B/deps.log" | tr '\n' ' ')"
	exit 0
fi
if ! make -j"$(nproc)" --no-print-directory CROSS=aarch64-linux-gnu BUILD="$B" cross-test-bin >"$B/build.log" 2>&1; then
	echo "FAIL: arm64: cross build (make CROSS=aarch64-linux-gnu): $(grep -E 'error:|Error [0-9]|No rule' "$B/build.log" | head -n 5 | tr '\n' ' ')"
	exit 0
fi
machine=$(readelf -h "$B/asan/tests/test_schedule" 2>/dev/null | sed -n 's/^ *Machine: *//p')
if [ "$machine" = AArch64 ]; then
	echo "PASS: arm64: cross build of the tests ($(($(date +%s) - start)) s, ELF machine $machine)"
else
	echo "FAIL: arm64: cross build: test_schedule is for '$machine', not AArch64"
	exit 0
fi
CROSS_QUICK=1 scripts/check-cross.sh "$B" qemu-aarch64
exit 0
