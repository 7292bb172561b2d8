package e2e

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// A run that reaches the limit before the test's deadline gets SIGINT
// (nginx-build then stops its children), not SIGKILL, and the failure
// says it timed out. Runs in the short tier: it needs no nginx-build.
func TestToolRunIsInterruptedBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	script := `trap 'echo got SIGINT; exit 3' INT; echo started; while :; do sleep 0.05; done`
	r := interruptible(t, time.Now().Add(time.Minute+time.Second), time.Minute, 20*time.Second, "sh", "-c", script)
	var out bytes.Buffer
	r.Stdout, r.Stderr = &out, &out
	start := time.Now()
	err := r.explain(r.Run())
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("the run took %s: SIGINT was not sent, or not first", took)
	}
	if !strings.Contains(out.String(), "got SIGINT") {
		t.Errorf("the run was not interrupted with SIGINT: %v\n%s", err, out.String())
	}
	if err == nil || !strings.Contains(err.Error(), "timed out after 1s (the test's deadline is near)") {
		t.Errorf("want a timeout named as such, got %v", err)
	}
}
