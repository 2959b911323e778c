-- productindex.idents []
SELECT project_id, anonymous_id, min(user_id) FROM idents GROUP BY project_id, anonymous_id;

-- productindex.rows []
SELECT project_id, ts, CASE WHEN user_id <> '' THEN user_id ELSE anonymous_id END, kind, level, name, CASE WHEN kind = 'error' OR level IN ('error', 'fatal') THEN 'error: ' || coalesce(nullif(error_type, ''), nullif(name, ''), left(message, 60)) WHEN kind = 'pageview' AND name = '$pageview' THEN coalesce(nullif(attr_values[list_position(attr_keys, 'path')], ''), nullif(endpoint, ''), name) ELSE name END FROM events WHERE (user_id <> '' OR anonymous_id <> '') AND (kind IN ('event', 'pageview', 'error') OR level IN ('error', 'fatal'));

