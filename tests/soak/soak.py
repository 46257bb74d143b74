#!/usr/bin/env python3
"""soak: months of uptime in minutes.

The real screen (SDL dummy driver) polls 10 Mastodon accounts on the fake
server (tests/server/fakeserver.py, 127.0.0.1) with its clocks sped up
BALIE_TIME_SCALE=1000 times: a 15 s poll interval becomes 15 ms, an 8 s card
dwell a few ms, so 100,000 refresh cycles and thousands of card changes pass
in a few minutes.  Meanwhile the "accounts" keep posting (a new post with a
new picture every half second, the oldest extra one deleted again), answers
carry ETags (most polls are 304), media are evicted above a 1 MiB limit and
posts beyond 60 are pruned, so every path of a long life runs: merge,
delete, save, evict, publish, card build and teardown.

Measured from /proc/PID: resident memory (VmRSS), open file descriptors,
threads, at 1,000 cycles and at the end (and every 10 % between).  The run
passes when fds and threads are constant, RSS is flat after warm-up, the
screen kept changing cards, and balie exits 0 on SIGTERM with no
AddressSanitizer/LeakSanitizer report (LSan checks for leaks at exit).

    tests/soak/soak.py [--cycles N] [--binary PATH] [--scale N] [--json FILE]

Prints "PASS: ..."/"FAIL: ..." lines (tests/run.sh counts them) and one
"soak: ..." summary line.  `make soak` runs 100,000 cycles with the
sanitizer build and with the release build (the RSS figure that matters on
a Pi); `make check` runs 5,000 (tests/integration/test_soak.py).
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness  # noqa: E402
import faultlib  # noqa: E402
from harness import FakeServer, check  # noqa: E402
from faultlib import JSON, Account, Screen  # noqa: E402

N_SOURCES = 10
MAX_EXTRA = 5          # newer posts per account before the oldest is deleted again


def noisy_png(seed, w=160, h=120):
    """A picture that does not compress (about 58 KB): media eviction has work."""
    import random
    import struct
    import zlib
    rnd = random.Random(seed)
    raw = b"".join(b"\x00" + bytes(rnd.getrandbits(8) for _ in range(w * 3)) for _ in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))


class Poster:
    """Keeps the fake accounts posting (and deleting) while the soak runs."""

    def __init__(self, srv, tmp, accts, period=0.5):
        self.srv, self.tmp, self.accts, self.period = srv, tmp, accts, period
        self.png = os.path.join(tmp, "img.png")
        with open(self.png, "wb") as f:
            f.write(faultlib.png_bytes())
        self.n = 0
        self.counted = 0  # statuses requests of route tables already replaced
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.errors = []
        self.publish()

    def routes(self):
        out = []
        for a in self.accts:
            body = a.statuses(self.srv.base)
            etag = '"%s"' % hashlib.sha1(json.dumps(body).encode()).hexdigest()[:16]
            out.append(a.lookup_route(self.srv.base))
            out.append({"path": a.statuses_path(), "headers": JSON, "body_json": body, "etag": etag,
                        "name": "statuses-" + a.user})
        out.append({"path": "/media/new/", "prefix": True, "headers": {"Content-Type": "image/png"},
                    "body_file": self.png, "name": "media-new"})
        return out + faultlib.media_routes(self.png)

    def publish(self):
        self.srv.set_routes(self.routes())

    def step(self):
        a = self.accts[self.n % len(self.accts)]
        # a picture of its own (other bytes, so another media file)
        path = os.path.join(self.tmp, "new%d.png" % (self.n % 64))
        with open(path, "wb") as f:
            f.write(noisy_png(self.n))
        a.add_post("Soak-bericht %d van %s" % (self.n, a.user), image="/media/new/%d.png" % self.n)
        if len(a.extra) > MAX_EXTRA:
            del a.extra[0]  # deleted upstream: the next full page drops it
        self.n += 1
        routes = self.routes()
        # the new picture's bytes: a route per live picture, before the prefix route
        pics = []
        for acct in self.accts:
            for _, _, image in acct.extra:
                k = int(image.rsplit("/", 1)[1].split(".")[0])
                pics.append({"path": image, "headers": {"Content-Type": "image/png"},
                             "body_file": os.path.join(self.tmp, "new%d.png" % (k % 64)), "name": "media-new"})
        with self.lock:
            self.counted += self.route_hits()
            self.srv.set_routes(pics + routes)

    def route_hits(self):
        st = self.srv.control("stats")
        return sum(v["requests"] for k, v in st.get("routes", {}).items() if k.startswith("statuses-"))

    def cycles(self):
        """Refresh cycles so far: one request to an account's statuses each (the
        few that land while a route table is swapped are not counted)."""
        with self.lock:
            return self.counted + self.route_hits()

    def run(self):
        while not self.stop_ev.wait(self.period):
            try:
                self.step()
            except Exception as e:  # the server is busy: try again next period
                self.errors.append(repr(e))

    def start(self):
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def stop(self):
        self.stop_ev.set()
        self.thread.join(30)


def sample(scr):
    return {"rss_kb": scr.rss_kb(), "fds": scr.fds(), "threads": scr.threads()}


def soak(n_cycles, binary, scale=1000, label="asan", json_out=None, verbose_out=sys.stdout):
    base_tmp = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None  # no fsync cost
    tmp = tempfile.mkdtemp(prefix="balie-soak-", dir=base_tmp)
    cache = os.path.join(tmp, "cache")
    result = {"label": label, "binary": binary, "cycles_asked": n_cycles, "scale": scale}
    asan = dict(os.environ)
    try:
        with FakeServer() as srv:
            accts = [Account("s_%02d" % i, 9100 + i, n_posts=3) for i in range(N_SOURCES)]
            poster = Poster(srv, tmp, accts)
            conf = faultlib.config(tmp, srv.base, accts, extra="[cache]\nmax_media_mb = 1\nmax_posts = 60\n")
            text = open(conf).read().replace("dwell_min_s = 60\ndwell_max_s = 60", "dwell_min_s = 20\ndwell_max_s = 20")
            faultlib.write(conf, text)
            env = {"BALIE_TIME_SCALE": str(scale), "BALIE_STATS": "1",
                   # a small quarantine: freed memory is reused after a while, so RSS
                   # under ASan shows growth, not the quarantine filling up
                   "ASAN_OPTIONS": asan.get("ASAN_OPTIONS", "detect_leaks=1") + ":quarantine_size_mb=16"}
            scr = Screen(conf, cache, env=env, binary=binary)
            with scr:
                poster.start()
                t0 = time.time()
                marks = sorted({1000} | {n_cycles * k // 10 for k in range(1, 11)})
                samples = {}
                last_n, last_t = 0, time.time()
                while True:
                    check(scr.alive(), "balie died during the soak:\n%s" % scr.stderr()[-4000:])
                    n = poster.cycles()
                    while marks and n >= marks[0]:
                        samples[marks[0]] = dict(sample(scr), cycles=n, seconds=round(time.time() - t0, 1))
                        print("soak %s: %6d cycles  %7d kB RSS  %3d fds  %2d threads  %5.0f s" % (
                            label, n, samples[marks[0]]["rss_kb"], samples[marks[0]]["fds"],
                            samples[marks[0]]["threads"], time.time() - t0), file=verbose_out, flush=True)
                        marks.pop(0)
                    if not marks:
                        break
                    if n > last_n:
                        last_n, last_t = n, time.time()
                    check(time.time() - last_t < 60, "the poller stopped polling at %d cycles" % n)
                    time.sleep(0.2)
                poster.stop()
                result["seconds"] = round(time.time() - t0, 1)
                code = scr.stop(timeout=120)
            err = scr.stderr()
            m = re.search(r"stats: presents=(\d+) cards_built=(\d+) cards_shown=(\d+)", err)
            result.update({"samples": samples, "exit": code, "cycles": max(samples),
                           "cards_shown": int(m.group(3)) if m else None,
                           "presents": int(m.group(1)) if m else None,
                           "posts_published": poster.n})
            result["sanitizer"] = faultlib.sanitizer_report(err)
            result["warnings"] = [l for l in err.splitlines() if ": warning: " in l or ": error: " in l][:20]
            if json_out:
                with open(json_out, "w") as f:
                    json.dump(result, f, indent=1)
            return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def judge(r, rss_slack_kb):
    """PASS/FAIL lines for one soak result; returns the number of failures."""
    failed = 0

    def verdict(ok, name, why):
        nonlocal failed
        print(("PASS: %s" % name) if ok else ("FAIL: %s: %s" % (name, why)), flush=True)
        failed += 0 if ok else 1

    s = r["samples"]
    first, last = s[1000], s[max(s)]
    label = r["label"]
    verdict(r["exit"] == 0, "soak_%s_exits_cleanly" % label, "exit status %s" % r["exit"])
    verdict(r["sanitizer"] is None, "soak_%s_no_leak_or_memory_error" % label, r["sanitizer"])
    after = [v for k, v in s.items() if k >= 1000]
    fds = [v["fds"] for v in after]
    thr = [v["threads"] for v in after]
    verdict(max(fds) - min(fds) <= 4, "soak_%s_file_descriptors_constant" % label, "fds %r" % fds)
    verdict(max(thr) == min(thr), "soak_%s_threads_constant" % label, "threads %r" % thr)
    # flat: from the second half on, no growth beyond the slack
    half = [v["rss_kb"] for k, v in sorted(s.items()) if k >= r["cycles_asked"] // 2]
    verdict(last["rss_kb"] <= first["rss_kb"] + rss_slack_kb and max(half) - min(half) <= rss_slack_kb,
            "soak_%s_memory_flat" % label,
            "RSS %d kB at 1,000 cycles, %d kB at %d; second half %r" % (first["rss_kb"], last["rss_kb"],
                                                                       r["cycles"], half))
    verdict((r["cards_shown"] or 0) >= 50, "soak_%s_cards_kept_changing" % label,
            "cards shown: %s" % r["cards_shown"])
    verdict(not r["warnings"], "soak_%s_nothing_logged_as_wrong" % label, "\n".join(r["warnings"]))
    print("soak %s: %d cycles in %.0f s, %s card changes, %d posts published; RSS %d kB at 1,000 cycles, "
          "%d kB at %d; fds %d -> %d; threads %d -> %d" % (
              label, r["cycles"], r["seconds"], r["cards_shown"], r["posts_published"], first["rss_kb"],
              last["rss_kb"], r["cycles"], first["fds"], last["fds"], first["threads"], last["threads"]),
          flush=True)
    return failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cycles", type=int, default=100000)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "asan", "balie"))
    ap.add_argument("--label", default=None)
    ap.add_argument("--scale", type=int, default=1000)
    ap.add_argument("--rss-slack-kb", type=int, default=None,
                    help="allowed RSS growth (default: 24 MiB under ASan, 8 MiB otherwise)")
    ap.add_argument("--json", default=None, help="write the figures here")
    a = ap.parse_args()
    label = a.label or ("asan" if "asan" in a.binary else "release")
    slack = a.rss_slack_kb if a.rss_slack_kb is not None else (24 * 1024 if label == "asan" else 8 * 1024)
    check(a.cycles >= 2000, "--cycles: at least 2000")
    try:
        r = soak(a.cycles, os.path.abspath(a.binary), a.scale, label, a.json)
    except harness.Failure as e:
        print("FAIL: soak_%s: %s" % (label, e), flush=True)
        return 1
    return 1 if judge(r, slack) else 0


if __name__ == "__main__":
    sys.exit(main())
