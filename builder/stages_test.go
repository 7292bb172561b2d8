package builder

import (
	"context"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/plan"
	"github.com/nginx-build/nginx-build/source"
)

// A bug that panics in an extraction goroutine is an error, not a crash
// with a stack trace. (A State without IO is such a bug.)
func TestPrepareStagePanicInGoroutineIsAnError(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{WorkDir: t.TempDir(), Server: plan.Component{Name: "nginx", Constraint: "1.30.1"}}
	s := &State{
		Plan: p, Resolved: resolved(p),
		Fetched: Fetched{Components: []fetch.Result{{Artifact: source.Artifact{Component: "zlib", Version: "1.3.2"}, Path: "/nonexistent.tar.gz"}}},
	}
	err := prepareStage{}.Run(context.Background(), s)
	if err == nil || !strings.Contains(err.Error(), "internal error in extracting zlib 1.3.2:") || !strings.Contains(err.Error(), "please report this") {
		t.Fatalf("prepare = %v", err)
	}
}
