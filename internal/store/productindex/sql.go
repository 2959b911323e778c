package productindex

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
const pageExpr = "coalesce(nullif(attr_values[list_position(attr_keys, 'path')], ''), nullif(endpoint, ''), name)"

// pathLabel names an event in a path: "error: TYPE" for errors, the page
// for page views sent under a generic name ($pageview), else the name.
const pathLabel = "CASE WHEN kind = 'error' OR level IN ('error', 'fatal') THEN 'error: ' || coalesce(nullif(error_type, ''), nullif(name, ''), left(message, 60)) " +
	"WHEN kind = 'pageview' AND name = '$pageview' THEN " + pageExpr + " ELSE name END"
