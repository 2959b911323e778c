-- issuestats.groups [7 1000000 2000000 1.0 checkout]
SELECT fingerprint, count(*), count(DISTINCT CASE WHEN user_id <> '' THEN user_id END), min(ts), max(ts), coalesce(arg_min(release, ts) FILTER (WHERE release <> ''), ''), coalesce(arg_max(release, ts) FILTER (WHERE release <> ''), '') FROM (SELECT fingerprint, ts, user_id, release FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND ((release = ? AND lore_contains_fold(message, ?))) AND (kind = 'error')) e GROUP BY fingerprint;

-- issuestats.total [7 1000000 2000000 1.0 checkout [fa fb]]
SELECT count(*), count(DISTINCT CASE WHEN user_id <> '' THEN user_id END), min(ts), max(ts), coalesce(arg_min(release, ts) FILTER (WHERE release <> ''), ''), coalesce(arg_max(release, ts) FILTER (WHERE release <> ''), '') FROM (SELECT fingerprint, ts, user_id, release FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND ((release = ? AND lore_contains_fold(message, ?))) AND (kind = 'error' AND fingerprint IN (SELECT unnest(?::VARCHAR[])))) e HAVING count(*) > 0;

-- issuestats.edge [7 1000000 2000000 [fa]]
SELECT fingerprint, count(*), min(ts), max(ts), coalesce(min(ts) FILTER (WHERE release <> ''), 0), coalesce(max(ts) FILTER (WHERE release <> ''), 0), coalesce(arg_min(release, ts) FILTER (WHERE release <> ''), ''), coalesce(arg_max(release, ts) FILTER (WHERE release <> ''), '') FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND kind = 'error' AND fingerprint IN (SELECT unnest(?::VARCHAR[])) GROUP BY fingerprint;

-- issuestats.series [1000000 3600000000 7 1000000 2000000 [fa fb]]
SELECT fingerprint, (ts - ?) // ? AS b, count(*) FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND kind = 'error' AND fingerprint IN (SELECT unnest(?::VARCHAR[])) GROUP BY fingerprint, b;

