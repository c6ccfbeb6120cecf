#!/usr/bin/env python3
"""e2e_load.py - the load test of tests/load/load.py, small enough for ctest.

200 uploads at concurrency 16 against a server with --jobs 2 and
--max-upload 1000000 (dev captures, bad files, oversized bodies): every
answer its expected status (503 only for an analysis past --jobs), then
descriptors, threads, children, temp files and VmRSS back to the warm
baseline. The 1000-request run is `python3 tests/load/load.py`.
LOAD_REQUESTS / LOAD_CONCURRENCY override the size.
"""
import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "load"))
import load  # noqa: E402

if __name__ == "__main__":
    sys.exit(load.main(["--requests", os.environ.get("LOAD_REQUESTS", "200"),
                        "--concurrency", os.environ.get("LOAD_CONCURRENCY", "16"),
                        "--time-limit", "400"]))
