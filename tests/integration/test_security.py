"""The public in front of the screen, and the network behind it.

  - balie opens no listening socket (TCP, UDP or Unix), checked against the
    kernel's socket tables while the real screen runs;
  - only https://, and http:// to this machine, is ever fetched: URLs in
    network data naming file://, ftp://, data:, plain http to another host,
    or redirects to them, are never followed, and nothing they name lands on
    disk;
  - this machine is reached only at the ports of configured sources: a post
    whose image, avatar or card names 127.0.0.1 (in any spelling, http or
    https, or through a redirect) at another port never gets a connection
    there; a reload that configures a source at a new port may fetch it;
  - names on disk never come from network data: ids, handles and URLs full
    of "../" leave nothing outside the cache, and every media file is named
    by its SHA-256;
  - a token travels only in the Authorization header to its own server:
    never in a log line (even with -v), a cache file, or a redirect to
    another host; the state file (which may hold sessions) is private.
The keyboard and touch side (nothing leaves the kiosk) is the unit test
tests/unit/test_input.c: the screen's key handling is that pure function.
"""
import json
import os
import re
import shutil
import signal
import socket
import stat
import time

import harness
import faultlib
from harness import FakeServer, check
from faultlib import JSON, Account, Screen

TOKEN = "sekreet-token-3b1f9e0c-niet-loggen"


def tcp_listeners(path):
    """Inodes of sockets in LISTEN state (TCP) or bound (UDP) in a /proc/net table."""
    out = set()
    try:
        with open(path) as f:
            next(f)
            for line in f:
                p = line.split()
                local, state, inode = p[1], p[3], p[9]
                port = int(local.rsplit(":", 1)[1], 16)
                if ("tcp" in path and state == "0A") or ("udp" in path and port != 0):
                    out.add(inode)
    except FileNotFoundError:
        pass
    return out


def unix_listeners():
    out = set()
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            p = line.split()
            flags, inode = int(p[3], 16), p[6]
            if flags & 0x10000:  # __SO_ACCEPTCON: listen() was called
                out.add(inode)
    return out


def test_no_listening_socket():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    png = os.path.join(tmp, "img.png")
    with open(png, "wb") as f:
        f.write(faultlib.png_bytes())
    with FakeServer() as srv:
        a = Account("z_een", 9501)
        srv.set_routes(a.good_routes(srv.base) + faultlib.media_routes(png))
        conf = faultlib.config(tmp, srv.base, [a])
        scr = Screen(conf, cache, env={"BALIE_TIME_SCALE": "100"}, verbose=True)
        with scr:
            scr.wait_for("posts polled and shown", lambda: scr.grep(r"screen: showing ") and
                         len(scr.grep(r"poller: .*next refresh in")) >= 3, 30)
            seen_sockets = 0
            for _ in range(20):  # while it polls, downloads and draws
                mine = scr.socket_inodes()
                seen_sockets = max(seen_sockets, len(mine))
                listening = set()
                for t in ("tcp", "tcp6", "udp", "udp6", "udplite", "udplite6"):
                    listening |= tcp_listeners("/proc/%d/net/%s" % (scr.pid, t))
                listening |= unix_listeners()
                bad = mine & listening
                check(not bad, "balie has a listening socket: inodes %r" % bad)
                time.sleep(0.1)
            check(seen_sockets >= 1, "the check saw balie's own client sockets (so it can see sockets at all)")
            check(scr.stop() == 0, "balie quits cleanly")
    shutil.rmtree(tmp, ignore_errors=True)


def hostile_routes(a, base, png):
    """Statuses whose media, avatars and cards point anywhere but an allowed URL."""
    bad = ["file:///etc/passwd", "ftp://127.0.0.1/x.png", "data:image/png;base64,iVBORw0KGgo=",
           "http://example.com/x.png", "gopher://127.0.0.1/1", "javascript:alert(1)", "//example.com/x.png",
           "/etc/passwd", "../../../../etc/passwd", "HTTP://EXAMPLE.COM/y.png", "http://127.0.0.1.example.com/z.png",
           base + "/redirect/file", base + "/redirect/remote", base + "/media/../../../../etc/passwd"]
    statuses = []
    for i, url in enumerate(bad):
        s = a.status(base, "%d%06d" % (int(a.id), i + 1), "Vijandig bericht %d" % i, time.time() - 600 * (i + 1))
        for m in s["media_attachments"]:
            m["url"] = m["preview_url"] = url
        s["account"]["avatar"] = s["account"]["avatar_static"] = url
        s["card"] = {"url": url, "title": "Kaart %d" % i, "description": "", "type": "link", "image": url}
        s["id"] = "%d%06d" % (int(a.id), i + 1)
        statuses.append(s)
    return [a.lookup_route(base),
            {"path": a.statuses_path(), "headers": JSON, "body_json": statuses},
            {"path": "/redirect/file", "fault": "redirect", "location": "file:///etc/passwd"},
            {"path": "/redirect/remote", "fault": "redirect", "location": "http://example.com/x.png"},
            {"path": "/", "prefix": True, "headers": {"Content-Type": "image/png"}, "body_file": png,
             "name": "anything-else"}], bad


def test_only_allowed_urls_are_fetched_and_nothing_they_name_is_stored():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    png = os.path.join(tmp, "img.png")
    with open(png, "wb") as f:
        f.write(faultlib.png_bytes())
    with FakeServer() as srv:
        a = Account("z_twee", 9502)
        routes, bad = hostile_routes(a, srv.base, png)
        srv.set_routes(routes)
        conf = faultlib.config(tmp, srv.base, [a])
        r = harness.balie("--once", "-v", config=conf, cache=cache)
        check(r.code == 0, "--once reads the hostile page: %r" % r)
        log = faultlib.entries(srv)
    paths = sorted({e["path"] for e in log})
    # the server saw only the API, the two redirects (refused at their Location) and nothing else
    # (".../media/../../../../etc/passwd" is an http URL to this machine: curl asks for /etc/passwd)
    allowed = {"/api/v1/accounts/lookup", a.statuses_path(), "/redirect/file", "/redirect/remote", "/etc/passwd"}
    check(set(paths) <= allowed, "requests only to allowed URLs: %r" % paths)
    fetched = re.findall(r"net: GET (\S+?):? ", r.err)
    for u in fetched:
        check(re.match(r"http://127\.0\.0\.1:%d/" % srv.port, u), "balie fetched %s" % u)
    check(re.search(r"redirect to file://.* refused|bad redirect", r.err), "the redirect to file:// is refused: %s"
          % r.err[-2000:])
    check(re.search(r"redirect to http://example\.com refused", r.err),
          "the redirect to plain http elsewhere is refused: %s" % r.err[-2000:])
    passwd = open("/etc/passwd", "rb").read()
    names = faultlib.check_media_dir(cache)
    for n in names:
        check(open(os.path.join(cache, "media", n), "rb").read() != passwd, "/etc/passwd was never stored")
    out = faultlib.listing(conf, cache)
    check("Vijandig bericht 0" in out, "the posts themselves are kept and listed: %s" % out[-800:])
    shutil.rmtree(tmp, ignore_errors=True)


class Listener:
    """A TCP port on this machine that counts every connection made to it (the
    printer daemon or router page a hostile post might name).  It never
    accepts while balie runs: the kernel completes each connection and queues
    it, and count() takes them all from the queue afterwards, so no
    connection is missed however slow the machine is."""

    def __init__(self):
        self.socks = []
        s4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s4.bind(("127.0.0.1", 0))
        self.port = s4.getsockname()[1]
        self.socks.append(s4)
        try:  # the same port on ::1, where the host allows it
            s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s6.bind(("::1", self.port))
            self.socks.append(s6)
        except OSError:
            pass
        for s in self.socks:
            s.listen(128)
            s.setblocking(False)

    def count(self):
        n = 0
        for s in self.socks:
            while True:
                try:
                    c, _ = s.accept()
                except (BlockingIOError, InterruptedError):
                    break
                c.close()
                n += 1
        return n

    def close(self):
        for s in self.socks:
            s.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def local_urls(port):
    """This machine at port, in the spellings libcurl connects to 127.0.0.1 or ::1."""
    return ["http://127.0.0.1:%d/x.png" % port, "http://localhost:%d/x.png" % port,
            "http://127.1:%d/x.png" % port, "http://[::1]:%d/x.png" % port,
            "https://127.0.0.1:%d/x.png" % port, "https://0x7f.1:%d/x.png" % port,
            "https://2130706433:%d/x.png" % port, "https://[::ffff:127.0.0.1]:%d/x.png" % port,
            "https://localhost:%d/x.png" % port, "https://%%31%%32%%37.0.0.1:%d/x.png" % port]


def test_no_connection_to_another_port_on_this_machine():
    """A remote post can name any URL; only the configured source's own port
    on this machine is ever contacted."""
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    png = os.path.join(tmp, "img.png")
    with open(png, "wb") as f:
        f.write(faultlib.png_bytes())
    with FakeServer() as srv, Listener() as other:
        check(other.port != srv.port, "two different ports")
        a = Account("z_vijf", 9505)
        bad = local_urls(other.port) + [srv.base + "/redirect/local"]
        statuses = []
        for i, url in enumerate(bad):
            sid = "%d%06d" % (int(a.id), i + 1)
            s = a.status(srv.base, sid, "Lokaal bericht %d" % i, time.time() - 600 * (i + 2))
            for m in s["media_attachments"]:
                m["url"] = m["preview_url"] = url
            s["account"]["avatar"] = s["account"]["avatar_static"] = url
            s["card"] = {"url": url, "title": "Kaart %d" % i, "description": "", "type": "link", "image": url}
            statuses.append(s)
        # the control: a post whose image is on the configured server is fetched
        good = a.status(srv.base, "%d%06d" % (int(a.id), 99), "Goed bericht", time.time() - 60,
                        media_path="/media/good.png")
        statuses.insert(0, good)
        srv.set_routes([a.lookup_route(srv.base),
                        {"path": a.statuses_path(), "headers": JSON, "body_json": statuses},
                        {"path": "/redirect/local", "fault": "redirect",
                         "location": "http://127.0.0.1:%d/x.png" % other.port}] + faultlib.media_routes(png))
        conf = faultlib.config(tmp, srv.base, [a])
        r = harness.balie("--once", "-v", config=conf, cache=cache)
        check(r.code == 0, "--once reads the page: %r" % r)
        log = faultlib.entries(srv)
        connections = other.count()
    check(connections == 0, "balie connected %d times to port %d, which no source names"
          % (connections, other.port))
    check(faultlib.requests_to(srv, "/media/good.png", log), "the image on the configured server was fetched")
    check(faultlib.requests_to(srv, "/redirect/local", log), "the redirect on the configured server was asked")
    check(re.search(r"redirect to http://127\.0\.0\.1 refused", r.err),
          "the redirect to another local port is refused: %s" % r.err[-2000:])
    for u in re.findall(r"net: GET (\S+?):? ", r.err):
        check(re.match(r"http://127\.0\.0\.1:%d/" % srv.port, u), "balie fetched %s" % u)
    out = faultlib.listing(conf, cache)
    check("Lokaal bericht 0" in out and "Goed bericht" in out, "the posts themselves are kept: %s" % out[-800:])
    check(faultlib.check_media_dir(cache), "the good image is stored")
    shutil.rmtree(tmp, ignore_errors=True)


def test_a_reload_allows_the_port_of_a_new_source_and_drops_the_old():
    """The ports balie may use on this machine follow the configuration: after
    SIGHUP the new source's port is fetched, and the old one's is refused even
    when a post still names it."""
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    png = os.path.join(tmp, "img.png")
    with open(png, "wb") as f:
        f.write(faultlib.png_bytes())
    with FakeServer() as first, FakeServer() as second:
        a, b = Account("z_zes", 9506), Account("z_zeven", 9507)
        first.set_routes(a.good_routes(first.base) + faultlib.media_routes(png))
        # the new source's posts name their images on the old source's port
        second.set_routes([b.lookup_route(second.base),
                           {"path": b.statuses_path(), "headers": JSON, "body_json": b.statuses(first.base)}]
                          + faultlib.media_routes(png))
        conf = faultlib.config(tmp, first.base, [a])
        scr = Screen(conf, cache, env={"BALIE_TIME_SCALE": "100"}, verbose=True)
        with scr:
            scr.wait_for("the first source polled", lambda: faultlib.requests_to(first, a.statuses_path()), 30)
            faultlib.config(tmp, second.base, [b])
            scr.proc.send_signal(signal.SIGHUP)
            scr.wait_for("the reload", lambda: scr.grep(r"main: configuration .* reloaded$"), 30)
            # refused, this would never come: the new port was not configured at start-up
            scr.wait_for("the new source polled twice",
                         lambda: len(faultlib.requests_to(second, b.statuses_path())) >= 2, 30)
            check(scr.stop() == 0, "balie quits cleanly")
        log1 = faultlib.entries(first)
    b_images = [e["path"] for e in log1 if e["path"].startswith("/media/photo-%s-" % b.user)]
    check(not b_images, "the old source's port is not fetched from after the reload: %r" % b_images)
    keys = faultlib.post_keys(cache)
    check(any("/users/%s/" % b.user in k for k in keys), "the new source's posts are stored: %r" % keys)
    shutil.rmtree(tmp, ignore_errors=True)


def test_names_on_disk_never_come_from_network_data():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    outside = os.path.join(tmp, "pwned")
    png = os.path.join(tmp, "img.png")
    with open(png, "wb") as f:
        f.write(faultlib.png_bytes())
    with FakeServer() as srv:
        a = Account("z_drie", 9503)
        evil = "../../pwned/x"
        statuses = []
        for i in range(3):
            s = a.status(srv.base, "%s%d" % (evil, i), "Pad %d" % i, time.time() - 600 * (i + 1))
            s["uri"] = "%s/../../../pwned/%d" % (srv.base, i)
            s["url"] = s["uri"]
            s["account"]["acct"] = s["account"]["username"] = "../../pwned"
            s["account"]["id"] = evil
            for m in s["media_attachments"]:
                m["id"] = evil
                m["url"] = m["preview_url"] = srv.base + "/media/%%2e%%2e/%%2e%%2e/pwned/img%d.png" % i
            statuses.append(s)
        srv.set_routes([a.lookup_route(srv.base),
                        {"path": a.statuses_path(), "headers": JSON, "body_json": statuses},
                        {"path": "/", "prefix": True, "headers": {"Content-Type": "image/png"},
                         "body_file": png}])
        conf = faultlib.config(tmp, srv.base, [a])
        before = set(os.listdir(tmp))
        r = harness.balie("--once", config=conf, cache=cache)
        check(r.code == 0, "--once: %r" % r)
    check(not os.path.exists(outside), "nothing was written outside the cache: %s" % outside)
    check(set(os.listdir(tmp)) - before <= {"cache"}, "only the cache directory was created: %r"
          % (set(os.listdir(tmp)) - before))
    for root, dirs, files in os.walk(cache):
        rel = os.path.relpath(root, cache)
        for name in files + dirs:
            check("pwned" not in name and ".." not in name and "/" not in name,
                  "a name on disk from network data: %s/%s" % (rel, name))
        if rel == "media":
            for name in files:
                check(re.fullmatch(r"[0-9a-f]{64}\.(png|jpg|gif|webp|avif|heic|svg|bin)", name),
                      "media named by content hash: %s" % name)
    check(faultlib.check_media_dir(cache), "the images were stored (by hash)")
    out = faultlib.listing(conf, cache)
    check("Pad 0" in out, "the posts are kept: %s" % out[-600:])
    shutil.rmtree(tmp, ignore_errors=True)


def test_token_only_in_its_own_authorization_header():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    png = os.path.join(tmp, "img.png")
    with open(png, "wb") as f:
        f.write(faultlib.png_bytes())
    tok = faultlib.write(os.path.join(tmp, "mastodon.token"), TOKEN + "\n", 0o600)
    with FakeServer() as srv:
        a = Account("z_vier", 9504)
        # the statuses answer sends balie to another host name (localhost) for the page
        other = "http://localhost:%d" % srv.port
        srv.set_routes([a.lookup_route(srv.base),
                        {"path": a.statuses_path(), "fault": "redirect",
                         "location": other + "/elsewhere" + a.statuses_path()},
                        {"path": "/elsewhere" + a.statuses_path(), "headers": JSON,
                         "body_json": a.statuses(srv.base)}] + faultlib.media_routes(png))
        conf = faultlib.write(os.path.join(tmp, "balie.conf"),
                              '[person "z"]\nmastodon = %s\nmastodon_token = %s\n' % (a.handle(srv.base), tok))
        r = harness.balie("--once", "-v", config=conf, cache=cache)
        check(r.code == 0, "--once with a token: %r" % r)
        scr = Screen(conf, cache, env={"BALIE_TIME_SCALE": "100"}, verbose=True)
        with scr:
            scr.wait_for("a few refreshes", lambda: len(scr.grep(r"next refresh in")) >= 3, 30)
            check(scr.stop() == 0, "balie quits cleanly")
        log = faultlib.entries(srv)
    sent = [e for e in log if e["headers"].get("authorization") == "Bearer " + TOKEN]
    check(sent and all(e["path"].startswith("/api/v1/accounts/") for e in sent),
          "the token went to its server's API: %r" % [e["path"] for e in sent])
    moved = [e for e in log if e["path"].startswith("/elsewhere")]
    check(moved, "the redirect was followed")
    for e in moved:
        check("authorization" not in e["headers"], "the token did not follow the redirect to another host: %r"
              % e["headers"])
    for e in log:
        check(TOKEN not in e["raw_query"] and TOKEN not in e["path"], "the token is never in a URL: %r" % e)
    for text, what in ((r.out, "stdout"), (r.err, "the -v log"), (scr.stderr(), "the screen's -v log")):
        check(TOKEN not in text, "the token is not in %s" % what)
    for root, _, files in os.walk(cache):
        for n in files:
            with open(os.path.join(root, n), "rb") as f:
                check(TOKEN.encode() not in f.read(), "the token is not in the cache file %s" % n)
    mode = stat.S_IMODE(os.stat(os.path.join(cache, "state.json")).st_mode)
    check(mode & 0o077 == 0, "state.json (sessions) is private: %o" % mode)
    shutil.rmtree(tmp, ignore_errors=True)


def test_config_refuses_other_schemes():
    tmp = harness.tempdir()
    for line, what in (("[feed \"x\"]\nurl = http://example.com/feed.xml\n", "plain http elsewhere"),
                       ("[feed \"x\"]\nurl = file:///etc/passwd\n", "file://"),
                       ("[feed \"x\"]\nurl = ftp://127.0.0.1/feed.xml\n", "ftp://"),
                       ("[person \"x\"]\nmastodon = @a@http://example.com\n", "plain http server")):
        conf = faultlib.write(os.path.join(tmp, "balie.conf"), line)
        r = harness.balie("--list", config=conf, cache=os.path.join(tmp, "cache"))
        check(r.code == 2, "%s is a configuration error: %r" % (what, r))
        check(re.search(re.escape(conf) + r":\d+: \[", r.err), "%s: FILE:LINE: [section] key: %r" % (what, r.err))
    shutil.rmtree(tmp, ignore_errors=True)


def test_unknown_quit_key_keeps_the_default():
    """A quit_keys value the parser accepts but no keyboard has: the screen
    says so and keeps Ctrl+Alt+Shift+Q (the key handling itself is
    tests/unit/test_input.c)."""
    tmp = harness.tempdir()
    conf = faultlib.write(os.path.join(tmp, "balie.conf"), "[display]\nquit_keys = ctrl+alt+foo\n")
    shot = os.path.join(tmp, "shot.png")
    r = harness.balie("--windowed", "--size", "800x480", "--screenshot", shot, config=conf,
                      cache=os.path.join(tmp, "cache"), timeout=90)
    check(r.code == 0, "the screen starts: %r" % r)
    check('warning: screen: display.quit_keys "ctrl+alt+foo": not modifiers and one key; '
          'using ctrl+alt+shift+q' in r.err, "the log says the combination cannot be used: %s" % r.err[-1500:])
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    harness.main(globals())
