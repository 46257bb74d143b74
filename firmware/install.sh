#!/bin/sh
# install.sh: turn a fresh Raspberry Pi OS Lite (bookworm) into a balie kiosk.
#
# It installs the runtime packages, the balie program and its data, a system
# user `balie`, /etc/balie/balie.conf (only when there is none), the systemd
# unit, the console lock-down (no login prompt on any console, no SysRq, no
# Ctrl+Alt+Del or power keys), the boot settings (config.txt, cmdline.txt) and
# switches the swap file on the SD card off.  Every step first looks at what is there and only
# changes what differs, so running it again changes nothing ("0 changes").
# --dry-run prints what it would do and changes nothing.
#
# It works on the running system, or on a mounted image or chroot with
# --root DIR (commands then run through chroot(8); that is how the pi-gen
# stage in firmware/pi-gen/ uses it).
#
#   sudo firmware/install.sh                    build from this source tree and install
#   sudo firmware/install.sh --binary ./balie   install a binary built elsewhere (make CROSS=...)
#   firmware/install.sh --dry-run               show what would change
#
# See firmware/README.md for the whole walk from a blank SD card.
set -eu

ORIG_ARGS="$*"
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)

DRY=0
ROOT=
BINARY=
NO_BINARY=0
NO_PACKAGES=0
BOOT=
DATA_DEV=
READ_ONLY=0
PERSISTENT_LOGS=0
CHANGES=0

RUNTIME_PKGS="libsdl2-2.0-0 libsdl2-ttf-2.0-0 libsdl2-image-2.0-0 libcurl4 libcjson1
 libexpat1 libfribidi0 libunibreak1 fonts-noto-core fonts-noto-color-emoji
 fonts-dejavu-core ca-certificates v4l-utils procps"
BUILD_PKGS="make gcc pkg-config libsdl2-dev libsdl2-ttf-dev libsdl2-image-dev
 libcurl4-openssl-dev libcjson-dev libexpat1-dev libfribidi-dev libunibreak-dev"

usage() {
	cat <<'EOF'
usage: install.sh [options]

Turn Raspberry Pi OS Lite (bookworm) into a balie kiosk.  Safe to run again.

  -n, --dry-run          print what would change; change nothing
  --root DIR             install into the system mounted at DIR (image, chroot)
  --binary FILE          install this balie binary instead of building one
  --no-binary            leave the program alone (system setup only)
  --no-packages          do not install Debian packages
  --boot DIR             boot partition (default: /boot/firmware, else /boot)
  --data-dev DEVICE      mount this ext4 partition at /var/cache/balie, so the
                         cache survives a read-only root
  --read-only            read-only root: overlayroot=tmpfs:recurse=0 (use with
                         --data-dev, or the cache starts empty at every boot)
  --persistent-logs      keep the journal across reboots (at most 32 MB)
  -h, --help             this text
EOF
}

die() {
	echo "install.sh: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	-n | --dry-run) DRY=1 ;;
	--root) [ $# -ge 2 ] || die "--root needs a directory"; ROOT=$2; shift ;;
	--binary) [ $# -ge 2 ] || die "--binary needs a file"; BINARY=$2; shift ;;
	--no-binary) NO_BINARY=1 ;;
	--no-packages) NO_PACKAGES=1 ;;
	--boot) [ $# -ge 2 ] || die "--boot needs a directory"; BOOT=$2; shift ;;
	--data-dev) [ $# -ge 2 ] || die "--data-dev needs a device"; DATA_DEV=$2; shift ;;
	--read-only) READ_ONLY=1 ;;
	--persistent-logs) PERSISTENT_LOGS=1 ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown option: $1" ;;
	esac
	shift
done

if [ -n "$ROOT" ]; then
	[ -d "$ROOT" ] || die "--root $ROOT: not a directory"
	ROOT=$(cd "$ROOT" && pwd)
	[ "$ROOT" = / ] && ROOT=
fi
if [ -n "$BINARY" ]; then
	[ -f "$BINARY" ] || die "--binary $BINARY: no such file"
	BINARY=$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY")
fi
if [ -n "$ROOT" ] && [ -z "$BINARY" ] && [ "$NO_BINARY" = 0 ]; then
	die "--root needs --binary FILE (a binary for the target, e.g. from make CROSS=aarch64-linux-gnu) or --no-binary"
fi
if [ "$DRY" = 0 ] && [ "$(id -u)" != 0 ]; then
	die "must run as root (try: sudo $0${ORIG_ARGS:+ $ORIG_ARGS}), or use --dry-run"
fi

# ---- helpers -----------------------------------------------------------------

say() { echo "balie-install: $*"; }

# A change: counted, printed, and made unless this is a dry run.
change() {
	CHANGES=$((CHANGES + 1))
	if [ "$DRY" = 1 ]; then
		say "would $*"
	else
		say "$*"
	fi
}

# Run a command in the target system (through chroot with --root).
in_root() {
	if [ -n "$ROOT" ]; then
		chroot "$ROOT" "$@"
	else
		"$@"
	fi
}

# Like in_root, but only when not a dry run.
do_in_root() {
	[ "$DRY" = 1 ] && return 0
	in_root "$@"
}

# install_file SRC DEST MODE: copy when missing or different.
install_file() {
	if [ -f "$ROOT$2" ] && cmp -s "$1" "$ROOT$2"; then
		return 0
	fi
	if [ -f "$ROOT$2" ]; then
		change "update $2"
		# show what a dry run would change in an existing text file
		if [ "$DRY" = 1 ]; then
			diff -u "$ROOT$2" "$1" | tail -n +3 | sed 's/^/    /' || true
		fi
	else
		change "install $2"
	fi
	[ "$DRY" = 1 ] && return 0
	mkdir -p "$(dirname "$ROOT$2")"
	cp "$1" "$ROOT$2.balie-new"
	chmod "$3" "$ROOT$2.balie-new"
	mv -f "$ROOT$2.balie-new" "$ROOT$2"
}

# write_file DEST MODE: write stdin to DEST when missing or different.
write_file() {
	tmp=$(mktemp)
	cat >"$tmp"
	install_file "$tmp" "$1" "$2"
	rm -f "$tmp"
}

pkg_installed() {
	# shellcheck disable=SC2016
	st=$(in_root dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null || true)
	case $st in ii*) return 0 ;; esac
	return 1
}

is_chroot() {
	[ -n "$ROOT" ] && return 0
	# a chroot's / is not the init process's /
	[ "$(stat -c %d:%i / 2>/dev/null)" != "$(stat -c %d:%i /proc/1/root/. 2>/dev/null)" ]
}

# ---- 0. what is this? ----------------------------------------------------------

codename=
if [ -r "$ROOT/etc/os-release" ]; then
	codename=$(sed -n 's/^VERSION_CODENAME=//p' "$ROOT/etc/os-release" | tr -d '"')
fi
if [ "$codename" != bookworm ]; then
	say "warning: this is ${codename:-an unknown release}, not bookworm; going on anyway"
fi
[ "$DRY" = 1 ] && say "dry run: nothing will be changed"

# ---- 1. packages -----------------------------------------------------------------

build_here=0
if [ "$NO_BINARY" = 0 ] && [ -z "$BINARY" ]; then
	[ -f "$SRC/Makefile" ] || die "no --binary given and $SRC is not a balie source tree"
	build_here=1
fi
if [ "$NO_PACKAGES" = 0 ]; then
	want="$RUNTIME_PKGS"
	[ "$build_here" = 1 ] && want="$want $BUILD_PKGS"
	[ "$READ_ONLY" = 1 ] && want="$want overlayroot"
	missing=
	for p in $want; do
		pkg_installed "$p" || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		change "install Debian packages:$missing"
		do_in_root apt-get update -q || say "warning: apt-get update failed; trying the install anyway"
		# shellcheck disable=SC2086
		do_in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
	fi
fi

# ---- 2. the program and its data ---------------------------------------------------

if [ "$build_here" = 1 ]; then
	# PREFIX=/usr so that the compiled-in data directory is /usr/share/balie
	if [ "$DRY" = 1 ]; then
		say "would build balie: make -C $SRC BUILD=build/install PREFIX=/usr"
	else
		say "building balie (make -C $SRC BUILD=build/install PREFIX=/usr)"
		make -s -C "$SRC" BUILD=build/install PREFIX=/usr build/install/balie
	fi
	BINARY=$SRC/build/install/balie
fi
if [ -n "$BINARY" ] && [ -f "$BINARY" ]; then
	install_file "$BINARY" /usr/bin/balie 755
fi
if [ "$NO_BINARY" = 0 ]; then
	for f in "$SRC"/boards/*.conf; do
		[ -f "$f" ] && install_file "$f" "/usr/share/balie/boards/$(basename "$f")" 644
	done
	for f in "$SRC"/assets/*; do
		[ -f "$f" ] && install_file "$f" "/usr/share/balie/$(basename "$f")" 644
	done
	install_file "$HERE/README.md" /usr/share/doc/balie/README.md 644
fi

# ---- 3. the user -----------------------------------------------------------------

if ! in_root getent passwd balie >/dev/null 2>&1; then
	change "create the system user balie"
	do_in_root useradd --system --user-group --home-dir /var/lib/balie --no-create-home \
		--shell /usr/sbin/nologin --comment "balie lobby wall" balie
fi
for g in video render input; do
	if ! in_root getent group "$g" >/dev/null 2>&1; then
		change "create the system group $g"
		do_in_root groupadd --system "$g"
	fi
	if ! in_root id -nG balie 2>/dev/null | tr ' ' '\n' | grep -qx "$g"; then
		change "add balie to the group $g"
		do_in_root usermod -a -G "$g" balie
	fi
done

# ---- 4. configuration --------------------------------------------------------------

if [ ! -d "$ROOT/etc/balie" ]; then
	change "create /etc/balie"
	if [ "$DRY" = 0 ]; then
		mkdir -p "$ROOT/etc/balie"
		chmod 750 "$ROOT/etc/balie"
		in_root chown root:balie /etc/balie
	fi
fi
if [ -e "$ROOT/etc/balie/balie.conf" ]; then
	: # never overwrite a person's configuration
else
	example=$SRC/assets/balie.conf.example
	[ -f "$example" ] || example=$SRC/assets/balie.conf
	if [ -f "$example" ]; then
		install_file "$example" /etc/balie/balie.conf 640
		[ "$DRY" = 0 ] && in_root chown root:balie /etc/balie/balie.conf
	else
		say "warning: no example configuration in $SRC/assets; balie starts with built-in defaults"
	fi
fi

# ---- 5. the service ----------------------------------------------------------------

install_file "$HERE/balie.service" /etc/systemd/system/balie.service 644
if [ ! -L "$ROOT/etc/systemd/system/multi-user.target.wants/balie.service" ]; then
	change "enable balie.service"
	do_in_root systemctl enable balie.service
fi
# balie owns tty1: no login prompt there
if [ -L "$ROOT/etc/systemd/system/getty.target.wants/getty@tty1.service" ]; then
	change "disable the login prompt on tty1 (getty@tty1.service)"
	do_in_root systemctl disable getty@tty1.service
fi
# A keyboard in the lobby cannot leave the kiosk: no login prompt on any other
# console (logind spawns none, getty@/autovt@ tty2-6 masked), no magic SysRq,
# Ctrl+Alt+Del and the power keys do nothing.  balie itself also refuses
# console switches away from tty1 while it runs (src/platform/vt.c).
install_file "$HERE/logind-balie.conf" /etc/systemd/logind.conf.d/balie.conf 644
before=$CHANGES
install_file "$HERE/sysctl-balie.conf" /etc/sysctl.d/90-balie.conf 644
if [ "$CHANGES" != "$before" ] && [ "$DRY" = 0 ] && ! is_chroot; then
	sysctl -q -w kernel.sysrq=0 >/dev/null 2>&1 || true # now, not only after the reboot
fi
install_file "$HERE/system-balie-console.conf" /etc/systemd/system.conf.d/balie-console.conf 644
masks=
for n in 2 3 4 5 6; do
	for u in "getty@tty$n.service" "autovt@tty$n.service"; do
		[ "$(readlink "$ROOT/etc/systemd/system/$u" 2>/dev/null)" = /dev/null ] || masks="$masks $u"
	done
done
[ "$(readlink "$ROOT/etc/systemd/system/ctrl-alt-del.target" 2>/dev/null)" = /dev/null ] ||
	masks="$masks ctrl-alt-del.target"
if [ -n "$masks" ]; then
	change "mask$masks (no login prompt on tty2-tty6; Ctrl+Alt+Del does nothing)"
	if [ "$DRY" = 0 ]; then
		mkdir -p "$ROOT/etc/systemd/system"
		for u in $masks; do
			ln -sfn /dev/null "$ROOT/etc/systemd/system/$u"
		done
	fi
fi
# the board reboots itself when the whole system hangs (bcm2835 watchdog:
# at most 15 s); balie's own hangs are caught by WatchdogSec= in the unit
write_file /etc/systemd/system.conf.d/balie-watchdog.conf 644 <<'EOF'
# Installed by balie's firmware/install.sh: systemd pings the hardware
# watchdog; if the whole system hangs the board reboots.
[Manager]
RuntimeWatchdogSec=14s
RebootWatchdogSec=2min
EOF
if [ "$PERSISTENT_LOGS" = 1 ]; then
	write_file /etc/systemd/journald.conf.d/balie.conf 644 <<'EOF'
# Installed by balie's firmware/install.sh --persistent-logs: keep the journal
# across reboots (Raspberry Pi OS keeps it in RAM only), at most 32 MB.
[Journal]
Storage=persistent
SystemMaxUse=32M
EOF
fi

# ---- 6. swap on the SD card off ----------------------------------------------------

if pkg_installed dphys-swapfile; then
	if in_root systemctl is-enabled dphys-swapfile.service >/dev/null 2>&1; then
		change "switch the swap file off (disable dphys-swapfile)"
		if [ "$DRY" = 0 ] && ! is_chroot; then
			dphys-swapfile swapoff || true
			dphys-swapfile uninstall || true
		fi
		do_in_root systemctl disable dphys-swapfile.service
	fi
fi

# ---- 7. cache partition and read-only root -------------------------------------------

if [ -n "$DATA_DEV" ]; then
	if ! awk -v d="$DATA_DEV" '$1 == d && $2 == "/var/cache/balie" { f = 1 } END { exit !f }' \
		"$ROOT/etc/fstab" 2>/dev/null; then
		change "mount $DATA_DEV at /var/cache/balie (fstab)"
		if [ "$DRY" = 0 ]; then
			mkdir -p "$ROOT/var/cache/balie"
			printf '%s /var/cache/balie ext4 defaults,noatime,nofail,x-systemd.device-timeout=10s 0 2\n' \
				"$DATA_DEV" >>"$ROOT/etc/fstab"
		fi
	fi
fi

# ---- 8. boot settings ----------------------------------------------------------------

if [ -z "$BOOT" ]; then
	for d in /boot/firmware /boot; do
		if [ -f "$ROOT$d/config.txt" ] && [ ! -L "$ROOT$d/config.txt" ]; then
			BOOT=$d
			break
		fi
	done
fi
if [ -z "$BOOT" ] || [ ! -f "$ROOT$BOOT/config.txt" ]; then
	say "no Raspberry Pi boot partition (config.txt) found; skipping the boot settings"
else
	cfg=$ROOT$BOOT/config.txt
	[ -f "$cfg.balie-orig" ] || { [ "$DRY" = 1 ] || cp -p "$cfg" "$cfg.balie-orig"; }
	want=$(mktemp)
	{
		sed '/^# >>> balie/,/^# <<< balie/d' "$cfg"
		echo "# >>> balie (managed by balie's firmware/install.sh; edits here are replaced)"
		cat "$HERE/config.txt.fragment"
		echo "# <<< balie"
	} >"$want"
	install_file "$want" "$BOOT/config.txt" 644
	rm -f "$want"

	cmd=$ROOT$BOOT/cmdline.txt
	if [ ! -f "$cmd" ]; then
		say "warning: $BOOT/cmdline.txt is missing; skipping the kernel command line"
	else
		[ -f "$cmd.balie-orig" ] || { [ "$DRY" = 1 ] || cp -p "$cmd" "$cmd.balie-orig"; }
		line=$(head -n 1 "$cmd")
		ops=$(grep -v '^[[:space:]]*#' "$HERE/cmdline.txt.params" | grep -v '^[[:space:]]*$')
		[ "$READ_ONLY" = 1 ] && ops="$ops
+overlayroot=tmpfs:recurse=0"
		for op in $ops; do
			word=${op#?}
			case $op in
			-*)
				line=$(printf '%s\n' "$line" | tr ' ' '\n' | grep -vxF -- "$word" | tr '\n' ' ')
				;;
			+*)
				# already there exactly: leave it where it is
				if printf '%s\n' "$line" | tr ' ' '\n' | grep -qxF -- "$word"; then
					continue
				fi
				key=${word%%=*}
				if [ "$key" != "$word" ] && [ "$key" != console ]; then
					line=$(printf '%s\n' "$line" | tr ' ' '\n' | awk -v k="$key=" 'index($0, k) != 1' | tr '\n' ' ')
				fi
				line="$line $word"
				;;
			esac
		done
		# one line, single spaces
		line=$(printf '%s\n' "$line" | tr -s ' ' | sed 's/^ //; s/ $//')
		want=$(mktemp)
		printf '%s\n' "$line" >"$want"
		install_file "$want" "$BOOT/cmdline.txt" 644
		rm -f "$want"
	fi
fi

# ---- done ------------------------------------------------------------------------------

plural=s
[ "$CHANGES" = 1 ] && plural=
if [ "$DRY" = 1 ]; then
	say "dry run: $CHANGES change$plural would be made"
else
	say "done: $CHANGES change$plural"
	if [ "$CHANGES" -gt 0 ] && ! is_chroot; then
		in_root systemctl daemon-reload 2>/dev/null || true
		say "reboot to start the wall (or: systemctl restart balie)"
	fi
fi
