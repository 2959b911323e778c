// Package lore is Lore's Go SDK: a log/slog handler that writes Lore's
// event model (JSON lines, or batches shipped to Lore's ingest API with
// bounded memory, retries and a flush on shutdown), net/http middleware
// that reads or starts a W3C trace context and logs each request, and an
// http.RoundTripper that propagates the trace downstream and logs each
// call, with retry_attempt when used with Retry.
//
// Everything a request's context carries (trace and span ids, the request
// id, user and session ids) is written on every record logged with that
// context, so one trace id joins the logs of every service a request
// crossed:
//
//	client := lore.NewClient(lore.ClientOptions{Endpoint: "http://lore:4780", Key: os.Getenv("LORE_INGEST_KEY")})
//	defer client.Close(context.Background())
//	log := slog.New(lore.NewHandler(client, &lore.HandlerOptions{Service: "checkout"}))
//	http.ListenAndServe(":8080", lore.Middleware(log, mux))
//
// The package depends on the standard library and OpenTelemetry's trace
// API only (to read the span of a context that carries one).
package lore
