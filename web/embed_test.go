package web

import (
	"io"
	"io/fs"
	"strings"
	"testing"
)

// TestDistServesAnIndex: with or without a built UI, the binary has an
// index page (the placeholder when nothing was built).
func TestDistServesAnIndex(t *testing.T) {
	f, err := Dist().Open("index.html")
	if err != nil {
		t.Fatalf("no index.html: %v", err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	if !strings.Contains(string(b), "<title>Lore</title>") {
		t.Fatalf("index.html is not Lore's page: %.200s", b)
	}
	if _, err := fs.Stat(Dist(), "index.html"); err != nil {
		t.Fatalf("stat index.html: %v", err)
	}
}
