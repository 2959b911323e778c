-- latency [7 1000000 2000000 api checkout]
SELECT count(*), quantileExactInclusive(0.5)(duration_ms), quantileExactInclusive(0.95)(duration_ms), quantileExactInclusive(0.99)(duration_ms) FROM (SELECT duration_ms FROM events WHERE project_id = ? AND ts >= ? AND ts < ? AND ((service = ? AND position(lowerUTF8(message), ?) > 0)) AND (kind = 'span' AND duration_ms IS NOT NULL)) s;

