"""The fault matrix: every way a server can misbehave, against the running screen.

One fake server plays one Mastodon account per fault (plus a well-behaved
control account and an HTTPS server for the TLS case); one balie runs the
screen headless (SDL dummy driver) with all of them as sources, on a clock
sped up BALIE_TIME_SCALE=100 times, so minutes of back-off pass in seconds.

  phase A  every server behaves: --once fills the cache
  phase B  every source misbehaves in its own way while the screen runs
  phase C  every server behaves again, each account with one new post

For each fault the test shows: balie stays up; posts.json and --list (a
second, read-only process) still hold the source's posts; the log names the
problem in one line (not one per poll); the back-off the poller decides
(-v: "next refresh in N s") grows with jitter up to the 15-minute cap, or
follows Retry-After, and the requests really are spaced that way; and in
phase C the source recovers by itself ("working again", its new post cached).
Broken and hostile images (corrupt JPEG, a PNG claiming 30000x30000 pixels)
are refused without a crash, a memory spike, or a download every poll.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

import harness
import faultlib
from harness import FakeServer, check, fixture
from faultlib import JSON, Account, Screen

SCALE = 100
OBSERVE_S = 32        # real seconds of phase B: 3200 s on balie's clock
CAP_S = 15 * 60       # the poller's back-off cap
AUTH_RETRY_S = 3600
MiB = 1 << 20


def cut(text):
    return text[:len(text) // 2]


NAMES = ["refuse", "reset", "stall", "drip", "http500", "http502", "http503", "rate429", "auth401", "html200",
         "badjson", "cutjson", "truncated", "shape", "huge", "hugechunked", "gzipbomb", "redirloop"]


def faults(base, accts):
    """(name, statuses-route overrides, pattern of the log line, kind of back-off);
    bodies that are (part of) a good answer are the account's own statuses."""
    out = []
    for f in fault_table(base, accts):
        assert f[0] in NAMES
        out.append(f)
    assert [f[0] for f in out] == NAMES
    return out


def fault_table(base, accts):
    def good_body(name):
        return accts[name].statuses(base)

    def jbody(name):
        return json.dumps(good_body(name))
    return [
        ("refuse", {"fault": "refuse"}, r"network error: transfer failed", "backoff"),
        ("reset", {"fault": "reset_mid_body", "headers": JSON, "body": jbody("reset")},
         r"network error: transfer failed", "backoff"),
        ("stall", {"fault": "stall", "seconds": 60}, r"network error: timed out", "backoff"),
        ("drip", {"fault": "drip", "interval": 1, "headers": JSON, "body": jbody("drip")},
         r"network error: timed out", "backoff"),
        ("http500", {"status": 500, "body": "oops"}, r"server error from 127\.0\.0\.1 \(HTTP 500", "backoff"),
        ("http502", {"fault": "html", "status": 502}, r"server error from 127\.0\.0\.1 \(HTTP 502", "backoff"),
        ("http503", {"status": 503, "headers": JSON, "body_json": {"error": "Service Unavailable"}},
         r"server error from 127\.0\.0\.1 \(HTTP 503", "backoff"),
        ("rate429", {"status": 429, "headers": {"Retry-After": "120", "Content-Type": "application/json"},
                     "body_file": fixture("mastodon-error-429.json")}, r"rate limited: rate limited by", "retry_after"),
        ("auth401", {"sequence": [{"status": 200, "headers": JSON, "body": jbody("auth401")},
                                  {"status": 401, "headers": JSON,
                                   "body_file": fixture("mastodon-error-401.json")}]},
         r"server requires a token: set mastodon_token = FILE \(HTTP 401: \"The access token is invalid\"\); "
         r"polling paused: one try an hour, or at once when the configuration is reloaded", "auth"),
        ("html200", {"status": 200, "headers": {"Content-Type": "text/html; charset=utf-8"},
                     "body": "<!DOCTYPE html><html><body><h1>Even geduld</h1><p>Onderhoud.</p></body></html>"}, r"expected JSON from 127\.0\.0\.1 but got text/html", "backoff"),
        ("badjson", {"status": 200, "headers": JSON, "body": '[{"id": "1", "content": '},
         r"is not valid JSON", "backoff"),
        ("cutjson", {"status": 200, "headers": JSON, "body": cut(jbody("cutjson"))}, r"is not valid JSON", "backoff"),
        ("truncated", {"fault": "truncate", "headers": JSON, "body": jbody("truncated")},
         r"network error: transfer failed: transfer closed", "backoff"),
        ("shape", {"status": 200, "headers": JSON, "body_json": {"statuses": good_body("shape")}},
         r"expected a list of statuses", "backoff"),
        ("huge", {"fault": "huge", "size": 50 * MiB, "headers": JSON},
         r"response too big: response of 52428800 bytes", "backoff"),
        ("hugechunked", {"fault": "huge", "size": 50 * MiB, "chunked": True, "headers": JSON},
         r"response too big: response body over", "backoff"),
        ("gzipbomb", {"fault": "huge", "size": 50 * MiB, "gzip": True, "headers": JSON},
         r"response too big: response body over", "backoff"),
        ("redirloop", {"fault": "redirect_loop"}, r"network error: bad redirect", "backoff"),
    ]


def make_cert(tmp):
    """A second self-signed certificate for 127.0.0.1 that balie does not trust."""
    cert, key = os.path.join(tmp, "other-cert.pem"), os.path.join(tmp, "other-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


CERTS = os.path.join(harness.ROOT, "tests", "server", "certs")
TRUSTED = (os.path.join(CERTS, "test-cert.pem"), os.path.join(CERTS, "test-key.pem"))


class TlsServer(FakeServer):
    """A FakeServer over TLS whose base URL uses https."""

    def __init__(self, cert_key, port=0):
        super().__init__(tls=cert_key)
        self.want_port = port

    def start(self):
        cmd = [sys.executable, harness.SERVER, "--port", str(self.want_port), "--tls", self.tls[0], self.tls[1]]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=harness.ROOT)
        line = self.proc.stdout.readline()
        check(line.startswith("PORT "), "TLS fake server did not start: %r" % line)
        self.port = int(line.split()[1])
        return self

    @property
    def base(self):
        return "https://127.0.0.1:%d" % self.port

    def control(self, path, payload=None):
        import ssl
        import urllib.request
        ctx = ssl.create_default_context(cafile=self.tls[0])
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(self.base + "/_control/" + path, data=data,
                                     method="POST" if data is not None else "GET",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
            body = r.read()
        return json.loads(body) if body else None


def source_key(acct, base):
    """The poller's key for a Mastodon account: the server as url_base() writes it."""
    return "mastodon:@%s@%s" % (acct.user, base[len("https://"):] if base.startswith("https://") else base)


def backoff_lines(screen, key):
    """(time, status, wait_s) of every finished refresh of one source (from -v)."""
    rx = re.compile(r"poller: %s: (.*); next refresh in (-?[0-9.]+) s \(clock ([0-9.]+) s\)$" % re.escape(key))
    out = []
    for t, line in screen.grep(re.escape(key) + ": .*next refresh in"):
        m = rx.search(line)
        if m:
            out.append((t, m.group(1), float(m.group(2)), float(m.group(3))))
    return out


def starts(screen, key):
    """balie's own (scaled) clock, in seconds, at each refresh start."""
    rx = re.compile(r"poller: %s: refresh starts \(clock ([0-9.]+) s\)$" % re.escape(key))
    return [float(rx.search(l).group(1)) for _, l in screen.grep(rx.pattern)]


def check_backoff(name, key, kind, screen, t_from, t_to):
    """The waits the poller chose, and the real spacing of the refreshes."""
    fins = [f for f in backoff_lines(screen, key) if t_from <= f[0] <= t_to]
    fails = [f for f in fins if f[1] not in ("ok", "not modified")]
    check(len(fails) >= (1 if kind == "auth" else 2), "%s: failed refreshes seen: %r" % (name, fins))
    waits = [f[2] for f in fails]
    if kind == "backoff":
        # 15 s, doubling per failure, 0 to +20 % jitter (never shorter), capped at 15 minutes
        check(len(fails) >= 7, "%s: enough failures to reach the cap: %r" % (name, waits))
        # each wait grows by its nominal step (x2, or 480 s -> the 900 s cap: x1.875),
        # less the jitter, which only lengthens: at worst step / 1.2
        nom = [min(15 * 2 ** min(i, 6), CAP_S) for i in range(len(waits))]
        for i, (a, b) in enumerate(zip(waits, waits[1:])):
            step = nom[i + 1] / nom[i]
            if step > 1:
                check(b >= a * step / 1.2 - 1,
                      "%s: back-off grows (%.0f s then %.0f s): %r" % (name, a, b, waits))
        check(max(waits) <= CAP_S * 1.2 + 1, "%s: back-off capped at 15 minutes (+20 %% jitter): %r" % (name, waits))
        check(max(waits) >= CAP_S - 1, "%s: the cap was reached: %r" % (name, waits))
        nominal = [min(15 * 2 ** min(i, 6), CAP_S) for i in range(len(waits))]
        ratios = [w / n for w, n in zip(waits, nominal)]
        check(all(0.99 <= r <= 1.21 for r in ratios), "%s: jitter within 0 to +20 %%, never shorter: %r" % (name, ratios))
        check(statistics.pstdev(ratios) > 0.02, "%s: the waits are jittered, not exact: %r" % (name, ratios))
    elif kind == "retry_after":
        check(all(115 <= w <= 125 for w in waits), "%s: waits follow Retry-After: 120: %r" % (name, waits))
    elif kind == "auth":
        check(all(AUTH_RETRY_S * 0.8 - 1 <= w <= AUTH_RETRY_S * 1.2 + 1 for w in waits[:1]),
              "%s: a rejected token is tried again after about an hour: %r" % (name, waits))
    # the refreshes really happen that late (never early), on the sped-up clock
    st = starts(screen, key)
    for _, _, w, c_fin in fails:
        nxt = [c for c in st if c > c_fin]
        if not nxt:
            continue
        gap = nxt[0] - c_fin
        check(gap >= w - 0.2, "%s: refresh came %.1f s after a failure, before the %.1f s back-off" % (name, gap, w))
        check(gap <= w * 1.15 + 80, "%s: refresh came %.1f s after a failure, long after the %.1f s back-off"
              % (name, gap, w))


def test_fault_matrix():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    png = os.path.join(tmp, "img.png")
    with open(png, "wb") as f:
        f.write(faultlib.png_bytes())
    other_cert = make_cert(tmp)
    with FakeServer() as srv:
        base = srv.base
        tls = TlsServer(TRUSTED).start()
        tls_port = tls.port
        try:
            control = Account("f_control", 7000)
            accts = {name: Account("f_" + name, 7001 + i) for i, name in enumerate(NAMES)}
            matrix = faults(base, accts)
            img = {"corrupt": Account("i_corrupt", 7100), "bomb": Account("i_bomb", 7101)}
            tls_acct = Account("t_tls", 7200)
            all_accts = [control] + list(accts.values()) + list(img.values())

            def image_routes():
                return [{"path": "/media/corrupt.jpg", "fault": "corrupt_image", "name": "corrupt"},
                        {"path": "/media/bomb.png", "fault": "bomb_png", "name": "bomb"}]

            def good():
                routes = image_routes()
                for a in all_accts:
                    path = {"i_corrupt": "/media/corrupt.jpg", "i_bomb": "/media/bomb.png"}.get(a.user)
                    routes += a.good_routes(base, media_path=path)
                return routes + faultlib.media_routes(png)

            srv.set_routes(good())
            tls.set_routes(tls_acct.good_routes(tls.base) + faultlib.media_routes(png))
            conf = faultlib.config(tmp, base, all_accts,
                                   extra="[person \"t_tls\"]\nmastodon = %s\n" % tls_acct.handle(tls.base))
            with open(conf, "a") as f:
                f.write("\n")
            # the TLS source trusts only the test CA
            text = open(conf).read().replace("[network]\n", "[network]\nca_file = %s\n" % TRUSTED[0])
            faultlib.write(conf, text)

            # ---- phase A: everything works
            r = harness.balie("--once", config=conf, cache=cache)
            check(r.code == 0, "--once against good servers: %r" % r)
            keys = {a.user: {p["key"] for p in faultlib.posts_json(cache) if "/users/%s/" % a.user in p["key"]}
                    for a in all_accts + [tls_acct]}
            for u, k in keys.items():
                check(len(k) == 3, "phase A cached 3 posts of %s: %r" % (u, k))
            listed_before = faultlib.listing(conf, cache)

            # ---- phase B: every source misbehaves
            routes = image_routes()
            routes += control.good_routes(base)
            for a in img.values():
                path = "/media/corrupt.jpg" if a.user == "i_corrupt" else "/media/bomb.png"
                routes += a.good_routes(base, media_path=path)
            for name, fault, _, _ in matrix:
                routes += accts[name].fault_routes(base, fault)
            srv.set_routes(routes + faultlib.media_routes(png))
            srv.control("reset", {})
            tls.stop()
            tls = TlsServer(other_cert, tls_port).start()  # same port, a certificate nobody trusts
            tls.set_routes(tls_acct.good_routes(tls.base))

            screen = Screen(conf, cache, env={"BALIE_TIME_SCALE": str(SCALE), "BALIE_STATS": "1"}, verbose=True)
            with screen:
                t0 = time.time()
                max_rss = 0
                while time.time() - t0 < OBSERVE_S:
                    check(screen.alive(), "balie died during the faults:\n%s" % screen.stderr()[-4000:])
                    max_rss = max(max_rss, screen.rss_kb() or 0)
                    time.sleep(0.5)
                t_b = time.time()

                # (a) alive, (b) posts.json and (c) --list in a second process
                cached = faultlib.post_keys(cache)
                for u, k in keys.items():
                    check(k <= cached, "%s: the cached posts are all still in posts.json: %r"
                          % (u, sorted(k - cached)))
                listed = faultlib.listing(conf, cache)
                for a in all_accts + [tls_acct]:
                    for i in (1, 2, 3):
                        want = "Bericht %d van %s" % (i, a.user)
                        check(want in listed, "--list still shows %r during the faults:\n%s" % (want, listed[-2000:]))
                check(len(listed.splitlines()) >= len(listed_before.splitlines()) - 1,
                      "--list output did not shrink")

                # one log line per fault, naming the problem; a back-off per source
                for name, _, pattern, kind in matrix:
                    key = "mastodon:%s" % accts[name].handle(base)
                    lines = [l for _, l in screen.grep(r"^balie: (warning|error): poller: %s: " % re.escape(key))]
                    check(len(lines) == 1, "%s: the failure is logged once, not per poll: %r" % (name, lines))
                    check(re.search(pattern, lines[0]), "%s: the log line names the problem (%s): %r"
                          % (name, pattern, lines[0]))
                    check("keeping 3 cached posts" in lines[0], "%s: the line says the posts are kept: %r"
                          % (name, lines[0]))
                    check_backoff(name, key, kind, screen, t0, t_b)
                tkey = source_key(tls_acct, tls.base)
                lines = [l for _, l in screen.grep(r"^balie: warning: poller: %s: " % re.escape(tkey))]
                check(len(lines) == 1 and "TLS failure" in lines[0] and "network error" in lines[0],
                      "untrusted certificate: one line, a network error saying TLS: %r" % lines)
                check_backoff("tls", tkey, "backoff", screen, t0, t_b)
                # the well-behaved source kept polling at its interval
                ok = [f for f in backoff_lines(screen, "mastodon:%s" % control.handle(base)) if f[0] <= t_b]
                check(len(ok) >= 30 and all(f[1] in ("ok", "not modified") for f in ok),
                      "the control source kept refreshing: %d" % len(ok))

                # hostile images: refused without a crash, a memory spike or a download every poll
                log = faultlib.entries(srv)
                for path in ("/media/corrupt.jpg", "/media/bomb.png"):
                    n = len(faultlib.requests_to(srv, path, log))
                    check(n <= 1 + (OBSERVE_S * SCALE) // 1800 + 1,
                          "%s: fetched %d times in %d s of balie's clock (retry every 30 min)"
                          % (path, n, OBSERVE_S * SCALE))
                check(max_rss < 600 * 1024, "memory stayed bounded with a 30000x30000 PNG around: %d kB" % max_rss)

                # ---- phase C: the servers behave again; every source recovers by itself
                for a in all_accts:
                    a.add_post("Weer online: %s" % a.user)
                tls_acct.add_post("Weer online: %s" % tls_acct.user)
                t_c = time.time()
                srv.set_routes(good())
                tls.stop()
                tls = TlsServer(TRUSTED, tls_port).start()
                tls.set_routes(tls_acct.good_routes(tls.base) + faultlib.media_routes(png))
                want = {a.user: "mastodon:%s/users/%s/statuses/%s" % (base, a.user, a.extra[0][0])
                        for a in all_accts}
                want[tls_acct.user] = "mastodon:%s/users/%s/statuses/%s" % (tls.base, tls_acct.user,
                                                                            tls_acct.extra[0][0])

                def recovered():
                    have = faultlib.post_keys(cache)
                    return all(k in have for k in want.values())
                # the slowest is the rejected token: tried again about an hour (36 s here) after it failed
                screen.wait_for("every source to recover with its new post", recovered,
                                timeout=AUTH_RETRY_S * 1.25 / SCALE + 15)
                for name, _, _, _ in matrix + [("tls", None, None, None)]:
                    acct = tls_acct if name == "tls" else accts[name]
                    b = tls.base if name == "tls" else base
                    key = source_key(acct, b)
                    back = screen.grep(r"poller: %s: working again$" % re.escape(key))
                    check(len(back) == 1 and back[0][0] >= t_c, "%s: 'working again' logged once: %r"
                          % (name, back))
                listed = faultlib.listing(conf, cache)
                check("Weer online: f_stall" in listed and "Weer online: t_tls" in listed,
                      "--list shows the new posts: %s" % listed[-1500:])
                code = screen.stop()
            err = screen.stderr()
            check(code == 0, "balie quits cleanly on SIGTERM (exit %s)" % code)
            rep = faultlib.sanitizer_report(err)
            check(rep is None, "no sanitizer report:\n%s" % rep)
            m = re.search(r"stats: .*cards_shown=(\d+)", err)
            check(m and int(m.group(1)) >= 20, "the screen kept changing cards through the faults: %s"
                  % (m.group(0) if m else "no stats line"))
        finally:
            tls.stop()
    shutil.rmtree(tmp, ignore_errors=True)


def test_page_of_malformed_statuses_deletes_nothing():
    """A JSON list whose every entry is unreadable is not "everything was
    deleted": the source's cached posts stay, also on the reconcile cycle
    (every 10th), which treats a page as the complete newest set."""
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    png = os.path.join(tmp, "img.png")
    with open(png, "wb") as f:
        f.write(faultlib.png_bytes())
    with FakeServer() as srv:
        a = Account("f_junk", 7300)
        srv.set_routes(a.good_routes(srv.base) + faultlib.media_routes(png))
        conf = faultlib.config(tmp, srv.base, [a])
        r = harness.balie("--once", config=conf, cache=cache)
        check(r.code == 0, "--once: %r" % r)
        before = faultlib.post_keys(cache)
        check(len(before) == 3, "three posts cached: %r" % before)
        srv.set_routes(a.fault_routes(srv.base, {"status": 200, "headers": JSON,
                                                  "body_json": [1, "two", {"id": "5"}, None, []]}))
        screen = Screen(conf, cache, env={"BALIE_TIME_SCALE": str(SCALE)}, verbose=True)
        with screen:
            key = source_key(a, srv.base)
            screen.wait_for("25 refreshes (two reconcile cycles)", lambda: len(backoff_lines(screen, key)) >= 25, 30)
            check(before <= faultlib.post_keys(cache), "the cached posts survive pages of junk: %r"
                  % sorted(before - faultlib.post_keys(cache)))
            listed = faultlib.listing(conf, cache)
            check("Bericht 1 van f_junk" in listed and "Bericht 3 van f_junk" in listed,
                  "--list shows them: %s" % listed[-1000:])
            check(screen.stop() == 0, "balie quits cleanly")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    harness.main(globals())
