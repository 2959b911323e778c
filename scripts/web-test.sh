#!/usr/bin/env bash
# Tests the web UI: its component tests (Vitest), its production build (gzip
# size reported and budgeted), and every page in headless Chromium against a
# real `lore demo` on a free port. The build goes to a temporary directory, so
# web/dist (and its committed placeholder.html) stays untouched. Screenshots
# of every page are kept in a temporary directory whose paths are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "web-test: installing Node.js" >&2
  apt-get update -qq && apt-get install -y -qq nodejs npm
fi
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "web-test: installing chromium" >&2
  apt-get update -qq && apt-get install -y -qq chromium
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lore-web-test.XXXXXX")
shots="$work/shots"
mkdir -p "$shots"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work/data" "$work/lore" "$work/dist"
}
trap cleanup EXIT

# The lock pins every platform's optional packages, so npm ci installs exactly it.
(cd web && npm ci --no-audit --no-fund)
(cd web && npx vitest run)
(cd web && LORE_WEB_OUT="$work/dist" npm run build)

${GO:-go} build -o "$work/lore" ./cmd/lore
# --allow-private-webhooks: the alerting test's receivers listen on loopback.
# The browser signs in as the demo's user; the checks' own API calls use an
# admin key (LORE_API_KEY), pinned here.
"$work/lore" demo --seed "${LORE_SEED:-1}" --data "$work/data" --addr 127.0.0.1:0 --otlp-grpc-addr "" --days 2 --sessions-per-day 400 --live=false \
  --allow-private-webhooks --admin-key lore_web_test_admin >"$work/demo.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  grep -q 'history loaded' "$work/demo.log" && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "web-test: lore demo exited:" >&2
    cat "$work/demo.log" >&2
    exit 1
  fi
  sleep 0.5
done
grep -q 'history loaded' "$work/demo.log" || { echo "web-test: the demo's history did not load in 5 min" >&2; cat "$work/demo.log" >&2; exit 1; }
url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/demo.log" | head -1)
echo "web-test: lore demo at $url"

LORE_WEB_OUT="$work/dist" LORE_URL="$url" LORE_READ_KEY=lore_demo_read LORE_API_KEY=lore_web_test_admin SHOTS="$shots" \
  CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" node web/e2e/drive.mjs
# The Fields, Dashboards and Settings pages (pinning, YAML import/export, templates).
LORE_WEB_OUT="$work/dist" LORE_URL="$url" LORE_READ_KEY=lore_demo_read LORE_API_KEY=lore_web_test_admin SHOTS="$shots" \
  CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" node web/e2e/meta.mjs
# The Product analyses, Incident, Explore's autocomplete and live tail, bulk
# issue changes (set back afterwards), keyboard and theme.
LORE_WEB_OUT="$work/dist" LORE_URL="$url" LORE_READ_KEY=lore_demo_read LORE_API_KEY=lore_web_test_admin LORE_INGEST_KEY=lore_demo_ingest SHOTS="$shots" \
  CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" node web/e2e/analyses.mjs
# Monitors: create through the form, evaluate, list, Overview's "monitors down".
LORE_WEB_OUT="$work/dist" LORE_URL="$url" LORE_READ_KEY=lore_demo_read LORE_API_KEY=lore_web_test_admin SHOTS="$shots" \
  CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" node web/e2e/monitors.mjs
# The UI for daily use: time picker and zone, journeys at their moment, the
# span waterfall, the issue stream, Explore's event panel, the Overview's
# deltas; the browser in Los Angeles; every page at 1440x900, light and dark.
LORE_WEB_OUT="$work/dist" LORE_URL="$url" LORE_READ_KEY=lore_demo_read LORE_API_KEY=lore_web_test_admin SHOTS="$shots" \
  CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" TZ_ID=America/Los_Angeles node web/e2e/daily.mjs
# Figures of the previous range dimmed while the new range loads (the API
# slowed down), on every page; the header's links in sight at 1280-1920 px.
LORE_WEB_OUT="$work/dist" LORE_URL="$url" LORE_READ_KEY=lore_demo_read LORE_API_KEY=lore_web_test_admin SHOTS="$shots" \
  CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" node web/e2e/figures.mjs
# Alerting: channels in Settings, an uptime check on the Status page, a check
# monitor alerting a channel and resolving, a monitor grouped by service.
LORE_WEB_OUT="$work/dist" LORE_URL="$url" LORE_READ_KEY=lore_demo_read LORE_API_KEY=lore_web_test_admin SHOTS="$shots" \
  CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" node web/e2e/alerts.mjs
# Session replay: a recorded session's replay plays beside its story, its
# timeline's lines seek it, the rage click's trace tells the 429.
LORE_WEB_OUT="$work/dist" LORE_URL="$url" LORE_READ_KEY=lore_demo_read LORE_API_KEY=lore_web_test_admin SHOTS="$shots" \
  CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" node web/e2e/replay.mjs
# Session replay of a real page: recorded by the SDK in Chromium, played in the UI.
LORE_WEB_OUT="$work/dist" LORE_URL="$url" LORE_READ_KEY=lore_demo_read LORE_API_KEY=lore_web_test_admin LORE_INGEST_KEY=lore_demo_ingest SHOTS="$shots" \
  CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" node web/e2e/replay-real.mjs
# Pipes: a query with pipes in Explore (suggestions, chart, table, a refused
# pipe), pinned to a dashboard, and an aggregate monitor from the form.
LORE_WEB_OUT="$work/dist" LORE_URL="$url" LORE_READ_KEY=lore_demo_read LORE_API_KEY=lore_web_test_admin SHOTS="$shots" \
  CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" node web/e2e/pipes.mjs
# People and access: the Access page (members, keys, audit log), a new
# member's one-time login link, a viewer's limits.
LORE_WEB_OUT="$work/dist" LORE_URL="$url" LORE_API_KEY=lore_web_test_admin SHOTS="$shots" \
  CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" node web/e2e/access.mjs
# Single sign-on: "Sign in with …" through a test OpenID Connect provider's
# sign-in page and back, against a lore serve of its own (both on free ports).
LORE_BIN="$work/lore" LORE_WEB_OUT="$work/dist" SHOTS="$shots" CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" scripts/web-sso.sh
# Sampled counts: Explore's facets and note, the Overview's totals say they
# are estimated (sets the demo's sampling, then back to keep everything).
LORE_WEB_OUT="$work/dist" LORE_URL="$url" LORE_API_KEY=lore_web_test_admin LORE_INGEST_KEY=lore_demo_ingest SHOTS="$shots" \
  CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" node web/e2e/sampled.mjs
