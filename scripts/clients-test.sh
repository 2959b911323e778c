#!/usr/bin/env bash
# The clients suite: installs the real clients pinned in
# scripts/clients/package-lock.json (npm ci), and Debian's chromium and
# python3-sentry-sdk when missing, then drives them against a whole Lore
# server (internal/e2e's TestClients).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
/usr/bin/python3 -c 'import sentry_sdk' 2>/dev/null || missing+=(python3-sentry-sdk)
if [ ${#missing[@]} -gt 0 ]; then
  echo "clients-test: installing ${missing[*]}" >&2
  apt-get update -qq && apt-get install -y -qq "${missing[@]}"
fi
# npm ci only when the lock changed since the last install (it wipes and
# refetches everything, a minute).
(cd scripts/clients && { cmp -s package-lock.json node_modules/.lore-installed-lock 2>/dev/null ||
  { npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.lore-installed-lock; }; })
LORE_CLIENTS_TEST=1 ${GO:-go} test -count=1 -timeout 20m -run TestClients ./internal/e2e/
