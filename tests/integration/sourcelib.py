"""Helpers for the end-to-end tests of the networks other than Mastodon
(test_checksources, test_faults_sources; faultlib.py does Mastodon).
Standard library only.

The idea: the fake server (tests/server/fakeserver.py) plays several Bluesky
authors on one AppView, several RSS feeds and one LinkedIn organisation at
once.  The bodies keep the shapes of the recorded fixtures in tests/fixtures/
(bluesky-getAuthorFeed.json, linkedin-*.json), with new ids, today's dates,
and every image on the fake server, so one balie polls them all and each can
be made to misbehave on its own.
"""
import copy
import email.utils
import json
import os
import subprocess
import sys
import time

import harness
import faultlib
from harness import FakeServer, check, fixture

JSON = faultlib.JSON
RSS_CT = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML_PAGE = ("<!DOCTYPE html><html><head><title>Even geduld</title></head>"
             "<body><h1>Even geduld</h1><p>Onderhoud aan de website.</p></body></html>")

_BSKY = None


def _bsky_template():
    global _BSKY
    if _BSKY is None:
        with open(fixture("bluesky-getAuthorFeed.json")) as f:
            _BSKY = json.load(f)["feed"][0]  # an author's own post with one image
    return _BSKY


class BlueskyAuthor:
    """One Bluesky author on the fake AppView: getAuthorFeed?actor=HANDLE."""

    def __init__(self, handle, n_posts=3, image=None):
        self.handle = handle
        self.did = "did:plc:" + "".join(c for c in handle if c.isalnum())[:20].ljust(20, "0")
        self.n_posts = n_posts
        self.image = image      # the path of every post's picture, or one per post
        self.extra = []         # (rkey, text) of posts added later, oldest first

    @property
    def key(self):
        return "bluesky:@%s" % self.handle

    def post_uri(self, rkey):
        return "at://%s/app.bsky.feed.post/%s" % (self.did, rkey)

    def post_key(self, rkey):
        return "bluesky:" + self.post_uri(rkey)

    def rkey(self, i):
        return "3lk%s%03d" % ("".join(c for c in self.handle if c.isalnum())[:8], i)

    def item(self, base, rkey, text, created, image):
        it = copy.deepcopy(_bsky_template())
        p = it["post"]
        p["uri"] = self.post_uri(rkey)
        p["author"].update({"did": self.did, "handle": self.handle, "displayName": "Account %s" % self.handle,
                            "avatar": "%s/media/avatar-%s.png" % (base, self.handle)})
        p["record"].update({"text": text, "facets": [], "createdAt": faultlib.iso(created)})
        p["indexedAt"] = faultlib.iso(created)
        for im in p["embed"]["images"]:
            im["thumb"] = im["fullsize"] = base + image
        return it

    def feed(self, base, now=None):
        now = time.time() if now is None else now
        items = [self.item(base, rk, text, now - 60 * (len(self.extra) - j), "/media/b-%s-%s.png" % (self.handle, rk))
                 for j, (rk, text) in enumerate(self.extra)][::-1]
        for i in range(self.n_posts, 0, -1):
            image = self.image or "/media/b-%s-%d.png" % (self.handle, i)
            items.append(self.item(base, self.rkey(i), "Bericht %d van %s over de Dorpsstraat" % (i, self.handle),
                                   now - 3600 * (self.n_posts - i + 1), image))
        return {"feed": items}

    def add_post(self, text):
        rk = self.rkey(100 + len(self.extra))
        self.extra.append((rk, text))
        return self.post_key(rk)

    def route(self, base, **override):
        r = {"path": "/xrpc/app.bsky.feed.getAuthorFeed", "query": {"actor": self.handle}, "headers": JSON,
             "name": "bsky-" + self.handle, "body": json.dumps(self.feed(base))}
        r.update(override)
        return r


class RssFeed:
    """One RSS 2.0 feed on the fake server, items with an enclosure picture."""

    def __init__(self, name, n_items=3, image=None, url=None):
        self.name = name
        self.url = url    # where balie is told to fetch it (config); set once the server runs
        self.n_items = n_items
        self.image = image
        self.extra = []   # (guid, title), oldest first

    @property
    def key(self):
        return "rss:%s" % self.name

    @property
    def path(self):
        return "/feeds/%s.xml" % self.name

    def guid(self, i):
        return "%s-%d" % (self.name, i)

    def doc(self, base, now=None):
        now = time.time() if now is None else now
        items = [(g, t, now - 60 * (len(self.extra) - j), "/media/r-%s.png" % g) for j, (g, t) in enumerate(self.extra)]
        items = items[::-1]
        for i in range(self.n_items, 0, -1):
            items.append((self.guid(i), "Bericht %d van %s" % (i, self.name), now - 3600 * (self.n_items - i + 1),
                          self.image or "/media/r-%s.png" % self.guid(i)))
        body = "".join(
            "<item><title>%s</title><link>https://www.voorbeeldstad.example/%s</link>"
            "<guid isPermaLink=\"false\">%s</guid><pubDate>%s</pubDate>"
            "<enclosure url=\"%s%s\" type=\"image/png\" length=\"100\"/></item>"
            % (title, guid, guid, email.utils.formatdate(t, usegmt=True), base, image)
            for guid, title, t, image in items)
        return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                "<title>Nieuws %s</title><link>https://www.voorbeeldstad.example/</link>%s</channel></rss>"
                % (self.name, body))

    def add_item(self, title):
        g = self.guid(100 + len(self.extra))
        self.extra.append((g, title))
        return g

    def route(self, base, **override):
        r = {"path": self.path, "headers": RSS_CT, "name": "rss-" + self.name, "body": self.doc(base)}
        r.update(override)
        return r


# ---- LinkedIn ------------------------------------------------------------------

ORG = "90000001"
LI_TOKEN = "AQXfakeMemberTokenForSourceTests"


def linkedin_files(tmp, base):
    """The recorded posts and image batch, dated today, images on the fake server."""
    now = int(time.time())
    posts = json.load(open(fixture("linkedin-posts-by-author.json")))
    for i, p in enumerate(posts["elements"]):
        ms = (now - 1800 * (i + 1)) * 1000
        p["createdAt"], p["publishedAt"], p["lastModifiedAt"] = ms, ms, ms
    batch = json.load(open(fixture("linkedin-images-batch.json")))
    for i, r in enumerate(batch["results"].values()):
        r["downloadUrl"] = base + "/media/li-%d.png" % i
        r["downloadUrlExpiresAt"] = (now + 7 * 86400) * 1000
    return {"posts": faultlib.write(os.path.join(tmp, "li-posts.json"), json.dumps(posts)),
            "batch": faultlib.write(os.path.join(tmp, "li-batch.json"), json.dumps(batch))}


def linkedin_routes(files, posts=None):
    """api.linkedin.com for organisation ORG; posts: overrides of the /rest/posts route."""
    r = {"path": "/rest/posts", "headers": JSON, "body_file": files["posts"], "name": "li-posts"}
    r.update(posts or {})
    return [{"path": "/rest/organizations/%s" % ORG, "headers": JSON, "name": "li-org",
             "body_file": fixture("linkedin-organization.json")},
            r,
            {"path": "/rest/images", "headers": JSON, "body_file": files["batch"], "name": "li-images"}]


def linkedin_token(tmp, token=LI_TOKEN, expires="2099-01-01", name="linkedin.token"):
    return faultlib.write(os.path.join(tmp, name), "%s\nexpires=%s\n" % (token, expires), 0o600)


# ---- a server that can go away and come back on the same port -------------------

class PortServer(FakeServer):
    """A FakeServer on a fixed port (0: a free one), so that after stop() the
    port refuses connections and start() brings the same address back."""

    def __init__(self, port=0):
        super().__init__()
        self.want_port = port

    def start(self):
        cmd = [sys.executable, harness.SERVER, "--port", str(self.want_port)]
        for _ in range(20):   # the old listener may linger a moment after stop()
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                         cwd=harness.ROOT)
            line = self.proc.stdout.readline()
            if line.startswith("PORT "):
                self.port = self.want_port = int(line.split()[1])
                return self
            self.stop()
            time.sleep(0.25)
        check(False, "fake server did not start on port %s" % self.want_port)
