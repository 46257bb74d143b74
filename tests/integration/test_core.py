"""Issue 2 end to end: --once fills the cache from a real HTTP server on
127.0.0.1, --list shows it with the server gone, and a misbehaving server
leaves the earlier cache intact while each source's status line says what
happened."""
import json
import os
import re
import stat
import struct
import time
import zlib

import harness
from harness import FakeServer, balie, check, fixture, mastodon_routes

USER = "gemeentevoorbeeldstad"
NEWEST = "114098765432100003"


def png_bytes(w=4, h=4, rgb=(200, 40, 40)):
    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def local_statuses(tmp, base):
    """The recorded statuses with media and avatar URLs pointing at the fake server."""
    data = json.load(open(fixture("mastodon-account-statuses.json")))
    # recorded in 2025: make the posts recent so the cache's age limit keeps them
    now = time.time()
    for i, st in enumerate(data):
        for s in (st, st.get("reblog") or {}):
            if "created_at" in s:
                s["created_at"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now - 3600 * (i + 1)))
    text = json.dumps(data)
    text = re.sub(r"https://files\.social\.overheid\.example/accounts/avatars/[^\"]+",
                  base + "/media/avatar.png", text)
    text = re.sub(r"https://files\.social\.overheid\.example/media_attachments/[^\"]+",
                  base + "/media/photo.png", text)
    path = os.path.join(tmp, "statuses.json")
    with open(path, "w") as f:
        f.write(text)
    media = os.path.join(tmp, "img.png")
    with open(media, "wb") as f:
        f.write(png_bytes())
    return path, media


def good_routes(tmp, base):
    statuses, media = local_statuses(tmp, base)
    return [
        {"path": "/api/v1/accounts/lookup", "status": 200,
         "headers": {"Content-Type": "application/json"},
         "body_file": fixture("mastodon-account-lookup.json")},
        {"path": "/api/v1/accounts/110712345678901234/statuses", "query": {"min_id": NEWEST},
         "status": 200, "headers": {"Content-Type": "application/json"}, "body": "[]"},
        {"path": "/api/v1/accounts/110712345678901234/statuses", "status": 200,
         "headers": {"Content-Type": "application/json"}, "body_file": statuses},
        {"path": "/media/", "prefix": True, "status": 200,
         "headers": {"Content-Type": "image/png"}, "body_file": media},
    ]


def account(srv):
    return "@%s@%s" % (USER, srv.base)


def fill(tmp, cache, srv):
    srv.set_routes(good_routes(tmp, srv.base))
    r = balie("--account", account(srv), "--once", cache=cache)
    check(r.code == 0, "--once against a good server should exit 0: %r" % r)
    return r


def listing(cache, *extra):
    r = balie("--list", *extra, cache=cache)
    check(r.code == 0, "--list should exit 0: %r" % r)
    return r.out


def test_once_fills_cache_and_list_works_without_server():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    with FakeServer() as srv:
        r = fill(tmp, cache, srv)
        check(re.search(r"^ok\s+mastodon:.*%s" % USER, r.out, re.M), "status line says ok: %r" % r)
        acct = account(srv)
    # the server is gone now
    out = listing(cache, "--account", acct)
    check("Dorpsstraat" in out, "post text listed: %s" % out)
    check("Gemeente Voorbeeldstad" in out, "author listed: %s" % out)
    check("Kaart van de Dorpsstraat" in out, "alt text listed: %s" % out)
    check("boosted by" in out and "Industrieweg" in out, "boost shown as the original: %s" % out)
    check("Stadspark" not in out, "the unlisted post is not shown (public only): %s" % out)
    posts = json.load(open(os.path.join(cache, "posts.json")))
    check(posts.get("format") == "balie-posts" and posts.get("version") == 1, "versioned cache file")
    check(len(posts["posts"]) >= 2, "posts stored: %d" % len(posts["posts"]))


def test_avatars_and_first_image_are_cached():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    with FakeServer() as srv:
        fill(tmp, cache, srv)
    media = os.listdir(os.path.join(cache, "media"))
    check(any(re.fullmatch(r"[0-9a-f]{64}\.png", m) for m in media), "content-addressed media: %r" % media)
    posts = json.load(open(os.path.join(cache, "posts.json")))["posts"]
    text = json.dumps(posts)
    check(re.search(r'"avatar_file":\s*"[0-9a-f]{64}\.png"', text), "avatar file recorded in the post")
    check(re.search(r'"file":\s*"[0-9a-f]{64}\.png"', text), "first image recorded in the post")


def test_role_from_configuration_is_listed():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    with FakeServer() as srv:
        srv.set_routes(good_routes(tmp, srv.base))
        conf = os.path.join(tmp, "balie.conf")
        with open(conf, "w") as f:
            f.write('[organisation "gemeente"]\nname = Gemeente Voorbeeldstad\n'
                    'role = Team Communicatie\nmastodon = %s\n' % account(srv))
        r = balie("--once", config=conf, cache=cache)
        check(r.code == 0, "--once with a config file: %r" % r)
    r = balie("--list", config=conf, cache=cache)
    check(r.code == 0 and "Team Communicatie" in r.out, "role listed: %r" % r)


FAULTS = [
    ("http 500", {"status": 500, "body": "oops"}, r"server error|500|network"),
    ("429 with Retry-After", {"status": 429, "headers": {"Retry-After": "120",
                                                          "Content-Type": "application/json"},
                              "body_file": fixture("mastodon-error-429.json")}, r"rate"),
    ("invalid JSON", {"status": 200, "headers": {"Content-Type": "application/json"},
                      "body": "[{\"id\": \"1\", \"content\": "}, r"bad response|invalid|JSON"),
    ("truncated body", {"fault": "truncate", "status": 200,
                        "headers": {"Content-Type": "application/json"},
                        "body_file": fixture("mastodon-account-statuses.json")}, r"network|transfer|truncat"),
    ("HTML error page", {"fault": "html", "status": 502}, r"network|502|bad response"),
]


def test_misbehaving_server_keeps_cache_and_says_what_happened():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    with FakeServer() as srv:
        fill(tmp, cache, srv)
        before = listing(cache, "--account", account(srv))
        for name, route, pattern in FAULTS:
            r0 = {"path": "/api/v1/accounts/", "prefix": True}
            r0.update(route)
            lookup = good_routes(tmp, srv.base)[0]
            srv.set_routes([lookup, r0])
            r = balie("--account", account(srv), "--once", cache=cache)
            check(r.code == 1, "%s: --once exits 1: %r" % (name, r))
            line = [l for l in r.out.splitlines() if "mastodon:" in l]
            check(line and line[0].startswith("FAIL"), "%s: status line says FAIL: %r" % (name, r))
            check(re.search(pattern, line[0], re.I), "%s: status line names the problem: %r" % (name, line))
            check("posts cached" in line[0] and "(0 posts" not in line[0],
                  "%s: the cached posts are kept: %r" % (name, line))
            after = listing(cache, "--account", account(srv))
            check(after == before, "%s: --list unchanged after the failure" % name)


def test_hide_removes_a_post_for_good():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    with FakeServer() as srv:
        fill(tmp, cache, srv)
        acct = account(srv)
        url = "https://social.overheid.example/@gemeentevoorbeeldstad/114098765432100003"
        check(url in listing(cache, "--account", acct), "the post is listed before --hide")
        r = balie("--hide", url, "--account", acct, cache=cache)
        check(r.code == 0 and "hidden for good" in r.out, "--hide succeeds: %r" % r)
        out = listing(cache, "--account", acct)
        check(url not in out and "Dorpsstraat" not in out, "--list no longer shows it: %s" % out)
        check("Industrieweg" in out, "other posts stay: %s" % out)
        # a later refresh brings the post again from the server: still hidden
        fill(tmp, cache, srv)
        check("Dorpsstraat" not in listing(cache, "--account", acct), "still hidden after a refresh")
    check(url in open(os.path.join(cache, "hidden.txt")).read(), "kept on disk")


def test_server_gone_keeps_cache():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    with FakeServer() as srv:
        fill(tmp, cache, srv)
        acct = account(srv)
        before = listing(cache, "--account", acct)
    r = balie("--account", acct, "--once", cache=cache)
    check(r.code == 1, "no server: exit 1: %r" % r)
    check(re.search(r"^FAIL.*(connect|refused|network)", r.out, re.M | re.I), "says it could not connect: %r" % r)
    check(listing(cache, "--account", acct) == before, "cache intact with no server")


def test_plain_http_refused_except_loopback():
    r = balie("--account", "@gemeente@http://social.example", "--once", cache=harness.tempdir())
    check(r.code == 2, "plain http to a non-loopback host is a usage error: %r" % r)
    check("loopback" in r.err, "the message says why: %r" % r)


def test_token_file_readable_by_others_is_refused():
    tmp = harness.tempdir()
    tok = os.path.join(tmp, "token")
    with open(tok, "w") as f:
        f.write("secret-token-value\n")
    os.chmod(tok, 0o644)
    with FakeServer() as srv:
        srv.set_routes(good_routes(tmp, srv.base))
        conf = os.path.join(tmp, "balie.conf")
        with open(conf, "w") as f:
            f.write('[person "jan"]\nname = Jan\nmastodon = %s\nmastodon_token = %s\n' % (account(srv), tok))
        r = balie("--once", config=conf, cache=os.path.join(tmp, "cache"))
        check(r.code == 1, "a loose token file fails the source: %r" % r)
        check("chmod 600" in r.out + r.err, "the message says how to fix it: %r" % r)
        check("secret-token-value" not in r.out + r.err, "the token never reaches output")
        os.chmod(tok, 0o600)
        r = balie("--once", config=conf, cache=os.path.join(tmp, "cache"))
        check(r.code == 0, "a private token file works: %r" % r)
        auth = [h for req in srv.log() for k, h in req.get("headers", {}).items()
                if k.lower() == "authorization"]
        check("Bearer secret-token-value" in auth, "the token is sent as a Bearer header: %r" % auth)
    check("secret-token-value" not in r.out + r.err, "the token is not logged")


def test_no_config_and_no_sources_runs_on_defaults():
    tmp = harness.tempdir()
    r = balie("--list", "--config", "/nonexistent/balie.conf", cache=tmp)
    check(r.code == 2 and "/nonexistent/balie.conf" in r.err, "a given missing config is an error: %r" % r)
    r = balie("--list", cache=tmp, env={"HOME": tmp})
    check(r.code == 0, "no config file: built-in defaults, --list works: %r" % r)


def test_bad_config_names_file_line_key():
    tmp = harness.tempdir()
    conf = os.path.join(tmp, "balie.conf")
    with open(conf, "w") as f:
        f.write("[display]\nrotate = 45\n")
    r = balie("--list", config=conf, cache=tmp)
    check(r.code == 2, "bad config exits 2: %r" % r)
    check(re.search(re.escape(conf) + r":2: \[display\] rotate: ", r.err), "FILE:LINE: [section] key: %r" % r)


def test_version_and_help():
    r = balie("--version")
    check(r.code == 0 and re.match(r"balie \d+\.\d+", r.out), "--version: %r" % r)
    r = balie("--help")
    check(r.code == 0 and "--once" in r.out and "Exit status" in r.out, "--help: %r" % r)
    r = balie("--bogus")
    check(r.code == 2, "unknown option exits 2: %r" % r)


if __name__ == "__main__":
    harness.main(globals())
