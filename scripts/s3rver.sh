#!/usr/bin/env bash
# Installs the S3-compatible server the cold tier's bucket tests run
# (s3rver from npm, internal/objstore/s3test) where they look for it, and
# Node.js with apt-get when missing, so that those tests run rather than
# skip on a fresh machine. The tests install s3rver themselves when npm is
# there; this covers the machine without Node.
set -euo pipefail
version=3.7.1 # s3test.Version
dir="${XDG_CACHE_HOME:-$HOME/.cache}/lore-test/s3rver-$version"
[ -x "$dir/node_modules/.bin/s3rver" ] && exit 0
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "s3rver: installing Node.js" >&2
  apt-get update -qq && apt-get install -y -qq nodejs npm
fi
mkdir -p "$dir"
npm install --no-audit --no-fund --loglevel=error --prefix "$dir" "s3rver@$version"
