"""Helpers shared by the resilience tests (test_faults, test_disk, test_clock,
test_security) and the soak test (tests/soak/soak.py).  Standard library only.

The idea: one fake server (tests/server/fakeserver.py) plays several Mastodon
accounts at once, each with its own account id, posts and image URLs, so one
balie process can poll many sources and each source can be made to misbehave
on its own.  The posts are built from the recorded status in
tests/fixtures/mastodon-account-statuses.json (same shape, new ids and dates).
`Screen` runs the real binary headless (SDL dummy driver) and reads what the
kernel knows about it (/proc/PID: RSS, fds, threads, sockets).
"""
import copy
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import threading
import time
import zlib

import harness
from harness import check, fixture

JSON = {"Content-Type": "application/json; charset=utf-8"}


def png_bytes(w=8, h=8, rgb=(30, 120, 200)):
    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


_TEMPLATE = None


def _template():
    global _TEMPLATE
    if _TEMPLATE is None:
        with open(fixture("mastodon-account-statuses.json")) as f:
            _TEMPLATE = json.load(f)[0]   # public, one image, custom emoji
    return _TEMPLATE


class Account:
    """One Mastodon account on the fake server."""

    def __init__(self, user, acct_id, n_posts=3):
        self.user = user
        self.id = str(acct_id)
        self.n_posts = n_posts
        self.extra = []  # (id, text, image path or None) of posts added later

    def handle(self, base):
        return "@%s@%s" % (self.user, base)

    def lookup(self, base):
        with open(fixture("mastodon-account-lookup.json")) as f:
            a = json.load(f)
        a.update({"id": self.id, "username": self.user, "acct": self.user,
                  "display_name": "Account %s" % self.user,
                  "url": "%s/@%s" % (base, self.user), "uri": "%s/users/%s" % (base, self.user),
                  "avatar": "%s/media/avatar-%s.png" % (base, self.user),
                  "avatar_static": "%s/media/avatar-%s.png" % (base, self.user), "emojis": []})
        return a

    def status(self, base, sid, text, created, media_path=None):
        s = copy.deepcopy(_template())
        acct = self.lookup(base)
        s.update({"id": sid, "created_at": iso(created), "edited_at": None,
                  "uri": "%s/users/%s/statuses/%s" % (base, self.user, sid),
                  "url": "%s/@%s/%s" % (base, self.user, sid),
                  "content": "<p>%s</p>" % text, "account": acct, "emojis": [], "card": None,
                  "reblog": None, "in_reply_to_id": None, "in_reply_to_account_id": None})
        for m in s.get("media_attachments", []):
            path = media_path or "/media/photo-%s-%s.png" % (self.user, sid)
            m["url"] = base + path
            m["preview_url"] = base + path
            m["remote_url"] = None
        return s

    def post_id(self, i):
        return "%d%06d" % (int(self.id), i)

    def statuses(self, base, now=None, media_path=None):
        now = time.time() if now is None else now
        out = []
        for i, text, image in reversed(self.extra):
            out.append(self.status(base, i, text, now - 60, image or media_path))
        for i in range(self.n_posts, 0, -1):
            out.append(self.status(base, self.post_id(i), "Bericht %d van %s over de Dorpsstraat" % (i, self.user),
                                   now - 3600 * (self.n_posts - i + 1), media_path))
        return out

    def add_post(self, text, image=None):
        """A newer post; image: the path of its picture on the server."""
        self.extra.append((self.post_id(100 + len(self.extra)), text, image))

    def lookup_route(self, base):
        return {"path": "/api/v1/accounts/lookup", "query": {"acct": self.user}, "headers": JSON,
                "body_json": self.lookup(base), "name": "lookup-" + self.user}

    def statuses_path(self):
        return "/api/v1/accounts/%s/statuses" % self.id

    def good_routes(self, base, media_path=None):
        return [self.lookup_route(base),
                {"path": self.statuses_path(), "headers": JSON, "name": "statuses-" + self.user,
                 "body_json": self.statuses(base, media_path=media_path)}]

    def fault_routes(self, base, fault):
        r = {"path": self.statuses_path(), "name": "statuses-" + self.user}
        r.update(fault)
        return [self.lookup_route(base), r]


def media_routes(png_path):
    return [{"path": "/media/", "prefix": True, "headers": {"Content-Type": "image/png"},
             "body_file": png_path, "name": "media"}]


def write(path, text, mode=None):
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)
    return path


def config(tmp, base, accounts, interval=15, timeout=2, extra=""):
    lines = []
    for a in accounts:
        lines.append('[person "%s"]\nname = Persoon %s\nmastodon = %s\n' % (a.user, a.user, a.handle(base)))
    lines.append("[network]\ninterval_s = %d\ntimeout_s = %d\nconnect_timeout_s = %d\n"
                 % (interval, timeout, timeout))
    lines.append("[display]\ndwell_min_s = 60\ndwell_max_s = 60\ntransition_ms = 300\n")
    lines.append(extra)
    return write(os.path.join(tmp, "balie.conf"), "\n".join(lines))


def entries(srv):
    log = srv.log()
    return log["entries"] if isinstance(log, dict) else log


def requests_to(srv, path, log=None):
    return [e for e in (log if log is not None else entries(srv)) if e["path"] == path]


def posts_json(cache):
    with open(os.path.join(cache, "posts.json")) as f:
        return json.load(f)["posts"]


def post_keys(cache):
    return {p["key"] for p in posts_json(cache)}


def listing(conf, cache):
    r = harness.balie("--list", config=conf, cache=cache)
    check(r.code == 0, "--list should exit 0: %r" % r)
    return r.out


class Screen:
    """The real binary showing the screen headless, stderr to a file."""

    def __init__(self, conf, cache, env=None, args=(), binary=None, verbose=False, preload=None):
        self.tmp = tempfile.mkdtemp(prefix="balie-res-screen-")
        self.errpath = os.path.join(self.tmp, "stderr.txt")
        cmd = [binary or harness.BALIE]
        if conf:
            cmd += ["--config", conf]
        cmd += ["--cache-dir", cache, "--windowed", "--size", "800x480"] + list(args)
        if verbose:
            cmd.append("-v")
        e = dict(os.environ)
        e.update({"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "HOME": self.tmp})
        e.pop("NOTIFY_SOCKET", None)
        if env:
            e.update(env)
        self.err = open(self.errpath, "w")
        self.lines = []  # (time.time(), line) as each stderr line arrived
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=harness.ROOT,
                                     env=e)
        self.pid = self.proc.pid
        self.code = None
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace")
            self.lines.append((time.time(), line.rstrip("\n")))
            self.err.write(line)
            self.err.flush()

    def alive(self):
        return self.proc.poll() is None

    def stderr(self):
        return "\n".join(l for _, l in list(self.lines))

    def grep(self, pattern):
        """(time, line) of every stderr line matching the regular expression."""
        rx = re.compile(pattern)
        return [(t, l) for t, l in list(self.lines) if rx.search(l)]

    def status(self, field):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return None

    def rss_kb(self):
        return self.status("VmRSS")

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def threads(self):
        return len(os.listdir("/proc/%d/task" % self.pid))

    def socket_inodes(self):
        out = set()
        for fd in os.listdir("/proc/%d/fd" % self.pid):
            try:
                t = os.readlink("/proc/%d/fd/%s" % (self.pid, fd))
            except OSError:
                continue
            m = re.fullmatch(r"socket:\[(\d+)\]", t)
            if m:
                out.add(m.group(1))
        return out

    def wait_for(self, what, cond, timeout, step=0.25):
        deadline = time.time() + timeout
        while time.time() < deadline:
            check(self.alive(), "balie died while waiting for %s: exit %s\n%s"
                  % (what, self.proc.poll(), self.stderr()[-3000:]))
            if cond():
                return
            time.sleep(step)
        raise harness.Failure("timed out after %ss waiting for %s\n%s" % (timeout, what, self.stderr()[-3000:]))

    def stop(self, timeout=60):
        """SIGTERM, wait; returns the exit status (LSan reports at exit)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._close()
                raise harness.Failure("balie did not quit within %ss of SIGTERM" % timeout)
        self._close()
        self.code = self.proc.returncode
        return self.code

    def _close(self):
        self.reader.join(30)
        self.proc.stderr.close()
        self.err.close()
        shutil.rmtree(self.tmp, ignore_errors=True)  # stderr stays in self.lines

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.kill()


def sanitizer_report(text):
    """The first sanitizer report in text, or None."""
    m = re.search(r"==\d+==ERROR: (Address|Leak)Sanitizer.*|runtime error:.*", text)
    return text[m.start():m.start() + 3000] if m else None


def png_colors(path, step=7):
    """Distinct colours in a PNG (8-bit RGB/RGBA, not interlaced), sampling every
    step-th pixel: a blank frame has one or two."""
    with open(path, "rb") as f:
        data = f.read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "%s is a PNG" % path)
    pos, idat, w, h, ctype = 8, b"", 0, 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            check(depth == 8 and ctype in (2, 6) and interlace == 0, "a plain 8-bit RGB(A) PNG")
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = 4 if ctype == 6 else 3
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    colors = set()
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        if y % step == 0:
            for x in range(0, w, step):
                colors.add(bytes(line[x * bpp:x * bpp + 3]))
        prev = line
    return colors


def sha256_file(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def check_media_dir(cache):
    """Every file in media/ is complete: its SHA-256 is its name."""
    media = os.path.join(cache, "media")
    names = os.listdir(media) if os.path.isdir(media) else []
    for n in names:
        if ".tmp." in n:
            continue  # a write the kill interrupted; the next writer removes it
        m = re.fullmatch(r"([0-9a-f]{64})\.(png|jpg|gif|webp|avif|heic|svg|bin)", n)
        check(m, "media file with a content-addressed name: %r" % n)
        check(sha256_file(os.path.join(media, n)) == m.group(1), "media file %s is complete" % n)
    return names


# ---- small file systems (root, or the test is skipped) -------------------

def can_mount():
    return os.geteuid() == 0 and shutil.which("mount") is not None


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % size, "tmpfs", path], check=True)


def bind_read_only(path):
    subprocess.run(["mount", "--bind", path, path], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", path], check=True)


def remount_rw(path):
    subprocess.run(["mount", "-o", "remount,bind,rw", path], check=True)


def umount(path):
    subprocess.run(["umount", "-l", path], check=False)
