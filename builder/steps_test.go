package builder

import (
	"os"
	"testing"

	"github.com/nginx-build/nginx-build/plan"
)

func TestStepStampsOrderAndDigest(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{WorkDir: t.TempDir(), Server: plan.Component{Name: "nginx", Constraint: "1.30.1"}}
	r := resolved(p)
	os.MkdirAll(r.BuildDir(), 0o755)
	s := &State{Plan: p, Resolved: r, stampDigest: "d1"}
	for _, step := range stepOrder() {
		if err := beginStep(s, step); err != nil {
			t.Fatal(err)
		}
		if stepDone(s, step) {
			t.Fatalf("%s done before it finished", step)
		}
		if err := finishStep(s, step); err != nil {
			t.Fatal(err)
		}
	}
	// Starting configure again forgets configure and make, not prepare.
	if err := beginStep(s, stepConfigure); err != nil {
		t.Fatal(err)
	}
	if !stepDone(s, stepPrepare) || stepDone(s, stepConfigure) || stepDone(s, stepMake) {
		t.Errorf("after beginStep(configure): %+v", readSteps(s))
	}
	// Other inputs trust nothing; no digest trusts nothing and forgets all.
	if other := (&State{Plan: p, Resolved: r, stampDigest: "d2"}); stepDone(other, stepPrepare) {
		t.Error("a stamp of other inputs was trusted")
	}
	none := &State{Plan: p, Resolved: r}
	if stepDone(none, stepPrepare) {
		t.Error("a run without a digest trusted a stamp")
	}
	if err := beginStep(none, stepPrepare); err != nil {
		t.Fatal(err)
	}
	if stepDone(s, stepPrepare) {
		t.Error("a run without a digest left the stamps of the one before")
	}
}
