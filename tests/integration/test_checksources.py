"""`balie --check-sources` end to end, held to what the README promises.

README, command line: "test every configured source once and print per
source whether it works"; exit status 1 when "a source failed (--once,
--check-sources; its cached posts are kept)".  README, Facebook and LinkedIn
setup: it "prints, per source, whether it works and what to do if it does
not", and its troubleshooting table quotes what it says for a refused
LinkedIn token.  README, LinkedIn token files: "balie then warns in its log a
week before that date".

The fake server on 127.0.0.1 plays a Mastodon server, the LinkedIn API and an
RSS host.  Four sources: one that works, a LinkedIn organisation whose token
is refused (401), a Mastodon account that does not exist (404), and a feed on
a port where nothing listens (connection refused).
"""
import datetime
import os
import re
import socket

import harness
import faultlib
import sourcelib
from harness import FakeServer, balie, check, fixture
from faultlib import JSON, Account
from sourcelib import LI_TOKEN, ORG, RssFeed

README = os.path.join(harness.ROOT, "README.md")


def closed_port():
    """A loopback port where nothing listens (connect: ECONNREFUSED)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def setup(tmp, srv, feed_url, li_token=None):
    good = Account("werkt", 8000)
    png = os.path.join(tmp, "img.png")
    with open(png, "wb") as f:
        f.write(faultlib.png_bytes())
    li = li_token or sourcelib.linkedin_token(tmp)
    conf = faultlib.write(os.path.join(tmp, "balie.conf"), """
[person "werkt"]
name = Persoon Werkt
mastodon = {good}

[person "weg"]
name = Persoon Weg
mastodon = @bestaatniet@{base}

[organisation "gemeente"]
name = Gemeente Voorbeeldstad
linkedin = {org}
linkedin_token = {li}

[feed "nieuws"]
url = {feed}
name = Nieuws

[network]
linkedin_api = {base}
timeout_s = 5
connect_timeout_s = 5
""".format(good=good.handle(srv.base), base=srv.base, org=ORG, li=li, feed=feed_url))
    return good, png, conf


def status_lines(out):
    """{source key: (verdict, message, [what-to-do lines])} from the output,
    and the lines that fit no expected shape."""
    res, stray, last = {}, [], None
    for line in out.splitlines():
        m = re.match(r"^(ok|FAIL) +(\S+): (.*)$", line)
        if m:
            check(m.group(2) not in res, "one line per source, %s twice:\n%s" % (m.group(2), out))
            res[m.group(2)] = (m.group(1), m.group(3), [])
            last = m.group(2)
            continue
        m = re.match(r"^ +what to do: (.+)$", line)
        if m and last:
            res[last][2].append(m.group(1))
            continue
        if line.strip():
            stray.append(line)
    return res, stray


def readme_quote(row_start):
    """The quoted log text of a troubleshooting row of the README, up to its '…'."""
    with open(README, encoding="utf-8") as f:
        for line in f:
            if line.startswith("| " + row_start):
                m = re.search(r"`([^`]*)`", line)
                check(m, "README row %r quotes the message" % row_start)
                return m.group(1).split("\u2026")[0].strip()
    raise harness.Failure("README has no troubleshooting row starting %r" % row_start)


def test_every_source_works_exit_0():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    with FakeServer() as srv:
        feed = RssFeed("nieuws")
        good, png, conf = setup(tmp, srv, srv.base + feed.path)
        weg = Account("bestaatniet", 8001)
        files = sourcelib.linkedin_files(tmp, srv.base)
        srv.set_routes(good.good_routes(srv.base) + weg.good_routes(srv.base) + sourcelib.linkedin_routes(files)
                       + [feed.route(srv.base)] + faultlib.media_routes(png))
        r = balie("--check-sources", config=conf, cache=cache)
    check(r.code == 0, "every source works: exit 0: %r" % r)
    res, stray = status_lines(r.out)
    want = {"mastodon:" + good.handle(srv.base), "mastodon:" + weg.handle(srv.base), "linkedin:" + ORG,
            "rss:nieuws"}
    check(set(res) == want, "one status line per configured source: %r\n%s" % (sorted(res), r.out))
    check(not stray, "nothing but status lines on stdout: %r" % stray)
    for key, (verdict, msg, todo) in res.items():
        check(verdict == "ok", "%s works: %r" % (key, r.out))
        check(not todo, "%s: no advice when it works: %r" % (key, todo))
    check(LI_TOKEN not in r.out + r.err, "the token never appears in the output")


def test_failures_exit_1_each_with_what_to_do():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    dead = closed_port()
    with FakeServer() as srv:
        feed = RssFeed("nieuws")
        files = sourcelib.linkedin_files(tmp, srv.base)
        # first every source works, so there are cached posts to keep
        good, png, conf = setup(tmp, srv, srv.base + feed.path)
        weg = Account("bestaatniet", 8001)
        srv.set_routes(good.good_routes(srv.base) + weg.good_routes(srv.base) + sourcelib.linkedin_routes(files)
                       + [feed.route(srv.base)] + faultlib.media_routes(png))
        r = balie("--check-sources", config=conf, cache=cache)
        check(r.code == 0, "first run, every source works: %r" % r)
        before = faultlib.posts_json(cache)

        # then: the token is refused, the account is gone, the feed's host refuses connections
        good, png, conf = setup(tmp, srv, "http://127.0.0.1:%d%s" % (dead, feed.path))
        gone = {"status": 404, "headers": JSON, "body_file": fixture("mastodon-error-404.json")}
        srv.set_routes(good.good_routes(srv.base)
                       + [dict(weg.lookup_route(srv.base), **gone), dict(path=weg.statuses_path(), **gone)]
                       + sourcelib.linkedin_routes(files, posts={"status": 401,
                                                                 "body_file": fixture("linkedin-error-401.json")})
                       + faultlib.media_routes(png))
        r = balie("--check-sources", config=conf, cache=cache)
    check(r.code == 1, "a source failed: exit 1: %r" % r)
    res, stray = status_lines(r.out)
    k_good, k_weg = "mastodon:" + good.handle(srv.base), "mastodon:" + weg.handle(srv.base)
    k_li, k_rss = "linkedin:" + ORG, "rss:nieuws"
    check(set(res) == {k_good, k_weg, k_li, k_rss}, "one status line per source: %r\n%s" % (sorted(res), r.out))
    check(not stray, "nothing but status lines and advice on stdout: %r" % stray)

    verdict, msg, todo = res[k_good]
    check(verdict == "ok" and not todo, "the working source says ok, without advice: %r" % (res[k_good],))

    for key in (k_weg, k_li, k_rss):
        verdict, msg, todo = res[key]
        check(verdict == "FAIL", "%s fails: %r" % (key, r.out))
        check(len(todo) == 1 and len(todo[0]) > 40, "%s: one 'what to do' line: %r" % (key, todo))

    # the 404 account: the line names the account and the answer; the advice the handle to check
    verdict, msg, todo = res[k_weg]
    check("bestaatniet" in msg and "HTTP 404" in msg, "the 404 line names the account and the status: %r" % msg)
    check("@user@server" in todo[0] and "handle" in todo[0], "the advice says to check the handle: %r" % todo)

    # the refused LinkedIn token: what the README's troubleshooting row quotes
    verdict, msg, todo = res[k_li]
    quote = readme_quote("LinkedIn: `the token was refused")
    check(quote in msg, "the LinkedIn line says what the README quotes (%r): %r" % (quote, msg))
    check("REVOKED_ACCESS_TOKEN" in msg, "and LinkedIn's own reason: %r" % msg)
    check(os.path.join(tmp, "linkedin.token") in msg, "and the token file to rewrite: %r" % msg)
    check("sign in again" in todo[0] and "linkedin_token" in todo[0] and "reload" in todo[0],
          "the advice: sign in again, write linkedin_token's file, reload: %r" % todo)

    # the refused connection: the line says so; the advice is about reaching the feed
    verdict, msg, todo = res[k_rss]
    check(re.search(r"could not connect|connection refused|couldn't connect", msg, re.I),
          "the feed line says the connection was refused: %r" % msg)
    check("127.0.0.1:%d" % dead in msg, "and names the address: %r" % msg)
    check("[feed]" in todo[0] and "url" in todo[0], "the advice points at the feed's url: %r" % todo)

    # the failing sources keep their cached posts (README: exit 1 ... "its cached posts are kept")
    for key in (k_weg, k_li, k_rss):
        n = len([p for p in before if p.get("source") == key])
        check(n > 0, "%s had cached posts before: %r" % (key, [p.get("source") for p in before]))
        check("(%d posts cached)" % n in res[key][1], "%s: the line says its %d posts are kept: %r"
              % (key, n, res[key][1]))
    after = {p["key"] for p in faultlib.posts_json(cache)}
    check({p["key"] for p in before} <= after, "every cached post is still in posts.json")
    check(LI_TOKEN not in r.out + r.err, "the token never appears in the output")


def test_linkedin_token_about_to_expire_is_warned():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3)).strftime("%Y-%m-%d")
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)).strftime("%Y-%m-%d")
    with FakeServer() as srv:
        feed = RssFeed("nieuws")
        files = sourcelib.linkedin_files(tmp, srv.base)
        li = sourcelib.linkedin_token(tmp, expires=soon)
        good, png, conf = setup(tmp, srv, srv.base + feed.path, li_token=li)
        weg = Account("bestaatniet", 8001)
        srv.set_routes(good.good_routes(srv.base) + weg.good_routes(srv.base) + sourcelib.linkedin_routes(files)
                       + [feed.route(srv.base)] + faultlib.media_routes(png))
        r = balie("--check-sources", config=conf, cache=cache)
        check(r.code == 0, "the token still works: exit 0: %r" % r)
        warn = [l for l in r.err.splitlines() if "LinkedIn token" in l]
        check(len(warn) == 1, "one warning about the token: %r" % r)
        check(re.search(r"expires in [234] days \(%s\)" % soon, warn[0]) and li in warn[0]
              and "sign in to LinkedIn again" in warn[0], "it names the date, the file and what to do: %r" % warn)
        # a month ahead: no warning yet
        sourcelib.linkedin_token(tmp, expires=later)
        r = balie("--check-sources", config=conf, cache=cache)
    check(r.code == 0, "exit 0: %r" % r)
    check("LinkedIn token" not in r.err, "no warning a month ahead: %r" % r.err)


if __name__ == "__main__":
    harness.main(globals())
