package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/lore-dev/lore/internal/store"
)

// Web computes web analytics in two queries over one CTE chain: product
// events with their person and session (a session id, or a person's run
// of events without a gap over 30 minutes), per-session facts, then the
// totals and every top list with one window function.
func (s *Store) Web(ctx context.Context, r store.WebRequest) (store.WebStats, error) {
	if err := validRange(r.Range); err != nil {
		return store.WebStats{}, fmt.Errorf("web: %w", err)
	}
	if r.Limit <= 0 {
		r.Limit = 10
	}
	// Each key with its dotted spelling (utm.source, device.type), as
	// some senders flatten them.
	attr := func(k string) string {
		dotted := strings.Replace(k, "_", ".", 1)
		return "coalesce(nullif(attr_values[list_position(attr_keys, '" + k + "')], ''), attr_values[list_position(attr_keys, '" + dotted + "')], '')"
	}
	var q sqlBuf
	q.add("WITH ")
	identsCTE(&q, r.ProjectID)
	q.add(", raw AS (SELECT ts, kind, session_id, " + personKey + " AS k, " +
		"CASE WHEN kind = 'pageview' THEN " + pageExpr + " END AS page, " +
		attr("referrer") + " AS referrer, " + attr("utm_source") + " AS utm_source, " + attr("utm_campaign") + " AS utm_campaign, " +
		attr("browser") + " AS browser, " + attr("os") + " AS os, lower(" + attr("device_type") + ") AS device FROM events WHERE ")
	inRange(&q, r.ProjectID, r.Range)
	q.add(" AND " + hasPerson + " AND kind IN ('event', 'pageview'))")
	q.add(", ev AS MATERIALIZED (SELECT hash(coalesce(idm.uid, raw.k)) AS person, raw.* FROM raw LEFT JOIN idm ON idm.a = raw.k)")
	q.add(", gaps AS (SELECT *, CASE WHEN ts - lag(ts) OVER (PARTITION BY person ORDER BY ts) <= ? THEN 0 ELSE 1 END AS new FROM ev WHERE session_id = '')", sessionGap)
	q.add(", sess AS (SELECT *, session_id AS sid FROM ev WHERE session_id <> '' UNION ALL " +
		"SELECT * EXCLUDE (new), CAST(person AS VARCHAR) || '#' || sum(new) OVER (PARTITION BY person ORDER BY ts) AS sid FROM gaps)")
	q.add(", sessions AS (SELECT sid, count(page) AS pages, max(ts) - min(ts) AS dur, arg_min(page, ts) FILTER (WHERE page IS NOT NULL) AS entry, " +
		"arg_max(page, ts) FILTER (WHERE page IS NOT NULL) AS exit, arg_min(referrer, ts) FILTER (WHERE page IS NOT NULL) AS referrer, " +
		"arg_min(utm_source, ts) FILTER (WHERE page IS NOT NULL) AS utm_source, arg_min(utm_campaign, ts) FILTER (WHERE page IS NOT NULL) AS utm_campaign FROM sess GROUP BY sid HAVING count(page) > 0)")
	base := q.String()
	args := q.args

	var st store.WebStats
	totals := base + " SELECT (SELECT count(page) FROM ev), (SELECT count(DISTINCT person) FROM ev WHERE page IS NOT NULL), count(*), " +
		"coalesce(avg((pages = 1)::INTEGER), 0), coalesce(avg(dur) / 1e6, 0) FROM sessions"
	if err := s.db.QueryRowContext(ctx, totals, append([]any(nil), args...)...).Scan(
		&st.Pageviews, &st.Visitors, &st.Sessions, &st.BounceRate, &st.AvgSessionSeconds); err != nil {
		return store.WebStats{}, fmt.Errorf("web totals: %w", err)
	}
	lists := base + ", tops AS (" +
		"SELECT 'pages' AS dim, page AS v, count(*) AS c FROM ev WHERE page IS NOT NULL GROUP BY v" +
		" UNION ALL SELECT 'entry', entry, count(*) FROM sessions GROUP BY entry" +
		" UNION ALL SELECT 'exit', exit, count(*) FROM sessions GROUP BY exit" +
		" UNION ALL SELECT 'referrer', referrer, count(*) FROM sessions WHERE referrer <> '' GROUP BY referrer" +
		" UNION ALL SELECT 'utm_source', utm_source, count(*) FROM sessions WHERE utm_source <> '' GROUP BY utm_source" +
		" UNION ALL SELECT 'utm_campaign', utm_campaign, count(*) FROM sessions WHERE utm_campaign <> '' GROUP BY utm_campaign" +
		" UNION ALL SELECT 'browser', browser, count(DISTINCT person) FROM ev WHERE page IS NOT NULL AND browser <> '' GROUP BY browser" +
		" UNION ALL SELECT 'os', os, count(DISTINCT person) FROM ev WHERE page IS NOT NULL AND os <> '' GROUP BY os" +
		" UNION ALL SELECT 'device', device, count(DISTINCT person) FROM ev WHERE page IS NOT NULL AND device <> '' GROUP BY device)" +
		" SELECT dim, v, c FROM tops QUALIFY row_number() OVER (PARTITION BY dim ORDER BY c DESC, v) <= ? ORDER BY dim, c DESC, v"
	rows, err := s.db.QueryContext(ctx, lists, append(append([]any(nil), args...), r.Limit)...)
	if err != nil {
		return store.WebStats{}, fmt.Errorf("web top lists: %w", err)
	}
	defer rows.Close()
	dst := map[string]*[]store.WebCount{
		"pages": &st.Pages, "entry": &st.EntryPages, "exit": &st.ExitPages, "referrer": &st.Referrers,
		"utm_source": &st.UTMSources, "utm_campaign": &st.UTMCampaigns, "browser": &st.Browsers, "os": &st.OS, "device": &st.Devices,
	}
	for _, p := range dst {
		*p = []store.WebCount{}
	}
	for rows.Next() {
		var (
			dim string
			v   sql.NullString
			c   int64
		)
		if err := rows.Scan(&dim, &v, &c); err != nil {
			return store.WebStats{}, fmt.Errorf("web top lists: %w", err)
		}
		if p := dst[dim]; p != nil {
			*p = append(*p, store.WebCount{Value: v.String, Count: c})
		}
	}
	if err := rows.Err(); err != nil {
		return store.WebStats{}, fmt.Errorf("web top lists: %w", err)
	}
	return st, nil
}

var _ store.Analytics = (*Store)(nil)
