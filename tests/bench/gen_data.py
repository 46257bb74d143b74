#!/usr/bin/env python3
"""gen_data: the benchmark's data, generated (python3 standard library only).

The idea: `make bench` measures balie on a warm cache that looks like a busy
municipality's, without any network and without checked-in binaries.  This
module writes

  <out>/cache/posts.json     500 posts from 40 people, newest first, dated over
                             the last 25 days (relative to --now), in the cache
                             format of docs/cache-format.md
  <out>/cache/media/         40 avatars (400x400) and 100 images (1280x853),
                             PNGs made with zlib, named by their SHA-256 as the
                             cache does
  <out>/people.conf          the 40 [person] sections (names and roles come from
                             the configuration, as on a real screen)
  <out>/page40.json          a Mastodon timeline page of 40 new statuses by one
                             of the people (for tests/bench/bench_refresh.c)

Statuses are built from the recorded shape in
tests/fixtures/mastodon-account-statuses.json, so the parser sees the fields a
real server sends.  Everything is deterministic except the dates (relative to
--now).  The PNGs are kept between runs (<out>/media.json lists them); the
rest is rewritten each time so the posts always look recent.

    gen_data.py --out DIR [--now UNIX]

bench.py imports this module for mastodon_page() and person_sections().
"""

import argparse
import copy
import hashlib
import json
import math
import os
import random
import struct
import sys
import time
import zlib

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TEMPLATE = os.path.join(ROOT, "tests", "fixtures", "mastodon-account-statuses.json")

MEDIA_VERSION = 3          # bump when the PNG recipe changes
N_PEOPLE = 40
N_POSTS = 500
N_IMAGES = 100
AVATAR_PX = 400            # Mastodon's avatar size
IMAGE_W, IMAGE_H = 1280, 853
HOST = "gemeente.example"

FIRST = ["Anna", "Bram", "Chantal", "Daan", "Esra", "Femke", "Gijs", "Hanna", "Ilias", "Joke",
         "Kees", "Lotte", "Mohamed", "Noor", "Oscar", "Priya", "Quinten", "Roos", "Said", "Tess",
         "Umut", "Vera", "Willem", "Xandra", "Yara", "Zeynep", "Arjen", "Bregje", "Coen", "Dilan",
         "Eline", "Frank", "Greetje", "Hamza", "Ingrid", "Jesse", "Karin", "Luuk", "Maaike", "Nadia"]
LAST = ["de Vries", "Jansen", "van Dijk", "Bakker", "Yılmaz", "Visser", "Smit", "Meijer",
        "El Amrani", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
        "van Leeuwen", "Dekker", "Brouwer", "de Wit"]
ROLES = ["Wethouder Wonen", "Wethouder Mobiliteit", "Burgemeester", "Gemeentesecretaris",
         "Raadslid", "Wijkmanager Noord", "Wijkmanager Zuid", "Woordvoerder", "Wethouder Onderwijs",
         "Handhaving", "Afvalservice", "Bibliotheek", "Sportcentrum", "Klantcontactcentrum"]
SENTENCES = [
    "Vanaf maandag is de Dorpsstraat afgesloten voor autoverkeer vanwege rioleringswerk.",
    "Fietsers en voetgangers kunnen er gewoon langs.",
    "Vanavond is de raadsvergadering over de begroting; u kunt live meekijken.",
    "De nieuwe speeltuin aan de Kerklaan is open! 🎉",
    "Het afvalrooster voor volgend jaar staat online.",
    "Kom langs bij het inloopspreekuur in het gemeentehuis, elke woensdag van 9 tot 12 uur.",
    "We planten deze week 120 nieuwe bomen in de wijk Noord. 🌳",
    "Let op: door de storm zijn enkele fietspaden tijdelijk gesloten.",
    "Dank aan alle vrijwilligers die zaterdag het park hebben opgeruimd! 🙏",
    "De bibliotheek heeft vanaf 1 april langere openingstijden.",
    "Heeft u vragen over de energietoeslag? Bel 14 0123.",
    "Gisteren opende de wethouder het vernieuwde zwembad. 🏊",
    "Wij zoeken bewoners die mee willen denken over de inrichting van het Marktplein.",
    "Het stadhuis is op Koningsdag gesloten. 🇳🇱",
    "Goed nieuws: de bouw van 240 betaalbare woningen gaat van start.",
    "Met de Turkse en Marokkaanse gemeenschap vierden we het Suikerfeest. عيد مبارك",
    "Ook dit jaar organiseren we de Week van de Toegankelijkheid.",
    "Glasvezel in het buitengebied: de aansluitingen zijn bijna klaar. ✅",
]
TAGS = ["Voorbeeldstad", "wegwerkzaamheden", "raad", "duurzaam", "wonen", "fiets", "groen",
        "afval", "sport", "cultuur"]


# ---- PNG --------------------------------------------------------------------

def png_bytes(width, height, palette_seed):
    """An RGB PNG of diagonal colour stripes: each row is the previous one
    shifted by one pixel, so it is built without a per-pixel Python loop and
    still compresses like a picture rather than like a flat colour."""
    rnd = random.Random(palette_seed)
    a = [rnd.uniform(0.004, 0.03) for _ in range(3)]
    ph = [rnd.uniform(0, 6.28) for _ in range(3)]
    wide = width * 2
    base = bytearray(wide * 3)
    for x in range(wide):
        for c in range(3):
            base[x * 3 + c] = int(127.5 + 127.5 * math.sin(x * a[c] + ph[c]))
    base = bytes(base)
    # One bit of noise per byte on every eighth row, from a pool of rows:
    # photographs do not compress to nothing (this lands near a JPEG's size),
    # and inflating is most of a PNG's decoding time.
    n = width * 3
    mask = int.from_bytes(b"\x01" * n, "big")
    noise = [int.from_bytes(rnd.randbytes(n), "big") & mask for _ in range(16)]
    rows = []
    for y in range(height):
        s = (y % width) * 3
        if y % 8:
            rows.append(b"\x00" + base[s:s + n])
            continue
        row = int.from_bytes(base[s:s + n], "big") ^ noise[(y * 7) % 16]
        rows.append(b"\x00" + row.to_bytes(n, "big"))
    raw = b"".join(rows)

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def store_media(media_dir, data):
    name = hashlib.sha256(data).hexdigest() + ".png"
    path = os.path.join(media_dir, name)
    if not os.path.exists(path):
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, path)
    return name


def make_media(out):
    """40 avatars and 100 images in <out>/cache/media; reused when
    <out>/media.json says they were made by this recipe and they exist."""
    media_dir = os.path.join(out, "cache", "media")
    os.makedirs(media_dir, exist_ok=True)
    manifest = os.path.join(out, "media.json")
    try:
        with open(manifest) as f:
            m = json.load(f)
        if (m.get("version") == MEDIA_VERSION and len(m["avatars"]) == N_PEOPLE and
                len(m["images"]) == N_IMAGES and
                all(os.path.isfile(os.path.join(media_dir, n)) for n in m["avatars"] + m["images"])):
            return m
    except (OSError, ValueError, KeyError, TypeError):
        pass
    m = {"version": MEDIA_VERSION,
         "avatars": [store_media(media_dir, png_bytes(AVATAR_PX, AVATAR_PX, 1000 + i))
                     for i in range(N_PEOPLE)],
         "images": [store_media(media_dir, png_bytes(IMAGE_W, IMAGE_H, 2000 + i))
                    for i in range(N_IMAGES)]}
    with open(manifest + ".tmp", "w") as f:
        json.dump(m, f)
    os.rename(manifest + ".tmp", manifest)
    keep = set(m["avatars"] + m["images"])
    for name in os.listdir(media_dir):   # an older recipe's files
        if name not in keep:
            os.unlink(os.path.join(media_dir, name))
    return m


# ---- people and posts ----------------------------------------------------------

def person(i):
    return {"id": "p%02d" % (i + 1),
            "name": "%s %s" % (FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]),
            "role": ROLES[i % len(ROLES)],
            "handle": "p%02d" % (i + 1)}


def person_sections():
    """The [person] sections for the 40 people (no accounts: no network)."""
    out = []
    for i in range(N_PEOPLE):
        p = person(i)
        out.append('[person "%s"]\nname = %s\nrole = %s\n' % (p["id"], p["name"], p["role"]))
    return "\n".join(out)


def post_text(rnd, i):
    """Text of 1 to 5 sentences, sometimes with a link and hashtags; the
    spans (byte offsets) mark them as the cache format does."""
    parts = [rnd.choice(SENTENCES) for _ in range(rnd.randint(1, 5))]
    text = " ".join(parts) + " (%d)" % i   # unique: no cross-post folding
    spans = []
    if rnd.random() < 0.4:
        url = "https://www.voorbeeldstad.example/nieuws/%d" % i
        text += "\nMeer informatie: "
        start = len(text.encode("utf-8"))
        text += url
        spans.append({"kind": "link", "start": start, "end": len(text.encode("utf-8")),
                      "target": url})
    if rnd.random() < 0.6:
        text += "\n"
        for t in rnd.sample(TAGS, rnd.randint(1, 3)):
            start = len(text.encode("utf-8"))
            text += "#" + t + " "
            spans.append({"kind": "hashtag", "start": start,
                          "end": start + len(t.encode("utf-8")) + 1,
                          "target": "https://%s/tags/%s" % (HOST, t)})
        text = text.rstrip()
    return text, spans


def cache_posts(media, now):
    rnd = random.Random(7)
    posts = []
    t = now - 300
    for i in range(N_POSTS):
        k = min(int(rnd.expovariate(1 / 9.0)), N_PEOPLE - 1)   # a few people post most
        if i % 12 == 0:
            k = (i // 12) % N_PEOPLE   # and everyone posts now and then
        pe = person(k)
        sid = str(113000000000000000 + (N_POSTS - i) * 1000)
        text, spans = post_text(rnd, i)
        p = {"key": "mastodon:https://%s/users/%s/statuses/%s" % (HOST, pe["handle"], sid),
             "source": "mastodon:@%s@%s" % (pe["handle"], HOST),
             "network": "mastodon", "id": sid,
             "url": "https://%s/@%s/%s" % (HOST, pe["handle"], sid),
             "created": int(t), "edited": 0, "fetched": int(t) + 30,
             "author": {"id": str(110000000000000000 + k), "name": pe["name"],
                        "handle": "@%s@%s" % (pe["handle"], HOST),
                        "url": "https://%s/@%s" % (HOST, pe["handle"]),
                        "avatar_url": "https://files.%s/avatars/%s.png" % (HOST, pe["handle"]),
                        "avatar_file": media["avatars"][k], "bot": False, "emojis": []},
             "person": pe["id"], "text": text, "spans": spans, "sensitive": False,
             "reply": False, "lang": "nl", "visibility": "public", "media": [],
             "emojis": [], "priority": 0, "show_from": 0, "show_until": 0}
        if i % 5 == 2:  # 100 of the 500 posts carry an image
            img = (i // 5) % N_IMAGES
            p["media"].append({"kind": "image",
                               "url": "https://files.%s/media/%d.png" % (HOST, img),
                               "alt": "Foto bij bericht %d: een straat in Voorbeeldstad." % i,
                               "width": IMAGE_W, "height": IMAGE_H, "focus_x": 0, "focus_y": 0,
                               "file": media["images"][img]})
        posts.append(p)
        t -= rnd.uniform(0.2, 2.4) * 3600   # ~25 days for 500 posts
    return posts


# ---- Mastodon statuses ---------------------------------------------------------

def _template():
    with open(TEMPLATE) as f:
        return json.load(f)[0]


def mastodon_page(n, account, first_id, created, base_url, avatar_url=None, media_url=None,
                  seed=1):
    """A timeline page of n statuses (newest first, ids first_id, first_id-1,
    ...) by account (an index), in the recorded Mastodon shape.  created: Unix
    time of the newest; base_url: the server in URIs; avatar_url and media_url
    (may be None: keep the template's) replace the template's media URLs; every
    fourth status carries the template's image attachment."""
    tpl = _template()
    rnd = random.Random(seed)
    pe = person(account % N_PEOPLE)
    acct = "b%02d" % (account + 1)
    out = []
    for j in range(n):
        s = copy.deepcopy(tpl)
        sid = str(first_id - j)
        s["id"] = sid
        s["created_at"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                        time.gmtime(created - j * 1800))
        s["edited_at"] = None
        s["uri"] = "%s/users/%s/statuses/%s" % (base_url, acct, sid)
        s["url"] = "%s/@%s/%s" % (base_url, acct, sid)
        text, _ = post_text(rnd, j)
        paras = "".join("<p>%s</p>" % line.replace("&", "&amp;").replace("<", "&lt;")
                        for line in text.split("\n"))
        s["content"] = paras
        a = s["account"]
        a["id"] = str(120000000000000000 + account)
        a["username"] = a["acct"] = acct
        a["display_name"] = pe["name"]
        a["url"] = "%s/@%s" % (base_url, acct)
        a["uri"] = "%s/users/%s" % (base_url, acct)
        a["emojis"] = []
        if avatar_url:
            a["avatar"] = a["avatar_static"] = avatar_url
        s["emojis"] = []
        if j % 4 == 0 and s["media_attachments"]:
            m = s["media_attachments"][0]
            m["id"] = str(first_id * 10 + j)
            if media_url:
                m["url"] = m["preview_url"] = "%s?s=%s" % (media_url, sid)
        else:
            s["media_attachments"] = []
        s["card"] = None
        out.append(s)
    return out


def account_json(account, base_url, avatar_url=None):
    tpl = _template()["account"]
    a = copy.deepcopy(tpl)
    acct = "b%02d" % (account + 1)
    a["id"] = str(120000000000000000 + account)
    a["username"] = a["acct"] = acct
    a["display_name"] = person(account % N_PEOPLE)["name"]
    a["url"] = "%s/@%s" % (base_url, acct)
    a["uri"] = "%s/users/%s" % (base_url, acct)
    a["emojis"] = []
    if avatar_url:
        a["avatar"] = a["avatar_static"] = avatar_url
    return a


# ---- writing -------------------------------------------------------------------

def write_json(path, obj, compact=True):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        if compact:
            json.dump(obj, f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")
        else:
            json.dump(obj, f, ensure_ascii=False, indent=1)
    os.rename(tmp, path)


def generate(out, now=None):
    """Write everything; returns a summary dict."""
    now = int(now if now is not None else time.time())
    os.makedirs(os.path.join(out, "cache"), exist_ok=True)
    media = make_media(out)
    posts = cache_posts(media, now)
    write_json(os.path.join(out, "cache", "posts.json"),
               {"format": "balie-posts", "version": 1, "saved": now, "posts": posts})
    # Fresh state each time: no sources, nothing to remember.
    for name in ("state.json", "lock"):
        try:
            os.unlink(os.path.join(out, "cache", name))
        except FileNotFoundError:
            pass
    with open(os.path.join(out, "people.conf"), "w", encoding="utf-8") as f:
        f.write(person_sections())
    # 40 new statuses by p01's account, newer than anything cached.
    page = mastodon_page(40, 0, 114000000000000000 + 40, now - 60, "https://" + HOST, seed=99)
    write_json(os.path.join(out, "page40.json"), page)
    return {"posts": len(posts), "people": N_PEOPLE,
            "with_media": sum(1 for p in posts if p["media"]),
            "avatars": len(media["avatars"]), "images": len(media["images"]),
            "oldest_days": round((now - posts[-1]["created"]) / 86400, 1)}


def main(argv=None):
    ap = argparse.ArgumentParser(description="generate the benchmark's cache and pages")
    ap.add_argument("--out", required=True, help="directory to write into")
    ap.add_argument("--now", type=int, help="Unix time the posts are dated against")
    args = ap.parse_args(argv)
    s = generate(args.out, args.now)
    print("gen_data: %(posts)d posts from %(people)d people, %(with_media)d with an image, "
          "%(avatars)d avatars, %(images)d images, oldest %(oldest_days)s days" % s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
