"""Shared helpers for balie's integration tests (python3 standard library only).

A test file defines functions named test_* and ends with `harness.main(globals())`.
Each test prints "PASS: name" or "FAIL: name: why"; tests/run.sh counts them.

The fake server is tests/server/fakeserver.py, started on 127.0.0.1 with a
free port; routes are set through its control endpoint.  balie is the binary
in $BALIE_BIN (build/asan/balie under `make check`).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, os.environ.get("BALIE_FIXTURES", "tests/fixtures"))
BALIE = os.path.join(ROOT, os.environ.get("BALIE_BIN", "build/asan/balie"))
SERVER = os.path.join(ROOT, "tests", "server", "fakeserver.py")


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def fixture(name):
    return os.path.join(FIXTURES, name)


class FakeServer:
    """tests/server/fakeserver.py on 127.0.0.1; use as a context manager."""

    def __init__(self, routes=None, tls=None):
        self.routes = routes or []
        self.tls = tls
        self.proc = None
        self.port = None

    def start(self):
        cmd = [sys.executable, SERVER, "--port", "0"]
        if self.tls:
            cmd += ["--tls", self.tls[0], self.tls[1]]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, cwd=ROOT)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            raise Failure("fake server did not start: %r %s" % (line, err))
        self.port = int(line.split()[1])
        if self.routes:
            self.set_routes(self.routes)
        return self

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def control(self, path, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(self.base + "/_control/" + path, data=data,
                                     method="POST" if data is not None else "GET",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def set_routes(self, routes):
        self.routes = routes
        self.control("routes", routes)

    def log(self):
        return self.control("log")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.proc.stdout.close()
            self.proc.stderr.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def mastodon_routes(user="gemeente", statuses="mastodon-account-statuses.json", extra=None):
    """Routes that make the fake server look like a Mastodon server with one account."""
    routes = [
        {"path": "/api/v1/accounts/lookup", "status": 200,
         "headers": {"Content-Type": "application/json"},
         "body_file": fixture("mastodon-account-lookup.json")},
        {"path": "/api/v1/accounts/", "prefix": True, "status": 200,
         "headers": {"Content-Type": "application/json"},
         "body_file": fixture(statuses)},
    ]
    return (extra or []) + routes


class Run:
    def __init__(self, proc, out, err):
        self.code = proc.returncode
        self.out = out
        self.err = err

    def __repr__(self):
        return "exit %s\nstdout:\n%s\nstderr:\n%s" % (self.code, self.out[-3000:], self.err[-3000:])


def balie(*args, cache=None, env=None, timeout=120, config=None):
    cmd = [BALIE]
    if config:
        cmd += ["--config", config]
    if cache:
        cmd += ["--cache-dir", cache]
    cmd += list(args)
    e = dict(os.environ)
    e.setdefault("SDL_VIDEODRIVER", "dummy")
    e["HOME"] = e.get("HOME", "/tmp")
    if env:
        e.update(env)
    # errors="replace": a damaged cache may hold invalid UTF-8 that balie prints as it is
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         errors="replace", stdin=subprocess.DEVNULL, cwd=ROOT, env=e)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise Failure("balie %s timed out after %ss" % (" ".join(args), timeout))
    return Run(p, out, err)


_tempdirs = []


def tempdir():
    """A fresh directory under $TMPDIR, removed when the test program ends
    (kept, and named, when a test failed or BALIE_KEEP_TMP is set)."""
    d = tempfile.mkdtemp(prefix="balie-test-")
    _tempdirs.append(d)
    return d


def _remove_tempdirs(failed):
    if failed or os.environ.get("BALIE_KEEP_TMP"):
        if _tempdirs:
            print("# kept for inspection: %s" % " ".join(_tempdirs), flush=True)
        return

    def writable(func, path, _exc):
        # a test may leave a directory read-only (the read-only cache case)
        try:
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
            func(path)
        except OSError:
            pass
    for d in _tempdirs:
        shutil.rmtree(d, onerror=writable)


def main(ns):
    names = sorted(n for n in ns if n.startswith("test_") and callable(ns[n]))
    only = sys.argv[1:]
    failed = 0
    for n in names:
        if only and n not in only:
            continue
        t0 = time.time()
        try:
            ns[n]()
            print("PASS: %s (%.1fs)" % (n, time.time() - t0), flush=True)
        except Failure as e:
            failed += 1
            print("FAIL: %s: %s" % (n, e), flush=True)
        except Exception:
            failed += 1
            print("FAIL: %s: exception\n%s" % (n, traceback.format_exc()), flush=True)
    _remove_tempdirs(failed)
    sys.exit(1 if failed else 0)
