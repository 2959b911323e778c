#!/usr/bin/env bash
# Measures the UI's speed in headless Chromium on a large store: Explore's
# first results and the Overview, against `lore serve` on a copy of DATA (a
# data directory, e.g. the 10M-event day the narrative benchmark leaves in
# /tmp/lore-narrative-10000000-v1). The copy, the server and the build are
# removed afterwards (the screenshots are kept; their paths are printed).
# SPEED_STRICT=1 fails beyond the targets (1 s, 2 s).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?usage: scripts/web-speed.sh DATA_DIR}
[ -d "$data/events" ] || { echo "web-speed: $data is not a Lore data directory" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/lore-web-speed.XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
echo "web-speed: copying $data ($(du -sh "$data" | cut -f1))"
cp -r "$data" "$work/data"
(cd web && npm ci --no-audit --no-fund && LORE_WEB_OUT="$work/dist" npm run build >/dev/null)
${GO:-go} build -o "$work/lore" ./cmd/lore
# The browser signs in as a user of its own, added to the copy.
LORE_SPEED_PASSWORD=lore-speed-password "$work/lore" users add --data "$work/data" speed@lore.local --role admin \
  --password-env LORE_SPEED_PASSWORD >/dev/null
"$work/lore" serve --data "$work/data" --addr 127.0.0.1:0 --otlp-grpc-addr "" --read-key lore_speed_read >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  grep -q 'addr=127\.0\.0\.1:[0-9]*' "$work/serve.log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.5
done
url=http://$(grep -o 'addr=127\.0\.0\.1:[0-9]*' "$work/serve.log" | head -1 | cut -d= -f2)
echo "web-speed: lore serve at $url"
shots=$(mktemp -d "${TMPDIR:-/tmp}/lore-web-speed-shots.XXXXXX")
LORE_WEB_OUT="$work/dist" LORE_URL="$url" LORE_READ_KEY=lore_speed_read SHOTS="$shots" \
  LORE_EMAIL=speed@lore.local LORE_PASSWORD=lore-speed-password \
  CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" node web/e2e/speed.mjs
