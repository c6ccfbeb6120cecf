#!/usr/bin/env python3
"""tests/options_table.py - the README's options table, generated from options.c's table.

  python3 tests/options_table.py BIN            print the table
  python3 tests/options_table.py --update BIN   rewrite it in README.md
  python3 tests/options_table.py --check BIN    exit 1 when README.md differs (a ctest test)

BIN is the built test_options (build/tests/test_options): `BIN --markdown`
prints options_markdown(), the rows of the one option table in
src/conf/options.c, so the README says what the parser does. The table sits
between the markers <!-- options:begin --> and <!-- options:end -->.
"""
import subprocess
import sys

from limits_table import sync_block

BEGIN, END = "<!-- options:begin -->", "<!-- options:end -->"


def main():
    args = sys.argv[1:]
    arg = args.pop(0) if args and args[0] in ("--update", "--check") else ""
    if len(args) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    want = subprocess.run([args[0], "--markdown"], check=True, stdout=subprocess.PIPE,
                          text=True).stdout.rstrip("\n")
    return sync_block(BEGIN, END, want, arg, "options table from src/conf/options.c",
                      f"python3 tests/options_table.py --update {args[0]}")


if __name__ == "__main__":
    sys.exit(main())
