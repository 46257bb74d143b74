#!/usr/bin/env python3
"""test_instruments: the benchmark's measuring tools, checked without timing.

`make bench` trusts two instruments that are easy to get subtly wrong, so
they are tested here with exact expectations (python3 standard library only;
prints "PASS: name" / "FAIL: name: why" like tests/integration, exit status 1
when something failed):

  - tests/server/fakeserver.py's byte counters: per request, per route and in
    total, for plain, 304, gzip, chunked and POST answers; control requests
    not counted; /_control/reset zeroes them; connections counted once.
  - tests/bench/gen_data.py: the cache it writes is the documented format
    (docs/cache-format.md) with 500 posts from 40 people, 100 images and 40
    avatars whose names are the SHA-256 of valid PNGs, and the Mastodon page
    has 40 statuses newer than every cached post.

    python3 tests/bench/test_instruments.py
"""

import gzip
import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import gen_data  # noqa: E402

SERVER = os.path.join(ROOT, "tests", "server", "fakeserver.py")


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


class Server:
    def __enter__(self):
        self.p = subprocess.Popen([sys.executable, SERVER, "--exit-on-stdin-eof"], cwd=ROOT,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = int(self.p.stdout.readline().split()[1])
        return self

    def control(self, what, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request("http://127.0.0.1:%d/_control/%s" % (self.port, what),
                                     data=data, method="POST" if data is not None else "GET")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def __exit__(self, *exc):
        self.p.stdin.close()
        self.p.wait(timeout=10)


def exchange(sock, request):
    """Send one request, read exactly one response (Content-Length, chunked
    or none for 304); return the raw response bytes."""
    sock.sendall(request)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        check(chunk, "the server closed the connection mid-headers")
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hdr = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    if " 304 " in lines[0] + " ":
        return buf
    if "content-length" in hdr:
        need = int(hdr["content-length"])
        while len(body) < need:
            body += sock.recv(65536)
            buf = head + b"\r\n\r\n" + body
        return buf
    if hdr.get("transfer-encoding") == "chunked":
        while not body.endswith(b"0\r\n\r\n"):
            body += sock.recv(65536)
        return head + b"\r\n\r\n" + body
    return buf


def test_byte_counters_are_exact():
    with Server() as srv:
        srv.control("routes", [
            {"path": "/plain", "body": "hello", "etag": "\"e1\""},
            {"path": "/zipped", "body": "x" * 5000, "gzip": True},
            {"path": "/chunked", "body": "y" * 70000, "chunked": True, "name": "ch"},
            {"path": "/post", "method": "POST", "body_json": {"ok": True}},
        ])
        reqs = [
            b"GET /plain HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET /plain HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"e1\"\r\n\r\n",
            b"GET /zipped HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n",
            b"GET /chunked HTTP/1.1\r\nHost: a\r\n\r\n",
            b"POST /post HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n{\"a\":12345}",
            b"GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n",
        ]
        s = socket.create_connection(("127.0.0.1", srv.port))
        got = [exchange(s, r) for r in reqs]
        s.close()
        check(b" 304 " in got[1], "the second /plain was not answered 304")
        z = got[2].partition(b"\r\n\r\n")[2]
        check(gzip.decompress(z) == b"x" * 5000, "the gzip answer does not decode")
        time.sleep(0.2)
        st = srv.control("stats")
        log = srv.control("log")
        check(st["bytes_in"] == sum(map(len, reqs)),
              "bytes_in %d, sent %d" % (st["bytes_in"], sum(map(len, reqs))))
        check(st["bytes_out"] == sum(map(len, got)),
              "bytes_out %d, received %d" % (st["bytes_out"], sum(map(len, got))))
        check(st["connections"] == 1, "connections %d, expected 1" % st["connections"])
        check([e["bytes_in"] for e in log] == [len(r) for r in reqs], "per-request bytes in")
        check([e["bytes_out"] for e in log] == [len(g) for g in got], "per-request bytes out")
        check(st["routes"]["ch"]["bytes_out"] == len(got[3]), "per-route bytes of /chunked")
        check(st["routes"]["/plain"]["bytes_in"] == len(reqs[0]) + len(reqs[1]),
              "per-route bytes of /plain")


def test_control_requests_are_not_counted_and_reset_zeroes():
    with Server() as srv:
        srv.control("routes", [{"path": "/p", "body": "abc"}])
        for _ in range(3):
            srv.control("stats")
            srv.control("log")
        st = srv.control("stats")
        check(st["bytes_in"] == 0 and st["bytes_out"] == 0 and st["connections"] == 0,
              "control requests were counted: %r" % st)
        s = socket.create_connection(("127.0.0.1", srv.port))
        exchange(s, b"GET /p HTTP/1.1\r\nHost: a\r\n\r\n")
        time.sleep(0.1)
        check(srv.control("stats")["bytes_in"] > 0, "a plain request was not counted")
        srv.control("reset", {})
        st = srv.control("stats")
        check(st["bytes_in"] == 0 and st["bytes_out"] == 0 and st["connections"] == 0 and
              st["routes"]["/p"]["bytes_out"] == 0, "reset left counters: %r" % st)
        # a connection opened before the reset and used after it is not new
        r2 = b"GET /p HTTP/1.1\r\nHost: a\r\n\r\n"
        out = exchange(s, r2)
        s.close()
        time.sleep(0.1)
        st = srv.control("stats")
        check(st["bytes_in"] == len(r2) and st["bytes_out"] == len(out) and
              st["connections"] == 0, "after reset: %r" % st)


def png_ok(path):
    """True when the file is a PNG whose IDAT inflates to the size IHDR says."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return False
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        crc = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]
        if zlib.crc32(kind + body) & 0xffffffff != crc:
            return False
        if kind == b"IHDR":
            w, h = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    return len(zlib.decompress(idat)) == h * (1 + 3 * w)


def test_generated_cache_is_the_documented_shape():
    with tempfile.TemporaryDirectory() as d:
        now = 1767225600   # 2026-01-01
        s = gen_data.generate(d, now)
        with open(os.path.join(d, "cache", "posts.json"), encoding="utf-8") as f:
            doc = json.load(f)
        check(doc["format"] == "balie-posts" and doc["version"] == 1, "format/version")
        posts = doc["posts"]
        check(len(posts) == 500 == s["posts"], "%d posts" % len(posts))
        check(len({p["key"] for p in posts}) == 500, "keys are not unique")
        check(len({p["person"] for p in posts}) == 40, "posts are not from 40 people")
        check(all(posts[i]["created"] >= posts[i + 1]["created"] for i in range(499)),
              "not newest first")
        check(now - posts[-1]["created"] < 30 * 86400, "a post is older than 30 days")
        media = [m for p in posts for m in p["media"]]
        check(len(media) == 100 and len({m["file"] for m in media}) == 100, "100 images")
        avatars = {p["author"]["avatar_file"] for p in posts}
        check(len(avatars) == 40, "%d avatars" % len(avatars))
        mdir = os.path.join(d, "cache", "media")
        for name in list(avatars) + [m["file"] for m in media]:
            path = os.path.join(mdir, name)
            with open(path, "rb") as f:
                check(hashlib.sha256(f.read()).hexdigest() + ".png" == name,
                      "%s is not named by its SHA-256" % name)
            check(png_ok(path), "%s is not a valid PNG" % name)
        for p in posts:
            raw = p["text"].encode("utf-8")
            for sp in p["spans"]:
                check(0 <= sp["start"] < sp["end"] <= len(raw), "span outside the text")
                raw[sp["start"]:sp["end"]].decode("utf-8")   # never cuts a character
        with open(os.path.join(d, "page40.json"), encoding="utf-8") as f:
            page = json.load(f)
        check(len(page) == 40, "the page has %d statuses" % len(page))
        newest = max(int(p["id"]) for p in posts)
        check(all(int(st["id"]) > newest for st in page), "page statuses are not newer")
        check(len({st["uri"] for st in page}) == 40, "page URIs are not unique")
        conf = gen_data.person_sections()
        check(conf.count("[person ") == 40, "person sections")


def main():
    failed = 0
    for name, fn in sorted(globals().items()):
        if not name.startswith("test_") or not callable(fn):
            continue
        try:
            fn()
            print("PASS: %s" % name[5:], flush=True)
        except Failure as e:
            failed += 1
            print("FAIL: %s: %s" % (name[5:], e), flush=True)
        except Exception as e:   # a crash in a test is a failure with its traceback
            failed += 1
            print("FAIL: %s: %s: %s" % (name[5:], type(e).__name__, e), flush=True)
            traceback.print_exc()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
