-- issuestats.groups [7 1000000 2000000 1.0 checkout]
SELECT fingerprint, count(*), uniqExact(CASE WHEN user_id <> '' THEN user_id END), min(ts), max(ts), coalesce(argMinIf(release, ts, release <> ''), ''), coalesce(argMaxIf(release, ts, release <> ''), '') FROM (SELECT fingerprint, ts, user_id, release FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND ((release = ? AND position(lowerUTF8(message), ?) > 0)) AND (kind = 'error')) e GROUP BY fingerprint;

-- issuestats.total [7 1000000 2000000 1.0 checkout [fa fb]]
SELECT count(*), uniqExact(CASE WHEN user_id <> '' THEN user_id END), min(ts), max(ts), coalesce(argMinIf(release, ts, release <> ''), ''), coalesce(argMaxIf(release, ts, release <> ''), '') FROM (SELECT fingerprint, ts, user_id, release FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND ((release = ? AND position(lowerUTF8(message), ?) > 0)) AND (kind = 'error' AND has(?, fingerprint))) e HAVING count(*) > 0;

-- issuestats.edge [7 1000000 2000000 [fa]]
SELECT fingerprint, count(*), min(ts), max(ts), coalesce(minIf(ts, release <> ''), 0), coalesce(maxIf(ts, release <> ''), 0), coalesce(argMinIf(release, ts, release <> ''), ''), coalesce(argMaxIf(release, ts, release <> ''), '') FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND kind = 'error' AND has(?, fingerprint) GROUP BY fingerprint;

-- issuestats.series [1000000 3600000000 7 1000000 2000000 [fa fb]]
SELECT fingerprint, intDiv(ts - ?, ?) AS b, count(*) FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND kind = 'error' AND has(?, fingerprint) GROUP BY fingerprint, b;

