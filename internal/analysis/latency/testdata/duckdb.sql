-- latency [7 1000000 2000000 api checkout]
SELECT count(*), quantile_cont(duration_ms, 0.5), quantile_cont(duration_ms, 0.95), quantile_cont(duration_ms, 0.99) FROM (SELECT duration_ms FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND ((service = ? AND lore_contains_fold(message, ?))) AND (kind = 'span' AND duration_ms IS NOT NULL)) s;

