#!/usr/bin/env bash
# tests/valgrind/run.sh - the end-to-end suite with the server under valgrind.
#
# Builds a plain -O1 -g server in build-valgrind, then runs the e2e tests
# (ctest -L e2e) with PCAPCHART_WRAPPER set, so tests/pcc.py starts every
# server as
#   valgrind --leak-check=full --errors-for-leak-kinds=definite
#            --error-exitcode=99 --log-file=LOGDIR/vg.%p.log pcapchart ...
# valgrind follows no child (tshark runs natively). A server with any
# memory error or definite leak exits 99, which its test reports; this
# script also sums every log's ERROR SUMMARY and "definitely lost".
#
# valgrind is started with a soft RLIMIT_NOFILE of TSHARK_RLIMIT_NOFILE (256):
# child.c lowers tshark's limit to 256/256 between fork and exec, still under
# valgrind, whose setrlimit(RLIMIT_NOFILE) refuses any hard limit but its own
# fd limit - which it takes from the soft limit it was started with.
#
#   VALGRIND_TESTS=REGEX   which e2e tests (ctest -R; default: all of them)
#   VALGRIND_BUILD_DIR=DIR build directory (default build-valgrind)
#   VALGRIND_KEEP=1        keep the logs (also kept when something failed)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${VALGRIND_BUILD_DIR:-$repo/build-valgrind}"
jobs="$(nproc 2>/dev/null || echo 2)"
export CAPTURES_DIR="${CAPTURES_DIR:-$repo/tests/captures}"

if ! command -v valgrind >/dev/null; then
    echo "valgrind not found (apt-get install valgrind)" >&2
    exit 1
fi
mkdir -p "$build"
if ! cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-O1 -g" \
    -DCAPTURES_DIR="$CAPTURES_DIR" >"$build/valgrind-build.log" 2>&1 ||
    ! cmake --build "$build" --target pcapchart -j "$jobs" >>"$build/valgrind-build.log" 2>&1
then
    tail -40 "$build/valgrind-build.log" >&2
    exit 1
fi

logs="$(mktemp -d "${TMPDIR:-/tmp}/pcapchart-valgrind.XXXXXX")"
nofile="$(sed -n 's/^#define TSHARK_RLIMIT_NOFILE \([0-9]*\).*/\1/p' "$repo/include/config.h")"
export PCAPCHART_WRAPPER="prlimit --nofile=${nofile:-256}:$(ulimit -Hn) valgrind --leak-check=full --errors-for-leak-kinds=definite \
--show-leak-kinds=definite --error-exitcode=99 --trace-children=no --num-callers=30 \
--log-file=$logs/vg.%p.log"
sel=()
[ -n "${VALGRIND_TESTS:-}" ] && sel=(-R "$VALGRIND_TESTS")

t0=$(date +%s)
set +e
(cd "$build" && ctest --output-on-failure -L e2e "${sel[@]}")
rc=$?
set -e
t1=$(date +%s)

servers=0
errors=0
lost=0
for f in "$logs"/vg.*.log; do
    [ -e "$f" ] || continue
    # a fork child of the server (tshark before its exec) leaves a stub log
    grep -q 'ERROR SUMMARY' "$f" || continue
    servers=$((servers + 1))
    e="$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$f" | tr -d , | tail -1)"
    l="$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tr -d , | tail -1)"
    errors=$((errors + ${e:-0}))
    lost=$((lost + ${l:-0}))
    if [ "${e:-0}" != 0 ] || [ "${l:-0}" != 0 ] ||
        grep -q -E 'Invalid (read|write|free)|uninitialised|Mismatched free' "$f"; then
        echo "# valgrind reported in $f:"
        grep -v '^==[0-9]*== *$' "$f" | head -80 | sed 's/^/#   /'
        rc=1
    fi
done
echo "valgrind: $servers server runs in $((t1 - t0)) s, $errors errors, $lost bytes definitely lost"
if [ "$servers" -eq 0 ]; then
    echo "valgrind: no server ran under valgrind" >&2
    rc=1
fi
if [ "$rc" -ne 0 ] || [ "${VALGRIND_KEEP:-0}" = 1 ]; then
    echo "valgrind: logs kept in $logs"
else
    rm -rf "$logs"
fi
exit "$rc"
