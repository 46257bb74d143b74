#!/usr/bin/env python3
"""A board profile's default size and rotation reach the screen, and the
configuration and the command line still win over them, in that order.

A profile is data (boards/*.conf): this test writes one for a 7" panel
mounted on its side (800x480, rotated 90) and takes headless screenshots with
SDL's dummy driver, reading the picture's size and the screen's own log line.
"""
import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

PROFILE = """name = test panel on its side
match = nothing matches this
video_driver =
render_driver =
drm_device_index = -1
texture_budget_mb = 64
cache_budget_mb = 48
max_texture = 2048
width = 800
height = 480
rotate = 90
cec_device =
burnin_px = 0
burnin_step_s = 120
"""


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    check(head[:8] == b"\x89PNG\r\n\x1a\n", "%s is a PNG" % path)
    return struct.unpack(">II", head[16:24])


def shot(tmp, name, display="", args=()):
    conf = os.path.join(tmp, name + ".conf")
    with open(conf, "w") as f:
        f.write("[board]\nprofile = sidepanel\ndir = %s\n[display]\nsample = true\n%s" %
                (os.path.join(tmp, "boards"), display))
    out = os.path.join(tmp, name + ".png")
    r = harness.balie("--screenshot", out, *args, config=conf, cache=os.path.join(tmp, "cache-" + name),
                      env={"SDL_VIDEODRIVER": "dummy"}, timeout=60)
    check(r.code == 0, "%s: balie exits 0: %r" % (name, r))
    m = re.search(r"screen: .* (\d+)x(\d+), rotated (\d+)", r.err)
    check(m, "%s: the screen says its size and rotation: %s" % (name, r.err[-1500:]))
    return png_size(out), (int(m.group(1)), int(m.group(2))), int(m.group(3))


def setup():
    tmp = harness.tempdir()
    os.makedirs(os.path.join(tmp, "boards"))
    with open(os.path.join(tmp, "boards", "sidepanel.conf"), "w") as f:
        f.write(PROFILE)
    return tmp


def test_the_profile_sets_size_and_rotation():
    tmp = setup()
    png, size, rot = shot(tmp, "profile")
    check(size == (800, 480), "the profile's 800x480: %r" % (size,))
    check(png == (800, 480), "the screenshot is the whole 800x480 picture: %r" % (png,))
    check(rot == 90, "the profile's rotation, 90: %d" % rot)


def test_configuration_then_command_line_win():
    tmp = setup()
    _, size, rot = shot(tmp, "config", display="rotate = 180\nwidth = 1024\nheight = 600\n")
    check(size == (1024, 600) and rot == 180, "the configuration's 1024x600, 180: %r %d" % (size, rot))
    _, size, rot = shot(tmp, "cli", display="rotate = 180\n", args=("--rotate", "0", "--size", "640x360"))
    check(size == (640, 360) and rot == 0, "the command line's 640x360, 0: %r %d" % (size, rot))


if __name__ == "__main__":
    harness.main(globals())
