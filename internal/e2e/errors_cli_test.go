package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCLIIssues(t *testing.T) {
	a := startApp(t)
	base := a.URL()
	storeEvent(t, base, sentryError(time.Now().Add(-time.Minute), "shop@5.0", "DeclinedError", "card declined for order 1", "Charge", 40))
	storeEvent(t, base, sentryError(time.Now().Add(-time.Minute), "shop@5.0", "DeclinedError", "card declined for order 2", "Charge", 40))
	flush(t, a)
	remote := []string{"--url", base, "--key", adminKey}
	out, errOut, code := runCLI(t, append([]string{"issues", "--sort", "count"}, remote...)...)
	if code != 0 || !strings.Contains(out, "DeclinedError: card declined for order 1") || !strings.Contains(out, "shop@5.0") ||
		!strings.Contains(out, "unresolved") {
		t.Fatalf("lore issues: %d\n%s%s", code, out, errOut)
	}
	id := strings.Fields(strings.Split(out, "\n")[1])[0]
	out, errOut, code = runCLI(t, append([]string{"issues", "show", id}, remote...)...)
	if code != 0 || !strings.Contains(out, "2 events") || !strings.Contains(out, "* Charge in shop/pay:40") {
		t.Fatalf("lore issues show: %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = runCLI(t, append([]string{"issues", "resolve", id}, remote...)...)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("issue %s is now resolved", id)) {
		t.Fatalf("lore issues resolve: %d\n%s%s", code, out, errOut)
	}
	out, errOut, _ = runCLI(t, append([]string{"issues"}, remote...)...)
	if !strings.Contains(errOut, "no issues match") {
		t.Errorf("resolved issue still listed:\n%s%s", out, errOut)
	}
}
