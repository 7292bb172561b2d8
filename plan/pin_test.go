package plan

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nginx-build/nginx-build/configure"
	"github.com/nginx-build/nginx-build/fetch"
	"github.com/nginx-build/nginx-build/internal/testrepo"
	"github.com/nginx-build/nginx-build/lockfile"
	"github.com/nginx-build/nginx-build/module3rd"
	"github.com/nginx-build/nginx-build/pin"
)

// TestPinLockfile runs the lockfile part of Pin (applyLockfile); a relock
// runs Pin itself, which must not read the lockfile at all.
func TestPinLockfile(t *testing.T) {
	t.Parallel()
	locked := []pin.Component{{Name: "nginx", Constraint: "1.30.x", Version: "1.30.1", URL: "https://example.org/nginx-1.30.1.tar.gz", SHA256: sumA}}
	tests := []struct {
		name       string
		lock       []pin.Component // nil: no lockfile on disk
		constraint string
		locked     bool
		relock     bool
		noPath     bool
		wantErr    string
		wantVer    string
		wantPin    bool
		wantDiffs  int
	}{
		{name: "no lockfile path", noPath: true, constraint: "1.30.x"},
		{name: "missing lockfile", constraint: "1.30.x"},
		{name: "missing lockfile --locked", constraint: "1.30.x", locked: true, wantErr: "--locked: no lockfile"},
		{name: "same constraint pins", lock: locked, constraint: "1.30.x", wantVer: "1.30.1", wantPin: true},
		{name: "other constraint differs", lock: locked, constraint: "latest", wantDiffs: 1},
		{name: "other constraint --locked", lock: locked, constraint: "latest", locked: true, wantErr: "--locked: the build differs"},
		{name: "relock ignores it", lock: locked, constraint: "1.30.x", relock: true},
		{name: "extra entry differs", lock: append(slices.Clone(locked), pin.Component{Name: "zlib", Constraint: "1.3.2", Version: "1.3.2", URL: "u", SHA256: sumB}), constraint: "1.30.x", wantVer: "1.30.1", wantPin: true, wantDiffs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, _ := mirrorPlan(t)
			p.Server = Component{Name: "nginx", Constraint: tt.constraint}
			p.Locked = tt.locked
			if !tt.noPath {
				p.Lockfile = filepath.Join(t.TempDir(), "nginx-build.lock")
			}
			if tt.lock != nil {
				writeLock(t, p.Lockfile, tt.lock, nil)
			}
			r := &Resolved{Plan: p, Commits: map[string]string{}, Components: []pin.Component{{Name: "nginx", Constraint: tt.constraint}}}
			var err error
			if tt.relock {
				// Pin resolves the version from the mirror's index, not the lockfile.
				env, _ := testEnv()
				r, err = Pin(context.Background(), p, env, Options{Relock: true})
			} else {
				err = r.applyLockfile()
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.relock && r.Components[0].Version != tt.wantVer {
				t.Errorf("version = %q, want %q", r.Components[0].Version, tt.wantVer)
			}
			if got := r.Pins[fetch.PinKey("nginx", "1.30.1")]; (got == sumA) != tt.wantPin {
				t.Errorf("pin = %q, want pinned %v", got, tt.wantPin)
			}
			if len(r.LockDiffs) != tt.wantDiffs {
				t.Errorf("diffs = %q, want %d", r.LockDiffs, tt.wantDiffs)
			}
			if (r.Lock != nil) != (tt.lock != nil && !tt.relock && !tt.noPath) {
				t.Errorf("lock read = %v", r.Lock != nil)
			}
		})
	}
}

func TestPinCheckModuleNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		module  module3rd.Module
		wantErr string
	}{
		{module3rd.Module{Name: "echo", Form: "git"}, ""},
		{module3rd.Module{Name: "nginx-1.30.1", Form: "git"}, "the source tree of nginx 1.30.1"},
		{module3rd.Module{Name: "pcre2-10.42", Form: "tarball"}, "the source tree of pcre2 10.42"},
		{module3rd.Module{Name: StampFile, Form: "git"}, "a file nginx-build writes there"},
		{module3rd.Module{Name: "nginx-patch.log", Form: "git", Pos: "modules.json:3"}, "modules.json:3: module"},
		{module3rd.Module{Name: "nginx-1.30.1", Form: "local", URL: "/somewhere"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.module.Name+"/"+tt.module.Form, func(t *testing.T) {
			t.Parallel()
			p := testPlan(t)
			p.Libraries = []Component{{Name: "pcre2", Constraint: "10.42"}}
			p.Modules = []module3rd.Module{tt.module}
			r := pinned(p, pin.Component{Name: "nginx", Version: "1.30.1"}, pin.Component{Name: "pcre2", Version: "10.42"})
			err := r.checkModuleNames()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestPinCheckNamesOption: Pin checks module names only when asked.
func TestPinCheckNamesOption(t *testing.T) {
	t.Parallel()
	p := testPlan(t)
	p.Modules = []module3rd.Module{{Name: "nginx-1.30.1", Form: "tarball", URL: "/x.tar.gz"}}
	env, _ := testEnv()
	if _, err := Pin(context.Background(), p, env, Options{}); err != nil {
		t.Fatalf("without CheckNames: %v", err)
	}
	if _, err := Pin(context.Background(), p, env, Options{CheckNames: true}); err == nil || !strings.Contains(err.Error(), "the source tree of nginx 1.30.1") {
		t.Fatalf("with CheckNames: err = %v", err)
	}
}

func TestPinCommits(t *testing.T) {
	t.Parallel()
	repo, first, second := testrepo.GitRepo(t)
	missing := filepath.Join(t.TempDir(), "no-such-repo")
	const fixed = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name    string
		module  module3rd.Module
		lock    *pin.Module
		offer   string // a commit pinned by a mirror's index.json
		want    string
		wantErr string
	}{
		{name: "default branch", module: module3rd.Module{Name: "m", Form: "git", URL: repo}, want: second},
		{name: "branch", module: module3rd.Module{Name: "m", Form: "git", URL: repo, Rev: "main"}, want: second},
		{name: "tag", module: module3rd.Module{Name: "m", Form: "git", URL: repo, Rev: "v1"}, want: first},
		{name: "full commit needs no repository", module: module3rd.Module{Name: "m", Form: "git", URL: missing, Rev: fixed}, want: fixed},
		{name: "locked commit", module: module3rd.Module{Name: "m", Form: "git", URL: missing, Rev: "main"},
			lock: &pin.Module{Name: "m", Form: "git", URL: missing, Rev: "main", Commit: first}, want: first},
		{name: "lock of another rev is not used", module: module3rd.Module{Name: "m", Form: "git", URL: repo, Rev: "v1"},
			lock: &pin.Module{Name: "m", Form: "git", URL: repo, Rev: "main", Commit: second}, want: first},
		{name: "mirror's commit", module: module3rd.Module{Name: "m", Form: "git", URL: missing, Rev: "main"}, offer: first, want: first},
		{name: "full commit beats the mirror's", module: module3rd.Module{Name: "m", Form: "git", URL: missing, Rev: fixed}, offer: first, want: fixed},
		{name: "unknown rev", module: module3rd.Module{Name: "m", Form: "git", URL: repo, Rev: "nope"}, wantErr: `rev "nope" does not exist`},
		{name: "unreachable repository", module: module3rd.Module{Name: "m", Form: "git", URL: missing, Rev: "main"}, wantErr: "git ls-remote"},
		{name: "a form that is not a repository has no commit", module: module3rd.Module{Name: "m", Form: "svn", URL: repo}},
		{name: "local module has no commit", module: module3rd.Module{Name: "m", Form: "local", URL: repo}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := testPlan(t)
			p.Modules = []module3rd.Module{tt.module}
			r := pinned(p)
			if tt.lock != nil {
				r.Lock = &lockfile.File{LockfileVersion: lockfile.Version, Modules: []pin.Module{*tt.lock}}
			}
			if tt.offer != "" {
				r.Offers.Commits = map[string]string{"m": tt.offer}
			}
			env, _ := testEnv()
			err := r.pinCommits(context.Background(), env, false)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, ok := r.Commits["m"]
			if tt.want == "" {
				if ok {
					t.Errorf("commit %q recorded for a %s module", got, tt.module.Form)
				}
				return
			}
			if got != tt.want {
				t.Errorf("commit = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPinDigest: Pin computes the digest only when asked, and it is the
// digest of what was pinned.
func TestPinDigest(t *testing.T) {
	t.Parallel()
	p := testPlan(t)
	env, _ := testEnv()
	r, err := Pin(context.Background(), p, env, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Digest != "" || r.Script != "" || r.ModuleArgs != nil {
		t.Errorf("digest %q, script %q without being asked", r.Digest, r.Script)
	}
	r, err = Pin(context.Background(), p, env, Options{Digest: true, Script: true})
	if err != nil {
		t.Fatal(err)
	}
	want, err := inputDigest(pinned(p), "test")
	if err != nil {
		t.Fatal(err)
	}
	if r.Digest != want || len(want) != 64 {
		t.Errorf("digest = %q, want %q", r.Digest, want)
	}
	if r.Script == "" {
		t.Error("no script when asked")
	}
	if r.Plan != p || len(r.Components) != 1 || r.Components[0].Version != "1.30.1" {
		t.Errorf("resolved = %+v", r)
	}
}

func TestPinDigestFollowsInputs(t *testing.T) {
	t.Parallel()
	digest := func(mut func(r *Resolved, tool *string)) string {
		r := pinned(testPlan(t))
		r.Plan.WorkDir, r.Plan.CacheDir = "/w", "/c" // the same for every call
		tool := "test"
		mut(r, &tool)
		d, err := inputDigest(r, tool)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	base := digest(func(*Resolved, *string) {})
	if base != digest(func(r *Resolved, _ *string) { r.Plan.Jobs = 8 }) {
		t.Error("the number of jobs changed the digest")
	}
	for name, mut := range map[string]func(*Resolved, *string){
		"version": func(r *Resolved, _ *string) { r.Components[0].Version = "1.31.0" },
		"args":    func(r *Resolved, _ *string) { r.Plan.ExtraArgs = []string{"--with-http_v2_module"} },
		"tool":    func(_ *Resolved, tool *string) { *tool = "other" },
		"commits": func(r *Resolved, _ *string) {
			r.Plan.Modules = []module3rd.Module{{Name: "m", Form: "git"}}
			r.Commits = map[string]string{"m": "c"}
		},
		"verify":   func(r *Resolved, _ *string) { r.Plan.Verify = fetch.PolicyOff },
		"cfg-only": func(r *Resolved, _ *string) { r.Plan.ConfigureOnly = true },
		// A custom tarball is built in <name>-custom whatever its URL.
		"custom url": func(r *Resolved, _ *string) { r.Components[0].CustomURL = "https://example.invalid/fork.tar.gz" },
	} {
		if digest(mut) == base {
			t.Errorf("%s did not change the digest", name)
		}
	}
}

func TestPinScript(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		server     string
		keepCompat bool
		userScript string
		extra      []string
		want       []string
		notWant    []string
		replaced   []configure.Replaced
		wantErr    string
	}{
		{name: "libraries and modules", server: "nginx", extra: []string{"--with-http_v2_module"},
			want: []string{"--with-pcre=../pcre2-10.42", "--with-zlib=../zlib-1.3.2", "--with-compat", "--add-dynamic-module=../dyn", "--add-module=../static", "--add-module=/src/local", "--with-http_v2_module"}},
		{name: "keep compat", server: "nginx", keepCompat: true, want: []string{"--add-dynamic-module=../dyn"}, notWant: []string{"--with-compat"}},
		{name: "user script", server: "nginx", userScript: "#!/bin/sh\n./configure --prefix=/opt/ngx --with-compat\n",
			want: []string{"--prefix=/opt/ngx", "--with-compat", "--add-dynamic-module=../dyn"}},
		{name: "user script's library option is replaced", server: "nginx", userScript: "#!/bin/sh\n./configure \\\n  --with-pcre=/opt/pcre \\\n  --prefix=/opt/ngx\n",
			want: []string{"--prefix=/opt/ngx", "--with-pcre=../pcre2-10.42"}, notWant: []string{"--with-pcre=/opt/pcre"},
			replaced: []configure.Replaced{{Line: 3, Option: "--with-pcre=/opt/pcre", By: "-pcre (embedded ../pcre2-10.42)"}}},
		{name: "openresty uses absolute dirs", server: "openresty", want: []string{"-j3", "--add-module=BUILD/static", "--with-pcre=BUILD/pcre2-10.42"}},
		{name: "broken user script", server: "nginx", userScript: "./configure '--prefix=/x\n", wantErr: "configure script"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := testPlan(t)
			p.Server = Component{Name: tt.server, Constraint: "1.30.1"}
			p.Jobs = 3
			p.KeepCompat, p.ConfigureScript, p.ExtraArgs = tt.keepCompat, tt.userScript, tt.extra
			p.Libraries = []Component{{Name: "pcre2", Constraint: "10.42"}, {Name: "zlib", Constraint: "1.3.2"}}
			p.Modules = []module3rd.Module{
				{Name: "dyn", Form: "git", Dynamic: true},
				{Name: "static", Form: "git"},
				{Name: "local", Form: "local", URL: "/src/local"},
			}
			r := pinned(p, pin.Component{Name: tt.server, Version: "1.30.1"}, pin.Component{Name: "pcre2", Version: "10.42"}, pin.Component{Name: "zlib", Version: "1.3.2"})
			script, moduleArgs, replaced, err := generateScript(r)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			args, err := configure.Args(script)
			if err != nil {
				t.Fatalf("generated script does not parse: %v\n%s", err, script)
			}
			for _, w := range tt.want {
				w = strings.ReplaceAll(w, "BUILD", r.BuildDir())
				if !slices.Contains(args, w) {
					t.Errorf("args lack %s: %q", w, args)
				}
			}
			for _, w := range tt.notWant {
				if slices.Contains(args, w) {
					t.Errorf("args have %s: %q", w, args)
				}
			}
			if !slices.Equal(replaced, tt.replaced) {
				t.Errorf("replaced = %+v, want %+v", replaced, tt.replaced)
			}
			if len(moduleArgs) < 3 {
				t.Errorf("ModuleArgs = %q", moduleArgs)
			}
		})
	}
}
