package posthog

import (
	"encoding/json"
	"github.com/lore-dev/lore/internal/exception"
	"strings"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest/segment"
)

// rawException is one entry of $exception_list, as posthog-js and
// posthog-node's captureException send it (Sentry's exception shape).
type rawException struct {
	Type      string `json:"type"`
	Value     string `json:"value"`
	Module    string `json:"module"`
	Mechanism *struct {
		Type    string `json:"type"`
		Handled *bool  `json:"handled"`
	} `json:"mechanism"`
	Stacktrace *struct {
		Frames []exception.Frame `json:"frames"`
	} `json:"stacktrace"`
}

// maxExceptions bounds the chained exceptions of one event.
const maxExceptions = 32

// toException makes e an error from a $exception event: the exceptions of
// $exception_list (type, value, mechanism and frames with their context
// lines) when sent, as issues group them (culprit, fingerprint, or
// $exception_fingerprint when the SDK sets one), else the legacy
// $exception_type and $exception_message.
func toException(e *event.Event, props map[string]any) {
	e.Kind, e.Level = event.KindError, event.LevelError
	switch strings.ToLower(segment.Str(props, "$exception_level")) {
	case "fatal":
		e.Level = event.LevelFatal
	case "warning", "warn":
		e.Level = event.LevelWarn
	case "info", "log":
		e.Level = event.LevelInfo
	case "debug":
		e.Level = event.LevelDebug
	}
	e.ErrorType = segment.Str(props, "$exception_type")
	e.Message = segment.Str(props, "$exception_message")
	list, _ := props["$exception_list"].([]any)
	if len(list) == 0 {
		return
	}
	if len(list) > maxExceptions {
		list = list[len(list)-maxExceptions:]
	}
	b, err := json.Marshal(list)
	if err != nil {
		return
	}
	var raws []rawException
	if json.Unmarshal(b, &raws) != nil {
		return // kept as the legacy fields say; the list is not stored
	}
	excs := make([]exception.Exception, 0, len(raws))
	for _, r := range raws {
		ex := exception.Exception{Type: r.Type, Value: r.Value, Module: r.Module}
		if r.Stacktrace != nil {
			ex.Frames = r.Stacktrace.Frames
		}
		excs = append(excs, ex)
	}
	exception.NormalizeFrames("", excs)
	last := raws[len(raws)-1]
	e.ErrorType = firstOf(last.Type, e.ErrorType)
	e.Message = firstOf(last.Value, e.Message)
	if j, err := json.Marshal(excs); err == nil {
		e.Attributes = append(e.Attributes, event.Attr{Key: exception.AttrExceptions, Value: string(j)})
	}
	e.Attributes = append(e.Attributes, event.Attr{Key: exception.AttrCulprit, Value: exception.Culprit(excs)})
	if m := last.Mechanism; m != nil {
		e.Attributes = append(e.Attributes, event.Attr{Key: "mechanism", Value: m.Type})
		if m.Handled != nil {
			e.Attributes = append(e.Attributes, event.Attr{Key: "handled", Value: map[bool]string{true: "yes", false: "no"}[*m.Handled]})
		}
	}
	var sdk []string
	switch fp := props["$exception_fingerprint"].(type) {
	case string:
		if fp != "" {
			sdk = []string{fp}
		}
	case []any:
		for _, v := range fp {
			sdk = append(sdk, segment.Text(v))
		}
	}
	if len(sdk) > 0 {
		// Kept, as the Sentry decoder keeps an SDK's fingerprint, so that
		// grouping computed again (after source maps) honours it.
		if j, err := json.Marshal(sdk); err == nil {
			e.Attributes = append(e.Attributes, event.Attr{Key: "sentry.fingerprint", Value: string(j)})
		}
	}
	e.Fingerprint = exception.Fingerprint(exception.Components(sdk, exception.DefaultComponents(excs, e.Message)))
}
