"""The municipality's Facebook Page and LinkedIn organisation end to end.

The fake server on 127.0.0.1 plays graph.facebook.com and api.linkedin.com
with the recorded bodies in tests/fixtures/ (dates moved to today, image URLs
pointed at the fake server).  --once fills the cache, --list shows the posts,
the server's request log proves the tokens travel only in Authorization
headers, and a token that dies keeps the cached posts and says what to do.
The last test runs the screen (SDL dummy driver) and kills the Facebook token
while it runs: polling of that source stops and the log line appears once.
"""
import json
import os
import re
import signal
import subprocess
import struct
import time
import zlib

import harness
from harness import FakeServer, balie, check, fixture

PAGE = "100000000000001"
ORG = "90000001"
FB_TOKEN = "EAABfakePageTokenForIntegrationTests"
LI_TOKEN = "AQXfakeMemberTokenForIntegrationTests"
JSON = {"Content-Type": "application/json; charset=UTF-8"}


def png_bytes(w=4, h=4, rgb=(40, 90, 200)):
    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def write(path, text, mode=None):
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)
    return path


def graph_time(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(t))


def local_fixtures(tmp, base):
    """The recorded bodies, dated today, with every image on the fake server."""
    now = int(time.time())
    media = base + "/media/"
    page = json.load(open(fixture("facebook-page.json")))
    page["picture"]["data"]["url"] = media + "fb-avatar.png"
    posts = json.load(open(fixture("facebook-page-posts.json")))
    for i, p in enumerate(posts["data"]):
        p["created_time"] = graph_time(now - 3600 * (i + 1))
        p["updated_time"] = p["created_time"]
        text = json.dumps(p)
        text = re.sub(r"https://(scontent|external)\.example\.invalid/[^\"]+", media + "fb-%d.png" % i, text)
        posts["data"][i] = json.loads(text)
    li_posts = json.load(open(fixture("linkedin-posts-by-author.json")))
    for i, p in enumerate(li_posts["elements"]):
        ms = (now - 1800 * (i + 1)) * 1000
        p["createdAt"], p["publishedAt"], p["lastModifiedAt"] = ms, ms, ms
    batch = json.load(open(fixture("linkedin-images-batch.json")))
    for i, (urn, r) in enumerate(batch["results"].items()):
        r["downloadUrl"] = media + "li-%d.png" % i
        r["downloadUrlExpiresAt"] = (now + 7 * 86400) * 1000
    files = {}
    for name, doc in (("page", page), ("posts", posts), ("li_posts", li_posts), ("batch", batch)):
        files[name] = write(os.path.join(tmp, name + ".json"), json.dumps(doc))
    with open(os.path.join(tmp, "img.png"), "wb") as f:
        f.write(png_bytes())
    files["png"] = os.path.join(tmp, "img.png")
    return files


def routes(files, fb_posts=None, li_posts=None):
    return [
        {"path": "/v25.0/%s/posts" % PAGE, "status": 200, "headers": JSON, "body_file": files["posts"],
         **(fb_posts or {})},
        {"path": "/v25.0/%s" % PAGE, "status": 200, "headers": JSON, "body_file": files["page"]},
        {"path": "/rest/organizations/%s" % ORG, "status": 200, "headers": JSON,
         "body_file": fixture("linkedin-organization.json")},
        {"path": "/rest/posts", "status": 200, "headers": JSON, "body_file": files["li_posts"],
         **(li_posts or {})},
        {"path": "/rest/images", "status": 200, "headers": JSON, "body_file": files["batch"]},
        {"path": "/media/", "prefix": True, "status": 200, "headers": {"Content-Type": "image/png"},
         "body_file": files["png"]},
    ]


def config(tmp, base, interval=60):
    fb = write(os.path.join(tmp, "facebook.token"), FB_TOKEN + "\n", 0o600)
    li = write(os.path.join(tmp, "linkedin.token"), LI_TOKEN + "\nexpires=2099-01-01\n", 0o600)
    return write(os.path.join(tmp, "balie.conf"),
                 '[organisation "gemeente"]\nname = Gemeente Voorbeeldstad\n'
                 "facebook = %s\nfacebook_token = %s\nlinkedin = %s\nlinkedin_token = %s\n\n"
                 "[network]\ninterval_s = %d\nfacebook_graph = %s\nlinkedin_api = %s\n"
                 % (PAGE, fb, ORG, li, interval, base, base))


def no_secrets(*texts):
    for t in texts:
        check(FB_TOKEN not in t and LI_TOKEN not in t, "a token leaked into the output: %s" % t[-2000:])


def test_once_reads_the_page_and_the_organisation():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    with FakeServer() as srv:
        files = local_fixtures(tmp, srv.base)
        srv.set_routes(routes(files))
        conf = config(tmp, srv.base)
        r = balie("--once", config=conf, cache=cache)
        check(r.code == 0, "--once should exit 0: %r" % r)
        check(re.search(r"^ok\s+facebook:", r.out, re.M), "facebook status line says ok: %r" % r)
        check(re.search(r"^ok\s+linkedin:", r.out, re.M), "linkedin status line says ok: %r" % r)
        no_secrets(r.out, r.err)
        log = srv.log()
    entries = log["entries"] if isinstance(log, dict) else log
    fb = [e for e in entries if e["path"].startswith("/v25.0/")]
    li = [e for e in entries if e["path"].startswith("/rest/")]
    check(len(fb) == 2 and len(li) == 3, "page+posts and org+posts+images asked: %r" % [e["path"] for e in entries])
    for e in fb:
        check(e["headers"].get("authorization") == "Bearer " + FB_TOKEN, "Facebook token in the header: %r" % e)
        check("access_token" not in e["raw_query"] and FB_TOKEN not in e["raw_query"], "no token in the URL")
    for e in li:
        check(e["headers"].get("authorization") == "Bearer " + LI_TOKEN, "LinkedIn token (first line only): %r" % e)
        check(re.fullmatch(r"\d{6}(\.\d\d)?", e["headers"].get("linkedin-version", "")), "LinkedIn-Version sent")
        check(e["headers"].get("x-restli-protocol-version") == "2.0.0", "Rest.li 2.0 header sent")
    posts_req = [e for e in li if e["path"] == "/rest/posts"][0]
    check(posts_req["query"].get("author") == "urn:li:organization:" + ORG and posts_req["query"].get("q") == "author",
          "posts by author: %r" % posts_req)
    images_req = [e for e in li if e["path"] == "/rest/images"][0]
    check(images_req["raw_query"].startswith("ids=List(urn%3Ali%3Aimage%3A"), "one Images batch: %r" % images_req)

    out = balie("--list", config=conf, cache=cache)
    check(out.code == 0, "--list: %r" % out)
    text = out.out
    check("Kom gerust kijken!" in text, "Facebook photo post listed: %s" % text)
    check("[link] Afvalkalender 2027 | Gemeente Voorbeeldstad  "
          "https://www.voorbeeldstad.example.invalid/afvalkalender-2027?fbclid=FAKE" in text,
          "Facebook link card with the real target: %s" % text)
    check("Met dank aan Bibliotheek Voorbeeldstad voor de locatie (zaal 2). #Gemeenteraad #Voorbeeldstad" in text,
          "LinkedIn little text rendered: %s" % text)
    check("[image] Kinderen op de nieuwe klimtoren in de Parkwijk" in text, "LinkedIn image with alt text: %s" % text)
    check("https://www.linkedin.com/feed/update/urn:li:share:7300000000000000001/" in text, "LinkedIn permalink")
    posts = json.load(open(os.path.join(cache, "posts.json")))["posts"]
    keys = {p["key"] for p in posts}
    check("facebook:%s_200000000000011" % PAGE in keys and "linkedin:urn:li:share:7300000000000000002" in keys,
          "both networks cached: %r" % keys)
    check(any(re.fullmatch(r"[0-9a-f]{64}\.png", m) for m in os.listdir(os.path.join(cache, "media"))),
          "images downloaded into the cache at once")


def test_dead_tokens_keep_the_posts_and_say_what_to_do():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    with FakeServer() as srv:
        files = local_fixtures(tmp, srv.base)
        srv.set_routes(routes(files))
        conf = config(tmp, srv.base)
        r = balie("--once", config=conf, cache=cache)
        check(r.code == 0, "first --once works: %r" % r)
        srv.set_routes(routes(files,
                              fb_posts={"status": 400, "body_file": fixture("facebook-error-190-expired.json")},
                              li_posts={"status": 401, "body_file": fixture("linkedin-error-401.json")}))
        r = balie("--once", config=conf, cache=cache)
    check(r.code == 1, "--once with dead tokens exits 1: %r" % r)
    fb_line = re.search(r"^FAIL\s+facebook:.*$", r.out, re.M)
    li_line = re.search(r"^FAIL\s+linkedin:.*$", r.out, re.M)
    check(fb_line and "the Page token no longer works (code 190, subcode 463: the token expired)" in fb_line.group(0),
          "Facebook status line names the dead token: %r" % r)
    check("facebook.token and reload balie" in fb_line.group(0), "and the file to fix: %r" % r)
    check(li_line and "REVOKED_ACCESS_TOKEN" in li_line.group(0) and "sign in again" in li_line.group(0),
          "LinkedIn status line says sign in again: %r" % r)
    check(re.search(r"\(\d+ posts cached\)", fb_line.group(0)) and "(0 posts cached)" not in fb_line.group(0),
          "Facebook posts stay cached: %r" % r)
    check(r.err.count("the Page token no longer works") == 1, "one log line for the dead Facebook token: %s" % r.err)
    no_secrets(r.out, r.err)
    out = balie("--list", config=conf, cache=cache)
    check("Kom gerust kijken!" in out.out and "raadsvergadering" in out.out, "posts still listed: %s" % out.out)


def test_token_death_while_running_stops_polling_once():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    with FakeServer() as srv:
        files = local_fixtures(tmp, srv.base)
        dead = {"status": 400, "headers": JSON, "body_file": fixture("facebook-error-190-invalidated.json")}
        good = {"status": 200, "headers": JSON, "body_file": files["posts"]}
        srv.set_routes(routes(files, fb_posts={"sequence": [good, dead]}))
        conf = config(tmp, srv.base, interval=15)
        env = dict(os.environ, SDL_VIDEODRIVER="dummy", HOME=tmp)
        proc = subprocess.Popen([harness.BALIE, "--config", conf, "--cache-dir", cache, "--windowed"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=harness.ROOT,
                                env=env)
        try:
            deadline = time.time() + 90
            fb_posts = []
            while time.time() < deadline and proc.poll() is None:
                time.sleep(2)
                log = srv.log()
                entries = log["entries"] if isinstance(log, dict) else log
                fb_posts = [e for e in entries if e["path"] == "/v25.0/%s/posts" % PAGE]
                if len(fb_posts) >= 2:
                    break
            check(proc.poll() is None, "balie kept running")
            check(len(fb_posts) >= 2, "the token died during the run: %d posts requests" % len(fb_posts))
            time.sleep(40)  # more than two poll intervals
            log = srv.log()
            entries = log["entries"] if isinstance(log, dict) else log
            after = [e for e in entries if e["path"] == "/v25.0/%s/posts" % PAGE]
            li_after = [e for e in entries if e["path"] == "/rest/posts"]
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                out, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
    check(len(after) == 2, "no Facebook polling after the token died: %d requests" % len(after))
    check(len(li_after) >= 3, "LinkedIn kept polling meanwhile: %d requests" % len(li_after))
    check(err.count("the Page token no longer works") == 1, "the log line appears once: %s" % err[-3000:])
    check("subcode 460: the password was changed" in err, "and says why: %s" % err[-3000:])
    no_secrets(out, err)
    posts = json.load(open(os.path.join(cache, "posts.json")))["posts"]
    check(any(p["key"].startswith("facebook:") for p in posts), "the Facebook posts stay in the cache")


harness.main(globals())
