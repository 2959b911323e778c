package productindex

import "github.com/lore-dev/lore/internal/sqlq"

// The index loads its rows (Load) with these
// definitions, which must agree with internal/analysis/product's (the
// analyses own them; storetest and TestProductIndexMatchesSQL check that
// the index answers as their SQL does): the id an event is counted under
// before identity merge, which events have a person at all, and how an
// event is named in a path.

// personKey is the id an event is counted under before identity merge.
const personKey = "CASE WHEN user_id <> '' THEN user_id ELSE anonymous_id END"

// hasPerson excludes events with no id at all.
const hasPerson = "(user_id <> '' OR anonymous_id <> '')"

// pageExpr is a page view's page: its path attribute, else its endpoint
// (senders that put the path there), else its name.
func pageExpr(d sqlq.Dialect) string {
	return "coalesce(nullif(" + d.Attr("path") + ", ''), nullif(endpoint, ''), name)"
}

// pathLabel names an event in a path: "error: TYPE" for errors, the page
// for page views sent under a generic name ($pageview), else the name.
func pathLabel(d sqlq.Dialect) string {
	return "CASE WHEN kind = 'error' OR level IN ('error', 'fatal') THEN 'error: ' || coalesce(nullif(error_type, ''), nullif(name, ''), " + d.Left("message", 60) + ") " +
		"WHEN kind = 'pageview' AND name = '$pageview' THEN " + pageExpr(d) + " ELSE name END"
}

// loadQueries are Load's two reads in d's spelling: each anonymous id's
// user (the idents table: the pairs seen together), and the indexed rows
// as stored, with their label computed by pathLabel.
func loadQueries(d sqlq.Dialect) (idents, rows sqlq.Query, err error) {
	var b sqlq.Builder
	b.Add("SELECT project_id, anonymous_id, min(user_id) FROM idents GROUP BY project_id, anonymous_id")
	if idents, err = b.Query("productindex.idents", sqlq.Scope{}); err != nil {
		return idents, rows, err
	}
	var r sqlq.Builder
	r.Add("SELECT project_id, ts, " + personKey + ", kind, level, name, " + pathLabel(d) + " FROM events WHERE " + Rows)
	rows, err = r.Query("productindex.rows", sqlq.Scope{})
	return idents, rows, err
}
