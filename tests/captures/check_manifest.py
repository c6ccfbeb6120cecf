#!/usr/bin/env python3
"""check_manifest.py - the captures are the ones MANIFEST.tsv describes.

Every file under dev/ and bad/ of the captures directory has a row in
MANIFEST.tsv with its size and sha256, and every row has its file. Exit 0
when all agree, 1 with one line per difference.

Usage: python3 tests/captures/check_manifest.py [CAPTURES_DIR]
       (default: $CAPTURES_DIR, else the directory of this script)
"""
import hashlib
import os
import sys

GROUPS = ("dev", "bad")


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(path, problems):
    """{file: (size, sha256)} of MANIFEST.tsv; a bad row is a problem."""
    rows = {}
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        want = ["category", "file", "size_bytes", "sha256"]
        if header[:4] != want:
            problems.append(f"MANIFEST.tsv: header starts {header[:4]}, expected {want}")
            return rows
        for n, line in enumerate(f, start=2):
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 4 or not cols[2].isdigit() or len(cols[3]) != 64:
                problems.append(f"MANIFEST.tsv:{n}: malformed row")
                continue
            if cols[1] in rows:
                problems.append(f"MANIFEST.tsv:{n}: {cols[1]} listed twice")
            if cols[1].split("/")[0] != cols[0]:
                problems.append(f"MANIFEST.tsv:{n}: {cols[1]} is not in {cols[0]}/")
            rows[cols[1]] = (int(cols[2]), cols[3])
    return rows


def files_on_disk(root):
    found = []
    for group in GROUPS:
        for dirpath, _, names in os.walk(os.path.join(root, group)):
            for name in names:
                found.append(os.path.relpath(os.path.join(dirpath, name), root))
    return sorted(p.replace(os.sep, "/") for p in found)


def main():
    root = (sys.argv[1] if len(sys.argv) > 1 else None) or os.environ.get("CAPTURES_DIR") \
        or os.path.dirname(os.path.abspath(__file__))
    problems = []
    manifest = os.path.join(root, "MANIFEST.tsv")
    if not os.path.isfile(manifest):
        print(f"FAIL: no MANIFEST.tsv in {root}")
        return 1
    rows = read_manifest(manifest, problems)
    disk = files_on_disk(root)
    for rel in disk:
        if rel not in rows:
            problems.append(f"{rel}: not listed in MANIFEST.tsv")
            continue
        path = os.path.join(root, rel)
        size, digest = rows[rel]
        if os.path.getsize(path) != size:
            problems.append(f"{rel}: {os.path.getsize(path)} bytes, MANIFEST.tsv says {size}")
        elif sha256_of(path) != digest:
            problems.append(f"{rel}: sha256 {sha256_of(path)}, MANIFEST.tsv says {digest}")
    for rel in sorted(set(rows) - set(disk)):
        problems.append(f"{rel}: listed in MANIFEST.tsv but missing")
    for p in problems:
        print("FAIL:", p)
    print(f"{len(disk)} files in {'/, '.join(GROUPS)}/ of {root}, {len(rows)} manifest rows, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
