#!/usr/bin/env bash
# tests/run_all.sh - install what is missing, build, and run every test:
#   1. clang-format check of src/ include/ tests/
#   2. plain build (warnings as errors) + ctest (unit and end-to-end)
#   3. ASan+UBSan build + the same ctest
#   4. libFuzzer harnesses (clang), FUZZ_SECONDS (default 30) each: tests/fuzz/run.sh
#   5. the container test (podman builds docker/Dockerfile and runs it)
# Captures are read from tests/captures (CAPTURES_DIR overrides). With
# CI=true a test that skips (ctest's "did not run") fails the run. Skip step 4 with PCAPCHART_SKIP_FUZZ=1, step 5
# with PCAPCHART_SKIP_CONTAINER=1.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
jobs="$(nproc 2>/dev/null || echo 2)"
export CAPTURES_DIR="${CAPTURES_DIR:-$repo/tests/captures}"

step() { printf '\n=== %s\n' "$*"; }

# A test that skipped (exit 77: no tshark, no captures, no browser) did not
# test anything: in CI (CI=true) that fails the run, elsewhere it is said.
# ctest lists them after "The following tests did not run:".
no_skips() {
  local skipped
  skipped=$(sed -n '/^The following tests did not run:/,/^$/p' "$1" | grep -E '^[[:space:]]+[0-9]+ - ' || true)
  [ -z "$skipped" ] && return 0
  if [ "${CI:-}" = true ]; then
    printf 'skipped tests are failures in CI (%s build):\n%s\n' "$2" "$skipped" >&2
    exit 1
  fi
  printf 'note: skipped (%s build; a failure when CI=true):\n%s\n' "$2" "$skipped" >&2
}

step "dependencies"
bash .ci/deps fuzz browser

step "clang-format"
bad=$(clang-format --dry-run -Werror src/*/*.c include/*.h include/*/*.h tests/*.c tests/*.h tests/fuzz/*.c 2>&1 | grep -c 'error:' || true)
if [ "$bad" != 0 ]; then
  clang-format --dry-run -Werror src/*/*.c include/*.h include/*/*.h tests/*.c tests/*.h tests/fuzz/*.c 2>&1 | head -20
  echo "clang-format: $bad places to fix (run clang-format -i)" >&2
  exit 1
fi
echo "clean"

for variant in plain asan; do
  step "build and test: $variant"
  dir="build-ci-$variant"
  flags=(-DWERROR=ON -DCAPTURES_DIR="$CAPTURES_DIR")
  [ "$variant" = asan ] && flags+=(-DSANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
  cmake -S . -B "$dir" "${flags[@]}" >/dev/null
  cmake --build "$dir" -j "$jobs"
  (cd "$dir" && ctest --output-on-failure -j "$jobs") 2>&1 | tee "$dir/ctest.log"
  no_skips "$dir/ctest.log" "$variant"
done

if [ "${PCAPCHART_SKIP_FUZZ:-0}" != 1 ]; then
  step "fuzz (${FUZZ_SECONDS:-30} s per harness)"
  FUZZ_SECONDS="${FUZZ_SECONDS:-30}" bash tests/fuzz/run.sh
fi

if [ "${PCAPCHART_SKIP_CONTAINER:-0}" != 1 ] && [ -f tests/container/test_image.sh ]; then
  step "container"
  bash tests/container/test_image.sh
fi
step "all tests passed"
