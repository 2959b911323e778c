package event

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzAppendJSONString: whatever the string, the output is one JSON string
// that decodes back to it (valid UTF-8), or to it with U+FFFD for bad bytes.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `quo"te\`, "line\nbreak\ttab\r", "\x00\x1f", "héllo ✓", "bad \xff utf8", "<a href=\"x\">&</a>", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := AppendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("AppendJSONString(%q) = %s, not JSON: %v", s, b, err)
		}
		if utf8.ValidString(s) && got != s {
			t.Fatalf("AppendJSONString(%q) decodes to %q", s, got)
		}
	})
}
