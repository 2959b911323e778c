package product

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// Web is a query object: web analytics over Range; Limit (default 10)
// caps each top list.
type Web struct {
	ProjectID int64
	Range     store.Range
	Limit     int
}

// WebCount is one value of a top list.
type WebCount struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// WebStats summarises page views. Sessions are session ids, or for
// events without one, a person's events with no gap over 30 minutes.
// Top pages count page views; entry and exit pages, referrers and UTM
// values count sessions; browsers, systems and devices count visitors.
type WebStats struct {
	Pageviews         int64
	Visitors          int64
	Sessions          int64
	BounceRate        float64 // sessions with one page view / sessions
	AvgSessionSeconds float64
	Pages             []WebCount
	EntryPages        []WebCount
	ExitPages         []WebCount
	Referrers         []WebCount
	UTMSources        []WebCount
	UTMCampaigns      []WebCount
	Browsers          []WebCount
	OS                []WebCount
	Devices           []WebCount
}

// Key identifies the query, for caching its answer.
func (w Web) Key() string {
	return fmt.Sprintf("product.web:%d:%d:%d:%d", w.ProjectID, w.Range.From, w.Range.To, w.limit())
}

// Scope is what web analytics read.
func (w Web) Scope() sqlq.Scope { return scope(w.ProjectID, w.Range) }

func (w Web) limit() int {
	if w.Limit <= 0 {
		return 10
	}
	return w.Limit
}

// base is the CTE chain both queries read: product events with their
// person and session (a session id, or a person's run of events without
// a gap over 30 minutes), then per-session facts.
func (w Web) base(d sqlq.Dialect) *sqlq.Builder {
	// Each key with its dotted spelling (utm.source, device.type), as
	// some senders flatten them.
	attr := func(k string) string {
		dotted := strings.Replace(k, "_", ".", 1)
		return "coalesce(nullif(" + d.Attr(k) + ", ''), " + d.Attr(dotted) + ", '')"
	}
	b := &sqlq.Builder{}
	b.Add("WITH ")
	identsCTE(b, w.ProjectID)
	b.Add(", raw AS (SELECT ts, kind, session_id, " + personKey + " AS k, " +
		"CASE WHEN kind = 'pageview' THEN " + pageExpr(d) + " END AS page, " +
		attr("referrer") + " AS referrer, " + attr("utm_source") + " AS utm_source, " + attr("utm_campaign") + " AS utm_campaign, " +
		attr("browser") + " AS browser, " + attr("os") + " AS os, " + d.Lower(attr("device_type")) + " AS device FROM events WHERE ")
	inRange(b, w.ProjectID, w.Range)
	b.Add(" AND " + hasPerson + " AND kind IN ('event', 'pageview'))")
	b.Add(", " + d.MaterializedCTE("ev", "SELECT "+d.Hash64("coalesce(idm.uid, raw.k)")+" AS person, raw.* FROM raw LEFT JOIN idm ON idm.a = raw.k"))
	// A session id, else the person's run of events without a gap over
	// 30 minutes (numbered by the dialect: a window's running sum, or a
	// person's sorted array where there are no window functions).
	keep := []string{"page", "referrer", "utm_source", "utm_campaign"}
	b.Add(", sess AS (SELECT session_id AS sid, ts, "+strings.Join(keep, ", ")+" FROM ev WHERE session_id <> '' UNION ALL "+
		"SELECT "+d.ToString("person")+" || '#' || "+d.ToString("sn")+", ts, "+strings.Join(keep, ", ")+
		" FROM ("+d.GapSessions("ev WHERE session_id = ''", "person", "ts", keep)+"))", sessionGap)
	onPage := "page IS NOT NULL"
	b.Add(", sessions AS (SELECT sid, count(page) AS pages, max(ts) - min(ts) AS dur, " +
		d.ArgMinIf("page", "ts", onPage) + " AS entry, " + d.ArgMaxIf("page", "ts", onPage) + " AS exit, " +
		d.ArgMinIf("referrer", "ts", onPage) + " AS referrer, " + d.ArgMinIf("utm_source", "ts", onPage) + " AS utm_source, " +
		d.ArgMinIf("utm_campaign", "ts", onPage) + " AS utm_campaign FROM sess GROUP BY sid HAVING count(page) > 0)")
	return b
}

// Totals compiles the totals query: page views, visitors, sessions,
// bounce rate and average session length.
func (w Web) Totals(d sqlq.Dialect) (sqlq.Query, error) {
	b := w.base(d)
	// 0 without sessions (ClickHouse's avg of no rows is NaN, not NULL).
	b.Add(" SELECT (SELECT count(page) FROM ev), (SELECT " + d.CountDistinct("person") + " FROM ev WHERE page IS NOT NULL), count(*), " +
		"CASE WHEN count(*) = 0 THEN 0 ELSE avg(" + d.Int64("pages = 1") + ") END, CASE WHEN count(*) = 0 THEN 0 ELSE avg(dur) / 1e6 END FROM sessions")
	return b.Query("product.web.totals", scope(w.ProjectID, w.Range))
}

// Lists compiles the top lists, all in one query of (list, value, count)
// rows.
func (w Web) Lists(d sqlq.Dialect) (sqlq.Query, error) {
	visitors := d.CountDistinct("person")
	b := w.base(d)
	b.Add(", tops AS (" +
		"SELECT 'pages' AS dim, page AS v, count(*) AS c FROM ev WHERE page IS NOT NULL GROUP BY v" +
		" UNION ALL SELECT 'entry', entry, count(*) FROM sessions GROUP BY entry" +
		" UNION ALL SELECT 'exit', exit, count(*) FROM sessions GROUP BY exit" +
		" UNION ALL SELECT 'referrer', referrer, count(*) FROM sessions WHERE referrer <> '' GROUP BY referrer" +
		" UNION ALL SELECT 'utm_source', utm_source, count(*) FROM sessions WHERE utm_source <> '' GROUP BY utm_source" +
		" UNION ALL SELECT 'utm_campaign', utm_campaign, count(*) FROM sessions WHERE utm_campaign <> '' GROUP BY utm_campaign" +
		" UNION ALL SELECT 'browser', browser, " + visitors + " FROM ev WHERE page IS NOT NULL AND browser <> '' GROUP BY browser" +
		" UNION ALL SELECT 'os', os, " + visitors + " FROM ev WHERE page IS NOT NULL AND os <> '' GROUP BY os" +
		" UNION ALL SELECT 'device', device, " + visitors + " FROM ev WHERE page IS NOT NULL AND device <> '' GROUP BY device)" +
		" SELECT dim, v, c FROM tops ")
	b.Add(d.TopNBy("dim", "c DESC, v"), w.limit())
	return b.Query("product.web.lists", scope(w.ProjectID, w.Range))
}

// Run computes the stats.
func (w Web) Run(ctx context.Context, ex sqlq.Executor) (WebStats, error) {
	if err := validRange(w.Range); err != nil {
		return WebStats{}, fmt.Errorf("web: %w", err)
	}
	d := ex.Dialect()
	tq, err := w.Totals(d)
	if err != nil {
		return WebStats{}, fmt.Errorf("web: %w", err)
	}
	lq, err := w.Lists(d)
	if err != nil {
		return WebStats{}, fmt.Errorf("web: %w", err)
	}
	var st WebStats
	if err := ex.Run(ctx, tq, func(r sqlq.Scanner) error {
		return r.Scan(&st.Pageviews, &st.Visitors, &st.Sessions, &st.BounceRate, &st.AvgSessionSeconds)
	}); err != nil {
		return WebStats{}, fmt.Errorf("web totals: %w", err)
	}
	dst := map[string]*[]WebCount{
		"pages": &st.Pages, "entry": &st.EntryPages, "exit": &st.ExitPages, "referrer": &st.Referrers,
		"utm_source": &st.UTMSources, "utm_campaign": &st.UTMCampaigns, "browser": &st.Browsers, "os": &st.OS, "device": &st.Devices,
	}
	for _, p := range dst {
		*p = []WebCount{}
	}
	if err := ex.Run(ctx, lq, func(r sqlq.Scanner) error {
		var (
			dim string
			v   sql.NullString
			c   int64
		)
		if err := r.Scan(&dim, &v, &c); err != nil {
			return err
		}
		if p := dst[dim]; p != nil {
			*p = append(*p, WebCount{Value: v.String, Count: c})
		}
		return nil
	}); err != nil {
		return WebStats{}, fmt.Errorf("web top lists: %w", err)
	}
	return st, nil
}

// WebQuery builds the query from GET /api/v1/web's parameters.
func WebQuery(project int64, from, to string, limit int, now time.Time) (Web, error) {
	rng, err := parseRange(from, to, now, 7*24*time.Hour)
	if err != nil {
		return Web{}, err
	}
	return Web{ProjectID: project, Range: rng, Limit: limit}, nil
}

// WebResult is the answer of GET /api/v1/web. Top pages count page
// views; entry and exit pages, referrers and UTM values count sessions;
// browsers, systems and devices count visitors.
type WebResult struct {
	Pageviews         int64      `json:"pageviews"`
	Visitors          int64      `json:"visitors"`
	Sessions          int64      `json:"sessions"`
	BounceRate        float64    `json:"bounce_rate"`
	AvgSessionSeconds float64    `json:"avg_session_seconds"`
	PagesPerSession   float64    `json:"pages_per_session"`
	TopPages          []WebCount `json:"top_pages"`
	EntryPages        []WebCount `json:"entry_pages"`
	ExitPages         []WebCount `json:"exit_pages"`
	Referrers         []WebCount `json:"referrers"`
	UTMSources        []WebCount `json:"utm_sources"`
	UTMCampaigns      []WebCount `json:"utm_campaigns"`
	Browsers          []WebCount `json:"browsers"`
	OperatingSystems  []WebCount `json:"operating_systems"`
	DeviceTypes       []WebCount `json:"device_types"`
	Range             timeRange  `json:"range"`
}

// Resolve computes the stats on ex and shapes them for the API.
func (w Web) Resolve(ctx context.Context, ex store.Analytics) (WebResult, error) {
	st, err := w.Run(ctx, ex)
	if err != nil {
		return WebResult{}, fmt.Errorf("cannot compute web analytics: %w", err)
	}
	conv := func(cs []WebCount) []WebCount {
		if cs == nil {
			return []WebCount{}
		}
		return cs
	}
	return WebResult{
		Pageviews: st.Pageviews, Visitors: st.Visitors, Sessions: st.Sessions, BounceRate: st.BounceRate,
		AvgSessionSeconds: st.AvgSessionSeconds, PagesPerSession: fraction(st.Pageviews, st.Sessions),
		TopPages: conv(st.Pages), EntryPages: conv(st.EntryPages), ExitPages: conv(st.ExitPages),
		Referrers: conv(st.Referrers), UTMSources: conv(st.UTMSources), UTMCampaigns: conv(st.UTMCampaigns),
		Browsers: conv(st.Browsers), OperatingSystems: conv(st.OS), DeviceTypes: conv(st.Devices),
		Range: echoRange(w.Range),
	}, nil
}
