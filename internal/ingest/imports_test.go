package ingest

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDecodersStayLeaves: a protocol decoder turns bytes into events; it
// must not depend on what happens to them after (the pipeline, the issue
// tracker and its SQLite, the pattern miner, the store, the server).
func TestDecodersStayLeaves(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "./...").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"/internal/pipeline", "/internal/issue", "/internal/patterns", "/internal/store", "/internal/server", "/internal/meta", "/internal/app"} {
			if strings.HasSuffix(dep, banned) || strings.Contains(dep, banned+"/") {
				t.Errorf("internal/ingest depends on %s", dep)
			}
		}
	}
}
