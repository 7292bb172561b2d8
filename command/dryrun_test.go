package command

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A dry run never changes the work dir, and always prints the plan, even
// when the build it describes is already done.
func TestDryRunOnABuiltWorkDir(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	args := f.args("-zlib", "-zlibversion", "1.2.13")
	if r := run(t, args...); r.code != 0 {
		t.Fatalf("build: exit %d\n%s", r.code, r.err)
	}
	bin := filepath.Join(f.src(), "objs", "nginx")
	buildDir := filepath.Join(f.work, "nginx", "1.30.1")

	// -clear with --dry-run: says what it would remove, removes nothing.
	r := run(t, append(args, "-clear", "--dry-run")...)
	if r.code != 0 {
		t.Fatalf("dry run -clear: exit %d\n%s", r.code, r.err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("--dry-run -clear removed the previous build: %v", err)
	}
	mustContain(t, "dry run -clear stderr", r.err, "would remove "+buildDir+" (-clear)")
	mustContain(t, "dry run -clear plan", r.out, "COMPONENT", "zlib", "1.2.13", "configure script", "would remove "+buildDir, "up to date: no", "dry run")
	if strings.Contains(r.err, "removing") {
		t.Errorf("dry run says it is removing:\n%s", r.err)
	}

	// Up to date: still the plan (not just the binary's path), saying so.
	r = run(t, append(args, "--dry-run")...)
	if r.code != 0 {
		t.Fatalf("dry run: exit %d\n%s", r.code, r.err)
	}
	if strings.TrimSpace(r.out) == bin {
		t.Fatalf("--dry-run printed only the binary path:\n%s", r.out)
	}
	mustContain(t, "dry run plan", r.out, "COMPONENT", "nginx", "1.30.1", "--with-zlib=../zlib-1.2.13", "up to date: yes")

	r = run(t, append(args, "--dry-run", "--json")...)
	if r.code != 0 {
		t.Fatalf("dry run --json: exit %d\n%s", r.code, r.err)
	}
	var plan struct {
		Components []struct{ Name, Version string }
		Configure  []string
		UpToDate   *bool `json:"up_to_date"`
	}
	if err := json.Unmarshal([]byte(r.out), &plan); err != nil {
		t.Fatalf("--dry-run --json on a built work dir is not the JSON plan: %v\n%s", err, r.out)
	}
	if len(plan.Components) != 2 || plan.UpToDate == nil || !*plan.UpToDate || len(plan.Configure) != 1 {
		t.Errorf("plan: %+v\n%s", plan, r.out)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Errorf("dry runs changed the work dir: %v", err)
	}
}

// "configure" is always in the JSON plan, an empty array when there are no
// options, so that scripts can read it without checking for the key.
func TestDryRunJSONAlwaysHasConfigure(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, args := range [][]string{
		f.args("--dry-run", "--json"),
		{"fetch", "--mirror", f.m.URL, "-v", "1.30.1", "--dry-run", "--json"},
	} {
		r := run(t, args...)
		if r.code != 0 {
			t.Fatalf("%q: exit %d\n%s", args, r.code, r.err)
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(r.out), &raw); err != nil {
			t.Fatalf("%q: %v\n%s", args, err, r.out)
		}
		for _, key := range []string{"components", "configure"} {
			if _, ok := raw[key]; !ok {
				t.Errorf("%q: no %q key:\n%s", args, key, r.out)
			}
		}
		if got := string(raw["configure"]); got != "[]" {
			t.Errorf("%q: configure = %s, want []", args, got)
		}
	}
}
