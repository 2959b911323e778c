-- status:429 | stats count() as n, p95(duration_ms), uniq(user_id) by endpoint | sort n desc | limit 10
-- args: [7 1796115600000000 1796202000000000 429 10 10]
SELECT "c:endpoint" AS "endpoint", "c:n" AS "n", "c:p95(duration_ms)" AS "p95(duration_ms)", "c:uniq(user_id)" AS "uniq(user_id)" FROM (SELECT * FROM (SELECT "k:0" AS "c:endpoint", count(*) AS "c:n", quantile_cont(duration_ms, 0.95) AS "c:p95(duration_ms)", count(DISTINCT user_id) AS "c:uniq(user_id)" FROM (SELECT *, endpoint AS "k:0" FROM (SELECT * FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (http_status = ?)) AS t1) AS t2 GROUP BY "k:0") AS t3 ORDER BY "c:n" DESC LIMIT ?) AS t4 ORDER BY "c:n" DESC LIMIT ?;

-- | stats sum(duration_ms), avg(duration_ms), min(duration_ms), max(duration_ms), p50(duration_ms), p90(duration_ms), p99(duration_ms), rate()
-- args: [86400 7 1796115600000000 1796202000000000 10000]
SELECT "c:sum(duration_ms)" AS "sum(duration_ms)", "c:avg(duration_ms)" AS "avg(duration_ms)", "c:min(duration_ms)" AS "min(duration_ms)", "c:max(duration_ms)" AS "max(duration_ms)", "c:p50(duration_ms)" AS "p50(duration_ms)", "c:p90(duration_ms)" AS "p90(duration_ms)", "c:p99(duration_ms)" AS "p99(duration_ms)", "c:rate" AS "rate" FROM (SELECT sum(duration_ms) AS "c:sum(duration_ms)", avg(duration_ms) AS "c:avg(duration_ms)", min(duration_ms) AS "c:min(duration_ms)", max(duration_ms) AS "c:max(duration_ms)", quantile_cont(duration_ms, 0.5) AS "c:p50(duration_ms)", quantile_cont(duration_ms, 0.9) AS "c:p90(duration_ms)", quantile_cont(duration_ms, 0.99) AS "c:p99(duration_ms)", count(*) / ? AS "c:rate" FROM (SELECT * FROM (SELECT * FROM events WHERE project_id = ? AND ts >= ? AND ts < ?) AS t1) AS t2) AS t3 LIMIT ?;

-- name:payment_gateway_retry status:429 | stats count() by bin(1h)
-- args: [3600000000 3600000000 7 1796115600000000 1796202000000000 payment_gateway_retry 429 10000]
SELECT "c:time" AS "time", "c:count" AS "count" FROM (SELECT "k:0" AS "c:time", count(*) AS "c:count" FROM (SELECT *, ((ts) // (?)) * ? AS "k:0" FROM (SELECT * FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND ((name = ? AND http_status = ?))) AS t1) AS t2 GROUP BY "k:0") AS t3 ORDER BY "c:time" LIMIT ?;

-- level:error | timechart span=5m count() by service
-- args: [300000000 300000000 7 1796115600000000 1796202000000000 error 10000]
SELECT "c:time" AS "time", "c:service" AS "service", "c:count" AS "count" FROM (SELECT "k:0" AS "c:time", "k:1" AS "c:service", count(*) AS "c:count" FROM (SELECT *, ((ts) // (?)) * ? AS "k:0", service AS "k:1" FROM (SELECT * FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (level = ?)) AS t1) AS t2 GROUP BY "k:0", "k:1") AS t3 ORDER BY "c:time" LIMIT ?;

-- status:429 | top 10 user
-- args: [7 1796115600000000 1796202000000000 429 10 10]
SELECT "c:user" AS "user", "c:count" AS "count" FROM (SELECT * FROM (SELECT "k:0" AS "c:user", count(*) AS "c:count" FROM (SELECT *, user_id AS "k:0" FROM (SELECT * FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (http_status = ?)) AS t1) AS t2 GROUP BY "k:0") AS t3 ORDER BY "c:count" DESC, "c:user" LIMIT ?) AS t4 ORDER BY "c:count" DESC, "c:user" LIMIT ?;

-- | rare 3 endpoint
-- args: [7 1796115600000000 1796202000000000 3 3]
SELECT "c:endpoint" AS "endpoint", "c:count" AS "count" FROM (SELECT * FROM (SELECT "k:0" AS "c:endpoint", count(*) AS "c:count" FROM (SELECT *, endpoint AS "k:0" FROM (SELECT * FROM events WHERE project_id = ? AND ts >= ? AND ts < ?) AS t1) AS t2 GROUP BY "k:0") AS t3 ORDER BY "c:count" ASC, "c:endpoint" LIMIT ?) AS t4 ORDER BY "c:count" ASC, "c:endpoint" LIMIT ?;

-- | where duration_ms > 250 and (status >= 500 or lower(service) = "api")
-- args: [7 1796115600000000 1796202000000000 250 500 api 10000]
SELECT ts AS "ts", service AS "service", level AS "level", message AS "message" FROM (SELECT * FROM (SELECT * FROM events WHERE project_id = ? AND ts >= ? AND ts < ?) AS t1 WHERE ((duration_ms > ?) AND ((http_status >= ?) OR (lower(service) = ?)))) AS t2 ORDER BY ts DESC LIMIT ?;

-- | eval secs = duration_ms / 1000, who = concat(user, "@", service), slow = if(duration_ms > 1000, "slow", "ok") | fields ts, who, secs, slow
-- args: [1000 @ 1000 slow ok 7 1796115600000000 1796202000000000 10000]
SELECT ts AS "ts", "c:who" AS "who", "c:secs" AS "secs", "c:slow" AS "slow" FROM (SELECT *, (duration_ms / nullif(?, 0)) AS "c:secs", concat(coalesce(user_id, ''), coalesce(?, ''), coalesce(service, '')) AS "c:who", (CASE WHEN (duration_ms > ?) THEN ? ELSE ? END) AS "c:slow" FROM (SELECT * FROM events WHERE project_id = ? AND ts >= ? AND ts < ?) AS t1) AS t2 ORDER BY ts DESC LIMIT ?;

-- | extract "user=<user> took <ms>ms" | stats p95(ms) as p95 by user
-- args: [user=(.*?) took (?:.*?)ms user=(?:.*?) took (.*?)ms 7 1796115600000000 1796202000000000 10000]
SELECT "c:user" AS "user", "c:p95" AS "p95" FROM (SELECT "k:0" AS "c:user", quantile_cont(TRY_CAST("c:ms" AS DOUBLE), 0.95) AS "c:p95" FROM (SELECT *, "c:user" AS "k:0" FROM (SELECT *, regexp_extract(substring(coalesce(message, ''), 1, 4096), ?, 1) AS "c:user", regexp_extract(substring(coalesce(message, ''), 1, 4096), ?, 1) AS "c:ms" FROM (SELECT * FROM events WHERE project_id = ? AND ts >= ? AND ts < ?) AS t1) AS t2) AS t3 GROUP BY "k:0") AS t4 ORDER BY "c:p95" DESC LIMIT ?;

-- | fields ts, service, endpoint, status
-- args: [7 1796115600000000 1796202000000000 10000]
SELECT ts AS "ts", service AS "service", endpoint AS "endpoint", http_status AS "status" FROM (SELECT * FROM events WHERE project_id = ? AND ts >= ? AND ts < ?) AS t1 ORDER BY ts DESC LIMIT ?;

-- | sort duration_ms desc, ts | limit 5
-- args: [7 1796115600000000 1796202000000000 5 5]
SELECT ts AS "ts", service AS "service", level AS "level", message AS "message" FROM (SELECT * FROM (SELECT * FROM events WHERE project_id = ? AND ts >= ? AND ts < ?) AS t1 ORDER BY duration_ms DESC, ts LIMIT ?) AS t2 ORDER BY duration_ms DESC, ts LIMIT ?;

-- error_type:* | dedup fingerprint | fields ts, fingerprint, message
-- args: [7 1796115600000000 1796202000000000 1 10000]
SELECT ts AS "ts", fingerprint AS "fingerprint", message AS "message" FROM (SELECT * FROM (SELECT * FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (error_type <> '')) AS t1 QUALIFY row_number() OVER (PARTITION BY fingerprint ORDER BY ts DESC) <= ?) AS t2 ORDER BY ts DESC LIMIT ?;

-- | stats count() as failed by user | sort failed desc | limit 10
-- args: [7 1796115600000000 1796202000000000 10 10]
SELECT "c:user" AS "user", "c:failed" AS "failed" FROM (SELECT * FROM (SELECT "k:0" AS "c:user", count(*) AS "c:failed" FROM (SELECT *, user_id AS "k:0" FROM (SELECT * FROM events WHERE project_id = ? AND ts >= ? AND ts < ?) AS t1) AS t2 GROUP BY "k:0") AS t3 ORDER BY "c:failed" DESC LIMIT ?) AS t4 ORDER BY "c:failed" DESC LIMIT ?;

-- message:"card declined" | stats uniq(session_id) as sessions
-- args: [7 1796115600000000 1796202000000000 card declined 10000]
SELECT "c:sessions" AS "sessions" FROM (SELECT count(DISTINCT session_id) AS "c:sessions" FROM (SELECT * FROM (SELECT * FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND (lore_contains_fold(message, ?))) AS t1) AS t2) AS t3 LIMIT ?;

