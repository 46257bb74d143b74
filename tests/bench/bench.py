#!/usr/bin/env python3
"""bench: balie's performance figures, measured (python3 standard library only).

`make bench` builds the optimised binary (build/balie), the floor program
(tests/bench/floor.c), the refresh timer (tests/bench/bench_refresh.c) and a
copy of balie for callgrind, then runs this script, which prints one table.
Every run uses SDL's dummy video driver (software rendering) at 1920x1080 and
a generated warm cache of 500 posts from 40 people (tests/bench/gen_data.py).

How each figure is taken (docs/performance.md has the why):

 1. start-up     exec -> the first present of a complete card, from the
                 screen's own timestamp (BALIE_STATS=1 stats line, CLOCK_MONOTONIC);
                 also exec -> READY=1 on $NOTIFY_SOCKET, with this script as
                 the listener (systemd's mechanism).  No network: no sources.
 2. memory       VmHWM (peak) and VmRSS (median of the last 30 s) from
                 /proc during the 60 s loop; growth = VmRSS at minute 10 minus
                 minute 1 of a loop run with BALIE_TIME_SCALE=10 (60 s real).
 3. CPU          the sum over threads of /proc/PID/task/*/schedstat run time
                 over 60 s of real time (dwell 8 s, so a transition every 8 s),
                 and over 30 s while one card stands (dwell 120 s); wake-ups =
                 voluntary context switches.  Instructions per transition
                 frame: callgrind with --toggle-collect=draw_frame and one
                 dump per frame (a copy of balie whose screen.o keeps
                 draw_frame out of line), a fixed pair of cards (text, image)
                 fading into each other; frames that draw two cards, or a
                 card under the other's picture (fade_draw), count.
 4. work per card  text blocks rasterised, glyph runs and texture uploads per
                 card built, and text blocks per frame presented, from the
                 stats line of the 60 s loop.
 5. refresh      bench_refresh: parse 40 new statuses, merge into 500, build
                 the feed, write posts.json; 50 runs.
 6. network      balie with 10 Mastodon sources polled every 60 s against
                 tests/server/fakeserver.py (ETags, gzip), BALIE_TIME_SCALE=60:
                 10 simulated minutes to settle, counters reset, then one
                 simulated hour (60 s real).  Bytes are counted by the server.

The floor program's start-up, memory, CPU and wake-ups are measured the same
way, and balie's figures are shown as multiples of them.

    bench.py --build DIR [--quick] [--json FILE] [--report FILE]

Exit status 0 when every figure was measured (targets missed or not); 1 when
a measurement could not be taken (the message says which and why).
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import gen_data  # noqa: E402

SERVER = os.path.join(ROOT, "tests", "server", "fakeserver.py")
SIZE = "1920x1080"
STATS_RX = re.compile(r"screen: stats: (.*)$", re.M)

# targets from the issue (2-core x86, dummy driver, 1920x1080)
TARGET_STARTUP_MS = 150
TARGET_PEAK_MIB = 48
TARGET_CPU_LOOP_PCT = 2.0
TARGET_CPU_STILL_PCT = 0.1
TARGET_REFRESH_MS = 5.0
BURNIN_STEP_S = 120   # the generic board's drift step, written into every config


class BenchError(Exception):
    pass


def say(*args):
    print("bench:", *args, file=sys.stderr, flush=True)


# ---- /proc -------------------------------------------------------------------

def proc_status(pid, key):
    """A kB field of /proc/PID/status (VmRSS, VmHWM) in bytes, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def threads(pid):
    """{tid: (name, cpu_ns, voluntary_switches)} for every live thread."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for t in tids:
        base = "/proc/%d/task/%s/" % (pid, t)
        try:
            with open(base + "schedstat") as f:
                ns = int(f.read().split()[0])
            with open(base + "status") as f:
                st = f.read()
            with open(base + "comm") as f:
                name = "main" if t == str(pid) else "%s/%s" % (f.read().strip(), t)
            vol = int(st.split("\nvoluntary_ctxt_switches:")[1].split()[0])
            out[t] = (name, ns, vol)
        except (OSError, IndexError, ValueError):
            pass
    return out


def window_delta(a, b):
    """CPU seconds, wake-ups and a per-thread breakdown between two threads()
    snapshots.  A thread that appeared in between counts from zero."""
    cpu = 0
    wake = 0
    per = []
    for t, (name, ns, vol) in b.items():
        ns0, vol0 = (a[t][1], a[t][2]) if t in a else (0, 0)
        cpu += ns - ns0
        wake += vol - vol0
        per.append((name, (ns - ns0) / 1e9, vol - vol0))
    return cpu / 1e9, wake, per


# ---- running balie and the floor --------------------------------------------

class Notify:
    """An AF_UNIX datagram socket standing in for systemd's $NOTIFY_SOCKET."""

    def __init__(self, d):
        self.path = os.path.join(d, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)

    def wait_ready(self, proc, timeout):
        """monotonic_ns when READY=1 arrives; None if the process exits or
        timeout passes first."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if proc.poll() is not None:
                return None
            self.sock.settimeout(0.2)
            try:
                msg = self.sock.recv(4096)
            except socket.timeout:
                continue
            t = time.monotonic_ns()
            if b"READY=1" in msg.split(b"\n"):
                return t
        return None

    def close(self):
        self.sock.close()


class Proc:
    """One balie or floor process with its stderr in a file."""

    def __init__(self, cmd, env, workdir, name):
        self.errpath = os.path.join(workdir, name + ".stderr")
        self.err = open(self.errpath, "w")
        self.t0 = time.monotonic_ns()
        self.p = subprocess.Popen(cmd, env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=self.err)
        self.pid = self.p.pid

    def stop(self, timeout=60):
        """SIGTERM, wait; returns (exit status, stderr text)."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
            self.err.close()
            raise BenchError("%s did not stop within %d s of SIGTERM; see %s"
                             % (os.path.basename(self.errpath), timeout, self.errpath))
        self.err.close()
        with open(self.errpath, errors="replace") as f:
            return rc, f.read()


def parse_stats(text, what):
    m = STATS_RX.findall(text)
    if not m:
        raise BenchError("%s printed no 'screen: stats:' line (is src/render/screen.c "
                         "older than BALIE_STATS?); its stderr ends: %s" % (what, text[-600:]))
    out = {}
    for kv in m[-1].split():
        k, _, v = kv.partition("=")
        out[k] = int(v)
    return out


def base_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM",
                        "BALIE_TIME_SCALE", "BALIE_FAKE_NOW", "SDL_RENDER_DRIVER")}
    env.update({"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "BALIE_STATS": "1",
                "LC_ALL": "C.UTF-8"})
    env.update(extra or {})
    return env


class Bench:
    def __init__(self, args):
        self.a = args
        self.build = os.path.abspath(args.build)
        self.balie = os.path.join(self.build, "balie")
        self.bdir = os.path.join(self.build, "bench")
        self.floor = os.path.join(self.bdir, "floor")
        self.refresh = os.path.join(self.bdir, "bench_refresh")
        self.cg = os.path.join(self.bdir, "cg", "balie")
        self.data = os.path.join(self.bdir, "data")
        self.tmp = tempfile.mkdtemp(prefix="balie-bench-")
        self.res = {}
        self.notes = []
        for exe in (self.balie, self.floor, self.refresh):
            if not os.access(exe, os.X_OK):
                raise BenchError("%s is missing: run `make bench`, which builds it" % exe)

    # -- set-up --

    def cache_copy(self, name):
        """A private copy of the generated cache (each balie locks its own):
        posts.json copied, media hard-linked (only read)."""
        d = os.path.join(self.tmp, name)
        os.makedirs(os.path.join(d, "media"))
        shutil.copy(os.path.join(self.data, "cache", "posts.json"), d)
        src = os.path.join(self.data, "cache", "media")
        for f in os.listdir(src):
            try:
                os.link(os.path.join(src, f), os.path.join(d, "media", f))
            except OSError:
                shutil.copy(os.path.join(src, f), os.path.join(d, "media", f))
        return d

    def config(self, name, cache_dir, dwell_s, transition_ms=600, extra=""):
        path = os.path.join(self.tmp, name + ".conf")
        with open(path, "w", encoding="utf-8") as f:
            f.write("# written by tests/bench/bench.py\n"
                    "[display]\norganisation = Gemeente Voorbeeldstad\nlanguage = nl\n"
                    "dwell_min_s = %d\ndwell_max_s = %d\ntransition_ms = %d\n\n"
                    "[cache]\ndir = %s\n\n[screen]\nburnin_step_s = %d\n\n"
                    % (dwell_s, dwell_s, transition_ms, cache_dir, BURNIN_STEP_S))
            f.write(extra)
            f.write("\n")
            f.write(gen_data.person_sections())
        return path

    def balie_cmd(self, conf, exe=None):
        return [exe or self.balie, "--config", conf, "--size", SIZE]

    def generate(self):
        t = time.monotonic()
        s = gen_data.generate(self.data)
        say("data: %(posts)d posts, %(people)d people, %(with_media)d with an image, "
            "%(avatars)d avatars, %(images)d images (%(oldest_days)s days)" % s,
            "in %.1f s" % (time.monotonic() - t))
        self.res["data"] = s

    def self_check(self):
        """The instruments before the measurements: the generated cache loads
        whole, and the server counts bytes exactly."""
        cache = self.cache_copy("check")
        conf = self.config("check", cache, 8)
        r = subprocess.run([self.balie, "--config", conf, "--list"], cwd=ROOT, env=base_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
        if r.returncode != 0 or not last.startswith("500 posts shown, 500 cached"):
            raise BenchError("the generated cache does not load whole: balie --list said %r "
                             "(status %d) %s" % (last, r.returncode, r.stderr[-400:]))
        with FakeServer() as srv:
            srv.routes([{"path": "/x", "body": "hello", "etag": "\"e1\""}])
            s = socket.create_connection(("127.0.0.1", srv.port))
            req = [b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n",
                   b"GET /x HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"e1\"\r\n\r\n"]
            got = 0
            for q, end in zip(req, (b"hello", b"\r\n\r\n")):
                s.sendall(q)
                buf = b""
                while not buf.endswith(end):
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    buf += chunk
                got += len(buf)
            s.close()
            time.sleep(0.2)
            st = srv.control("stats")
        sent = sum(len(q) for q in req)
        if st.get("bytes_in") != sent or st.get("bytes_out") != got or st.get("connections") != 1:
            raise BenchError("fakeserver's byte counter is off: it counted %s in, %s out, %s "
                             "connections; the client sent %d and received %d on 1 connection"
                             % (st.get("bytes_in"), st.get("bytes_out"), st.get("connections"),
                                sent, got))
        say("self-check: the cache loads whole (500 posts), the server counts bytes exactly")

    # -- 1. start-up ----------------------------------------------------------

    def startup_run(self, cmd, env, name, balie, idle_s=0.0):
        d = tempfile.mkdtemp(dir=self.tmp)
        n = Notify(d)
        try:
            env = dict(env, NOTIFY_SOCKET=n.path)
            p = Proc(cmd, env, d, name)
            t_ready = n.wait_ready(p.p, 60)
            if t_ready is None:
                rc, err = p.stop()
                raise BenchError("%s sent no READY=1 within 60 s (status %s): %s"
                                 % (name, rc, err[-600:]))
            out = {"ready_ms": (t_ready - p.t0) / 1e6}
            if balie:
                time.sleep(1.5)   # the first card is complete long before this
            if idle_s:
                time.sleep(1.0)
                a = threads(p.pid)
                time.sleep(idle_s)
                b = threads(p.pid)
                cpu, wake, per = window_delta(a, b)
                other = sum(w for name, _, w in per if name != "main")
                out.update(cpu_pct=100 * cpu / idle_s, wake_per_s=wake / idle_s,
                           wake_other=other / idle_s, rss=proc_status(p.pid, "VmRSS"))
            out["peak"] = proc_status(p.pid, "VmHWM")
            rc, err = p.stop()
            if rc != 0:
                raise BenchError("%s exited with status %d: %s" % (name, rc, err[-600:]))
            if balie:
                st = parse_stats(err, name)
                if not st.get("first_card_us"):
                    raise BenchError("%s presented no complete card within 1.5 s of READY=1"
                                     % name)
                out["card_ms"] = (st["first_card_us"] * 1000 - p.t0) / 1e6
                out["first_frame_ms"] = (st["first_frame_us"] * 1000 - p.t0) / 1e6
            return out
        finally:
            n.close()

    def version_runs(self):
        """exec -> exit of `balie --version`: loading and linking the shared
        libraries, before any of balie's own work."""
        out = []
        for i in range(self.a.startup_runs + 1):
            t = time.monotonic_ns()
            subprocess.run([self.balie, "--version"], stdout=subprocess.DEVNULL, check=True)
            out.append((time.monotonic_ns() - t) / 1e6)
        self.res["version_ms"] = out[1:]   # the first warms the page cache
        r = subprocess.run(["ldd", self.balie], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True)
        self.res["shared_libs"] = sum(1 for line in r.stdout.splitlines() if ".so" in line)
        say("balie --version: %.0f ms median, %d shared libraries"
            % (statistics.median(out[1:]), self.res["shared_libs"]))

    def startup(self):
        runs = self.a.startup_runs
        cache = self.cache_copy("startup")
        conf = self.config("startup", cache, 8)
        env = base_env()
        self.startup_run(self.balie_cmd(conf), env, "warm-up", True)  # page cache, fonts
        bal = []
        for i in range(runs):
            bal.append(self.startup_run(self.balie_cmd(conf), env, "startup-%d" % i, True))
            say("start-up %d/%d: first card %.0f ms, READY=1 %.0f ms"
                % (i + 1, runs, bal[-1]["card_ms"], bal[-1]["ready_ms"]))
        self.res["startup"] = bal

    def floor_runs(self):
        """The floor: start-up, then idle CPU, wake-ups and memory."""
        runs = self.a.floor_runs
        env = base_env()
        self.startup_run([self.floor, "--size", SIZE], env, "floor-warm-up", False)
        fl = []
        for i in range(runs):
            fl.append(self.startup_run([self.floor, "--size", SIZE], env, "floor-%d" % i, False,
                                       idle_s=self.a.floor_idle))
            say("floor %d/%d: READY=1 %.0f ms, idle CPU %.3f %%, %.0f wake-ups/s, peak %.1f MiB"
                % (i + 1, runs, fl[-1]["ready_ms"], fl[-1]["cpu_pct"], fl[-1]["wake_per_s"],
                   fl[-1]["peak"] / 2**20))
        self.res["floor"] = fl

    # -- 2-4. the loop, the still card --------------------------------------------

    def window_run(self, name, conf, seconds, settle, env_extra=None):
        """Run balie, wait for READY=1 and settle seconds, then sample CPU,
        wake-ups and memory over seconds of real time; SIGTERM; stats."""
        d = tempfile.mkdtemp(dir=self.tmp)
        n = Notify(d)
        try:
            p = Proc(self.balie_cmd(conf), base_env(dict(env_extra or {}, NOTIFY_SOCKET=n.path)),
                     d, name)
            if n.wait_ready(p.p, 60) is None:
                rc, err = p.stop()
                raise BenchError("%s sent no READY=1 within 60 s (status %s): %s"
                                 % (name, rc, err[-600:]))
            time.sleep(settle)
            a = threads(p.pid)
            t_a = time.monotonic()
            w_a = time.time()
            rss = []
            while time.monotonic() - t_a < seconds:
                time.sleep(0.5)
                v = proc_status(p.pid, "VmRSS")
                if v:
                    rss.append((time.monotonic() - t_a, v))
            b = threads(p.pid)
            t_b, w_b = time.monotonic(), time.time()
            real = t_b - t_a
            total = (time.monotonic_ns() - p.t0) / 1e9
            peak = proc_status(p.pid, "VmHWM")
            rc, err = p.stop()
            if rc != 0:
                raise BenchError("%s exited with status %d: %s" % (name, rc, err[-600:]))
            cpu, wake, per = window_delta(a, b)
            late = [v for t, v in rss if t >= real - 30] or [v for _, v in rss]
            # the deadlines that fell inside the window: the status line's
            # minute (wall clock) and the burn-in drift's step (BURNIN_STEP_S
            # on the monotonic clock, which balie's equals without a time scale)
            ticks = int(w_b // 60) - int(w_a // 60)
            drift = int(t_b // BURNIN_STEP_S) - int(t_a // BURNIN_STEP_S)
            return {"cpu_s": cpu, "real_s": real, "total_s": total, "cpu_pct": 100 * cpu / real,
                    "wake": wake, "minute_ticks": ticks, "drift_steps": drift,
                    "wake_per_s": wake / real, "threads": per, "peak": peak,
                    "steady": statistics.median(late), "stats": parse_stats(err, name)}
        finally:
            n.close()

    def loop(self):
        cache = self.cache_copy("loop")
        conf = self.config("loop", cache, 8)
        out = []
        for i in range(self.a.loop_runs):
            r = self.window_run("loop-%d" % i, conf, self.a.loop_seconds, 1.0)
            st = r["stats"]
            say("loop %d/%d: CPU %.2f %% of a core, peak %.1f MiB, steady %.1f MiB, %d cards shown, "
                "%d presents" % (i + 1, self.a.loop_runs, r["cpu_pct"], r["peak"] / 2**20,
                                 r["steady"] / 2**20, st["cards_shown"], st["presents"]))
            out.append(r)
        self.res["loop"] = out

    def still(self):
        cache = self.cache_copy("still")
        conf = self.config("still", cache, 120)
        out = []
        for i in range(self.a.still_runs):
            r = self.window_run("still-%d" % i, conf, self.a.still_seconds, 5.0)
            busy = sorted(r["threads"], key=lambda x: -x[2])[:3]
            say("still %d/%d: CPU %.3f %% of a core, %.0f wake-ups/s (most: %s)"
                % (i + 1, self.a.still_runs, r["cpu_pct"], r["wake_per_s"],
                   ", ".join("%s %.0f/s" % (nm, w / r["real_s"]) for nm, _, w in busy)))
            out.append(r)
        self.res["still"] = out

    # -- the parallel phase: growth, network (not timing-sensitive); then callgrind --

    def growth_run(self, i, out):
        scale = 10
        cache = self.cache_copy("growth-%d" % i)
        conf = self.config("growth-%d" % i, cache, 8)
        d = tempfile.mkdtemp(dir=self.tmp)
        p = Proc(self.balie_cmd(conf), base_env({"BALIE_TIME_SCALE": str(scale)}), d,
                 "growth-%d" % i)
        total = self.a.growth_seconds
        rss = []
        while time.monotonic_ns() - p.t0 < total * 1e9:
            time.sleep(0.5)
            v = proc_status(p.pid, "VmRSS")
            if v:
                rss.append(((time.monotonic_ns() - p.t0) / 1e9 * scale / 60, v))  # simulated min
        rc, err = p.stop()
        if rc != 0:
            raise BenchError("growth run exited with status %d: %s" % (rc, err[-600:]))
        last = total * scale / 60
        m1 = [v for m, v in rss if 0.75 <= m <= 1.25]
        m10 = [v for m, v in rss if last - 0.5 <= m]
        if not m1 or not m10:
            raise BenchError("growth run: too few memory samples")
        half = [(m, v) for m, v in rss if m >= last / 2]
        out[i] = {"m1": statistics.median(m1), "m10": statistics.median(m10),
                  "growth": statistics.median(m10) - statistics.median(m1),
                  "slope": slope(half), "minutes": last, "series": rss,
                  "stats": parse_stats(err, "growth run")}

    def network_run(self, out):
        scale = 60
        n_src = 10
        with FakeServer() as srv:
            base = "http://127.0.0.1:%d" % srv.port
            files = os.path.join(self.tmp, "net")
            os.makedirs(files)
            m = json.load(open(os.path.join(self.data, "media.json")))
            media = os.path.join(self.data, "cache", "media")
            routes = []
            extra = []
            now = int(time.time())
            for k in range(n_src):
                acct = "b%02d" % (k + 1)
                aid = str(120000000000000000 + k)
                newest = 115000000000000000 + k * 1000 + 40
                avatar = "%s/media/avatar-%d.png" % (base, k)
                page = gen_data.mastodon_page(40, k, newest, now - 600 - k * 60, base,
                                              avatar_url=avatar,
                                              media_url="%s/media/img-%d.png" % (base, k),
                                              seed=k)
                pf = os.path.join(files, "statuses-%d.json" % k)
                gen_data.write_json(pf, page)
                routes += [
                    {"path": "/api/v1/accounts/lookup", "query": {"acct": acct},
                     "body_json": gen_data.account_json(k, base, avatar), "name": "lookup-%d" % k},
                    {"path": "/api/v1/accounts/%s/statuses" % aid, "query": {"min_id": str(newest)},
                     "body": "[]", "etag": "W/\"empty-%d\"" % k, "gzip": True, "name": "page-%d" % k},
                    {"path": "/api/v1/accounts/%s/statuses" % aid, "body_file": pf,
                     "etag": "W/\"newest-%d\"" % k, "gzip": True, "name": "newest-%d" % k},
                    {"path": "/media/avatar-%d.png" % k, "name": "avatar-%d" % k,
                     "body_file": os.path.join(media, m["avatars"][k % len(m["avatars"])])},
                    {"path": "/media/img-%d.png" % k, "name": "image-%d" % k,
                     "body_file": os.path.join(media, m["images"][k % len(m["images"])])},
                ]
                extra.append('[person "net%02d"]\nname = Bron %d\nmastodon = @%s@%s\n'
                             % (k + 1, k + 1, acct, base))
            srv.routes(routes)
            cache = os.path.join(self.tmp, "net-cache")
            os.makedirs(cache)
            conf = self.config("network", cache, 8,
                               extra="[network]\ninterval_s = 60\n\n" + "\n".join(extra))
            d = tempfile.mkdtemp(dir=self.tmp)
            p = Proc(self.balie_cmd(conf), base_env({"BALIE_TIME_SCALE": str(scale)}), d, "network")
            settle = self.a.net_settle
            time.sleep(settle)
            cold = srv.control("stats")
            srv.control("reset", {})
            t_a = time.monotonic()
            time.sleep(self.a.net_seconds)
            st = srv.control("stats")
            log = srv.control("log")
            real = time.monotonic() - t_a
            rc, err = p.stop()
            if rc != 0:
                raise BenchError("network run exited with status %d: %s" % (rc, err[-600:]))
        hours = real * scale / 3600
        codes = {}
        for e in log:
            codes[str(e.get("status"))] = codes.get(str(e.get("status")), 0) + 1
        if cold.get("requests", 0) < n_src:
            raise BenchError("network run: balie made %d requests in its first %d simulated "
                             "minutes (expected at least %d): %s"
                             % (cold.get("requests", 0), settle * scale // 60, n_src, err[-600:]))
        out["net"] = {"bytes_per_hour": (st["bytes_in"] + st["bytes_out"]) / hours,
                      "in_per_hour": st["bytes_in"] / hours, "out_per_hour": st["bytes_out"] / hours,
                      "requests_per_hour": st["requests"] / hours,
                      "connections_per_hour": st["connections"] / hours,
                      "statuses": codes, "sim_hours": hours,
                      "cold_bytes": cold["bytes_in"] + cold["bytes_out"],
                      "cold_requests": cold["requests"], "cold_minutes": settle * scale / 60,
                      "routes": st["routes"]}

    def callgrind_run(self, out):
        if not shutil.which("valgrind"):
            out["cg"] = {"skipped": "valgrind is not installed (apt-get install valgrind)"}
            return
        if not os.access(self.cg, os.X_OK):
            out["cg"] = {"skipped": "%s is missing" % self.cg}
            return
        nm = subprocess.run(["nm", self.cg], stdout=subprocess.PIPE, text=True).stdout
        if not re.search(r" [tT] draw_frame$", nm, re.M):
            out["cg"] = {"skipped": "draw_frame is inlined in %s; callgrind cannot toggle on it"
                         % self.cg}
            return
        cache = self.cache_copy("cg")
        # A fixed pair of cards, the newest post without and the newest with an
        # image, so that the count does not depend on how far the run gets;
        # transitions of 10 s with 1 s dwell: nearly every frame is a
        # transition frame.
        pj = os.path.join(cache, "posts.json")
        with open(pj, encoding="utf-8") as f:
            doc = json.load(f)
        text = next(p for p in doc["posts"] if not p["media"])
        image = next(p for p in doc["posts"] if p["media"])
        doc["posts"] = sorted([text, image], key=lambda p: -p["created"])
        gen_data.write_json(pj, doc)
        conf = self.config("cg", cache, 1, transition_ms=10000)
        d = tempfile.mkdtemp(dir=self.tmp)
        cgout = os.path.join(d, "callgrind.out")
        # one dump per frame: callgrind.out.1, .2, ... each holds one draw_frame()
        cmd = ["valgrind", "--tool=callgrind", "--collect-atstart=no",
               "--toggle-collect=draw_frame", "--dump-after=draw_frame",
               "--compress-strings=no", "--compress-pos=no",
               "--callgrind-out-file=" + cgout] + self.balie_cmd(conf, self.cg)
        p = Proc(cmd, base_env(), d, "callgrind")
        time.sleep(self.a.cg_seconds)
        rc, err = p.stop(timeout=120)
        if rc != 0:
            raise BenchError("balie under callgrind exited with status %d: %s" % (rc, err[-800:]))
        st = parse_stats(err, "balie under callgrind")
        frames = []   # (instructions, cards drawn, fade frames)
        for name in os.listdir(d):
            if re.fullmatch(r"callgrind\.out\.\d+", name):
                total, calls = read_callgrind(os.path.join(d, name))
                if total:
                    frames.append((total, calls.get("spot_draw", 0), calls.get("fade_draw", 0)))
        # a transition frame draws two cards, or (software renderer,
        # src/render/fade.h) the incoming card under the outgoing one's picture
        trans = [ir for ir, cards, fade in frames if cards == 2 or fade]
        one = [ir for ir, cards, fade in frames if cards == 1 and not fade]
        if not trans:
            raise BenchError("callgrind saw no transition frame in %d s (%d frames); see %s"
                             % (self.a.cg_seconds, len(frames), d))
        out["cg"] = {"transition": trans, "one_card": one, "frames": len(frames),
                     "presents": st["presents"]}

    def parallel(self):
        out = {}
        errors = []

        def guard(fn, *a):
            try:
                fn(*a)
            except Exception as e:  # reported below, after the other jobs end
                errors.append(e)
        gr = [None] * self.a.growth_runs
        jobs = [threading.Thread(target=guard, args=(self.growth_run, i, gr))
                for i in range(self.a.growth_runs)]
        jobs.append(threading.Thread(target=guard, args=(self.network_run, out)))
        say("growth (x%d, BALIE_TIME_SCALE=10) and network (BALIE_TIME_SCALE=60) "
            "in parallel, ~%d s" % (self.a.growth_runs,
                                    max(self.a.growth_seconds,
                                        self.a.net_settle + self.a.net_seconds) + 5))
        for j in jobs:
            j.start()
        for j in jobs:
            j.join()
        if errors:
            raise errors[0]
        self.res["growth"] = gr
        self.res.update(out)
        g = [x["growth"] / 2**20 for x in gr]
        say("growth minute 1 -> %g: %s MiB" % (gr[0]["minutes"], ", ".join("%+.2f" % x for x in g)))
        n = out["net"]
        say("network: %.0f bytes/hour steady (%d requests/hour, statuses %s)"
            % (n["bytes_per_hour"], n["requests_per_hour"], n["statuses"]))

    def callgrind(self):
        """On its own, after the parallel phase: under valgrind balie runs some
        fifty times slower, and next to the accelerated growth runs it got too
        little of the machine to build the second card in time."""
        out = {}
        say("callgrind, ~%d s" % (self.a.cg_seconds + 5))
        self.callgrind_run(out)
        self.res.update(out)
        if "skipped" in out["cg"]:
            say("callgrind skipped:", out["cg"]["skipped"])
        else:
            say("callgrind: %.0f instructions per transition frame (median of %d)"
                % (statistics.median(out["cg"]["transition"]), len(out["cg"]["transition"])))

    # -- 5. refresh ------------------------------------------------------------------

    def refresh_cost(self):
        work = os.path.join(self.tmp, "refresh-cache")
        os.makedirs(work)
        conf = self.config("refresh", work, 8)
        r = subprocess.run([self.refresh, conf, os.path.join(self.data, "cache"),
                            os.path.join(self.data, "page40.json"), work, str(self.a.refresh_runs)],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=300)
        if r.returncode != 0:
            raise BenchError("bench_refresh failed (status %d): %s" % (r.returncode, r.stderr))
        out = {}
        for line in r.stdout.splitlines():
            m = re.match(r"refresh: (\S+) median=([\d.]+) min=([\d.]+) max=([\d.]+) runs=(\d+)", line)
            if m:
                out[m.group(1)] = tuple(float(m.group(i)) for i in (2, 3, 4))
        for k in ("parse", "merge", "feed", "save"):
            if k not in out:
                raise BenchError("bench_refresh printed no %s line: %s" % (k, r.stdout))
        self.res["refresh"] = out
        say("refresh: parse %.2f ms, merge %.2f ms, feed %.2f ms, save %.2f ms (medians)"
            % (out["parse"][0], out["merge"][0], out["feed"][0], out["save"][0]))

    def run(self):
        t = time.monotonic()
        self.res["machine"] = machine()
        self.generate()
        self.self_check()
        self.version_runs()
        self.startup()
        self.floor_runs()
        self.loop()
        self.still()
        self.parallel()
        self.callgrind()
        self.refresh_cost()
        self.res["seconds"] = time.monotonic() - t
        self.res["machine"]["load_after"] = os.getloadavg()[0]
        self.res["settings"] = vars(self.a)
        shutil.rmtree(self.tmp, ignore_errors=True)
        return self.res


def slope(points):
    """Least-squares slope of (x, y) points; 0 for fewer than two."""
    if len(points) < 2:
        return 0.0
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0


def read_callgrind(path):
    """(instructions collected, {callee: calls}) from one callgrind dump
    written with --compress-strings=no."""
    calls = {}
    total = 0
    callee = None
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("cfn="):
                callee = line[4:].strip()
            elif line.startswith("calls=") and callee:
                calls[callee] = calls.get(callee, 0) + int(line[6:].split()[0])
            elif line.startswith(("summary:", "totals:")):
                total = max(total, int(line.split()[1]))
    return total, calls


class FakeServer:
    """tests/server/fakeserver.py on 127.0.0.1, ended when we close its stdin."""

    def __enter__(self):
        self.p = subprocess.Popen([sys.executable, SERVER, "--exit-on-stdin-eof"], cwd=ROOT,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        if not line.startswith("PORT "):
            raise BenchError("fakeserver did not start: %r" % line)
        self.port = int(line.split()[1])
        return self

    def control(self, what, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request("http://127.0.0.1:%d/_control/%s" % (self.port, what),
                                     data=data, method="POST" if data is not None else "GET")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def routes(self, routes):
        self.control("routes", routes)

    def __exit__(self, *exc):
        self.p.stdin.close()
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


# ---- the table -------------------------------------------------------------------

def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) * 1024
    except (OSError, ValueError):
        mem = 0

    def modver(p):
        r = subprocess.run(["pkg-config", "--modversion", p], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        return r.stdout.strip() or "?"
    return {"nproc": os.cpu_count(), "cpu": model, "mem_gib": mem / 2**30,
            "load_before": os.getloadavg()[0],
            "kernel": platform.release(), "sdl": modver("sdl2"), "sdl_ttf": modver("SDL2_ttf"),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def mmm(values, fmt):
    """median (min–max)"""
    v = sorted(values)
    if len(v) == 1:
        return fmt % v[0]
    return (fmt + " (" + fmt + "–" + fmt + ")") % (statistics.median(v), v[0], v[-1])


def verdict(value, target, unit):
    if value <= target:
        return "met"
    over = value - target
    return "missed by %s %s (%.1f×)" % (("%.3g" % over), unit, value / target if target else 0)


def table(res):
    m = res["machine"]
    st, fl, lp, sl = res["startup"], res["floor"], res["loop"], res["still"]
    med = statistics.median
    mib = 2.0**20
    rows = []

    def row(name, value, floor, ratio, target, ver):
        rows.append((name, value, floor, ratio, target, ver))

    card = [x["card_ms"] for x in st]
    ready = [x["ready_ms"] for x in st]
    f_ready = [x["ready_ms"] for x in fl]
    row("1. start-up: exec → first complete card (ms)", mmm(card, "%.0f"), mmm(f_ready, "%.0f"),
        "%.1f×" % (med(card) / med(f_ready)), "≤ %d" % TARGET_STARTUP_MS,
        verdict(med(card), TARGET_STARTUP_MS, "ms"))
    ff = [x["first_frame_ms"] for x in st]
    row("   exec → first frame presented (ms)", mmm(ff, "%.0f"), "", "", "", "")
    vm = res["version_ms"]
    row("   exec → exit of balie --version (ms; %d shared libraries)" % res["shared_libs"],
        mmm(vm, "%.0f"), "", "", "", "")
    row("   exec → READY=1 on $NOTIFY_SOCKET (ms)", mmm(ready, "%.0f"), mmm(f_ready, "%.0f"),
        "%.1f×" % (med(ready) / med(f_ready)), "after the card",
        "met" if med(ready) >= med(card) else "READY=1 comes %.0f ms before the card"
        % (med(card) - med(ready)))
    peak = [x["peak"] / mib for x in lp]
    f_peak = [x["peak"] / mib for x in fl]
    steady = [x["steady"] / mib for x in lp]
    f_rss = [x["rss"] / mib for x in fl]
    loop_s = res["settings"]["loop_seconds"]
    still_s = res["settings"]["still_seconds"]
    row("2. memory: peak RSS, %d s loop (MiB)" % loop_s, mmm(peak, "%.1f"), mmm(f_peak, "%.1f"),
        "%.1f×" % (med(peak) / med(f_peak)), "≤ %d" % TARGET_PEAK_MIB,
        verdict(med(peak), TARGET_PEAK_MIB, "MiB"))
    row("   steady RSS, last 30 s of the loop (MiB)", mmm(steady, "%.1f"), mmm(f_rss, "%.1f"),
        "%.1f×" % (med(steady) / med(f_rss)), "", "")
    gr = res["growth"]
    g = [x["growth"] / mib for x in gr]
    shown = [x["stats"]["cards_shown"] for x in gr]
    row("   growth, minute 1 → %g, BALIE_TIME_SCALE=10 (MiB)" % gr[0]["minutes"],
        mmm(g, "%+.2f"), "", "", "0",
        ("met" if abs(med(g)) < 0.5 else "missed by %+.2f MiB" % med(g)) +
        " (%s cards shown)" % "/".join(str(s) for s in shown))
    sl_g = [x["slope"] / mib for x in gr]
    row("   trend over minutes %g → %g (MiB per minute)" % (gr[0]["minutes"] / 2, gr[0]["minutes"]),
        mmm(sl_g, "%+.2f"), "", "", "0", "")
    cpu = [x["cpu_pct"] for x in lp]
    f_cpu = [x["cpu_pct"] for x in fl]
    row("3. CPU: %d s loop, transition every 8 s (%% of a core)" % loop_s, mmm(cpu, "%.2f"),
        mmm(f_cpu, "%.2f"), "%.1f×" % (med(cpu) / med(f_cpu)) if med(f_cpu) > 0 else "—",
        "≤ %g" % TARGET_CPU_LOOP_PCT, verdict(med(cpu), TARGET_CPU_LOOP_PCT, "points"))
    shown_loop = [x["stats"]["cards_shown"] for x in lp]
    want = int(lp[0]["total_s"] // 8.6) + 1
    row("   cards shown in the loop run (%d s, dwell 8 s + 0.6 s transition)" % lp[0]["total_s"],
        mmm(shown_loop, "%d"), "", "", "%d" % want,
        "met" if med(shown_loop) >= want - 1 else "missed: only %g" % med(shown_loop))
    scpu = [x["cpu_pct"] for x in sl]
    row("   CPU: one card standing still, %d s (%% of a core)" % still_s, mmm(scpu, "%.3f"),
        mmm(f_cpu, "%.3f"), "%.1f×" % (med(scpu) / med(f_cpu)) if med(f_cpu) > 0 else "—",
        "≤ %g" % TARGET_CPU_STILL_PCT, verdict(med(scpu), TARGET_CPU_STILL_PCT, "points"))
    sp = [x["stats"]["presents"] for x in sl]
    row("   frames presented in the still run (%d s, start-up included)"
        % round(sl[0]["total_s"]), mmm(sp, "%d"), "1", "", "first frame, card, minute ticks",
        "")
    wk = [x["wake_per_s"] for x in sl]
    f_wk = [x["wake_per_s"] for x in fl]

    def beyond(x):
        """Wake-ups in the window beyond one per deadline that fell in it."""
        main = sum(w for name, _, w in x["threads"] if name == "main")
        other = sum(w for name, _, w in x["threads"] if name != "main")
        return max(0, main - x.get("minute_ticks", 0) - x.get("drift_steps", 0)) + other
    extra = [beyond(x) for x in sl]
    row("   wake-ups per second while still (all threads)", mmm(wk, "%.3f"), mmm(f_wk, "%.0f"),
        "%.1f×" % (med(wk) / med(f_wk)) if med(f_wk) > 0 else "—",
        "the minute (and drift step)",
        ("met" if med(extra) == 0 else "missed by %g wake-ups in %d s" % (med(extra), still_s)) +
        " (%s in %d s; minute ticks %s, drift steps %s)" % (
            "/".join(str(x.get("wake", "?")) for x in sl), still_s,
            "/".join(str(x.get("minute_ticks", "?")) for x in sl),
            "/".join(str(x.get("drift_steps", "?")) for x in sl)))
    other = [sum(w for name, _, w in x["threads"] if name != "main") / x["real_s"] for x in sl]
    f_other = [x["wake_other"] for x in fl]
    row("   of which threads other than the main (SDL) thread", mmm(other, "%.2f"),
        mmm(f_other, "%.2f"), "", "≤ 1/60", "met" if med(other) <= 1 / 60.0 else
        "missed (%.2f/s)" % med(other))
    cg = res.get("cg", {})
    if "skipped" in cg:
        row("   instructions per transition frame (callgrind)", "not measured", "", "", "",
            cg["skipped"])
    else:
        tr = [x / 1e6 for x in cg["transition"]]
        row("   instructions per transition frame (callgrind, millions)", mmm(tr, "%.1f"), "",
            "", "", "%d transition frames of a text card and an image card" % len(tr))
        if cg["one_card"]:
            oc = [x / 1e6 for x in cg["one_card"]]
            row("   instructions per frame with one card (millions)", mmm(oc, "%.1f"), "", "",
                "", "%d frames" % len(oc))
    per_card = [x["stats"]["text_blocks"] / max(1, x["stats"]["cards_built"]) for x in lp]
    uploads = [x["stats"]["texture_uploads"] / max(1, x["stats"]["cards_built"]) for x in lp]
    runs = [x["stats"]["glyph_runs"] / max(1, x["stats"]["cards_built"]) for x in lp]
    per_frame = [x["stats"]["text_blocks"] / max(1, x["stats"]["presents"]) for x in lp]
    cards = [x["stats"]["cards_built"] for x in lp]
    shown_l = [x["stats"]["cards_shown"] for x in lp]
    row("4. text blocks rasterised per card built", mmm(per_card, "%.1f"), "", "",
        "once per card", "met (%s cards built, %s shown)" % (
            "/".join(str(c) for c in cards), "/".join(str(c) for c in shown_l)))
    row("   glyph runs (TTF_Render calls) per card", mmm(runs, "%.1f"), "", "", "", "")
    row("   texture uploads per card", mmm(uploads, "%.1f"), "", "", "", "")
    row("   text blocks per frame presented", mmm(per_frame, "%.2f"), "", "", "not per frame",
        "met" if med(per_frame) < 1 else "missed")
    rf = res["refresh"]
    pm = rf["parse"][0] + rf["merge"][0]
    row("5. refresh: parse 40 statuses + merge into 500 (ms)", "%.2f" % pm, "", "",
        "≤ %g" % TARGET_REFRESH_MS, verdict(pm, TARGET_REFRESH_MS, "ms"))
    for k, label in (("parse", "   parse (JSON, HTML to text)"),
                     ("merge", "   merge, sort, prune to 500"),
                     ("feed", "   feed_build of the 500 (the snapshot)"),
                     ("save", "   write posts.json (fsync, rename)")):
        row(label + " (ms)", "%.2f (%.2f–%.2f)" % tuple(rf[k]), "", "", "", "")
    n = res["net"]
    row("6. network: 10 sources every 60 s, unchanged (bytes/hour)",
        "%.0f" % n["bytes_per_hour"], "", "", "", "%.0f requests/h of %.0f bytes, %.0f new "
        "connections/h, answers %s" % (
            n["requests_per_hour"], n["bytes_per_hour"] / max(1, n["requests_per_hour"]),
            n["connections_per_hour"],
            " ".join("%s×%s" % (c, k) for k, c in sorted(n["statuses"].items()))))
    row("   first %g simulated minutes from an empty cache (bytes)" % n["cold_minutes"],
        "%.0f" % n["cold_bytes"], "", "", "", "%d requests (pages, avatars, images)"
        % n["cold_requests"])

    head = ("balie %s — make bench, %s\n"
            "machine: %d CPUs (nproc), %s, %.1f GiB RAM, Linux %s, SDL %s, SDL_ttf %s; "
            "SDL dummy video driver (software renderer), %s\n"
            "load average (1 min) %.1f before, %.1f after the run; "
            "each figure: median (min–max) of %s runs unless one value is shown\n"
            % (res.get("version", ""), m["date"], m["nproc"], m["cpu"], m["mem_gib"], m["kernel"],
               m["sdl"], m["sdl_ttf"], SIZE, m.get("load_before", -1), m.get("load_after", -1),
               "start-up %d, floor %d, loop %d, still %d, growth %d, refresh %d"
               % (len(st), len(fl), len(lp), len(sl), len(gr), res["settings"]["refresh_runs"])))
    cols = ("figure", "balie", "floor", "ratio", "target", "verdict")
    w = [max(len(str(r[i])) for r in rows + [cols]) for i in range(6)]
    lines = ["| " + " | ".join(str(c).ljust(w[i]) for i, c in enumerate(cols)) + " |",
             "|" + "|".join("-" * (x + 2) for x in w) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(str(c).ljust(w[i]) for i, c in enumerate(r)) + " |")
    return head + "\n" + "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description="balie's benchmark (make bench)")
    ap.add_argument("--build", default="build", help="build directory (default build)")
    ap.add_argument("--quick", action="store_true", help="short runs, to try the script")
    ap.add_argument("--json", help="write every raw figure here")
    ap.add_argument("--report", help="write the table here too")
    args = ap.parse_args(argv)
    q = args.quick
    args.startup_runs = 3 if q else 7
    args.floor_runs = 2 if q else 5
    args.floor_idle = 3 if q else 10
    args.loop_runs = 1 if q else 3
    args.loop_seconds = 15 if q else 60
    args.still_runs = 1 if q else 3
    args.still_seconds = 8 if q else 30
    args.growth_runs = 1 if q else 3
    args.growth_seconds = 12 if q else 60
    args.net_settle = 5 if q else 10
    args.net_seconds = 10 if q else 60
    args.cg_seconds = 20 if q else 45
    args.refresh_runs = 10 if q else 50
    try:
        b = Bench(args)
        res = b.run()
    except BenchError as e:
        print("bench: %s" % e, file=sys.stderr)
        return 1
    try:
        res["version"] = subprocess.run([os.path.join(args.build, "balie"), "--version"],
                                        stdout=subprocess.PIPE, text=True).stdout.split()[-1]
    except (OSError, IndexError):
        res["version"] = ""
    t = table(res)
    print(t)
    say("done in %.0f s" % res["seconds"])
    if args.report:
        with open(args.report, "w") as f:
            f.write(t)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
