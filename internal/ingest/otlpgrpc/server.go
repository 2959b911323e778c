// Package otlpgrpc serves OTLP over gRPC (the OpenTelemetry Collector's and
// the SDKs' default exporter protocol, port 4317): the logs and trace
// services, with the ingest key in the "authorization" metadata ("Bearer
// KEY" or the key alone). Requests are decoded by the same mapping as
// OTLP/HTTP (internal/ingest/otlp) and stored through an ingest.Writer (the ingest sink);
// records with invalid ids are reported as partial success.
package otlpgrpc

import (
	"context"
	"errors"
	"fmt"
	"github.com/lore-dev/lore/internal/errs"
	"log/slog"
	"net"
	"strings"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // the Collector's exporter compresses with gzip by default
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest"
	"github.com/lore-dev/lore/internal/ingest/otlp"
)

// Options configure a Server.
type Options struct {
	MaxRecvBytes int // largest request message (default 16 MiB)
	Log          *slog.Logger
	Now          func() time.Time
}

// Server is an OTLP/gRPC endpoint.
type Server struct {
	sink ingest.Writer
	log  *slog.Logger
	now  func() time.Time
	grpc *grpc.Server
}

// New builds a server that stores through sink.
func New(sink ingest.Writer, opts Options) *Server {
	if opts.MaxRecvBytes <= 0 {
		opts.MaxRecvBytes = 16 << 20
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{sink: sink, log: opts.Log, now: opts.Now}
	s.grpc = grpc.NewServer(grpc.MaxRecvMsgSize(opts.MaxRecvBytes), grpc.ConnectionTimeout(10*time.Second),
		grpc.InTapHandle(s.authenticate))
	collogspb.RegisterLogsServiceServer(s.grpc, logsService{s: s})
	coltracepb.RegisterTraceServiceServer(s.grpc, traceService{s: s})
	return s
}

// Serve answers on ln until Shutdown; it returns nil after a shutdown.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.grpc.Serve(ln); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("serve OTLP/gRPC on %s: %w", ln.Addr(), err)
	}
	return nil
}

// Shutdown stops accepting, lets running exports finish until ctx is done,
// then cuts the rest.
func (s *Server) Shutdown(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.grpc.Stop()
		<-done
	}
}

type projectKey struct{}

// authenticate checks the key in a call's metadata before its message is
// read (a tap runs when the headers arrive), and hands the project to the
// call through its context.
func (s *Server) authenticate(ctx context.Context, info *tap.Info) (context.Context, error) {
	key := ""
	if v := info.Header.Get("authorization"); len(v) > 0 {
		key = strings.TrimSpace(v[0])
		if len(key) > 7 && strings.EqualFold(key[:7], "bearer ") {
			key = strings.TrimSpace(key[7:])
		}
	}
	if key == "" {
		return ctx, status.Error(codes.Unauthenticated, `missing API key: send the ingest key in the "authorization" metadata ("Bearer KEY")`)
	}
	p, err := s.sink.Authenticate(ctx, key)
	switch {
	case errs.Is(err, errs.Forbidden):
		return ctx, status.Error(codes.PermissionDenied, err.Error())
	case errs.Is(err, errs.Unauthorized):
		return ctx, status.Error(codes.Unauthenticated, err.Error())
	case err != nil:
		return ctx, status.Error(codes.Unavailable, "cannot check the API key now; retry")
	}
	return context.WithValue(ctx, projectKey{}, p), nil
}

// project is the project the call's key writes to.
func (s *Server) project(ctx context.Context) (int64, error) {
	p, ok := ctx.Value(projectKey{}).(int64)
	if !ok {
		return 0, status.Error(codes.Unauthenticated, "missing API key")
	}
	return p, nil
}

// store submits events; overload is Unavailable, which exporters retry.
func (s *Server) store(ctx context.Context, path string, events []event.Event) error {
	_, err := s.sink.Write(ctx, ingest.Request{Route: path, Events: events})
	switch {
	case err == nil:
		return nil
	case errs.Is(err, errs.Overloaded), errs.Is(err, errs.Unavailable):
		return status.Error(codes.Unavailable, "ingest queue is full; retry later")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Err()
	}
	s.log.ErrorContext(ctx, "store OTLP/gRPC export", "path", path, "events", len(events), "err", err)
	return status.Error(codes.Internal, "cannot store the export; retry later")
}

type logsService struct {
	collogspb.UnimplementedLogsServiceServer
	s *Server
}

func (l logsService) Export(ctx context.Context, req *collogspb.ExportLogsServiceRequest) (*collogspb.ExportLogsServiceResponse, error) {
	p, err := l.s.project(ctx)
	if err != nil {
		return nil, err
	}
	events, rejected := otlp.LogEvents(req, otlp.Options{ProjectID: p, Now: l.s.now().UnixMicro()})
	if err := l.s.store(ctx, "otlp-grpc logs", events); err != nil {
		return nil, err
	}
	resp := &collogspb.ExportLogsServiceResponse{}
	if rejected > 0 {
		resp.PartialSuccess = &collogspb.ExportLogsPartialSuccess{RejectedLogRecords: int64(rejected),
			ErrorMessage: fmt.Sprintf("%d log records rejected: trace_id must be 16 bytes and span_id 8", rejected)}
	}
	return resp, nil
}

type traceService struct {
	coltracepb.UnimplementedTraceServiceServer
	s *Server
}

func (t traceService) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	p, err := t.s.project(ctx)
	if err != nil {
		return nil, err
	}
	events, rejected := otlp.TraceEvents(req, otlp.Options{ProjectID: p, Now: t.s.now().UnixMicro()})
	if err := t.s.store(ctx, "otlp-grpc traces", events); err != nil {
		return nil, err
	}
	resp := &coltracepb.ExportTraceServiceResponse{}
	if rejected > 0 {
		resp.PartialSuccess = &coltracepb.ExportTracePartialSuccess{RejectedSpans: int64(rejected),
			ErrorMessage: fmt.Sprintf("%d spans rejected: trace_id must be 16 bytes and span_id 8", rejected)}
	}
	return resp, nil
}
