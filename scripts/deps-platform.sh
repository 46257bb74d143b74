#!/bin/sh
# Install the Debian packages for the Raspberry Pi side of balie, when missing
# (the general ones are scripts/deps.sh).  Prints what it does; does nothing
# when everything is present.
#
#   scripts/deps-platform.sh test    debootstrap, shellcheck, v4l-utils (cec-ctl):
#                                    tests/integration/test_firmware.sh, test_install.sh
#   scripts/deps-platform.sh arm64 [SYSROOT]
#                                    cross compiler, qemu-user and the arm64 -dev
#                                    packages (Debian multiarch) for make check-arm64
#   scripts/deps-platform.sh armhf [SYSROOT]   the same for 32-bit ARM (make check-armhf)
#
# libunibreak is not Multi-Arch in bookworm: installing libunibreak-dev:arm64
# would REMOVE the native one.  So it is unpacked from its .deb into SYSROOT
# (the Makefile passes build/<triplet>/sysroot) instead of being installed,
# and apt-get runs with --no-remove so no other package can ever be removed.
set -eu
what=${1:-test}
sysroot=${2:-}

sudo=""
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then sudo=sudo; else sudo=none; fi
fi

dev_libs="libcurl4-openssl-dev libcjson-dev libexpat1-dev libfribidi-dev
 libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev"
# not Multi-Arch: unpacked into the sysroot (see above)
private_libs="libunibreak-dev libunibreak1"

case $what in
test)
	arch=
	pkgs="debootstrap shellcheck v4l-utils"
	;;
arm64 | armhf)
	arch=$what
	if [ "$arch" = arm64 ]; then
		pkgs="gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
	else
		pkgs="gcc-arm-linux-gnueabihf libc6-dev-armhf-cross"
	fi
	pkgs="$pkgs qemu-user pkgconf:$arch libc6-dev:$arch"
	for p in $dev_libs; do pkgs="$pkgs $p:$arch"; done
	;;
*)
	echo "usage: $0 test|arm64|armhf" >&2
	exit 2
	;;
esac

# unpack_private: the private libraries into $sysroot, once
unpack_private() {
	[ -n "$arch" ] && [ -n "$sysroot" ] || return 0
	[ -f "$sysroot/.complete" ] && return 0
	echo "deps-platform: unpacking$(for p in $private_libs; do printf ' %s' "$p:$arch"; done) into $sysroot"
	tmp=$(mktemp -d)
	chmod 755 "$tmp" # apt-get download runs as _apt
	for p in $private_libs; do
		(cd "$tmp" && apt-get download -q "$p:$arch") >/dev/null
	done
	mkdir -p "$sysroot"
	for d in "$tmp"/*.deb; do
		dpkg-deb -x "$d" "$sysroot"
	done
	rm -rf "$tmp"
	touch "$sysroot/.complete"
}

missing=""
for p in $pkgs; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done
if [ -z "$missing" ]; then
	unpack_private
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps-platform: missing packages:$missing; this is not a Debian system" >&2
	exit 1
fi
if [ "$sudo" = none ]; then
	echo "deps-platform: missing packages:$missing; run as root:" >&2
	[ -n "$arch" ] && echo "  dpkg --add-architecture $arch && apt-get update" >&2
	echo "  apt-get install$missing" >&2
	exit 1
fi
if [ -n "$arch" ] && ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
	echo "deps-platform: adding the Debian architecture $arch (multiarch)"
	$sudo dpkg --add-architecture "$arch"
fi
echo "deps-platform: installing missing Debian packages:$missing"
$sudo apt-get update -q || echo "deps-platform: apt-get update failed; trying the install anyway" >&2
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends --no-remove $missing
unpack_private
