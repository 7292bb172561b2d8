package builder

import (
	"os"
	"testing"
)

func TestStepStampsOrderAndDigest(t *testing.T) {
	p := &Plan{WorkDir: t.TempDir(), Server: ComponentSpec{Name: "nginx", Version: "1.30.1"}}
	os.MkdirAll(p.BuildDir(), 0o755)
	s := &State{Plan: p, Digest: "d1"}
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
	if other := (&State{Plan: p, Digest: "d2"}); stepDone(other, stepPrepare) {
		t.Error("a stamp of other inputs was trusted")
	}
	none := &State{Plan: p}
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
