"""A LinkedIn token that dies while the screen runs (test_fbli.py does the
same for a Facebook Page token).

The fake server plays api.linkedin.com for one organisation, whose posts
answer once and then 401 REVOKED_ACCESS_TOKEN (the recorded body), and one
well-behaved RSS feed.  balie runs the screen headless on a clock sped up
BALIE_TIME_SCALE=300 times, so an hour passes in 12 seconds.

What the README and docs/resilience.md promise for a rejected token, and the
test holds: the cached posts stay (posts.json, --list, on screen); polling
of that source stops while the others go on; one log line says what to do;
the token is tried again about an hour later (still one line when it is
still refused); and after the token file is renewed and balie reloaded, it is
asked at once, with the new token, and works again.  Spacing is judged on
balie's own logged clock and by counting requests, not by this machine's.
"""
import os
import re
import signal

import harness
import faultlib
import sourcelib
from harness import FakeServer, check, fixture
from faultlib import JSON, Screen
from sourcelib import LI_TOKEN, ORG, RssFeed

SCALE = 300
AUTH_RETRY_S = 3600
NEW_TOKEN = "AQXrenewedMemberTokenAfterSigningIn"


def li_refreshes(screen, kind=None):
    """(time read, status, wait s, clock s) of LinkedIn's finished refreshes (-v)."""
    key = "linkedin:" + ORG
    rx = re.compile(r"poller: %s: (.*); next refresh in (-?[0-9.]+) s \(clock ([0-9.]+) s\)$" % re.escape(key))
    out = []
    for t, line in screen.grep(re.escape(key) + ": .*next refresh in"):
        m = rx.search(line)
        if m:
            out.append((t, m.group(1), float(m.group(2)), float(m.group(3))))
    return out


def li_starts(screen):
    rx = re.compile(r"poller: linkedin:%s: refresh starts \(clock ([0-9.]+) s\)$" % ORG)
    return [float(rx.search(l).group(1)) for _, l in screen.grep(rx.pattern)]


def test_linkedin_token_dying_mid_run_pauses_polling_and_comes_back_after_a_reload():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    png = os.path.join(tmp, "img.png")
    with open(png, "wb") as f:
        f.write(faultlib.png_bytes())
    with FakeServer() as srv:
        base = srv.base
        files = sourcelib.linkedin_files(tmp, base)
        feed = RssFeed("nieuws", n_items=2)
        token = sourcelib.linkedin_token(tmp)
        conf = faultlib.write(os.path.join(tmp, "balie.conf"),
                              '[organisation "gemeente"]\nname = Gemeente Voorbeeldstad\n'
                              "linkedin = %s\nlinkedin_token = %s\n\n"
                              '[feed "nieuws"]\nurl = %s%s\nname = Nieuws\n\n'
                              "[network]\ninterval_s = 60\nlinkedin_api = %s\n\n"
                              "[display]\ndwell_min_s = 20\ndwell_max_s = 20\n"
                              % (ORG, token, base, feed.path, base))
        good = {"status": 200, "headers": JSON, "body_file": files["posts"]}
        dead = {"status": 401, "headers": JSON, "body_file": fixture("linkedin-error-401.json")}
        srv.set_routes(sourcelib.linkedin_routes(files, posts={"sequence": [good, dead]})
                       + [feed.route(base)] + faultlib.media_routes(png))

        screen = Screen(conf, cache, env={"BALIE_TIME_SCALE": str(SCALE)}, verbose=True)
        with screen:
            key = "linkedin:" + ORG
            problem = r"^balie: (warning|error): poller: %s: " % re.escape(key)
            screen.wait_for("the token to be refused",
                            lambda: [f for f in li_refreshes(screen) if f[1] != "ok"] and screen.grep(problem), 60)
            li_keys = {p["key"] for p in faultlib.posts_json(cache) if p.get("source") == key}
            check(li_keys, "the first refresh cached LinkedIn posts: %r" % faultlib.posts_json(cache))
            fails = [f for f in li_refreshes(screen) if f[1] != "ok"]
            check(len(fails) == 1, "one refused refresh so far: %r" % fails)
            _, status, wait, c_fail = fails[0]
            check(status == "not authorised", "the 401 is an authorisation failure: %r" % fails)
            check(AUTH_RETRY_S * 0.8 - 1 <= wait <= AUTH_RETRY_S * 1.2 + 1,
                  "the next try is about an hour later: %.0f s" % wait)

            # the hourly try: the third request for the posts, which is refused again
            def retried():
                return len([f for f in li_refreshes(screen) if f[1] != "ok"]) >= 2
            screen.wait_for("LinkedIn tried again after about an hour", retried,
                            AUTH_RETRY_S * 1.25 / SCALE + 20)
            log = faultlib.entries(srv)
            posts_req = [e for e in log if e["path"] == "/rest/posts"]
            check(len(posts_req) == 3, "LinkedIn asked three times (works, refused, the hourly try): %d"
                  % len(posts_req))
            between = [e for e in log
                       if e["path"] == feed.path and posts_req[1]["time"] < e["time"] < posts_req[2]["time"]]
            check(len(between) >= 10, "the feed kept being polled meanwhile: %d requests" % len(between))
            # on balie's clock: no refresh of LinkedIn between the failure and its hourly try
            starts = [c for c in li_starts(screen) if c > c_fail]
            check(starts and starts[0] >= c_fail + wait - 0.2,
                  "the retry comes after the hour it announced (%.0f s): %r" % (wait, [s - c_fail for s in starts]))
            lines = [l for _, l in screen.grep(problem)]
            check(len(lines) == 1, "one log line although it was refused twice: %r" % lines)
            check("the token was refused (HTTP 401 REVOKED_ACCESS_TOKEN" in lines[0] and token in lines[0]
                  and "sign in again" in lines[0], "the line says what happened and what to do: %r" % lines[0])
            check("polling paused: one try an hour, or at once when the configuration is reloaded" in lines[0],
                  "and that polling is paused: %r" % lines[0])

            # the posts stay: posts.json, --list (a second process), the screen
            check(li_keys <= faultlib.post_keys(cache), "the LinkedIn posts are still in posts.json")
            listed = faultlib.listing(conf, cache)
            check("Met dank aan Bibliotheek Voorbeeldstad" in listed, "--list still shows them:\n%s" % listed[-1500:])
            t_fail = fails[0][0]
            screen.wait_for("a LinkedIn post on screen after the token died",
                            lambda: [t for t, l in screen.grep(r"screen: showing linkedin:") if t > t_fail], 30)

            # the administrator signs in again, writes the token file and reloads
            c_retry = li_refreshes(screen)[-1][3]
            sourcelib.linkedin_token(tmp, token=NEW_TOKEN)
            srv.set_routes(sourcelib.linkedin_routes(files) + [feed.route(base)] + faultlib.media_routes(png))
            n_before = len(posts_req)
            screen.proc.send_signal(signal.SIGHUP)
            screen.wait_for("LinkedIn working again after the reload",
                            lambda: screen.grep(r"poller: %s: working again$" % re.escape(key)), 30)
            check(screen.grep(r"configuration reloaded"), "the reload is logged")
            posts_req = [e for e in faultlib.entries(srv) if e["path"] == "/rest/posts"]
            check(len(posts_req) > n_before, "asked again: %d" % len(posts_req))
            check(all(e["headers"].get("authorization") == "Bearer " + NEW_TOKEN for e in posts_req[n_before:]),
                  "with the new token: %r" % [e["headers"].get("authorization", "")[:12] for e in posts_req])
            back = [c for c in li_starts(screen) if c > c_retry]
            check(back and back[0] - c_retry < AUTH_RETRY_S * 0.5,
                  "at once after the reload, not an hour later: %.0f s after the last try"
                  % ((back[0] - c_retry) if back else -1))
            check(len([l for _, l in screen.grep(problem)]) == 1, "still one problem line")
            code = screen.stop()
        err = screen.stderr()
        check(code == 0, "balie quits cleanly (exit %s)" % code)
        rep = faultlib.sanitizer_report(err)
        check(rep is None, "no sanitizer report:\n%s" % rep)
        check(LI_TOKEN not in err and NEW_TOKEN not in err, "no token in the log")


if __name__ == "__main__":
    harness.main(globals())
