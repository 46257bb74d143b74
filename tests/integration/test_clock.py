"""The clock of a Pi without RTC: years behind at boot, then a jump when NTP syncs.

balie runs the real screen headless with tests/integration/clockshim.c
preloaded: the shim moves the process's wall clock (CLOCK_REALTIME,
gettimeofday, time: what balie, libcurl and OpenSSL read) and says what
adjtimex() reports, from a small control file the test rewrites, so the
jump happens under the running process while the machine's clock is left
alone.  The sources are Mastodon accounts on an HTTPS fake server whose
certificate is valid from 2000, so with the clock in 1999 every TLS
handshake fails exactly as it does on a Pi that booted in the past.

While the clock is wrong: the screen keeps showing the cached posts, card
times are shown without "ago" (no "-27 jaar geleden"), the TLS failures
count as offline (status line "Offline - berichten van ...", no error text
on screen), and the loop does not spin (timers are on the monotonic clock).
After the jump: the sources recover by themselves, the status line drops
"Offline", and the times become relative ("... geleden").
"""
import os
import re
import shutil
import subprocess
import time

import harness
import faultlib
from harness import check
from faultlib import Account, Screen

HERE = os.path.dirname(os.path.abspath(__file__))
CERTS = os.path.join(harness.ROOT, "tests", "server", "certs")
TRUSTED = (os.path.join(CERTS, "test-cert.pem"), os.path.join(CERTS, "test-key.pem"))
Y1999 = 915148800  # 1999-01-01T00:00:00Z: before the test certificate's notBefore (2000)


def build_shim(tmp):
    so = os.path.join(tmp, "clockshim.so")
    r = subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", so,
                        os.path.join(HERE, "clockshim.c"), "-ldl"], capture_output=True, text=True)
    check(r.returncode == 0, "building the clock shim: %s" % r.stderr)
    return so


def set_clock(path, offset, synced):
    tmp = path + ".new"
    with open(tmp, "w") as f:
        f.write("%d %d\n" % (offset, 1 if synced else 0))
    os.replace(tmp, path)


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_boot_in_1999_then_ntp_jump():
    import test_faults  # the TLS fake server
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    shim = build_shim(tmp)
    clockfile = os.path.join(tmp, "clock")
    png = os.path.join(tmp, "img.png")
    with open(png, "wb") as f:
        f.write(faultlib.png_bytes())
    srv = test_faults.TlsServer(TRUSTED).start()
    try:
        accts = [Account("k_een", 9001), Account("k_twee", 9002)]
        routes = []
        for a in accts:
            routes += a.good_routes(srv.base)
        srv.set_routes(routes + faultlib.media_routes(png))
        conf = faultlib.config(tmp, srv.base, accts, extra="")
        text = open(conf).read()
        text = text.replace("[network]\n", "[network]\nca_file = %s\n" % TRUSTED[0])
        text = text.replace("dwell_min_s = 60\ndwell_max_s = 60", "dwell_min_s = 1\ndwell_max_s = 1")
        faultlib.write(conf, text)
        r = harness.balie("--once", config=conf, cache=cache)
        check(r.code == 0, "--once with a right clock: %r" % r)
        keys = faultlib.post_keys(cache)

        # the Pi boots without RTC: the clock says 1999 and NTP has not synced
        set_clock(clockfile, Y1999 - int(time.time()), False)
        env = {"LD_PRELOAD": shim, "BALIE_TEST_CLOCK_FILE": clockfile,
               "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
        scr = Screen(conf, cache, env=env, verbose=True)
        with scr:
            scr.wait_for("the status line to say offline",
                         lambda: scr.grep(r"screen: status line: .*Offline"), 20)
            # "offline" may show as soon as the first source failed (a source not
            # yet tried does not count), so wait for the second one's line too
            scr.wait_for("every source's TLS failure",
                         lambda: len(scr.grep(r"warning: poller: .*TLS failure: .*not yet valid")) >= len(accts), 20)
            time.sleep(2)  # later polls must not log the same failure again
            tls = scr.grep(r"warning: poller: .*TLS failure: .*not yet valid")
            check(len(tls) == len(accts), "each source's TLS failure (certificate not yet valid) logged once: %r"
                  % tls)
            check(all("network error: TLS failure" in l for _, l in tls), "TLS failures count as network "
                  "errors (offline), not as bad data: %r" % tls)
            # idle for a while: no spinning on wall-clock deadlines, cards keep coming
            t0, c0 = time.time(), cpu_ticks(scr.pid)
            time.sleep(4)
            cpu = (cpu_ticks(scr.pid) - c0) / os.sysconf("SC_CLK_TCK") / (time.time() - t0)
            check(cpu < 0.6, "balie does not spin with the clock years behind (%.0f %% CPU)" % (cpu * 100))
            before = scr.grep(r"screen: showing ")
            check(len(before) >= 3, "cards keep changing while offline: %d" % len(before))
            for _, l in before:
                check(not re.search(r"geleden|ago|zojuist|just now|gisteren", l),
                      "no relative time while the clock is wrong: %r" % l)
                check(re.search(r"\((\d\d:\d\d|\d+ \w+ 20\d\d \d\d:\d\d)\)$", l),
                      "the post's own date and time instead: %r" % l)
            status = [l for _, l in scr.grep(r"screen: status line: ")]
            for l in status:
                check(not re.search(r"TLS|certif|error|fout", l, re.I), "no error text on screen: %r" % l)
            check(keys <= faultlib.post_keys(cache), "the cached posts are kept")

            # NTP syncs: the clock jumps 27 years forward
            t_jump = time.time()
            set_clock(clockfile, 0, True)
            scr.wait_for("every source working again",
                         lambda: len(scr.grep(r"poller: .*: working again$")) == len(accts), 40)
            scr.wait_for("the status line without Offline",
                         lambda: [l for t, l in scr.grep(r"screen: status line: ") if t > t_jump and
                                  "Offline" not in l], 20)
            scr.wait_for("relative times on the cards",
                         lambda: [l for t, l in scr.grep(r"screen: showing .*geleden\)$") if t > t_jump], 20)
            for t, l in scr.grep(r"screen: showing "):
                check(not re.search(r"-\d|\d{3,} \w+ geleden", l), "no negative or absurd time: %r" % l)
            check(scr.stop() == 0, "balie quits cleanly")
        rep = faultlib.sanitizer_report(scr.stderr())
        check(rep is None, "no sanitizer report:\n%s" % rep)
    finally:
        srv.stop()
    shutil.rmtree(tmp, ignore_errors=True)


def test_fake_now_in_the_past_keeps_every_post():
    """--list and the screen with BALIE_FAKE_NOW years behind: nothing is
    pruned as "older than 30 days" (the clock is not plausible), and nothing
    is hidden as "from the future"."""
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    png = os.path.join(tmp, "img.png")
    with open(png, "wb") as f:
        f.write(faultlib.png_bytes())
    with harness.FakeServer() as srv:
        a = Account("k_drie", 9003)
        srv.set_routes(a.good_routes(srv.base) + faultlib.media_routes(png))
        conf = faultlib.config(tmp, srv.base, [a])
        check(harness.balie("--once", config=conf, cache=cache).code == 0, "--once")
        keys = faultlib.post_keys(cache)
        past = {"BALIE_FAKE_NOW": str(Y1999)}
        r = harness.balie("--list", config=conf, cache=cache, env=past)
        check(r.code == 0 and "3 posts shown" in r.out, "--list in 1999 shows every post: %r" % r)
        # a poll in 1999 writes the cache: nothing is pruned by age
        r = harness.balie("--once", config=conf, cache=cache, env=past)
        check(keys <= faultlib.post_keys(cache), "a run in 1999 keeps every cached post")
        shot = os.path.join(tmp, "shot.png")
        r = harness.balie("--windowed", "--size", "800x480", "--screenshot", shot, config=conf, cache=cache,
                          env=past, timeout=90)
        check(r.code == 0, "the screen starts in 1999: %r" % r)
        check(len(faultlib.png_colors(shot)) >= 3, "and shows a card, not a blank frame")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    harness.main(globals())
