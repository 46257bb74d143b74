#!/usr/bin/env python3
"""systemd's view of balie: READY=1 and watchdog keep-alives, through a real
$NOTIFY_SOCKET, with the screen open and with it closed for the night.

The unit is Type=notify with WatchdogSec: a balie that never says READY=1 is
killed and restarted by systemd after TimeoutStartSec, so READY must come
whether the first thing on screen is a card or, outside opening hours
without CEC, a black picture.  Keep-alives must come from the running main
loop in both states.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
import harness  # noqa: E402
from harness import check  # noqa: E402


class Listener:
    """The manager's end of $NOTIFY_SOCKET: every datagram with its time."""

    def __init__(self, tmp):
        self.path = os.path.join(tmp, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.msgs = []

    def pump(self, seconds):
        end = time.time() + seconds
        while time.time() < end:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            for line in data.decode("utf-8", "replace").split("\n"):
                if line:
                    self.msgs.append(line)

    def wait_for(self, what, seconds):
        end = time.time() + seconds
        while time.time() < end and what not in self.msgs:
            self.pump(0.2)
        return what in self.msgs

    def close(self):
        self.sock.close()


def run(schedule):
    tmp = harness.tempdir()
    conf = os.path.join(tmp, "balie.conf")
    with open(conf, "w") as f:
        f.write("[display]\nsample = true\n" + schedule)
    lis = Listener(tmp)
    env = {"NOTIFY_SOCKET": lis.path, "WATCHDOG_USEC": "2000000"}
    scr = faultlib.Screen(conf, os.path.join(tmp, "cache"), env=env)
    try:
        ready = lis.wait_for("READY=1", 20)
        n0 = lis.msgs.count("WATCHDOG=1")
        lis.pump(4)  # two watchdog periods: at least one keep-alive a second is due
        kicks = lis.msgs.count("WATCHDOG=1") - n0
        return ready, kicks, scr.alive(), scr.stderr()
    finally:
        scr.stop()
        lis.close()


def test_ready_and_keep_alives_while_open():
    ready, kicks, alive, err = run("")
    check(alive, "balie is running: %s" % err[-1500:])
    check(ready, "READY=1 after the first card: %s" % err[-1500:])
    check(kicks >= 2, "watchdog keep-alives while a card is shown: %d in 4 s" % kicks)


def test_ready_and_keep_alives_when_started_outside_opening_hours():
    # started at night (a restart, a power cut): a black picture, and still
    # READY=1, or systemd would restart balie every TimeoutStartSec all night
    # (trust_clock: this machine's clock is not known to be synchronised, and
    # until it is balie keeps the screen on)
    ready, kicks, alive, err = run("[schedule]\ndaily = closed\ntrust_clock = yes\n")
    check(alive, "balie is running: %s" % err[-1500:])
    check("opening hours: closed" in err, "the screen starts dark: %s" % err[-1500:])
    check(ready, "READY=1 while the screen is dark outside opening hours: %s" % err[-1500:])
    check(kicks >= 2, "watchdog keep-alives while dark: %d in 4 s" % kicks)


if __name__ == "__main__":
    harness.main(globals())
