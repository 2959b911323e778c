// Package sourcemap reads JavaScript source maps (revision 3,
// https://tc39.es/ecma426/) and turns the minified frames of browser
// errors back into their original function, file, line and context
// (symbolicate.go), from the maps and bundles uploaded for a release with
// `lore sourcemaps upload`.
package sourcemap

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
)

// Map is a parsed source map: for each generated line, its segments in
// column order.
type Map struct {
	File           string
	Sources        []string
	SourcesContent []string // "" where the map carries no content
	Names          []string
	lines          [][]segment
}

// segment maps a generated column to an original position; src and name
// are -1 when the segment has none.
type segment struct {
	col, src, line, srcCol, name int32
}

// Pos is an original position, lines and columns from 1.
type Pos struct {
	Source string // the original file, as the map names it (sourceRoot joined)
	Line   int
	Column int
	Name   string // the original name of the token there, if the map has one
	src    int
}

// ErrMalformed is wrapped by Parse's errors.
var ErrMalformed = errors.New("malformed source map")

type rawMap struct {
	Version        int               `json:"version"`
	File           string            `json:"file"`
	SourceRoot     string            `json:"sourceRoot"`
	Sources        []*string         `json:"sources"`
	SourcesContent []*string         `json:"sourcesContent"`
	Names          []string          `json:"names"`
	Mappings       string            `json:"mappings"`
	Sections       []json.RawMessage `json:"sections"`
}

// maxSegments bounds the segments of one map (a 10 MB bundle has a few
// million).
const maxSegments = 20_000_000

// Parse reads a source map. Index maps (with "sections") are refused: the
// bundlers Lore's users run (esbuild, Vite, webpack, Rollup) write plain
// ones.
func Parse(b []byte) (*Map, error) {
	var r rawMap
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if r.Version != 3 {
		return nil, fmt.Errorf("%w: version %d, want 3", ErrMalformed, r.Version)
	}
	if len(r.Sections) > 0 {
		return nil, fmt.Errorf("%w: index maps (sections) are not supported; upload the bundle's own maps", ErrMalformed)
	}
	m := &Map{File: r.File, Names: r.Names}
	for _, s := range r.Sources {
		src := ""
		if s != nil {
			src = *s
		}
		if r.SourceRoot != "" && !strings.Contains(src, "://") && !strings.HasPrefix(src, "/") {
			src = strings.TrimSuffix(r.SourceRoot, "/") + "/" + src
		}
		m.Sources = append(m.Sources, src)
	}
	m.SourcesContent = make([]string, len(m.Sources))
	for i, c := range r.SourcesContent {
		if i < len(m.SourcesContent) && c != nil {
			m.SourcesContent[i] = *c
		}
	}
	if err := m.decode(r.Mappings); err != nil {
		return nil, err
	}
	return m, nil
}

// decode reads the mappings: Base64 VLQ fields, segments separated by ','
// and generated lines by ';'; the column restarts on each line, the other
// fields are relative to the previous segment's.
func (m *Map) decode(mappings string) error {
	var (
		line            []segment
		src, sl, sc, nm int32
		total           int
	)
	for i := 0; i <= len(mappings); {
		if i == len(mappings) || mappings[i] == ';' {
			m.lines = append(m.lines, line)
			line = nil
			i++
			if i > len(mappings) {
				break
			}
			continue
		}
		if mappings[i] == ',' {
			i++
			continue
		}
		var f [5]int32
		n := 0
		for i < len(mappings) && mappings[i] != ',' && mappings[i] != ';' {
			if n == 5 {
				return fmt.Errorf("%w: a segment of line %d has more than 5 fields", ErrMalformed, len(m.lines)+1)
			}
			v, next, err := vlq(mappings, i)
			if err != nil {
				return fmt.Errorf("%w: line %d: %v", ErrMalformed, len(m.lines)+1, err)
			}
			f[n], n, i = v, n+1, next
		}
		seg := segment{src: -1, name: -1}
		var prevCol int32
		if len(line) > 0 {
			prevCol = line[len(line)-1].col
		}
		seg.col = prevCol + f[0]
		switch n {
		case 1:
		case 4, 5:
			src, sl, sc = src+f[1], sl+f[2], sc+f[3]
			if src < 0 || int(src) >= len(m.Sources) || sl < 0 || sc < 0 {
				return fmt.Errorf("%w: line %d: source %d line %d column %d out of range", ErrMalformed, len(m.lines)+1, src, sl, sc)
			}
			seg.src, seg.line, seg.srcCol = src, sl, sc
			if n == 5 {
				nm += f[4]
				if nm < 0 || int(nm) >= len(m.Names) {
					return fmt.Errorf("%w: line %d: name %d out of range", ErrMalformed, len(m.lines)+1, nm)
				}
				seg.name = nm
			}
		default:
			return fmt.Errorf("%w: line %d: a segment of %d fields", ErrMalformed, len(m.lines)+1, n)
		}
		if seg.col < 0 {
			return fmt.Errorf("%w: line %d: negative column", ErrMalformed, len(m.lines)+1)
		}
		if total++; total > maxSegments {
			return fmt.Errorf("%w: more than %d segments", ErrMalformed, maxSegments)
		}
		line = append(line, seg)
	}
	for _, l := range m.lines {
		if !sort.SliceIsSorted(l, func(a, b int) bool { return l[a].col < l[b].col }) {
			sort.SliceStable(l, func(a, b int) bool { return l[a].col < l[b].col })
		}
	}
	return nil
}

const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

var b64val = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(b64); i++ {
		t[b64[i]] = int8(i)
	}
	return t
}()

// vlq reads one Base64 VLQ value at s[i:].
func vlq(s string, i int) (int32, int, error) {
	var v, shift int64
	for {
		if i >= len(s) {
			return 0, i, errors.New("a value runs past the end")
		}
		d := b64val[s[i]]
		if d < 0 {
			return 0, i, fmt.Errorf("bad character %q", s[i])
		}
		i++
		v |= int64(d&31) << shift
		if d&32 == 0 {
			break
		}
		if shift += 5; shift > 30 {
			return 0, i, errors.New("a value overflows 32 bits")
		}
	}
	neg := v&1 == 1
	v >>= 1
	if neg {
		v = -v
	}
	return int32(v), i, nil
}

// Lookup maps a generated position (lines and columns from 1, as stack
// frames give them) to the original one: the last segment of the line at
// or before the column.
func (m *Map) Lookup(line, col int) (Pos, bool) {
	if line < 1 || line > len(m.lines) {
		return Pos{}, false
	}
	segs := m.lines[line-1]
	c := int32(col - 1)
	i := sort.Search(len(segs), func(i int) bool { return segs[i].col > c }) - 1
	if i < 0 || segs[i].src < 0 {
		return Pos{}, false
	}
	s := segs[i]
	p := Pos{Source: m.Sources[s.src], Line: int(s.line) + 1, Column: int(s.srcCol) + 1, src: int(s.src)}
	if s.name >= 0 {
		p.Name = m.Names[s.name]
	}
	return p, true
}

// Content returns the original source of p, if the map carries it.
func (m *Map) Content(p Pos) string {
	if p.src < 0 || p.src >= len(m.SourcesContent) {
		return ""
	}
	return m.SourcesContent[p.src]
}

// CleanSource is an original file name as shown in a stack: bundlers'
// prefixes ("webpack://app/", "../", "./") removed.
func CleanSource(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
		if strings.HasPrefix(s, "/") {
			s = s[1:]
		} else if j := strings.IndexByte(s, '/'); j >= 0 && !strings.Contains(s[:j], ".") {
			s = s[j+1:] // webpack://app-name/src/x.js
		}
	}
	s = path.Clean("/" + s)[1:]
	for strings.HasPrefix(s, "../") {
		s = s[3:]
	}
	return s
}
