"""SIGHUP reload end to end, against the running screen (SDL dummy driver).

README, Signals: "SIGHUP reloads the configuration file: it is parsed into a
fresh copy and swapped in only when valid; a bad edit keeps the running
configuration and logs why."  Configuration errors read
"FILE:LINE: [section] key: message".

One fake server plays three Mastodon accounts; balie starts with one person,
on a clock sped up BALIE_TIME_SCALE=20 times.

  1. a valid edit adds a second person: after SIGHUP the log says so, the new
     account is polled, its posts reach posts.json, --list and the screen;
  2. a bad edit (a misspelt key in a third person's section), then another
     (a bad number in [network]): each is logged with FILE:LINE: [section]
     key, balie keeps running the previous configuration (both people still
     polled, the third never), and does not exit;
  3. a valid edit that removes the second person: it is no longer polled.
"""
import os
import re
import signal
import time

import harness
import faultlib
from harness import FakeServer, check
from faultlib import Account, Screen

SCALE = 20


def statuses(srv, acct, log=None):
    return faultlib.requests_to(srv, acct.statuses_path(), log)


def lookups(srv, acct):
    return [e for e in faultlib.entries(srv)
            if e["path"] == "/api/v1/accounts/lookup" and e["query"].get("acct") == acct.user]


def person(acct, base):
    return '[person "%s"]\nname = Persoon %s\nrole = Wethouder\nmastodon = %s\n\n' % (acct.user, acct.user,
                                                                                  acct.handle(base))


NETWORK = "[network]\ninterval_s = 15\ntimeout_s = 5\n\n[display]\ndwell_min_s = 20\ndwell_max_s = 20\n"


def test_sighup_applies_a_good_edit_and_keeps_running_through_bad_ones():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    png = os.path.join(tmp, "img.png")
    with open(png, "wb") as f:
        f.write(faultlib.png_bytes())
    with FakeServer() as srv:
        base = srv.base
        anna, bram, carla = Account("anna", 9100), Account("bram", 9101), Account("carla", 9102)
        srv.set_routes(anna.good_routes(base) + bram.good_routes(base) + carla.good_routes(base)
                       + faultlib.media_routes(png))
        conf = os.path.join(tmp, "balie.conf")
        faultlib.write(conf, person(anna, base) + NETWORK)

        screen = Screen(conf, cache, env={"BALIE_TIME_SCALE": str(SCALE)}, verbose=True)
        with screen:
            screen.wait_for("a card of anna on screen", lambda: screen.grep(r"screen: showing .*/users/anna/"), 60)
            check(not lookups(srv, bram), "bram is not asked for before he is configured")

            # ---- 1. a valid edit: a second person
            faultlib.write(conf, person(anna, base) + person(bram, base) + NETWORK)
            screen.proc.send_signal(signal.SIGHUP)
            screen.wait_for("the reload to be logged", lambda: screen.grep(r"configuration reloaded: 2 sources"), 30)
            check(screen.grep(r"^balie: info: main: configuration %s reloaded$" % re.escape(conf)),
                  "main logs which file it reloaded:\n%s" % screen.stderr()[-2000:])
            bram_keys = lambda: {p["key"] for p in faultlib.posts_json(cache) if "/users/bram/" in p["key"]}
            screen.wait_for("bram's posts in the cache", lambda: len(bram_keys()) == 3, 30)
            screen.wait_for("a card of bram on screen", lambda: screen.grep(r"screen: showing .*/users/bram/"), 60)
            listed = faultlib.listing(conf, cache)
            check("Persoon bram \u2014 Wethouder" in listed and "Bericht 3 van bram" in listed,
                  "--list shows the new person with his posts:\n%s" % listed[-2000:])
            check("Bericht 3 van anna" in listed, "and the first person's:\n%s" % listed[-2000:])

            # ---- 2. bad edits: logged with FILE:LINE: [section] key, the running configuration stays
            good_text = open(conf).read()
            bad_key = good_text + '[person "carla"]\nname = Carla\nmastodn = %s\n' % carla.handle(base)
            bad_line = bad_key.count("\n")  # the misspelt key is the last line
            bad_value = good_text.replace("interval_s = 15", "interval_s = vaak")
            value_line = bad_value[:bad_value.index("interval_s = vaak")].count("\n") + 1
            reloads = len(screen.grep(r"configuration reloaded: "))
            for text, line, section, key, why in (
                    (bad_key, bad_line, '[person "carla"]', "mastodn", "unknown key (did you mean 'mastodon'?)"),
                    (bad_value, value_line, "[network]", "interval_s", "'vaak' is not a whole number")):
                faultlib.write(conf, text)
                n_errors = len(screen.grep(r"configuration not reloaded"))
                t_bad = time.time()
                screen.proc.send_signal(signal.SIGHUP)
                screen.wait_for("the bad edit to be logged",
                                lambda: len(screen.grep(r"configuration not reloaded")) > n_errors, 30)
                err = screen.grep(r"configuration not reloaded")[-1][1]
                want = "%s:%d: %s %s: %s" % (conf, line, section, key, why)
                check(err == "balie: error: main: configuration not reloaded, keeping the running one: " + want,
                      "the log names FILE:LINE: [section] key and why:\n  got:  %s\n  want: ...%s" % (err, want))
                # the previous configuration keeps running: both people are still polled
                log = faultlib.entries(srv)
                a0, b0 = len(statuses(srv, anna, log)), len(statuses(srv, bram, log))
                screen.wait_for("anna and bram polled after the bad edit",
                                lambda: len(statuses(srv, anna)) >= a0 + 2 and len(statuses(srv, bram)) >= b0 + 2, 30)
                check(screen.alive(), "balie did not exit on a bad edit")
                check(len(screen.grep(r"configuration reloaded: ")) == reloads, "nothing was swapped in")
                check(not lookups(srv, carla), "the person of the bad edit is never asked for")
                screen.wait_for("cards still changing after the bad edit",
                                lambda: len([t for t, _ in screen.grep(r"screen: showing ") if t > t_bad]) >= 2, 30)

            # ---- 3. a valid edit that removes bram: he is no longer polled
            faultlib.write(conf, person(anna, base) + NETWORK)
            screen.proc.send_signal(signal.SIGHUP)
            screen.wait_for("the reload to one source", lambda: screen.grep(r"configuration reloaded: 1 sources"), 30)
            log = faultlib.entries(srv)
            a0, b0 = len(statuses(srv, anna, log)), len(statuses(srv, bram, log))
            screen.wait_for("anna polled 3 more times", lambda: len(statuses(srv, anna)) >= a0 + 3, 30)
            check(len(statuses(srv, bram)) == b0, "bram is no longer polled: %d -> %d"
                  % (b0, len(statuses(srv, bram))))
            code = screen.stop()
        err = screen.stderr()
        check(code == 0, "balie quits cleanly on SIGTERM after the reloads (exit %s)" % code)
        rep = faultlib.sanitizer_report(err)
        check(rep is None, "no sanitizer report:\n%s" % rep)


def cpu_seconds(pid):
    """User + system CPU time the process has used, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_reload_while_a_server_hangs_does_not_freeze_the_screen():
    """A reload (systemctl reload balie) while one server hangs must not stop
    the screen, nor spin a core, until that request times out: the cards keep
    changing, and the new configuration is in place once the hanging request
    has ended."""
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    png = os.path.join(tmp, "img.png")
    with open(png, "wb") as f:
        f.write(faultlib.png_bytes())
    timeout = 15     # real seconds: curl's clock is not sped up
    with FakeServer() as srv:
        base = srv.base
        anna, slow, bram = Account("anna", 9100), Account("slow", 9103), Account("bram", 9101)
        srv.set_routes(anna.good_routes(base) + bram.good_routes(base) + slow.good_routes(base)
                       + faultlib.media_routes(png))
        conf = os.path.join(tmp, "balie.conf")
        network = NETWORK.replace("timeout_s = 5", "timeout_s = %d" % timeout)
        faultlib.write(conf, person(anna, base) + person(slow, base) + network)
        r = harness.balie("--once", config=conf, cache=cache)
        check(r.code == 0, "--once fills the cache: %r" % r)
        # from now on slow's server accepts the request and says nothing for a minute
        srv.set_routes(anna.good_routes(base) + bram.good_routes(base)
                       + slow.fault_routes(base, {"fault": "stall", "seconds": 60}) + faultlib.media_routes(png))
        srv.control("reset", {})
        screen = Screen(conf, cache, env={"BALIE_TIME_SCALE": "10"}, verbose=True)
        with screen:
            screen.wait_for("a card on screen", lambda: screen.grep(r"screen: showing "), 60)
            screen.wait_for("slow's request hanging", lambda: statuses(srv, slow), 30)
            faultlib.write(conf, person(anna, base) + person(slow, base) + person(bram, base) + network)
            t0, c0 = time.time(), cpu_seconds(screen.pid)
            screen.proc.send_signal(signal.SIGHUP)
            time.sleep(8)
            t1, c1 = time.time(), cpu_seconds(screen.pid)
            cards = [l for t, l in screen.grep(r"screen: showing ") if t0 < t < t1]
            wrong = []
            if len(cards) < 2:
                wrong.append("the cards stopped for the %.0f s after SIGHUP while a request hung (one every "
                             "2 s expected): %d cards shown" % (t1 - t0, len(cards)))
            if c1 - c0 >= 0.3 * (t1 - t0):
                wrong.append("a core spun while the reload waited: %.1f s of CPU in %.1f s" % (c1 - c0, t1 - t0))
            check(not wrong, "; ".join(wrong))
            screen.wait_for("the new configuration once the hanging request ended",
                            lambda: screen.grep(r"configuration reloaded: 3 sources"), timeout + 30)
            screen.wait_for("bram polled", lambda: statuses(srv, bram), 30)
            code = screen.stop()
        check(code == 0, "balie quits cleanly (exit %s)" % code)
        rep = faultlib.sanitizer_report(screen.stderr())
        check(rep is None, "no sanitizer report:\n%s" % rep)


if __name__ == "__main__":
    harness.main(globals())
