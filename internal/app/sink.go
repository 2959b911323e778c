package app

import (
	"context"
	"errors"

	"github.com/lore-dev/lore/internal/auth"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/pipeline"
)

// Processing stages, in the order the ingest sink runs them; features add
// their processors to a stage when they open, so the order is stated here
// once, not by the order features happen to open in.
const (
	stagePrivacy     = iota // scrubbing secrets: first, so no later stage, index or store sees one
	stageSampling           // sampling debug/info logs and traces: before the work the dropped ones would cost
	stageSymbolicate        // source maps: minified frames to original ones, before grouping reads them
	stagePatterns           // log pattern ids (grouping may read them)
	stageIssues             // error detection, grouping, inbound filters, rate limits
	stageFields             // the field catalogue: last, it sees every field the others add
	stages
)

// addProcessor adds a feature's processor to its stage.
func (a *App) addProcessor(stage int, p ingest.Processor) {
	a.processors[stage] = append(a.processors[stage], p)
}

// openSink builds the one ingest sink every path writes through (HTTP
// handlers, listeners, lore ingest --data, uptime checks): limits, admission
// against the pipeline's backlog, the processors in stage order, the
// durable commit.
func (a *App) openSink() {
	a.sink = ingest.NewSink(ingest.SinkConfig{
		Limits:     ingest.Limits{MaxRows: a.cfg.Limits.MaxLines, Event: ingest.DefaultEventLimits()},
		Admitter:   admitter{a.pipe},
		Processors: a.chain(),
		Keys:       ingestKeys{a.meta},
		Metrics:    a.metrics,
		Log:        a.log.With("component", "ingest"),
	})
}

// chain is the processors in stage order.
func (a *App) chain() []ingest.Processor {
	var chain []ingest.Processor
	for _, ps := range a.processors {
		chain = append(chain, ps...)
	}
	return chain
}

// submit writes events Lore makes itself (uptime check results) or reads
// from files (lore ingest --data) through the sink.
func (a *App) submit(ctx context.Context, route string, events []event.Event) error {
	_, err := a.sink.Write(ctx, ingest.Request{Route: route, Events: events})
	return err
}

// admitter is the pipeline as the sink's Admitter.
type admitter struct{ p *pipeline.Pipeline }

func (ad admitter) Reserve(ctx context.Context, events []event.Event) (ingest.Reservation, error) {
	r, err := ad.p.Reserve(ctx, events)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// ingestKeys resolves ingest keys for the listeners.
type ingestKeys struct{ m *meta.Store }

func (k ingestKeys) IngestProject(ctx context.Context, key string) (int64, error) {
	p, err := k.m.Authenticate(ctx, key)
	switch {
	case errors.Is(err, meta.ErrUnknownKey):
		return 0, errs.New(errs.Unauthorized, "unknown API key")
	case err != nil:
		return 0, err
	case !auth.Allow(p, auth.Ingest):
		return 0, errs.New(errs.Forbidden, "%s", auth.Denied(p.Role, auth.Ingest))
	}
	return p.ProjectID, nil
}

var (
	_ ingest.Admitter    = admitter{}
	_ ingest.Reservation = (*pipeline.Reservation)(nil)
	_ ingest.Keys        = ingestKeys{}
)
