#!/usr/bin/env bash
# make_big.sh - build the performance-test capture nfs_bad_stalls_x427.pcap
# from the small corpus file tests/captures/dev/nfs_bad_stalls.cap (a real
# capture from the Wireshark wiki SampleCaptures page, GPL; see
# tests/captures/README.md). bench/bench.py runs it; CAPTURES_DIR overrides
# where dev/ is read from.
#
# Recipe: copy k (k = 0 .. COPIES-1) of the source is shifted by k*STEP seconds
# with `editcap -t`, then all copies are concatenated in that order with
# `mergecap -a` (concatenate, no re-sorting). The source spans 9.302463 s, so
# with STEP=10 the copies do not overlap and the result spans ~4270 s (~71 min).
# Inside each copy the original order is kept, including the source's 1707
# small backward timestamp steps (so the big file has 427*1707 of them, plus
# none at copy boundaries).
#
# Usage:  bench/make_big.sh [OUTPUT]   (default: ${TMPDIR:-/tmp}/nfs_bad_stalls_x427.pcap;
#                                       never inside the repository: never commit it)
#         COPIES=10 bench/make_big.sh /tmp/small.pcap  (quick smoke test)
# Needs:  editcap, mergecap (Wireshark >= 3.x); ~2x the output size of free
#         disk in ${TMPDIR:-/tmp}; about 25 s on 2 CPU cores.
#
# With the defaults and Wireshark 4.0.17 the result is:
#   packets : 3005226  (= 7038 * 427)
#   bytes   : 306173542 (= 24 + 427 * 717034), classic pcap, LE, usec, LINKTYPE_ETHERNET
#   sha256  : see EXPECTED_SHA256 below (checked at the end; mismatch only warns)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CAPTURES_DIR="${CAPTURES_DIR:-$REPO/tests/captures}"
SRC="$CAPTURES_DIR/dev/nfs_bad_stalls.cap"
COPIES="${COPIES:-427}"
STEP="${STEP:-10}"
OUT="${1:-${TMPDIR:-/tmp}/nfs_bad_stalls_x${COPIES}.pcap}"
EXPECTED_SHA256="3ac9764f9d26be570b85d4f9df43b17b150bb60d0c855461767ad3e0a2ab1213"

command -v editcap >/dev/null && command -v mergecap >/dev/null || {
  echo "editcap and mergecap (Wireshark) are required" >&2; exit 1; }
[ -f "$SRC" ] || { echo "missing $SRC" >&2; exit 1; }
SRC_SHA256="46da2b7056381d86672d2825525c1e5aa02e3aba408fdcd372a947d76fa93e5b"
got_src="$(sha256sum "$SRC" | cut -d' ' -f1)"
[ "$got_src" = "$SRC_SHA256" ] || echo "WARNING: $SRC is not the corpus version (sha256 $got_src)" >&2

TMP="$(mktemp -d "${TMPDIR:-/tmp}/make_big.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$(dirname "$OUT")"

for ((k = 0; k < COPIES; k++)); do
  # -F pcap keeps the classic pcap format of the source (editcap defaults to pcapng)
  editcap -F pcap -t "$((k * STEP))" "$SRC" "$TMP/part_$(printf '%05d' "$k").pcap"
done

# -a: concatenate in the order given (the glob sorts part_00000 .. part_00426)
mergecap -a -F pcap -w "$OUT" "$TMP"/part_*.pcap

echo "wrote $OUT"
ls -l "$OUT"
capinfos -M -t -E -c -s -u -a -e "$OUT" || true
got="$(sha256sum "$OUT" | cut -d' ' -f1)"
echo "sha256 $got"
if [ "$COPIES" = 427 ] && [ "$STEP" = 10 ] && [ "$got" != "$EXPECTED_SHA256" ]; then
  echo "WARNING: sha256 differs from the reference build ($EXPECTED_SHA256)" >&2
fi
