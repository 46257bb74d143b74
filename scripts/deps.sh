#!/bin/sh
# Install the Debian packages balie needs to build, run or test, when missing.
# Used by `make run` and `make check` on a fresh Debian bookworm or Raspberry
# Pi OS.  Prints what it does; does nothing when everything is present.
#   scripts/deps.sh build|test
set -eu
what=${1:-build}

build_pkgs="make gcc pkg-config libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev
 libcurl4-openssl-dev libcjson-dev libexpat1-dev libfribidi-dev libunibreak-dev
 fonts-noto-core fonts-noto-color-emoji fonts-dejavu-core ca-certificates"
test_pkgs="python3 clang libclang-rt-14-dev openssl"

pkgs=$build_pkgs
[ "$what" = test ] && pkgs="$build_pkgs $test_pkgs"

# Ask for this machine's architecture explicitly: with multiarch (cross
# builds) an arm64 -dev package must not count as the native one.
arch=$(dpkg --print-architecture 2>/dev/null || echo "")
missing=""
for p in $pkgs; do
	q=$p
	case "$p" in fonts-*|ca-certificates|python3) ;; *) [ -n "$arch" ] && q="$p:$arch" ;; esac
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$q" 2>/dev/null || true)
	case "$st" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: this is not a Debian system; install their equivalents by hand." >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then sudo=sudo; else
		echo "deps: missing packages:$missing; run as root: apt-get install$missing" >&2
		exit 1
	fi
fi
echo "deps: installing missing Debian packages:$missing"
$sudo apt-get update -q || echo "deps: apt-get update failed; trying the install anyway" >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing
