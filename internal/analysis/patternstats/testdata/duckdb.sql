-- patternstats.counts [pattern_id 7 1000000 2000000 error checkout]
WITH f AS (SELECT * FROM (SELECT ts, level, service, message, attr_values[list_position(attr_keys, ?)] AS pid, list_contains(attr_keys, 'pattern_id') AS has_pid FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND ((level = ? AND lore_contains_fold(message, ?))) AND (kind IN ('log', 'error'))) WHERE has_pid) SELECT pid, service, level, count(*), min(ts), max(ts), any_value(message) FROM f GROUP BY pid, service, level;

-- patternstats.buckets [pattern_id 7 1000000 2000000 error checkout 1000000 60000000 p1 p2]
WITH f AS (SELECT * FROM (SELECT ts, level, service, message, attr_values[list_position(attr_keys, ?)] AS pid, list_contains(attr_keys, 'pattern_id') AS has_pid FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND ((level = ? AND lore_contains_fold(message, ?))) AND (kind IN ('log', 'error'))) WHERE has_pid) SELECT pid, (ts - ?) // ? AS b, count(*) FROM f WHERE pid IN (?, ?) GROUP BY pid, b;

