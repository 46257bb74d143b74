"""Every channel in one loop, end to end: one person on Mastodon, Bluesky and
X, one RSS feed and a notices file, all served by the fake server on
127.0.0.1.  `balie --once` fills the cache, `balie --list` shows one merged
loop with one author (name and role) per person, the post the person
cross-posted to Mastodon and X once, and a failing network leaves the
others running and the cache of the failing one intact."""
import base64
import email.utils
import json
import os
import re
import time

import harness
from harness import FakeServer, balie, check, fixture

MASTODON_USER = "gemeentevoorbeeldstad"
NOW = time.time()


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def write(tmp, name, text, mode=None):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)
    return path


def mastodon_statuses(tmp):
    data = json.load(open(fixture("mastodon-account-statuses.json")))
    for i, st in enumerate(data):
        for s in (st, st.get("reblog") or {}):
            if "created_at" in s:
                s["created_at"] = iso(NOW - 3600 * (i + 1))
    return write(tmp, "statuses.json", json.dumps(data))


def bluesky_feed(tmp):
    data = json.load(open(fixture("bluesky-getAuthorFeed.json")))
    for i, item in enumerate(data["feed"]):
        t = iso(NOW - 1800 - 3600 * i)
        item["post"]["record"]["createdAt"] = t
        item["post"]["indexedAt"] = t
        if "reason" in item:
            item["reason"]["indexedAt"] = t
    return write(tmp, "feed.json", json.dumps(data))


def x_tweets(tmp, crosspost):
    """The recorded timeline; with crosspost its first post is what Jan also
    put on Mastodon a minute earlier (same words, other links)."""
    data = json.load(open(fixture("x-users-tweets.json")))
    first = data["data"][0]
    first["created_at"] = iso(NOW - 3600 + 60)
    data["data"][1]["created_at"] = iso(NOW - 7200)
    for tw in data["includes"]["tweets"]:
        # the partner posted it on X a minute after Bluesky (see bluesky_feed)
        tw["created_at"] = iso(NOW - 1800 - 3600 * 2 + 60)
    if not crosspost:
        return write(tmp, "tweets.json", json.dumps(data))
    first["text"] = ("Vanaf maandag 3 maart is de Dorpsstraat afgesloten voor autoverkeer vanwege "
                     "rioleringswerk. :vlag_voorbeeldstad: Meer info: https://t.co/Ab12Cd34Ef")
    first["entities"] = {"urls": [{"start": 124, "end": 147, "url": "https://t.co/Ab12Cd34Ef",
                                   "expanded_url": "https://www.voorbeeldstad.nl/werkzaamheden/dorpsstraat-riolering-2025",
                                   "display_url": "voorbeeldstad.nl/werkzaamheden/\u2026"}]}
    return write(tmp, "tweets.json", json.dumps(data))


def rss_feed(tmp):
    text = open(fixture("sample-rss.xml"), encoding="utf-8").read()
    dates = iter([NOW - 600, NOW - 5400, NOW - 9000, NOW - 9600])
    text = re.sub(r"<(pubDate|lastBuildDate)>[^<]*</\1>",
                  lambda m: "<%s>%s</%s>" % (m.group(1), email.utils.formatdate(next(dates), usegmt=True),
                                             m.group(1)), text)
    return write(tmp, "nieuws.rss", text)


def routes(tmp, bluesky_status=200, x_status=200, crosspost=False):
    json_ct = {"Content-Type": "application/json"}
    r = [
        {"path": "/api/v1/accounts/lookup", "status": 200, "headers": json_ct,
         "body_file": fixture("mastodon-account-lookup.json")},
        {"path": "/api/v1/accounts/", "prefix": True, "query": {"min_id": "114098765432100003"},
         "status": 200, "headers": json_ct, "body": "[]"},
        {"path": "/api/v1/accounts/", "prefix": True, "status": 200, "headers": json_ct,
         "body_file": mastodon_statuses(tmp)},
        {"path": "/2/users/by/username/gemvoorbeeld", "status": 200, "headers": json_ct,
         "body_file": fixture("x-users-by-username.json")},
        {"path": "/nieuws.rss", "status": 200, "headers": {"Content-Type": "application/rss+xml"},
         "body_file": rss_feed(tmp)},
    ]
    if bluesky_status == 200:
        r.append({"path": "/xrpc/app.bsky.feed.getAuthorFeed", "status": 200, "headers": json_ct,
                  "body_file": bluesky_feed(tmp)})
    else:
        r.append({"path": "/xrpc/app.bsky.feed.getAuthorFeed", "status": bluesky_status,
                  "headers": {"Content-Type": "text/html"}, "body": "<html><h1>Bad gateway</h1></html>"})
    if x_status == 200:
        r.append({"path": "/2/users/1111111111/tweets", "status": 200, "headers": json_ct,
                  "body_file": x_tweets(tmp, crosspost)})
    else:
        r.append({"path": "/2/users/1111111111/tweets", "status": x_status, "headers": json_ct,
                  "body_file": fixture("x-error-401.json")})
    return r


def config(tmp, base):
    token = write(tmp, "x.token", "AAAAAAAAAAAAAAAAAAAAAtestbearer\n", 0o600)
    notices = write(tmp, "notices.txt",
                    "[notice]\ntext = De balie is vrijdag vanaf 12:00 gesloten.\npriority = 2\n"
                    "[notice]\ntext = Oude mededeling\nuntil = 2020-01-01\n")
    text = """
[person "jan"]
name = Jan de Vries
role = Wethouder Wonen
mastodon = @{user}@{base}
bluesky = @voorbeeldstad.nl
x = @gemvoorbeeld
x_token = {token}

[feed "nieuws"]
url = {base}/nieuws.rss
name = Nieuws van de gemeente

[notices]
file = {notices}

[network]
bluesky_appview = {base}
x_api = {base}

[display]
organisation = Gemeente Voorbeeld
""".format(user=MASTODON_USER, base=base, token=token, notices=notices)
    return write(tmp, "balie.conf", text)


def entries(out):
    """--list output as (header line, body) pairs."""
    blocks = [b for b in out.split("\n\n") if b.strip()]
    return [(b.split("\n")[0], b) for b in blocks if re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d ", b)]


def run_all(tmp, cache, srv, **kw):
    srv.set_routes(routes(tmp, **kw))
    conf = config(tmp, srv.base)
    once = balie("--once", config=conf, cache=cache)
    listed = balie("--list", config=conf, cache=cache)
    check(listed.code == 0, "--list exits 0: %r" % listed)
    return once, listed


def status_line(out, prefix):
    m = re.search(r"^(ok|FAIL)\s+%s\S*: (.*)$" % re.escape(prefix), out, re.M)
    return (m.group(1), m.group(2)) if m else (None, None)


def test_one_loop_from_every_network_with_one_author_per_person():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    with FakeServer() as srv:
        once, listed = run_all(tmp, cache, srv)
    check(once.code == 0, "--once with every network answering exits 0: %r" % once)
    for prefix in ("mastodon:", "bluesky:@voorbeeldstad.nl", "x:@gemvoorbeeld", "rss:nieuws"):
        st, msg = status_line(once.out, prefix)
        check(st == "ok", "status line for %s says ok: %r" % (prefix, once))
    posts = entries(listed.out)
    nets = {h.split()[2] for h, _ in posts}
    check({"mastodon", "bluesky", "x", "rss"} <= nets, "every network in one loop: %s" % listed.out)
    # newest first across networks
    stamps = [h[:16] for h, _ in posts]
    check(stamps == sorted(stamps, reverse=True), "newest first: %s" % stamps)
    # Jan's own posts on three networks all carry his name and role
    for net in ("mastodon", "bluesky", "x"):
        own = [h for h, b in posts if h.split()[2] == net and "boosted by" not in b]
        check(own, "a post of Jan on %s: %s" % (net, listed.out))
        for h in own:
            check("Jan de Vries \u2014 Wethouder Wonen" in h, "one author per person on %s: %s" % (net, h))
    # the feed is its own author, under the configured name
    rss = [h for h, _ in posts if h.split()[2] == "rss"]
    check(len(rss) == 3 and all("Nieuws van de gemeente" in h for h in rss), "feed items: %s" % rss)
    # Bluesky's labelled post is not shown, its facets and quote are
    check("Wegafsluiting Dorpsstraat" in listed.out, "Bluesky post listed: %s" % listed.out)
    check("Omgewaaide bomen" not in listed.out, "graphic-media labelled post hidden: %s" % listed.out)
    check("[link] Veiligheidsregio Voorbeeld: Grote brand" in listed.out, "quote as a card: %s" % listed.out)
    # the partner's message Jan reposted on Bluesky and on X (same words) shows once
    brand = [h for h, b in posts
             if any(l.startswith("    Grote brand Industrieweg. Houd ramen") for l in b.split("\n"))]
    check(len(brand) == 1, "one person's reposts of the same words show once: %s" % brand)


def test_a_cross_post_shows_once():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    with FakeServer() as srv:
        once, listed = run_all(tmp, cache, srv, crosspost=True)
    check(once.code == 0, "--once exits 0: %r" % once)
    dorp = [h for h, b in entries(listed.out) if "afgesloten voor autoverkeer vanwege" in b]
    check(len(dorp) == 1, "the Mastodon + X cross-post shows once: %s" % dorp)
    check(" mastodon " in dorp[0], "the earlier one (Mastodon) is kept: %s" % dorp)
    check("x.com/gem_voorbeeldstad/status/1896459812345678901" not in listed.out,
          "the X copy is left out: %s" % listed.out)
    cached = json.load(open(os.path.join(cache, "posts.json")))["posts"]
    check(any(p.get("key") == "x:1896459812345678901" for p in cached),
          "both copies stay in the cache (only the screen shows one)")


def test_notices_file_is_shown_as_the_organisation():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    with FakeServer() as srv:
        once, listed = run_all(tmp, cache, srv)
    st, msg = status_line(once.out, "notice:")
    check(st == "ok", "notices status line ok: %r" % once)
    check(msg.startswith("2 notices"), "the status line counts the notices in the file: %r" % once)
    check("De balie is vrijdag vanaf 12:00 gesloten." in listed.out, "the notice is shown: %s" % listed.out)
    notice = [h for h, b in entries(listed.out) if "De balie is vrijdag" in b]
    check(notice and "Gemeente Voorbeeld" in notice[0], "shown with the organisation's name: %s" % notice)
    check("Oude mededeling" not in listed.out, "an expired notice is not shown: %s" % listed.out)


def test_a_failing_network_leaves_the_others_running():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    with FakeServer() as srv:
        # Bluesky's AppView is down and X refuses the token from the start
        once, listed = run_all(tmp, cache, srv, bluesky_status=502, x_status=401)
        check(once.code == 1, "--once says a source failed: %r" % once)
        st, msg = status_line(once.out, "bluesky:@voorbeeldstad.nl")
        check(st == "FAIL" and "HTTP 502" in msg, "Bluesky failure named: %r" % once)
        st, msg = status_line(once.out, "x:@gemvoorbeeld")
        check(st == "FAIL" and "x_token" in msg, "X failure says what to check: %r" % once)
        for prefix in ("mastodon:", "rss:nieuws"):
            st, _ = status_line(once.out, prefix)
            check(st == "ok", "%s still works: %r" % (prefix, once))
        nets = {h.split()[2] for h, _ in entries(listed.out)}
        check({"mastodon", "rss"} <= nets and not ({"bluesky", "x"} & nets),
              "the working networks are shown: %s" % listed.out)

        # everything answers: Bluesky and X posts arrive
        once, listed = run_all(tmp, cache, srv)
        check(once.code == 0, "all answer now: %r" % once)
        check("Wegafsluiting Dorpsstraat" in listed.out, "Bluesky posts now: %s" % listed.out)

        # Bluesky fails again: its cached posts stay on the screen
        once, listed = run_all(tmp, cache, srv, bluesky_status=503)
        check(once.code == 1, "a failing source: %r" % once)
        check("Wegafsluiting Dorpsstraat" in listed.out, "cached Bluesky posts kept: %s" % listed.out)
        check("Nieuws van de gemeente" in listed.out, "the feed still shown: %s" % listed.out)


def jwt(exp):
    part = lambda o: base64.urlsafe_b64encode(json.dumps(o).encode()).decode().rstrip("=")
    return "%s.%s.c2ln" % (part({"alg": "HS256"}), part({"sub": "did:plc:kiosk", "exp": int(exp)}))


def test_bluesky_hashtag_logs_in_once_with_an_app_password():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    search = json.load(open(fixture("bluesky-searchPosts.json")))
    for p in search["posts"]:
        p["record"]["createdAt"] = p["indexedAt"] = iso(NOW - 900)
    session = {"did": "did:plc:kiosk", "handle": "balie.bsky.social",
               "accessJwt": jwt(NOW + 7200), "refreshJwt": jwt(NOW + 90 * 86400)}
    json_ct = {"Content-Type": "application/json"}
    with FakeServer() as srv:
        srv.set_routes([
            {"path": "/xrpc/com.atproto.server.createSession", "method": "POST", "status": 200,
             "headers": json_ct, "body_json": session},
            {"path": "/xrpc/app.bsky.feed.searchPosts", "status": 200, "headers": json_ct,
             "body": json.dumps(search)},
        ])
        # the app password file: the handle, then the app password
        pw = write(tmp, "bsky.pw", "balie.bsky.social\nabcd-efgh-ijkl-mnop\n", 0o600)
        conf = write(tmp, "balie.conf", """
[hashtag "wegwerkzaamheden"]
network = bluesky
bluesky_password = {pw}
anyone = yes

[network]
bluesky_login = {base}
""".format(pw=pw, base=srv.base))
        once = balie("--once", config=conf, cache=cache)
        check(once.code == 0, "--once with a Bluesky hashtag exits 0: %r" % once)
        once = balie("--once", config=conf, cache=cache)
        check(once.code == 0, "second --once exits 0: %r" % once)
        log = srv.log()
    logins = [e for e in log if e["path"].endswith("createSession")]
    searches = [e for e in log if e["path"].endswith("searchPosts")]
    check(len(logins) == 1, "one login for two runs (the session is kept): %d" % len(logins))
    check(json.loads(logins[0]["body"]) == {"identifier": "balie.bsky.social", "password": "abcd-efgh-ijkl-mnop"},
          "login with the app password: %r" % logins[0]["body"])
    check(len(searches) == 2 and all(e["headers"].get("authorization", "").startswith("Bearer ") for e in searches),
          "searches carry the access token: %r" % searches)
    check(searches[0]["query"].get("q") == "#wegwerkzaamheden", "searched for the hashtag: %r" % searches[0])
    listed = balie("--list", config=conf, cache=cache)
    check("Wegafsluiting Dorpsstraat" in listed.out, "the hashtag post is shown: %r" % listed)
    for text in (once.out, once.err, listed.out, listed.err):
        check("abcd-efgh" not in text, "the app password never appears in output")
    state = open(os.path.join(cache, "state.json")).read()
    check("abcd-efgh" not in state, "the app password is not stored, only the session")


harness.main(globals())
