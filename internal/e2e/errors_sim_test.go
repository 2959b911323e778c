package e2e

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/sim"
)

// The shop's backend reports its exceptions through sentry-go; the bad
// release shows up as a new issue whose first release is the bad one.
func TestShopBadReleaseIsANewIssue(t *testing.T) {
	a := startApp(t)
	day := time.Now().UTC().Truncate(24 * time.Hour).Add(-24 * time.Hour)
	from, to := day.Add(9*time.Hour), day.Add(10*time.Hour)
	releasedAt := day.Add(9*time.Hour + 30*time.Minute)
	shop := sim.New(sim.Config{Seed: 11, Start: from, SessionsPerDay: 8000,
		Incidents: []sim.Incident{sim.BadRelease{At: releasedAt, Rate: 0.5}}})
	sink, err := sim.NewSentrySink(sim.NewHTTPSink(a.URL(), ingestKey, nil), sentryDSN(a.URL()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := shop.Backfill(ctx, from, to, sink, nil); err != nil {
		t.Fatal(err)
	}
	sink.Close()
	flush(t, a)
	truth := shop.Truth().BadRelease
	if truth == nil || truth.Count == 0 {
		t.Fatalf("the bad release failed nothing: %+v", truth)
	}
	l := listIssues(t, a.URL(), url.Values{"sort": {"first_seen"}, "from": {from.Format(time.RFC3339)}, "to": {to.Add(time.Hour).Format(time.RFC3339)}})
	var found *issueSummary
	for i := range l.Issues {
		if l.Issues[i].Title == truth.ErrorType+": Cannot read properties of undefined (reading 'price')" {
			found = &l.Issues[i]
		}
	}
	if found == nil {
		t.Fatalf("no issue for the bad release's %s in %+v", truth.ErrorType, l.Issues)
	}
	if found.FirstRelease != truth.Release || found.Count != int64(truth.Count) || found.Culprit != "pricing.js in priceWithDiscount" {
		t.Errorf("bad release issue = %+v; truth %+v", found, truth)
	}
	if first, _ := time.Parse(time.RFC3339Nano, found.FirstSeen); first.Before(truth.ReleasedAt) || first.Sub(truth.FirstSeen).Abs() > time.Millisecond {
		t.Errorf("issue first seen %s; release at %s, first error at %s", found.FirstSeen, truth.ReleasedAt, truth.FirstSeen)
	}
	// Its detail links to the request's trace across services.
	var d issueDetail
	getJSON(t, a.URL(), fmt.Sprintf("/api/v1/issues/%d", found.ID), url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Add(time.Hour).Format(time.RFC3339)}}, &d)
	if d.LatestEvent == nil || d.LatestEvent.TraceID == "" || len(d.Related.Services) < 2 {
		t.Errorf("bad release issue detail: latest %+v related services %v", d.LatestEvent, d.Related.Services)
	}
}
