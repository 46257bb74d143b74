"""Every channel in one loop, end to end: one person on Mastodon, Bluesky and
X, one RSS feed and a notices file, all served by the fake server on
127.0.0.1.  `balie --once` fills the cache, `balie --list` shows one merged
loop with one author (name and role) per person, the post the person
cross-posted to Mastodon and X once, and a failing network leaves the
others running and the cache of the failing one intact.

The later tests run balie twice against changing answers: posts deleted on
Bluesky (an account's withdrawn repost, a hashtag result gone), in an RSS
feed and on X (a day later, through tests/integration/clockshim.c) leave the
cache and the loop, and a Facebook Page that posted more than a page since
the last refresh is read over two pages without its token in any URL."""
import base64
import email.utils
import json
import os
import re
import subprocess
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


# ---- deleted posts leave the screen ------------------------------------------

def cached_keys(cache):
    return {p["key"] for p in json.load(open(os.path.join(cache, "posts.json")))["posts"]}


def listed_texts(conf, cache):
    listed = balie("--list", config=conf, cache=cache)
    check(listed.code == 0, "--list exits 0: %r" % listed)
    return listed.out


def rss_doc(items):
    """An RSS feed of (guid, title, seconds ago) items, newest first."""
    body = "".join("<item><title>%s</title><guid isPermaLink=\"false\">%s</guid><pubDate>%s</pubDate></item>"
                   % (title, guid, email.utils.formatdate(NOW - ago, usegmt=True)) for guid, title, ago in items)
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Nieuws</title>'
            "<link>https://www.voorbeeldstad.example/</link>%s</channel></rss>" % body)


def test_an_item_withdrawn_from_a_feed_leaves_the_cache():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    items = [("n1", "Nieuwe speeltuin geopend", 600), ("n2", "Bericht dat teruggetrokken wordt", 1200),
             ("n3", "Raadsvergadering donderdag", 1800)]
    with FakeServer() as srv:
        conf = write(tmp, "balie.conf", '[feed "nieuws"]\nurl = %s/nieuws.rss\nname = Nieuws\n' % srv.base)
        srv.set_routes([{"path": "/nieuws.rss", "body": rss_doc(items),
                         "headers": {"Content-Type": "application/rss+xml"}}])
        once = balie("--once", config=conf, cache=cache)
        check(once.code == 0, "first --once: %r" % once)
        check("Bericht dat teruggetrokken wordt" in listed_texts(conf, cache), "all three items listed first")
        # the municipality withdraws the middle item; nothing new is added
        srv.set_routes([{"path": "/nieuws.rss", "body": rss_doc([items[0], items[2]]),
                         "headers": {"Content-Type": "application/rss+xml"}}])
        once = balie("--once", config=conf, cache=cache)
        check(once.code == 0, "second --once: %r" % once)
        st, msg = status_line(once.out, "rss:nieuws")
        check(st == "ok" and "1 withdrawn from the feed" in msg, "the status line counts the withdrawn item: %r"
              % once)
        out = listed_texts(conf, cache)
        check("Bericht dat teruggetrokken wordt" not in out, "the withdrawn item is off the screen: %s" % out)
        check("Nieuwe speeltuin geopend" in out and "Raadsvergadering donderdag" in out, "the others stay: %s" % out)
        check("rss:n2" not in cached_keys(cache), "and out of the cache")
        # then the oldest one, still with nothing new: it did not drop off the
        # end of the feed, it was withdrawn too
        srv.set_routes([{"path": "/nieuws.rss", "body": rss_doc([items[0]]),
                         "headers": {"Content-Type": "application/rss+xml"}}])
        once = balie("--once", config=conf, cache=cache)
    check(once.code == 0, "third --once: %r" % once)
    out = listed_texts(conf, cache)
    check("Raadsvergadering donderdag" not in out and "Nieuwe speeltuin geopend" in out,
          "the oldest item withdrawn is off the screen as well: %s" % out)


REPOST_LINE = "\n    Grote brand Industrieweg. Houd ramen"  # the repost's text in --list


def test_a_withdrawn_repost_of_an_old_post_leaves_the_screen():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    data = json.load(open(bluesky_feed(tmp)))
    repost = [it for it in data["feed"] if "reason" in it][0]
    # the reposted message itself is three weeks old; the repost is recent
    repost["post"]["record"]["createdAt"] = repost["post"]["indexedAt"] = iso(NOW - 21 * 86400)
    full = write(tmp, "feed-full.json", json.dumps(data))
    data["feed"] = [it for it in data["feed"] if "reason" not in it]
    without = write(tmp, "feed-without.json", json.dumps(data))
    json_ct = {"Content-Type": "application/json"}
    with FakeServer() as srv:
        conf = write(tmp, "balie.conf", "[person \"gemeente\"]\nname = Gemeente Voorbeeldstad\n"
                     "bluesky = @voorbeeldstad.nl\n\n[network]\nbluesky_appview = %s\n" % srv.base)
        srv.set_routes([{"path": "/xrpc/app.bsky.feed.getAuthorFeed", "headers": json_ct, "body_file": full}])
        once = balie("--once", config=conf, cache=cache)
        check(once.code == 0, "first --once: %r" % once)
        check(REPOST_LINE in listed_texts(conf, cache), "the repost is listed first")
        # the municipality takes its repost back
        srv.set_routes([{"path": "/xrpc/app.bsky.feed.getAuthorFeed", "headers": json_ct, "body_file": without}])
        once = balie("--once", config=conf, cache=cache)
    check(once.code == 0, "second --once: %r" % once)
    out = listed_texts(conf, cache)
    check(REPOST_LINE not in out, "the withdrawn repost is off the screen: %s" % out)
    check("[link] Veiligheidsregio Voorbeeld: Grote brand" in out, "(a quote of the same post stays): %s" % out)
    check("Wegafsluiting Dorpsstraat" in out, "the account's own posts stay: %s" % out)


def test_a_hashtag_post_deleted_on_bluesky_is_found_by_the_recheck():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    search = json.load(open(fixture("bluesky-searchPosts.json")))
    first = search["posts"][0]
    first["record"]["createdAt"] = first["indexedAt"] = iso(NOW - 1800)
    second = json.loads(json.dumps(first).replace("3ljxk2abcde2a", "3ljsecondpost2"))
    second["record"]["text"] = "Tweede bericht over de #wegwerkzaamheden: de Kerklaan is weer open."
    second["record"]["facets"] = []
    second["record"]["createdAt"] = second["indexedAt"] = iso(NOW - 900)
    session = {"did": "did:plc:kiosk", "handle": "balie.bsky.social",
               "accessJwt": jwt(NOW + 7200), "refreshJwt": jwt(NOW + 90 * 86400)}
    json_ct = {"Content-Type": "application/json"}
    with FakeServer() as srv:
        pw = write(tmp, "bsky.pw", "balie.bsky.social\nabcd-efgh-ijkl-mnop\n", 0o600)
        conf = write(tmp, "balie.conf", "[hashtag \"wegwerkzaamheden\"]\nnetwork = bluesky\n"
                     "bluesky_password = %s\nanyone = yes\n\n[network]\nbluesky_login = %s\n" % (pw, srv.base))
        login = {"path": "/xrpc/com.atproto.server.createSession", "method": "POST", "headers": json_ct,
                 "body_json": session}
        srv.set_routes([login, {"path": "/xrpc/app.bsky.feed.searchPosts", "headers": json_ct,
                                "body_json": {"posts": [second, first]}}])
        once = balie("--once", config=conf, cache=cache)
        check(once.code == 0, "first --once: %r" % once)
        out = listed_texts(conf, cache)
        check("Wegafsluiting Dorpsstraat" in out and "Kerklaan is weer open" in out, "both listed: %s" % out)
        # the first post is deleted on Bluesky: search no longer finds it, and
        # getPosts no longer returns it
        srv.set_routes([login,
                        {"path": "/xrpc/app.bsky.feed.searchPosts", "headers": json_ct,
                         "body_json": {"posts": [second]}},
                        {"path": "/xrpc/app.bsky.feed.getPosts", "headers": json_ct, "body_json": {"posts": []}}])
        once = balie("--once", config=conf, cache=cache)
        log = srv.log()
    check(once.code == 0, "second --once: %r" % once)
    rechecks = [e for e in log if e["path"] == "/xrpc/app.bsky.feed.getPosts"]
    check(len(rechecks) == 1, "one getPosts re-check on the first refresh after a start: %r" % rechecks)
    check(rechecks[0]["query"].get("uris") == first["uri"], "it asks for the post shown before: %r" % rechecks[0])
    check(rechecks[0]["headers"].get("authorization", "").startswith("Bearer "), "with the session's token")
    out = listed_texts(conf, cache)
    check("Wegafsluiting Dorpsstraat" not in out, "the deleted post is off the screen: %s" % out)
    check("Kerklaan is weer open" in out, "the other stays: %s" % out)


def build_clockshim(tmp):
    so = os.path.join(tmp, "clockshim.so")
    r = subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", so,
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "clockshim.c"), "-ldl"],
                       capture_output=True, text=True)
    check(r.returncode == 0, "building the clock shim: %s" % r.stderr)
    return so


def test_a_post_deleted_on_x_is_found_a_day_later():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    json_ct = {"Content-Type": "application/json"}
    tweets = x_tweets(tmp, False)
    lookup = write(tmp, "lookup.json", open(fixture("x-tweets-lookup.json")).read())
    with FakeServer() as srv:
        token = write(tmp, "x.token", "AAAAAAAAAAAAAAAAAAAAAtestbearer\n", 0o600)
        conf = write(tmp, "balie.conf", "[person \"jan\"]\nname = Jan de Vries\nx = @gemvoorbeeld\n"
                     "x_token = %s\n\n[network]\nx_api = %s\n" % (token, srv.base))
        timeline = {"path": "/2/users/1111111111/tweets", "headers": json_ct, "body_file": tweets}
        srv.set_routes([{"path": "/2/users/by/username/gemvoorbeeld", "headers": json_ct,
                         "body_file": fixture("x-users-by-username.json")},
                        {"path": "/2/users/1111111111/tweets", "query": {"since_id": "1896459812345678901"},
                         "headers": json_ct, "body_json": {"meta": {"result_count": 0}}},
                        timeline,
                        {"path": "/2/tweets", "headers": json_ct, "body_file": lookup}])
        once = balie("--once", config=conf, cache=cache)
        check(once.code == 0, "first --once: %r" % once)
        # the same day: no lookup (X bills every post it returns)
        once = balie("--once", config=conf, cache=cache)
        check(once.code == 0, "second --once: %r" % once)
        check(not [e for e in srv.log() if e["path"] == "/2/tweets"], "no lookup on the first day")
        check("Omleiding via de Kerklaan" in listed_texts(conf, cache), "both posts listed")
        # a day later: the posts shown are looked up; X no longer has one of them
        shim = build_clockshim(tmp)
        clock = write(tmp, "clock", "%d 1\n" % (86400 + 60))
        env = {"LD_PRELOAD": shim, "BALIE_TEST_CLOCK_FILE": clock,
               "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
        once = balie("--once", config=conf, cache=cache, env=env)
        log = srv.log()
    check(once.code == 0, "--once a day later: %r" % once)
    lookups = [e for e in log if e["path"] == "/2/tweets"]
    check(len(lookups) == 1, "one lookup a day later: %r" % lookups)
    check(lookups[0]["query"].get("ids") == "1896459812345678901,1896100000000000002",
          "it asks for the two posts shown: %r" % lookups[0])
    check(lookups[0]["headers"].get("authorization") == "Bearer AAAAAAAAAAAAAAAAAAAAAtestbearer", "with the token")
    st, msg = status_line(once.out, "x:@gemvoorbeeld")
    check(st == "ok" and "1 deleted on X since" in msg, "the status line says so: %r" % once)
    keys = cached_keys(cache)
    check("x:1896100000000000002" not in keys and "x:1896459812345678901" in keys,
          "the deleted post left the cache, the other stayed: %r" % keys)


# ---- Facebook: more than a page since the last refresh ------------------------

FB_PAGE = "100000000000001"
FB_TOKEN = "EAABfakePageTokenForSourceTests"


def graph_time(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(t))


def fb_posts(first, n, newest_ago, cursor=None, tail=None):
    data = [{"id": "%s_%d" % (FB_PAGE, first + i), "message": "Bericht %d van de gemeente" % (first + i),
             "created_time": graph_time(NOW - newest_ago - 600 * i)} for i in range(n)]
    doc = {"data": data + (tail or [])}
    if cursor:
        doc["paging"] = {"cursors": {"before": "QkVGT1JF", "after": cursor},
                         "next": "https://graph.facebook.com/v25.0/%s/posts?access_token=SECRETINNEXT"
                                 "&fields=id&limit=10&after=%s" % (FB_PAGE, cursor)}
    return doc


def test_facebook_reads_two_pages_to_catch_up_without_the_token_in_a_url():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    json_ct = {"Content-Type": "application/json"}
    old = fb_posts(900, 2, 3 * 86400)
    page1 = fb_posts(100, 10, 600, cursor="QUZURVJfUEFHRTI")
    # the second page goes back to the newest post of the last refresh (900);
    # older ones follow on further pages, which are not needed
    page2 = fb_posts(110, 3, 600 + 6000, cursor="QUZURVJfUEFHRTM", tail=old["data"][:1])
    with FakeServer() as srv:
        tok = write(tmp, "facebook.token", FB_TOKEN + "\n", 0o600)
        conf = write(tmp, "balie.conf", "[organisation \"gemeente\"]\nname = Gemeente Voorbeeldstad\n"
                     "facebook = %s\nfacebook_token = %s\n\n[network]\nfacebook_graph = %s\n"
                     % (FB_PAGE, tok, srv.base))
        page_route = {"path": "/v25.0/%s" % FB_PAGE, "headers": json_ct, "body_file": fixture("facebook-page.json")}
        srv.set_routes([{"path": "/v25.0/%s/posts" % FB_PAGE, "headers": json_ct, "body_json": old}, page_route])
        once = balie("--once", config=conf, cache=cache)
        check(once.code == 0, "first --once: %r" % once)
        # thirteen posts later: the first page does not reach the newest known one
        srv.control("reset", {})
        srv.set_routes([{"path": "/v25.0/%s/posts" % FB_PAGE, "query": {"after": "QUZURVJfUEFHRTI"},
                         "headers": json_ct, "body_json": page2},
                        {"path": "/v25.0/%s/posts" % FB_PAGE, "headers": json_ct, "body_json": page1}, page_route])
        once = balie("--once", config=conf, cache=cache)
        log = srv.log()
    check(once.code == 0, "second --once: %r" % once)
    posts = [e for e in log if e["path"] == "/v25.0/%s/posts" % FB_PAGE]
    check(len(posts) == 2, "two pages asked: %r" % [e["raw_query"] for e in posts])
    check("after" not in posts[0]["query"] and posts[1]["query"].get("after") == "QUZURVJfUEFHRTI",
          "the second page from the cursor: %r" % posts[1]["raw_query"])
    check(posts[1]["query"].get("limit") == "10" and posts[1]["query"].get("fields", "").startswith("id,message,"),
          "rebuilt with balie's own fields and limit: %r" % posts[1]["raw_query"])
    for e in posts:
        check("access_token" not in e["raw_query"] and "SECRETINNEXT" not in e["raw_query"],
              "no token in the URL: %r" % e["raw_query"])
        check(e["headers"].get("authorization") == "Bearer " + FB_TOKEN, "the token in the header")
    st, msg = status_line(once.out, "facebook:")
    check(st == "ok" and "14 posts from 2 pages" in msg, "the status line: %r" % once)
    keys = cached_keys(cache)
    want = {"facebook:%s_%d" % (FB_PAGE, i) for i in list(range(100, 113)) + [900, 901]}
    check(want <= keys, "every new post and the old ones cached: %r" % sorted(want - keys))
    for name in ("posts.json", "state.json"):
        text = open(os.path.join(cache, name)).read()
        check("SECRETINNEXT" not in text and FB_TOKEN not in text, "no token in %s" % name)
    check("SECRETINNEXT" not in once.out + once.err and FB_TOKEN not in once.out + once.err, "no token in the output")


harness.main(globals())
