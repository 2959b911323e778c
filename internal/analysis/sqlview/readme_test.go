package sqlview_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/analysis/sqlview"
	"github.com/lore-dev/lore/internal/store/duckdb"
)

// TestREADME: the README's section on read-only SQL lists the events
// view's columns as they are, in order, and each of its `lore query
// --sql` examples runs on the test's DuckDB.
func TestREADME(t *testing.T) {
	b, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "### Read-only SQL")
	end := strings.Index(doc[start+1:], "\n### ")
	if start < 0 || end < 0 {
		t.Fatal("README has no section ### Read-only SQL")
	}
	sec := doc[start : start+1+end]

	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| (`[^|]+`) \\| [A-Z]").FindAllStringSubmatch(sec, -1) {
		for _, name := range strings.Split(m[1], ", ") {
			documented = append(documented, strings.Trim(name, "`"))
		}
	}
	var actual []string
	for _, c := range sqlview.Columns {
		actual = append(actual, c.Name)
	}
	if strings.Join(documented, ",") != strings.Join(actual, ",") {
		t.Errorf("README's events view:\n%v\nthe view:\n%v", documented, actual)
	}

	examples := regexp.MustCompile(`lore query --sql (?:'([^']*)'|"([^"]*)")`).FindAllStringSubmatch(sec, -1)
	if len(examples) < 5 {
		t.Fatalf("%d examples", len(examples))
	}
	for _, m := range examples {
		text := m[1] + m[2]
		if _, err := query(text).Run(context.Background(), shared.(*duckdb.Store)); err != nil {
			t.Errorf("%q: %v", text, err)
		}
	}
}
