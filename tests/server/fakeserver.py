#!/usr/bin/env python3
"""fakeserver: a fault-injecting HTTP(S) server on 127.0.0.1 for balie's tests.

The idea: every network failure balie must survive (refused, reset, stalled,
dripping, truncated, huge, redirect loops, HTML error pages, hostile images)
is one route in a JSON table, so C unit tests, Python integration tests, the
soak test and `make bench` all drive the same server.  Routes can be replaced
at run time through /_control/routes; every request is recorded and can be
read back from /_control/log.  Python standard library only.

    fakeserver.py [--routes FILE] [--port N] [--tls CERT KEY] [--verbose]
                  [--exit-on-stdin-eof]

The first line on stdout is "PORT <n>" (flushed).  See tests/server/README.md.

Bytes: every request's bytes as they crossed the socket (request line,
headers and body in; status line, headers and body out; TLS framing not
included) are counted per log entry ("bytes_in", "bytes_out"), per route and
in total in /_control/stats ("bytes_in", "bytes_out", and "connections":
connections that carried a counted request), for `make bench`'s network
figure.  Control requests
are not counted; /_control/reset zeroes the counters.
"""

import argparse
import gzip
import json
import os
import random
import re
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
import zlib
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERBOSE = False
LOG_LIMIT = 10000          # request log entries kept (bounded for the soak test)
MAX_REQUEST_BODY = 16 << 20
CHUNK = 64 * 1024

FAULTS = {"refuse", "reset_mid_body", "stall", "drip", "truncate", "html", "huge",
          "redirect_loop", "redirect", "bomb_png", "corrupt_image"}
ROUTE_KEYS = {"path", "query", "method", "prefix", "status", "headers", "body",
              "body_file", "body_json", "etag", "fault", "seconds", "interval",
              "size", "location", "sequence", "gzip", "chunked", "delay", "name"}

CONTENT_TYPES = {".json": "application/json", ".xml": "application/xml",
                 ".rss": "application/rss+xml", ".atom": "application/atom+xml",
                 ".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8",
                 ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                 ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml"}


def vlog(*args):
    if VERBOSE:
        print("fakeserver:", *args, file=sys.stderr, flush=True)


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))


def make_bomb_png(width=30000, height=30000, rows=8):
    """A valid PNG start that claims width x height RGBA pixels: signature,
    IHDR, and an IDAT holding only the first few (zero) rows.  A loader must
    refuse it from the header alone, before allocating width*height*4."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    raw = b"".join(b"\x00" + bytes(width * 4) for _ in range(rows))
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
            png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def make_corrupt_jpeg(size=4096):
    """Starts like a JFIF JPEG (SOI, APP0), then deterministic garbage."""
    head = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    rnd = random.Random(1234)
    return head + bytes(rnd.getrandbits(8) for _ in range(size - len(head)))


class RouteError(ValueError):
    pass


def check_types(r):
    """Reject values of the wrong type now rather than failing mid-request."""
    for k in ("status", "size"):
        if k in r and (not isinstance(r[k], int) or isinstance(r[k], bool) or r[k] < 0):
            raise RouteError("\"%s\" must be a non-negative integer" % k)
    for k in ("seconds", "interval", "delay"):
        if k in r and (not isinstance(r[k], (int, float)) or isinstance(r[k], bool) or r[k] < 0):
            raise RouteError("\"%s\" must be a non-negative number" % k)
    for k in ("body", "body_file", "etag", "location", "method", "name"):
        if k in r and not isinstance(r[k], str):
            raise RouteError("\"%s\" must be a string" % k)
    h = r.get("headers", {})
    if not isinstance(h, dict) or not all(isinstance(v, str) for v in h.values()):
        raise RouteError("\"headers\" must be an object of strings")


def compile_path(path, prefix):
    """A path template: "{name}" matches one non-empty segment."""
    parts = re.split(r"(\{[A-Za-z_][A-Za-z0-9_]*\})", path)
    rx = "".join("[^/]+" if p.startswith("{") and p.endswith("}") else re.escape(p)
                 for p in parts)
    return re.compile("^" + rx + ("" if prefix else "$"))


class Route:
    def __init__(self, spec, base_dir):
        if not isinstance(spec, dict):
            raise RouteError("a route must be an object")
        unknown = set(spec) - ROUTE_KEYS
        if unknown:
            raise RouteError("unknown route key(s): " + ", ".join(sorted(unknown)))
        path = spec.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            raise RouteError("route needs a \"path\" starting with /")
        self.spec = spec
        self.base_dir = base_dir
        self.rx = compile_path(path, bool(spec.get("prefix")))
        q = spec.get("query", {})
        if not isinstance(q, dict):
            raise RouteError("\"query\" must be an object")
        self.query = {str(k): str(v) for k, v in q.items()}
        self.method = spec.get("method")
        seq = spec.get("sequence")
        if seq is not None and (not isinstance(seq, list) or not seq or
                                not all(isinstance(s, dict) for s in seq)):
            raise RouteError("\"sequence\" must be a non-empty list of objects")
        for r in [spec] + (seq or []):
            check_types(r)
            f = r.get("fault")
            if f is not None and f not in FAULTS:
                raise RouteError("unknown fault %r" % (f,))
            if f == "redirect" and not isinstance(r.get("location", spec.get("location")), str):
                raise RouteError("fault \"redirect\" needs a \"location\"")
            if "body_file" in r:
                self.read_file(r["body_file"])  # fail early on a missing fixture
        self.name = spec.get("name", path)
        self.hits = 0            # per-route counters, under STATE.lock
        self.in_flight = 0
        self.max_in_flight = 0
        self.bytes_in = 0
        self.bytes_out = 0

    def matches(self, method, path, query):
        if self.method and self.method.upper() != method:
            return False
        if not self.rx.match(path):
            return False
        for k, v in self.query.items():
            if query.get(k) != v:
                return False
        return True

    def read_file(self, name):
        cands = [name] if os.path.isabs(name) else [name, os.path.join(self.base_dir, name)]
        for c in cands:
            if os.path.isfile(c):
                with open(c, "rb") as f:
                    return f.read()
        raise RouteError("body_file not found: %s" % name)

    def next_response(self):
        """The response spec for this hit (sequence entries in turn, the last repeating)."""
        seq = self.spec.get("sequence")
        self.hits += 1
        if not seq:
            return dict(self.spec)
        r = {k: v for k, v in self.spec.items() if k != "sequence"}
        r.update(seq[min(self.hits, len(seq)) - 1])
        return r


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.routes = []
        self.log = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self.connections = 0
        self.t0 = time.monotonic()

    def set_routes(self, specs, base_dir):
        if isinstance(specs, dict):
            specs = specs.get("routes")
        if not isinstance(specs, list):
            raise RouteError("routes must be a list (or {\"routes\": [...]})")
        routes = [Route(s, base_dir) for s in specs]
        with self.lock:
            self.routes = routes

    def reset(self):
        with self.lock:
            self.log = []
            self.max_in_flight = self.in_flight
            self.requests = 0
            self.bytes_in = self.bytes_out = 0
            self.connections = 0
            for r in self.routes:
                r.hits = 0
                r.max_in_flight = r.in_flight
                r.bytes_in = r.bytes_out = 0

    def find(self, method, path, query):
        with self.lock:
            for r in self.routes:
                if r.matches(method, path, query):
                    return r, r.next_response()
        return None, None


STATE = State()


class Counting:
    """A socket file (rfile or wfile) that counts the bytes through it."""

    def __init__(self, f):
        self._f = f
        self.n = 0

    def read(self, *args):
        b = self._f.read(*args)
        self.n += len(b or b"")
        return b

    def readline(self, *args):
        b = self._f.readline(*args)
        self.n += len(b)
        return b

    def readinto(self, buf):
        k = self._f.readinto(buf)
        self.n += k or 0
        return k

    def write(self, b):
        r = self._f.write(b)
        self.n += len(b)
        return r

    def __getattr__(self, name):
        return getattr(self._f, name)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakeserver/1"

    def setup(self):
        super().setup()
        self.rfile = Counting(self.rfile)
        self.wfile = Counting(self.wfile)
        self.mark_in = self.mark_out = 0
        self.counted = False     # a connection counts once it carries a non-control request

    def take_bytes(self):
        """Bytes in and out since the last call: one request's, when called
        as it ends (its request line and headers were read before dispatch)."""
        i, o = self.rfile.n - self.mark_in, self.wfile.n - self.mark_out
        self.mark_in, self.mark_out = self.rfile.n, self.wfile.n
        return i, o

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        vlog("%s %s" % (self.address_string(), fmt % args))

    # every method goes through one dispatcher
    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def read_body(self):
        n = self.headers.get("Content-Length")
        if n is None:
            return b""
        try:
            n = int(n)
        except ValueError:
            return b""
        if n < 0 or n > MAX_REQUEST_BODY:
            self.close_connection = True
            return b""
        return self.rfile.read(n)

    def dispatch(self):
        url = urllib.parse.urlsplit(self.path)
        path = url.path or "/"
        pairs = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
        query = {k: v for k, v in pairs}
        body = self.read_body()
        if path.startswith("/_control/"):
            self.control(path, query, body)
            self.take_bytes()  # not counted
            return
        with STATE.lock:
            STATE.in_flight += 1
            STATE.requests += 1
            STATE.max_in_flight = max(STATE.max_in_flight, STATE.in_flight)
            entry = {"method": self.command, "path": path, "query": query,
                     "raw_query": url.query,
                     "headers": {k.lower(): v for k, v in self.headers.items()},
                     "body": body.decode("utf-8", "replace"),
                     "time": round(time.monotonic() - STATE.t0, 4), "status": None}
            STATE.log.append(entry)
            if len(STATE.log) > LOG_LIMIT:
                del STATE.log[:len(STATE.log) - LOG_LIMIT]
        try:
            route = None
            route, spec = STATE.find(self.command, path, query)
            if route is None:
                entry["status"] = 404
                self.send_simple(404, "application/json", b'{"error":"no route"}')
            else:
                entry["route"] = route.name
                with STATE.lock:
                    route.in_flight += 1
                    route.max_in_flight = max(route.max_in_flight, route.in_flight)
                try:
                    self.serve(spec, route, entry)
                finally:
                    with STATE.lock:
                        route.in_flight -= 1
        finally:
            bin_, bout = self.take_bytes()
            with STATE.lock:
                STATE.in_flight -= 1
                entry["end"] = round(time.monotonic() - STATE.t0, 4)
                entry["bytes_in"], entry["bytes_out"] = bin_, bout
                STATE.bytes_in += bin_
                STATE.bytes_out += bout
                if not self.counted:
                    self.counted = True
                    STATE.connections += 1
                if route is not None:
                    route.bytes_in += bin_
                    route.bytes_out += bout

    # ---- control endpoints ---------------------------------------------

    def control(self, path, query, body):
        try:
            if path == "/_control/routes" and self.command == "POST":
                STATE.set_routes(json.loads(body.decode("utf-8") or "[]"), os.getcwd())
                with STATE.lock:
                    n = len(STATE.routes)
                self.send_json(200, {"ok": True, "routes": n})
            elif path == "/_control/log" and self.command == "GET":
                only = query.get("path")
                with STATE.lock:  # entries are still updated by running handlers
                    data = json.dumps([e for e in STATE.log if only is None or e["path"] == only])
                self.send_simple(200, "application/json", data.encode("utf-8"))
            elif path == "/_control/reset" and self.command == "POST":
                STATE.reset()
                self.send_json(200, {"ok": True})
            elif path == "/_control/stats" and self.command == "GET":
                with STATE.lock:
                    st = {"requests": STATE.requests, "in_flight": STATE.in_flight,
                          "max_in_flight": STATE.max_in_flight,
                          "bytes_in": STATE.bytes_in, "bytes_out": STATE.bytes_out,
                          "connections": STATE.connections,
                          "routes": {r.name: {"requests": r.hits, "in_flight": r.in_flight,
                                              "max_in_flight": r.max_in_flight,
                                              "bytes_in": r.bytes_in, "bytes_out": r.bytes_out}
                                     for r in STATE.routes}}
                self.send_json(200, st)
            else:
                self.send_json(404, {"error": "unknown control endpoint"})
        except (ValueError, RouteError) as e:
            self.send_json(400, {"error": str(e)})

    def send_json(self, status, obj):
        self.send_simple(status, "application/json", json.dumps(obj).encode("utf-8"))

    def send_simple(self, status, ctype, data, extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    # ---- routes ----------------------------------------------------------

    def body_of(self, spec, route):
        if "body_file" in spec:
            return route.read_file(spec["body_file"])
        if "body_json" in spec:
            return json.dumps(spec["body_json"]).encode("utf-8")
        b = spec.get("body", "")
        return b.encode("utf-8") if isinstance(b, str) else bytes(b)

    def content_type(self, spec, data):
        if "body_file" in spec:
            ext = os.path.splitext(spec["body_file"])[1].lower()
            if ext in CONTENT_TYPES:
                return CONTENT_TYPES[ext]
        s = data.lstrip()[:1]
        if "body_json" in spec or s in (b"{", b"["):
            return "application/json"
        if s == b"<":
            return "application/xml"
        return "text/plain; charset=utf-8"

    def hard_close(self, rst):
        """Close the connection now; with rst, send a TCP RST (SO_LINGER 0)."""
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            if rst:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.connection.close()
        except OSError:
            pass

    def serve(self, spec, route, entry):
        fault = spec.get("fault")
        status = int(spec.get("status", 200))
        headers = dict(spec.get("headers") or {})
        delay = float(spec.get("delay", 0))
        if delay > 0:
            time.sleep(delay)

        if fault == "refuse":
            entry["status"] = 0
            self.hard_close(rst=False)
            return
        if fault == "stall":
            time.sleep(float(spec.get("seconds", 30)))
            fault = None  # after the stall, answer normally
        if fault in ("redirect_loop", "redirect"):
            loc = self.path if fault == "redirect_loop" else spec["location"]
            st = status if 300 <= status < 400 else 302
            entry["status"] = st
            headers.setdefault("Location", loc)
            self.send_simple(st, "text/plain; charset=utf-8", b"redirect\n", headers)
            return
        if fault == "html":
            st = status if status != 200 else 502
            try:
                phrase = HTTPStatus(st).phrase
            except ValueError:
                phrase = "Error"
            data = spec.get("body") or ("<!DOCTYPE html><html><head><title>%d %s</title></head>"
                                        "<body><h1>%d %s</h1><hr><p>nginx</p></body></html>"
                                        % (st, phrase, st, phrase))
            entry["status"] = st
            self.send_simple(st, "text/html; charset=utf-8", data.encode("utf-8"), headers)
            return
        if fault == "huge":
            self.send_huge(spec, status, headers, entry)
            return

        if fault == "bomb_png":
            data = BOMB_PNG
            ctype = "image/png"
        elif fault == "corrupt_image":
            data = CORRUPT_JPEG
            ctype = "image/jpeg"
        else:
            data = self.body_of(spec, route)
            ctype = self.content_type(spec, data)

        etag = spec.get("etag")
        if etag:
            headers["ETag"] = etag
            inm = self.headers.get("If-None-Match")
            if inm and (inm.strip() == "*" or etag in [t.strip() for t in inm.split(",")]):
                entry["status"] = 304
                self.send_response(304)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                return

        if spec.get("gzip") and "gzip" in (self.headers.get("Accept-Encoding") or ""):
            data = gzip.compress(data)
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"

        entry["status"] = status
        self.send_response(status)
        lower = {k.lower() for k in headers}
        if "content-type" not in lower:
            self.send_header("Content-Type", ctype)
        chunked = bool(spec.get("chunked")) and fault is None
        if fault == "truncate":
            self.send_header("Content-Length", str(len(data) * 2 + 100))
        elif chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD":
            return

        if fault == "reset_mid_body":
            self.wfile.write(data[:len(data) // 2])
            time.sleep(0.05)  # let the half body reach the client first
            self.hard_close(rst=True)
        elif fault == "truncate":
            self.wfile.write(data)
            self.hard_close(rst=False)
        elif fault == "drip":
            interval = float(spec.get("interval", 1.0))
            for i in range(len(data)):
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
                time.sleep(interval)
        elif chunked:
            for i in range(0, len(data), CHUNK):
                part = data[i:i + CHUNK]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(data)

    def send_huge(self, spec, status, headers, entry):
        size = int(spec.get("size", 50 << 20))
        if self.command == "HEAD":
            self.send_simple(status, "application/json", b"", {"X-Would-Send": str(size)})
            return
        chunked = bool(spec.get("chunked"))
        # gzip: a compression bomb, size bytes once decoded, far fewer on the wire
        z = None
        if spec.get("gzip") and "gzip" in (self.headers.get("Accept-Encoding") or ""):
            z = zlib.compressobj(9, zlib.DEFLATED, 31)
            chunked = True
            headers["Content-Encoding"] = "gzip"
        entry["status"] = status
        self.send_response(status)
        headers.setdefault("Content-Type", "application/json")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(size))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        block = b"[" + b"0," * (CHUNK // 2 - 1) + b"0"  # generated, not stored
        sent = 0
        def emit(part):
            if z is not None:
                part = z.compress(part)
            if not part:
                return
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            else:
                self.wfile.write(part)
        while sent < size:
            part = block[:min(CHUNK, size - sent)]
            emit(part)
            sent += len(part)
        if z is not None:
            tail = z.flush()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(tail), tail))
        if chunked:
            self.wfile.write(b"0\r\n\r\n")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    tls_context = None

    def finish_request(self, request, client_address):
        if self.tls_context is None:
            self.RequestHandlerClass(request, client_address, self)
            return
        try:
            # handshake here, in the connection's thread, never in accept()
            conn = self.tls_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            vlog("TLS handshake failed:", e)
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        # a client that disconnects is normal here; never print tracebacks unless asked
        if VERBOSE:
            super().handle_error(request, client_address)


BOMB_PNG = make_bomb_png()
CORRUPT_JPEG = make_corrupt_jpeg()


def watch_stdin():
    """With --exit-on-stdin-eof: end when the parent closes our stdin (or dies)."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except OSError:
        pass
    os._exit(0)


def main(argv=None):
    global VERBOSE
    ap = argparse.ArgumentParser(description="fault-injecting HTTP server for balie tests")
    ap.add_argument("--routes", help="JSON file: a list of routes or {\"routes\": [...]}")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: pick a free one)")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve HTTPS with this certificate")
    ap.add_argument("--verbose", action="store_true", help="log requests to stderr")
    ap.add_argument("--exit-on-stdin-eof", action="store_true",
                    help="exit when stdin is closed (so a crashed test leaves no server behind)")
    args = ap.parse_args(argv)
    VERBOSE = args.verbose

    if args.routes:
        try:
            with open(args.routes, "rb") as f:
                specs = json.loads(f.read().decode("utf-8"))
            STATE.set_routes(specs, os.path.dirname(os.path.abspath(args.routes)))
        except (OSError, ValueError, RouteError) as e:
            print("fakeserver: %s: %s" % (args.routes, e), file=sys.stderr)
            return 2

    try:
        srv = Server(("127.0.0.1", args.port), Handler)
    except OSError as e:
        print("fakeserver: cannot listen on 127.0.0.1:%d: %s" % (args.port, e), file=sys.stderr)
        return 2
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            ctx.load_cert_chain(args.tls[0], args.tls[1])
        except (OSError, ssl.SSLError) as e:
            print("fakeserver: cannot load certificate: %s" % e, file=sys.stderr)
            return 2
        srv.tls_context = ctx

    print("PORT %d" % srv.server_address[1], flush=True)
    if args.exit_on_stdin_eof:
        threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
