package server

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/journey"
	"github.com/lore-dev/lore/internal/analysis/narrative"
	"github.com/lore-dev/lore/internal/analysis/product"
	"github.com/lore-dev/lore/internal/check"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/fields"
	"github.com/lore-dev/lore/internal/issue"
	"github.com/lore-dev/lore/internal/meta"
)

// apiTypesFile is the web client's copy of the API's response types.
const apiTypesFile = "../../web/src/api/types.gen.ts"

// apiResponses are the Go types the read API answers with, by route: the
// web client's types are generated from them, so a renamed or removed
// field fails this test instead of a page in the browser. A route whose
// answer is assembled by hand (search, journeys) lists the parts it is
// made of.
var apiResponses = []struct {
	route string
	v     any
}{
	{"GET /api/v1/histogram", HistogramResponse{}},
	{"GET /api/v1/facets", FacetsResponse{}},
	{"GET /api/v1/latency", LatencyResponse{}},
	{"GET /api/v1/journeys/{by}/{id}: story", journey.StoryLine{}},
	{"GET /api/v1/journeys/{by}/{id}: summary", journey.Summary{}},
	{"GET /api/v1/journeys/failures", narrative.JourneyFailuresResult{}},
	{"GET /api/v1/issues", issue.List{}},
	{"GET /api/v1/issues/{id}", issue.Detail{}},
	{"GET /api/v1/issues/{id}/events", issue.EventList{}},
	{"GET /api/v1/patterns", narrative.PatternsResult{}},
	{"GET /api/v1/stories", narrative.StoriesResult{}},
	{"GET /api/v1/services/map", narrative.ServiceMapResult{}},
	{"GET /api/v1/services/map?trace_id=", narrative.TraceBreakdownResult{}},
	{"GET /api/v1/incidents/timeline", narrative.TimelineResult{}},
	{"POST /api/v1/funnels", product.FunnelResult{}},
	{"POST /api/v1/retention", product.RetentionResult{}},
	{"POST /api/v1/paths", product.PathsResult{}},
	{"POST /api/v1/trends", product.TrendsResult{}},
	{"GET /api/v1/web", product.WebResult{}},
	{"GET /api/v1/fields", fields.Dictionary{}},
	{"GET /api/v1/project", projectAnswer{}},
	{"GET /api/v1/dashboards/{id}", meta.Dashboard{}},
	{"GET /api/v1/searches/{id}", meta.SavedSearch{}},
	{"GET /api/v1/monitors", MonitorsResponse{}},
	{"GET /api/v1/monitors/{id}", meta.Monitor{}},
	{"GET /api/v1/monitors/options", MonitorOptions{}},
	{"GET /api/v1/monitors/{id}/deliveries", DeliveriesResponse{}},
	{"GET /api/v1/checks", ChecksResponse{}},
	{"GET /api/v1/checks/{id}", meta.Check{}},
	{"GET /api/v1/status", check.Summary{}},
	{"GET /api/v1/channels", ChannelsResponse{}},
	{"GET /api/v1/channels/{id}", meta.Channel{}},
	{"POST /api/v1/channels/{id}/test", TestResponse{}},
	{"GET /api/v1/replays", ReplaysAnswer{}},
	{"GET /api/v1/query (with pipes), POST /api/v1/sql", TableResponse{}},
}

// handWritten are types whose JSON is written by hand; the web client
// declares them itself (web/src/api/types.ts).
var handWritten = map[reflect.Type]string{
	reflect.TypeFor[event.Event](): "LoreEvent",
}

// rawFields are the json.RawMessage fields whose content the web client
// knows: what they hold, by type and Go field name.
var rawFields = map[string]string{
	"issue.Related.Events":        "LoreEvent[] | null",
	"issue.EventView.Breadcrumbs": "Breadcrumb[] | null",
}

// TestAPITypes checks that web/src/api/types.gen.ts is what the Go types
// generate; LORE_UPDATE_GOLDEN=1 rewrites it.
func TestAPITypes(t *testing.T) {
	g := newTSGen()
	for _, r := range apiResponses {
		g.root(r.route, reflect.TypeOf(r.v))
	}
	got := g.String()
	if os.Getenv("LORE_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(apiTypesFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(apiTypesFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the Go response types; run LORE_UPDATE_GOLDEN=1 go test ./internal/server -run TestAPITypes and fix the pages that use what changed.\n%s",
			apiTypesFile, lineDiff(string(want), got))
	}
}

// TestAPITypesSeeCustomJSON checks the generator against encoding/json
// for types with a MarshalJSON: the keys it declares are the keys a
// filled value marshals to.
func TestAPITypesSeeCustomJSON(t *testing.T) {
	for _, v := range []any{journey.StoryLine{}, journey.Summary{}} {
		typ := reflect.TypeOf(v)
		keys, _ := sampleKeys(typ)
		if len(keys) < 3 {
			t.Errorf("%v marshals to only %v", typ, keys)
		}
	}
}

type tsGen struct {
	names map[reflect.Type]string // named struct → TS name
	decls map[string]string       // TS name → declaration
	roots map[string][]string     // TS name → routes answering it
	taken map[string]reflect.Type
}

func newTSGen() *tsGen {
	return &tsGen{names: map[reflect.Type]string{}, decls: map[string]string{}, roots: map[string][]string{}, taken: map[string]reflect.Type{}}
}

func (g *tsGen) root(route string, t reflect.Type) {
	name := g.ref(t)
	g.roots[name] = append(g.roots[name], route)
}

func (g *tsGen) String() string {
	var b strings.Builder
	b.WriteString("// The read API's response types, generated from the Go structs by\n")
	b.WriteString("// internal/server/apitypes_test.go: do not edit; run\n")
	b.WriteString("// LORE_UPDATE_GOLDEN=1 go test ./internal/server -run TestAPITypes\n")
	b.WriteString("import type { Breadcrumb, LoreEvent } from './event';\n")
	names := make([]string, 0, len(g.decls))
	for n := range g.decls {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b.WriteString("\n")
		if rs := g.roots[n]; len(rs) > 0 {
			b.WriteString("/** The answer of " + strings.Join(rs, "; ") + ". */\n")
		}
		b.WriteString(g.decls[n])
	}
	return b.String()
}

// nameOf gives a Go type its TS name: its own, capitalised, or with its
// package's name before it when two packages use the same name.
func (g *tsGen) nameOf(t reflect.Type) string {
	if n, ok := g.names[t]; ok {
		return n
	}
	n := strings.ToUpper(t.Name()[:1]) + t.Name()[1:]
	if other, ok := g.taken[n]; ok && other != t {
		pkg := t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:]
		n = strings.ToUpper(pkg[:1]) + pkg[1:] + n
	}
	g.taken[n] = t
	g.names[t] = n
	return n
}

var (
	marshaler = reflect.TypeFor[json.Marshaler]()
	timeType  = reflect.TypeFor[time.Time]()
	rawType   = reflect.TypeFor[json.RawMessage]()
)

// ref is the TS type of t, declaring the named structs it needs.
func (g *tsGen) ref(t reflect.Type) string {
	if n, ok := handWritten[t]; ok {
		return n
	}
	switch {
	case t == timeType:
		return "string"
	case t == rawType:
		return "unknown"
	case t.Implements(marshaler):
		return g.named(t, func() string { return g.fromSample(t) })
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Pointer:
		return g.ref(t.Elem())
	case reflect.Interface:
		return "unknown"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "string"
		}
		return arrayOf(g.ref(t.Elem()))
	case reflect.Map:
		return "Record<string, " + g.ref(t.Elem()) + ">"
	case reflect.Struct:
		if t.Name() == "" {
			return g.object(t, "")
		}
		return g.named(t, func() string { return g.object(t, "") })
	}
	panic(fmt.Sprintf("apitypes: no TS type for %v", t))
}

func arrayOf(s string) string {
	if strings.ContainsAny(s, " |") {
		return "(" + s + ")[]"
	}
	return s + "[]"
}

// named declares t once, as an interface of the given body.
func (g *tsGen) named(t reflect.Type, body func() string) string {
	n := g.nameOf(t)
	if _, ok := g.decls[n]; !ok {
		g.decls[n] = "" // a recursive type refers to itself while declared
		g.decls[n] = "export interface " + n + " " + body() + "\n"
	}
	return n
}

// object is the TS object type of a struct as encoding/json writes it.
func (g *tsGen) object(t reflect.Type, indent string) string {
	var b strings.Builder
	b.WriteString("{\n")
	for _, f := range jsonFields(t) {
		typ := g.ref(f.typ)
		if !f.omitempty && nullable(f.typ) {
			typ += " | null"
		}
		if raw, ok := rawFields[f.owner]; ok {
			typ = raw
		}
		opt := ""
		if f.omitempty {
			opt = "?"
		}
		fmt.Fprintf(&b, "%s  %s%s: %s;\n", indent, f.name, opt, typ)
	}
	b.WriteString(indent + "}")
	return b.String()
}

// nullable says whether a zero value of t marshals to null.
func nullable(t reflect.Type) bool {
	if t == rawType || (t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8) {
		return false
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return true
	}
	return false
}

type jsonField struct {
	owner     string // package.Type.Field
	name      string
	typ       reflect.Type
	omitempty bool
}

// jsonFields lists a struct's fields as encoding/json sees them, with the
// fields of embedded structs in place.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				out = append(out, jsonFields(et)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		typ := f.Type
		if slices.Contains(strings.Split(opts, ","), "string") {
			typ = reflect.TypeFor[string]()
		}
		owner := t.String() + "." + f.Name
		out = append(out, jsonField{owner: owner, name: name, typ: typ, omitempty: slices.Contains(strings.Split(opts, ","), "omitempty") || slices.Contains(strings.Split(opts, ","), "omitzero")})
	}
	return out
}

// fromSample declares a type with its own MarshalJSON by marshalling a
// filled value and its zero value: a key only the filled one has is
// optional.
func (g *tsGen) fromSample(t reflect.Type) string {
	keys, vals := sampleKeys(t)
	zero, _ := json.Marshal(reflect.Zero(t).Interface())
	var zm map[string]json.RawMessage
	_ = json.Unmarshal(zero, &zm)
	var b strings.Builder
	b.WriteString("{\n")
	for _, k := range keys {
		opt := ""
		if _, ok := zm[k]; !ok {
			opt = "?"
		}
		fmt.Fprintf(&b, "  %s%s: %s;\n", k, opt, jsonTS(vals[k]))
	}
	b.WriteString("}")
	return b.String()
}

// sampleKeys marshals a filled value of t and answers its keys in order.
func sampleKeys(t reflect.Type) ([]string, map[string]any) {
	v := reflect.New(t).Elem()
	fill(v)
	raw, err := json.Marshal(v.Interface())
	if err != nil {
		panic(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	var keys []string
	vals := map[string]any{}
	_, _ = dec.Token()
	for dec.More() {
		k, _ := dec.Token()
		var val any
		_ = dec.Decode(&val)
		keys = append(keys, k.(string))
		vals[k.(string)] = val
	}
	return keys, vals
}

// fill sets every field of v to a non-zero value.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0))
		v.Set(s)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	}
}

// jsonTS is the TS type of a decoded JSON value.
func jsonTS(v any) string {
	switch x := v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		if len(x) > 0 {
			return arrayOf(jsonTS(x[0]))
		}
		return "unknown[]"
	}
	return "unknown"
}

// lineDiff shows the first lines where a and b differ.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  file: %s\n  Go:   %s", i+1, x, y)
		}
	}
	return ""
}
