#!/usr/bin/env bash
# Single sign-on in Chromium: starts the test OpenID Connect provider
# (internal/auth/sso/ssotest/cmd/ssoprovider, a test tool that is never part
# of the lore binary) and a `lore serve` that trusts it, both on free
# loopback ports, runs web/e2e/sso.mjs against them and stops both.
# scripts/web-test.sh calls it with LORE_BIN and LORE_WEB_OUT set; alone it
# builds what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/lore-web-sso.XXXXXX")
shots="${SHOTS:-$work/shots}"
mkdir -p "$shots"
idp=""
lore=""
stop() {
  for p in $lore $idp; do
    if kill -0 "$p" 2>/dev/null; then
      kill -TERM "$p" 2>/dev/null || true
      wait "$p" 2>/dev/null || true
    fi
  done
  if [ -n "${SHOTS:-}" ]; then rm -rf "$work"; else rm -rf "$work/data" "$work/bin"; fi
}
trap stop EXIT

mkdir -p "$work/bin"
bin="${LORE_BIN:-}"
if [ -z "$bin" ]; then
  ${GO:-go} build -o "$work/bin/lore" ./cmd/lore
  bin="$work/bin/lore"
fi
dist="${LORE_WEB_OUT:-}"
if [ -z "$dist" ]; then
  dist="$work/dist"
  (cd web && LORE_WEB_OUT="$dist" npm run build >/dev/null)
fi
${GO:-go} build -o "$work/bin/ssoprovider" ./internal/auth/sso/ssotest/cmd/ssoprovider

secret="web-sso-secret-$RANDOM$RANDOM"
SSOPROVIDER_CLIENT_SECRET="$secret" "$work/bin/ssoprovider" --client-id lore >"$work/idp.log" 2>"$work/idp.err" &
idp=$!
for _ in $(seq 1 100); do
  grep -q '^issuer ' "$work/idp.log" && break
  sleep 0.1
done
issuer=$(sed -n 's/^issuer //p' "$work/idp.log" | head -1)
[ -n "$issuer" ] || { echo "web-sso: the provider did not start" >&2; cat "$work/idp.err" >&2; exit 1; }

LORE_OIDC_CLIENT_SECRET="$secret" "$bin" serve --data "$work/data" --addr 127.0.0.1:0 \
  --otlp-grpc-addr "" --ingest-key lore_sso_ingest --admin-key lore_sso_admin \
  --oidc-issuer "$issuer" --oidc-client-id lore --oidc-name "Test ID" --oidc-allowed-domains example.com \
  >"$work/lore.log" 2>&1 &
lore=$!
url=""
for _ in $(seq 1 300); do
  url=$(grep -o 'addr=127\.0\.0\.1:[0-9]*' "$work/lore.log" | head -1 | sed 's/^addr=/http:\/\//') || true
  [ -n "$url" ] && break
  kill -0 "$lore" 2>/dev/null || break
  sleep 0.1
done
[ -n "$url" ] || { echo "web-sso: lore serve did not start" >&2; cat "$work/lore.log" >&2; exit 1; }
echo "web-sso: provider at $issuer, lore at $url"

status=0
LORE_WEB_OUT="$dist" LORE_URL="$url" LORE_API_KEY=lore_sso_admin LORE_INGEST_KEY=lore_sso_ingest LORE_OIDC_ISSUER="$issuer" SHOTS="$shots" \
  CHROMIUM="${CHROMIUM:-/usr/bin/chromium}" node web/e2e/sso.mjs || status=$?
if [ "$status" != 0 ]; then
  echo "web-sso: provider log:" >&2; cat "$work/idp.err" >&2
  echo "web-sso: lore log:" >&2; tail -40 "$work/lore.log" >&2
fi
exit "$status"
