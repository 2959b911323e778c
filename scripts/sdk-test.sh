#!/usr/bin/env bash
# Builds the browser SDK (sdk/js) and tests it in real headless Chromium
# against a whole Lore server: installs what it needs first (Node's
# packages with npm, Debian's chromium with apt-get when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "sdk-test: installing Node.js" >&2
  apt-get update -qq && apt-get install -y -qq nodejs npm
fi
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "sdk-test: installing chromium" >&2
  apt-get update -qq && apt-get install -y -qq chromium
fi
(cd sdk/js && { npm ci --no-audit --no-fund || npm install --no-audit --no-fund; } && npm run build)
LORE_SDK_TEST=1 ${GO:-go} test -count=1 -run 'TestBrowserSDK|TestBrowserReplay' ./internal/e2e/
