package clickhouse

import (
	"regexp"
	"strings"
)

// ClickHouse 18.16 (Debian's) reads less SQL than current releases: a
// WITH clause holds expressions but no named subqueries (WITH t AS
// (SELECT …), 20.x), and TRUE and FALSE are not literals (21.x). The
// analyses build their SQL once for ClickHouse; on a server that lacks
// these, Run rewrites it first (compat): each named subquery is put in
// place of the names that read it, TRUE and FALSE become 1 and 0, and
// LEFT SEMI JOIN (20.x) becomes ANY INNER JOIN.
// Open probes the server for both, so a current release runs the SQL as
// built.

// compat rewrites sql for an old server.
func compat(sql string) string {
	return semiJoins(literalBools(inlineWith(sql)))
}

// semiJoins spells LEFT SEMI JOIN (20.x) as ANY INNER JOIN, which on
// 18.16 keeps each left row with a match once, whatever the number of
// matches (on current releases ANY INNER JOIN also folds the left side's
// equal keys, which is why it is only for old servers).
func semiJoins(sql string) string {
	if !strings.Contains(strings.ToUpper(sql), "SEMI") {
		return sql
	}
	ts := lex(sql)
	for i := range ts {
		if !ts[i].word || !strings.EqualFold(ts[i].text, "LEFT") {
			continue
		}
		s := next(ts, i+1)
		j := next(ts, s+1)
		if j < len(ts) && strings.EqualFold(ts[s].text, "SEMI") && strings.EqualFold(ts[j].text, "JOIN") {
			ts[i].text = "ANY"
			ts[s].text = "INNER"
		}
	}
	return join(ts)
}

// token is one lexical piece of SQL: a word (identifier or keyword), a
// quoted string or identifier, a parenthesis, or any other run of text.
type token struct {
	text string
	word bool // an unquoted identifier or keyword
}

// lex splits sql into tokens; whitespace is its own token.
func lex(sql string) []token {
	var out []token
	for i := 0; i < len(sql); {
		c := sql[i]
		j := i + 1
		switch {
		case isWordStart(c):
			for j < len(sql) && isWordByte(sql[j]) {
				j++
			}
			out = append(out, token{text: sql[i:j], word: true})
			i = j
			continue
		case c == '\'' || c == '"' || c == '`':
			for ; j < len(sql); j++ {
				if sql[j] == '\\' {
					j++
					continue
				}
				if sql[j] == c {
					if j+1 < len(sql) && sql[j+1] == c {
						j++
						continue
					}
					j++
					break
				}
			}
			j = min(j, len(sql))
		case c == '-' && j < len(sql) && sql[j] == '-':
			for j < len(sql) && sql[j] != '\n' {
				j++
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			for j < len(sql) && (sql[j] == ' ' || sql[j] == '\t' || sql[j] == '\n' || sql[j] == '\r') {
				j++
			}
		case isDigit(c):
			// A number (1e5, 0x1F): not a word, so its letters are
			// never taken for a name.
			for j < len(sql) && (isWordByte(sql[j]) || sql[j] == '.') {
				j++
			}
		}
		out = append(out, token{text: sql[i:j]})
		i = j
	}
	return out
}

func isDigit(c byte) bool     { return c >= '0' && c <= '9' }
func isWordStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isWordByte(c byte) bool  { return isWordStart(c) || isDigit(c) }

func blank(t token) bool {
	return strings.TrimSpace(t.text) == "" || strings.HasPrefix(t.text, "--")
}

// next is the index of the first token at or after i that is not blank,
// len(ts) when none.
func next(ts []token, i int) int {
	for i < len(ts) && blank(ts[i]) {
		i++
	}
	return i
}

// closing is the index of the ")" matching the "(" at i, -1 when none.
func closing(ts []token, i int) int {
	depth := 0
	for ; i < len(ts); i++ {
		switch ts[i].text {
		case "(":
			depth++
		case ")":
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func join(ts []token) string {
	var b strings.Builder
	for _, t := range ts {
		b.WriteString(t.text)
	}
	return b.String()
}

// inlineWith replaces the named subqueries of every WITH clause (at the
// top and inside parentheses) by their text where they are read. A WITH
// clause that holds anything else is left as it is.
func inlineWith(sql string) string {
	if !strings.Contains(strings.ToUpper(sql), "WITH") {
		return sql
	}
	return join(inlineTokens(lex(sql)))
}

func inlineTokens(ts []token) []token {
	// Rewrite inside parentheses first (subqueries with WITH of their
	// own), then this level.
	var flat []token
	for i := 0; i < len(ts); i++ {
		if ts[i].text == "(" {
			if j := closing(ts, i); j > 0 {
				flat = append(flat, ts[i])
				flat = append(flat, inlineTokens(ts[i+1:j])...)
				flat = append(flat, ts[j])
				i = j
				continue
			}
		}
		flat = append(flat, ts[i])
	}
	ts = flat
	start := next(ts, 0)
	if start >= len(ts) || !strings.EqualFold(ts[start].text, "WITH") {
		return ts
	}
	type cte struct {
		name string
		body []token
	}
	var ctes []cte
	i := start + 1
	for {
		n := next(ts, i)
		as := next(ts, n+1)
		open := next(ts, as+1)
		if open >= len(ts) || !ts[n].word || !strings.EqualFold(ts[as].text, "AS") || ts[open].text != "(" {
			return ts // an expression WITH: 18.16 reads it
		}
		end := closing(ts, open)
		if end < 0 {
			return ts
		}
		body := ts[open+1 : end]
		for _, c := range ctes {
			body = substitute(body, c.name, c.body)
		}
		if len(body) > maxInlined {
			return ts // the server says what it makes of the WITH
		}
		ctes = append(ctes, cte{ts[n].text, body})
		i = next(ts, end+1)
		if i < len(ts) && ts[i].text == "," {
			i++
			continue
		}
		break
	}
	rest := ts[i:]
	for _, c := range ctes {
		if rest = substitute(rest, c.name, c.body); len(rest) > maxInlined {
			return ts
		}
	}
	return append(append([]token{}, ts[:start]...), rest...)
}

// maxInlined bounds the tokens of an inlined query: items that read
// earlier items several times grow it exponentially.
const maxInlined = 1 << 20

// notAlias are the words that may follow a table in a FROM clause
// without being its alias.
var notAlias = map[string]bool{
	"WHERE": true, "PREWHERE": true, "GROUP": true, "ORDER": true, "LIMIT": true, "HAVING": true, "UNION": true,
	"INNER": true, "LEFT": true, "RIGHT": true, "FULL": true, "CROSS": true, "JOIN": true, "ANY": true, "ALL": true,
	"ARRAY": true, "ON": true, "USING": true, "FINAL": true, "SAMPLE": true, "SETTINGS": true, "FORMAT": true,
	"GLOBAL": true, "SEMI": true, "ANTI": true, "ASOF": true, "WINDOW": true, "AS": true, "OUTER": true,
}

// substitute puts (body) where name is read as a table: after FROM or
// JOIN, keeping name as the alias unless the query gives its own.
func substitute(ts []token, name string, body []token) []token {
	var out []token
	prev := ""
	for i := 0; i < len(ts); i++ {
		t := ts[i]
		if t.word && t.text == name && (strings.EqualFold(prev, "FROM") || strings.EqualFold(prev, "JOIN")) {
			out = append(out, token{text: "("})
			out = append(out, body...)
			out = append(out, token{text: ")"})
			if n := next(ts, i+1); n >= len(ts) || !ts[n].word || notAlias[strings.ToUpper(ts[n].text)] {
				if n < len(ts) && strings.EqualFold(ts[n].text, "AS") {
					prev = t.text
					continue
				}
				out = append(out, token{text: " AS " + name})
			}
			prev = t.text
			continue
		}
		out = append(out, t)
		if !blank(t) {
			prev = t.text
		}
	}
	return out
}

// literalBools spells TRUE and FALSE as 1 and 0.
func literalBools(sql string) string {
	u := strings.ToUpper(sql)
	if !strings.Contains(u, "TRUE") && !strings.Contains(u, "FALSE") {
		return sql
	}
	ts := lex(sql)
	for i, t := range ts {
		if t.word {
			switch strings.ToUpper(t.text) {
			case "TRUE":
				ts[i].text = "1"
			case "FALSE":
				ts[i].text = "0"
			}
		}
	}
	return join(ts)
}

// clauseWords end a FROM item's join condition or a WHERE clause.
var clauseWords = map[string]bool{
	"WHERE": true, "GROUP": true, "ORDER": true, "LIMIT": true, "HAVING": true, "UNION": true, "SETTINGS": true,
	"FORMAT": true, "LEFT": true, "RIGHT": true, "INNER": true, "ANY": true, "ALL": true, "JOIN": true, "CROSS": true,
	"GLOBAL": true, "ARRAY": true, "FULL": true, "PREWHERE": true,
}

// clauseEnd is the index of the first token at or after i, at the
// depth of i, that is one of stop or a ")" closing that depth; len(ts)
// when none.
func clauseEnd(ts []token, i int, stop map[string]bool) int {
	depth := 0
	for ; i < len(ts); i++ {
		switch {
		case ts[i].text == "(":
			depth++
		case ts[i].text == ")":
			if depth == 0 {
				return i
			}
			depth--
		case depth == 0 && ts[i].word && stop[strings.ToUpper(ts[i].text)]:
			return i
		}
	}
	return i
}

// semiJoinsAsIn spells each "LEFT SEMI JOIN right r ON a.x = r.x AND …"
// whose condition is equalities of columns as "(a.x, …) IN (SELECT r.x,
// … FROM right AS r)" in the WHERE clause: a query over a Distributed
// table then sends the right side to the shards as a set (GLOBAL IN),
// where 18.16 resolves no qualified name of the ON of a join it sends.
// A semi-join of another shape is left as it is.
func semiJoinsAsIn(sql string) string {
	if !strings.Contains(strings.ToUpper(sql), "SEMI") {
		return sql
	}
	for skip := 0; ; {
		ts := lex(sql)
		n := 0
		done := true
		for i := range ts {
			if !ts[i].word || !strings.EqualFold(ts[i].text, "LEFT") {
				continue
			}
			s := next(ts, i+1)
			j := next(ts, s+1)
			if j >= len(ts) || !strings.EqualFold(ts[s].text, "SEMI") || !strings.EqualFold(ts[j].text, "JOIN") {
				continue
			}
			if n++; n <= skip {
				continue
			}
			out, ok := semiJoinAsIn(ts, i, next(ts, j+1))
			if !ok {
				skip++
			} else {
				sql = out
			}
			done = false
			break
		}
		if done {
			return sql
		}
	}
}

// semiJoinAsIn rewrites the semi-join whose LEFT is ts[i] and whose
// right side starts at ts[r]; ok is false when its shape is not one
// semiJoinsAsIn rewrites.
func semiJoinAsIn(ts []token, i, r int) (string, bool) {
	if r >= len(ts) {
		return "", false
	}
	end := r
	if ts[r].text == "(" {
		if end = closing(ts, r); end < 0 {
			return "", false
		}
	} else if !ts[r].word {
		return "", false
	}
	right := join(ts[r : end+1])
	alias := ""
	if !strings.HasPrefix(right, "(") {
		alias = right
	}
	a := next(ts, end+1)
	if a < len(ts) && strings.EqualFold(ts[a].text, "AS") {
		a = next(ts, a+1)
	}
	if a < len(ts) && ts[a].word && !strings.EqualFold(ts[a].text, "ON") {
		alias = ts[a].text
		a = next(ts, a+1)
	}
	if alias == "" || a >= len(ts) || !strings.EqualFold(ts[a].text, "ON") {
		return "", false
	}
	condEnd := clauseEnd(ts, a+1, clauseWords)
	var lefts, rights []string
	for _, part := range strings.Split(join(ts[a+1:condEnd]), " AND ") {
		x, y, ok := strings.Cut(part, "=")
		x, y = strings.TrimSpace(x), strings.TrimSpace(y)
		if !ok || !qualified.MatchString(x) || !qualified.MatchString(y) {
			return "", false
		}
		if strings.HasPrefix(x, alias+".") {
			x, y = y, x
		}
		if !strings.HasPrefix(y, alias+".") || strings.HasPrefix(x, alias+".") {
			return "", false
		}
		lefts, rights = append(lefts, x), append(rights, y)
	}
	in := "(" + strings.Join(lefts, ", ") + ") IN (SELECT " + strings.Join(rights, ", ") + " FROM " + right + " AS " + alias + ")"
	var b strings.Builder
	b.WriteString(join(ts[:i]))
	w := next(ts, condEnd)
	if w < len(ts) && strings.EqualFold(ts[w].text, "WHERE") {
		whereEnd := clauseEnd(ts, w+1, clauseWords)
		b.WriteString("WHERE " + in + " AND (" + strings.TrimSpace(join(ts[w+1:whereEnd])) + ") ")
		b.WriteString(join(ts[whereEnd:]))
	} else {
		b.WriteString("WHERE " + in + " ")
		b.WriteString(join(ts[condEnd:]))
	}
	return b.String(), true
}

// qualified is a column named with its table: t.col.
var qualified = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$`)
