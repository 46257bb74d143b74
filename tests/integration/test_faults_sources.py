"""The fault matrix beyond Mastodon: Bluesky author feeds and RSS feeds, and
broken pictures, against the running screen.

test_faults.py runs every fault against Mastodon accounts.  Here one fake
server plays one Bluesky author and one RSS feed per fault (plus a
well-behaved author and feed, and a second server for a feed whose host goes
away), and one balie runs the screen headless (SDL dummy driver) on a clock
sped up BALIE_TIME_SCALE=100 times.

  phase A  every server behaves: --once fills the cache
  phase B  each source misbehaves in its own way while the screen runs:
           HTTP 500; an HTML page where JSON or XML was expected; a body cut
           in half (complete HTTP, broken JSON/XML); a connection closed
           before the announced length; a connection closed without an
           answer; and (RSS) a host that refuses connections
  phase C  the servers behave again, each source with one new post

For each source: balie stays up; its posts stay in posts.json, in --list and
on screen (-v "screen: showing KEY"); the failure is logged once although it
repeats every poll; and in phase C it recovers by itself ("working again",
the new post cached).  Only counts and balie's own logged clock are judged,
never the spacing of lines on this machine.

The second test shows cards whose picture is a corrupt JPEG or a PNG that
claims 30000x30000 pixels: each problem is logged once, however often the
card comes round, and the card itself keeps being shown.
"""
import os
import re
import time

import harness
import faultlib
from harness import FakeServer, check
from faultlib import Screen
from sourcelib import HTML_PAGE, BlueskyAuthor, PortServer, RssFeed

SCALE = 100
CAP_S = 15 * 60
FAULTS = ["http500", "html", "cut", "truncated", "refuse"]


def cut(text):
    return text[:len(text) // 2]


def fault_route(src, base, fault):
    """The route of a source (BlueskyAuthor or RssFeed) misbehaving as fault."""
    good = src.route(base)
    if fault == "http500":
        return src.route(base, status=500, headers={"Content-Type": "text/plain"}, body="oops")
    if fault == "html":
        return src.route(base, headers={"Content-Type": "text/html; charset=utf-8"}, body=HTML_PAGE)
    if fault == "cut":
        return src.route(base, body=cut(good["body"]))
    if fault == "truncated":
        return src.route(base, fault="truncate")
    if fault == "refuse":
        return src.route(base, fault="refuse")
    raise AssertionError(fault)


# what the one log line must say, per network and fault
PATTERNS = {
    ("bluesky", "http500"): r"network error: .*HTTP 500",
    ("bluesky", "html"): r"bad response: .*expected JSON, got an HTML page",
    ("bluesky", "cut"): r"bad response: .*not valid JSON",
    ("bluesky", "truncated"): r"network error: .*transfer closed",
    ("bluesky", "refuse"): r"network error: .*Empty reply from server",
    ("rss", "http500"): r"network error: .*HTTP 500",
    ("rss", "html"): r"bad response: .*not an RSS or Atom feed",
    ("rss", "cut"): r"bad response: .*XML error",
    ("rss", "truncated"): r"network error: .*transfer closed",
    ("rss", "refuse"): r"network error: .*Empty reply from server",
    ("rss", "down"): r"network error: .*(could not connect|Couldn't connect)",
}


def refreshes(screen, key):
    """(time read, status, clock s) of every finished refresh of one source (-v)."""
    rx = re.compile(r"poller: %s: (.*); next refresh in (-?[0-9.]+) s \(clock ([0-9.]+) s\)$" % re.escape(key))
    out = []
    for t, line in screen.grep(re.escape(key) + ": .*next refresh in"):
        m = rx.search(line)
        if m:
            out.append((t, m.group(1), float(m.group(3))))
    return out


def backoffs(screen, key):
    """(time read, status, wait s) of the failed refreshes of one source (-v)."""
    rx = re.compile(r"poller: %s: (.*); next refresh in (-?[0-9.]+) s " % re.escape(key))
    out = []
    for t, line in screen.grep(re.escape(key) + ": .*next refresh in"):
        m = rx.search(line)
        if m and m.group(1) not in ("ok", "not modified"):
            out.append((t, m.group(1), float(m.group(2))))
    return out


def failed(screen, key):
    return [f for f in refreshes(screen, key) if f[1] not in ("ok", "not modified")]


def shown(screen, keys):
    return [(t, l) for t, l in screen.grep(r"screen: showing ") if l.split("showing ", 1)[1].split(" ")[0] in keys]


def problem_lines(screen, key):
    return [l for _, l in screen.grep(r"^balie: (warning|error): poller: %s: " % re.escape(key))]


def config(tmp, base, authors, feeds):
    text = "".join('[person "%s"]\nname = Persoon %s\nbluesky = @%s\n\n' % (a.handle.split(".")[0], a.handle, a.handle)
                   for a in authors)
    text += "".join('[feed "%s"]\nurl = %s\nname = Nieuws %s\n\n' % (f.name, f.url, f.name) for f in feeds)
    text += ("[network]\nbluesky_appview = %s\ninterval_s = 15\ntimeout_s = 2\nconnect_timeout_s = 2\n\n"
             "[display]\ndwell_min_s = 20\ndwell_max_s = 20\ntransition_ms = 300\n" % base)
    return faultlib.write(os.path.join(tmp, "balie.conf"), text)


def test_bluesky_and_rss_faults_keep_posts_log_once_and_recover():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    png = os.path.join(tmp, "img.png")
    with open(png, "wb") as f:
        f.write(faultlib.png_bytes())
    with FakeServer() as srv:
        base = srv.base
        other = PortServer().start()   # the host that goes away
        try:
            authors = {f: BlueskyAuthor("%s.bsky.example" % f, n_posts=2) for f in FAULTS + ["control"]}
            feeds = {f: RssFeed("r%s" % f, n_items=2) for f in FAULTS + ["control", "down"]}
            for f, feed in feeds.items():
                feed.url = (other.base if f == "down" else base) + feed.path
            conf = config(tmp, base, authors.values(), feeds.values())
            media = faultlib.media_routes(png)

            def good():
                return ([a.route(base) for a in authors.values()]
                        + [fd.route(base) for f, fd in feeds.items() if f != "down"] + media)

            # ---- phase A: everything works
            srv.set_routes(good())
            other.set_routes([feeds["down"].route(other.base)] + media)
            r = harness.balie("--once", config=conf, cache=cache)
            check(r.code == 0, "--once against good servers: %r" % r)
            posts = faultlib.posts_json(cache)
            by_source = {}
            for p in posts:
                by_source.setdefault(p.get("source"), set()).add(p["key"])
            sources = {("bluesky", f): a.key for f, a in authors.items()}
            sources.update({("rss", f): fd.key for f, fd in feeds.items()})
            for (net, f), key in sources.items():
                check(len(by_source.get(key, ())) == 2, "phase A cached 2 posts of %s: %r" % (key, by_source.get(key)))
            listed_before = faultlib.listing(conf, cache)
            faulty = {k: key for k, key in sources.items() if k[1] != "control"}

            # ---- phase B: every source but the controls misbehaves
            routes = [authors["control"].route(base), feeds["control"].route(base)]
            for f in FAULTS:
                routes += [fault_route(authors[f], base, f), fault_route(feeds[f], base, f)]
            srv.set_routes(routes + media)
            other.stop()   # nothing listens on its port now
            srv.control("reset", {})

            screen = Screen(conf, cache, env={"BALIE_TIME_SCALE": str(SCALE)}, verbose=True)
            with screen:
                def enough():
                    # every faulty source failed 3 times (so 2 repeats were not logged) and one
                    # of its posts was on screen after its first failure was logged
                    for key in faulty.values():
                        fails = failed(screen, key)
                        if len(fails) < 3:
                            return False
                        if not [t for t, _ in shown(screen, by_source[key]) if t >= fails[0][0]]:
                            return False
                    return True
                screen.wait_for("3 failures of every faulty source, and its posts on screen", enough, 60)
                check(screen.alive(), "balie stays up")

                # (a) posts.json and (b) --list, a second process
                have = faultlib.post_keys(cache)
                for key, keys in by_source.items():
                    check(keys <= have, "%s: its cached posts are all still in posts.json: %r"
                          % (key, sorted(keys - have)))
                listed = faultlib.listing(conf, cache)
                for (net, f), key in sources.items():
                    name = authors[f].handle if net == "bluesky" else feeds[f].name
                    for i in (1, 2):
                        want = "Bericht %d van %s" % (i, name)
                        check(want in listed, "--list still shows %r during the faults:\n%s" % (want, listed[-2000:]))
                check(len(listed.splitlines()) == len(listed_before.splitlines()), "--list output kept its size")

                # (c) one line per failing source, however often it failed
                for (net, f), key in faulty.items():
                    lines = problem_lines(screen, key)
                    check(len(lines) == 1, "%s: the failure is logged once, not per poll (%d polls failed): %r"
                          % (key, len(failed(screen, key)), lines))
                    check(re.search(PATTERNS[(net, f)], lines[0]), "%s: the line names the problem (%s): %r"
                          % (key, PATTERNS[(net, f)], lines[0]))
                    check("keeping 2 cached posts" in lines[0], "%s: the line says the posts are kept: %r"
                          % (key, lines[0]))
                    # and the repeats back off (doubling, +-20 % jitter), on balie's own clock
                    waits = [w for _, _, w in backoffs(screen, key)]
                    for a, b in zip(waits, waits[1:]):
                        check(b >= min(a * 2 * 0.8 / 1.2, CAP_S * 0.8) - 1, "%s: back-off grows: %r" % (key, waits))
                # the well-behaved sources kept refreshing
                for key in (authors["control"].key, feeds["control"].key):
                    done = refreshes(screen, key)
                    check(len(done) >= 5 and all(d[1] in ("ok", "not modified") for d in done),
                          "%s kept refreshing: %r" % (key, done))
                    check(not problem_lines(screen, key), "%s: nothing logged" % key)

                # ---- phase C: the servers behave again; every source recovers by itself
                want = {}
                for f, a in authors.items():
                    want[a.key] = a.add_post("Weer online: %s" % a.handle)
                for f, fd in feeds.items():
                    want[fd.key] = "rss:" + fd.add_item("Weer online: %s" % fd.name)
                t_c = time.time()
                other.start()
                other.set_routes([feeds["down"].route(other.base)] + media)
                srv.set_routes(good())

                def recovered():
                    have = faultlib.post_keys(cache)
                    return all(k in have for k in want.values())
                # the longest back-off is the 15-minute cap (+20 %): 11 s at this speed
                screen.wait_for("every source to recover with its new post", recovered,
                                timeout=CAP_S * 1.2 / SCALE + 30)
                screen.wait_for("'working again' of every faulty source", lambda: all(
                    screen.grep(r"poller: %s: working again$" % re.escape(key)) for key in faulty.values()), 30)
                for key in faulty.values():
                    back = screen.grep(r"poller: %s: working again$" % re.escape(key))
                    check(len(back) == 1 and back[0][0] >= t_c, "%s: 'working again' logged once: %r" % (key, back))
                    check(len(problem_lines(screen, key)) == 1, "%s: still one problem line: %r"
                          % (key, problem_lines(screen, key)))
                listed = faultlib.listing(conf, cache)
                for f in ("cut", "refuse"):
                    check("Weer online: %s" % authors[f].handle in listed, "--list shows the new Bluesky post of %s"
                          % f)
                check("Weer online: rdown" in listed, "--list shows the new item of the feed that was down:\n%s"
                      % listed[-1500:])
                code = screen.stop()
            check(code == 0, "balie quits cleanly on SIGTERM (exit %s)" % code)
            rep = faultlib.sanitizer_report(screen.stderr())
            check(rep is None, "no sanitizer report:\n%s" % rep)
        finally:
            other.stop()


def test_broken_pictures_are_logged_once_and_the_cards_still_show():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    png = os.path.join(tmp, "img.png")
    with open(png, "wb") as f:
        f.write(faultlib.png_bytes())
    with FakeServer() as srv:
        base = srv.base
        corrupt = BlueskyAuthor("kapot.bsky.example", n_posts=1, image="/media/corrupt.jpg")
        bomb = RssFeed("bom", n_items=1, image="/media/bomb.png")
        control = BlueskyAuthor("heel.bsky.example", n_posts=2)
        bomb.url = base + bomb.path
        conf = config(tmp, base, [corrupt, control], [bomb])
        srv.set_routes([{"path": "/media/corrupt.jpg", "fault": "corrupt_image", "name": "corrupt"},
                        {"path": "/media/bomb.png", "fault": "bomb_png", "name": "bomb"},
                        corrupt.route(base), control.route(base), bomb.route(base)]
                       + faultlib.media_routes(png))
        r = harness.balie("--once", config=conf, cache=cache)
        check(r.code == 0, "--once: %r" % r)
        posts = {p["key"]: p for p in faultlib.posts_json(cache)}
        k_corrupt = corrupt.post_key(corrupt.rkey(1))
        k_bomb = "rss:" + bomb.guid(1)
        files = {}
        for k in (k_corrupt, k_bomb):
            check(k in posts, "%s cached: %r" % (k, sorted(posts)))
            media = posts[k].get("media") or []
            check(media and media[0].get("file"), "%s: its picture was downloaded (it is only read later): %r"
                  % (k, media))
            files[k] = media[0]["file"]
        srv.control("reset", {})

        screen = Screen(conf, cache, env={"BALIE_TIME_SCALE": str(SCALE)}, verbose=True)
        with screen:
            t0 = time.time()
            max_rss = 0

            def rounds():
                nonlocal max_rss
                max_rss = max(max_rss, screen.rss_kb() or 0)
                return min(len(shown(screen, {k})) for k in files) >= 4
            screen.wait_for("both cards with a broken picture shown 4 times", rounds, 60)
            elapsed = time.time() - t0
            wrong = []
            for k, name in files.items():
                lines = [l for _, l in screen.grep(r"^balie: warning: render: image not shown: .*%s"
                                                    % re.escape(name))]
                if len(lines) != 1:
                    wrong.append("%s: the card came round %d times, its picture was logged %d times:\n%s"
                                 % (k, len(shown(screen, {k})), len(lines), "\n".join(lines[:3])))
            check(not wrong, "each broken picture is logged once:\n" + "\n".join(wrong))
            bomb_lines = screen.grep(r"image not shown: .*%s.*30000x30000" % re.escape(files[k_bomb]))
            check(bomb_lines, "the 30000x30000 PNG is named by its size")
            check(max_rss < 600 * 1024, "memory stayed bounded with a 30000x30000 PNG around: %d kB" % max_rss)
            # the poller does not fetch them again and again either (a failed file: every 30 min at most)
            log = faultlib.entries(srv)
            for path in ("/media/corrupt.jpg", "/media/bomb.png"):
                n = len(faultlib.requests_to(srv, path, log))
                check(n <= 1 + int(elapsed * SCALE) // 1800, "%s fetched %d times in %.0f s of balie's clock"
                      % (path, n, elapsed * SCALE))
            code = screen.stop()
        check(code == 0, "balie quits cleanly (exit %s)" % code)
        rep = faultlib.sanitizer_report(screen.stderr())
        check(rep is None, "no sanitizer report:\n%s" % rep)


if __name__ == "__main__":
    harness.main(globals())
