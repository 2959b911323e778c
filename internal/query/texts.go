package query

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// EncodeTexts writes a group of message terms (a node for which
// MatchTexts is used: *Text leaves joined by *And, *Or and *Not) as the
// argument MatchTexts binds, which DecodeTexts reads back. It is not query
// syntax: query syntax would spell an implicit AND " AND " and could
// outgrow MaxQueryBytes. Each node is a letter, then for a *Text its
// pieces and for a group its children, counts and lengths in decimal
// ended by ':' — t2:3:foo0: is the Text foo*; |2:… an Or of two; -… a Not.
func EncodeTexts(n Node) string {
	var b strings.Builder
	encodeTexts(&b, n)
	return b.String()
}

func encodeTexts(b *strings.Builder, n Node) {
	count := func(k int) { b.WriteString(strconv.Itoa(k)); b.WriteByte(':') }
	switch n := n.(type) {
	case *Text:
		b.WriteByte('t')
		count(len(n.Pieces))
		for _, p := range n.Pieces {
			count(len(p))
			b.WriteString(p)
		}
	case *And:
		b.WriteByte('&')
		count(len(n.Children))
		for _, c := range n.Children {
			encodeTexts(b, c)
		}
	case *Or:
		b.WriteByte('|')
		count(len(n.Children))
		for _, c := range n.Children {
			encodeTexts(b, c)
		}
	case *Not:
		b.WriteByte('-')
		encodeTexts(b, n.Child)
	default:
		// never bound: the compiler encodes groups of texts alone
		b.WriteString("?")
	}
}

// DecodeTexts reads what EncodeTexts wrote.
func DecodeTexts(s string) (Node, error) {
	d := &textDecoder{s: s}
	n, err := d.node(0)
	if err == nil && d.s != "" {
		err = errors.New("trailing bytes")
	}
	if err != nil {
		return nil, fmt.Errorf("message terms %.60q: %w", s, err)
	}
	return n, nil
}

type textDecoder struct{ s string }

func (d *textDecoder) count() (int, error) {
	i := strings.IndexByte(d.s, ':')
	if i < 0 {
		return 0, errors.New("count without ':'")
	}
	k, err := strconv.Atoi(d.s[:i])
	if err != nil || k < 0 || k > len(d.s) {
		return 0, fmt.Errorf("bad count %q", d.s[:i])
	}
	d.s = d.s[i+1:]
	return k, nil
}

func (d *textDecoder) node(depth int) (Node, error) {
	if d.s == "" {
		return nil, errors.New("cut short")
	}
	if depth > maxDepth {
		return nil, errors.New("nested too deep")
	}
	op := d.s[0]
	d.s = d.s[1:]
	switch op {
	case 't':
		k, err := d.count()
		if err != nil {
			return nil, err
		}
		t := &Text{Pieces: make([]string, k)}
		for i := range t.Pieces {
			n, err := d.count()
			if err != nil {
				return nil, err
			}
			if n > len(d.s) {
				return nil, errors.New("piece cut short")
			}
			t.Pieces[i], d.s = d.s[:n], d.s[n:]
		}
		return t, nil
	case '&', '|':
		k, err := d.count()
		if err != nil {
			return nil, err
		}
		kids := make([]Node, k)
		for i := range kids {
			if kids[i], err = d.node(depth + 1); err != nil {
				return nil, err
			}
		}
		if op == '&' {
			return &And{Children: kids}, nil
		}
		return &Or{Children: kids}, nil
	case '-':
		c, err := d.node(depth + 1)
		if err != nil {
			return nil, err
		}
		return &Not{Child: c}, nil
	}
	return nil, fmt.Errorf("unknown node %q", op)
}
