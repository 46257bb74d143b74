"""The short soak for make check: 5,000 refresh cycles of 10 sources and a few
hundred card changes on a clock sped up 1000 times, under ASan/LSan, with
constant file descriptors and threads, flat memory and no leak at exit.
tests/soak/soak.py is the whole story; `make soak` runs 100,000 cycles.
BALIE_SOAK_CYCLES overrides the count."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "soak"))

import harness  # noqa: E402
import soak  # noqa: E402


def main():
    n = int(os.environ.get("BALIE_SOAK_CYCLES", "5000"))
    label = "asan" if "asan" in harness.BALIE else "release"
    try:
        r = soak.soak(n, harness.BALIE, label=label + "_short")
    except harness.Failure as e:
        print("FAIL: soak_%s_short: %s" % (label, e), flush=True)
        return 1
    return 1 if soak.judge(r, 24 * 1024 if label == "asan" else 8 * 1024) else 0


if __name__ == "__main__":
    sys.exit(main())
