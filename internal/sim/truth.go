package sim

import (
	"sort"
	"time"
)

// truthState accumulates incident ground truth from emitted records.
type truthState struct {
	throttled int
	txns      map[[16]byte]*txnTruth
	onsets    map[note]int64 // first emission of each slowdb signal
	badCount  int
	badFirst  int64
}

// txnTruth is one payment (one trace) that saw a retry or a 429.
type txnTruth struct {
	affected  bool // got at least one 429
	retries   int
	succeeded bool
	failed    bool
	completed bool // the browser reached Order Completed
}

// observe records r's contribution to the ground truth as it is emitted.
func (s *Shop) observe(r *rec) {
	if r.note == noteNone {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &s.truth
	key := [16]byte(r.ev.TraceID)
	switch r.note {
	case noteGatewayResponse:
		if r.ev.HTTPStatus == 429 {
			t.throttled++
			t.txn(key, true).affected = true
		}
	case noteRetry:
		t.txn(key, true).retries++
	case noteSucceeded:
		if x := t.txn(key, false); x != nil {
			x.succeeded = true
		}
	case noteFailed:
		if x := t.txn(key, false); x != nil {
			x.failed = true
		}
	case noteOrderCompleted:
		if x := t.txn(key, false); x != nil {
			x.completed = true
		}
	case noteSlowQuery, noteQueryTimeout, noteUpstreamError, noteUpstreamTimeout, noteBreaker:
		if t.onsets == nil {
			t.onsets = map[note]int64{}
		}
		if _, seen := t.onsets[r.note]; !seen {
			t.onsets[r.note] = r.ev.TS
		}
	case noteBadRelease:
		if t.badCount == 0 {
			t.badFirst = r.ev.TS
		}
		t.badCount++
	}
}

func (t *truthState) txn(key [16]byte, create bool) *txnTruth {
	x := t.txns[key]
	if x == nil && create {
		x = &txnTruth{}
		t.txns[key] = x
	}
	return x
}

// Truth returns the ground truth of the incidents, counted over the events
// emitted so far. Only configured incidents are reported.
func (s *Shop) Truth() Truth {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &s.truth
	var out Truth
	if th := s.throttle; th != nil {
		tt := &ThrottleTruth{From: th.At.UTC(), To: th.At.Add(th.For).UTC(), ThrottledAttempts: t.throttled}
		for _, x := range t.txns {
			if !x.affected {
				continue
			}
			tt.Transactions++
			tt.Retries += x.retries
			switch {
			case x.succeeded:
				tt.Succeeded++
			case x.failed:
				tt.Failed++
			}
			if (x.succeeded || x.failed) && !x.completed {
				tt.Abandoned++
			}
		}
		if tt.Transactions > 0 {
			tt.AvgRetries = float64(tt.Retries) / float64(tt.Transactions)
			tt.SucceededFraction = float64(tt.Succeeded) / float64(tt.Transactions)
		}
		if done := tt.Succeeded + tt.Failed; done > 0 {
			tt.AbandonedFraction = float64(tt.Abandoned) / float64(done)
		}
		out.Throttle = tt
	}
	if db := s.slowdb; db != nil {
		st := &SlowDBTruth{From: db.At.UTC(), To: db.At.Add(db.For).UTC()}
		names := map[note]Onset{
			noteSlowQuery:       {Service: svcInv, Signal: "slow_query"},
			noteQueryTimeout:    {Service: svcInv, Signal: "query_timeout"},
			noteUpstreamError:   {Service: svcCart, Signal: "upstream_error"},
			noteUpstreamTimeout: {Service: svcGateway, Signal: "upstream_timeout"},
			noteBreaker:         {Service: svcGateway, Signal: "circuit_breaker_open"},
		}
		for n, at := range t.onsets {
			o := names[n]
			o.At = time.UnixMicro(at).UTC()
			st.Onsets = append(st.Onsets, o)
		}
		sort.Slice(st.Onsets, func(i, j int) bool { return st.Onsets[i].At.Before(st.Onsets[j].At) })
		out.SlowDB = st
	}
	if br := s.badrelease; br != nil {
		bt := &BadReleaseTruth{Service: br.Service, Release: br.Release, Endpoint: br.Endpoint, ErrorType: br.ErrorType,
			ReleasedAt: br.At.UTC(), Count: t.badCount}
		if t.badCount > 0 {
			bt.FirstSeen = time.UnixMicro(t.badFirst).UTC()
		}
		out.BadRelease = bt
	}
	return out
}
