-- productindex.idents []
SELECT project_id, anonymous_id, min(user_id) FROM idents GROUP BY project_id, anonymous_id;

-- productindex.rows []
SELECT project_id, ts, CASE WHEN user_id <> '' THEN user_id ELSE anonymous_id END, kind, level, name, CASE WHEN kind = 'error' OR level IN ('error', 'fatal') THEN 'error: ' || coalesce(nullif(error_type, ''), nullif(name, ''), substringUTF8(message, 1, 60)) WHEN kind = 'pageview' AND name = '$pageview' THEN coalesce(nullif(if(has(attr_keys, 'path'), attr_values[indexOf(attr_keys, 'path')], NULL), ''), nullif(endpoint, ''), name) ELSE name END FROM events WHERE (user_id <> '' OR anonymous_id <> '') AND (kind IN ('event', 'pageview', 'error') OR level IN ('error', 'fatal'));

