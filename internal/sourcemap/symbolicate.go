package sourcemap

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"github.com/lore-dev/lore/internal/exception"
	"log/slog"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/event"
)

// File is an uploaded file of a release: its name (the path under the
// uploaded directory, with the URL prefix) and a version that changes
// when it is uploaded again.
type File struct {
	Name    string
	Version int64
}

// Store holds the files uploaded for each project's releases
// (*meta.Store).
type Store interface {
	SourceMapFiles(ctx context.Context, project int64, release string) ([]File, error)
	SourceMapFile(ctx context.Context, project int64, release, name string) ([]byte, error)
}

// Symbolicator rewrites the minified JavaScript frames of error events
// whose release has uploaded source maps: each frame gets its original
// function, file, line, column and context lines, and is in-app unless
// its source lies in node_modules; the culprit and the default
// fingerprint are computed again from the original frames, so grouping
// follows the code, not the build. It is an ingest processor, run before
// the issues' tracker; a missing map leaves the frame as it was.
type Symbolicator struct {
	store Store
	log   *slog.Logger
	now   func() time.Time

	mu       sync.Mutex
	releases map[releaseKey]*release
}

type releaseKey struct {
	project int64
	release string
}

// release caches a release's file list (refreshed after listTTL, so an
// upload is seen within seconds) and its parsed files.
type release struct {
	listed time.Time
	files  []File
	maps   map[File]*Map
	srcs   map[File]*Source
	used   time.Time
}

const (
	listTTL     = 10 * time.Second
	maxReleases = 16 // releases whose parsed files are kept
)

// New returns a symbolicator reading store.
func New(store Store, log *slog.Logger) *Symbolicator {
	if log == nil {
		log = slog.Default()
	}
	return &Symbolicator{store: store, log: log, now: time.Now, releases: map[releaseKey]*release{}}
}

// Process symbolicates the error events of a batch (a ingest.Processor).
func (s *Symbolicator) Process(ctx context.Context, events []event.Event) ([]event.Event, error) {
	for i := range events {
		e := &events[i]
		if e.Kind != event.KindError || e.Release == "" {
			continue
		}
		excs := exception.FromEvent(e)
		if !hasScriptFrames(excs) {
			continue
		}
		if s.symbolicate(ctx, e.ProjectID, e.Release, excs) {
			rewrite(e, excs)
		}
	}
	return events, nil
}

// Invalidate forgets what is cached of a release (after an upload).
func (s *Symbolicator) Invalidate(project int64, rel string) {
	s.mu.Lock()
	delete(s.releases, releaseKey{project, rel})
	s.mu.Unlock()
}

func hasScriptFrames(excs []exception.Exception) bool {
	for _, ex := range excs {
		for _, f := range ex.Frames {
			if isScript(frameURL(f)) && f.Lineno > 0 {
				return true
			}
		}
	}
	return false
}

func frameURL(f exception.Frame) string {
	if f.AbsPath != "" {
		return f.AbsPath
	}
	return f.Filename
}

func isScript(u string) bool {
	p := urlPath(u)
	return strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".mjs") || strings.HasSuffix(p, ".cjs")
}

// urlPath is the path of a frame's file URL ("https://h/assets/a.js?v=1"
// → "/assets/a.js").
func urlPath(u string) string {
	if p, err := url.Parse(u); err == nil && p.Path != "" {
		return p.Path
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return u
}

// symbolicate rewrites the frames it can map; it reports whether any was.
func (s *Symbolicator) symbolicate(ctx context.Context, project int64, rel string, excs []exception.Exception) bool {
	r := s.release(ctx, project, rel)
	if r == nil {
		return false
	}
	changed := false
	for x := range excs {
		for i := range excs[x].Frames {
			f := &excs[x].Frames[i]
			if f.Lineno <= 0 || !isScript(frameURL(*f)) {
				continue
			}
			m, src := s.artifacts(ctx, project, rel, r, urlPath(frameURL(*f)))
			if m == nil {
				continue
			}
			pos, ok := m.Lookup(f.Lineno, max(f.Colno, 1))
			if !ok {
				continue
			}
			applyPos(f, m, src, pos)
			changed = true
		}
	}
	return changed
}

// applyPos rewrites frame f (minified) at original position pos.
func applyPos(f *exception.Frame, m *Map, src *Source, pos Pos) {
	if f.AbsPath == "" {
		f.AbsPath = f.Filename // keep where the minified frame was
	}
	f.Function = originalFunction(f, m, src, pos)
	f.Filename = CleanSource(pos.Source)
	f.Module = ""
	f.Lineno, f.Colno = pos.Line, pos.Column
	f.InApp = !strings.Contains(pos.Source, "node_modules/") && !strings.Contains(pos.Source, "webpack/bootstrap")
	f.ContextLine, f.PreContext, f.PostContext = "", nil, nil
	if content := m.Content(pos); content != "" {
		if pre, cur, post, ok := contextLines(content, pos.Line, 5); ok {
			f.PreContext, f.ContextLine, f.PostContext = pre, cur, post
		}
	}
}

// originalFunction names a minified frame's function in the original
// source: the original name of the minified function's declaration in the
// bundle (when the bundle was uploaded), else the function declared
// nearest above the original line. An anonymous function stays so; a
// method keeps its receiver ("HTMLButtonElement.onPay").
func originalFunction(f *exception.Frame, m *Map, src *Source, pos Pos) string {
	fn := f.Function
	if exception.Anonymous(fn) {
		return fn
	}
	recv, id := "", fn
	if i := strings.LastIndexByte(fn, '.'); i >= 0 {
		recv, id = fn[:i+1], fn[i+1:]
	}
	name := ""
	if src != nil {
		if end := src.offset(f.Lineno, max(f.Colno, 1)); end >= 0 {
			if d := src.declarationBefore(id, end); d >= 0 {
				l, c := src.position(d)
				if dp, ok := m.Lookup(l, c); ok {
					name = dp.Name
					if name == "" {
						name = identifierAt(m.Content(dp), dp.Line, dp.Column)
					}
				}
			}
		}
	}
	if name == "" {
		name = enclosingFunction(m.Content(pos), pos.Line)
	}
	if name == "" {
		return fn
	}
	return recv + name
}

// identifierAt is the identifier starting at (line, col) of content.
func identifierAt(content string, line, col int) string {
	lines := strings.Split(content, "\n")
	if line < 1 || line > len(lines) || col < 1 || col > len(lines[line-1]) {
		return ""
	}
	s := lines[line-1][col-1:]
	n := 0
	for n < len(s) && (s[n] == '_' || s[n] == '$' || s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z' || n > 0 && s[n] >= '0' && s[n] <= '9') {
		n++
	}
	return s[:n]
}

// rewrite stores symbolicated exceptions on e and computes its culprit and
// default fingerprint again (an SDK's own fingerprint is kept).
func rewrite(e *event.Event, excs []exception.Exception) {
	b, err := json.Marshal(excs)
	if err != nil {
		return
	}
	setAttr(e, exception.AttrExceptions, string(b))
	setAttr(e, exception.AttrCulprit, exception.Culprit(excs))
	msg := e.Message
	var sdk []string
	if v, ok := e.Attr(AttrSDKFingerprint); ok {
		json.Unmarshal([]byte(v), &sdk)
	}
	e.Fingerprint = exception.Fingerprint(exception.Components(sdk, exception.DefaultComponents(excs, msg)))
	setAttr(e, "symbolicated", "true")
}

// AttrSDKFingerprint holds the fingerprint an SDK sent, as JSON (written
// by the Sentry and PostHog decoders), so grouping can be computed again.
const AttrSDKFingerprint = "sentry.fingerprint"

func setAttr(e *event.Event, k, v string) {
	for i := range e.Attributes {
		if e.Attributes[i].Key == k {
			e.Attributes[i].Value = v
			return
		}
	}
	e.Attributes = append(e.Attributes, event.Attr{Key: k, Value: v})
}

// release returns the cached release, listing its files again when stale;
// nil when it has none (or the store failed, which is logged).
func (s *Symbolicator) release(ctx context.Context, project int64, rel string) *release {
	k := releaseKey{project, rel}
	now := s.now()
	s.mu.Lock()
	r := s.releases[k]
	if r != nil && now.Sub(r.listed) < listTTL {
		r.used = now
		s.mu.Unlock()
		if len(r.files) == 0 {
			return nil
		}
		return r
	}
	s.mu.Unlock()
	files, err := s.store.SourceMapFiles(ctx, project, rel)
	if err != nil {
		s.log.Warn("cannot list the source maps of a release; frames stay minified", "project", project, "release", rel, "err", err)
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r == nil || s.releases[k] != r {
		r = &release{maps: map[File]*Map{}, srcs: map[File]*Source{}}
	}
	r.files, r.listed, r.used = files, now, now
	s.releases[k] = r
	s.evict()
	if len(files) == 0 {
		return nil
	}
	return r
}

// evict drops the least recently used releases beyond maxReleases (s.mu
// held).
func (s *Symbolicator) evict() {
	for len(s.releases) > maxReleases {
		var oldest releaseKey
		var t time.Time
		for k, r := range s.releases {
			if t.IsZero() || r.used.Before(t) {
				oldest, t = k, r.used
			}
		}
		delete(s.releases, oldest)
	}
}

// artifacts finds the map (and the minified file, if uploaded) of a
// frame's file path: the uploaded file whose name is the longest suffix of
// the path, its sourceMappingURL (or name + ".map", or a map named after
// the path when only maps were uploaded).
func (s *Symbolicator) artifacts(ctx context.Context, project int64, rel string, r *release, p string) (*Map, *Source) {
	var js, mp *File
	for i := range r.files {
		f := &r.files[i]
		base := strings.TrimSuffix(f.Name, ".map")
		if !pathMatches(p, base) {
			continue
		}
		if strings.HasSuffix(f.Name, ".map") {
			if mp == nil || len(f.Name) > len(mp.Name) {
				mp = f
			}
		} else if js == nil || len(f.Name) > len(js.Name) {
			js = f
		}
	}
	var src *Source
	if js != nil {
		src = s.source(ctx, project, rel, r, *js)
		if src != nil {
			if ref := sourceMappingURL(src.text); ref != "" {
				if m := s.inlineMap(r, *js, ref); m != nil {
					return m, src
				}
				name := path.Join(path.Dir(js.Name), ref)
				for i := range r.files {
					if r.files[i].Name == name {
						mp = &r.files[i]
					}
				}
			}
		}
	}
	if mp == nil {
		return nil, nil
	}
	return s.parsedMap(ctx, project, rel, r, *mp), src
}

// pathMatches reports whether uploaded name n is the frame's path p or a
// suffix of it at a "/" (names may start with "~/", any host).
func pathMatches(p, n string) bool {
	n = strings.TrimPrefix(n, "~")
	n = strings.TrimPrefix(n, "/")
	return n != "" && (p == n || strings.HasSuffix(p, "/"+n))
}

// sourceMappingURL is the //# sourceMappingURL= comment of a script's
// last lines.
func sourceMappingURL(text string) string {
	tail := text
	if len(tail) > 4096 {
		tail = tail[len(tail)-4096:]
	}
	i := strings.LastIndex(tail, "//# sourceMappingURL=")
	if i < 0 {
		i = strings.LastIndex(tail, "//@ sourceMappingURL=")
	}
	if i < 0 {
		return ""
	}
	ref := tail[i+len("//# sourceMappingURL="):]
	if j := strings.IndexAny(ref, "\r\n \t"); j >= 0 {
		ref = ref[:j]
	}
	return ref
}

// inlineMap parses a data: URL map ("data:application/json;base64,…").
func (s *Symbolicator) inlineMap(r *release, js File, ref string) *Map {
	const prefix = "data:application/json"
	if !strings.HasPrefix(ref, prefix) {
		return nil
	}
	key := File{Name: js.Name + "#inline", Version: js.Version}
	s.mu.Lock()
	m := r.maps[key]
	s.mu.Unlock()
	if m != nil {
		return m
	}
	_, data, ok := strings.Cut(ref, "base64,")
	if !ok {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil
	}
	if m, err = Parse(b); err != nil {
		s.log.Warn("ignoring an unreadable inline source map", "file", js.Name, "err", err)
		return nil
	}
	s.mu.Lock()
	r.maps[key] = m
	s.mu.Unlock()
	return m
}

func (s *Symbolicator) source(ctx context.Context, project int64, rel string, r *release, f File) *Source {
	s.mu.Lock()
	src, ok := r.srcs[f]
	s.mu.Unlock()
	if ok {
		return src
	}
	b, err := s.store.SourceMapFile(ctx, project, rel, f.Name)
	if err == nil {
		src = NewSource(string(b))
	} else {
		s.log.Warn("cannot read an uploaded file", "release", rel, "file", f.Name, "err", err)
	}
	s.mu.Lock()
	r.srcs[f] = src
	s.mu.Unlock()
	return src
}

func (s *Symbolicator) parsedMap(ctx context.Context, project int64, rel string, r *release, f File) *Map {
	s.mu.Lock()
	m, ok := r.maps[f]
	s.mu.Unlock()
	if ok {
		return m
	}
	b, err := s.store.SourceMapFile(ctx, project, rel, f.Name)
	if err == nil {
		if m, err = Parse(b); err != nil {
			s.log.Warn("ignoring an unreadable source map", "release", rel, "file", f.Name, "err", err)
		}
	} else {
		s.log.Warn("cannot read an uploaded source map", "release", rel, "file", f.Name, "err", err)
	}
	s.mu.Lock()
	r.maps[f] = m
	s.mu.Unlock()
	return m
}
