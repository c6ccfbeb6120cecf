#!/usr/bin/env bash
# tests/browser/run.sh - ctest's entry to the browser test (label "browser").
# Returns 77 (skip) only when node or chromium is missing. Installs
# playwright-core from package-lock.json (npm ci) when node_modules is not
# there; it never downloads a browser: Debian's chromium is the one used.
# Screenshots go to $ARTIFACTS_DIR, else <build dir>/artifacts.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node not found (bash .ci/deps browser installs it)"
  exit 77
fi
if [ ! -x "$CHROMIUM" ]; then
  echo "SKIP: $CHROMIUM not found (bash .ci/deps browser installs it)"
  exit 77
fi
export ARTIFACTS_DIR="${ARTIFACTS_DIR:-${BROWSER_BUILD_DIR:-$here}/artifacts}"
cd "$here"
if [ ! -d node_modules/playwright-core ]; then
  echo "# npm ci (playwright-core, no browser download)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
exec node browser_test.js
