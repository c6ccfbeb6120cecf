#!/usr/bin/env bash
# tests/fuzz/run.sh - build the libFuzzer harnesses (clang, -DFUZZ=ON) and run
# each for FUZZ_SECONDS on a copy of its seed corpus; exit 1 on any crash,
# sanitizer report, leak, timeout or failed check.
#
#   FUZZ_SECONDS=60      seconds per harness (default 60)
#   FUZZ_TARGETS="..."   harnesses to run (default: every one built)
#   FUZZ_BUILD_DIR=DIR   build directory (default build-fuzz in the repository)
#   FUZZ_KEEP=1          keep the work directory (corpora grown, logs) at the end
#
# Nothing is written into the repository but the build directory: corpora,
# logs and the server's temp files live in a temp directory, which is kept
# (and named) when a harness fails, so the crash input can be replayed with
#   build-fuzz/tests/fuzz/fuzz_NAME CRASH_FILE
# Needs clang and libFuzzer's runtime (bash .ci/deps fuzz).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
secs="${FUZZ_SECONDS:-60}"
build="${FUZZ_BUILD_DIR:-$repo/build-fuzz}"
jobs="$(nproc 2>/dev/null || echo 2)"

if ! command -v clang >/dev/null; then
    echo "fuzz: clang not found (bash .ci/deps fuzz)" >&2
    exit 1
fi
mkdir -p "$build"
blog="$build/fuzz-build.log"
if ! CC=clang cmake -S "$repo" -B "$build" -DFUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    >"$blog" 2>&1 || ! cmake --build "$build" --target fuzz -j "$jobs" >>"$blog" 2>&1; then
    tail -40 "$blog" >&2
    echo "fuzz: build failed (log: $blog)" >&2
    exit 1
fi

bindir="$build/tests/fuzz"
if [ -n "${FUZZ_TARGETS:-}" ]; then
    targets="$FUZZ_TARGETS"
else
    targets=""
    for f in "$bindir"/fuzz_*; do
        name="$(basename "$f")"
        [ -x "$f" ] && [ "$name" != fuzz_fake_tshark ] && targets+=" $name"
    done
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/pcapchart-fuzz.XXXXXX")"
keep="${FUZZ_KEEP:-0}"
cleanup() { [ "$keep" = 1 ] && echo "fuzz: kept $work" || rm -rf "$work"; }
trap cleanup EXIT

passed=0
failed=0
for t in $targets; do
    h="${t#fuzz_}"
    d="$work/$t"
    mkdir -p "$d/corpus" "$d/artifacts" "$d/tmp"
    if [ -d "$repo/tests/fuzz/corpus/$h" ]; then
        cp -r "$repo/tests/fuzz/corpus/$h/." "$d/corpus/"
    fi
    seeds="$(find "$d/corpus" -type f | wc -l)"
    args=(-max_total_time="$secs" -timeout=60 -rss_limit_mb=4096 -print_final_stats=1
          -artifact_prefix="$d/artifacts/")
    [ -f "$repo/tests/fuzz/$h.dict" ] && args+=(-dict="$repo/tests/fuzz/$h.dict")
    t0=$(date +%s)
    set +e
    (cd "$d" && TMPDIR="$d/tmp" \
        ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1" \
        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
        "$bindir/$t" "${args[@]}" "$d/corpus" >"$d/log" 2>&1)
    rc=$?
    set -e
    t1=$(date +%s)
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/log" | tail -1)"
    runs="${runs:-0}"
    el=$((t1 - t0))
    [ "$el" -gt 0 ] || el=1
    grown="$(find "$d/corpus" -type f | wc -l)"
    extra="$(grep -h '^fuzz_' "$d/log" | grep -v 'INFO' | tail -1 || true)"
    crashes="$(find "$d/artifacts" -type f | wc -l)"
    if [ "$rc" -eq 0 ] && [ "$crashes" -eq 0 ]; then
        passed=$((passed + 1))
        printf 'ok   %-12s %9s runs in %3d s (%6d/s), corpus %d -> %d %s\n' "$t" "$runs" \
            "$el" $((runs / el)) "$seeds" "$grown" "${extra:+ [$extra]}"
    else
        failed=$((failed + 1))
        keep=1
        printf 'FAIL %-12s exit %d after %d runs; inputs in %s\n' "$t" "$rc" "$runs" \
            "$d/artifacts"
        grep -E -m 40 'ERROR|SUMMARY|fuzz_[a-z]+: |runtime error|#[0-9]+ 0x' "$d/log" |
            head -40 | sed 's/^/#   /'
        echo "#   full log: $d/log"
    fi
done
echo "fuzz: $secs s per harness"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
