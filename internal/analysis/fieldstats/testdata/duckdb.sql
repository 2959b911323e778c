-- fieldstats.usage [7 32400000000 72000000000]
SELECT field, type, service, min(hour), CAST(sum(count) AS BIGINT), min(first_ts), max(last_ts) FROM field_seen WHERE project_id = ? AND hour > ? AND hour < ? GROUP BY field, type, service ORDER BY field, type, service;

-- fieldstats.first_seen [7]
SELECT field, type, '', min(hour), CAST(sum(count) AS BIGINT), min(first_ts), max(last_ts) FROM field_seen WHERE project_id = ? GROUP BY field, type ORDER BY field, type;

-- fieldstats.value_days [7 777600000000 1036800000000]
SELECT day, field, sketch, examples FROM field_values WHERE project_id = ? AND day > ? AND day < ? ORDER BY field, day;

