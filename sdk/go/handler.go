package lore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// HandlerOptions say what every record of a handler carries.
type HandlerOptions struct {
	Service string
	Env     string
	Release string
	Host    string
	Level   slog.Leveler // minimum level (default info)
}

// Handler is a slog.Handler writing one JSON object a record, in Lore's
// field names: ts, level, message, service, env, release, host, trace_id,
// span_id, request_id, user_id, session_id, then the record's attributes
// (groups as dotted keys). Write it to os.Stdout for JSON lines, or to a
// Client to ship batches.
type Handler struct {
	w      io.Writer
	mu     *sync.Mutex
	opts   HandlerOptions
	attrs  []byte // pre-rendered ,"k":v pairs from WithAttrs
	prefix string // group prefix, "a.b."
}

var _ slog.Handler = (*Handler)(nil)

// NewHandler returns a handler writing to w (each record in one Write).
func NewHandler(w io.Writer, opts *HandlerOptions) *Handler {
	h := &Handler{w: w, mu: &sync.Mutex{}}
	if opts != nil {
		h.opts = *opts
	}
	return h
}

// Enabled reports whether records at level are written.
func (h *Handler) Enabled(_ context.Context, level slog.Level) bool {
	min := slog.LevelInfo
	if h.opts.Level != nil {
		min = h.opts.Level.Level()
	}
	return level >= min
}

// WithAttrs returns a handler that writes attrs on every record.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append([]byte(nil), h.attrs...)
	for _, a := range attrs {
		h2.attrs = appendAttr(h2.attrs, h.prefix, a)
	}
	return &h2
}

// WithGroup returns a handler that prefixes the keys of later attributes.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "."
	return &h2
}

// Handle writes one record.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	b := make([]byte, 0, 512)
	b = append(b, `{"ts":"`...)
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"`...)
	b = append(b, levelName(r.Level)...)
	b = append(b, `","message":`...)
	b = appendString(b, r.Message)
	field := func(k, v string) {
		if v != "" {
			b = append(b, ',')
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, v)
		}
	}
	field("service", h.opts.Service)
	field("env", h.opts.Env)
	field("release", h.opts.Release)
	field("host", h.opts.Host)
	if tc, ok := TraceFromContext(ctx); ok {
		field("trace_id", tc.TraceIDString())
		field("span_id", tc.SpanIDString())
		if tc.ParentSpanID != [8]byte{} {
			field("parent_span_id", hex.EncodeToString(tc.ParentSpanID[:]))
		}
	}
	if s := scopeFrom(ctx); s != nil {
		req, user, session := s.get()
		field("request_id", req)
		field("user_id", user)
		field("session_id", session)
	}
	if n := retryAttempt(ctx); n > 0 {
		b = append(b, `,"retry_attempt":`...)
		b = strconv.AppendInt(b, int64(n), 10)
	}
	b = append(b, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		b = appendAttr(b, h.prefix, a)
		return true
	})
	b = append(b, "}\n"...)
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := h.w.Write(b)
	return err
}

// levelName maps slog levels to Lore's: debug, info, warn, error, and
// fatal for levels above error (slog.LevelError+4 and up).
func levelName(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return "debug"
	case l < slog.LevelWarn:
		return "info"
	case l < slog.LevelError:
		return "warn"
	case l < slog.LevelError+4:
		return "error"
	}
	return "fatal"
}

func appendAttr(b []byte, prefix string, a slog.Attr) []byte {
	v := a.Value.Resolve()
	if a.Key == "" && v.Kind() != slog.KindGroup {
		return b
	}
	if v.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, ga := range v.Group() {
			b = appendAttr(b, p, ga)
		}
		return b
	}
	b = append(b, ',')
	b = appendString(b, prefix+a.Key)
	b = append(b, ':')
	switch v.Kind() {
	case slog.KindString:
		return appendString(b, v.String())
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindFloat64:
		if f := v.Float64(); !math.IsNaN(f) && !math.IsInf(f, 0) {
			return strconv.AppendFloat(b, f, 'g', -1, 64)
		}
		return appendString(b, v.String())
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		return appendString(b, v.Duration().String())
	case slog.KindTime:
		return appendString(b, v.Time().UTC().Format(time.RFC3339Nano))
	}
	x := v.Any()
	if err, ok := x.(error); ok {
		return appendString(b, err.Error())
	}
	if j, err := json.Marshal(x); err == nil {
		return append(b, j...)
	}
	return appendString(b, v.String())
}

// appendString appends s as a JSON string (invalid UTF-8 replaced).
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
