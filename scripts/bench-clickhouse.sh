#!/usr/bin/env bash
# `make bench-clickhouse`: the benchmark on a ClickHouse events store, one
# Lore node and two. Starts Debian's clickhouse-server (installed with
# apt-get when missing) on loopback, on free ports, with its own data
# directory, runs `lore bench --store clickhouse://…` for each workload
# and node count on a fresh database, and stops the server after.
#
#   scripts/bench-clickhouse.sh [EVENTS]     (default 1000000)
set -euo pipefail
events="${1:-1000000}"
lore="${LORE:-bin/lore}"
[ -x "$lore" ] || { echo "bench-clickhouse: $lore not built (make build)" >&2; exit 1; }

bin=$(command -v clickhouse-server || true)
if [ -z "$bin" ]; then
  echo "bench-clickhouse: installing clickhouse-server" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server >/dev/null
  bin=$(command -v clickhouse-server)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dir=$(mktemp -d /tmp/lore-bench-ch.XXXXXX)
http_port=$(free_port)
tcp_port=$(free_port)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

# Like internal/chtest's server, but with ClickHouse's own thread count
# (every core) and an 8 GB memory limit a query: what a deployment runs.
cat >"$dir/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$dir/server.log</log><errorlog>$dir/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$http_port</http_port>
  <tcp_port>$tcp_port</tcp_port>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>20</max_concurrent_queries>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
</yandex>
EOF
cat >"$dir/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>8000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
EOF
(cd "$dir" && exec "$bin" --config-file="$dir/config.xml" >/dev/null 2>&1) &
pid=$!
for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$http_port/ping" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { echo "bench-clickhouse: clickhouse-server exited" >&2; cat "$dir/error.log" >&2 || true; exit 1; }
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$http_port/ping" >/dev/null
echo "clickhouse-server $(curl -fsS "http://127.0.0.1:$http_port/?query=SELECT%20version()") on 127.0.0.1:$http_port, data in $dir"

n=0
for workload in shop freeform; do
  for nodes in 1 2; do
    n=$((n + 1))
    "$lore" bench --workload "$workload" --events "$events" --nodes "$nodes" \
      --store "clickhouse://127.0.0.1:$http_port/bench$n"
  done
done
