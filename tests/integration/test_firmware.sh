#!/bin/sh
# The kiosk firmware without a Pi: the systemd unit verifies and its sandbox
# rates 2.0 or lower (systemd-analyze), it keeps its promises (notify +
# watchdog, restart forever, never waits for network or time), install.sh
# --dry-run on a copy of a Raspberry Pi OS boot partition shows exactly the
# intended edits and changes nothing, the console lock-down (no login prompt,
# SysRq, Ctrl+Alt+Del or power keys) holds settings this systemd knows, its
# errors read well, and every shell script passes shellcheck.  The real install (twice, in a debootstrapped
# bookworm root) is tests/integration/test_install.sh.
#
# Prints "PASS: name" / "FAIL: name: why" lines for tests/run.sh.
set -u
[ -n "${BALIE_QEMU:-}" ] && exit 0 # nothing here depends on the CPU architecture

cd "$(dirname "$0")/../.." || exit 1
UNIT=firmware/balie.service
FIX=${BALIE_FIXTURES:-tests/fixtures}
T=$(mktemp -d /tmp/balie-firmware-XXXXXX)
trap 'rm -rf "$T"' EXIT

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }
skip() { echo "SKIP: $1: $2"; }

# ---- the unit ----------------------------------------------------------------

if command -v systemd-analyze >/dev/null 2>&1; then
	# verify needs the ExecStart binary to exist; point it at a stand-in
	# (the real path is verified inside the bookworm root by test_install.sh)
	mkdir -p "$T/unit"
	printf '#!/bin/sh\n' >"$T/unit/balie"
	chmod 755 "$T/unit/balie"
	sed "s#^ExecStart=/usr/bin/balie #ExecStart=$T/unit/balie #" "$UNIT" >"$T/unit/balie.service"
	if ! grep -q "^ExecStart=$T/unit/balie " "$T/unit/balie.service"; then
		fail unit_verifies "ExecStart=/usr/bin/balie not found in $UNIT"
	elif out=$(systemd-analyze verify --man=no "$T/unit/balie.service" 2>&1) && [ -z "$out" ]; then
		pass unit_verifies
	else
		fail unit_verifies "systemd-analyze verify: $out"
	fi

	out=$(systemd-analyze security --offline=true "$UNIT" 2>&1)
	score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for balie.service: \([0-9.]*\).*/\1/p')
	if [ -z "$score" ]; then
		fail security_score_at_most_2 "no score in: $(printf '%s\n' "$out" | tail -n 3)"
	elif awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
		pass "security_score_at_most_2 (exposure $score)"
	else
		fail security_score_at_most_2 "exposure $score > 2.0"
	fi
	if systemd-analyze security --offline=true --threshold=20 "$UNIT" >/dev/null 2>&1; then
		pass security_threshold_exit_status
	else
		fail security_threshold_exit_status "systemd-analyze --threshold=20 exited non-zero"
	fi
else
	skip unit_verifies "systemd-analyze not installed"
fi

# Each line the design depends on, exactly as written.
missing=""
for want in "Type=notify" "NotifyAccess=main" "WatchdogSec=30" "Restart=always" \
	"StartLimitIntervalSec=0" "User=balie" "SupplementaryGroups=video render input" \
	"CacheDirectory=balie" "StateDirectory=balie" "Conflicts=getty@tty1.service" \
	"TTYPath=/dev/tty1" "StandardOutput=journal" "StandardError=journal" \
	"ExecReload=/bin/kill -HUP \$MAINPID" "DevicePolicy=closed" "DeviceAllow=char-drm rw" \
	"DeviceAllow=char-cec rw" "WantedBy=multi-user.target"; do
	grep -qxF "$want" "$UNIT" || missing="$missing [$want]"
done
if [ -z "$missing" ]; then pass unit_has_notify_watchdog_restart_user_dirs_tty; else
	fail unit_has_notify_watchdog_restart_user_dirs_tty "missing:$missing"; fi

bad=$(grep -nv '^#' "$UNIT" | grep -E 'network-online|time-sync|time-wait-sync|:Requires=|:BindsTo=')
if [ -z "$bad" ]; then pass unit_never_waits_for_network_or_time; else
	fail unit_never_waits_for_network_or_time "$bad"; fi

# systemd.syntax(7): '#' after a value is part of the value
bad=$(grep -nE '^[A-Za-z]+=.*[[:space:]]#' "$UNIT")
if [ -z "$bad" ]; then pass unit_has_no_trailing_comments; else
	fail unit_has_no_trailing_comments "$bad"; fi

# ---- install.sh --dry-run on a copy of a Pi OS root ----------------------------

R=$T/root
mkdir -p "$R/etc" "$R/boot/firmware"
printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\n' >"$R/etc/os-release"
cp "$FIX/rpios-bookworm-config.txt" "$R/boot/firmware/config.txt"
cp "$FIX/rpios-bookworm-cmdline.txt" "$R/boot/firmware/cmdline.txt"
before=$(cd "$R" && find . | sort && find . -type f -exec md5sum {} + | sort)
out=$(sh firmware/install.sh --dry-run --root "$R" --no-binary 2>&1)
rc=$?
after=$(cd "$R" && find . | sort && find . -type f -exec md5sum {} + | sort)
if [ $rc -ne 0 ]; then
	fail dry_run_exits_0 "exit $rc: $(printf '%s\n' "$out" | tail -n 3)"
else
	pass dry_run_exits_0
fi
if [ "$before" = "$after" ]; then pass dry_run_changes_nothing; else
	fail dry_run_changes_nothing "files differ after --dry-run"; fi

missing=""
for want in "balie-install: dry run: nothing will be changed" \
	"balie-install: would create the system user balie" \
	"balie-install: would install /etc/systemd/system/balie.service" \
	"balie-install: would enable balie.service" \
	"balie-install: would update /boot/firmware/config.txt" \
	"balie-install: would update /boot/firmware/cmdline.txt" \
	"balie-install: would install /etc/systemd/system.conf.d/balie-watchdog.conf" \
	"balie-install: would install /etc/systemd/logind.conf.d/balie.conf" \
	"balie-install: would install /etc/sysctl.d/90-balie.conf" \
	"balie-install: would install /etc/systemd/system.conf.d/balie-console.conf" \
	"balie-install: would mask getty@tty2.service autovt@tty2.service getty@tty3.service autovt@tty3.service getty@tty4.service autovt@tty4.service getty@tty5.service autovt@tty5.service getty@tty6.service autovt@tty6.service ctrl-alt-del.target (no login prompt on tty2-tty6; Ctrl+Alt+Del does nothing)"; do
	printf '%s\n' "$out" | grep -qxF "$want" || missing="$missing [$want]"
done
printf '%s\n' "$out" | grep -q '^balie-install: would install Debian packages: libsdl2-2.0-0 .*v4l-utils' ||
	missing="$missing [would install Debian packages: ... v4l-utils]"
printf '%s\n' "$out" | grep -qE '^balie-install: dry run: [0-9]+ changes would be made$' ||
	missing="$missing [dry run: N changes would be made]"
if [ -z "$missing" ]; then pass dry_run_lists_every_step; else
	fail dry_run_lists_every_step "missing:$missing"; fi

# the new kernel command line, as the dry run's diff shows it
newcmd=$(printf '%s\n' "$out" | sed -n 's/^    +\(console=.*\)$/\1/p')
missing=""
for p in console=serial0,115200 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes rootwait \
	init=/usr/lib/raspberrypi-sys-mods/firstboot cfg80211.ieee80211_regdom=NL console=tty3 quiet \
	loglevel=3 logo.nologo vt.global_cursor_default=0 consoleblank=0 vc4.force_hotplug=1; do
	printf '%s\n' "$newcmd" | tr ' ' '\n' | grep -qxF "$p" || missing="$missing $p"
done
if printf '%s\n' "$newcmd" | tr ' ' '\n' | grep -qxF console=tty1; then missing="$missing (console=tty1 still there)"; fi
if [ -z "$newcmd" ]; then
	fail dry_run_shows_the_new_cmdline "no +console=... line in the diff"
elif [ -n "$missing" ]; then
	fail dry_run_shows_the_new_cmdline "wrong parameters:$missing in: $newcmd"
else
	pass dry_run_shows_the_new_cmdline
fi
# config.txt: the block is added after the image's own settings, under [all]
if printf '%s\n' "$out" | grep -qx '    +# >>> balie (managed by balie.s firmware/install.sh; edits here are replaced)' &&
	printf '%s\n' "$out" | grep -qx '    +hdmi_force_hotplug=1' &&
	printf '%s\n' "$out" | grep -qx '    +# <<< balie' &&
	[ "$(grep -v '^#' firmware/config.txt.fragment | grep -v '^$' | head -n 1)" = "[all]" ]; then
	pass dry_run_adds_the_config_txt_block_under_all
else
	fail dry_run_adds_the_config_txt_block_under_all "$(printf '%s\n' "$out" | grep '^    ' | head -n 5)"
fi

# ---- the keyboard cannot leave the kiosk -------------------------------------------

# value KEY FILE SECTION: the value of KEY in [SECTION] of a systemd-style INI file
ini_value() {
	awk -v k="$1" -v want="[$3]" '
		/^[[:space:]]*[#;]/ || /^[[:space:]]*$/ { next }
		/^\[/ { sec = $0; next }
		sec == want && index($0, k "=") == 1 { v = substr($0, length(k) + 2) }
		END { print v }' "$2"
}
missing=""
for kv in NAutoVTs=0 ReserveVT=0 HandlePowerKey=ignore HandlePowerKeyLongPress=ignore HandleRebootKey=ignore \
	HandleRebootKeyLongPress=ignore HandleSuspendKey=ignore HandleSuspendKeyLongPress=ignore \
	HandleHibernateKey=ignore HandleHibernateKeyLongPress=ignore; do
	[ "$(ini_value "${kv%%=*}" firmware/logind-balie.conf Login)" = "${kv#*=}" ] || missing="$missing [Login] $kv"
done
[ "$(ini_value CtrlAltDelBurstAction firmware/system-balie-console.conf Manager)" = none ] ||
	missing="$missing [Manager] CtrlAltDelBurstAction=none"
if [ -z "$missing" ]; then pass no_login_prompt_no_power_keys_no_ctrl_alt_del_burst; else
	fail no_login_prompt_no_power_keys_no_ctrl_alt_del_burst "missing:$missing"; fi

# every key is one this systemd knows (a misspelt key is only a warning in the journal)
logind=$(command -v /lib/systemd/systemd-logind /usr/lib/systemd/systemd-logind 2>/dev/null | head -n 1)
manager=$(command -v /lib/systemd/systemd /usr/lib/systemd/systemd 2>/dev/null | head -n 1)
if [ -n "$logind" ] && [ -n "$manager" ] && command -v strings >/dev/null 2>&1; then
	strings "$logind" >"$T/logind.strings"
	strings "$manager" >"$T/manager.strings"
	unknown=$(grep -v '^[#[]' firmware/logind-balie.conf | grep '=' | cut -d= -f1 | while read -r k; do
		grep -qxF "Login.$k" "$T/logind.strings" || printf ' %s' "$k"
	done)
	unknown=$unknown$(grep -v '^[#[]' firmware/system-balie-console.conf | grep '=' | cut -d= -f1 | while read -r k; do
		grep -qxF "$k" "$T/manager.strings" || printf ' %s' "$k"
	done)
	if [ -z "$unknown" ]; then pass console_settings_are_known_to_systemd; else
		fail console_settings_are_known_to_systemd "unknown keys:$unknown"; fi
else
	skip console_settings_are_known_to_systemd "no systemd-logind or strings here"
fi

# SysRq off; where the kernel has the key, sysctl itself reads the file
if grep -qx 'kernel.sysrq = 0' firmware/sysctl-balie.conf &&
	[ "$(grep -v '^#' firmware/sysctl-balie.conf | grep -c .)" = 1 ]; then
	if [ -e /proc/sys/kernel/sysrq ]; then
		if out=$(sysctl --dry-run -p firmware/sysctl-balie.conf 2>&1); then pass sysrq_off; else
			fail sysrq_off "sysctl --dry-run: $out"; fi
	else
		pass "sysrq_off (file format only: no /proc/sys/kernel/sysrq here)"
	fi
else
	fail sysrq_off "firmware/sysctl-balie.conf must hold exactly: kernel.sysrq = 0"
fi
if grep -qx -- '-sysrq_always_enabled' firmware/cmdline.txt.params; then pass cmdline_never_forces_sysrq_on; else
	fail cmdline_never_forces_sysrq_on "no -sysrq_always_enabled in firmware/cmdline.txt.params"; fi

# the words that promised a login prompt on tty2 are gone
bad=
for f in firmware/install.sh firmware/README.md README.md; do
	tr '\n' ' ' <"$f" | tr -s ' #' | grep -qiE 'prompt stays available on tty2|still gives one on tty2|Ctrl\+Alt\+F2 still' &&
		bad="$bad $f"
done
if [ -z "$bad" ]; then pass docs_promise_no_login_prompt; else
	fail docs_promise_no_login_prompt "a login prompt on tty2 is still promised in:$bad"; fi

# ---- messages a person can see ---------------------------------------------------

check_error() { # name, expected message, command...
	name=$1
	want=$2
	shift 2
	got=$("$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && printf '%s\n' "$got" | grep -qxF "$want"; then
		pass "$name"
	else
		fail "$name" "exit $rc, got: $(printf '%s\n' "$got" | tail -n 1)"
	fi
}
check_error usage_unknown_option "install.sh: unknown option: --bogus" sh firmware/install.sh --bogus
check_error usage_root_not_a_directory "install.sh: --root $T/nope: not a directory" \
	sh firmware/install.sh --root "$T/nope"
check_error usage_root_needs_a_binary \
	"install.sh: --root needs --binary FILE (a binary for the target, e.g. from make CROSS=aarch64-linux-gnu) or --no-binary" \
	sh firmware/install.sh --root "$R"
check_error usage_missing_binary "install.sh: --binary $T/no-balie: no such file" \
	sh firmware/install.sh --binary "$T/no-balie"
# The unprivileged user must be able to read the script: its own directory
# (mode 755) under the first base directory that user can enter, whatever
# the mode of /tmp (0700 on some machines).
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	U=
	for base in "${TMPDIR:-/tmp}" /var/tmp /dev/shm "$(pwd)"; do
		if [ -d "$base" ] && as_nobody test -x "$base" 2>/dev/null &&
			U=$(mktemp -d "$base/balie-firmware-nobody-XXXXXX" 2>/dev/null); then
			break
		fi
		U=
	done
	if [ -z "$U" ]; then
		skip usage_needs_root "no directory the user nobody can enter"
	else
		trap 'rm -rf "$T" "$U"' EXIT
		cp firmware/install.sh "$U/install.sh"
		chmod 755 "$U"
		chmod 644 "$U/install.sh"
		check_error usage_needs_root "install.sh: must run as root (try: sudo $U/install.sh --no-packages), or use --dry-run" \
			as_nobody sh "$U/install.sh" --no-packages
	fi
else
	skip usage_needs_root "needs root and setpriv"
fi
if sh firmware/install.sh --help | grep -q -- '--dry-run'; then pass usage_help; else fail usage_help "no --dry-run in --help"; fi

# ---- data files ----------------------------------------------------------------

bad=$(grep -v '^[[:space:]]*#' firmware/cmdline.txt.params | grep -v '^[[:space:]]*$' | grep -vE '^[+-][^[:space:]]+$')
if [ -z "$bad" ]; then pass cmdline_params_are_plus_or_minus_words; else
	fail cmdline_params_are_plus_or_minus_words "$bad"; fi

if [ -x firmware/pi-gen/stage-balie/prerun.sh ] && [ -x firmware/pi-gen/stage-balie/00-balie/00-run.sh ] &&
	grep -q '^IMG_SUFFIX="-balie"$' firmware/pi-gen/stage-balie/EXPORT_IMAGE; then
	pass pi_gen_stage_layout
else
	fail pi_gen_stage_layout "prerun.sh / 00-balie/00-run.sh not executable or EXPORT_IMAGE without IMG_SUFFIX"
fi

# ---- shellcheck ------------------------------------------------------------------

if command -v shellcheck >/dev/null 2>&1; then
	for f in firmware/install.sh scripts/deps-platform.sh scripts/check-cross.sh tests/bin/fake-cec-ctl \
		tests/integration/test_firmware.sh tests/integration/test_install.sh tests/integration/test_arm64.sh; do
		if out=$(shellcheck -s sh "$f" 2>&1); then pass "shellcheck $f"; else
			fail "shellcheck $f" "$(printf '%s\n' "$out" | head -n 4 | tr '\n' ' ')"; fi
	done
	for f in firmware/pi-gen/stage-balie/prerun.sh firmware/pi-gen/stage-balie/00-balie/00-run.sh \
		firmware/pi-gen/stage-balie/EXPORT_IMAGE; do
		if out=$(shellcheck -s bash "$f" 2>&1); then pass "shellcheck $f"; else
			fail "shellcheck $f" "$(printf '%s\n' "$out" | head -n 4 | tr '\n' ' ')"; fi
	done
else
	skip shellcheck "not installed (scripts/deps-platform.sh test installs it)"
fi
exit 0
