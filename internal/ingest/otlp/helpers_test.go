package otlp

import (
	"reflect"
	"testing"

	"github.com/lore-dev/lore/internal/event"
)

// checkColumns compares the core columns of got with want; ids and
// attributes are checked by checkIDs and checkAttrs.
func checkColumns(t *testing.T, got, want event.Event) {
	t.Helper()
	got.TraceID, got.SpanID, got.ParentSpanID, got.Attributes = event.TraceID{}, event.SpanID{}, event.SpanID{}, nil
	want.TraceID, want.SpanID, want.ParentSpanID, want.Attributes = event.TraceID{}, event.SpanID{}, event.SpanID{}, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("event %q columns:\n got  %+v\n want %+v", want.Name+want.Message, got, want)
	}
}

// checkIDs compares the ids of e, in hex, with the given ones ("" = absent).
func checkIDs(t *testing.T, e event.Event, traceID, spanID, parentID string) {
	t.Helper()
	if e.TraceID.String() != traceID || e.SpanID.String() != spanID || e.ParentSpanID.String() != parentID {
		t.Errorf("event %q ids = trace %q span %q parent %q, want %q %q %q",
			e.Name+e.Message, e.TraceID, e.SpanID, e.ParentSpanID, traceID, spanID, parentID)
	}
}

// checkAttrs checks that e has each attribute of want with its value, once,
// and none of the absent keys.
func checkAttrs(t *testing.T, e event.Event, want map[string]string, absent ...string) {
	t.Helper()
	count := make(map[string]int, len(e.Attributes))
	for _, a := range e.Attributes {
		count[a.Key]++
	}
	for k, v := range want {
		got, ok := e.Attr(k)
		if !ok {
			t.Errorf("event %q: attribute %q missing, want %q (attributes: %v)", e.Name+e.Message, k, v, e.Attributes)
			continue
		}
		if got != v {
			t.Errorf("event %q: attribute %q = %q, want %q", e.Name+e.Message, k, got, v)
		}
		if count[k] > 1 {
			t.Errorf("event %q: attribute %q appears %d times", e.Name+e.Message, k, count[k])
		}
	}
	for _, k := range absent {
		if v, ok := e.Attr(k); ok {
			t.Errorf("event %q: attribute %q = %q should have become a column", e.Name+e.Message, k, v)
		}
	}
}
