package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/sim"
)

// demoState is written into the data directory once the backfill is done,
// so a restarted demo goes straight to live traffic.
type demoState struct {
	Seed     int64     `json:"seed"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Incident []string  `json:"incidents"`
}

// Demo keys are fixed so the demo's URLs and commands can be copied; a real
// deployment uses generated keys.
const (
	demoIngestKey = "lore_demo_ingest"
	demoReadKey   = "lore_demo_read"
	// The demo's first admin signs in with a fixed password too.
	demoEmail    = "demo@lore.local"
	demoPassword = "lore-demo-password"
)

func runDemo(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlags("demo", stdio)
	var f serveFlags
	f.register(fs, filepath.Join(os.TempDir(), "lore-demo"))
	seed := fs.Int64("seed", 1, "simulation seed: the same seed gives the same shop")
	days := fs.Float64("days", 3, "days of history to backfill before going live, from the midnight (UTC) before")
	sessions := fs.Int("sessions-per-day", 3000, "shop traffic: sessions a day")
	live := fs.Bool("live", true, "keep streaming live traffic after the backfill")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if f.ingestKey == "" {
		f.ingestKey = demoIngestKey
	}
	if f.readKey == "" {
		f.readKey = demoReadKey
	}
	if f.adminPassword == "" && !isSet(fs, "admin-email") {
		f.adminEmail, f.adminPassword = demoEmail, demoPassword
	}
	cfg, err := f.config(stdio)
	if err != nil {
		return err
	}
	// The shop's recordings are sealed 30 s after their last chunk (their
	// session's events are sent before them; a seal waits for them when the
	// loader is behind), so the history's replays and their rage clicks
	// follow the backfill closely.
	if cfg.Replay.Grace == 0 {
		cfg.Replay.Grace = 30 * time.Second
	}
	if cfg.Replay.Tick == 0 {
		cfg.Replay.Tick = 5 * time.Second
	}
	a, err := app.Open(ctx, cfg)
	if err != nil {
		if stopped(ctx, err) { // as lore serve: nothing failed
			cfg.Log.Info("lore stopped before it was ready", "data", cfg.DataDir, "err", err)
			return nil
		}
		return err
	}
	serveErr := make(chan error, 1)
	sctx, stopServe := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServe()
	go func() { serveErr <- a.Serve(sctx) }()

	now := time.Now().UTC()
	fmt.Fprintf(stdio.Out, "\nLore demo: the simulated shop (seed %d)\n", *seed)
	if f.adminPassword != "" {
		fmt.Fprintf(stdio.Out, "  open      %s/#/login   sign in as %s, password %s\n", a.URL(), f.adminEmail, f.adminPassword)
	} else {
		printFirstLogin(stdio.Out, a)
	}
	fmt.Fprintf(stdio.Out, "  ingest key %s   read key %s   data %s\n", f.ingestKey, f.readKey, f.data)
	fmt.Fprintf(stdio.Out, "  try       LORE_KEY=%s %s query 'level:error' --url %s --from now-24h\n\n", f.readKey, os.Args[0], a.URL())

	statePath := filepath.Join(f.data, "demo.json")
	// The history starts at a midnight, so a seed gives the same shop up to
	// the start of today whatever minute the demo starts: the incidents sit
	// at fixed hours of yesterday, and a start a minute later used to draw
	// other sessions around them (the web tests saw rare combinations).
	shopStart := now.Add(-time.Duration(*days * float64(24*time.Hour))).Truncate(24 * time.Hour)
	yesterday := now.Add(-24 * time.Hour).Truncate(24 * time.Hour)
	const recordShare = 0.1 // of the sessions without trouble; every troubled one is recorded
	incidents := []sim.Incident{
		sim.Throttle{At: yesterday.Add(9 * time.Hour), For: 2 * time.Hour},
		sim.SlowDB{At: yesterday.Add(14 * time.Hour), For: time.Hour},
		sim.BadRelease{At: yesterday.Add(16 * time.Hour)},
	}
	shop := sim.New(sim.Config{Seed: *seed, Start: shopStart, SessionsPerDay: *sessions, Incidents: incidents, CaptureBrowser: true,
		RecordSessions: recordShare})
	// The browser's product events go through the browser SDK's wire
	// format, the backend's unhandled exceptions through sentry-go, and the
	// rest as JSON lines and OTLP: the ingest paths real apps use.
	host := strings.TrimPrefix(a.URL(), "http://")
	sink, err := sim.NewSentrySink(sim.NewHTTPSink(a.URL(), f.ingestKey, nil), "http://"+f.ingestKey+"@"+host+"/1")
	if err != nil {
		stopServe()
		<-serveErr
		return err
	}
	defer sink.Close()

	var st demoState
	if b, err := os.ReadFile(statePath); err == nil && json.Unmarshal(b, &st) == nil {
		fmt.Fprintf(stdio.Out, "history already loaded (%s to %s); going live\n", st.From.Format(time.RFC3339), st.To.Format(time.RFC3339))
		shop = sim.New(sim.Config{Seed: *seed + now.Unix(), Start: now, SessionsPerDay: *sessions, CaptureBrowser: true, RecordSessions: recordShare})
	} else if *days > 0 {
		fmt.Fprintf(stdio.Out, "backfilling history from %s with incidents: gateway throttling %s–%s, slow database %s, bad catalog release %s\n",
			shopStart.Format("Jan 2 15:04"), yesterday.Add(9*time.Hour).Format("Jan 2 15:04"), yesterday.Add(11*time.Hour).Format("15:04"),
			yesterday.Add(14*time.Hour).Format("Jan 2 15:04"), yesterday.Add(16*time.Hour).Format("Jan 2 15:04"))
		// The shop's pages record sessions (Lore's SDK with session
		// recording on): turn it on in the project's capture settings.
		// Settings are an admin's: a key with the admin scope made for this
		// one change and revoked after it.
		start := time.Now()
		err := enableRecording(ctx, a, recordShare)
		if err == nil {
			last := time.Now()
			err = shop.Backfill(ctx, shopStart, now, sink, func(at time.Time, n int64) {
				if time.Since(last) > 2*time.Second {
					last = time.Now()
					fmt.Fprintf(stdio.Out, "  … %s simulated, %d events sent (%.0f/s)\n", at.Format("Jan 2 15:04"), n, float64(n)/time.Since(start).Seconds())
				}
			})
			if err != nil && !stopped(ctx, err) {
				err = fmt.Errorf("backfill: %w", err)
			}
		}
		switch {
		case err != nil && stopped(ctx, err):
			// A stop while the history loads: nothing failed; demo.json is
			// not written, so the next start loads the history again.
			cfg.Log.Info("lore demo stopped while loading history", "data", f.data, "after", time.Since(start).Round(time.Millisecond).String())
		case err != nil:
			stopServe()
			<-serveErr
			return err
		default:
			b, _ := json.Marshal(demoState{Seed: *seed, From: shopStart, To: now, Incident: []string{"throttle", "slowdb", "badrelease"}})
			os.WriteFile(statePath, b, 0o644)
			fmt.Fprintf(stdio.Out, "history loaded in %s\n", time.Since(start).Round(time.Second))
		}
	}
	if *live && ctx.Err() == nil {
		fmt.Fprintln(stdio.Out, "streaming live traffic; Ctrl-C stops")
		if err := shop.Live(ctx, sink); err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintf(stdio.Err, "live traffic stopped: %v\n", err)
		}
	} else if ctx.Err() == nil {
		<-ctx.Done()
	}
	stopServe()
	return <-serveErr
}

// enableRecording turns session recording on for the demo's project: a
// share of sessions sampled, every session that hits an error kept.
func enableRecording(ctx context.Context, a *app.App, share float64) error {
	key, info, err := a.Meta().CreateKeyExpiring(ctx, 1, meta.RoleAdmin, time.Minute)
	if err != nil {
		return fmt.Errorf("turn session recording on: %w", err)
	}
	defer a.Meta().RevokeKey(context.WithoutCancel(ctx), 1, info.ID)
	base := a.URL()
	body := fmt.Sprintf(`{"session_recording":true,"replay_sample_rate":%g,"replay_on_error":true}`, share)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, base+"/api/v1/capture/settings", strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("turn session recording on: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("turn session recording on: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("turn session recording on: status %d: %s", resp.StatusCode, msg)
	}
	return nil
}
