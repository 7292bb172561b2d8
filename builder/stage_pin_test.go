package builder

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/testmirror"
	"github.com/nginx-build/nginx-build/internal/testrepo"
	"github.com/nginx-build/nginx-build/lockfile"
	"github.com/nginx-build/nginx-build/pin"
	"github.com/nginx-build/nginx-build/plan"
	"github.com/nginx-build/nginx-build/source"
)

func TestPinStage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opt        plan.Options
		relock     bool
		locked     bool
		noLock     bool
		wantErr    string
		wantLock   bool
		wantDigest bool
		wantScript bool
	}{
		{name: "reads the lockfile", wantLock: true},
		{name: "relock ignores the lockfile", relock: true},
		{name: "relock wins over the stage's options", opt: plan.Options{Relock: false, Digest: true}, relock: true, wantDigest: true},
		{name: "digest and script as the mode asks", opt: plan.Options{Digest: true, Script: true}, wantLock: true, wantDigest: true, wantScript: true},
		{name: "--locked without a lockfile", locked: true, noLock: true, wantErr: "--locked: no lockfile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := unitState(t)
			s.Resolved = nil
			s.Plan.Lockfile, s.Plan.Locked = filepath.Join(t.TempDir(), "nginx-build.lock"), tt.locked
			if !tt.noLock {
				l := &lockfile.File{LockfileVersion: lockfile.Version, GeneratedBy: "test", Components: []pin.Component{{Name: "nginx", Constraint: "1.30.1", Version: "1.30.1", URL: "u", SHA256: sumA}}}
				if err := l.Write(s.Plan.Lockfile); err != nil {
					t.Fatal(err)
				}
			}
			s.Mode.Relock = tt.relock
			err := pinStage{tt.opt}.Run(context.Background(), s)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if s.Resolved != nil {
					t.Errorf("Resolved set after an error: %+v", s.Resolved)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := s.Resolved
			if r == nil || r.Plan != s.Plan || r.Server().Version != "1.30.1" {
				t.Fatalf("Resolved = %+v", r)
			}
			if (r.Lock != nil) != tt.wantLock || (r.Pins[fetch.PinKey("nginx", "1.30.1")] == sumA) != tt.wantLock {
				t.Errorf("lock read %v, pins %v; want lock %v", r.Lock != nil, r.Pins, tt.wantLock)
			}
			if (r.Digest != "") != tt.wantDigest || (r.Script != "") != tt.wantScript {
				t.Errorf("digest %q, script %q", r.Digest, r.Script)
			}
			if r.Artifacts != nil {
				t.Errorf("the pin stage located tarballs: %+v", r.Artifacts)
			}
		})
	}
}

func TestLocateStage(t *testing.T) {
	t.Parallel()
	m := testmirror.New(t)
	m.PublishSHA256(t, "nginx", "nginx-1.30.1.tar.gz", m.AddNginx(t, "nginx", "1.30.1"))
	mirror, err := source.ParseMirror(m.URL)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := unitState(t)
	s.Plan.Mirror = mirror
	given := s.Resolved
	if err := (locateStage{}).Run(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if s.Resolved == given {
		t.Fatal("locate changed Resolved in place instead of replacing it")
	}
	if len(s.Resolved.Artifacts) != 1 || !strings.HasPrefix(s.Resolved.Artifacts[0].URLs[0], m.URL+"/") || s.Resolved.Server().URL == "" {
		t.Errorf("located = %+v", s.Resolved)
	}
	// The value the stage was given is unchanged.
	if given.Artifacts != nil || given.Components[0].URL != "" || given.Components[0].Verify != "" {
		t.Errorf("the given Resolved changed: %+v", given)
	}

	// A version the mirror lacks: an error, and Resolved left as it was.
	s2, _ := unitState(t)
	s2.Plan.Mirror = mirror
	s2.Resolved = resolved(s2.Plan, pin.Component{Name: "nginx", Version: "1.99.0"})
	before := s2.Resolved
	err = locateStage{}.Run(context.Background(), s2)
	if err == nil || !strings.Contains(err.Error(), "resolve nginx 1.99.0") || s2.Resolved != before {
		t.Errorf("err = %v, Resolved replaced %v", err, s2.Resolved != before)
	}
}

const testDigest = "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"

func TestUpToDateStage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		stage         string // "" = no stamp
		otherDigest   bool
		noBinary      bool
		dryRun        bool
		configureOnly bool
		clear         bool
		wantStop      bool
		wantUpToDate  bool
		wantBinary    bool
		wantGone      bool
	}{
		{name: "no stamp"},
		{name: "built", stage: "built", wantStop: true, wantBinary: true},
		{name: "built, binary gone", stage: "built", noBinary: true},
		{name: "built with other inputs", stage: "built", otherDigest: true},
		{name: "built, dry run", stage: "built", dryRun: true, wantUpToDate: true},
		{name: "configured", stage: "configured"},
		{name: "configured, -configureonly", stage: "configured", configureOnly: true, wantStop: true},
		{name: "configured, -configureonly dry run", stage: "configured", configureOnly: true, dryRun: true, wantUpToDate: true},
		// -clear is never up to date; workDirStage removes the dir later.
		{name: "clear", stage: "built", clear: true},
		{name: "clear dry run", stage: "built", clear: true, dryRun: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := unitState(t)
			s.Mode.DryRun, s.Plan.ConfigureOnly, s.Plan.Clear = tt.dryRun, tt.configureOnly, tt.clear
			want := testDigest
			s.Resolved.Digest = want
			bin := filepath.Join(s.Resolved.SourceDir(), "objs", "nginx")
			if !tt.noBinary {
				testrepo.WriteFile(t, bin, "#!/bin/sh\n", 0o755)
			}
			if err := os.MkdirAll(s.Resolved.BuildDir(), 0o755); err != nil {
				t.Fatal(err)
			}
			if tt.stage != "" {
				d := want
				if tt.otherDigest {
					d = strings.Repeat("0", len(want))
				}
				b, _ := json.Marshal(stamp{Digest: d, Stage: tt.stage, Binary: bin})
				testrepo.WriteFile(t, filepath.Join(s.Resolved.BuildDir(), plan.StampFile), string(b), 0o644)
			}
			err := upToDateStage{}.Run(context.Background(), s)
			if got := errors.Is(err, ErrStop); got != tt.wantStop || (err != nil && !got) {
				t.Fatalf("err = %v, want stop %v", err, tt.wantStop)
			}
			if s.stampDigest != want {
				t.Errorf("digest = %q, want %q", s.stampDigest, want)
			}
			if s.UpToDate != tt.wantUpToDate {
				t.Errorf("UpToDate = %v", s.UpToDate)
			}
			if (s.Built.Binary == bin) != tt.wantBinary {
				t.Errorf("Binary = %q", s.Built.Binary)
			}
			if _, err := os.Stat(s.Resolved.BuildDir()); os.IsNotExist(err) != tt.wantGone {
				t.Errorf("build dir exists: %v, want removed %v", err == nil, tt.wantGone)
			}
		})
	}
}

func TestDryRunStage(t *testing.T) {
	t.Parallel()
	for _, dry := range []bool{false, true} {
		s, _ := unitState(t)
		s.Mode.DryRun = dry
		if got := (dryRunStage{}).Skip(s); got == dry {
			t.Errorf("DryRun=%v: Skip = %v", dry, got)
		}
		if err := (dryRunStage{}).Run(context.Background(), s); !errors.Is(err, ErrStop) {
			t.Errorf("Run = %v, want ErrStop", err)
		}
		ran := false
		if err := Run(context.Background(), s, []Stage{dryRunStage{}, markerStage{&ran}}); err != nil {
			t.Fatal(err)
		}
		if ran == dry {
			t.Errorf("DryRun=%v: the next stage ran = %v", dry, ran)
		}
	}
}

func TestIdempotentStage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	same := fakeNginx(t, filepath.Join(dir, "same"), "1.30.1", "--prefix=/opt/ngx --with-http_v2_module")
	older := fakeNginx(t, filepath.Join(dir, "older"), "1.28.0", "--prefix=/opt/ngx --with-http_v2_module")
	fewer := fakeNginx(t, filepath.Join(dir, "fewer"), "1.30.1", "--prefix=/opt/ngx")
	garbage := filepath.Join(dir, "garbage")
	testrepo.WriteFile(t, garbage, "#!/bin/sh\necho hello >&2\n", 0o755)
	tests := []struct {
		name     string
		bin      string
		wantStop bool
		wantOut  string
	}{
		{"same build", same, true, "nothing to do"},
		{"other version", older, false, "differs from the requested build"},
		{"other arguments", fewer, false, "differs from the requested build"},
		{"no binary", filepath.Join(dir, "missing"), false, "no working nginx"},
		{"unreadable -V", garbage, false, "cannot read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, out := unitState(t)
			s.Plan.Idempotent, s.Plan.NginxBin = true, tt.bin
			s.Resolved.Script = "#!/bin/sh\n./configure --prefix=/opt/ngx --with-http_v2_module\n"
			if (idempotentStage{}).Skip(s) {
				t.Fatal("skipped with -idempotent")
			}
			err := idempotentStage{}.Run(context.Background(), s)
			if errors.Is(err, ErrStop) != tt.wantStop || (err != nil && !errors.Is(err, ErrStop)) {
				t.Fatalf("err = %v, want stop %v", err, tt.wantStop)
			}
			if s.Skipped != tt.wantStop || (tt.wantStop && s.Current != tt.bin) {
				t.Errorf("Skipped = %v, Current = %q", s.Skipped, s.Current)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("output lacks %q:\n%s", tt.wantOut, out)
			}
		})
	}
	s, _ := unitState(t)
	if !(idempotentStage{}).Skip(s) {
		t.Error("not skipped without -idempotent")
	}
}

// The work dir is created only when a build goes ahead: -idempotent that
// finds the installed nginx current stops before workDirStage, so -d is
// never created; otherwise it is, parents and all.
func TestWorkDirStage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	same := fakeNginx(t, filepath.Join(dir, "same"), "1.30.1", "--prefix=/opt/ngx")
	older := fakeNginx(t, filepath.Join(dir, "older"), "1.28.0", "--prefix=/opt/ngx")
	for _, tt := range []struct {
		name      string
		bin       string
		wantExist bool
	}{
		{"installed nginx matches", same, false},
		{"installed nginx differs", older, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := unitState(t)
			s.Plan.WorkDir = filepath.Join(t.TempDir(), "not", "yet")
			s.Plan.Idempotent, s.Plan.NginxBin = true, tt.bin
			s.Resolved.Script = "#!/bin/sh\n./configure --prefix=/opt/ngx\n"
			if err := Run(context.Background(), s, []Stage{idempotentStage{}, workDirStage{}}); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(s.Plan.WorkDir); (err == nil) != tt.wantExist {
				t.Errorf("work dir exists = %v, want %v", err == nil, tt.wantExist)
			}
		})
	}

	// -clear removes the build dir, here and only here.
	s, _ := unitState(t)
	s.Plan.Clear = true
	old := filepath.Join(s.Resolved.BuildDir(), "old")
	testrepo.WriteFile(t, old, "from an earlier build\n", 0o644)
	if err := (workDirStage{}).Run(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("-clear left %s: %v", old, err)
	}

	// A -d that cannot be a directory is an error naming it.
	s, _ = unitState(t)
	s.Plan.WorkDir = filepath.Join(dir, "same", "work")
	err := workDirStage{}.Run(context.Background(), s)
	if err == nil || !strings.Contains(err.Error(), "-d "+s.Plan.WorkDir) {
		t.Errorf("work dir under a file: %v", err)
	}
}

// In every stage list that creates the work dir, it comes after each
// stage that may end a run with nothing to do and before the first that
// writes: a run that stops early leaves no trace.
func TestWorkDirStageOrder(t *testing.T) {
	t.Parallel()
	for name, stages := range map[string][]Stage{"BuildStages": BuildStages(), "ModuleStages": ModuleStages()} {
		at := map[string]int{}
		for i, st := range stages {
			at[st.Name()] = i
		}
		w, ok := at[workDirStage{}.Name()]
		if !ok {
			t.Errorf("%s: no %q stage", name, workDirStage{}.Name())
			continue
		}
		for _, before := range []Stage{upToDateStage{}, dryRunStage{}, idempotentStage{}} {
			if i, ok := at[before.Name()]; ok && i > w {
				t.Errorf("%s: %q runs after %q", name, before.Name(), workDirStage{}.Name())
			}
		}
		for _, after := range []Stage{fetchStage{}, prepareStage{}} {
			if i, ok := at[after.Name()]; !ok || i < w {
				t.Errorf("%s: %q runs before %q (or not at all)", name, after.Name(), workDirStage{}.Name())
			}
		}
	}
}
