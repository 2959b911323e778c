package analysis

import (
	"context"
	"fmt"
	"github.com/lore-dev/lore/internal/analysis/product"
	"time"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// Web is a query object: web analytics over a range.
type Web struct {
	ProjectID int64
	Range     store.Range
	Limit     int
}

// WebQuery builds the query from GET /api/v1/web's parameters.
func WebQuery(project int64, from, to string, limit int, now time.Time) (Web, error) {
	rng, err := parseRange(from, to, now, 7*24*time.Hour)
	if err != nil {
		return Web{}, err
	}
	return Web{ProjectID: project, Range: rng, Limit: limit}, nil
}

// Key identifies the query, for caching results.
func (w Web) Key() string {
	return fmt.Sprintf("web:%d:%d:%d:%d", w.ProjectID, w.Range.From, w.Range.To, w.Limit)
}

// Scope is what web analytics read.
func (w Web) Scope() sqlq.Scope {
	return sqlq.Scope{ProjectID: w.ProjectID, From: w.Range.From, To: w.Range.To}
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

// WebCount is one value of a top list.
type WebCount struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
}

// Resolve computes the stats on a.
func (w Web) Resolve(ctx context.Context, a store.Analytics) (WebResult, error) {
	st, err := product.Web{ProjectID: w.ProjectID, Range: w.Range, Limit: w.Limit}.Run(ctx, a)
	if err != nil {
		return WebResult{}, fmt.Errorf("cannot compute web analytics: %w", err)
	}
	conv := func(cs []product.WebCount) []WebCount {
		out := make([]WebCount, len(cs))
		for i, c := range cs {
			out[i] = WebCount(c)
		}
		return out
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
