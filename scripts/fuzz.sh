#!/usr/bin/env bash
# Runs every fuzz target in the module for $FUZZTIME each (default 5s). The
# kept corpora in testdata/fuzz already run as ordinary tests in `go test`;
# this explores further on a time budget, as CI can afford.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-5s}
status=0
while IFS= read -r line; do
  file=${line%%:*}
  target=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"${line#*:}")
  pkg=./$(dirname "$file")
  echo "fuzz $pkg $target ($fuzztime)"
  ok=0
  for attempt in 1 2; do
    if go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" -fuzzminimizetime=3s -parallel=2 "$pkg" > /tmp/lore-fuzz.$$ 2>&1; then
      ok=1
      break
    fi
    # The fuzzer's coordinator sometimes ends a run with a bare "context
    # deadline exceeded" when a worker is busy at the time limit; that is
    # not a finding (no failing input is written), so it gets one retry.
    if grep -q "Failing input written" /tmp/lore-fuzz.$$ || ! grep -q "context deadline exceeded" /tmp/lore-fuzz.$$; then
      break
    fi
    echo "  (fuzzer timed out without a finding; retrying once)"
  done
  if [ $ok = 0 ]; then
    cat /tmp/lore-fuzz.$$
    status=1
  fi
done < <(grep -rE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(' internal | sort)
rm -f /tmp/lore-fuzz.$$
exit $status
