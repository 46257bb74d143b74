"""The disk under a running balie: read-only, full, removed, damaged, and power cuts.

Every test fills a cache from the fake server on 127.0.0.1 with --once, then
runs the real screen headless (SDL dummy driver, -v, clock sped up 100x) or
--list / --screenshot against a cache that something bad happened to:

  read-only    the cache is remounted read-only under the running screen
  full         the cache is a 1 MiB tmpfs, filled up under the running screen
  removed      rm -rf of the cache directory under the running screen
  damaged      posts.json, state.json, media files, the lock truncated or
               overwritten at random offsets before start
  power cuts   SIGKILL at random moments while posts, state and images
               (slow downloads, so some are in flight) are being written

The promises: never a crash, never a blank screen, never a loss of the last
good posts where they can still be read (the file on disk stays as it was,
or a damaged one is moved aside byte for byte and every post outside the
damage is recovered, shown and saved again), each disk problem logged
once (not per poll), and everything back to normal, by itself, once the
disk is usable again.  Read-only and full need a file system made for the
test (mount: root); without it those two print SKIP and are not run.
"""
import json
import os
import random
import re
import shutil
import subprocess
import time

import harness
import faultlib
from harness import FakeServer, check
from faultlib import Account, Screen

SCALE = 100


class Setup:
    """A fake server with two accounts, a config, and a filled cache."""

    def __init__(self, srv, tmp, cache, media_delay=None):
        self.srv, self.tmp, self.cache = srv, tmp, cache
        self.png = os.path.join(tmp, "img.png")
        with open(self.png, "wb") as f:
            f.write(faultlib.png_bytes())
        self.accts = [Account("d_een", 8001), Account("d_twee", 8002)]
        self.media_delay = media_delay
        self.images = []  # routes of pictures only new posts use, each with other bytes
        self.routes()
        self.conf = faultlib.config(tmp, srv.base, self.accts)

    def routes(self):
        r = []
        for a in self.accts:
            r += a.good_routes(self.srv.base)
        media = self.images + faultlib.media_routes(self.png)
        if self.media_delay:
            for m in media:
                m["delay"] = self.media_delay
        self.srv.set_routes(r + media)

    def fill(self):
        r = harness.balie("--once", config=self.conf, cache=self.cache)
        check(r.code == 0, "--once fills the cache: %r" % r)
        return faultlib.post_keys(self.cache)

    def new_post(self, text):
        """A new post of the first account, with a picture no other post has."""
        a = self.accts[0]
        n = len(self.images)
        path = os.path.join(self.tmp, "new%d.png" % n)
        with open(path, "wb") as f:
            f.write(faultlib.png_bytes(rgb=(n % 256, (n * 7) % 256, 99)))
        self.images.append({"path": "/media/new%d.png" % n, "headers": {"Content-Type": "image/png"},
                            "body_file": path, "name": "media"})
        a.add_post(text, image="/media/new%d.png" % n)
        self.routes()
        return "mastodon:%s/users/%s/statuses/%s" % (self.srv.base, a.user, a.extra[-1][0])

    def screen(self, **kw):
        env = {"BALIE_TIME_SCALE": str(SCALE)}
        env.update(kw.pop("env", {}))
        return Screen(self.conf, self.cache, env=env, verbose=True, **kw)


def shown(screen, key):
    return screen.grep(r"screen: showing %s " % re.escape(key))


def once_lines(screen, pattern):
    return [l for _, l in screen.grep(pattern)]


def stop_clean(screen):
    code = screen.stop()
    rep = faultlib.sanitizer_report(screen.stderr())
    check(code == 0, "balie quits cleanly (exit %s):\n%s" % (code, screen.stderr()[-2000:]))
    check(rep is None, "no sanitizer report:\n%s" % rep)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def test_read_only_cache_keeps_showing_and_recovers():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    with FakeServer() as srv:
        s = Setup(srv, tmp, cache)
        before = s.fill()
        posts_before = read(os.path.join(cache, "posts.json"))
        new = s.new_post("Nieuw terwijl de schijf alleen-lezen is")
        faultlib.bind_read_only(cache)
        try:
            scr = s.screen()
            with scr:
                scr.wait_for("the new post on screen, though it cannot be saved", lambda: shown(scr, new), 30)
                time.sleep(3)  # ~300 s of polling on balie's clock
                check(read(os.path.join(cache, "posts.json")) == posts_before, "posts.json untouched")
                lines = once_lines(scr, r"cache: .*posts\.json: cannot save posts \(Read-only file system\); "
                                        r"the previous file is kept")
                check(len(lines) == 1, "the read-only disk is logged once for posts.json: %r" % lines)
                lines = once_lines(scr, r"cache: .*state\.json: cannot save source state \(Read-only file system\)")
                check(len(lines) == 1, "... and once for state.json: %r" % lines)
                out = faultlib.listing(s.conf, cache)
                check("Bericht 1 van d_twee" in out, "--list reads the read-only cache: %s" % out[-800:])
                old_shown = [k for k in before if shown(scr, k)]
                check(len(old_shown) >= 3, "the cached posts keep showing: %r" % old_shown)
                # the disk becomes writable again: saving resumes by itself
                faultlib.remount_rw(cache)
                scr.wait_for("posts.json saved again", lambda: new in faultlib.post_keys(cache), 20)
                check(once_lines(scr, r"posts\.json: saving works again"), "the log says saving works again")
                check(before <= faultlib.post_keys(cache), "no cached post was lost")
                stop_clean(scr)
        finally:
            faultlib.umount(cache)
    shutil.rmtree(tmp, ignore_errors=True)


def test_full_disk_keeps_previous_posts_and_recovers():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    faultlib.mount_tmpfs(cache, "1m")
    try:
        with FakeServer() as srv:
            s = Setup(srv, tmp, cache)
            before = s.fill()
            posts_before = read(os.path.join(cache, "posts.json"))
            filler = os.path.join(cache, "filler")
            fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                while True:
                    os.write(fd, b"\0" * 4096)
            except OSError:
                pass
            os.close(fd)
            new = s.new_post("Nieuw terwijl de schijf vol is")
            # its image is a new URL: storing it fails too
            scr = s.screen()
            with scr:
                scr.wait_for("the new post on screen, though it cannot be saved", lambda: shown(scr, new), 30)
                time.sleep(3)
                check(read(os.path.join(cache, "posts.json")) == posts_before,
                      "the previous posts.json is intact on a full disk")
                lines = once_lines(scr, r"posts\.json: cannot save posts \(No space left on device\); "
                                        r"the previous file is kept")
                check(len(lines) == 1, "the full disk is logged once for posts.json: %r" % lines)
                lines = once_lines(scr, r"media: cannot store media \(No space left on device\)")
                check(len(lines) == 1, "... and once for images: %r" % lines)
                left = [n for n in os.listdir(cache) if ".tmp." in n]
                check(not left, "no temp files left on the full disk: %r" % left)
                out = faultlib.listing(s.conf, cache)
                check("Bericht 3 van d_een" in out, "--list reads the full cache: %s" % out[-800:])
                os.unlink(filler)
                scr.wait_for("posts.json saved once there is room", lambda: new in faultlib.post_keys(cache), 20)
                check(once_lines(scr, r"posts\.json: saving works again"), "the log says saving works again")
                check(before <= faultlib.post_keys(cache), "no cached post was lost")
                stop_clean(scr)
            faultlib.check_media_dir(cache)
    finally:
        faultlib.umount(cache)
    shutil.rmtree(tmp, ignore_errors=True)


def test_cache_removed_while_running_is_made_again():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    with FakeServer() as srv:
        s = Setup(srv, tmp, cache)
        before = s.fill()
        scr = s.screen()
        with scr:
            scr.wait_for("a card on screen", lambda: scr.grep(r"screen: showing "), 30)
            # rename first: from balie's side the directory is gone at once,
            # while rmtree would race its writes ("Directory not empty")
            gone = cache + ".removed"
            os.rename(cache, gone)
            shutil.rmtree(gone)
            t_rm = time.time()
            new = s.new_post("Nieuw nadat de cache weg is")
            scr.wait_for("the cache made again with every post",
                         lambda: os.path.exists(os.path.join(cache, "posts.json")) and
                         before | {new} <= faultlib.post_keys(cache), 30)
            lines = once_lines(scr, r"poller: cache directory .* was removed while balie was running; "
                                    r"created it again")
            check(len(lines) == 1, "the removal is logged once: %r" % lines)
            # the images that went with it are downloaded again
            scr.wait_for("images downloaded again", lambda: len(faultlib.check_media_dir(cache)) >= 2, 30)
            scr.wait_for("cards changing after the removal",
                         lambda: len([t for t, _ in scr.grep(r"screen: showing ") if t > t_rm]) >= 3, 20)
            stop_clean(scr)
        posts = faultlib.posts_json(cache)
        text = json.dumps(posts)
        for name in re.findall(r'"(?:file|avatar_file)": "([^"]+)"', text):
            check(os.path.exists(os.path.join(cache, "media", name)), "posts.json names no missing image: %s" % name)
    shutil.rmtree(tmp, ignore_errors=True)


CORRUPTIONS = ["truncate posts", "flip posts", "garbage posts", "empty posts", "truncate state",
               "garbage state", "truncate media", "garbage media", "garbage lock", "truncate posts+state",
               "truncate80 posts"]


def corrupt(rng, cache, how):
    """Damage the cache as described.  Returns the paths whose content changed and,
    for posts.json, what was done to it: ("truncate", cut), ("flip", offsets) or
    ("garbage", None)."""
    damage_done = {}

    def damage(path, mode):
        data = bytearray(read(path))
        if mode == "truncate":
            cut = rng.randrange(0, max(1, len(data) - 2))
            data = data[:cut]
            damage_done[path] = ("truncate", cut)
        elif mode == "truncate80":  # the audit's case: 80 % of the file
            cut = len(data) * 8 // 10
            data = data[:cut]
            damage_done[path] = ("truncate", cut)
        elif mode == "flip":
            offsets = set()
            for _ in range(rng.randrange(1, 8)):
                i = rng.randrange(len(data))
                data[i] ^= 1 << rng.randrange(8)
                offsets.add(i)
            damage_done[path] = ("flip", offsets)
        elif mode in ("garbage", "empty"):
            data = bytearray(rng.getrandbits(8) for _ in range(rng.randrange(1, 3000))) if mode == "garbage" \
                else bytearray()
            damage_done[path] = ("garbage", None)
        with open(path, "wb") as f:
            f.write(data)
        return path
    mode, _, what = how.partition(" ")
    changed = []
    for w in what.split("+"):
        if w == "posts":
            changed.append(damage(os.path.join(cache, "posts.json"), mode))
        elif w == "state":
            changed.append(damage(os.path.join(cache, "state.json"), mode))
        elif w == "lock":
            changed.append(damage(os.path.join(cache, "lock"), mode))
        elif w == "media":
            media = os.path.join(cache, "media")
            for n in sorted(os.listdir(media)):
                changed.append(damage(os.path.join(media, n), mode))
    return changed, damage_done


def balie_damaged(*args, config, cache, timeout=120):
    """harness.balie for a damaged cache: a post whose bytes were flipped can still
    be read by cJSON and then printed or logged as invalid UTF-8, which the text
    mode of harness.balie refuses to decode."""
    env = dict(os.environ)
    env.setdefault("SDL_VIDEODRIVER", "dummy")
    env["HOME"] = env.get("HOME", "/tmp")
    cmd = [harness.BALIE, "--config", config, "--cache-dir", cache] + list(args)
    try:
        p = subprocess.run(cmd, capture_output=True, cwd=harness.ROOT, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise harness.Failure("balie %s timed out after %ss" % (" ".join(args), timeout))
    return harness.Run(p, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"))


def keys_written(path):
    """The keys in a posts.json balie wrote, read byte for byte (latin-1): posts read
    whole from a bit-flipped file keep their damaged bytes, which need not be UTF-8."""
    doc = json.loads(read(path).decode("latin-1"), strict=False)
    return {p["key"] for p in doc["posts"]}


def post_elements(data):
    """The posts array of a whole posts.json: (end of the header, [(start, end, key)]),
    byte offsets into data."""
    dec = json.JSONDecoder(strict=False)
    text = data.decode("latin-1")  # one char per byte, so offsets are byte offsets
    head = text.index('"posts":[') + len('"posts":[')
    i, out = head, []
    while text[i] != "]":
        post, end = dec.raw_decode(text, i)
        out.append((i, end, post["key"]))
        i = end + 1 if text[end] == "," else end
    return head, out


def salvage_floor(good, damage):
    """The keys balie must still load from the damaged posts.json (a reference salvage
    on byte offsets, not a JSON parser: every post the damage did not touch, when the
    header before the posts survived), and for a cut whether that is also the most it
    may load (a cut post is never half loaded)."""
    head, elements = post_elements(good)
    kind, arg = damage
    if kind == "truncate":
        if arg < head:
            return set(), True
        return {k for s, e, k in elements if e <= arg}, True
    if kind == "flip":
        if any(o < head for o in arg):
            return set(), False  # the header: may still parse, may be refused
        return {k for s, e, k in elements if not any(s <= o < e for o in arg)}, False
    return set(), False


def test_damaged_files_before_start():
    tmp = harness.tempdir()
    good = os.path.join(tmp, "good")
    with FakeServer() as srv:
        s = Setup(srv, tmp, good)
        keys = s.fill()
    listed_good = faultlib.listing(s.conf, good)
    good_posts = read(os.path.join(good, "posts.json"))
    seed = int(os.environ.get("BALIE_DISK_SEED", str(int(time.time()))))
    rng = random.Random(seed)
    for round_, how in enumerate(CORRUPTIONS):
        cache = os.path.join(tmp, "c%d" % round_)
        shutil.copytree(good, cache)
        changed, damage_done = corrupt(rng, cache, how)
        originals = {p: read(p) for p in changed}
        where = "%s (seed %d)" % (how, seed)
        posts_path = os.path.join(cache, "posts.json")
        r = balie_damaged("--list", config=s.conf, cache=cache)
        check(r.code == 0, "%s: --list exits 0: %r" % (where, r))
        check(faultlib.sanitizer_report(r.err) is None, "%s: no sanitizer report: %s" % (where, r.err[-2000:]))
        m = re.search(r"(\d+) posts shown, (\d+) cached", r.out)
        check(m, "%s: --list counts the posts: %r" % (where, r.out[-500:]))
        cached = int(m.group(2))
        floor, exact = set(), False
        if posts_path in damage_done:
            floor, exact = salvage_floor(good_posts, damage_done[posts_path])
            kind = damage_done[posts_path][0]
            if kind != "flip":  # a flip may leave JSON that cJSON reads whole
                check("posts.json: corrupt" in r.err, "%s: --list says posts.json is corrupt: %r" % (where, r))
            if floor:
                check(cached >= len(floor), "%s: --list still has the %d posts outside the damage: %r"
                      % (where, len(floor), r))
            if exact:
                tail = ("recovered %d of " % len(floor)) if floor else "starting with an empty list"
                check(cached == len(floor) and "left in place (read-only open); " + tail in r.err,
                      "%s: exactly the %d whole posts before the cut: %r" % (where, len(floor), r))
            check(read(posts_path) == originals[posts_path], "%s: --list changed nothing" % where)
        else:
            check(r.out.replace(cache, "CACHE") == listed_good.replace(good, "CACHE"),
                  "%s: every post still listed:\n%s" % (where, r.out[-1500:]))
        # the screen, offline: a complete frame, a post when one survived, and nothing lost
        shot = os.path.join(tmp, "shot%d.png" % round_)
        r = balie_damaged("--windowed", "--size", "800x480", "--screenshot", shot, "-v", config=s.conf,
                          cache=cache, timeout=90)
        check(r.code == 0, "%s: the screen starts on a damaged cache: %r" % (where, r))
        check(faultlib.sanitizer_report(r.err) is None, "%s: no sanitizer report: %s" % (where, r.err[-2000:]))
        colors = faultlib.png_colors(shot)
        check(len(colors) >= 3, "%s: the frame is not blank (%d colours)" % (where, len(colors)))
        shown_keys = set(re.findall(r"screen: showing (\S+) ", r.err))
        if posts_path not in damage_done or floor:
            check(shown_keys, "%s: a post is on screen, not \"Nog geen berichten\": %r" % (where, r.err[-1500:]))
        if damage_done.get(posts_path, ("",))[0] != "flip":  # a flip read whole may change a key
            check(shown_keys <= keys, "%s: only cached posts are shown: %r" % (where, shown_keys - keys))
        for path, data in originals.items():
            if path.endswith("/lock") or (os.path.exists(path) and read(path) == data):
                continue
            aside = [n for n in os.listdir(os.path.dirname(path))
                     if n.startswith(os.path.basename(path) + ".corrupt-")]
            check(any(read(os.path.join(os.path.dirname(path), n)) == data for n in aside),
                  "%s: %s was moved aside byte for byte, never overwritten: %r" % (where, path, aside))
        if posts_path not in damage_done:
            check(keys <= keys_written(posts_path), "%s: no post lost" % where)
        elif floor:
            now = read(posts_path) if os.path.exists(posts_path) else None
            if now == originals[posts_path]:
                # a flip that cJSON reads whole leaves the file as it is: the count above holds
                check(not exact, "%s: the recovered posts were not saved as posts.json" % where)
            else:
                # the writer saved what it recovered: the next start finds it too
                have = keys_written(posts_path)
                check(floor <= have, "%s: posts.json holds the recovered posts again: missing %r"
                      % (where, sorted(floor - have)))
                if exact:
                    check(have == floor, "%s: posts.json holds only whole posts: %r"
                          % (where, sorted(have - floor)))
    shutil.rmtree(tmp, ignore_errors=True)


def media_in_flight(srv):
    return srv.control("stats").get("routes", {}).get("media", {}).get("in_flight", 0) > 0


def test_power_cuts_while_writing_posts_and_images():
    tmp = harness.tempdir()
    cache = os.path.join(tmp, "cache")
    seed = int(os.environ.get("BALIE_DISK_SEED", str(int(time.time()))))
    rng = random.Random(seed)
    with FakeServer() as srv:
        s = Setup(srv, tmp, cache, media_delay=0.4)
        for a in s.accts:
            a.n_posts = 6
        s.routes()
        known = s.fill()
        rounds = int(os.environ.get("BALIE_POWER_ROUNDS", "12"))
        kills_in_flight = 0
        for i in range(rounds):
            for j in range(3):  # new posts with new images every round
                s.new_post("Stroomstoring %d.%d" % (i, j))
            scr = s.screen(env={"BALIE_TIME_SCALE": "20"})
            if i % 2:
                time.sleep(rng.uniform(0.3, 2.5))  # any moment
            else:
                # the moment images are being downloaded (and then written)
                deadline = time.time() + 10
                while time.time() < deadline and not media_in_flight(srv):
                    time.sleep(0.02)
                time.sleep(rng.uniform(0, 0.45))
            kills_in_flight += 1 if media_in_flight(srv) else 0
            scr.kill()  # SIGKILL: a power cut as far as the files are concerned
            where = "round %d (seed %d)" % (i, seed)
            with open(os.path.join(cache, "posts.json")) as f:
                doc = json.load(f)
            check(doc.get("format") == "balie-posts", "%s: posts.json is whole" % where)
            have = {p["key"] for p in doc["posts"]}
            check(known <= have, "%s: no post saved before was lost: %r" % (where, sorted(known - have)))
            known = have
            if os.path.exists(os.path.join(cache, "state.json")):
                with open(os.path.join(cache, "state.json")) as f:
                    check(isinstance(json.load(f), dict), "%s: state.json is whole" % where)
            corrupt_files = [n for n in os.listdir(cache) if ".corrupt-" in n]
            check(not corrupt_files, "%s: nothing was found corrupt: %r" % (where, corrupt_files))
            faultlib.check_media_dir(cache)
            check("corrupt" not in scr.stderr(), "%s: no corrupt file at start:\n%s" % (where, scr.stderr()[-1500:]))
        # the next writer removes what the kills left half-written
        r = harness.balie("--once", config=s.conf, cache=cache)
        check(r.code == 0, "--once after the power cuts: %r" % r)
        left = [n for d in (cache, os.path.join(cache, "media")) for n in os.listdir(d) if ".tmp." in n]
        check(not left, "no temp files after the next start: %r" % left)
        out = faultlib.listing(s.conf, cache)
        check("Stroomstoring %d.2" % (rounds - 1) in out, "the last post is listed: %s" % out[-1000:])
        faultlib.check_media_dir(cache)
        check(kills_in_flight >= 1, "at least one kill hit a download in flight (seed %d)" % seed)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if not faultlib.can_mount():
        for name in ("test_read_only_cache_keeps_showing_and_recovers", "test_full_disk_keeps_previous_posts_and_recovers"):
            print("SKIP: %s: needs root to mount a small or read-only file system" % name, flush=True)
            del globals()[name]
    harness.main(globals())
