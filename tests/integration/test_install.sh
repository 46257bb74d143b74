#!/bin/sh
# firmware/install.sh for real, twice, inside a Debian bookworm root made with
# debootstrap (the closest thing to Raspberry Pi OS Lite on this machine),
# with a copy of a Pi OS boot partition in /boot/firmware.
#
# The first run must install the runtime packages (a stand-in binary that
# links every library balie links then runs inside the root), create the
# user, unit, configuration and boot settings, disable the swap file and the
# tty1 login prompt; systemd-analyze verifies the unit inside that root and
# rates it 2.0 or lower.  The second run must print "done: 0 changes" and
# leave every file as it was (and a configuration a person edited alone).
# Then the pi-gen stage runs its step on the same root.
#
# debootstrap takes one to two minutes; the root is cached as a tarball, and
# the packages the first run downloads are kept beside it, in
# $BALIE_TEST_CACHE (default /var/tmp/balie-test/debootstrap, outside the
# checkout so fresh clones on one machine share it), so later runs take well
# under a minute.  Needs root, the debootstrap package and Debian's mirror
# (DEBIAN_MIRROR, default deb.debian.org).  BALIE_SKIP_DEBOOTSTRAP=1 skips it.
set -u
[ -n "${BALIE_QEMU:-}" ] && exit 0 # nothing here depends on the CPU architecture

cd "$(dirname "$0")/../.." || exit 1
FIX=${BALIE_FIXTURES:-tests/fixtures}
BUILD=${BUILD:-build}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# systemd for systemctl and systemd-analyze --root; dphys-swapfile as on Pi OS;
# procps for /bin/kill (ExecReload).  The runtime libraries are left out on
# purpose: install.sh must install them.
INCLUDE=systemd,systemd-sysv,procps,dphys-swapfile,passwd

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }
skip() {
	echo "SKIP: install_sh_in_debootstrap_root: $1"
	exit 0
}

[ -n "${BALIE_SKIP_DEBOOTSTRAP:-}" ] && skip "BALIE_SKIP_DEBOOTSTRAP is set"
[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null 2>&1 || skip "debootstrap is not installed (scripts/deps-platform.sh test)"
command -v pkg-config >/dev/null 2>&1 || skip "pkg-config is not installed"

T=$(mktemp -d /var/tmp/balie-install-XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'rm -rf "$T"; exit 1' INT TERM
R=$T/root

# ---- the bookworm root, cached ------------------------------------------------

key=$(printf '%s %s' "$INCLUDE" "$MIRROR" | cksum | cut -d' ' -f1)
cache_dir=${BALIE_TEST_CACHE:-/var/tmp/balie-test/debootstrap}
cache=$cache_dir/bookworm-minbase-$key.tar
debs=$cache_dir/debs-$key
mkdir -p "$R"
if [ ! -f "$cache" ]; then
	start=$(date +%s)
	if ! debootstrap --variant=minbase --include="$INCLUDE" bookworm "$T/boot-root" "$MIRROR" \
		>"$T/debootstrap.log" 2>&1; then
		fail debootstrap_bookworm "debootstrap failed: $(tail -n 3 "$T/debootstrap.log" | tr '\n' ' ')"
		exit 0
	fi
	rm -f "$T/boot-root"/var/cache/apt/archives/*.deb
	mkdir -p "$(dirname "$cache")"
	tar -C "$T/boot-root" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
	rm -rf "$T/boot-root"
	echo "debootstrap: bookworm root made in $(($(date +%s) - start)) s, cached as $cache"
fi
tar -C "$R" -xf "$cache" || { fail debootstrap_bookworm "cannot unpack $cache"; exit 0; }
pass debootstrap_bookworm
# packages an earlier run downloaded: apt finds them and does not fetch again
if [ -d "$debs" ]; then
	cp "$debs"/*.deb "$R/var/cache/apt/archives/" 2>/dev/null
fi

# as on Pi OS images and in pi-gen: no service starts inside the chroot
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod 755 "$R/usr/sbin/policy-rc.d"
mkdir -p "$R/boot/firmware"
cp "$FIX/rpios-bookworm-config.txt" "$R/boot/firmware/config.txt"
cp "$FIX/rpios-bookworm-cmdline.txt" "$R/boot/firmware/cmdline.txt"
mkdir -p "$R/opt/balie-src"
cp -r firmware boards assets "$R/opt/balie-src/"
# shellcheck disable=SC2046
if ! cc -std=c11 -o "$R/opt/balie-src/balie-linkcheck" tests/bin/linkcheck.c \
	$(pkg-config --cflags --libs sdl2 SDL2_ttf SDL2_image libcurl libcjson expat fribidi libunibreak) \
	>"$T/cc.log" 2>&1; then
	fail linkcheck_builds "$(head -n 3 "$T/cc.log" | tr '\n' ' ')"
	exit 0
fi

in_root() { chroot "$R" "$@"; }

# ---- first run ------------------------------------------------------------------

start=$(date +%s)
in_root /bin/sh /opt/balie-src/firmware/install.sh --binary /opt/balie-src/balie-linkcheck >"$T/run1.log" 2>&1
rc=$?
secs=$(($(date +%s) - start))
if [ $rc -eq 0 ] && grep -qE '^balie-install: done: [1-9][0-9]* changes$' "$T/run1.log"; then
	pass "first_run_installs ($secs s, $(grep '^balie-install: done' "$T/run1.log" | cut -d' ' -f3) changes)"
else
	fail first_run_installs "exit $rc: $(grep -E 'balie-install|^E:|rror' "$T/run1.log" | tail -n 5 | tr '\n' ' ')"
fi
if grep -q '^balie-install: install Debian packages:.*libsdl2-2.0-0.*v4l-utils' "$T/run1.log"; then
	pass first_run_installs_the_runtime_packages
	mkdir -p "$debs"
	cp "$R"/var/cache/apt/archives/*.deb "$debs/" 2>/dev/null
else
	fail first_run_installs_the_runtime_packages "no package step in: $(grep balie-install "$T/run1.log" | head -n 3 | tr '\n' ' ')"
fi

out=$(in_root /usr/bin/balie 2>&1)
case $out in
"linkcheck: SDL 2.26"*) pass "runtime_libraries_resolve_in_the_root ($(printf '%s' "${out#linkcheck: }" | cut -d, -f1-4))" ;;
*) fail runtime_libraries_resolve_in_the_root "$out" ;;
esac
if in_root test -x /usr/bin/cec-ctl; then pass cec_ctl_installed; else fail cec_ctl_installed "no /usr/bin/cec-ctl"; fi

groups=$(in_root id -nG balie 2>&1)
shell=$(in_root getent passwd balie | cut -d: -f7)
missing=""
for g in balie video render input; do
	printf '%s\n' "$groups" | tr ' ' '\n' | grep -qx "$g" || missing="$missing $g"
done
if [ -z "$missing" ] && [ "$shell" = /usr/sbin/nologin ]; then
	pass user_balie_with_video_render_input
else
	fail user_balie_with_video_render_input "groups: $groups (missing:$missing), shell $shell"
fi

if cmp -s firmware/balie.service "$R/etc/systemd/system/balie.service" &&
	[ "$(readlink "$R/etc/systemd/system/multi-user.target.wants/balie.service")" = /etc/systemd/system/balie.service ]; then
	pass unit_installed_and_enabled
else
	fail unit_installed_and_enabled "unit missing, different or not enabled"
fi
states=$(in_root systemctl is-enabled getty@tty1.service dphys-swapfile.service 2>&1 | tr '\n' ' ')
if [ "$states" = "disabled disabled " ]; then pass tty1_login_and_swap_file_disabled; else
	fail tty1_login_and_swap_file_disabled "getty@tty1, dphys-swapfile: $states"; fi

# the keyboard cannot leave the kiosk: no other console's login prompt, no
# Ctrl+Alt+Del, the logind, sysctl and manager settings in place
states=$(in_root systemctl is-enabled getty@tty2.service getty@tty6.service autovt@tty3.service \
	ctrl-alt-del.target 2>&1 | tr '\n' ' ')
if [ "$states" = "masked masked masked masked " ] &&
	cmp -s firmware/logind-balie.conf "$R/etc/systemd/logind.conf.d/balie.conf" &&
	cmp -s firmware/sysctl-balie.conf "$R/etc/sysctl.d/90-balie.conf" &&
	cmp -s firmware/system-balie-console.conf "$R/etc/systemd/system.conf.d/balie-console.conf"; then
	pass no_console_login_sysrq_ctrl_alt_del_or_power_keys
else
	fail no_console_login_sysrq_ctrl_alt_del_or_power_keys \
		"getty@tty2, getty@tty6, autovt@tty3, ctrl-alt-del.target: $states (or a settings file is missing)"
fi

if out=$(systemd-analyze verify --root="$R" --man=no balie.service 2>&1) && [ -z "$out" ]; then
	pass unit_verifies_in_the_root
else
	fail unit_verifies_in_the_root "$out"
fi
score=$(systemd-analyze security --root="$R" --offline=true balie.service 2>&1 |
	sed -n 's/.*Overall exposure level for balie.service: \([0-9.]*\).*/\1/p')
if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
	pass "security_score_in_the_root (exposure $score)"
else
	fail security_score_in_the_root "exposure '${score}'"
fi

conf=$(in_root stat -c '%a %U:%G' /etc/balie/balie.conf 2>&1)
dir=$(in_root stat -c '%a %U:%G' /etc/balie 2>&1)
if [ "$conf" = "640 root:balie" ] && [ "$dir" = "750 root:balie" ] &&
	cmp -s assets/balie.conf.example "$R/etc/balie/balie.conf"; then
	pass config_installed_readable_by_balie_only
else
	fail config_installed_readable_by_balie_only "/etc/balie $dir, balie.conf $conf"
fi
n=$(find "$R/usr/share/balie/boards" -name '*.conf' | wc -l)
if [ "$n" -eq "$(find boards -name '*.conf' | wc -l)" ] && [ -f "$R/usr/share/doc/balie/README.md" ] &&
	[ -f "$R/etc/systemd/system.conf.d/balie-watchdog.conf" ]; then
	pass data_docs_and_hardware_watchdog_installed
else
	fail data_docs_and_hardware_watchdog_installed "$n board profiles"
fi

# boot files: originals kept, image settings intact, one-line cmdline
cfg=$R/boot/firmware/config.txt
n=$(wc -l <"$FIX/rpios-bookworm-config.txt")
if head -n "$n" "$cfg" | cmp -s - "$FIX/rpios-bookworm-config.txt" &&
	grep -qx 'hdmi_force_hotplug=1' "$cfg" && grep -qx '# <<< balie' "$cfg" &&
	cmp -s "$cfg.balie-orig" "$FIX/rpios-bookworm-config.txt"; then
	pass config_txt_keeps_the_image_settings_and_adds_the_block
else
	fail config_txt_keeps_the_image_settings_and_adds_the_block "$(tail -n 3 "$cfg" | tr '\n' ' ')"
fi
cmd=$R/boot/firmware/cmdline.txt
want="console=serial0,115200 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot cfg80211.ieee80211_regdom=NL console=tty3 loglevel=3 logo.nologo vt.global_cursor_default=0 consoleblank=0 vc4.force_hotplug=1"
if [ "$(wc -l <"$cmd")" -eq 1 ] && [ "$(cat "$cmd")" = "$want" ] && cmp -s "$cmd.balie-orig" "$FIX/rpios-bookworm-cmdline.txt"; then
	pass cmdline_txt_is_one_line_with_the_kiosk_parameters
else
	fail cmdline_txt_is_one_line_with_the_kiosk_parameters "$(cat "$cmd")"
fi

# ---- second run: nothing changes --------------------------------------------------

echo "# edited by a person" >>"$R/etc/balie/balie.conf"
snapshot() {
	(cd "$R" && find etc usr/bin usr/share/balie boot var/lib/balie var/cache/balie -xdev 2>/dev/null |
		sort | while read -r f; do
			if [ -f "$f" ] && [ ! -L "$f" ]; then
				echo "$f $(stat -c '%a %U:%G' "$f") $(md5sum <"$f" | cut -c1-32)"
			else
				echo "$f $(stat -c '%a %U:%G' "$f")"
			fi
		done)
}
before=$(snapshot)
in_root /bin/sh /opt/balie-src/firmware/install.sh --binary /opt/balie-src/balie-linkcheck >"$T/run2.log" 2>&1
rc=$?
after=$(snapshot)
if [ $rc -eq 0 ] && [ "$(cat "$T/run2.log")" = "balie-install: done: 0 changes" ]; then
	pass second_run_says_0_changes
else
	fail second_run_says_0_changes "exit $rc: $(tr '\n' ' ' <"$T/run2.log")"
fi
if [ "$before" = "$after" ]; then pass second_run_changes_no_file; else
	fail second_run_changes_no_file "$(printf '%s\n' "$before" >"$T/b"; printf '%s\n' "$after" >"$T/a"; diff "$T/b" "$T/a" | head -n 6 | tr '\n' ' ')"
fi
if tail -n 1 "$R/etc/balie/balie.conf" | grep -qx '# edited by a person'; then
	pass an_edited_configuration_is_kept
else
	fail an_edited_configuration_is_kept "balie.conf was replaced"
fi

# ---- the pi-gen stage step, on the same root -----------------------------------------

if command -v bash >/dev/null 2>&1; then
	S=$T/stage
	cp -r firmware/pi-gen/stage-balie "$S"
	mkdir -p "$S/00-balie/files/balie"
	cp -r firmware boards assets "$S/00-balie/files/balie/"
	cp "$R/opt/balie-src/balie-linkcheck" "$S/00-balie/files/balie.bin"
	# pi-gen's on_chroot runs a shell inside the root with a script on stdin
	out=$(cd "$S/00-balie" && ROOTFS_DIR=$R bash -c '
		on_chroot() { chroot "$ROOTFS_DIR" /bin/bash -e "$@"; }
		export -f on_chroot
		bash -e ./00-run.sh' 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -qx 'balie-install: done: 0 changes' && [ ! -e "$R/tmp/balie-src" ]; then
		pass pi_gen_stage_runs_install_sh_in_the_image
	else
		fail pi_gen_stage_runs_install_sh_in_the_image "exit $rc: $(printf '%s\n' "$out" | tail -n 3 | tr '\n' ' ')"
	fi
fi
exit 0
