package query

import (
	"strings"

	"github.com/lore-dev/lore/internal/event"
)

// ColumnType is how the compiler treats a core column of the events table.
type ColumnType int

// Column types.
const (
	ColString  ColumnType = iota // VARCHAR, '' when absent (never NULL)
	ColLower                     // VARCHAR holding a lower-case vocabulary (level, kind)
	ColUpper                     // VARCHAR holding an upper-case vocabulary (http_method)
	ColInt                       // small integer, NULL when absent
	ColFloat                     // double, NULL when absent
	ColTraceID                   // the trace id, stored as trace_hi and trace_lo (UBIGINT)
	ColSpanID                    // a span id, stored as one UBIGINT
	ColMessage                   // the message: words and phrases search it
)

// Columns lists the searchable core columns of the events table (both
// engines use these names) and their types. Columns not listed here, such
// as project_id and ts, are scoped by the store, not searched.
func Columns() map[string]ColumnType {
	return map[string]ColumnType{
		"kind":           ColLower,
		"level":          ColLower,
		"service":        ColString,
		"env":            ColString,
		"release":        ColString,
		"host":           ColString,
		"trace_id":       ColTraceID,
		"span_id":        ColSpanID,
		"parent_span_id": ColSpanID,
		"user_id":        ColString,
		"anonymous_id":   ColString,
		"session_id":     ColString,
		"request_id":     ColString,
		"name":           ColString,
		"message":        ColMessage,
		"http_method":    ColUpper,
		"endpoint":       ColString,
		"http_status":    ColInt,
		"duration_ms":    ColFloat,
		"error_type":     ColString,
		"error_code":     ColString,
		"fingerprint":    ColString,
		"retry_attempt":  ColInt,
	}
}

// columnType returns the type of a core column.
func columnType(name string) (ColumnType, bool) {
	t, ok := Columns()[name]
	return t, ok
}

// resolveField maps a field name as typed to a core column (through the
// aliases) or to an attribute key. Core names and aliases are matched
// case-insensitively; attribute keys are kept as typed. A leading '@'
// always means an attribute (Datadog's spelling), which reaches attributes
// whose keys are core names or aliases: @type:click, @status:gold.
func resolveField(typed string) (name string, attr bool, reserved bool) {
	if key, ok := strings.CutPrefix(typed, "@"); ok && key != "" {
		return key, true, false
	}
	low := strings.ToLower(typed)
	switch low {
	case "status":
		low = "http_status"
	case "method":
		low = "http_method"
	case "path", "route":
		low = "endpoint"
	case "msg":
		low = "message"
	case "svc":
		low = "service"
	case "user":
		low = "user_id"
	case "session":
		low = "session_id"
	case "trace":
		low = "trace_id"
	case "environment":
		low = "env"
	case "type":
		low = "error_type"
	case "retry":
		low = "retry_attempt"
	case "duration":
		low = "duration_ms"
	case "span":
		low = "span_id"
	case "project_id", "ts", "received_at", "trace_hi", "trace_lo", "attr_keys", "attr_values":
		return low, false, true
	}
	if _, ok := columnType(low); ok {
		return low, false, false
	}
	return typed, true, false
}

// normalizeLevel maps a level as loggers spell it (warning, err, crit, …)
// onto Lore's levels the way ingest does; other values are lower-cased.
func normalizeLevel(v string) string {
	if l, ok := event.NormalizeLevel(v); ok {
		return l
	}
	return strings.ToLower(v)
}

// ResolveField maps a field name as a user types it (aliases such as
// "status" or "user", any case, a leading "@" forcing an attribute) to the
// core column or attribute key the store understands. Facets and
// histogram splits use it so `field=status` means http_status, as it does
// in a query.
func ResolveField(typed string) (name string, attr bool) {
	name, attr, _ = resolveField(typed)
	return name, attr
}
