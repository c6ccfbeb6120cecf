#!/usr/bin/env python3
"""tests/limits_table.py - the README's limits table, generated from include/config.h.

  python3 tests/limits_table.py            print the table
  python3 tests/limits_table.py --update   rewrite it in README.md
  python3 tests/limits_table.py --check    exit 1 when README.md differs (a ctest test)

The table sits between the markers <!-- limits:begin --> and <!-- limits:end -->.
"""
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(REPO, "include", "config.h")
README = os.path.join(REPO, "README.md")
BEGIN, END = "<!-- limits:begin -->", "<!-- limits:end -->"


def defines():
    """(name, value, comment) for every #define of config.h, comments joined."""
    text = open(CONFIG).read().replace("\\\n", " ")
    out = []
    pending = ""
    for line in text.splitlines():
        m = re.match(r"\s*#define\s+([A-Z][A-Z0-9_]*)\s+(.*)$", line)
        if not m or m.group(1) == "CONFIG_H":
            continue
        body = m.group(2)
        comment = ""
        c = re.search(r"/\*(.*?)\*/", body)
        if c:
            comment = " ".join(c.group(1).split())
            body = body[:c.start()]
        out.append((m.group(1), " ".join(body.split()), comment))
    return out


def table():
    rows = ["| constant | value | meaning |", "|---|---|---|"]
    for name, value, comment in defines():
        rows.append(f"| `{name}` | `{value}` | {comment.replace('|', '/')} |")
    return "\n".join(rows)


def sync_block(begin, end, want, arg, what, update):
    """Print want (arg ""), write it between begin and end in README.md
    (--update), or check that it is there (--check). The exit status."""
    if arg == "":
        print(want)
        return 0
    text = open(README).read()
    m = re.search(re.escape(begin) + r"\n(.*?)" + re.escape(end), text, re.S)
    if m is None:
        print(f"README.md has no {begin} ... {end} block", file=sys.stderr)
        return 1
    if arg == "--update":
        open(README, "w").write(text[:m.start(1)] + want + "\n" + text[m.end(1):])
        return 0
    if m.group(1) != want + "\n":
        print(f"README.md's {what} differs; run {update}", file=sys.stderr)
        return 1
    print("1 passed, 0 failed")
    return 0


def main():
    arg = sys.argv[1] if len(sys.argv) > 1 else ""
    return sync_block(BEGIN, END, table(), arg, "limits table from include/config.h",
                      "python3 tests/limits_table.py --update")


if __name__ == "__main__":
    sys.exit(main())
